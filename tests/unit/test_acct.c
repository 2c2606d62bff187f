/* test_acct.c - the accounting core with hand-made polls, exact values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "acct.h"
#include "conf.h"
#include "tq_test.h"
#include "util.h"

/*
 * period 5, default rate 2, 4 on weekdays 08:00-18:00; free access on
 * weekdays 08:00-18:00; free users "free" (the pseudo-user) and "teacher";
 * min_quota 0; heartbeat 3.
 */
static const char CONF[] =
	"daemon = { period = 5; heartbeat_tics = 3; };\n"
	"quota = { min_quota = 0; min_uid = 1000;\n"
	"          free_users = [ \"free\", \"teacher\" ]; };\n"
	"rates = { default = 2; tariffs = ( { days = \"mon-fri\";\n"
	"          from = \"08:00\"; to = \"18:00\"; rate = 4; } ); };\n"
	"free_access = { days = \"mon-fri\"; from = \"08:00\";\n"
	"                to = \"18:00\"; };\n";

static struct tq_conf *conf;

static struct tq_conf *load(const char *text)
{
	char err[256] = "";
	struct tq_conf *c = conf_load_string(text, "test", err, sizeof(err));

	if (!c)
		fprintf(stderr, "conf: %s\n", err);
	return c;
}

/* Local time: wday 1 = Monday, 6 = Saturday. */
static struct tm at(int wday, int hour, int min)
{
	struct tm t;

	memset(&t, 0, sizeof(t));
	t.tm_year = 126;
	t.tm_mon = 10;
	t.tm_mday = 22 + wday;
	t.tm_wday = wday;
	t.tm_hour = hour;
	t.tm_min = min;
	return t;
}

#define MONDAY_EVENING at(1, 20, 0)	/* rate 2, no free access */
#define MONDAY_MORNING at(1, 10, 0)	/* rate 4, free access */

static struct acct_in input(struct tm now)
{
	struct acct_in in;

	memset(&in, 0, sizeof(in));
	in.conf = conf;
	in.now = now;
	in.link_up = true;
	return in;
}

/* An open, paid host with traffic since the last poll. */
static struct acct_masq busy(const char *host, const char *name)
{
	struct acct_masq m = {
		.host = host, .name = name, .open = MASQ_OPENED, .tic = 3,
		.free = MASQ_PAID, .in_firewall = true, .conns = 2,
		.packets = 150, .prev_packets = 100,
	};
	return m;
}

static struct acct_masq idle(const char *host, const char *name)
{
	struct acct_masq m = busy(host, name);

	m.conns = 0;
	m.packets = m.prev_packets = 100;
	return m;
}

static struct acct_user U(const char *name, long long quota, bool allowed)
{
	struct acct_user u = { .name = name, .quota = quota,
			       .allowed = allowed, .in_tcptab = true };
	return u;
}

#define RUN(in, out) CU_ASSERT_EQUAL(acct_poll(&(in), &(out)), 0)
#define SET(in, field, arr) \
	do { (in).field = (arr); (in).n_##field = ARRAY_SIZE(arr); } while (0)

static const struct acct_row *row(const struct acct_out *o, size_t idx)
{
	size_t i;

	for (i = 0; i < o->n_rows; i++)
		if (o->rows[i].idx == idx)
			return &o->rows[i];
	return NULL;
}

static long long debit(const struct acct_out *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n_debits; i++)
		if (!strcmp(o->debits[i].name, name))
			return o->debits[i].amount;
	return -1;
}

static const struct acct_cut *cut(const struct acct_out *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n_cuts; i++)
		if (!strcmp(o->cuts[i].name, name))
			return &o->cuts[i];
	return NULL;
}

static bool is_dropped(const struct acct_out *o, size_t idx,
		       const char *why, bool fw_close)
{
	const struct acct_row *r = row(o, idx);

	return r && r->del && r->fw_close == fw_close && !r->fw_open &&
	       !r->set_open && !r->tic_dec && !r->charged &&
	       !strcmp(r->why, why);
}

/* ---- acct_charge ------------------------------------------------------- */

static void test_charge(void)
{
	CU_ASSERT_EQUAL(acct_charge(5, 2, 0), 0);
	CU_ASSERT_EQUAL(acct_charge(5, 2, 1), 11);
	CU_ASSERT_EQUAL(acct_charge(5, 2, 2), 6);
	CU_ASSERT_EQUAL(acct_charge(5, 2, 3), 4);
	CU_ASSERT_EQUAL(acct_charge(5, 2, 5), 3);
	CU_ASSERT_EQUAL(acct_charge(5, 2, 10), 2);
	CU_ASSERT_EQUAL(acct_charge(5, 2, 11), 1);
	CU_ASSERT_EQUAL(acct_charge(5, 4, 1), 21);
	CU_ASSERT_EQUAL(acct_charge(5, 4, 3), 7);
	CU_ASSERT_EQUAL(acct_charge(5, 1.5, 1), 8);
	CU_ASSERT_EQUAL(acct_charge(5, 1.5, 2), 4);
	CU_ASSERT_EQUAL(acct_charge(5, 1.5, 3), 3);
	CU_ASSERT_EQUAL(acct_charge(5, 0.1, 1), 1);
	CU_ASSERT_EQUAL(acct_charge(30, 0.1, 1), 4);
	CU_ASSERT_EQUAL(acct_charge(20, 0.1, 2), 2);	/* exactly 1 */
	/* the decimal the admin wrote, not its binary neighbour */
	CU_ASSERT_EQUAL(acct_charge(100, 0.29, 1), 30);	/* 28.999999... */
	CU_ASSERT_EQUAL(acct_charge(10, 0.3, 3), 2);	/* 0.99999999... */
	CU_ASSERT_EQUAL(acct_charge(100, 0.07, 7), 2);
	CU_ASSERT_EQUAL(acct_charge(3600, 4, 1), 14401);
	CU_ASSERT_EQUAL(acct_charge(3600, 0.1, 360), 2);
	/* degenerate rates and periods: the original's "+ 1" only */
	CU_ASSERT_EQUAL(acct_charge(5, 0, 1), 1);
	CU_ASSERT_EQUAL(acct_charge(0, 2, 1), 1);
	CU_ASSERT_EQUAL(acct_charge(5, -3, 1), 1);
	CU_ASSERT_EQUAL(acct_charge(5, NAN, 2), 1);
	/* absurd rates stay in range */
	CU_ASSERT_EQUAL(acct_charge(5, 1e300, 1), 1000000000000001LL);
	CU_ASSERT_EQUAL(acct_charge(5, INFINITY, 4), 250000000000001LL);
	CU_ASSERT_STRING_EQUAL(acct_cut_reason_str(ACCT_CUT_NO_QUOTA),
			       "no quota");
	CU_ASSERT_STRING_EQUAL(acct_cut_reason_str(ACCT_CUT_NOT_ALLOWED),
			       "not allowed");
}

/* ---- who is online, the charge ----------------------------------------- */

static void test_one_online(void)
{
	struct acct_user users[] = { U("alice", 1000, true) };
	struct acct_masq masq[] = { busy("198.18.1.10", "alice") };
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;
	const struct acct_row *r;

	masq[0].conns = 3;
	SET(in, users, users);
	SET(in, masq, masq);
	RUN(in, out);
	CU_ASSERT_DOUBLE_EQUAL(out.rate, 2, 1e-12);
	CU_ASSERT_EQUAL(out.n_online, 1);
	CU_ASSERT_EQUAL(out.each, 11);
	CU_ASSERT_EQUAL(out.total, 11);
	CU_ASSERT_EQUAL_FATAL(out.n_debits, 1);
	CU_ASSERT_STRING_EQUAL(out.debits[0].name, "alice");
	CU_ASSERT_PTR_EQUAL(out.debits[0].name, users[0].name);
	CU_ASSERT_EQUAL(out.debits[0].amount, 11);
	CU_ASSERT_EQUAL(out.n_cuts, 0);
	CU_ASSERT_EQUAL(out.n_unblock, 0);
	CU_ASSERT_EQUAL(out.n_bad_rows, 0);
	CU_ASSERT_EQUAL_FATAL(out.n_rows, 1);
	r = &out.rows[0];
	CU_ASSERT_EQUAL(r->idx, 0);
	CU_ASSERT_TRUE(r->charged && r->set_cnts && r->tic_dec);
	CU_ASSERT_EQUAL(r->cnts, 3);
	CU_ASSERT_FALSE(r->fw_open || r->fw_close || r->del || r->set_open);
	CU_ASSERT_TRUE(r->addr_ok);
	CU_ASSERT_EQUAL(r->addr.family, AF_INET);
	CU_ASSERT_EQUAL(r->addr.a[3], 10);
	CU_ASSERT_STRING_EQUAL(r->why, "online");
	acct_out_free(&out);
	CU_ASSERT_PTR_NULL(out.rows);
	CU_ASSERT_EQUAL(out.n_rows, 0);
}

static void test_two_three_online(void)
{
	struct acct_user users[] = {
		U("carol", 500, true), U("bob", 500, true),
		U("alice", 500, true),
	};
	/* in reverse order: the output is sorted by name anyway */
	struct acct_masq masq[] = {
		busy("198.18.1.11", "bob"), busy("198.18.1.10", "alice"),
	};
	struct acct_local locals[] = {
		{ .uid = 1002, .name = "carol", .socks = 2 },
	};
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;

	SET(in, users, users);
	SET(in, masq, masq);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, 2);
	CU_ASSERT_EQUAL(out.each, 6);
	CU_ASSERT_EQUAL(out.total, 12);
	CU_ASSERT_EQUAL_FATAL(out.n_debits, 2);
	CU_ASSERT_STRING_EQUAL(out.debits[0].name, "alice");
	CU_ASSERT_STRING_EQUAL(out.debits[1].name, "bob");
	CU_ASSERT_EQUAL(out.debits[1].amount, 6);
	acct_out_free(&out);

	SET(in, locals, locals);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, 3);
	CU_ASSERT_EQUAL(out.each, 4);		/* floor(10 / 3) + 1 */
	CU_ASSERT_EQUAL(out.total, 12);
	CU_ASSERT_EQUAL_FATAL(out.n_debits, 3);
	CU_ASSERT_STRING_EQUAL(out.debits[0].name, "alice");
	CU_ASSERT_STRING_EQUAL(out.debits[1].name, "bob");
	CU_ASSERT_STRING_EQUAL(out.debits[2].name, "carol");
	CU_ASSERT_EQUAL(debit(&out, "carol"), 4);
	CU_ASSERT_EQUAL(out.n_cuts, 0);
	CU_ASSERT_EQUAL(out.n_rows, 2);
	CU_ASSERT_TRUE(row(&out, 0)->charged && row(&out, 1)->charged);
	acct_out_free(&out);
}

/* One user with two hosts and local sockets pays once. */
static void test_user_counts_once(void)
{
	struct acct_user users[] = { U("alice", 500, true) };
	struct acct_masq masq[] = {
		busy("198.18.1.10", "alice"), busy("2001:db8:1::10", "alice"),
	};
	struct acct_local locals[] = {
		{ .uid = 1000, .name = "alice", .socks = 4 },
	};
	struct acct_in in = input(MONDAY_MORNING);
	struct acct_out out;

	SET(in, users, users);
	SET(in, masq, masq);
	SET(in, locals, locals);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, 1);
	CU_ASSERT_EQUAL(out.each, 21);		/* rate 4 */
	CU_ASSERT_EQUAL(out.total, 21);
	CU_ASSERT_EQUAL(out.n_debits, 1);
	CU_ASSERT_EQUAL(debit(&out, "alice"), 21);
	CU_ASSERT_EQUAL_FATAL(out.n_rows, 2);
	CU_ASSERT_TRUE(row(&out, 0)->charged && row(&out, 1)->charged);
	CU_ASSERT_EQUAL(row(&out, 1)->addr.family, AF_INET6);
	acct_out_free(&out);
}

/* A free user is charged (balance as a record) but never cut. */
static void test_free_user_online(void)
{
	struct acct_user users[] = {
		U("alice", 500, true), U("teacher", -40, false),
	};
	struct acct_masq masq[] = {
		busy("198.18.1.10", "alice"), busy("198.18.1.11", "teacher"),
	};
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;

	SET(in, users, users);
	SET(in, masq, masq);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, 2);
	CU_ASSERT_EQUAL(out.each, 6);
	CU_ASSERT_EQUAL(debit(&out, "alice"), 6);
	CU_ASSERT_EQUAL(debit(&out, "teacher"), 6);
	CU_ASSERT_EQUAL(out.n_cuts, 0);
	CU_ASSERT_FALSE(row(&out, 1)->del);
	CU_ASSERT_TRUE(row(&out, 1)->charged);
	acct_out_free(&out);
}

/* Free and admin rows pay with the pseudo-user, once for all of them. */
static void test_free_pseudo_user_once(void)
{
	struct acct_user users[] = { U("alice", 500, true) };
	struct acct_masq masq[] = {
		busy("198.18.1.20", "teacher"), busy("198.18.1.21", "teacher"),
		busy("198.18.1.22", NULL), busy("198.18.1.23", "root"),
		busy("198.18.1.10", "alice"), idle("198.18.1.24", "teacher"),
	};
	struct acct_in in = input(MONDAY_MORNING);
	struct acct_out out;
	size_t i;

	masq[0].free = masq[1].free = masq[2].free = MASQ_FREE;
	masq[5].free = MASQ_FREE;
	masq[3].free = MASQ_ADMIN;
	masq[0].tic = masq[1].tic = masq[2].tic = masq[3].tic = 0;
	SET(in, users, users);
	SET(in, masq, masq);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, 2);
	CU_ASSERT_EQUAL(out.each, 11);		/* floor(5 * 4 / 2) + 1 */
	CU_ASSERT_EQUAL(out.total, 22);
	CU_ASSERT_EQUAL_FATAL(out.n_debits, 2);
	CU_ASSERT_STRING_EQUAL(out.debits[0].name, "alice");
	CU_ASSERT_STRING_EQUAL(out.debits[1].name, "free");
	CU_ASSERT_EQUAL(out.n_cuts, 0);
	/* every busy row charged; free rows have no heartbeat */
	CU_ASSERT_EQUAL(out.n_rows, 5);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_TRUE(row(&out, i)->charged);
		CU_ASSERT_FALSE(row(&out, i)->tic_dec);
		CU_ASSERT_FALSE(row(&out, i)->del);
	}
	CU_ASSERT_PTR_NULL(row(&out, 5));	/* idle free row: no change */
	acct_out_free(&out);
}

static void test_no_traffic_no_charge(void)
{
	struct acct_user users[] = { U("alice", 500, true) };
	struct acct_masq masq[] = {
		idle("198.18.1.10", "alice"), busy("198.18.1.11", "alice"),
	};
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;

	SET(in, users, users);
	in.masq = masq;
	in.n_masq = 1;
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, 0);
	CU_ASSERT_EQUAL(out.each, 0);
	CU_ASSERT_EQUAL(out.total, 0);
	CU_ASSERT_EQUAL(out.n_debits, 0);
	CU_ASSERT_PTR_NULL(out.debits);
	CU_ASSERT_EQUAL_FATAL(out.n_rows, 1);
	CU_ASSERT_TRUE(out.rows[0].tic_dec);
	CU_ASSERT_FALSE(out.rows[0].charged || out.rows[0].set_cnts);
	CU_ASSERT_STRING_EQUAL(out.rows[0].why, "heartbeat");
	acct_out_free(&out);

	/* A total that went down moved too (connections ended, new ones
	 * carried traffic): charged. */
	masq[0].packets = 40;
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, 1);
	acct_out_free(&out);

	/* Closed (open 0) and requested rows are not online. */
	masq[1].open = MASQ_CLOSED;
	masq[1].in_firewall = false;
	in.masq = masq + 1;
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, 0);
	acct_out_free(&out);
	masq[1].open = MASQ_REQ_CLOSE;
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, 0);
	acct_out_free(&out);
}

static void test_link_down(void)
{
	struct acct_user users[] = {
		U("alice", 500, true), U("dave", 500, false),
	};
	struct acct_masq masq[] = {
		busy("198.18.1.10", "alice"), busy("198.18.1.11", "dave"),
		idle("198.18.1.12", "alice"),
	};
	struct acct_local locals[] = {
		{ .uid = 1000, .name = "alice", .socks = 4 },
	};
	struct acct_in in = input(MONDAY_MORNING);
	struct acct_out out;

	masq[2].open = MASQ_REQ_OPEN;
	masq[2].in_firewall = false;
	SET(in, users, users);
	SET(in, masq, masq);
	SET(in, locals, locals);
	in.link_up = false;
	RUN(in, out);
	CU_ASSERT_DOUBLE_EQUAL(out.rate, 4, 1e-12);
	CU_ASSERT_EQUAL(out.n_online, 0);
	CU_ASSERT_EQUAL(out.each, 0);
	CU_ASSERT_EQUAL(out.total, 0);
	CU_ASSERT_EQUAL(out.n_debits, 0);
	CU_ASSERT_EQUAL(out.n_rows, 3);
	CU_ASSERT_FALSE(row(&out, 0)->charged);
	CU_ASSERT_TRUE(row(&out, 0)->tic_dec);
	CU_ASSERT_TRUE(is_dropped(&out, 1, "cut off: not allowed", true));
	CU_ASSERT_TRUE(row(&out, 2)->fw_open && row(&out, 2)->set_open);
	CU_ASSERT_EQUAL(row(&out, 2)->open, MASQ_OPENED);
	CU_ASSERT_EQUAL_FATAL(out.n_cuts, 1);
	CU_ASSERT_STRING_EQUAL(out.cuts[0].name, "dave");
	CU_ASSERT_EQUAL(out.cuts[0].quota, 500);
	acct_out_free(&out);
}

/* ---- cut-offs ------------------------------------------------------------ */

static void test_min_quota_edge(void)
{
	/* two online: each 6; alice ends at exactly min_quota, bob one
	 * above */
	struct acct_user users[] = { U("alice", 6, true), U("bob", 7, true) };
	struct acct_masq masq[] = {
		busy("198.18.1.10", "alice"), busy("198.18.1.11", "bob"),
		idle("2001:db8:1::10", "alice"),
	};
	struct acct_local locals[] = {
		{ .uid = 1001, .name = "bob", .socks = 0 },
		{ .uid = 1000, .name = "alice", .socks = 1 },
	};
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;

	masq[2].in_firewall = false;
	SET(in, users, users);
	SET(in, masq, masq);
	SET(in, locals, locals);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.each, 6);
	CU_ASSERT_EQUAL(out.n_debits, 2);
	CU_ASSERT_EQUAL_FATAL(out.n_cuts, 1);
	CU_ASSERT_STRING_EQUAL(out.cuts[0].name, "alice");
	CU_ASSERT_EQUAL(out.cuts[0].reason, ACCT_CUT_NO_QUOTA);
	CU_ASSERT_EQUAL(out.cuts[0].quota, 0);
	CU_ASSERT_TRUE(out.cuts[0].has_uid);
	CU_ASSERT_EQUAL(out.cuts[0].uid, 1000);
	CU_ASSERT_TRUE(is_dropped(&out, 0, "cut off: no quota", true));
	CU_ASSERT_TRUE(is_dropped(&out, 2, "cut off: no quota", false));
	CU_ASSERT_FALSE(row(&out, 1)->del);
	CU_ASSERT_TRUE(row(&out, 1)->charged);
	CU_ASSERT_EQUAL(out.n_rows, 3);
	acct_out_free(&out);

	/* A non-default min_quota. */
	{
		struct tq_conf *saved = conf, *c = load(
			"quota = { min_quota = -10; };\n");

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		conf = c;
		in = input(MONDAY_EVENING);
		users[0].quota = -4;	/* -10 after the debit: cut */
		users[1].quota = -3;	/* -9: stays */
		SET(in, users, users);
		in.masq = masq;
		in.n_masq = 2;
		RUN(in, out);
		CU_ASSERT_EQUAL(out.each, 6);
		CU_ASSERT_EQUAL_FATAL(out.n_cuts, 1);
		CU_ASSERT_STRING_EQUAL(out.cuts[0].name, "alice");
		CU_ASSERT_EQUAL(out.cuts[0].quota, -10);
		CU_ASSERT_FALSE(out.cuts[0].has_uid);
		acct_out_free(&out);
		conf = saved;
		conf_free(c);
	}
}

static void test_not_allowed(void)
{
	struct acct_user users[] = {
		U("alice", 500, true), U("dave", 1000, false),
		U("frank", 0, true),
	};
	struct acct_masq masq[] = {
		busy("198.18.1.10", "dave"), busy("198.18.1.11", "alice"),
		idle("198.18.1.12", "frank"),
	};
	struct acct_local locals[] = {
		{ .uid = 1005, .name = "erin", .socks = 1 },	/* no row */
		{ .uid = 1006, .name = NULL, .socks = 9 },	/* no passwd */
	};
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;

	users[2].in_tcptab = false;	/* only in allowed: quota 0 */
	SET(in, users, users);
	SET(in, masq, masq);
	SET(in, locals, locals);
	RUN(in, out);
	/* only alice is online: erin, unknown, is cut but not debited */
	CU_ASSERT_EQUAL(out.n_online, 1);
	CU_ASSERT_EQUAL(out.each, 11);
	CU_ASSERT_EQUAL_FATAL(out.n_debits, 1);
	CU_ASSERT_STRING_EQUAL(out.debits[0].name, "alice");
	CU_ASSERT_EQUAL_FATAL(out.n_cuts, 3);
	CU_ASSERT_STRING_EQUAL(out.cuts[0].name, "dave");
	CU_ASSERT_EQUAL(out.cuts[0].reason, ACCT_CUT_NOT_ALLOWED);
	CU_ASSERT_EQUAL(out.cuts[0].quota, 1000);
	CU_ASSERT_FALSE(out.cuts[0].has_uid);
	CU_ASSERT_STRING_EQUAL(out.cuts[1].name, "erin");
	CU_ASSERT_EQUAL(out.cuts[1].reason, ACCT_CUT_NOT_ALLOWED);
	CU_ASSERT_EQUAL(out.cuts[1].quota, 0);
	CU_ASSERT_TRUE(out.cuts[1].has_uid);
	CU_ASSERT_EQUAL(out.cuts[1].uid, 1005);
	CU_ASSERT_STRING_EQUAL(out.cuts[2].name, "frank");
	CU_ASSERT_EQUAL(out.cuts[2].reason, ACCT_CUT_NO_QUOTA);
	CU_ASSERT_EQUAL(out.cuts[2].quota, 0);
	CU_ASSERT_PTR_NULL(cut(&out, "alice"));
	CU_ASSERT_PTR_NOT_NULL(cut(&out, "frank"));
	CU_ASSERT_TRUE(is_dropped(&out, 0, "cut off: not allowed", true));
	CU_ASSERT_FALSE(row(&out, 0)->charged);	/* dave's traffic: free */
	CU_ASSERT_TRUE(is_dropped(&out, 2, "cut off: no quota", true));
	CU_ASSERT_TRUE(row(&out, 1)->charged);
	acct_out_free(&out);
}

/* ---- requests and bad rows -------------------------------------------- */

static void test_requests(void)
{
	struct acct_user users[] = {
		U("alice", 500, true), U("bob", 0, true), U("dave", 500, false),
	};
	struct acct_masq masq[] = {
		{ .host = "198.18.1.10", .name = "alice", .open = 2, .tic = 3 },
		{ .host = "198.18.1.11", .name = "bob", .open = 2, .tic = 3 },
		{ .host = "198.18.1.12", .name = "dave", .open = 2, .tic = 3 },
		{ .host = "198.18.1.13", .name = "teacher", .open = 2 },
		{ .host = "198.18.1.14", .name = "x", .open = 2, .free = 1 },
		{ .host = "198.18.1.15", .name = "x", .open = 2, .free = 2 },
		{ .host = "198.18.1.16", .name = "alice", .open = 3, .tic = 3,
		  .in_firewall = true, .packets = 9, .prev_packets = 1 },
		{ .host = "198.18.1.17", .name = "alice", .open = 3, .tic = 3 },
		{ .host = "2001:db8:1::10", .name = "alice", .open = 2,
		  .in_firewall = true, .tic = 3 },
		{ .host = "::ffff:198.18.1.18", .name = "alice", .open = 2 },
		{ .host = "198.18.1.19", .name = "bob", .open = 2,
		  .in_firewall = true },
	};
	struct acct_in in = input(MONDAY_MORNING);
	struct acct_out out;
	const struct acct_row *r;
	size_t i;

	SET(in, users, users);
	SET(in, masq, masq);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_bad_rows, 0);
	CU_ASSERT_EQUAL(out.n_online, 0);	/* requests are not online */
	CU_ASSERT_EQUAL(out.n_rows, ARRAY_SIZE(masq));
	for (i = 0; i < out.n_rows; i++) {
		CU_ASSERT_EQUAL(out.rows[i].idx, i);	/* by index */
		CU_ASSERT_TRUE(out.rows[i].addr_ok);
		CU_ASSERT_PTR_NOT_NULL(out.rows[i].why);
	}
	for (i = 0; i < ARRAY_SIZE(masq); i++) {
		if (i == 1 || i == 2 || i == 6 || i == 7 || i == 10)
			continue;
		r = row(&out, i);
		CU_ASSERT_TRUE(r->fw_open && r->set_open && !r->del &&
			       !r->fw_close && !r->tic_dec);
		CU_ASSERT_EQUAL(r->open, MASQ_OPENED);
		CU_ASSERT_STRING_EQUAL(r->why, "open request");
	}
	CU_ASSERT_TRUE(is_dropped(&out, 1, "refused: no quota", false));
	CU_ASSERT_TRUE(is_dropped(&out, 2, "refused: not allowed", false));
	CU_ASSERT_TRUE(is_dropped(&out, 10, "refused: no quota", true));
	r = row(&out, 6);
	CU_ASSERT_TRUE(r->fw_close && r->set_open && !r->del && !r->charged);
	CU_ASSERT_EQUAL(r->open, MASQ_CLOSED);
	CU_ASSERT_STRING_EQUAL(r->why, "close request");
	r = row(&out, 7);
	CU_ASSERT_TRUE(!r->fw_close && r->set_open && !r->del);
	CU_ASSERT_EQUAL(r->open, MASQ_CLOSED);
	CU_ASSERT_EQUAL(row(&out, 8)->addr.family, AF_INET6);
	CU_ASSERT_EQUAL(row(&out, 9)->addr.family, AF_INET);
	CU_ASSERT_EQUAL(row(&out, 9)->addr.a[3], 18);
	/* A refused request is not a cut-off (openhost says why). */
	CU_ASSERT_EQUAL(out.n_cuts, 0);
	acct_out_free(&out);

	/* Outside free hours the free=1 request is refused; admin is not. */
	in.now = MONDAY_EVENING;
	RUN(in, out);
	CU_ASSERT_TRUE(is_dropped(&out, 4, "outside free hours", false));
	CU_ASSERT_TRUE(row(&out, 5)->fw_open);
	acct_out_free(&out);
}

static void test_bad_rows(void)
{
	struct acct_user users[] = { U("alice", 500, true) };
	struct acct_masq masq[] = {
		{ .host = "not-an-ip", .name = "alice", .open = 2 },
		{ .host = "198.18.1.300", .name = "alice", .open = 1,
		  .tic = 3, .packets = 5 },
		{ .host = NULL, .name = "alice", .open = 1, .tic = 3 },
		{ .host = "", .name = "alice", .open = 0, .tic = 3 },
		{ .host = "198.18.1.10", .name = "alice", .open = 7, .tic = 3,
		  .in_firewall = true },
		{ .host = "198.18.1.11", .name = "alice", .open = -1 },
		{ .host = "198.18.1.12", .name = "alice", .open = 1, .free = 5,
		  .tic = 3, .in_firewall = true },
		{ .host = "198.18.1.13", .name = NULL, .open = 2 },
		{ .host = "198.18.1.14", .name = "", .open = 1, .tic = 3 },
		{ .host = " 198.18.1.15", .name = "alice", .open = 2 },
		{ .host = "fe80::1%eth0", .name = "alice", .open = 2 },
		{ .host = "198.18.1.16", .name = "alice", .open = 2 },
	};
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;
	size_t i;

	SET(in, users, users);
	SET(in, masq, masq);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_bad_rows, 11);
	CU_ASSERT_EQUAL(out.n_rows, 12);
	CU_ASSERT_EQUAL(out.n_online, 0);
	CU_ASSERT_EQUAL(out.n_cuts, 0);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_TRUE(is_dropped(&out, i, "bad host", false));
		CU_ASSERT_FALSE(row(&out, i)->addr_ok);
	}
	CU_ASSERT_TRUE(is_dropped(&out, 4, "bad open code", true));
	CU_ASSERT_TRUE(row(&out, 4)->addr_ok);
	CU_ASSERT_TRUE(is_dropped(&out, 5, "bad open code", false));
	CU_ASSERT_TRUE(is_dropped(&out, 6, "bad free code", true));
	CU_ASSERT_TRUE(is_dropped(&out, 7, "bad name", false));
	CU_ASSERT_TRUE(is_dropped(&out, 8, "bad name", false));
	CU_ASSERT_TRUE(is_dropped(&out, 9, "bad host", false));
	CU_ASSERT_TRUE(is_dropped(&out, 10, "bad host", false));
	CU_ASSERT_TRUE(row(&out, 11)->fw_open);
	acct_out_free(&out);
}

/* ---- heartbeat and repair ------------------------------------------------ */

/* Apply one poll's row decisions to the rows, as the database would. */
static void apply(struct acct_masq *m, size_t n, const struct acct_out *o,
		  bool *gone)
{
	size_t i;

	for (i = 0; i < o->n_rows; i++) {
		const struct acct_row *r = &o->rows[i];

		CU_ASSERT_FATAL(r->idx < n);
		if (r->del)
			gone[r->idx] = true;
		if (r->tic_dec)
			m[r->idx].tic--;
		if (r->set_open)
			m[r->idx].open = r->open;
		if (r->fw_open)
			m[r->idx].in_firewall = true;
		if (r->fw_close)
			m[r->idx].in_firewall = false;
	}
}

static void test_tic_expiry(void)
{
	struct acct_user users[] = { U("alice", 500, true) };
	struct acct_masq masq[] = {
		idle("198.18.1.10", "alice"), idle("198.18.1.11", "alice"),
		idle("198.18.1.12", "teacher"), idle("198.18.1.13", "root"),
		idle("198.18.1.14", "alice"),
	};
	bool gone[ARRAY_SIZE(masq)] = { false };
	int poll, gone_at[ARRAY_SIZE(masq)] = { 0 };
	struct acct_in in = input(MONDAY_MORNING);
	struct acct_out out;
	size_t i;

	masq[0].tic = conf->heartbeat_tics;	/* as openhost writes it */
	masq[1].tic = conf->heartbeat_tics;
	masq[1].open = MASQ_CLOSED;		/* closed rows expire too */
	masq[1].in_firewall = false;
	masq[2].free = MASQ_FREE;
	masq[2].tic = 0;
	masq[3].free = MASQ_ADMIN;
	masq[3].tic = -5;
	masq[4].tic = conf->heartbeat_tics;
	masq[4].open = MASQ_REQ_OPEN;		/* opened in the first poll */
	masq[4].in_firewall = false;
	SET(in, users, users);
	for (poll = 1; poll <= 6; poll++) {
		struct acct_masq live[ARRAY_SIZE(masq)];
		size_t map[ARRAY_SIZE(masq)], n = 0;
		bool g[ARRAY_SIZE(masq)] = { false };

		for (i = 0; i < ARRAY_SIZE(masq); i++) {
			if (gone[i])
				continue;
			map[n] = i;
			live[n++] = masq[i];
		}
		in.masq = live;
		in.n_masq = n;
		RUN(in, out);
		apply(live, n, &out, g);
		for (i = 0; i < n; i++) {
			if (g[i]) {
				const struct acct_row *r = row(&out, i);

				CU_ASSERT_STRING_EQUAL(r->why, "tic expired");
				CU_ASSERT_EQUAL(r->fw_close,
						masq[map[i]].in_firewall);
				gone[map[i]] = true;
				gone_at[map[i]] = poll;
			}
			masq[map[i]] = live[i];
		}
		acct_out_free(&out);
	}
	CU_ASSERT_EQUAL(conf->heartbeat_tics, 3);
	CU_ASSERT_EQUAL(gone_at[0], 3);
	CU_ASSERT_EQUAL(gone_at[1], 3);
	CU_ASSERT_EQUAL(gone_at[2], 0);		/* free rows never expire */
	CU_ASSERT_EQUAL(gone_at[3], 0);
	CU_ASSERT_EQUAL(gone_at[4], 4);		/* one poll for the request */
	CU_ASSERT_EQUAL(masq[2].tic, 0);
	CU_ASSERT_TRUE(masq[2].in_firewall && masq[3].in_firewall);

	/* A refreshed row never expires. */
	masq[0] = idle("198.18.1.10", "alice");
	in.masq = masq;
	in.n_masq = 1;
	for (poll = 1; poll <= 10; poll++) {
		masq[0].tic = conf->heartbeat_tics;
		RUN(in, out);
		CU_ASSERT_FALSE(out.rows[0].del);
		CU_ASSERT_TRUE(out.rows[0].tic_dec);
		acct_out_free(&out);
	}
}

/* A portal row has no heartbeat while open (tic stays, never expires); it
 * goes when device.c finds it idle: closed and deleted, "idle timeout".
 * A closed portal row expires by its tic as any paid row. */
static void test_portal_rows(void)
{
	struct acct_user users[] = { U("alice", 500, true) };
	struct acct_masq masq[] = {
		idle("198.18.1.10", "alice"), busy("198.18.1.11", "alice"),
		idle("198.18.1.12", "alice"), idle("198.18.1.13", "alice"),
	};
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;
	int poll;

	masq[0].portal = masq[1].portal = masq[2].portal = true;
	masq[0].tic = masq[1].tic = 1;		/* would expire now */
	masq[2].open = MASQ_CLOSED;		/* answered, not deleted */
	masq[2].in_firewall = false;
	masq[2].tic = 1;
	masq[3].tic = 1;			/* openhost's: expires */
	SET(in, users, users);
	SET(in, masq, masq);
	for (poll = 1; poll <= 5; poll++) {
		RUN(in, out);
		CU_ASSERT_PTR_NULL(row(&out, 0));	/* nothing to write */
		CU_ASSERT_PTR_NOT_NULL_FATAL(row(&out, 1));
		CU_ASSERT_FALSE(row(&out, 1)->tic_dec);
		CU_ASSERT_FALSE(row(&out, 1)->del);
		CU_ASSERT_TRUE(row(&out, 1)->charged);
		CU_ASSERT_TRUE(is_dropped(&out, 2, "tic expired", false));
		CU_ASSERT_TRUE(is_dropped(&out, 3, "tic expired", true));
		/* period 5, rate 2, one user: floor(5 * 2 / 1) + 1 */
		CU_ASSERT_EQUAL(debit(&out, "alice"), 11);
		acct_out_free(&out);
	}
	masq[0].idle = true;
	masq[3].idle = true;			/* not a portal row: no effect */
	masq[3].tic = 3;
	RUN(in, out);
	CU_ASSERT_TRUE(is_dropped(&out, 0, "idle timeout", true));
	CU_ASSERT_FALSE(row(&out, 1)->del);
	CU_ASSERT_FALSE(row(&out, 3)->del);
	CU_ASSERT_TRUE(row(&out, 3)->tic_dec);
	acct_out_free(&out);
	/* A request is a request, idle or not. */
	masq[0].open = MASQ_REQ_CLOSE;
	RUN(in, out);
	CU_ASSERT_FALSE(row(&out, 0)->del);
	CU_ASSERT_TRUE(row(&out, 0)->fw_close && row(&out, 0)->set_open);
	acct_out_free(&out);
}

static void test_repair(void)
{
	struct acct_user users[] = { U("alice", 500, true) };
	struct acct_masq masq[] = {
		idle("198.18.1.10", "alice"), idle("198.18.1.11", "alice"),
		idle("198.18.1.12", "alice"), idle("198.18.1.13", "x"),
		idle("198.18.1.14", "x"), busy("198.18.1.15", "alice"),
	};
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;
	const struct acct_row *r;

	masq[0].in_firewall = false;		/* flushed: re-add */
	masq[1].open = MASQ_CLOSED;		/* closed but in the set */
	masq[3].free = MASQ_ADMIN;		/* admin row, tic 0, flushed */
	masq[3].tic = 0;
	masq[3].in_firewall = false;
	masq[4].free = MASQ_ADMIN;
	masq[4].open = MASQ_CLOSED;
	masq[4].in_firewall = true;
	masq[5].in_firewall = false;		/* flushed and busy */
	SET(in, users, users);
	SET(in, masq, masq);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_rows, 6);
	r = row(&out, 0);
	CU_ASSERT_TRUE(r->fw_open && r->tic_dec && !r->set_open && !r->del);
	CU_ASSERT_STRING_EQUAL(r->why, "repair");
	r = row(&out, 1);
	CU_ASSERT_TRUE(r->fw_close && r->tic_dec && !r->set_open && !r->del);
	CU_ASSERT_STRING_EQUAL(r->why, "repair");
	r = row(&out, 2);
	CU_ASSERT_TRUE(!r->fw_open && !r->fw_close && r->tic_dec);
	CU_ASSERT_STRING_EQUAL(r->why, "heartbeat");
	r = row(&out, 3);
	CU_ASSERT_TRUE(r->fw_open && !r->tic_dec);
	r = row(&out, 4);
	CU_ASSERT_TRUE(r->fw_close && !r->tic_dec && !r->del);
	r = row(&out, 5);
	CU_ASSERT_TRUE(r->fw_open && r->charged);
	CU_ASSERT_STRING_EQUAL(r->why, "repair");
	CU_ASSERT_EQUAL(out.n_online, 1);
	acct_out_free(&out);
}

/* ---- free hours, tariffs ------------------------------------------------- */

static void test_free_hours(void)
{
	struct acct_masq masq[] = {
		busy("198.18.1.20", "teacher"), idle("198.18.1.21", "teacher"),
		idle("198.18.1.22", "root"), idle("198.18.1.10", "teacher"),
	};
	struct acct_user users[] = { U("teacher", 0, false) };
	struct acct_in in;
	struct acct_out out;
	struct tm outside[] = {
		at(1, 20, 0), at(1, 18, 0), at(1, 7, 59), at(6, 10, 0),
		at(0, 12, 0),
	};
	struct tm inside[] = { at(1, 8, 0), at(5, 17, 59), at(3, 12, 0) };
	size_t i;

	masq[0].free = masq[1].free = MASQ_FREE;
	masq[1].in_firewall = false;
	masq[2].free = MASQ_ADMIN;
	for (i = 0; i < ARRAY_SIZE(outside); i++) {
		in = input(outside[i]);
		SET(in, masq, masq);
		SET(in, users, users);
		RUN(in, out);
		CU_ASSERT_TRUE(is_dropped(&out, 0, "outside free hours", true));
		CU_ASSERT_TRUE(is_dropped(&out, 1, "outside free hours",
					  false));
		CU_ASSERT_PTR_NULL(row(&out, 2));	/* admin stays */
		/* the teacher's paid row is a free user's: not cut */
		CU_ASSERT_FALSE(row(&out, 3)->del);
		CU_ASSERT_EQUAL(out.n_cuts, 0);
		/* the last interval's traffic is still paid for */
		CU_ASSERT_EQUAL(out.n_online, 1);
		CU_ASSERT_STRING_EQUAL(out.debits[0].name, "free");
		acct_out_free(&out);
	}
	for (i = 0; i < ARRAY_SIZE(inside); i++) {
		in = input(inside[i]);
		SET(in, masq, masq);
		SET(in, users, users);
		RUN(in, out);
		CU_ASSERT_FALSE(row(&out, 0)->del);
		CU_ASSERT_TRUE(row(&out, 0)->charged);
		CU_ASSERT_TRUE(row(&out, 1)->fw_open);	/* repaired */
		CU_ASSERT_PTR_NULL(row(&out, 2));
		acct_out_free(&out);
	}
}

static void test_tariffs(void)
{
	struct acct_user users[] = { U("alice", 5000, true) };
	struct acct_masq masq[] = { busy("198.18.1.10", "alice") };
	struct {
		struct tm t;
		double rate;
		long long each;
	} cases[] = {
		{ at(1, 10, 0), 4, 21 },
		{ at(1, 8, 0), 4, 21 },
		{ at(5, 17, 59), 4, 21 },
		{ at(1, 18, 0), 2, 11 },
		{ at(1, 7, 59), 2, 11 },
		{ at(6, 10, 0), 2, 11 },	/* Saturday */
		{ at(0, 10, 0), 2, 11 },	/* Sunday */
	};
	struct acct_in in;
	struct acct_out out;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		in = input(cases[i].t);
		SET(in, users, users);
		SET(in, masq, masq);
		RUN(in, out);
		CU_ASSERT_DOUBLE_EQUAL(out.rate, cases[i].rate, 1e-12);
		CU_ASSERT_EQUAL(out.each, cases[i].each);
		CU_ASSERT_EQUAL(debit(&out, "alice"), cases[i].each);
		acct_out_free(&out);
	}

	/* Fractional rates through a whole poll. */
	{
		struct tq_conf *saved = conf, *c = load(
			"daemon = { period = 30; };\n"
			"rates = { default = 0.1; tariffs = ( {\n"
			"  days = \"sat,sun\"; from = \"22:00\";\n"
			"  to = \"06:00\"; rate = 1.5; } ); };\n");

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		conf = c;
		in = input(at(1, 12, 0));
		SET(in, users, users);
		SET(in, masq, masq);
		RUN(in, out);
		CU_ASSERT_EQUAL(out.each, 4);	/* 30 * 0.1 = 3, + 1 */
		acct_out_free(&out);
		in.now = at(6, 23, 0);		/* Saturday night */
		RUN(in, out);
		CU_ASSERT_DOUBLE_EQUAL(out.rate, 1.5, 1e-12);
		CU_ASSERT_EQUAL(out.each, 46);
		acct_out_free(&out);
		in.now = at(0, 5, 0);		/* after midnight: Sunday */
		RUN(in, out);
		CU_ASSERT_EQUAL(out.each, 46);
		acct_out_free(&out);
		in.now = at(1, 5, 0);		/* Monday early: Sunday's */
		RUN(in, out);
		CU_ASSERT_EQUAL(out.each, 46);
		acct_out_free(&out);
		in.now = at(5, 23, 0);		/* Friday night: default */
		RUN(in, out);
		CU_ASSERT_EQUAL(out.each, 4);
		acct_out_free(&out);
		conf = saved;
		conf_free(c);
	}
}

/* ---- daylight saving time --------------------------------------------- */

/*
 * The daemon takes the poll's local time as localtime_r(time(NULL)) and
 * hands the struct tm to acct_poll(); windows match on its weekday, hour
 * and minute.  Here the same is done for instants around the two changes
 * of 2026 in Sweden: Sunday 29 March 02:00 CET -> 03:00 CEST (spring
 * forward, 01:00 UTC) and Sunday 25 October 03:00 CEST -> 02:00 CET (fall
 * back, 01:00 UTC).  Once with the zone file, once with the same rule as
 * a POSIX TZ string (no tzdata needed).
 *
 * Tariffs on Sundays: 01:00-02:00 rate 3, 02:00-03:00 rate 5, 03:00-04:00
 * rate 4, else 2.  Free access on Sundays 01:30-02:30.  Period 5, one
 * user online: each = floor(5 * rate) + 1 = 16, 26, 21 or 11.
 */
static const char DST_CONF[] =
	"daemon = { period = 5; heartbeat_tics = 3; };\n"
	"rates = { default = 2; tariffs = (\n"
	"  { days = \"sun\"; from = \"01:00\"; to = \"02:00\"; rate = 3; },\n"
	"  { days = \"sun\"; from = \"02:00\"; to = \"03:00\"; rate = 5; },\n"
	"  { days = \"sun\"; from = \"03:00\"; to = \"04:00\"; rate = 4; }\n"
	"); };\n"
	"free_access = { days = \"sun\";\n"
	"                from = \"01:30\"; to = \"02:30\"; };\n";

#define SPRING ((time_t)1774746000)	/* 2026-03-29 01:00:00 UTC */
#define AUTUMN ((time_t)1792890000)	/* 2026-10-25 01:00:00 UTC */

static const char *const DST_ZONES[] = {
	"Europe/Stockholm",
	"CET-1CEST,M3.5.0,M10.5.0/3",
};

static char *tz_saved;

static void tz_set(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();	/* localtime_r() need not look at TZ again itself */
}

static void tz_push(void)
{
	const char *tz = getenv("TZ");

	tz_saved = tz ? xstrdup(tz) : NULL;
}

static void tz_pop(void)
{
	if (tz_saved)
		setenv("TZ", tz_saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(tz_saved);
	tz_saved = NULL;
}

/* The poll's input as the daemon builds it at instant t. */
static struct acct_in poll_at(time_t t, char *label, size_t len)
{
	struct acct_in in = input(at(0, 0, 0));

	CU_ASSERT_PTR_NOT_NULL(localtime_r(&t, &in.now));
	strftime(label, len, "%a %Y-%m-%d %H:%M:%S %Z", &in.now);
	return in;
}

/* One poll at t: alice (busy, paid) and an idle free row.  Checks the
 * local time, the rate, the charge and whether the free row stays. */
static void dst_poll(time_t t, const char *local, double rate,
		     long long each, bool free_open, long long *paid)
{
	struct acct_user users[] = { U("alice", 1000000, true) };
	struct acct_masq masq[] = {
		busy("198.18.1.10", "alice"), idle("198.18.1.20", "teacher"),
	};
	struct acct_in in;
	struct acct_out out;
	char label[64];

	masq[1].free = MASQ_FREE;
	in = poll_at(t, label, sizeof(label));
	CU_ASSERT_STRING_EQUAL(label, local);
	SET(in, users, users);
	SET(in, masq, masq);
	RUN(in, out);
	if (fabs(out.rate - rate) > 1e-12 || out.each != each)
		fprintf(stderr, "%s: rate %g each %lld, want %g %lld\n",
			label, out.rate, out.each, rate, each);
	CU_ASSERT_DOUBLE_EQUAL(out.rate, rate, 1e-12);
	CU_ASSERT_EQUAL(out.n_online, 1);
	CU_ASSERT_EQUAL(out.each, each);
	CU_ASSERT_EQUAL(out.total, each);
	/* exactly one debit, of exactly one poll's charge */
	CU_ASSERT_EQUAL_FATAL(out.n_debits, 1);
	CU_ASSERT_STRING_EQUAL(out.debits[0].name, "alice");
	CU_ASSERT_EQUAL(out.debits[0].amount, each);
	CU_ASSERT_TRUE(row(&out, 0) && row(&out, 0)->charged &&
		       !row(&out, 0)->del);
	if (free_open) {
		CU_ASSERT_PTR_NULL(row(&out, 1));
	} else {
		CU_ASSERT_TRUE(is_dropped(&out, 1, "outside free hours",
					  true));
	}
	CU_ASSERT_EQUAL(out.n_cuts, 0);
	if (paid)
		*paid += out.debits[0].amount;
	acct_out_free(&out);
}

struct dst_case {
	time_t t;
	const char *local;
	double rate;
	long long each;
	bool free_open;
};

static void dst_cases(const struct dst_case *c, size_t n)
{
	struct tq_conf *saved = conf, *dc = load(DST_CONF);
	size_t z, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	conf = dc;
	tz_push();
	for (z = 0; z < ARRAY_SIZE(DST_ZONES); z++) {
		tz_set(DST_ZONES[z]);
		for (i = 0; i < n; i++)
			dst_poll(c[i].t, c[i].local, c[i].rate, c[i].each,
				 c[i].free_open, NULL);
	}
	tz_pop();
	conf = saved;
	conf_free(dc);
}

/* 02:00-03:00 does not exist that night: rate 5 never applies, 01:59:55
 * CET is followed by 03:00:00 CEST, and the free window ends at the jump
 * instead of 02:30. */
static void test_dst_spring(void)
{
	static const struct dst_case c[] = {
		{ SPRING - 3605, "Sun 2026-03-29 00:59:55 CET", 2, 11, false },
		{ SPRING - 3600, "Sun 2026-03-29 01:00:00 CET", 3, 16, false },
		{ SPRING - 1805, "Sun 2026-03-29 01:29:55 CET", 3, 16, false },
		{ SPRING - 1800, "Sun 2026-03-29 01:30:00 CET", 3, 16, true },
		{ SPRING - 5, "Sun 2026-03-29 01:59:55 CET", 3, 16, true },
		{ SPRING, "Sun 2026-03-29 03:00:00 CEST", 4, 21, false },
		{ SPRING + 5, "Sun 2026-03-29 03:00:05 CEST", 4, 21, false },
		{ SPRING + 3595, "Sun 2026-03-29 03:59:55 CEST", 4, 21, false },
		{ SPRING + 3600, "Sun 2026-03-29 04:00:00 CEST", 2, 11, false },
	};

	dst_cases(c, ARRAY_SIZE(c));
}

/* 02:00-03:00 happens twice: rate 5 for two real hours, and the free
 * window 02:00-02:30 opens again after the jump back. */
static void test_dst_autumn(void)
{
	static const struct dst_case c[] = {
		{ AUTUMN - 7205, "Sun 2026-10-25 00:59:55 CEST", 2, 11, false },
		{ AUTUMN - 7200, "Sun 2026-10-25 01:00:00 CEST", 3, 16, false },
		{ AUTUMN - 5400, "Sun 2026-10-25 01:30:00 CEST", 3, 16, true },
		{ AUTUMN - 3605, "Sun 2026-10-25 01:59:55 CEST", 3, 16, true },
		{ AUTUMN - 3600, "Sun 2026-10-25 02:00:00 CEST", 5, 26, true },
		{ AUTUMN - 1805, "Sun 2026-10-25 02:29:55 CEST", 5, 26, true },
		{ AUTUMN - 1800, "Sun 2026-10-25 02:30:00 CEST", 5, 26, false },
		{ AUTUMN - 5, "Sun 2026-10-25 02:59:55 CEST", 5, 26, false },
		{ AUTUMN, "Sun 2026-10-25 02:00:00 CET", 5, 26, true },
		{ AUTUMN + 1795, "Sun 2026-10-25 02:29:55 CET", 5, 26, true },
		{ AUTUMN + 1800, "Sun 2026-10-25 02:30:00 CET", 5, 26, false },
		{ AUTUMN + 3595, "Sun 2026-10-25 02:59:55 CET", 5, 26, false },
		{ AUTUMN + 3600, "Sun 2026-10-25 03:00:00 CET", 4, 21, false },
		{ AUTUMN + 7200, "Sun 2026-10-25 04:00:00 CET", 2, 11, false },
	};

	dst_cases(c, ARRAY_SIZE(c));
}

/*
 * Polls every 5 s from 30 s before to 30 s after each change: the local
 * clock jumps an hour forward or back between two polls, yet every poll
 * charges once, one period's worth at the rate of its own local time --
 * nothing is charged for the skipped hour, nothing twice for the repeated
 * one.
 */
static void test_dst_polls(void)
{
	struct tq_conf *saved = conf, *dc = load(DST_CONF);
	char label[64];
	long long paid;
	size_t z;
	int k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	conf = dc;
	tz_push();
	for (z = 0; z < ARRAY_SIZE(DST_ZONES); z++) {
		tz_set(DST_ZONES[z]);
		/* 01:59:30 .. 01:59:55 CET at rate 3, then 03:00:00 ..
		 * 03:00:30 CEST at rate 4 */
		paid = 0;
		for (k = -6; k <= 6; k++) {
			snprintf(label, sizeof(label),
				 k < 0 ? "Sun 2026-03-29 01:59:%02d CET" :
				 "Sun 2026-03-29 03:00:%02d CEST",
				 k < 0 ? 60 + 5 * k : 5 * k);
			dst_poll(SPRING + 5 * k, label, k < 0 ? 3 : 4,
				 k < 0 ? 16 : 21, k < 0, &paid);
		}
		CU_ASSERT_EQUAL(paid, 6 * 16 + 7 * 21);
		/* 02:59:30 .. 02:59:55 CEST, then 02:00:00 .. 02:00:30
		 * CET: all at rate 5; the free row stays from 02:00 CET */
		paid = 0;
		for (k = -6; k <= 6; k++) {
			snprintf(label, sizeof(label),
				 k < 0 ? "Sun 2026-10-25 02:59:%02d CEST" :
				 "Sun 2026-10-25 02:00:%02d CET",
				 k < 0 ? 60 + 5 * k : 5 * k);
			dst_poll(AUTUMN + 5 * k, label, 5, 26, k >= 0, &paid);
		}
		CU_ASSERT_EQUAL(paid, 13 * 26);
	}
	tz_pop();
	conf = saved;
	conf_free(dc);
}

/* ---- blocked uids -------------------------------------------------------- */

static void test_unblock(void)
{
	struct acct_user users[] = {
		U("alice", 100, true), U("bob", 0, true), U("dave", 100, false),
		U("gina", 11, true),
	};
	struct acct_blocked blocked[] = {
		{ .uid = 1002, .name = "teacher" },
		{ .uid = 1000, .name = "alice" },
		{ .uid = 1001, .name = "bob" },
		{ .uid = 1003, .name = NULL },
		{ .uid = 1004, .name = "dave" },
		{ .uid = 1005, .name = "ghost" },
		{ .uid = 1006, .name = "gina" },
	};
	/* gina is online through a host: 11 - 11 = 0 after the debit */
	struct acct_masq masq[] = { busy("198.18.1.10", "gina") };
	/* blocked users with lingering sockets: not charged, not cut */
	struct acct_local locals[] = {
		{ .uid = 1000, .name = "alice", .socks = 1 },
		{ .uid = 1001, .name = "bob", .socks = 2 },
	};
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;

	SET(in, users, users);
	SET(in, blocked, blocked);
	SET(in, masq, masq);
	SET(in, locals, locals);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, 1);
	CU_ASSERT_EQUAL(debit(&out, "gina"), 11);
	CU_ASSERT_EQUAL_FATAL(out.n_unblock, 2);
	CU_ASSERT_EQUAL(out.unblock[0], 1000);
	CU_ASSERT_EQUAL(out.unblock[1], 1002);
	CU_ASSERT_EQUAL_FATAL(out.n_cuts, 1);
	CU_ASSERT_STRING_EQUAL(out.cuts[0].name, "gina");
	CU_ASSERT_TRUE(is_dropped(&out, 0, "cut off: no quota", true));
	acct_out_free(&out);

	/* kill_processes: bob, blocked with lingering sockets, is cut
	 * again (so his processes die), still not charged; alice, allowed
	 * again, is not cut. */
	{
		struct tq_conf *saved = conf, *c = load(
			"daemon = { period = 5; };\n"
			"quota = { min_quota = 0; min_uid = 1000;\n"
			"          kill_processes = true; };\n"
			"rates = { default = 2; };\n");

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		conf = c;
		in.conf = c;
		RUN(in, out);
		CU_ASSERT_EQUAL(out.n_online, 1);
		CU_ASSERT_EQUAL(debit(&out, "bob"), -1);	/* none */
		CU_ASSERT_EQUAL_FATAL(out.n_cuts, 2);
		CU_ASSERT_STRING_EQUAL(out.cuts[0].name, "bob");
		CU_ASSERT_EQUAL(out.cuts[0].reason, ACCT_CUT_NO_QUOTA);
		CU_ASSERT_TRUE(out.cuts[0].has_uid);
		CU_ASSERT_EQUAL(out.cuts[0].uid, 1001);
		CU_ASSERT_STRING_EQUAL(out.cuts[1].name, "gina");
		CU_ASSERT_EQUAL_FATAL(out.n_unblock, 1);
		CU_ASSERT_EQUAL(out.unblock[0], 1000);
		acct_out_free(&out);
		conf = saved;
		conf_free(c);
	}
}

/* A poll that comes k periods after the last one bills k periods: each
 * online user k * each, the total k * each * n, the row's counter k; the
 * heartbeat still one tic; at most heartbeat_tics (3 here) periods. */
static void test_elapsed_periods(void)
{
	struct acct_user users[] = { U("alice", 100, true),
				     U("bob", 100, true) };
	struct acct_masq masq[] = { busy("198.18.1.10", "alice"),
				    busy("198.18.1.11", "bob") };
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;
	static const unsigned k[] = { 0, 1, 2, 3, 4, 1000 };
	static const unsigned want[] = { 1, 1, 2, 3, 3, 3 };
	size_t i;

	SET(in, users, users);
	SET(in, masq, masq);
	for (i = 0; i < ARRAY_SIZE(k); i++) {
		in.periods = k[i];
		RUN(in, out);
		CU_ASSERT_EQUAL(out.periods, want[i]);
		CU_ASSERT_EQUAL(out.each, 6);		/* one period's */
		CU_ASSERT_EQUAL(debit(&out, "alice"), 6 * (long long)want[i]);
		CU_ASSERT_EQUAL(debit(&out, "bob"), 6 * (long long)want[i]);
		CU_ASSERT_EQUAL(out.total, 12 * (long long)want[i]);
		CU_ASSERT_TRUE(row(&out, 0)->charged);
		CU_ASSERT_TRUE(row(&out, 0)->tic_dec);
		CU_ASSERT_EQUAL(out.n_cuts, 0);
		acct_out_free(&out);
	}
	/* the late poll's whole debit counts against the balance */
	users[0].quota = 18;		/* 18 - 3 * 6 = 0: cut */
	in.periods = 3;
	RUN(in, out);
	CU_ASSERT_EQUAL_FATAL(out.n_cuts, 1);
	CU_ASSERT_STRING_EQUAL(out.cuts[0].name, "alice");
	CU_ASSERT_EQUAL(out.cuts[0].quota, 0);
	acct_out_free(&out);
	/* idle: nothing, however late */
	masq[0] = idle("198.18.1.10", "alice");
	masq[1] = idle("198.18.1.11", "bob");
	in.periods = 3;
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_debits, 0);
	CU_ASSERT_EQUAL(out.total, 0);
	acct_out_free(&out);
}

/* Every balance is quota - held: requests refused, cut-offs and unblocks
 * decided on what the user will owe once the held debits are applied. */
static void test_held_debits(void)
{
	struct acct_user users[] = {
		U("alice", 20, true), U("bob", 20, true), U("carol", 30, true),
		U("dave", 100, true),
	};
	/* two online: each 6 */
	struct acct_masq masq[] = {
		busy("198.18.1.10", "alice"),
		busy("198.18.1.11", "bob"),
		{ .host = "198.18.1.12", .name = "carol", .open = MASQ_REQ_OPEN,
		  .tic = 3, .free = MASQ_PAID },	/* 30 - 30: refused */
		{ .host = "198.18.1.13", .name = "dave", .open = MASQ_REQ_OPEN,
		  .tic = 3, .free = MASQ_PAID },	/* 100 - 99: opened */
	};
	struct acct_blocked blocked[] = {
		{ .uid = 1001, .name = "bob" },
		{ .uid = 1003, .name = "dave" },	/* 1 left: unblocked */
	};
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;

	users[0].held = 9;
	users[1].held = 8;
	users[2].held = 30;
	users[3].held = 99;
	SET(in, users, users);
	SET(in, masq, masq);
	SET(in, blocked, blocked);
	RUN(in, out);		/* alice 20 - 9 - 6 = 5, bob 20 - 8 - 6 = 6 */
	CU_ASSERT_EQUAL(out.each, 6);
	CU_ASSERT_EQUAL(debit(&out, "alice"), 6);
	CU_ASSERT_EQUAL(debit(&out, "bob"), 6);
	CU_ASSERT_EQUAL_FATAL(out.n_cuts, 0);
	CU_ASSERT_EQUAL(out.n_unblock, 2);
	acct_out_free(&out);

	users[0].held = 14;		/* 20 - 14 - 6 = 0 */
	users[1].held = 15;		/* 20 - 15 - 6 = -1 */
	RUN(in, out);
	CU_ASSERT_EQUAL_FATAL(out.n_cuts, 2);
	CU_ASSERT_STRING_EQUAL(out.cuts[0].name, "alice");
	CU_ASSERT_EQUAL(out.cuts[0].quota, 0);
	CU_ASSERT_STRING_EQUAL(out.cuts[1].name, "bob");
	CU_ASSERT_EQUAL(out.cuts[1].quota, -1);
	CU_ASSERT_TRUE(is_dropped(&out, 0, "cut off: no quota", true));
	CU_ASSERT_TRUE(row(&out, 0)->cut);
	CU_ASSERT_TRUE(is_dropped(&out, 2, "refused: no quota", false));
	CU_ASSERT_FALSE(row(&out, 2)->cut);
	CU_ASSERT_TRUE(row(&out, 3)->fw_open);
	CU_ASSERT_EQUAL_FATAL(out.n_unblock, 1);
	CU_ASSERT_EQUAL(out.unblock[0], 1003);
	acct_out_free(&out);
}

/* Without a fresh snapshot only the cut-offs stay: their rows closed, not
 * deleted; no open, answer, repair or unblock; the charges stay. */
static void test_keep_cuts(void)
{
	struct acct_user users[] = {
		U("alice", 5, true), U("bob", 100, true), U("carol", 100, true),
	};
	struct acct_masq masq[] = {
		busy("198.18.1.10", "alice"),
		busy("198.18.1.11", "bob"),
		{ .host = "198.18.1.12", .name = "carol", .open = MASQ_REQ_OPEN,
		  .tic = 3, .free = MASQ_PAID },
		idle("198.18.1.13", "bob"),
	};
	struct acct_blocked blocked[] = { { .uid = 1001, .name = "bob" } };
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;

	masq[3].in_firewall = false;	/* open, not in the set: repair */
	SET(in, users, users);
	SET(in, masq, masq);
	SET(in, blocked, blocked);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_rows, 4);
	CU_ASSERT_EQUAL(out.n_unblock, 1);
	acct_keep_cuts(&out);
	CU_ASSERT_EQUAL_FATAL(out.n_rows, 1);
	CU_ASSERT_EQUAL(out.rows[0].idx, 0);
	CU_ASSERT_TRUE(out.rows[0].fw_close);
	CU_ASSERT_FALSE(out.rows[0].del);
	CU_ASSERT_FALSE(out.rows[0].fw_open);
	CU_ASSERT_EQUAL(out.n_unblock, 0);
	CU_ASSERT_PTR_NULL(out.unblock);
	CU_ASSERT_EQUAL_FATAL(out.n_cuts, 1);
	CU_ASSERT_STRING_EQUAL(out.cuts[0].name, "alice");
	CU_ASSERT_EQUAL(out.n_debits, 2);
	CU_ASSERT_EQUAL(out.total, 12);
	acct_out_free(&out);
}

/* Addresses that parse but belong to no LAN host: deleted, never opened;
 * one found in the firewall is closed. */
static void test_not_host_addresses(void)
{
	struct acct_user users[] = { U("alice", 500, true) };
	struct acct_masq masq[] = {
		{ .host = "127.0.0.1", .name = "alice", .open = 2, .tic = 3 },
		{ .host = "ff02::1", .name = "alice", .open = 2, .tic = 3 },
		{ .host = "255.255.255.255", .name = "alice", .open = 2,
		  .tic = 3 },
		busy("224.0.0.1", "alice"),
		{ .host = "198.18.1.10", .name = "alice", .open = 2, .tic = 3 },
	};
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;

	SET(in, users, users);
	SET(in, masq, masq);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_rows, 5);
	CU_ASSERT_TRUE(is_dropped(&out, 0, "not a LAN host address", false));
	CU_ASSERT_TRUE(is_dropped(&out, 1, "not a LAN host address", false));
	CU_ASSERT_TRUE(is_dropped(&out, 2, "not a LAN host address", false));
	CU_ASSERT_TRUE(is_dropped(&out, 3, "not a LAN host address", true));
	CU_ASSERT_TRUE(row(&out, 4)->fw_open && row(&out, 4)->set_open);
	CU_ASSERT_EQUAL(out.n_online, 0);	/* 224.0.0.1's traffic */
	CU_ASSERT_EQUAL(out.n_bad_rows, 4);
	acct_out_free(&out);
}

static void test_empty(void)
{
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;

	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, 0);
	CU_ASSERT_EQUAL(out.each, 0);
	CU_ASSERT_EQUAL(out.total, 0);
	CU_ASSERT_PTR_NULL(out.debits);
	CU_ASSERT_PTR_NULL(out.rows);
	CU_ASSERT_PTR_NULL(out.cuts);
	CU_ASSERT_PTR_NULL(out.unblock);
	CU_ASSERT_EQUAL(out.n_rows + out.n_cuts + out.n_debits +
			out.n_unblock + out.n_bad_rows, 0);
	acct_out_free(&out);
}

/* Many users: the sums stay exact and the order sorted. */
static void test_many_users(void)
{
	enum { N = 500 };
	static struct acct_user users[N];
	static struct acct_masq masq[N];
	static char names[N][16], hosts[N][32];
	struct acct_in in = input(MONDAY_EVENING);
	struct acct_out out;
	size_t i, bad = 0;

	for (i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "u%03zu", N - 1 - i);
		snprintf(hosts[i], sizeof(hosts[i]), "198.18.%zu.%zu",
			 i / 200, i % 200);
		users[i] = U(names[i], 1000, true);
		masq[i] = busy(hosts[i], names[i]);
	}
	SET(in, users, users);
	SET(in, masq, masq);
	RUN(in, out);
	CU_ASSERT_EQUAL(out.n_online, N);
	CU_ASSERT_EQUAL(out.each, 1);		/* floor(10 / 500) + 1 */
	CU_ASSERT_EQUAL(out.total, N);
	CU_ASSERT_EQUAL_FATAL(out.n_debits, N);
	for (i = 1; i < N; i++)
		if (strcmp(out.debits[i - 1].name, out.debits[i].name) >= 0)
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(out.n_rows, N);
	CU_ASSERT_EQUAL(out.n_cuts, 0);
	acct_out_free(&out);
}

static const struct tq_test tests[] = {
	{ "acct_charge: formula and edges", test_charge },
	{ "one user online", test_one_online },
	{ "two and three users online", test_two_three_online },
	{ "a user counts once", test_user_counts_once },
	{ "free user charged, never cut", test_free_user_online },
	{ "free pseudo-user once for free hosts", test_free_pseudo_user_once },
	{ "counters not advancing: no charge", test_no_traffic_no_charge },
	{ "link down: no charge, requests go on", test_link_down },
	{ "min_quota edge", test_min_quota_edge },
	{ "not allowed, unknown users", test_not_allowed },
	{ "requests 2 and 3, refusals", test_requests },
	{ "no LAN host addresses", test_not_host_addresses },
	{ "bad rows", test_bad_rows },
	{ "tic expiry at the N-th poll", test_tic_expiry },
	{ "portal rows: no heartbeat, idle closes", test_portal_rows },
	{ "repair after a flush", test_repair },
	{ "free hours close free rows only", test_free_hours },
	{ "tariff windows", test_tariffs },
	{ "DST spring forward: rates, free hours", test_dst_spring },
	{ "DST fall back: rates, free hours", test_dst_autumn },
	{ "DST: one charge per poll across the jumps", test_dst_polls },
	{ "unblock", test_unblock },
	{ "a late poll bills the elapsed periods", test_elapsed_periods },
	{ "balances less held debits", test_held_debits },
	{ "without a fresh snapshot: cut-offs only", test_keep_cuts },
	{ "empty poll", test_empty },
	{ "500 users", test_many_users },
	{ NULL, NULL }
};

int main(void)
{
	int r;

	conf = load(CONF);
	if (!conf)
		return 2;
	r = tq_test_main("acct", tests);
	conf_free(conf);
	return r;
}
