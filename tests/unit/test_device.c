/* test_device.c - a device is its MAC with all its addresses: which of
 * the neighbour table's addresses device_plan opens and closes as a
 * row's aliases, a portal row's idle clock (device_poll), and the masq
 * mac text (nbr_mac_parse). */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "masq.h"
#include "tq_test.h"
#include "util.h"

static const uint8_t M1[6] = { 0x02, 0, 0x5e, 0x10, 0, 0x01 };
static const uint8_t M2[6] = { 0x02, 0, 0x5e, 0x10, 0, 0x02 };
static const uint8_t M9[6] = { 0x02, 0, 0, 0, 0, 0x99 };

static struct tq_addr A(const char *s)
{
	struct tq_addr a;

	CU_ASSERT_EQUAL_FATAL(addr_parse(s, &a), 0);
	return a;
}

static struct store_masq row(const char *host, const char *name,
			     const uint8_t *mac)
{
	struct store_masq r;

	memset(&r, 0, sizeof(r));
	tq_strlcpy(r.host, host, sizeof(r.host));
	tq_strlcpy(r.name, name, sizeof(r.name));
	r.open = MASQ_OPENED;
	r.tic = 10;
	if (mac) {
		r.has_mac = true;
		memcpy(r.mac, mac, 6);
	}
	return r;
}

static struct nbr_entry nb(const char *addr, const uint8_t *mac)
{
	struct nbr_entry e;

	memset(&e, 0, sizeof(e));
	e.addr = A(addr);
	memcpy(e.mac, mac, 6);
	e.ifindex = 3;
	return e;
}

static void open_host(struct hosts *h, const char *addr, const char *name)
{
	struct nftb_host e;

	memset(&e, 0, sizeof(e));
	e.addr = A(addr);
	hosts_add(h, &e, name);
}

static void open_alias(struct hosts *h, const char *addr, const char *owner,
		       const char *name)
{
	struct nftb_host e;
	struct tq_addr o = A(owner);

	memset(&e, 0, sizeof(e));
	e.addr = A(addr);
	hosts_add_alias(h, &e, &o, name);
}

/* The LAN of the lab: 198.18.1.0/24 and 2001:db8:1::/64, the gateway
 * .1 and ::1 on it. */
static void lab_lan(struct tq_lan *lan)
{
	struct tq_addr g4 = A("198.18.1.1"), g6 = A("2001:db8:1::1");

	memset(lan, 0, sizeof(*lan));
	addr_lan_own(lan, &g4);
	addr_lan_own(lan, &g6);
	addr_lan_net(lan, &g4, 24);
	addr_lan_net(lan, &g6, 64);
}

static bool opens(const struct device_plan *p, const char *addr,
		  const char *owner, const char *name)
{
	struct tq_addr a = A(addr), o = A(owner);
	size_t i;

	for (i = 0; i < p->n_open; i++)
		if (addr_equal(&p->open[i].el.addr, &a))
			return addr_equal(&p->open[i].owner, &o) &&
			       !strcmp(p->open[i].name, name);
	return false;
}

static const struct device_close *closes(const struct device_plan *p,
					 const char *addr)
{
	struct tq_addr a = A(addr);
	size_t i;

	for (i = 0; i < p->n_close; i++)
		if (addr_equal(&p->close[i].addr, &a))
			return &p->close[i];
	return NULL;
}

/* Which of the table's addresses are opened, and for whom. */
static void test_plan_open(void)
{
	struct store_masq rows[] = {
		row("198.18.1.10", "alice", M1),
		row("198.18.1.20", "bob", NULL),
		row("198.18.1.30", "carol", M2),	/* not open yet */
		row("2001:db8:1::30", "dave", NULL),	/* closed */
		row("198.18.1.40", "erin", M1),		/* same MAC, later */
	};
	struct nbr_entry v[] = {
		nb("2001:db8:1::10", M1),	/* alice's IPv6 address */
		nb("2001:db8:1::10", M1),	/* listed twice: once */
		nb("2001:db8:1:0:a:b:c:d", M1),	/* a privacy address */
		nb("fe80::1", M1),		/* link-local */
		nb("198.18.1.10", M1),		/* the row's own */
		nb("2001:db8:1::20", M2),	/* carol's: not open */
		nb("2001:db8:1::30", M1),	/* a row names it */
		nb("2001:db8:9::1", M1),	/* outside the LAN */
		nb("198.18.1.1", M1),		/* the gateway's own */
		nb("198.18.1.255", M1),		/* broadcast */
		nb("198.18.1.50", M9),		/* nobody's device */
	};
	struct hosts *h = hosts_new();
	struct device_plan p;
	struct tq_lan lan;

	rows[3].open = MASQ_CLOSED;
	lab_lan(&lan);
	open_host(h, "198.18.1.10", "alice");
	open_host(h, "198.18.1.20", "bob");
	open_host(h, "198.18.1.40", "erin");
	device_plan(rows, ARRAY_SIZE(rows), h, v, ARRAY_SIZE(v), &lan, false,
		    true, &p);
	CU_ASSERT_EQUAL(p.n_open, 2);
	CU_ASSERT_EQUAL(p.n_close, 0);
	CU_ASSERT_TRUE(opens(&p, "2001:db8:1::10", "198.18.1.10", "alice"));
	CU_ASSERT_TRUE(opens(&p, "2001:db8:1:0:a:b:c:d", "198.18.1.10",
			     "alice"));
	CU_ASSERT_FALSE(p.open[0].el.has_mac);	/* no bind_mac */
	CU_ASSERT_EQUAL(memcmp(p.open[0].mac, M1, 6), 0);
	device_plan_free(&p);

	/* bind_mac: bound to the device's MAC. */
	device_plan(rows, ARRAY_SIZE(rows), h, v, ARRAY_SIZE(v), &lan, true,
		    true, &p);
	CU_ASSERT_EQUAL_FATAL(p.n_open, 2);
	CU_ASSERT_TRUE(p.open[0].el.has_mac && p.open[1].el.has_mac);
	CU_ASSERT_EQUAL(memcmp(p.open[1].el.mac, M1, 6), 0);
	device_plan_free(&p);

	/* Nothing new without a fresh snapshot or the LAN's networks. */
	device_plan(rows, ARRAY_SIZE(rows), h, v, ARRAY_SIZE(v), &lan, false,
		    false, &p);
	CU_ASSERT_EQUAL(p.n_open, 0);
	device_plan_free(&p);
	device_plan(rows, ARRAY_SIZE(rows), h, v, ARRAY_SIZE(v), NULL, false,
		    true, &p);
	CU_ASSERT_EQUAL(p.n_open, 0);
	device_plan_free(&p);

	/* Open already (an alias, or another device's): not again. */
	open_alias(h, "2001:db8:1::10", "198.18.1.10", "alice");
	device_plan(rows, ARRAY_SIZE(rows), h, v, ARRAY_SIZE(v), &lan, false,
		    true, &p);
	CU_ASSERT_EQUAL(p.n_open, 1);
	CU_ASSERT_TRUE(opens(&p, "2001:db8:1:0:a:b:c:d", "198.18.1.10",
			     "alice"));
	device_plan_free(&p);
	addr_lan_free(&lan);
	hosts_free(h);
}

/* Which aliases are closed, and why. */
static void test_plan_close(void)
{
	struct store_masq rows[] = {
		row("198.18.1.10", "alice", M1),
		row("198.18.1.20", "bob", NULL),	/* no MAC (any more) */
	};
	struct nbr_entry v[] = {
		nb("2001:db8:1::a", M9),	/* another machine's now */
		nb("2001:db8:1::b", M1),
	};
	struct hosts *h = hosts_new();
	const struct device_close *c;
	struct device_plan p;
	struct tq_addr owner;
	struct tq_lan lan;

	lab_lan(&lan);
	open_host(h, "198.18.1.10", "alice");
	open_host(h, "198.18.1.20", "bob");
	open_alias(h, "2001:db8:1::a", "198.18.1.10", "alice");
	open_alias(h, "2001:db8:1::b", "198.18.1.10", "alice");
	open_alias(h, "2001:db8:1::c", "198.18.1.10", "alice");	/* aged */
	open_alias(h, "2001:db8:1::20", "198.18.1.20", "bob");
	open_alias(h, "2001:db8:1::99", "198.18.1.99", "zoe");	/* no row */
	device_plan(rows, ARRAY_SIZE(rows), h, v, ARRAY_SIZE(v), &lan, false,
		    true, &p);
	CU_ASSERT_EQUAL(p.n_open, 0);
	CU_ASSERT_EQUAL(p.n_close, 3);
	c = closes(&p, "2001:db8:1::a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE(c->moved);
	CU_ASSERT_EQUAL(memcmp(c->mac, M9, 6), 0);
	CU_ASSERT_STRING_EQUAL(c->name, "alice");
	c = closes(&p, "2001:db8:1::20");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_FALSE(c->moved);
	CU_ASSERT_STRING_EQUAL(c->name, "bob");
	CU_ASSERT_PTR_NOT_NULL(closes(&p, "2001:db8:1::99"));
	CU_ASSERT_PTR_NULL(closes(&p, "2001:db8:1::b"));
	CU_ASSERT_PTR_NULL(closes(&p, "2001:db8:1::c"));
	device_plan_free(&p);

	/* Bound (bind_mac) a moved alias stays: only its MAC passes. */
	device_plan(rows, ARRAY_SIZE(rows), h, v, ARRAY_SIZE(v), &lan, true,
		    true, &p);
	CU_ASSERT_EQUAL(p.n_close, 2);
	CU_ASSERT_PTR_NULL(closes(&p, "2001:db8:1::a"));
	device_plan_free(&p);

	/* The row closed (its host out of the firewall): all its aliases,
	 * also without a fresh snapshot. */
	owner = A("198.18.1.10");
	hosts_del(h, &owner);
	device_plan(rows, ARRAY_SIZE(rows), h, v, ARRAY_SIZE(v), NULL, false,
		    false, &p);
	CU_ASSERT_EQUAL(p.n_close, 5);
	CU_ASSERT_FALSE(closes(&p, "2001:db8:1::b")->moved);
	device_plan_free(&p);
	addr_lan_free(&lan);
	hosts_free(h);
}

/* The idle clock: the periods since the last poll that saw the row's
 * packets move (or the first that saw it open); idle at
 * portal.idle_timeout seconds' worth. */
static void test_idle(void)
{
	struct tq_conf *c;
	struct device *d;
	struct store_masq rows[] = {
		row("198.18.1.10", "alice", M1),
		row("198.18.1.20", "bob", NULL),	/* openhost's */
		row("198.18.1.30", "carol", NULL),	/* bad mac */
	};
	struct acct_masq m[ARRAY_SIZE(rows)];
	char err[256] = "";
	size_t i;
	int k;

	c = conf_load_string("daemon = { period = 2; };\n"
			     "portal = { idle_timeout = 10; };\n", "t.conf",
			     err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	d = device_new(c, NULL);
	rows[0].portal = true;
	rows[2].mac_bad = true;
	rows[2].portal = true;
	memset(m, 0, sizeof(m));
	for (i = 0; i < ARRAY_SIZE(m); i++) {
		m[i].open = MASQ_OPENED;
		m[i].in_firewall = true;
		m[i].portal = rows[i].portal;
		m[i].packets = m[i].prev_packets = 7;
	}
#define POLL(periods) do { \
		for (i = 0; i < ARRAY_SIZE(m); i++) \
			m[i].idle = false; \
		device_poll(d, rows, m, ARRAY_SIZE(m), (periods)); \
	} while (0)
	POLL(1);			/* first seen: the clock starts */
	for (k = 1; k <= 4; k++) {	/* 8 s without traffic */
		POLL(1);
		CU_ASSERT_FALSE(m[0].idle);
	}
	m[0].packets = 9;		/* traffic */
	POLL(1);
	CU_ASSERT_FALSE(m[0].idle);
	CU_ASSERT_TRUE(m[2].idle);	/* 10 s: a portal row, bad mac */
	m[0].prev_packets = 9;
	for (k = 1; k <= 4; k++) {
		POLL(1);
		CU_ASSERT_FALSE(m[0].idle);
	}
	POLL(1);			/* the 5th period of 2 s */
	CU_ASSERT_TRUE(m[0].idle);
	CU_ASSERT_FALSE(m[1].idle);	/* not a portal row */
	/* Closed, then opened again: a new clock. */
	m[0].open = MASQ_CLOSED;
	POLL(1);
	CU_ASSERT_FALSE(m[0].idle);
	m[0].open = MASQ_OPENED;
	POLL(1);
	CU_ASSERT_FALSE(m[0].idle);
	/* A late poll counts the periods it covers. */
	POLL(3);
	CU_ASSERT_FALSE(m[0].idle);
	POLL(2);
	CU_ASSERT_TRUE(m[0].idle);
	/* Out of the firewall (a request not carried out): not idle. */
	m[0].in_firewall = false;
	POLL(10);
	CU_ASSERT_FALSE(m[0].idle);
#undef POLL
	device_free(d);
	conf_free(c);
}

static void test_mac_parse(void)
{
	static const char *const bad[] = {
		"", "02:00:5e:10:00", "02:00:5e:10:00:011", "02-00-5e-10-00-01",
		"02:00:5e:10:00:0g", " 2:00:5e:10:00:01", "+2:00:5e:10:00:01",
		"02:00:5e:10:00:01 ", "0200:5e:10:00:01:",
	};
	uint8_t mac[6], keep[6] = { 1, 2, 3, 4, 5, 6 };
	char buf[NBR_MACSTRLEN];
	size_t i;

	CU_ASSERT_EQUAL(nbr_mac_parse("02:00:5E:10:00:01", mac), 0);
	CU_ASSERT_EQUAL(memcmp(mac, M1, 6), 0);
	CU_ASSERT_STRING_EQUAL(nbr_mac_format(mac, buf), "02:00:5e:10:00:01");
	CU_ASSERT_EQUAL(nbr_mac_parse("ff:FF:00:aB:9c:10", mac), 0);
	CU_ASSERT_STRING_EQUAL(nbr_mac_format(mac, buf), "ff:ff:00:ab:9c:10");
	CU_ASSERT_EQUAL(nbr_mac_parse(NULL, mac), -1);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memcpy(mac, keep, 6);
		CU_ASSERT_EQUAL(nbr_mac_parse(bad[i], mac), -1);
		CU_ASSERT_EQUAL(memcmp(mac, keep, 6), 0);
	}
}

int main(void)
{
	static const struct tq_test tests[] = {
		{ "plan: the addresses opened", test_plan_open },
		{ "plan: the aliases closed", test_plan_close },
		{ "portal rows' idle clock", test_idle },
		{ "masq.mac text", test_mac_parse },
		{ NULL, NULL }
	};

	return tq_test_main("device", tests);
}
