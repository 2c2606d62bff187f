/* test_addr.c - addresses and CIDR networks. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "tq_test.h"

/* Parse s, expect success, and return the canonical text form. */
static const char *roundtrip(const char *s)
{
	static char buf[TQ_ADDRSTRLEN];
	struct tq_addr a;

	if (addr_parse(s, &a) < 0)
		return "(parse failed)";
	return addr_format(&a, buf, sizeof(buf));
}

static void test_parse_v4(void)
{
	struct tq_addr a;
	static const uint8_t zero[12];

	CU_ASSERT_EQUAL(addr_parse("198.18.0.1", &a), 0);
	CU_ASSERT_EQUAL(a.family, AF_INET);
	CU_ASSERT_EQUAL(a.a[0], 198);
	CU_ASSERT_EQUAL(a.a[1], 18);
	CU_ASSERT_EQUAL(a.a[2], 0);
	CU_ASSERT_EQUAL(a.a[3], 1);
	/* the rest is zero, so memcmp over the struct compares */
	CU_ASSERT_EQUAL(memcmp(a.a + 4, zero, 12), 0);
	CU_ASSERT_STRING_EQUAL(roundtrip("198.18.0.1"), "198.18.0.1");
	CU_ASSERT_STRING_EQUAL(roundtrip("0.0.0.0"), "0.0.0.0");
	CU_ASSERT_STRING_EQUAL(roundtrip("255.255.255.255"),
			       "255.255.255.255");
}

static void test_parse_v6(void)
{
	struct tq_addr a;

	CU_ASSERT_EQUAL(addr_parse("2001:db8::1", &a), 0);
	CU_ASSERT_EQUAL(a.family, AF_INET6);
	CU_ASSERT_EQUAL(a.a[0], 0x20);
	CU_ASSERT_EQUAL(a.a[1], 0x01);
	CU_ASSERT_EQUAL(a.a[2], 0x0d);
	CU_ASSERT_EQUAL(a.a[3], 0xb8);
	CU_ASSERT_EQUAL(a.a[15], 1);
	CU_ASSERT_STRING_EQUAL(roundtrip("2001:DB8:0:0:0:0:0:1"),
			       "2001:db8::1");
	CU_ASSERT_STRING_EQUAL(roundtrip("::"), "::");
	CU_ASSERT_STRING_EQUAL(roundtrip("::1"), "::1");
	CU_ASSERT_STRING_EQUAL(roundtrip("fe80::1"), "fe80::1");
	CU_ASSERT_STRING_EQUAL(
		roundtrip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* the longest text form there is: 45 characters */
	CU_ASSERT_STRING_EQUAL(
		roundtrip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"),
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_parse_mapped(void)
{
	struct tq_addr a, b;

	CU_ASSERT_EQUAL(addr_parse("::ffff:198.18.0.1", &a), 0);
	CU_ASSERT_EQUAL(a.family, AF_INET);
	CU_ASSERT_EQUAL(addr_parse("198.18.0.1", &b), 0);
	CU_ASSERT_TRUE(addr_equal(&a, &b));
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
	CU_ASSERT_STRING_EQUAL(roundtrip("::ffff:198.18.0.1"), "198.18.0.1");
	CU_ASSERT_STRING_EQUAL(roundtrip("::FFFF:c612:1"), "198.18.0.1");
	/* IPv4-compatible (deprecated) and NAT64 forms stay IPv6 */
	CU_ASSERT_STRING_EQUAL(roundtrip("::198.18.0.1"), "::198.18.0.1");
	CU_ASSERT_STRING_EQUAL(roundtrip("64:ff9b::198.18.0.1"),
			       "64:ff9b::c612:1");
	CU_ASSERT_STRING_EQUAL(roundtrip("::fffe:198.18.0.1"),
			       "::fffe:c612:1");
}

/* Socket addresses both ways: the port in network order, a mapped IPv6
 * peer (a dual-stack socket's IPv4 client) as IPv4, other families
 * refused. */
static void test_sockaddr(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 m;
	struct tq_addr a, b;
	char buf[TQ_ADDRSTRLEN];

	CU_ASSERT_EQUAL(addr_parse("198.18.0.1", &a), 0);
	CU_ASSERT_EQUAL(addr_to_sockaddr(&a, 8080, &ss),
			sizeof(struct sockaddr_in));
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&ss)->sin_port, htons(8080));
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&ss)->sin_addr.s_addr,
			htonl(0xc6120001));
	CU_ASSERT_EQUAL(addr_from_sockaddr((struct sockaddr *)&ss, &b), 0);
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);

	CU_ASSERT_EQUAL(addr_parse("2001:db8::7", &a), 0);
	CU_ASSERT_EQUAL(addr_to_sockaddr(&a, 80, &ss),
			sizeof(struct sockaddr_in6));
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(((struct sockaddr_in6 *)&ss)->sin6_port, htons(80));
	CU_ASSERT_EQUAL(addr_from_sockaddr((struct sockaddr *)&ss, &b), 0);
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
	CU_ASSERT_STRING_EQUAL(addr_format(&b, buf, sizeof(buf)),
			       "2001:db8::7");

	memset(&m, 0, sizeof(m));
	m.sin6_family = AF_INET6;
	CU_ASSERT_EQUAL(inet_pton(AF_INET6, "::ffff:198.18.0.9", &m.sin6_addr),
			1);
	CU_ASSERT_EQUAL(addr_from_sockaddr((struct sockaddr *)&m, &b), 0);
	CU_ASSERT_EQUAL(b.family, AF_INET);
	CU_ASSERT_STRING_EQUAL(addr_format(&b, buf, sizeof(buf)),
			       "198.18.0.9");

	ss.ss_family = AF_UNIX;
	CU_ASSERT_EQUAL(addr_from_sockaddr((struct sockaddr *)&ss, &b), -1);
	CU_ASSERT_EQUAL(addr_from_sockaddr(NULL, &b), -1);
}

static void test_parse_rejects(void)
{
	static const char *const bad[] = {
		"", " ", "198.18.0.1 ", " 198.18.0.1", "198.18.0.1\n",
		"198.18.0", "198.18.0.256", "198.18.0.1.2", "0x7f.0.0.1",
		"010.0.0.1", "1.2.3.-1", "localhost", "example.org",
		"fe80::1%eth0", "fe80::1%1", "2001:db8::1/64", "2001:db8:::1",
		"1:2:3:4:5:6:7:8:9", "gggg::1", "[2001:db8::1]",
		"198.18.0.1:80", "2001:db8::1 ",
		/* longer than TQ_ADDRSTRLEN - 1 even though it might parse */
		"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000",
	};
	struct tq_addr a;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 0xaa, sizeof(a));
		CU_ASSERT_EQUAL(addr_parse(bad[i], &a), -1);
		/* a failed parse leaves out alone */
		CU_ASSERT_EQUAL(a.family, 0xaa);
	}
	CU_ASSERT_EQUAL(addr_parse(NULL, &a), -1);
}

static void test_overlong(void)
{
	char s[100];
	struct tq_addr a;

	/* the longest valid text: 45 characters */
	CU_ASSERT_EQUAL(addr_parse(
		"0000:0000:0000:0000:0000:ffff:198.018.000.001", &a), -1);
	CU_ASSERT_EQUAL(addr_parse(
		"0000:0000:0000:0000:0000:fffe:198.108.100.101", &a), 0);
	CU_ASSERT_EQUAL(a.family, AF_INET6);
	/* 46 and more are refused before inet_pton() sees them */
	memset(s, 'a', sizeof(s));
	s[99] = '\0';
	CU_ASSERT_EQUAL(addr_parse(s, &a), -1);
	memcpy(s, "0000:0000:0000:0000:0000:fffe:198.108.100.101 ", 46);
	s[46] = '\0';
	CU_ASSERT_EQUAL(addr_parse(s, &a), -1);
}

static void test_format_small_buffer(void)
{
	struct tq_addr a;
	char buf[8];

	CU_ASSERT_EQUAL(addr_parse("198.18.0.1", &a), 0);
	memset(buf, 'x', sizeof(buf));
	addr_format(&a, buf, sizeof(buf));
	/* never overflows; always terminated */
	CU_ASSERT_TRUE(memchr(buf, '\0', sizeof(buf)) != NULL);
	memset(&a, 0, sizeof(a));
	a.family = 99;
	CU_ASSERT_STRING_EQUAL(addr_format(&a, buf, sizeof(buf)), "?");
}

static void test_cmp_hash(void)
{
	struct tq_addr a, b, c, d;

	CU_ASSERT_EQUAL(addr_parse("198.18.0.1", &a), 0);
	CU_ASSERT_EQUAL(addr_parse("198.18.0.2", &b), 0);
	CU_ASSERT_EQUAL(addr_parse("2001:db8::1", &c), 0);
	CU_ASSERT_EQUAL(addr_parse("::ffff:198.18.0.1", &d), 0);
	CU_ASSERT_TRUE(addr_cmp(&a, &b) < 0);
	CU_ASSERT_TRUE(addr_cmp(&b, &a) > 0);
	CU_ASSERT_EQUAL(addr_cmp(&a, &d), 0);
	/* AF_INET (2) sorts before AF_INET6 (10) */
	CU_ASSERT_TRUE(addr_cmp(&b, &c) < 0);
	CU_ASSERT_FALSE(addr_equal(&a, &b));
	CU_ASSERT_EQUAL(addr_hash(&a), addr_hash(&d));
	CU_ASSERT_NOT_EQUAL(addr_hash(&a), addr_hash(&b));
}

/* Addresses differing in the last octet spread over the low bits, which
 * is what an open-addressing table with a power-of-two size uses. */
static void test_hash_spread(void)
{
	unsigned buckets[64] = { 0 };
	struct tq_addr a;
	unsigned i, max = 0;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	a.a[0] = 198;
	a.a[1] = 18;
	for (i = 0; i < 1024; i++) {
		a.a[2] = (uint8_t)(i >> 8);
		a.a[3] = (uint8_t)i;
		buckets[addr_hash(&a) & 63]++;
	}
	for (i = 0; i < 64; i++)
		if (buckets[i] > max)
			max = buckets[i];
	/* 16 per bucket on average; a poor hash piles them up */
	CU_ASSERT_TRUE(max <= 32);
}

/* Parse a CIDR and return its canonical text, or "ERR". */
static const char *cidr(const char *s)
{
	static char buf[TQ_ADDRSTRLEN + 8];
	struct tq_cidr c;

	if (cidr_parse(s, &c) < 0)
		return "ERR";
	return cidr_format(&c, buf, sizeof(buf));
}

static void test_cidr_parse(void)
{
	CU_ASSERT_STRING_EQUAL(cidr("198.18.0.0/15"), "198.18.0.0/15");
	CU_ASSERT_STRING_EQUAL(cidr("0.0.0.0/0"), "0.0.0.0/0");
	CU_ASSERT_STRING_EQUAL(cidr("198.18.0.1/32"), "198.18.0.1/32");
	CU_ASSERT_STRING_EQUAL(cidr("198.18.0.1"), "198.18.0.1/32");
	CU_ASSERT_STRING_EQUAL(cidr("2001:db8::/32"), "2001:db8::/32");
	CU_ASSERT_STRING_EQUAL(cidr("::/0"), "::/0");
	CU_ASSERT_STRING_EQUAL(cidr("2001:db8::1/128"), "2001:db8::1/128");
	CU_ASSERT_STRING_EQUAL(cidr("2001:db8::1"), "2001:db8::1/128");
	CU_ASSERT_STRING_EQUAL(cidr("fd00::/8"), "fd00::/8");
	CU_ASSERT_STRING_EQUAL(cidr("2001:db8:8000::/33"),
			       "2001:db8:8000::/33");
	CU_ASSERT_STRING_EQUAL(cidr("198.18.128.0/17"), "198.18.128.0/17");
	CU_ASSERT_STRING_EQUAL(cidr("192.168.0.0/16"), "192.168.0.0/16");
	/* mapped networks are stored as IPv4 */
	CU_ASSERT_STRING_EQUAL(cidr("::ffff:198.18.0.0/112"), "198.18.0.0/16");
	CU_ASSERT_STRING_EQUAL(cidr("::ffff:198.18.0.1"), "198.18.0.1/32");
	CU_ASSERT_STRING_EQUAL(cidr("::ffff:198.18.0.1/128"), "198.18.0.1/32");
	CU_ASSERT_STRING_EQUAL(cidr("::ffff:0.0.0.0/96"), "0.0.0.0/0");
}

static void test_cidr_rejects(void)
{
	static const char *const bad[] = {
		/* host bits set */
		"198.18.0.1/15", "198.19.0.0/15", "198.18.0.1/31",
		"0.0.0.1/0", "2001:db8::1/32", "2001:db8::1/127",
		"::1/0", "198.18.128.0/16",
		/* prefix out of range or malformed */
		"198.18.0.0/33", "2001:db8::/129", "198.18.0.0/",
		"198.18.0.0/-1", "198.18.0.0/+8", "198.18.0.0/08",
		"198.18.0.0/8x", "198.18.0.0/ 8", "198.18.0.0 /15",
		"198.18.0.0/15/15", "198.18.0.0/4294967311",
		"198.18.0.0/99999999999999999999",
		/* not addresses */
		"", "/", "/8", "example.org/24", "fe80::%eth0/64",
		"198.18.0/24",
		/* a mapped network needs a prefix of 96..128 */
		"::ffff:0.0.0.0/95", "::ffff:198.18.0.0/129",
		"::ffff:198.18.0.0/112x", "::ffff:198.18.0.1/127",
	};
	struct tq_cidr c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0xaa, sizeof(c));
		CU_ASSERT_EQUAL(cidr_parse(bad[i], &c), -1);
		CU_ASSERT_EQUAL(c.prefix, 0xaa);
	}
	CU_ASSERT_EQUAL(cidr_parse(NULL, &c), -1);
}

static bool in(const char *net, const char *addr)
{
	struct tq_cidr c;
	struct tq_addr a;

	if (cidr_parse(net, &c) < 0 || addr_parse(addr, &a) < 0)
		abort();
	return cidr_match(&c, &a);
}

static void test_cidr_match(void)
{
	CU_ASSERT_TRUE(in("198.18.0.0/15", "198.18.0.0"));
	CU_ASSERT_TRUE(in("198.18.0.0/15", "198.19.255.255"));
	CU_ASSERT_FALSE(in("198.18.0.0/15", "198.17.255.255"));
	CU_ASSERT_FALSE(in("198.18.0.0/15", "198.20.0.0"));
	CU_ASSERT_TRUE(in("0.0.0.0/0", "203.0.113.7"));
	CU_ASSERT_TRUE(in("198.18.0.1/32", "198.18.0.1"));
	CU_ASSERT_FALSE(in("198.18.0.1/32", "198.18.0.2"));
	CU_ASSERT_TRUE(in("198.18.0.0/31", "198.18.0.1"));
	CU_ASSERT_FALSE(in("198.18.0.0/31", "198.18.0.2"));

	CU_ASSERT_TRUE(in("2001:db8::/32", "2001:db8:ffff::1"));
	CU_ASSERT_FALSE(in("2001:db8::/32", "2001:db9::1"));
	CU_ASSERT_TRUE(in("2001:db8:8000::/33", "2001:db8:8000::1"));
	CU_ASSERT_FALSE(in("2001:db8:8000::/33", "2001:db8:7fff::1"));
	CU_ASSERT_TRUE(in("::/0", "2001:db8::1"));
	CU_ASSERT_TRUE(in("2001:db8::1/128", "2001:db8::1"));
	CU_ASSERT_FALSE(in("2001:db8::1/128", "2001:db8::2"));
	CU_ASSERT_TRUE(in("fd00::/8", "fdff::1"));
	CU_ASSERT_FALSE(in("fd00::/8", "fc00::1"));

	/* families never mix: ::/0 is not "everything" for IPv4 */
	CU_ASSERT_FALSE(in("::/0", "198.18.0.1"));
	CU_ASSERT_FALSE(in("0.0.0.0/0", "2001:db8::1"));
	/* mapped addresses match IPv4 networks */
	CU_ASSERT_TRUE(in("198.18.0.0/15", "::ffff:198.18.3.4"));
	CU_ASSERT_FALSE(in("198.18.0.0/15", "::ffff:10.0.0.1"));
}

/* A struct filled from a kernel sockaddr_in6 may hold a mapped address
 * that addr_parse() would have unmapped; it still matches IPv4. */
static void test_cidr_match_raw_mapped(void)
{
	struct tq_cidr c;
	struct tq_addr a;

	CU_ASSERT_EQUAL(cidr_parse("198.18.0.0/15", &c), 0);
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.a[10] = 0xff;
	a.a[11] = 0xff;
	a.a[12] = 198;
	a.a[13] = 19;
	a.a[14] = 1;
	a.a[15] = 1;
	CU_ASSERT_TRUE(cidr_match(&c, &a));
	a.a[13] = 20;
	CU_ASSERT_FALSE(cidr_match(&c, &a));
	CU_ASSERT_EQUAL(cidr_parse("::/0", &c), 0);
	CU_ASSERT_FALSE(cidr_match(&c, &a));
}

static void test_cidr_match_any(void)
{
	struct tq_cidr nets[2];
	struct tq_addr a;

	CU_ASSERT_EQUAL(cidr_parse("192.168.0.0/16", &nets[0]), 0);
	CU_ASSERT_EQUAL(cidr_parse("fd00::/8", &nets[1]), 0);
	CU_ASSERT_EQUAL(addr_parse("192.168.7.7", &a), 0);
	CU_ASSERT_TRUE(cidr_match_any(nets, 2, &a));
	CU_ASSERT_FALSE(cidr_match_any(nets, 0, &a));
	CU_ASSERT_EQUAL(addr_parse("fd12::7", &a), 0);
	CU_ASSERT_TRUE(cidr_match_any(nets, 2, &a));
	CU_ASSERT_FALSE(cidr_match_any(nets, 1, &a));
	CU_ASSERT_EQUAL(addr_parse("198.18.0.1", &a), 0);
	CU_ASSERT_FALSE(cidr_match_any(nets, 2, &a));
}

static bool is_host(const char *s)
{
	struct tq_addr a;

	CU_ASSERT_EQUAL_FATAL(addr_parse(s, &a), 0);
	return addr_is_host(&a);
}

static void test_is_linklocal(void)
{
	static const char *const ll[] = {
		"169.254.0.0", "169.254.1.2", "169.254.255.255", "fe80::1",
		"fe80::200:ff:fe00:1", "febf:ffff::1",
		"::ffff:169.254.0.1",	/* stored as IPv4 */
	};
	static const char *const not_ll[] = {
		"169.253.255.255", "169.255.0.0", "198.18.1.10", "0.0.0.0",
		"fe7f::1", "fec0::1", "2001:db8:1::10", "::", "::1", "ff02::1",
	};
	struct tq_addr a;
	size_t i;

	for (i = 0; i < sizeof(ll) / sizeof(ll[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(addr_parse(ll[i], &a), 0);
		CU_ASSERT_TRUE(addr_is_linklocal(&a));
	}
	for (i = 0; i < sizeof(not_ll) / sizeof(not_ll[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(addr_parse(not_ll[i], &a), 0);
		CU_ASSERT_FALSE(addr_is_linklocal(&a));
	}
}

static void test_is_host(void)
{
	static const char *const hosts[] = {
		"198.18.1.10", "1.0.0.0", "126.255.255.255", "128.0.0.1",
		"223.255.255.255", "10.0.0.1", "2001:db8:1::10", "::2",
		"fd00::1", "fec0::1", "fe7f::1", "::ffff:198.18.1.40",
	};
	static const char *const not_hosts[] = {
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254",
		"224.0.0.1", "239.255.255.255", "240.0.0.1",
		"255.255.255.255", "::", "::1", "ff02::1", "ff00::",
		"fe80::1", "febf::1", "::ffff:127.0.0.1",
	};
	size_t i;

	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		CU_ASSERT_TRUE(is_host(hosts[i]));
	for (i = 0; i < sizeof(not_hosts) / sizeof(not_hosts[0]); i++)
		CU_ASSERT_FALSE(is_host(not_hosts[i]));
}

/* addr_canon of s, or "(refused)". */
static const char *canon(const char *s)
{
	static char buf[TQ_ADDRSTRLEN];

	strcpy(buf, "untouched");
	if (addr_canon(s, buf, sizeof(buf)) < 0)
		return strcmp(buf, "untouched") ? "(buf written)" :
						  "(refused)";
	return buf;
}

static void test_canon(void)
{
	/* one host, one text: every spelling of 198.18.1.10 */
	CU_ASSERT_STRING_EQUAL(canon("198.18.1.10"), "198.18.1.10");
	CU_ASSERT_STRING_EQUAL(canon("::ffff:198.18.1.10"), "198.18.1.10");
	CU_ASSERT_STRING_EQUAL(canon("::FFFF:198.18.1.10"), "198.18.1.10");
	CU_ASSERT_STRING_EQUAL(canon("::ffff:c612:10a"), "198.18.1.10");
	CU_ASSERT_STRING_EQUAL(canon("0:0:0:0:0:ffff:c612:010a"),
			       "198.18.1.10");
	/* and of 2001:db8:1::10 */
	CU_ASSERT_STRING_EQUAL(canon("2001:db8:1::10"), "2001:db8:1::10");
	CU_ASSERT_STRING_EQUAL(canon("2001:db8:1:0::10"), "2001:db8:1::10");
	CU_ASSERT_STRING_EQUAL(canon("2001:DB8:1::10"), "2001:db8:1::10");
	CU_ASSERT_STRING_EQUAL(canon("2001:0db8:0001:0000:0000:0000:0000:0010"),
			       "2001:db8:1::10");
	CU_ASSERT_STRING_EQUAL(canon("2001:db8:1:0:0:0:0:10"),
			       "2001:db8:1::10");
	/* the longest run of zeros is the one shortened (RFC 5952) */
	CU_ASSERT_STRING_EQUAL(canon("2001:db8:0:0:1:0:0:0"),
			       "2001:db8:0:0:1::");
	/* not addresses: refused, the buffer untouched */
	CU_ASSERT_STRING_EQUAL(canon(""), "(refused)");
	CU_ASSERT_STRING_EQUAL(canon("198.18.1.010"), "(refused)");
	CU_ASSERT_STRING_EQUAL(canon(" 198.18.1.10"), "(refused)");
	CU_ASSERT_STRING_EQUAL(canon("fe80::1%lan0"), "(refused)");
	CU_ASSERT_STRING_EQUAL(canon("198.18.1.0/24"), "(refused)");
	CU_ASSERT_STRING_EQUAL(canon("host.example"), "(refused)");
	CU_ASSERT_STRING_EQUAL(canon(NULL), "(refused)");
}

/* cidr_of() printed. */
static const char *net_of(const char *s, unsigned prefix)
{
	static char buf[TQ_ADDRSTRLEN + 4];
	struct tq_addr a;
	struct tq_cidr c;

	if (addr_parse(s, &a) < 0)
		return "(parse failed)";
	cidr_of(&a, prefix, &c);
	return cidr_format(&c, buf, sizeof(buf));
}

static void test_cidr_of(void)
{
	CU_ASSERT_STRING_EQUAL(net_of("198.18.1.1", 24), "198.18.1.0/24");
	CU_ASSERT_STRING_EQUAL(net_of("198.18.1.129", 25), "198.18.1.128/25");
	CU_ASSERT_STRING_EQUAL(net_of("198.19.255.7", 15), "198.18.0.0/15");
	CU_ASSERT_STRING_EQUAL(net_of("198.18.1.1", 32), "198.18.1.1/32");
	CU_ASSERT_STRING_EQUAL(net_of("198.18.1.1", 40), "198.18.1.1/32");
	CU_ASSERT_STRING_EQUAL(net_of("198.18.1.1", 0), "0.0.0.0/0");
	CU_ASSERT_STRING_EQUAL(net_of("2001:db8:1::1", 64), "2001:db8:1::/64");
	CU_ASSERT_STRING_EQUAL(net_of("2001:db8:1:ffff::1", 49),
			       "2001:db8:1:8000::/49");
	CU_ASSERT_STRING_EQUAL(net_of("2001:db8:1::1", 128),
			       "2001:db8:1::1/128");
	CU_ASSERT_STRING_EQUAL(net_of("2001:db8:1::1", 200),
			       "2001:db8:1::1/128");
}

/* The lab's gateway: lan0 198.18.1.1/24, 2001:db8:1::1/64 and its
 * link-local address; wan0 198.19.0.1/24, 2001:db8:2::1/64; lo. */
static void lab_lan(struct tq_lan *lan)
{
	static const struct { const char *a; unsigned prefix; bool lan; } v[] = {
		{ "127.0.0.1", 8, false }, { "::1", 128, false },
		{ "2001:db8:1::1", 64, true }, { "fe80::1", 64, true },
		{ "198.18.1.1", 24, true }, { "198.19.0.1", 24, false },
		{ "2001:db8:2::1", 64, false },
		{ "198.18.1.1", 24, true },	/* twice: kept once */
	};
	struct tq_addr a;
	size_t i;

	memset(lan, 0, sizeof(*lan));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(addr_parse(v[i].a, &a), 0);
		addr_lan_own(lan, &a);
		if (v[i].lan)
			addr_lan_net(lan, &a, v[i].prefix);
	}
}

/* addr_lan_check of s: "" if a LAN host, else the reason. */
static const char *lan_check(const struct tq_lan *lan, const char *s)
{
	static char why[256];
	struct tq_addr a;

	if (addr_parse(s, &a) < 0)
		return "(parse failed)";
	strcpy(why, "untouched");
	if (addr_lan_check(lan, &a, why, sizeof(why)) == 0)
		return strcmp(why, "untouched") ? "(why written)" : "";
	return why;
}

static void test_lan_check(void)
{
	static const char out[] =
		"outside the LAN's networks (198.18.1.0/24, 2001:db8:1::/64)";
	struct tq_lan lan, none;
	char buf[64];

	lab_lan(&lan);
	CU_ASSERT_EQUAL(lan.n_nets, 2);		/* no link-local network */
	CU_ASSERT_EQUAL(lan.n_own, 7);
	CU_ASSERT_STRING_EQUAL(cidr_format(&lan.nets[0], buf, sizeof(buf)),
			       "198.18.1.0/24");
	CU_ASSERT_STRING_EQUAL(cidr_format(&lan.nets[1], buf, sizeof(buf)),
			       "2001:db8:1::/64");
	/* LAN hosts, in any spelling */
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.1.10"), "");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "::ffff:198.18.1.10"), "");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.1.2"), "");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.1.254"), "");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "2001:db8:1::10"), "");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "2001:DB8:1:0::2"), "");
	CU_ASSERT_STRING_EQUAL(
		lan_check(&lan, "2001:db8:1:0:ffff:ffff:ffff:ffff"), "");
	/* the gateway's own addresses, on any interface */
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.1.1"),
			       "an address of the gateway itself");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "::ffff:198.18.1.1"),
			       "an address of the gateway itself");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "2001:db8:1::1"),
			       "an address of the gateway itself");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.19.0.1"),
			       "an address of the gateway itself");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "2001:db8:2::1"),
			       "an address of the gateway itself");
	/* network, broadcast, subnet-router anycast */
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.1.0"),
			       "the network address of 198.18.1.0/24");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.1.255"),
			       "the broadcast address of 198.18.1.0/24");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "2001:db8:1::"),
		"the subnet-router anycast address of 2001:db8:1::/64");
	/* outside: the WAN side, a neighbouring network, the Internet */
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.19.0.100"), out);
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.2.10"), out);
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.0.255"), out);
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "2001:db8:2::100"), out);
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "2001:db8:1:1::10"), out);
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "192.0.2.1"), out);
	/* the reason is cut to the buffer, never overrun */
	{
		struct tq_addr a;
		char small[20];

		memset(small, 'x', sizeof(small));
		CU_ASSERT_EQUAL(addr_parse("198.19.0.100", &a), 0);
		CU_ASSERT_EQUAL(addr_lan_check(&lan, &a, small, 12), -1);
		CU_ASSERT_STRING_EQUAL(small, "outside the");
		CU_ASSERT_EQUAL(small[12], 'x');
	}
	addr_lan_free(&lan);
	CU_ASSERT_PTR_NULL(lan.nets);
	CU_ASSERT_EQUAL(lan.n_own, 0);

	/* no LAN address known: only the gateway's own are refused */
	memset(&none, 0, sizeof(none));
	CU_ASSERT_STRING_EQUAL(lan_check(&none, "198.19.0.100"), "");
	{
		struct tq_addr a;

		CU_ASSERT_EQUAL(addr_parse("198.18.1.1", &a), 0);
		addr_lan_own(&none, &a);
	}
	CU_ASSERT_STRING_EQUAL(lan_check(&none, "198.18.1.1"),
			       "an address of the gateway itself");
	CU_ASSERT_STRING_EQUAL(lan_check(&none, "198.18.1.0"), "");
	addr_lan_free(&none);
}

/* Small networks: /31 and /32 (RFC 3021) have no network and broadcast
 * address, /127 and /128 no anycast one; nested networks are checked
 * each. */
static void test_lan_small_nets(void)
{
	static const struct { const char *a; unsigned prefix; } v[] = {
		{ "198.18.5.0", 31 }, { "198.18.6.7", 32 },
		{ "198.18.7.1", 30 }, { "2001:db8:5::", 127 },
		{ "2001:db8:6::1", 126 }, { "198.18.0.1", 16 },
	};
	struct tq_lan lan;
	struct tq_addr a;
	size_t i;

	memset(&lan, 0, sizeof(lan));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(addr_parse(v[i].a, &a), 0);
		addr_lan_net(&lan, &a, v[i].prefix);
	}
	CU_ASSERT_EQUAL(lan.n_nets, 6);
	CU_ASSERT_EQUAL(lan.n_own, 0);
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.5.0"), "");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.5.1"), "");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.6.7"), "");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.7.0"),
			       "the network address of 198.18.7.0/30");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.7.3"),
			       "the broadcast address of 198.18.7.0/30");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.7.2"), "");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "2001:db8:5::"), "");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "2001:db8:6::"),
		"the subnet-router anycast address of 2001:db8:6::/126");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "2001:db8:6::3"), "");
	/* inside 198.18.0.0/16 as well: its own network and broadcast */
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.0.0"),
			       "the network address of 198.18.0.0/16");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.255.255"),
			       "the broadcast address of 198.18.0.0/16");
	CU_ASSERT_STRING_EQUAL(lan_check(&lan, "198.18.1.0"), "");
	addr_lan_free(&lan);
}

static const struct tq_test tests[] = {
	{ "canonical text of a host", test_canon },
	{ "network of an address", test_cidr_of },
	{ "LAN hosts: own, outside, network, broadcast", test_lan_check },
	{ "LAN hosts: small and nested networks", test_lan_small_nets },
	{ "host addresses (no loopback, multicast, ...)", test_is_host },
	{ "link-local addresses", test_is_linklocal },
	{ "parse IPv4", test_parse_v4 },
	{ "parse IPv6", test_parse_v6 },
	{ "IPv4-mapped stored as IPv4", test_parse_mapped },
	{ "socket addresses both ways", test_sockaddr },
	{ "rejects names, zones, spaces", test_parse_rejects },
	{ "rejects overlong text", test_overlong },
	{ "format into a small buffer", test_format_small_buffer },
	{ "compare and hash", test_cmp_hash },
	{ "hash spreads a /22", test_hash_spread },
	{ "CIDR parse and format", test_cidr_parse },
	{ "CIDR rejects", test_cidr_rejects },
	{ "CIDR match", test_cidr_match },
	{ "CIDR match raw mapped", test_cidr_match_raw_mapped },
	{ "CIDR match any", test_cidr_match_any },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("addr", tests);
}
