/* test_hosts.c - what the daemon put in the firewall: hosts kept sorted
 * and unique whatever the order they come in, found by binary search,
 * their counters kept across an update; aliases found by their owner;
 * blocked uids each once. */
#include <stdlib.h>
#include <string.h>

#include "hosts.h"
#include "tq_test.h"
#include "util.h"

static struct nftb_host nh(const char *a)
{
	struct nftb_host h;

	memset(&h, 0, sizeof(h));
	CU_ASSERT_EQUAL(addr_parse(a, &h.addr), 0);
	return h;
}

static void test_sorted(void)
{
	static const char *const in[] = {
		"198.18.1.30", "2001:db8:1::10", "198.18.1.2", "198.18.1.10",
		"198.18.1.30", "10.0.0.1",
	};
	static const char *const want[] = {
		"10.0.0.1", "198.18.1.2", "198.18.1.10", "198.18.1.30",
		"2001:db8:1::10",
	};
	struct hosts *h = hosts_new();
	struct nftb_host e, *v;
	char buf[TQ_ADDRSTRLEN];
	size_t i;

	CU_ASSERT_EQUAL(hosts_count(h), 0);
	e = nh("198.18.1.10");
	CU_ASSERT_PTR_NULL(hosts_find(h, &e.addr));
	v = hosts_array(h);	/* never NULL, even empty */
	CU_ASSERT_PTR_NOT_NULL(v);
	free(v);
	for (i = 0; i < ARRAY_SIZE(in); i++) {
		e = nh(in[i]);
		hosts_add(h, &e, "alice");
	}
	CU_ASSERT_EQUAL_FATAL(hosts_count(h), ARRAY_SIZE(want));
	v = hosts_array(h);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		CU_ASSERT_STRING_EQUAL(addr_format(&hosts_at(h, i)->addr, buf,
						   sizeof(buf)), want[i]);
		CU_ASSERT(addr_equal(&v[i].addr, &hosts_at(h, i)->addr));
		e = nh(want[i]);
		CU_ASSERT_PTR_EQUAL(hosts_find(h, &e.addr), hosts_at(h, i));
	}
	free(v);
	e = nh("198.18.1.10");
	hosts_del(h, &e.addr);
	hosts_del(h, &e.addr);		/* absent: nothing */
	CU_ASSERT_EQUAL(hosts_count(h), ARRAY_SIZE(want) - 1);
	CU_ASSERT_PTR_NULL(hosts_find(h, &e.addr));
	e = nh("198.18.1.30");
	CU_ASSERT_PTR_NOT_NULL(hosts_find(h, &e.addr));
	hosts_free(h);
}

/* Adding a host again updates its binding and name, not its counters. */
static void test_update(void)
{
	struct hosts *h = hosts_new();
	struct hosts_entry *x;
	struct nftb_host e = nh("198.18.1.10");

	hosts_add(h, &e, NULL);
	x = hosts_find(h, &e.addr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_STRING_EQUAL(x->name, "");
	CU_ASSERT_FALSE(x->has_mac);
	x->conns = 3;
	x->packets = 99;
	e.has_mac = true;
	e.mac[5] = 0x42;
	hosts_add(h, &e, "bob");
	CU_ASSERT_EQUAL(hosts_count(h), 1);
	x = hosts_find(h, &e.addr);
	CU_ASSERT_STRING_EQUAL(x->name, "bob");
	CU_ASSERT(x->has_mac);
	CU_ASSERT_EQUAL(x->mac[5], 0x42);
	CU_ASSERT_EQUAL(x->conns, 3);
	CU_ASSERT_EQUAL(x->packets, 99);
	hosts_free(h);
}

/* Aliases: found by their owner, in address order; a row's host over an
 * alias, or its deletion, takes it out of the index. */
static void test_aliases(void)
{
	struct hosts *h = hosts_new();
	struct nftb_host o1 = nh("198.18.1.10"), o2 = nh("198.18.1.11");
	struct nftb_host a1 = nh("2001:db8:1::10"), a2 = nh("2001:db8:1::a");
	struct nftb_host b1 = nh("2001:db8:1::11");
	const struct hosts_alias *al;
	struct hosts_entry *x;
	size_t n;

	hosts_add(h, &o1, "alice");
	hosts_add(h, &o2, "bob");
	al = hosts_aliases(h, &o1.addr, &n);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(al);
	hosts_add_alias(h, &a1, &o1.addr, "alice");
	hosts_add_alias(h, &b1, &o2.addr, "bob");
	hosts_add_alias(h, &a2, &o1.addr, "alice");
	hosts_add_alias(h, &a2, &o1.addr, "alice");	/* again: once */
	CU_ASSERT_EQUAL(hosts_count(h), 5);
	al = hosts_aliases(h, &o1.addr, &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT(addr_equal(&al[0].addr, &a2.addr));	/* ::a < ::10 */
	CU_ASSERT(addr_equal(&al[1].addr, &a1.addr));
	CU_ASSERT(addr_equal(&al[0].owner, &o1.addr));
	al = hosts_aliases(h, &o2.addr, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT(addr_equal(&al[0].addr, &b1.addr));
	x = hosts_find(h, &a1.addr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_TRUE(x->alias);
	CU_ASSERT(addr_equal(&x->owner, &o1.addr));
	CU_ASSERT_FALSE(hosts_find(h, &o1.addr)->alias);
	/* An alias moved to another owner. */
	hosts_add_alias(h, &a1, &o2.addr, "bob");
	hosts_aliases(h, &o1.addr, &n);
	CU_ASSERT_EQUAL(n, 1);
	hosts_aliases(h, &o2.addr, &n);
	CU_ASSERT_EQUAL(n, 2);
	/* A row names it: the row's host now. */
	hosts_add(h, &a1, "carol");
	x = hosts_find(h, &a1.addr);
	CU_ASSERT_FALSE(x->alias);
	CU_ASSERT_STRING_EQUAL(x->name, "carol");
	hosts_aliases(h, &o2.addr, &n);
	CU_ASSERT_EQUAL(n, 1);
	hosts_del(h, &b1.addr);
	CU_ASSERT_PTR_NULL(hosts_aliases(h, &o2.addr, &n));
	CU_ASSERT_EQUAL(n, 0);
	/* An owner gone leaves its aliases (device.c closes them). */
	hosts_del(h, &o1.addr);
	hosts_aliases(h, &o1.addr, &n);
	CU_ASSERT_EQUAL(n, 1);
	hosts_free(h);
}

static void test_uids(void)
{
	struct hosts *h = hosts_new();
	const unsigned *u;
	size_t n;

	u = hosts_uids(h, &n);
	CU_ASSERT_EQUAL(n, 0);
	hosts_uid_add(h, 1001);
	hosts_uid_add(h, 1002);
	hosts_uid_add(h, 1001);
	u = hosts_uids(h, &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(u[0], 1001);
	CU_ASSERT_EQUAL(u[1], 1002);
	CU_ASSERT(hosts_uid_blocked(h, 1002));
	hosts_uid_del(h, 1001);
	hosts_uid_del(h, 1003);		/* absent: nothing */
	CU_ASSERT_FALSE(hosts_uid_blocked(h, 1001));
	u = hosts_uids(h, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(u[0], 1002);
	hosts_free(h);
}

int main(void)
{
	static const struct tq_test tests[] = {
		{ "sorted, unique, found", test_sorted },
		{ "an update keeps the counters", test_update },
		{ "aliases by owner", test_aliases },
		{ "blocked uids", test_uids },
		{ NULL, NULL }
	};

	return tq_test_main("hosts", tests);
}
