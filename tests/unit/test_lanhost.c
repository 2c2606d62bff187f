/* test_lanhost.c - one host, one row, LAN hosts only: lanhost_judge(). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lanhost.h"
#include "masq.h"
#include "tq_test.h"
#include "util.h"

#define N 12

static struct store_masq rows[N];
static size_t nrows;
static char why[N][LANHOST_WHY];

static void row(const char *host, const char *name, int open)
{
	struct store_masq *m = &rows[nrows++];

	memset(m, 0, sizeof(*m));
	tq_strlcpy(m->host, host, sizeof(m->host));
	tq_strlcpy(m->name, name, sizeof(m->name));
	m->open = open;
	m->tic = 10;
}

/* The lab's gateway: 198.18.1.1/24, 2001:db8:1::1/64 on the LAN,
 * 198.19.0.1 on the WAN. */
static void lab(struct tq_lan *lan)
{
	struct tq_addr a;

	memset(lan, 0, sizeof(*lan));
	addr_parse("198.18.1.1", &a);
	addr_lan_own(lan, &a);
	addr_lan_net(lan, &a, 24);
	addr_parse("2001:db8:1::1", &a);
	addr_lan_own(lan, &a);
	addr_lan_net(lan, &a, 64);
	addr_parse("198.19.0.1", &a);
	addr_lan_own(lan, &a);
}

static void judge(void)
{
	struct tq_lan lan;

	lab(&lan);
	memset(why, 'x', sizeof(why));
	lanhost_judge(rows, nrows, &lan, why);
	addr_lan_free(&lan);
}

static void reset(void)
{
	memset(rows, 0, sizeof(rows));
	nrows = 0;
}

static void test_aliases(void)
{
	reset();
	row("198.18.1.10", "alice", MASQ_OPENED);
	row("::ffff:198.18.1.10", "bob", MASQ_REQ_OPEN);
	row("::FFFF:C612:10A", "bob", MASQ_OPENED);
	row("2001:db8:1::10", "alice", MASQ_OPENED);
	row("2001:db8:1:0::10", "bob", MASQ_REQ_OPEN);
	row("2001:DB8:1::10", "bob", MASQ_CLOSED);
	row("198.18.1.11", "bob", MASQ_REQ_OPEN);
	judge();
	CU_ASSERT_STRING_EQUAL(why[0], "");
	CU_ASSERT_STRING_EQUAL(why[1],
			       "host 198.18.1.10 is already opened by alice");
	CU_ASSERT_STRING_EQUAL(why[2],
			       "host 198.18.1.10 is already opened by alice");
	CU_ASSERT_STRING_EQUAL(why[3], "");
	CU_ASSERT_STRING_EQUAL(why[4],
			       "host 2001:db8:1::10 is already opened by alice");
	CU_ASSERT_STRING_EQUAL(why[5],
			       "host 2001:db8:1::10 is already opened by alice");
	CU_ASSERT_STRING_EQUAL(why[6], "");
}

/* Which row of one address stays: open == 1 first, then the canonical
 * spelling, then snapshot order. */
static void test_who_holds(void)
{
	/* an opened row in another spelling keeps its host against a
	 * request in the canonical one */
	reset();
	row("2001:db8:1::10", "bob", MASQ_REQ_OPEN);
	row("2001:DB8:1::10", "alice", MASQ_OPENED);
	judge();
	CU_ASSERT_STRING_EQUAL(why[0],
			       "host 2001:db8:1::10 is already opened by alice");
	CU_ASSERT_STRING_EQUAL(why[1], "");

	/* two requests: the canonical spelling, wherever it is */
	reset();
	row("2001:db8:1:0::10", "bob", MASQ_REQ_OPEN);
	row("2001:db8:1::10", "alice", MASQ_REQ_OPEN);
	row("::ffff:198.18.1.20", "bob", MASQ_REQ_OPEN);
	row("198.18.1.20", "carol", MASQ_REQ_OPEN);
	judge();
	CU_ASSERT_STRING_EQUAL(why[0],
			       "host 2001:db8:1::10 is already opened by alice");
	CU_ASSERT_STRING_EQUAL(why[1], "");
	CU_ASSERT_STRING_EQUAL(why[2],
			       "host 198.18.1.20 is already opened by carol");
	CU_ASSERT_STRING_EQUAL(why[3], "");

	/* both opened, neither canonical: the first row */
	reset();
	row("2001:DB8:1::10", "alice", MASQ_OPENED);
	row("2001:db8:1:0::10", "bob", MASQ_OPENED);
	judge();
	CU_ASSERT_STRING_EQUAL(why[0], "");
	CU_ASSERT_STRING_EQUAL(why[1],
			       "host 2001:db8:1::10 is already opened by alice");

	/* a holder without a name (acct deletes it as "bad name") */
	reset();
	row("198.18.1.30", "", MASQ_OPENED);
	row("::ffff:198.18.1.30", "bob", MASQ_REQ_OPEN);
	judge();
	CU_ASSERT_STRING_EQUAL(why[0], "");
	CU_ASSERT_STRING_EQUAL(why[1],
			       "host 198.18.1.30 is already opened by ?");
}

static void test_not_lan_hosts(void)
{
	reset();
	row("198.19.0.100", "carol", MASQ_REQ_OPEN);
	row("198.18.1.0", "carol", MASQ_REQ_OPEN);
	row("198.18.1.255", "carol", MASQ_REQ_OPEN);
	row("::ffff:198.18.1.1", "carol", MASQ_REQ_OPEN);
	row("198.19.0.1", "carol", MASQ_OPENED);
	row("2001:db8:1::", "carol", MASQ_REQ_OPEN);
	/* a refused row holds nothing: the valid alias beside it stays */
	row("198.18.1.40", "carol", MASQ_REQ_OPEN);
	judge();
	CU_ASSERT_STRING_EQUAL(why[0], "outside the LAN's networks "
			       "(198.18.1.0/24, 2001:db8:1::/64)");
	CU_ASSERT_STRING_EQUAL(why[1],
			       "the network address of 198.18.1.0/24");
	CU_ASSERT_STRING_EQUAL(why[2],
			       "the broadcast address of 198.18.1.0/24");
	CU_ASSERT_STRING_EQUAL(why[3], "an address of the gateway itself");
	CU_ASSERT_STRING_EQUAL(why[4], "an address of the gateway itself");
	CU_ASSERT_STRING_EQUAL(why[5], "the subnet-router anycast address "
			       "of 2001:db8:1::/64");
	CU_ASSERT_STRING_EQUAL(why[6], "");
}

/* What acct refuses with its own reasons is left to it. */
static void test_left_to_acct(void)
{
	size_t i;

	reset();
	row("garbage", "alice", MASQ_REQ_OPEN);
	row("", "alice", MASQ_REQ_OPEN);
	row("fe80::1%lan0", "alice", MASQ_REQ_OPEN);
	row("0.0.0.0", "alice", MASQ_REQ_OPEN);
	row("::", "alice", MASQ_REQ_OPEN);
	row("224.0.0.1", "alice", MASQ_REQ_OPEN);
	row("fe80::1", "alice", MASQ_REQ_OPEN);
	row("198.18.1.50", "alice", 7);		/* bad open code: acct's */
	row("198.18.1.51", "", MASQ_REQ_OPEN);	/* bad name: acct's */
	rows[nrows - 1].free = 9;
	row("198.18.1.52", "alice", MASQ_REQ_OPEN);
	rows[nrows - 1].host_toolong = true;
	judge();
	for (i = 0; i < nrows; i++)
		CU_ASSERT_STRING_EQUAL(why[i], "");
}

static const struct tq_test tests[] = {
	{ "other spellings of an opened host", test_aliases },
	{ "which row holds a host", test_who_holds },
	{ "no LAN host: outside, network, own", test_not_lan_hosts },
	{ "bad hosts and codes left to acct", test_left_to_acct },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("lanhost", tests);
}
