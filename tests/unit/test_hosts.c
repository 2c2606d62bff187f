/* test_hosts.c - what the daemon put in the firewall: hosts kept sorted
 * and unique whatever the order they come in, found by binary search,
 * their counters kept across an update; blocked uids each once. */
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
		{ "blocked uids", test_uids },
		{ NULL, NULL }
	};

	return tq_test_main("hosts", tests);
}
