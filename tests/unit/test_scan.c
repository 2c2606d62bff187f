/* test_scan.c - /proc parsers and aggregation against captures from a real
 * kernel (tests/fixtures/proc, made by tests/fixtures/make-fixtures.sh),
 * hand-broken variants, and large generated inputs. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "addr.h"
#include "conf.h"
#include "ct.h"
#include "scan.h"
#include "scanagg.h"
#include "tq_test.h"
#include "util.h"

#define MAXREC 64

struct socks {
	size_t n;
	struct scan_sock s[MAXREC];
};

struct cts {
	size_t n;
	struct scan_ct c[MAXREC];
};

static void collect_sock(const struct scan_sock *s, void *arg)
{
	struct socks *v = arg;

	if (v->n < MAXREC)
		v->s[v->n] = *s;
	v->n++;
}

static void collect_ct(const struct scan_ct *c, void *arg)
{
	struct cts *v = arg;

	if (v->n < MAXREC)
		v->c[v->n] = *c;
	v->n++;
}

static struct tq_addr A(const char *s)
{
	struct tq_addr a;

	memset(&a, 0, sizeof(a));
	if (addr_parse(s, &a) != 0)
		CU_FAIL_FATAL("bad address in test");
	return a;
}

static FILE *fixture(const char *name)
{
	FILE *f = fopen(tq_fixture(name), "r");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	return f;
}

static int read_socks(const char *name, int family, struct socks *v,
		      struct scan_stats *st)
{
	FILE *f = fixture(name);
	int r;

	memset(v, 0, sizeof(*v));
	memset(st, 0, sizeof(*st));
	r = scan_tcp(f, family, collect_sock, v, st);
	fclose(f);
	return r;
}

static int read_cts(const char *name, struct cts *v, struct scan_stats *st)
{
	FILE *f = fixture(name);
	int r;

	memset(v, 0, sizeof(*v));
	memset(st, 0, sizeof(*st));
	r = scan_conntrack(f, collect_ct, v, st);
	fclose(f);
	return r;
}

/* The socket with this local address and port, or NULL. */
static const struct scan_sock *find_sock(const struct socks *v,
					 const char *local, unsigned lport)
{
	struct tq_addr a = A(local);
	size_t i;

	for (i = 0; i < v->n && i < MAXREC; i++)
		if (addr_equal(&v->s[i].local, &a) && v->s[i].lport == lport)
			return &v->s[i];
	return NULL;
}

static const struct scan_ct *find_ct(const struct cts *v, const char *src,
				     unsigned proto, unsigned sport)
{
	struct tq_addr a = A(src);
	size_t i;

	for (i = 0; i < v->n && i < MAXREC; i++)
		if (addr_equal(&v->c[i].src, &a) && v->c[i].proto == proto &&
		    v->c[i].sport == sport)
			return &v->c[i];
	return NULL;
}

static void expect_sock(const struct socks *v, const char *local,
			unsigned lport, const char *remote, unsigned rport,
			unsigned uid)
{
	const struct scan_sock *s = find_sock(v, local, lport);
	struct tq_addr r = A(remote);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_TRUE(addr_equal(&s->remote, &r));
	CU_ASSERT_EQUAL(s->rport, rport);
	CU_ASSERT_EQUAL(s->uid, uid);
}

static void expect_ct(const struct cts *v, const char *src, unsigned proto,
		      unsigned sport, const char *dst, unsigned dport,
		      bool counters, uint64_t packets, uint64_t bytes)
{
	const struct scan_ct *c = find_ct(v, src, proto, sport);
	struct tq_addr d = A(dst);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE(addr_equal(&c->dst, &d));
	CU_ASSERT_EQUAL(c->dport, dport);
	CU_ASSERT_EQUAL(c->has_counters, counters);
	CU_ASSERT_EQUAL(c->packets, packets);
	CU_ASSERT_EQUAL(c->bytes, bytes);
}

/* ---- real captures ---------------------------------------------------- */

static void test_tcp_real(void)
{
	struct socks v;
	struct scan_stats st;
	unsigned by_uid[3] = { 0, 0, 0 };	/* 0, 1000, other */
	size_t i;

	CU_ASSERT_EQUAL(read_socks("proc/tcp", AF_INET, &v, &st), 0);
	CU_ASSERT_EQUAL(st.lines, 12);		/* header, 2 listeners, 9 */
	CU_ASSERT_EQUAL(st.records, 9);
	CU_ASSERT_EQUAL(st.skipped, 0);
	CU_ASSERT_EQUAL_FATAL(v.n, 9);
	for (i = 0; i < v.n; i++) {
		CU_ASSERT_EQUAL(v.s[i].local.family, AF_INET);
		CU_ASSERT_EQUAL(v.s[i].remote.family, AF_INET);
		by_uid[v.s[i].uid == 0 ? 0 : v.s[i].uid == 1000 ? 1 : 2]++;
	}
	CU_ASSERT_EQUAL(by_uid[0], 5);
	CU_ASSERT_EQUAL(by_uid[1], 2);
	CU_ASSERT_EQUAL(by_uid[2], 2);
	expect_sock(&v, "198.18.1.10", 40001, "198.19.0.100", 8080, 1000);
	expect_sock(&v, "198.18.1.11", 40002, "198.19.0.100", 8080, 1001);
	expect_sock(&v, "198.18.1.10", 40003, "198.18.1.1", 2222, 1000);
	expect_sock(&v, "198.18.1.12", 40005, "198.19.0.100", 8081, 1002);
	expect_sock(&v, "198.18.1.10", 40006, "198.19.0.100", 8080, 0);
	expect_sock(&v, "198.18.1.1", 2222, "198.18.1.10", 40003, 0);
	/* Listeners (state 0A, remote 0.0.0.0:0) are not reported. */
	for (i = 0; i < v.n; i++)
		CU_ASSERT_NOT_EQUAL(v.s[i].rport, 0);
}

static void test_tcp6_real(void)
{
	struct socks v;
	struct scan_stats st;

	CU_ASSERT_EQUAL(read_socks("proc/tcp6", AF_INET6, &v, &st), 0);
	CU_ASSERT_EQUAL(st.lines, 6);
	CU_ASSERT_EQUAL(st.records, 3);
	CU_ASSERT_EQUAL(st.skipped, 0);
	CU_ASSERT_EQUAL_FATAL(v.n, 3);
	expect_sock(&v, "2001:db8:1::10", 40004, "2001:db8:2::100", 8080,
		    1000);
	expect_sock(&v, "2001:db8:2::100", 8080, "2001:db8:1::10", 40004, 0);
	/* The dual-stack listener's accepted socket: ::ffff:198.19.0.100,
	 * reported as IPv4. */
	expect_sock(&v, "198.19.0.100", 8081, "198.18.1.12", 40005, 0);
	CU_ASSERT_EQUAL(find_sock(&v, "198.19.0.100", 8081)->local.family,
			AF_INET);
}

static void test_tcp_wrong_family(void)
{
	struct socks v;
	struct scan_stats st;

	/* tcp6 lines read as tcp: every data line is malformed. */
	CU_ASSERT_EQUAL(read_socks("proc/tcp6", AF_INET, &v, &st), 0);
	CU_ASSERT_EQUAL(st.lines, 6);
	CU_ASSERT_EQUAL(st.records, 0);
	CU_ASSERT_EQUAL(st.skipped, 5);
	CU_ASSERT_EQUAL(read_socks("proc/tcp", AF_INET6, &v, &st), 0);
	CU_ASSERT_EQUAL(st.records, 0);
	CU_ASSERT_EQUAL(st.skipped, 11);
	errno = 0;
	CU_ASSERT_EQUAL(scan_tcp(stdin, AF_UNIX, collect_sock, &v, &st), -1);
	CU_ASSERT_EQUAL(errno, EAFNOSUPPORT);
}

static void test_conntrack_real(void)
{
	struct cts v;
	struct scan_stats st;
	size_t i, with = 0;

	CU_ASSERT_EQUAL(read_cts("proc/nf_conntrack", &v, &st), 0);
	CU_ASSERT_EQUAL(st.lines, 15);
	CU_ASSERT_EQUAL(st.records, 15);
	CU_ASSERT_EQUAL(st.skipped, 0);
	CU_ASSERT_EQUAL_FATAL(v.n, 15);
	for (i = 0; i < v.n; i++)
		with += v.c[i].has_counters;
	CU_ASSERT_EQUAL(with, 13);
	/* Real connections: orig + reply counters. */
	expect_ct(&v, "198.18.1.10", IPPROTO_TCP, 40001, "198.19.0.100", 8080,
		  true, 4 + 3, 232 + 180);
	expect_ct(&v, "198.18.1.11", IPPROTO_TCP, 40002, "198.19.0.100", 8080,
		  true, 7, 412);
	expect_ct(&v, "198.18.1.10", IPPROTO_TCP, 40003, "198.18.1.1", 2222,
		  true, 7, 412);
	expect_ct(&v, "198.18.1.12", IPPROTO_TCP, 40005, "198.19.0.100", 8081,
		  true, 7, 412);
	expect_ct(&v, "198.18.1.10", IPPROTO_TCP, 40006, "198.19.0.100", 8080,
		  true, 7, 229 + 177);
	expect_ct(&v, "2001:db8:1::10", IPPROTO_TCP, 40004, "2001:db8:2::100",
		  8080, true, 7, 312 + 240);
	/* Inserted with conntrack -I, accounting on: zero counters. */
	expect_ct(&v, "198.18.1.20", IPPROTO_TCP, 41000, "198.19.0.200", 443,
		  true, 0, 0);
	expect_ct(&v, "198.18.1.20", IPPROTO_UDP, 41001, "198.19.0.53", 53,
		  true, 0, 0);
	expect_ct(&v, "198.18.1.20", IPPROTO_ICMP, 0, "198.19.0.100", 0,
		  true, 0, 0);
	expect_ct(&v, "198.18.1.20", 50, 0, "198.19.0.100", 0, true, 0, 0);
	expect_ct(&v, "2001:db8:1::20", IPPROTO_TCP, 41002, "2001:db8:2::200",
		  443, true, 0, 0);
	expect_ct(&v, "2001:db8:1::20", IPPROTO_UDP, 41003, "2001:db8:2::53",
		  53, true, 0, 0);
	expect_ct(&v, "2001:db8:1::20", IPPROTO_ICMPV6, 0, "2001:db8:2::100",
		  0, true, 0, 0);
	/* Accounting off: no counters at all. */
	expect_ct(&v, "198.18.1.21", IPPROTO_TCP, 42000, "198.19.0.200", 443,
		  false, 0, 0);
	expect_ct(&v, "2001:db8:1::21", IPPROTO_UDP, 42001, "2001:db8:2::53",
		  53, false, 0, 0);
	CU_ASSERT_EQUAL(find_ct(&v, "2001:db8:1::10", IPPROTO_TCP,
				40004)->src.family, AF_INET6);
}

/*
 * TCP states, from a real kernel (Linux 6.18, a namespace, loopback):
 * tests/fixtures/proc/nf_conntrack-states and, taken at the same moments
 * through a ctnetlink dump, tests/fixtures/netlink/ct-states.hex (one
 * message a line, in hex).  The same eight entries:
 *   [2001:db8:5::1]:40002 -> :8081  TIME_WAIT  (closed)
 *   198.18.5.1:40004 -> 198.18.5.2:9999  SYN_SENT  (SYN dropped)
 *   198.18.5.1:40005 -> .1:8082, 40001 -> .1:8080  TIME_WAIT
 *   198.18.5.1:40007 -> .1:8085  CLOSE  (reset: SO_LINGER 0)
 *   198.18.5.1:40006 -> .1:8084  CLOSE_WAIT  (client shut down, server
 *                                              still open)
 *   198.18.5.1:40009 -> 198.18.5.2:5353  udp, no state
 *   198.18.5.1:40008 -> .1:8082  ESTABLISHED
 */
struct state_want {
	const char *src;
	unsigned proto, sport, state;
	uint64_t packets;
};

static const struct state_want states_want[] = {
	{ "2001:db8:5::1", IPPROTO_TCP, 40002, SCAN_CT_TIME_WAIT, 8 },
	{ "198.18.5.1", IPPROTO_TCP, 40004, SCAN_CT_SYN_SENT, 1 },
	{ "198.18.5.1", IPPROTO_TCP, 40005, SCAN_CT_TIME_WAIT, 7 },
	{ "198.18.5.1", IPPROTO_TCP, 40001, SCAN_CT_TIME_WAIT, 8 },
	{ "198.18.5.1", IPPROTO_TCP, 40007, SCAN_CT_CLOSE, 7 },
	{ "198.18.5.1", IPPROTO_TCP, 40006, SCAN_CT_CLOSE_WAIT, 7 },
	{ "198.18.5.1", IPPROTO_UDP, 40009, SCAN_CT_NONE, 1 },
	{ "198.18.5.1", IPPROTO_TCP, 40008, SCAN_CT_ESTABLISHED, 3 },
};

static void expect_states(const struct cts *v)
{
	const struct scan_ct *c;
	size_t i, live = 0;

	CU_ASSERT_EQUAL_FATAL(v->n, ARRAY_SIZE(states_want));
	for (i = 0; i < ARRAY_SIZE(states_want); i++) {
		c = find_ct(v, states_want[i].src, states_want[i].proto,
			    states_want[i].sport);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_EQUAL(c->state, states_want[i].state);
		CU_ASSERT_EQUAL(c->packets, states_want[i].packets);
		CU_ASSERT_TRUE(c->has_counters);
		live += scan_ct_live(c);
	}
	/* SYN_SENT, CLOSE_WAIT, ESTABLISHED and the udp entry */
	CU_ASSERT_EQUAL(live, 4);
}

static void test_conntrack_states(void)
{
	struct cts v;
	struct scan_stats st;

	CU_ASSERT_EQUAL(read_cts("proc/nf_conntrack-states", &v, &st), 0);
	CU_ASSERT_EQUAL(st.lines, 8);
	CU_ASSERT_EQUAL(st.records, 8);
	CU_ASSERT_EQUAL(st.skipped, 0);
	expect_states(&v);
	expect_ct(&v, "198.18.5.1", IPPROTO_TCP, 40006, "198.18.5.1", 8084,
		  true, 4 + 3, 218 + 164);
	CU_ASSERT_STRING_EQUAL(scan_ct_state_name(SCAN_CT_CLOSE_WAIT),
			       "CLOSE_WAIT");
	CU_ASSERT_STRING_EQUAL(scan_ct_state_name(SCAN_CT_NONE), "NONE");
	CU_ASSERT_STRING_EQUAL(scan_ct_state_name(SCAN_CT_NSTATES), "NONE");
	CU_ASSERT_STRING_EQUAL(scan_ct_state_name(255), "NONE");
}

/* Every name of the kernel's tcp_conntrack_names[], and what is not one. */
static void test_conntrack_state_names(void)
{
	static const char *const names[] = {
		"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
		"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
	};
	struct cts v = { 0 };
	struct scan_stats st = { 0 };
	FILE *f = tmpfile();
	unsigned i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (i = 0; i < ARRAY_SIZE(names); i++)
		fprintf(f, "ipv4     2 tcp      6 100 %s src=198.18.1.10 "
			"dst=198.19.0.100 sport=%u dport=80 src=198.19.0.100 "
			"dst=198.18.1.10 sport=80 dport=%u mark=0 use=1\n",
			names[i], 1000 + i, 1000 + i);
	fputs(/* no state word: none (counted, as before states were read) */
	      "ipv4     2 tcp      6 100 src=198.18.1.10 dst=198.19.0.100 "
	      "sport=2000 dport=80 src=198.19.0.100 dst=198.18.1.10 "
	      "sport=80 dport=2000 mark=0 use=1\n"
	      /* a word we do not know (a newer kernel's state): none */
	      "ipv4     2 tcp      6 100 SYN_SENT3 src=198.18.1.10 "
	      "dst=198.19.0.100 sport=2001 dport=80 src=198.19.0.100 "
	      "dst=198.18.1.10 sport=80 dport=2001 mark=0 use=1\n"
	      /* names are case-sensitive, as the kernel prints them */
	      "ipv4     2 tcp      6 100 time_wait src=198.18.1.10 "
	      "dst=198.19.0.100 sport=2002 dport=80 src=198.19.0.100 "
	      "dst=198.18.1.10 sport=80 dport=2002 mark=0 use=1\n"
	      /* a state word on udp (not kernel output) is not read */
	      "ipv4     2 udp      17 30 TIME_WAIT src=198.18.1.10 "
	      "dst=198.19.0.53 sport=2003 dport=53 src=198.19.0.53 "
	      "dst=198.18.1.10 sport=53 dport=2003 mark=0 use=1\n"
	      /* sctp prints its own states: not read either */
	      "ipv4     2 sctp     132 10 CLOSED src=198.18.1.10 "
	      "dst=198.19.0.9 sport=2004 dport=9 src=198.19.0.9 "
	      "dst=198.18.1.10 sport=9 dport=2004 mark=0 use=1\n"
	      /* two states: not kernel output, skipped */
	      "ipv4     2 tcp      6 100 ESTABLISHED TIME_WAIT "
	      "src=198.18.1.10 dst=198.19.0.100 sport=2005 dport=80 "
	      "src=198.19.0.100 dst=198.18.1.10 sport=80 dport=2005 "
	      "mark=0 use=1\n"
	      /* a state word after the first tuple is a bare word: skipped */
	      "ipv4     2 tcp      6 100 src=198.18.1.10 TIME_WAIT "
	      "dst=198.19.0.100 sport=2006 dport=80 src=198.19.0.100 "
	      "dst=198.18.1.10 sport=80 dport=2006 mark=0 use=1\n", f);
	rewind(f);
	CU_ASSERT_EQUAL(scan_conntrack(f, collect_ct, &v, &st), 0);
	fclose(f);
	CU_ASSERT_EQUAL(st.lines, ARRAY_SIZE(names) + 7);
	CU_ASSERT_EQUAL(st.records, ARRAY_SIZE(names) + 5);
	CU_ASSERT_EQUAL(st.skipped, 2);
	CU_ASSERT_EQUAL_FATAL(v.n, ARRAY_SIZE(names) + 5);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		CU_ASSERT_EQUAL(v.c[i].sport, 1000 + i);
		CU_ASSERT_EQUAL(v.c[i].state, i);
		CU_ASSERT_EQUAL(scan_ct_live(&v.c[i]),
				i != SCAN_CT_TIME_WAIT && i != SCAN_CT_CLOSE);
		CU_ASSERT_STRING_EQUAL(scan_ct_state_name(i), names[i]);
	}
	for (; i < v.n; i++) {
		CU_ASSERT_EQUAL(v.c[i].sport, 2000 + (i - ARRAY_SIZE(names)));
		CU_ASSERT_EQUAL(v.c[i].state, SCAN_CT_NONE);
		CU_ASSERT_TRUE(scan_ct_live(&v.c[i]));
	}
	CU_ASSERT_EQUAL(v.c[ARRAY_SIZE(names) + 4].proto, IPPROTO_SCTP);
}

/* ---- hand-broken variants ---------------------------------------------- */

static void test_tcp_broken(void)
{
	struct socks v;
	struct scan_stats st;

	CU_ASSERT_EQUAL(read_socks("proc/tcp-broken", AF_INET, &v, &st), 0);
	/* header, 2 ESTABLISHED, 1 TIME_WAIT, 10 broken (missing fields,
	 * bad hex port, bad hex address, negative uid, garbage, overlong,
	 * empty, uid > 32 bits, no port, truncated last line) */
	CU_ASSERT_EQUAL(st.lines, 14);
	CU_ASSERT_EQUAL(st.records, 2);
	CU_ASSERT_EQUAL(st.skipped, 10);
	CU_ASSERT_EQUAL_FATAL(v.n, 2);
	expect_sock(&v, "198.18.1.10", 40001, "198.19.0.100", 8080, 1000);
	expect_sock(&v, "198.18.1.11", 40008, "198.19.0.100", 443, 1001);
}

static void test_tcp6_broken(void)
{
	struct socks v;
	struct scan_stats st;

	CU_ASSERT_EQUAL(read_socks("proc/tcp6-broken", AF_INET6, &v, &st), 0);
	/* header, 2 ESTABLISHED, 1 LISTEN, 4 broken (short address, IPv4
	 * line, bad state, truncated) */
	CU_ASSERT_EQUAL(st.lines, 8);
	CU_ASSERT_EQUAL(st.records, 2);
	CU_ASSERT_EQUAL(st.skipped, 4);
	CU_ASSERT_EQUAL_FATAL(v.n, 2);
	expect_sock(&v, "2001:db8:1::10", 40004, "2001:db8:2::100", 8080,
		    1000);
	expect_sock(&v, "198.19.0.100", 8081, "198.18.1.12", 40005, 1002);
}

static void test_conntrack_broken(void)
{
	struct cts v;
	struct scan_stats st;

	CU_ASSERT_EQUAL(read_cts("proc/nf_conntrack-broken", &v, &st), 0);
	CU_ASSERT_EQUAL(st.lines, 16);
	CU_ASSERT_EQUAL(st.records, 5);
	CU_ASSERT_EQUAL(st.skipped, 11);
	CU_ASSERT_EQUAL_FATAL(v.n, 5);
	/* The example line of the design: reply dst is the gateway. */
	expect_ct(&v, "198.18.1.10", IPPROTO_TCP, 40000, "198.19.0.100", 8080,
		  true, 9, 550);
	expect_ct(&v, "198.18.1.10", IPPROTO_UDP, 40001, "198.19.0.53", 53,
		  true, 1, 60);
	expect_ct(&v, "2001:db8:1::10", IPPROTO_TCP, 40005, "2001:db8:2::100",
		  8080, true, 13, 900);
	expect_ct(&v, "198.18.1.10", IPPROTO_TCP, 40012, "198.19.0.100", 8080,
		  false, 0, 0);
	expect_ct(&v, "198.18.1.13", IPPROTO_ICMP, 0, "198.19.0.100", 0,
		  true, 2, 168);
}

/* ---- line reader edges ------------------------------------------------- */

static FILE *mem(const char *text)
{
	FILE *f = tmpfile();

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	rewind(f);
	return f;
}

static const char CT_LINE[] =
	"ipv4     2 tcp      6 431999 ESTABLISHED src=198.18.1.10 "
	"dst=198.19.0.100 sport=40000 dport=8080 packets=5 bytes=300 "
	"src=198.19.0.100 dst=198.19.0.1 sport=8080 dport=40000 packets=4 "
	"bytes=250 [ASSURED] mark=0 zone=0 use=2";

/* A valid line padded with blanks to exactly len bytes, newline added. */
static void put_padded(FILE *f, size_t len)
{
	size_t n = strlen(CT_LINE);

	fputs(CT_LINE, f);
	for (; n < len; n++)
		fputc(' ', f);
	fputc('\n', f);
}

static void test_line_limits(void)
{
	struct cts v = { 0 };
	struct scan_stats st = { 0 };
	FILE *f = tmpfile();
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	put_padded(f, SCAN_LINE_MAX);		/* longest accepted */
	put_padded(f, SCAN_LINE_MAX + 1);	/* one too long */
	put_padded(f, 40000);
	put_padded(f, 200000);			/* longer than the buffer */
	put_padded(f, 0);
	for (i = 0; i < 20; i++)		/* across buffer refills */
		put_padded(f, 1000);
	put_padded(f, 150000);			/* overlong at EOF, no \n */
	fseek(f, -1, SEEK_END);
	fputc(' ', f);
	rewind(f);
	CU_ASSERT_EQUAL(scan_conntrack(f, collect_ct, &v, &st), 0);
	fclose(f);
	CU_ASSERT_EQUAL(st.lines, 26);
	CU_ASSERT_EQUAL(st.records, 22);
	CU_ASSERT_EQUAL(st.skipped, 4);

	memset(&st, 0, sizeof(st));
	v.n = 0;
	f = mem("");
	CU_ASSERT_EQUAL(scan_conntrack(f, collect_ct, &v, &st), 0);
	fclose(f);
	CU_ASSERT_EQUAL(st.lines, 0);

	/* CRLF, a NUL inside, an unterminated last line. */
	f = tmpfile();
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "%s\r\n", CT_LINE);
	fwrite(CT_LINE, 1, 40, f);
	fputc('\0', f);
	fprintf(f, "%s\n", CT_LINE + 41);
	fprintf(f, "%s\n", CT_LINE);
	fputs(CT_LINE, f);
	rewind(f);
	CU_ASSERT_EQUAL(scan_conntrack(f, collect_ct, &v, &st), 0);
	fclose(f);
	CU_ASSERT_EQUAL(st.lines, 4);
	CU_ASSERT_EQUAL(st.records, 1);
	CU_ASSERT_EQUAL(st.skipped, 3);
}

static void test_read_error(void)
{
	struct cts v = { 0 };
	struct scan_stats st = { 0 };
	FILE *f = fopen("/dev/null", "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	errno = 0;
	CU_ASSERT_EQUAL(scan_conntrack(f, collect_ct, &v, &st), -1);
	CU_ASSERT_NOT_EQUAL(errno, 0);
	CU_ASSERT_EQUAL(scan_tcp(f, AF_INET, collect_sock, &v, &st), -1);
	fclose(f);
}

static void test_conntrack_forms(void)
{
	struct cts v = { 0 };
	struct scan_stats st = { 0 };
	FILE *f = mem(
		/* compressed IPv6 (not what the kernel prints) is accepted */
		"ipv6     10 udp      17 20 src=2001:db8:1::10 "
		"dst=2001:db8:2::53 sport=5000 dport=53 packets=1 bytes=80 "
		"src=2001:db8:2::53 dst=2001:db8:1::10 sport=53 dport=5000 "
		"packets=1 bytes=120 mark=0 zone=0 use=2\n"
		/* offloaded: no timeout field; flags; secctx and delta-time */
		"ipv4     2 tcp      6 ESTABLISHED src=198.18.1.10 "
		"dst=198.19.0.100 sport=1 dport=2 packets=10 bytes=1000 "
		"src=198.19.0.100 dst=198.18.1.10 sport=2 dport=1 "
		"packets=20 bytes=2000 [OFFLOAD] mark=7 "
		"secctx=system_u:object_r:unlabeled_t:s0 zone=3 "
		"delta-time=12 use=1\n"
		/* gre keys, unknown to us, ignored */
		"ipv4     2 gre      47 170 timeout=180, stream_timeout=180 "
		"src=198.18.1.10 dst=198.19.0.9 srckey=0x0 dstkey=0x0 "
		"src=198.19.0.9 dst=198.18.1.10 srckey=0x0 dstkey=0x0 "
		"[ASSURED] mark=0 zone=0 use=2\n"
		/* mapped IPv6 becomes IPv4 */
		"ipv6     10 tcp      6 100 ESTABLISHED "
		"src=0000:0000:0000:0000:0000:ffff:c612:010a "
		"dst=2001:0db8:0002:0000:0000:0000:0000:0100 sport=3 "
		"dport=4 src=2001:0db8:0002:0000:0000:0000:0000:0100 "
		"dst=0000:0000:0000:0000:0000:ffff:c612:010a sport=4 "
		"dport=3 mark=0 zone=0 use=2\n"
		/* something after use= : truncated or unknown layout */
		"ipv4     2 udp      17 20 src=198.18.1.10 dst=198.19.0.53 "
		"sport=5 dport=53 src=198.19.0.53 dst=198.18.1.10 sport=53 "
		"dport=5 mark=0 use=2 extra\n"
		/* three tuples */
		"ipv4     2 unknown  50 20 src=198.18.1.10 dst=198.19.0.53 "
		"src=198.19.0.53 dst=198.18.1.10 src=198.19.0.53 "
		"dst=198.18.1.10 use=2\n"
		/* leading zeros in a dotted quad, 4 digits */
		"ipv4     2 unknown  50 20 src=198.18.1.0010 "
		"dst=198.19.0.53 src=198.19.0.53 dst=198.18.1.10 use=2\n"
		/* l4 protocol out of range */
		"ipv4     2 unknown  256 20 src=198.18.1.10 dst=198.19.0.53 "
		"src=198.19.0.53 dst=198.18.1.10 use=2\n"
		/* no reply tuple at all */
		"ipv4     2 unknown  50 20 src=198.18.1.10 dst=198.19.0.53 "
		"use=2\n");

	CU_ASSERT_EQUAL(scan_conntrack(f, collect_ct, &v, &st), 0);
	fclose(f);
	CU_ASSERT_EQUAL(st.lines, 9);
	CU_ASSERT_EQUAL(st.records, 4);
	CU_ASSERT_EQUAL(st.skipped, 5);
	CU_ASSERT_EQUAL_FATAL(v.n, 4);
	expect_ct(&v, "2001:db8:1::10", IPPROTO_UDP, 5000, "2001:db8:2::53",
		  53, true, 2, 200);
	expect_ct(&v, "198.18.1.10", IPPROTO_TCP, 1, "198.19.0.100", 2, true,
		  30, 3000);
	expect_ct(&v, "198.18.1.10", 47, 0, "198.19.0.9", 0, false, 0, 0);
	expect_ct(&v, "198.18.1.10", IPPROTO_TCP, 3, "2001:db8:2::100", 4,
		  false, 0, 0);
	CU_ASSERT_EQUAL(v.c[3].src.family, AF_INET);
}

/* ---- aggregation ------------------------------------------------------ */

static struct tq_conf *lab_conf(void)
{
	char err[256] = "";
	struct tq_conf *c = conf_load_string(
		"network = { local_networks = [ \"198.18.1.0/24\", "
		"\"2001:db8:1::/64\" ]; };\n"
		"quota = { min_uid = 1000; };\n", "test", err, sizeof(err));

	if (!c)
		fprintf(stderr, "conf: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static void expect_host(const struct scan_agg *g, const char *addr,
			uint32_t conns, uint64_t packets)
{
	struct tq_addr a = A(addr);
	struct scan_host h;

	CU_ASSERT_TRUE(scan_agg_host(g, &a, &h));
	CU_ASSERT_TRUE(addr_equal(&h.addr, &a));
	CU_ASSERT_EQUAL(h.conns, conns);
	CU_ASSERT_EQUAL(h.packets, packets);
}

static void expect_closing(const struct scan_agg *g, const char *addr,
			   uint32_t closing)
{
	struct tq_addr a = A(addr);
	struct scan_host h;

	CU_ASSERT_TRUE(scan_agg_host(g, &a, &h));
	CU_ASSERT_EQUAL(h.closing, closing);
}

static void test_agg_real(void)
{
	struct tq_conf *conf = lab_conf();
	struct scan_agg *g = scan_agg_new(conf);
	const struct scan_user *u;
	struct scan_stats st = { 0 };
	struct scan_host h;
	struct tq_addr a;
	FILE *f;
	size_t n;

	f = fixture("proc/tcp");
	CU_ASSERT_EQUAL(scan_tcp(f, AF_INET, scan_agg_sock, g, &st), 0);
	fclose(f);
	f = fixture("proc/tcp6");
	CU_ASSERT_EQUAL(scan_tcp(f, AF_INET6, scan_agg_sock, g, &st), 0);
	fclose(f);
	f = fixture("proc/nf_conntrack");
	CU_ASSERT_EQUAL(scan_conntrack(f, scan_agg_ct, g, &st), 0);
	fclose(f);
	CU_ASSERT_EQUAL(st.records, 9 + 3 + 15);

	/* uid 0 is below min_uid; uid 1000's socket to 198.18.1.1 is local */
	n = scan_agg_users(g, &u);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(u[0].uid, 1000);
	CU_ASSERT_EQUAL(u[0].socks, 2);
	CU_ASSERT_EQUAL(u[1].uid, 1001);
	CU_ASSERT_EQUAL(u[1].socks, 1);
	CU_ASSERT_EQUAL(u[2].uid, 1002);
	CU_ASSERT_EQUAL(u[2].socks, 1);

	/* The entry to 198.18.1.1:2222 is local and not counted. */
	CU_ASSERT_EQUAL(scan_agg_nhosts(g), 8);
	expect_host(g, "198.18.1.10", 2, 14);
	expect_host(g, "198.18.1.11", 1, 7);
	expect_host(g, "198.18.1.12", 1, 7);
	expect_host(g, "198.18.1.20", 4, 0);
	expect_host(g, "198.18.1.21", 1, 0);
	expect_host(g, "2001:db8:1::10", 1, 7);
	expect_host(g, "2001:db8:1::20", 3, 0);
	expect_host(g, "2001:db8:1::21", 1, 0);
	/* A mapped form finds the IPv4 host. */
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.a[10] = a.a[11] = 0xff;
	a.a[12] = 198; a.a[13] = 18; a.a[14] = 1; a.a[15] = 10;
	CU_ASSERT_TRUE(scan_agg_host(g, &a, &h));
	CU_ASSERT_EQUAL(h.conns, 2);
	a = A("198.18.1.99");
	CU_ASSERT_FALSE(scan_agg_host(g, &a, &h));
	CU_ASSERT_EQUAL(h.conns, 0);
	CU_ASSERT_EQUAL(h.packets, 0);

	scan_agg_reset(g);
	CU_ASSERT_EQUAL(scan_agg_nhosts(g), 0);
	CU_ASSERT_EQUAL(scan_agg_users(g, &u), 0);
	a = A("198.18.1.10");
	CU_ASSERT_FALSE(scan_agg_host(g, &a, &h));
	scan_agg_free(g);
	conf_free(conf);
}

static struct scan_sock SK(const char *remote, unsigned uid)
{
	struct scan_sock s;

	memset(&s, 0, sizeof(s));
	s.local = A("198.18.1.10");
	s.remote = A(remote);
	s.lport = 40000;
	s.rport = 443;
	s.uid = uid;
	return s;
}

static struct scan_ct CT(const char *src, const char *dst, uint64_t pk)
{
	struct scan_ct c;

	memset(&c, 0, sizeof(c));
	c.src = A(src);
	c.dst = A(dst);
	c.proto = IPPROTO_TCP;
	c.has_counters = true;
	c.packets = pk;
	return c;
}

static void test_agg_filters(void)
{
	struct tq_conf *conf = lab_conf();
	struct scan_agg *g = scan_agg_new(conf);
	const struct scan_user *u;
	struct scan_sock s;
	struct scan_ct c;
	struct tq_addr m;
	size_t n;
	static const char *const never[] = {
		"127.0.0.1", "127.1.2.3", "0.0.0.0", "169.254.1.1",
		"224.0.0.251", "239.255.255.250", "255.255.255.255", "::1",
		"::", "fe80::1", "ff02::fb",
	};

	/* min_uid boundary, ascending order whatever the feed order */
	s = SK("198.19.0.100", 999);
	scan_agg_sock(&s, g);
	s = SK("198.19.0.100", 5000);
	scan_agg_sock(&s, g);
	s = SK("198.19.0.100", 1000);
	scan_agg_sock(&s, g);
	s = SK("2001:db8:2::1", 3000);
	scan_agg_sock(&s, g);
	s = SK("198.19.0.7", 5000);
	scan_agg_sock(&s, g);
	s = SK("198.19.0.7", 4294967295u);
	scan_agg_sock(&s, g);
	/* local remotes: v4, v6, and a mapped v6 into the v4 network */
	s = SK("198.18.1.1", 1000);
	scan_agg_sock(&s, g);
	s = SK("2001:db8:1::99", 1000);
	scan_agg_sock(&s, g);
	s = SK("198.18.1.1", 1000);
	memset(&m, 0, sizeof(m));
	m.family = AF_INET6;
	m.a[10] = m.a[11] = 0xff;
	m.a[12] = 198; m.a[13] = 18; m.a[14] = 1; m.a[15] = 200;
	s.remote = m;
	scan_agg_sock(&s, g);
	for (n = 0; n < ARRAY_SIZE(never); n++) {
		s = SK(never[n], 1000);
		scan_agg_sock(&s, g);
	}
	n = scan_agg_users(g, &u);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(u[0].uid, 1000);
	CU_ASSERT_EQUAL(u[0].socks, 1);
	CU_ASSERT_EQUAL(u[1].uid, 3000);
	CU_ASSERT_EQUAL(u[1].socks, 1);
	CU_ASSERT_EQUAL(u[2].uid, 5000);
	CU_ASSERT_EQUAL(u[2].socks, 2);
	CU_ASSERT_EQUAL(u[3].uid, 4294967295u);

	/* conntrack: local and never-external destinations ignored */
	c = CT("198.18.1.10", "198.19.0.100", 5);
	scan_agg_ct(&c, g);
	c = CT("198.18.1.10", "198.18.1.1", 1000);
	scan_agg_ct(&c, g);
	c = CT("198.18.1.10", "2001:db8:1::1", 1000);
	c.dst = m;
	scan_agg_ct(&c, g);
	c = CT("2001:db8:1::10", "2001:db8:1::1", 1000);
	scan_agg_ct(&c, g);
	c = CT("2001:db8:1::10", "2001:db8:3::1", 11);
	scan_agg_ct(&c, g);
	for (n = 0; n < ARRAY_SIZE(never); n++) {
		c = CT(strchr(never[n], ':') ? "2001:db8:1::10" :
		       "198.18.1.10", never[n], 1000);
		scan_agg_ct(&c, g);
	}
	c = CT("198.18.1.10", "198.19.0.100", 0);
	c.has_counters = false;
	scan_agg_ct(&c, g);
	CU_ASSERT_EQUAL(scan_agg_nhosts(g), 2);
	expect_host(g, "198.18.1.10", 2, 5);
	expect_host(g, "2001:db8:1::10", 1, 11);
	CU_ASSERT_TRUE(scan_addr_never_external(&m) == false);
	scan_agg_free(g);
	conf_free(conf);
}

/* Many hosts: the table grows and keeps every total; reset reuses it. */
static void test_agg_many_hosts(void)
{
	struct tq_conf *conf = lab_conf();
	struct scan_agg *g = scan_agg_new(conf);
	struct scan_ct c = CT("198.18.0.0", "198.19.0.100", 0);
	struct scan_host h;
	struct tq_addr a;
	unsigned round, i, bad = 0;

	for (round = 0; round < 3; round++) {
		scan_agg_reset(g);
		for (i = 0; i < 3 * 20000; i++) {
			unsigned k = i % 20000;

			c.src.a[1] = 18 + (k >> 16 & 1);
			c.src.a[2] = (uint8_t)(k >> 8);
			c.src.a[3] = (uint8_t)k;
			c.packets = k + round;
			scan_agg_ct(&c, g);
		}
		CU_ASSERT_EQUAL(scan_agg_nhosts(g), 20000);
		for (i = 0; i < 20000; i++) {
			a = c.src;
			a.a[1] = 18;
			a.a[2] = (uint8_t)(i >> 8);
			a.a[3] = (uint8_t)i;
			if (!scan_agg_host(g, &a, &h) || h.conns != 3 ||
			    h.packets != 3ull * (i + round))
				bad++;
		}
		CU_ASSERT_EQUAL(bad, 0);
	}
	scan_agg_free(g);
	conf_free(conf);
}

/* A full read with conntrack events: only the open hosts are counted, the
 * others take no memory; a plain reset counts every source again. */
static void test_agg_only(void)
{
	struct tq_conf *conf = lab_conf();
	struct scan_agg *g = scan_agg_new(conf);
	struct scan_ct c = CT("198.18.0.0", "198.19.0.100", 0);
	struct tq_addr open[3] = { A("198.18.0.7"), A("198.18.0.9"),
				   A("::ffff:198.18.0.7") };
	struct scan_host h;
	struct tq_addr a;
	unsigned i;

	/* grow the table first, as a start-up read of a big table would */
	for (i = 0; i < 20000; i++) {
		c.src.a[2] = (uint8_t)(i >> 8);
		c.src.a[3] = (uint8_t)i;
		scan_agg_ct(&c, g);
	}
	CU_ASSERT_EQUAL(scan_agg_nhosts(g), 20000);

	/* the mapped form of an open host is the same host */
	scan_agg_reset_only(g, open, 3);
	CU_ASSERT_EQUAL(scan_agg_nhosts(g), 2);
	for (i = 0; i < 20000; i++) {
		c.src.a[2] = (uint8_t)(i >> 8);
		c.src.a[3] = (uint8_t)i;
		c.packets = i;
		scan_agg_ct(&c, g);
	}
	CU_ASSERT_EQUAL(scan_agg_nhosts(g), 2);
	expect_host(g, "198.18.0.7", 1, 7);
	expect_host(g, "198.18.0.9", 1, 9);
	a = A("198.18.0.8");
	CU_ASSERT_FALSE(scan_agg_host(g, &a, &h));
	CU_ASSERT_EQUAL(h.conns, 0);

	/* an open host without entries is found, with nothing */
	scan_agg_reset_only(g, open + 1, 1);
	expect_host(g, "198.18.0.9", 0, 0);
	a = A("198.18.0.7");
	CU_ASSERT_FALSE(scan_agg_host(g, &a, &h));

	/* no hosts at all; then a plain reset: every source again */
	scan_agg_reset_only(g, NULL, 0);
	scan_agg_ct(&c, g);
	CU_ASSERT_EQUAL(scan_agg_nhosts(g), 0);
	scan_agg_reset(g);
	scan_agg_ct(&c, g);
	CU_ASSERT_EQUAL(scan_agg_nhosts(g), 1);
	scan_agg_free(g);
	conf_free(conf);
}

/* ---- ctnetlink messages (ct_parse_msg) ---------------------------------- */

#define NLBUF 4096

/* The hex fixture's messages, one a line, into bufs; their lengths. */
static size_t read_nl(const char *name, unsigned char (*bufs)[NLBUF],
		      size_t *lens, size_t max)
{
	FILE *f = fixture(name);
	char line[2 * NLBUF + 2];
	size_t n = 0, i, l;
	unsigned x;

	while (n < max && fgets(line, sizeof(line), f)) {
		l = strcspn(line, "\n");
		CU_ASSERT_EQUAL_FATAL(l % 2, 0);
		for (i = 0; i < l / 2; i++) {
			CU_ASSERT_EQUAL_FATAL(sscanf(line + 2 * i, "%2x", &x),
					      1);
			bufs[n][i] = (unsigned char)x;
		}
		lens[n++] = l / 2;
	}
	fclose(f);
	return n;
}

static void test_netlink_states(void)
{
	static unsigned char bufs[16][NLBUF];
	struct tq_conf *conf = lab_conf();
	struct scan_agg *g = scan_agg_new(conf);
	struct cts v = { 0 };
	struct scan_ct c;
	size_t lens[16], n, i;

	n = read_nl("netlink/ct-states.hex", bufs, lens, 16);
	CU_ASSERT_EQUAL_FATAL(n, 8);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(ct_parse_msg(bufs[i], lens[i], &c), 0);
		collect_ct(&c, &v);
		scan_agg_ct(&c, g);
	}
	expect_states(&v);
	/* The same entry as the procfs line, through netlink. */
	expect_ct(&v, "198.18.5.1", IPPROTO_TCP, 40006, "198.18.5.1", 8084,
		  true, 4 + 3, 218 + 164);
	expect_ct(&v, "2001:db8:5::1", IPPROTO_TCP, 40002, "2001:db8:5::1",
		  8081, true, 5 + 3, 371 + 224);
	/* Live: SYN_SENT, CLOSE_WAIT, ESTABLISHED, udp; every packet. */
	CU_ASSERT_EQUAL(scan_agg_nhosts(g), 2);
	expect_host(g, "198.18.5.1", 4, 1 + 7 + 8 + 7 + 7 + 1 + 3);
	expect_host(g, "2001:db8:5::1", 0, 8);
	expect_closing(g, "198.18.5.1", 3);	/* 2 TIME_WAIT, 1 CLOSE */
	expect_closing(g, "2001:db8:5::1", 1);
	scan_agg_free(g);
	conf_free(conf);
}

/* The procfs capture through the aggregator gives the same totals. */
static void test_agg_states(void)
{
	struct tq_conf *conf = lab_conf();
	struct scan_agg *g = scan_agg_new(conf);
	struct scan_stats st = { 0 };
	struct scan_ct c;
	FILE *f = fixture("proc/nf_conntrack-states");

	CU_ASSERT_EQUAL(scan_conntrack(f, scan_agg_ct, g, &st), 0);
	fclose(f);
	CU_ASSERT_EQUAL(scan_agg_nhosts(g), 2);
	expect_host(g, "198.18.5.1", 4, 34);
	expect_host(g, "2001:db8:5::1", 0, 8);
	expect_closing(g, "198.18.5.1", 3);
	expect_closing(g, "2001:db8:5::1", 1);
	/* One by one: a host seen only through entries that are not live
	 * is there with no connections; its packets count. */
	scan_agg_reset(g);
	c = CT("198.18.1.30", "198.19.0.100", 6);
	c.state = SCAN_CT_TIME_WAIT;
	scan_agg_ct(&c, g);
	c.state = SCAN_CT_CLOSE;
	scan_agg_ct(&c, g);
	expect_host(g, "198.18.1.30", 0, 12);
	expect_closing(g, "198.18.1.30", 2);
	c.state = SCAN_CT_FIN_WAIT;
	scan_agg_ct(&c, g);
	c.state = SCAN_CT_LAST_ACK;
	scan_agg_ct(&c, g);
	c.state = SCAN_CT_SYN_RECV;
	scan_agg_ct(&c, g);
	c.state = SCAN_CT_SYN_SENT2;
	scan_agg_ct(&c, g);
	c.state = SCAN_CT_NONE;
	scan_agg_ct(&c, g);
	expect_host(g, "198.18.1.30", 5, 7 * 6);
	expect_closing(g, "198.18.1.30", 2);
	/* to a local destination: neither */
	c = CT("198.18.1.30", "198.18.1.1", 100);
	c.state = SCAN_CT_TIME_WAIT;
	scan_agg_ct(&c, g);
	expect_host(g, "198.18.1.30", 5, 7 * 6);
	expect_closing(g, "198.18.1.30", 2);
	scan_agg_free(g);
	conf_free(conf);
}

/* Build a ctnetlink entry as the kernel lays it out: nfgenmsg, the
 * original tuple (198.18.1.10:40000 -> 198.19.0.100:443, proto), both
 * counters, then CTA_PROTOINFO > CTA_PROTOINFO_TCP > CTA_PROTOINFO_TCP_STATE
 * with slen bytes of value st (slen < 0: no protoinfo; flat: the state
 * straight in CTA_PROTOINFO, no TCP nest). */
static struct nlmsghdr *nl_entry(char *buf, uint8_t proto, int slen,
				 uint8_t st, bool flat)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *gm;
	struct nlattr *t, *n, *pi, *tcp = NULL;
	uint8_t sv[4] = { st, st, st, st };
	uint32_t a;
	int d;

	memset(buf, 0, NLBUF);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_MULTI;
	gm = mnl_nlmsg_put_extra_header(nlh, sizeof(*gm));
	gm->nfgen_family = AF_INET;
	t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	inet_pton(AF_INET, "198.18.1.10", &a);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, a);
	inet_pton(AF_INET, "198.19.0.100", &a);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, a);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(40000));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(443));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
	for (d = 0; d < 2; d++) {
		n = mnl_attr_nest_start(nlh, d ? CTA_COUNTERS_REPLY :
					CTA_COUNTERS_ORIG);
		mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(3 + d));
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(300));
		mnl_attr_nest_end(nlh, n);
	}
	if (slen >= 0) {
		pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		if (!flat)
			tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, 7);
		mnl_attr_put(nlh, CTA_PROTOINFO_TCP_STATE, (size_t)slen, sv);
		if (tcp)
			mnl_attr_nest_end(nlh, tcp);
		mnl_attr_nest_end(nlh, pi);
	}
	mnl_attr_put_u32(nlh, CTA_USE, htonl(1));
	return nlh;
}

/* The attribute of type type at the top level of nlh (or NULL). */
static struct nlattr *nl_top(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

static void test_netlink_forms(void)
{
	static char buf[NLBUF];
	struct nlmsghdr *nlh;
	struct nlattr *pi, *tcp;
	struct scan_ct c;
	unsigned st;

	/* Every state number the kernel has; beyond them: none. */
	for (st = 0; st < 256; st++) {
		nlh = nl_entry(buf, IPPROTO_TCP, 1, (uint8_t)st, false);
		memset(&c, 0xa5, sizeof(c));
		CU_ASSERT_EQUAL_FATAL(ct_parse_msg(buf, nlh->nlmsg_len, &c),
				      0);
		CU_ASSERT_EQUAL(c.state, st < SCAN_CT_NSTATES ? st :
				SCAN_CT_NONE);
	}
	CU_ASSERT_EQUAL(c.proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(c.sport, 40000);
	CU_ASSERT_EQUAL(c.dport, 443);
	CU_ASSERT_TRUE(c.has_counters);
	CU_ASSERT_EQUAL(c.packets, 7);
	CU_ASSERT_EQUAL(c.bytes, 600);
	/* Only one direction's counters (found by fuzz_ct): no counters,
	 * and no half sum either. */
	nlh = nl_entry(buf, IPPROTO_TCP, 1, SCAN_CT_ESTABLISHED, false);
	nl_top(nlh, CTA_COUNTERS_REPLY)->nla_type = CTA_UNSPEC;
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len, &c), 0);
	CU_ASSERT_FALSE(c.has_counters);
	CU_ASSERT_EQUAL(c.packets, 0);
	CU_ASSERT_EQUAL(c.bytes, 0);
	CU_ASSERT_EQUAL(c.state, SCAN_CT_ESTABLISHED);
	/* No protoinfo at all (an event may carry none): none. */
	nlh = nl_entry(buf, IPPROTO_TCP, -1, 0, false);
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len, &c), 0);
	CU_ASSERT_EQUAL(c.state, SCAN_CT_NONE);
	/* A state attribute too short for its u8: not the kernel's, the
	 * entry is refused; a longer one is read (as mnl_attr_validate). */
	nlh = nl_entry(buf, IPPROTO_TCP, 0, SCAN_CT_TIME_WAIT, false);
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len, &c), -1);
	nlh = nl_entry(buf, IPPROTO_TCP, 4, SCAN_CT_TIME_WAIT, false);
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len, &c), 0);
	CU_ASSERT_EQUAL(c.state, SCAN_CT_TIME_WAIT);
	/* The state outside CTA_PROTOINFO_TCP (type 4 of CTA_PROTOINFO is
	 * something else): not read. */
	nlh = nl_entry(buf, IPPROTO_TCP, 1, SCAN_CT_TIME_WAIT, true);
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len, &c), 0);
	CU_ASSERT_EQUAL(c.state, SCAN_CT_NONE);
	/* A TCP nest on a udp entry: not read. */
	nlh = nl_entry(buf, IPPROTO_UDP, 1, SCAN_CT_TIME_WAIT, false);
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len, &c), 0);
	CU_ASSERT_EQUAL(c.proto, IPPROTO_UDP);
	CU_ASSERT_EQUAL(c.state, SCAN_CT_NONE);
	/* The TCP nest claims more than CTA_PROTOINFO holds: nothing past
	 * the outer nest's end is read, the state stays unknown. */
	nlh = nl_entry(buf, IPPROTO_TCP, 1, SCAN_CT_TIME_WAIT, false);
	pi = nl_top(nlh, CTA_PROTOINFO);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pi);
	tcp = mnl_attr_get_payload(pi);
	tcp->nla_len = (uint16_t)(pi->nla_len - MNL_ATTR_HDRLEN + 4);
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len, &c), 0);
	CU_ASSERT_EQUAL(c.state, SCAN_CT_NONE);
	/* ... and CTA_PROTOINFO claiming more than the message: the walk of
	 * the top level stops there; the tuple before it still counts. */
	nlh = nl_entry(buf, IPPROTO_TCP, 1, SCAN_CT_TIME_WAIT, false);
	pi = nl_top(nlh, CTA_PROTOINFO);
	pi->nla_len = (uint16_t)(pi->nla_len + 64);
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len, &c), 0);
	CU_ASSERT_EQUAL(c.state, SCAN_CT_NONE);
	nlh = nl_entry(buf, IPPROTO_TCP, 1, SCAN_CT_ESTABLISHED, false);
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len, &c), 0);
	/* The message: longer than the buffer, shorter than a header, of
	 * another subsystem, or of a family we do not read. */
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len - 1, &c), -1);
	CU_ASSERT_EQUAL(ct_parse_msg(buf, sizeof(*nlh) - 1, &c), -1);
	CU_ASSERT_EQUAL(ct_parse_msg(buf, 0, &c), -1);
	nlh->nlmsg_len = sizeof(*nlh) - 1;
	CU_ASSERT_EQUAL(ct_parse_msg(buf, NLBUF, &c), -1);
	/* 2 GiB and more: mnl_nlmsg_ok() takes these (found by fuzz_ct) */
	nlh->nlmsg_len = 0x80000000u;
	CU_ASSERT_EQUAL(ct_parse_msg(buf, NLBUF, &c), -1);
	nlh->nlmsg_len = 0xe7e7e7e7u;
	CU_ASSERT_EQUAL(ct_parse_msg(buf, NLBUF, &c), -1);
	nlh = nl_entry(buf, IPPROTO_TCP, 1, 3, false);
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK_EXP << 8 | IPCTNL_MSG_CT_NEW;
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len, &c), -1);
	nlh = nl_entry(buf, IPPROTO_TCP, 1, 3, false);
	((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family =
		AF_BRIDGE;
	CU_ASSERT_EQUAL(ct_parse_msg(buf, nlh->nlmsg_len, &c), -1);
}

/* Real messages cut short: below the header's own length the buffer is
 * refused; a message whose header says it is shorter parses exactly when
 * the original tuple (the kernel's first attribute) is whole. */
static void test_netlink_truncated(void)
{
	static unsigned char bufs[16][NLBUF];
	const size_t first = MNL_NLMSG_HDRLEN +
			     MNL_ALIGN(sizeof(struct nfgenmsg));
	size_t lens[16], n, i, k, bad = 0, ok = 0;
	unsigned char *cut;
	struct nlmsghdr *h;
	struct nlattr *t;
	struct scan_ct c;

	n = read_nl("netlink/ct-states.hex", bufs, lens, 16);
	CU_ASSERT_EQUAL_FATAL(n, 8);
	for (i = 0; i < n; i++) {
		t = (struct nlattr *)(bufs[i] + first);
		CU_ASSERT_EQUAL_FATAL(mnl_attr_get_type(t), CTA_TUPLE_ORIG);
		for (k = 0; k < lens[i]; k++) {
			if (ct_parse_msg(bufs[i], k, &c) != -1)
				bad++;
			/* a heap copy of exactly k bytes: the sanitizer
			 * build sees any read past the end */
			cut = xmalloc(k ? k : 1);
			memcpy(cut, bufs[i], k);
			h = (struct nlmsghdr *)cut;
			if (k >= sizeof(*h))
				h->nlmsg_len = (uint32_t)k;
			if (ct_parse_msg(cut, k, &c) !=
			    (k >= sizeof(*h) && k >= first + t->nla_len ?
			     0 : -1))
				bad++;
			else if (k >= first + t->nla_len)
				ok++;
			free(cut);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_NOT_EQUAL(ok, 0);
}

/* ---- large generated input --------------------------------------------- */

#define BIG 100000
#define BIG_HOSTS 1000

static void count_ct(const struct scan_ct *c, void *arg)
{
	uint64_t *sum = arg;

	sum[0]++;
	sum[1] += c->packets;
	sum[2] += c->bytes;
	sum[3] += c->sport;
}

static void test_big_conntrack(void)
{
	struct tq_conf *conf = lab_conf();
	struct scan_agg *g = scan_agg_new(conf);
	struct scan_stats st = { 0 };
	struct scan_host h;
	struct tq_addr a;
	uint64_t sum[4] = { 0, 0, 0, 0 }, want_pk = 0, want_by = 0,
		 want_port = 0, t0, t1;
	FILE *f = tmpfile();
	unsigned i, bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (i = 0; i < BIG; i++) {
		unsigned host = i % BIG_HOSTS, op = i % 7, rp = i % 5;
		unsigned ob = op * 60 + i % 11, rb = rp * 70;

		if (i % 2) {
			fprintf(f, "ipv4     2 tcp      6 431999 ESTABLISHED "
				"src=198.18.%u.%u dst=198.19.%u.%u sport=%u "
				"dport=443 packets=%u bytes=%u "
				"src=198.19.%u.%u dst=198.19.0.1 sport=443 "
				"dport=%u packets=%u bytes=%u [ASSURED] "
				"mark=0 zone=0 use=2\n",
				host >> 8, host & 255, i >> 8 & 255, i & 255,
				1024 + i % 60000, op, ob, i >> 8 & 255,
				i & 255, 1024 + i % 60000, rp, rb);
		} else {
			fprintf(f, "ipv6     10 udp      17 30 "
				"src=2001:0db8:0001:0000:0000:0000:0000:%04x "
				"dst=2001:0db8:0002:0000:0000:0000:%04x:%04x "
				"sport=%u dport=53 packets=%u bytes=%u "
				"src=2001:0db8:0002:0000:0000:0000:%04x:%04x "
				"dst=2001:0db8:0001:0000:0000:0000:0000:%04x "
				"sport=53 dport=%u packets=%u bytes=%u "
				"mark=0 zone=0 use=2\n",
				host, i >> 16, i & 0xffff, 1024 + i % 60000,
				op, ob, i >> 16, i & 0xffff, host,
				1024 + i % 60000, rp, rb);
		}
		want_pk += op + rp;
		want_by += ob + rb;
		want_port += 1024 + i % 60000;
		if (i % 10000 == 0)
			fputs("ipv4     2 tcp      6 garbage\n", f);
	}
	rewind(f);
	t0 = tq_now_us();
	CU_ASSERT_EQUAL(scan_conntrack(f, count_ct, sum, &st), 0);
	t1 = tq_now_us();
	CU_ASSERT_EQUAL(st.lines, BIG + BIG / 10000);
	CU_ASSERT_EQUAL(st.records, BIG);
	CU_ASSERT_EQUAL(st.skipped, BIG / 10000);
	CU_ASSERT_EQUAL(sum[0], BIG);
	CU_ASSERT_EQUAL(sum[1], want_pk);
	CU_ASSERT_EQUAL(sum[2], want_by);
	CU_ASSERT_EQUAL(sum[3], want_port);
	printf("\n    conntrack: %u lines in %llu us (%.3f us/line) ", BIG,
	       (unsigned long long)(t1 - t0), (double)(t1 - t0) / BIG);

	/* The same through the aggregator: per-host totals. */
	rewind(f);
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(scan_conntrack(f, scan_agg_ct, g, &st), 0);
	CU_ASSERT_EQUAL(scan_agg_nhosts(g), BIG_HOSTS);
	for (i = 0; i < BIG_HOSTS; i++) {
		uint64_t pk = 0;
		unsigned j, n = 0;
		char buf[64];

		/* host i gets lines i, i+1000, ...; parity picks family,
		 * and BIG_HOSTS is even, so each host keeps one family */
		for (j = i; j < BIG; j += BIG_HOSTS) {
			pk += j % 7 + j % 5;
			n++;
		}
		if (i % 2)
			snprintf(buf, sizeof(buf), "198.18.%u.%u", i >> 8,
				 i & 255);
		else
			snprintf(buf, sizeof(buf), "2001:db8:1::%x", i);
		a = A(buf);
		if (!scan_agg_host(g, &a, &h) || h.conns != n ||
		    h.packets != pk)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	fclose(f);
	scan_agg_free(g);
	conf_free(conf);
}

static void test_big_tcp(void)
{
	struct tq_conf *conf = lab_conf();
	struct scan_agg *g = scan_agg_new(conf);
	struct scan_stats st = { 0 };
	const struct scan_user *u;
	FILE *f = tmpfile();
	uint64_t t0, t1;
	unsigned i, n_est = 0, per_uid[10] = { 0 }, bad = 0;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("  sl  local_address rem_address   st tx_queue rx_queue tr "
	      "tm->when retrnsmt   uid  timeout inode\n", f);
	for (i = 0; i < BIG; i++) {
		unsigned st_ = i % 3 ? 1 : 6, uid = 995 + i % 10;

		/* remote 198.19.x.y (outside), every 4th 198.18.1.y (local);
		 * the kernel prints the address as a host-order word */
		unsigned b2 = i % 4 ? (i >> 8 & 255) : 1;

		fprintf(f, "%4u: 0A0112C6:%04X %02X%02X%02XC6:01BB %02X "
			"00000000:00000000 00:00000000 00000000 %5u        0 "
			"%u 1 0000000000000000 20 4 30 10 -1\n",
			i, 1024 + i % 60000, i & 255, b2,
			i % 4 ? 0x13 : 0x12, st_, uid, 100000 + i);
		if (st_ == 1) {
			n_est++;
			if (uid >= 1000 && i % 4)
				per_uid[uid - 995]++;
		}
	}
	rewind(f);
	t0 = tq_now_us();
	CU_ASSERT_EQUAL(scan_tcp(f, AF_INET, scan_agg_sock, g, &st), 0);
	t1 = tq_now_us();
	printf("\n    tcp: %u lines in %llu us (%.3f us/line) ", BIG,
	       (unsigned long long)(t1 - t0), (double)(t1 - t0) / BIG);
	CU_ASSERT_EQUAL(st.lines, BIG + 1);
	CU_ASSERT_EQUAL(st.records, n_est);
	CU_ASSERT_EQUAL(st.skipped, 0);
	n = scan_agg_users(g, &u);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	for (i = 0; i < 5; i++)
		if (u[i].uid != 1000 + i || u[i].socks != per_uid[5 + i])
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
	fclose(f);
	scan_agg_free(g);
	conf_free(conf);
}

static const struct tq_test tests[] = {
	{ "tcp: real capture", test_tcp_real },
	{ "tcp6: real capture, mapped addresses", test_tcp6_real },
	{ "tcp: wrong family, bad family", test_tcp_wrong_family },
	{ "conntrack: real capture", test_conntrack_real },
	{ "tcp: hand-broken lines", test_tcp_broken },
	{ "tcp6: hand-broken lines", test_tcp6_broken },
	{ "conntrack: hand-broken lines", test_conntrack_broken },
	{ "conntrack: other forms", test_conntrack_forms },
	{ "conntrack: TCP states, real capture", test_conntrack_states },
	{ "conntrack: every TCP state name", test_conntrack_state_names },
	{ "netlink: TCP states, real dump", test_netlink_states },
	{ "netlink: attribute forms", test_netlink_forms },
	{ "netlink: truncated messages", test_netlink_truncated },
	{ "line limits, CRLF, NUL, EOF", test_line_limits },
	{ "read error", test_read_error },
	{ "agg: real captures", test_agg_real },
	{ "agg: local networks, min_uid, uid order", test_agg_filters },
	{ "agg: 20000 hosts, reset", test_agg_many_hosts },
	{ "agg: only the open hosts, table shrunk", test_agg_only },
	{ "agg: live states count, packets all", test_agg_states },
	{ "100k conntrack lines", test_big_conntrack },
	{ "100k tcp lines", test_big_tcp },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("scan", tests);
}
