/* addr.c - IPv4/IPv6 addresses and CIDR networks.
 *
 * Everything goes through inet_pton()/inet_ntop(), which accept only the
 * numeric forms: no resolver, no zone ids, no octal or short IPv4 forms
 * ("010.1", "1.2.3") that inet_aton() would take.
 *
 * Invariants: a struct tq_addr never holds an IPv4-mapped IPv6 address
 * when it comes from text, so one host is one struct (memcmp-equal) and
 * one canonical text (addr_canon), whatever spelling it was read in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "util.h"

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Family AF_INET6 for a.a, or AF_INET for an IPv4-mapped address. */
static void unmap(struct tq_addr *a)
{
	if (!memcmp(a->a, v4mapped_prefix, sizeof(v4mapped_prefix))) {
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
		a->family = AF_INET;
	} else {
		a->family = AF_INET6;
	}
}

int addr_parse(const char *s, struct tq_addr *out)
{
	struct tq_addr a;
	size_t len;

	if (!s)
		return -1;
	len = strnlen(s, TQ_ADDRSTRLEN);
	if (len == 0 || len >= TQ_ADDRSTRLEN)
		return -1;
	memset(&a, 0, sizeof(a));
	if (strchr(s, ':')) {
		/* inet_pton() rejects '%', spaces and names on its own. */
		if (inet_pton(AF_INET6, s, a.a) != 1)
			return -1;
		unmap(&a);
	} else {
		if (inet_pton(AF_INET, s, a.a) != 1)
			return -1;
		a.family = AF_INET;
	}
	*out = a;
	return 0;
}

int addr_from_sockaddr(const struct sockaddr *sa, struct tq_addr *out)
{
	struct tq_addr a;

	if (!sa)
		return -1;
	memset(&a, 0, sizeof(a));
	if (sa->sa_family == AF_INET) {
		memcpy(a.a, &((const struct sockaddr_in *)(const void *)sa)->
		       sin_addr, 4);
		a.family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		memcpy(a.a, &((const struct sockaddr_in6 *)(const void *)sa)->
		       sin6_addr, 16);
		unmap(&a);
	} else {
		return -1;
	}
	*out = a;
	return 0;
}

socklen_t addr_to_sockaddr(const struct tq_addr *a, uint16_t port,
			   struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->a, 4);
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, a->a, 16);
	return sizeof(*s6);
}

const char *addr_format(const struct tq_addr *a, char *buf, size_t len)
{
	socklen_t n = len > TQ_ADDRSTRLEN ? TQ_ADDRSTRLEN : (socklen_t)len;

	if (!len)
		return buf;
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    !inet_ntop(a->family, a->a, buf, n))
		snprintf(buf, len, "?");
	return buf;
}

int addr_canon(const char *s, char *buf, size_t len)
{
	struct tq_addr a;

	if (addr_parse(s, &a) < 0)
		return -1;
	addr_format(&a, buf, len);
	return 0;
}

bool addr_equal(const struct tq_addr *x, const struct tq_addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, sizeof(x->a));
}

int addr_cmp(const void *x, const void *y)
{
	const struct tq_addr *a = x, *b = y;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->a, b->a, sizeof(a->a));
}

bool addr_is_host(const struct tq_addr *a)
{
	static const uint8_t zero[16];
	const uint8_t *b = a->a;

	if (a->family == AF_INET)
		return b[0] != 0 && b[0] != 127 && b[0] < 224;
	if (b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
		return false;
	/* :: and ::1 */
	return memcmp(b, zero, 15) != 0 || b[15] > 1;
}

bool addr_is_linklocal(const struct tq_addr *a)
{
	if (a->family == AF_INET)
		return a->a[0] == 169 && a->a[1] == 254;
	return a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80;
}

/* FNV-1a over family and the significant bytes, then the murmur3 finaliser:
 * FNV alone leaves the low bits weak for addresses that differ only in the
 * last octet, which is exactly what a LAN looks like. */
uint32_t addr_hash(const struct tq_addr *a)
{
	uint32_t h = 2166136261u;
	size_t n = a->family == AF_INET ? 4 : 16;
	size_t i;

	h ^= a->family;
	h *= 16777619u;
	for (i = 0; i < n; i++) {
		h ^= a->a[i];
		h *= 16777619u;
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static unsigned max_prefix(const struct tq_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

/* True if the bits of a beyond prefix are all zero. */
static bool host_bits_clear(const struct tq_addr *a, unsigned prefix)
{
	unsigned nbytes = max_prefix(a) / 8;
	unsigned i = prefix / 8;

	if (prefix % 8) {
		if (a->a[i] & (0xffu >> (prefix % 8)))
			return false;
		i++;
	}
	for (; i < nbytes; i++)
		if (a->a[i])
			return false;
	return true;
}

/* True if the first prefix bits of x and y agree. */
static bool prefix_equal(const uint8_t *x, const uint8_t *y, unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;

	if (memcmp(x, y, whole))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rest));

		if ((x[whole] ^ y[whole]) & mask)
			return false;
	}
	return true;
}

int cidr_parse(const char *s, struct tq_cidr *out)
{
	char buf[TQ_ADDRSTRLEN];
	struct tq_cidr c;
	const char *slash;
	unsigned long prefix;
	size_t alen;
	bool mapped;

	if (!s)
		return -1;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strnlen(s, sizeof(buf));
	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(&c, 0, sizeof(c));
	if (addr_parse(buf, &c.addr) < 0)
		return -1;
	/* A mapped address is stored as IPv4, so its prefix counts from
	 * the IPv4 part: "::ffff:198.18.0.0/112" is 198.18.0.0/16. */
	mapped = strchr(buf, ':') && c.addr.family == AF_INET;
	if (slash) {
		const char *p = slash + 1;
		char *end;

		/* Digits only: no sign, no spaces, no leading zeros. */
		if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
			return -1;
		errno = 0;
		prefix = strtoul(p, &end, 10);
		if (errno || *end != '\0')
			return -1;
		if (mapped) {
			if (prefix < 96 || prefix > 128)
				return -1;
			prefix -= 96;
		}
		if (prefix > max_prefix(&c.addr))
			return -1;
	} else {
		prefix = max_prefix(&c.addr);
	}
	if (!host_bits_clear(&c.addr, (unsigned)prefix))
		return -1;
	c.prefix = (uint8_t)prefix;
	*out = c;
	return 0;
}

const char *cidr_format(const struct tq_cidr *c, char *buf, size_t len)
{
	char a[TQ_ADDRSTRLEN];

	addr_format(&c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, c->prefix);
	return buf;
}

bool cidr_match(const struct tq_cidr *c, const struct tq_addr *a)
{
	struct tq_addr m;

	/* Addresses from addr_parse() are already unmapped, but a struct
	 * filled from a kernel sockaddr_in6 may still hold ::ffff:a.b.c.d. */
	if (a->family == AF_INET6 &&
	    !memcmp(a->a, v4mapped_prefix, sizeof(v4mapped_prefix))) {
		memset(&m, 0, sizeof(m));
		m.family = AF_INET;
		memcpy(m.a, a->a + 12, 4);
		a = &m;
	}
	if (a->family != c->addr.family)
		return false;
	if (c->prefix > max_prefix(a))
		return false;
	return prefix_equal(c->addr.a, a->a, c->prefix);
}

bool cidr_match_any(const struct tq_cidr *nets, size_t n,
		    const struct tq_addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_match(&nets[i], a))
			return true;
	return false;
}

void cidr_of(const struct tq_addr *a, unsigned prefix, struct tq_cidr *out)
{
	unsigned max = max_prefix(a), i;

	if (prefix > max)
		prefix = max;
	memset(out, 0, sizeof(*out));
	out->addr.family = a->family;
	for (i = 0; i < max / 8; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;

		if (bits >= 8)
			out->addr.a[i] = a->a[i];
		else if (bits)
			out->addr.a[i] = a->a[i] & (uint8_t)(0xffu << (8 - bits));
	}
	out->prefix = (uint8_t)prefix;
}

static int cidr_cmp(const struct tq_cidr *x, const struct tq_cidr *y)
{
	int c = addr_cmp(&x->addr, &y->addr);

	return c ? c : (int)x->prefix - (int)y->prefix;
}

/* Both arrays of a struct tq_lan stay sorted and unique by insertion: a
 * gateway has a handful of addresses. */
void addr_lan_own(struct tq_lan *lan, const struct tq_addr *a)
{
	size_t i;

	for (i = 0; i < lan->n_own && addr_cmp(&lan->own[i], a) < 0; i++)
		;
	if (i < lan->n_own && addr_equal(&lan->own[i], a))
		return;
	lan->own = xrealloc(lan->own, (lan->n_own + 1) * sizeof(*lan->own));
	memmove(&lan->own[i + 1], &lan->own[i],
		(lan->n_own - i) * sizeof(*lan->own));
	lan->own[i] = *a;
	lan->n_own++;
}

void addr_lan_net(struct tq_lan *lan, const struct tq_addr *a,
		  unsigned prefix)
{
	struct tq_cidr net;
	size_t i;

	if (addr_is_linklocal(a))
		return;
	cidr_of(a, prefix, &net);
	for (i = 0; i < lan->n_nets && cidr_cmp(&lan->nets[i], &net) < 0; i++)
		;
	if (i < lan->n_nets && !cidr_cmp(&lan->nets[i], &net))
		return;
	lan->nets = xrealloc(lan->nets, (lan->n_nets + 1) *
			     sizeof(*lan->nets));
	memmove(&lan->nets[i + 1], &lan->nets[i],
		(lan->n_nets - i) * sizeof(*lan->nets));
	lan->nets[i] = net;
	lan->n_nets++;
}

void addr_lan_free(struct tq_lan *lan)
{
	free(lan->nets);
	free(lan->own);
	memset(lan, 0, sizeof(*lan));
}

/* The IPv4 broadcast address of c. */
static void broadcast_of(const struct tq_cidr *c, struct tq_addr *out)
{
	unsigned i;

	*out = c->addr;
	for (i = 0; i < 4; i++) {
		unsigned bits = c->prefix > i * 8 ? c->prefix - i * 8 : 0;

		if (bits < 8)
			out->a[i] |= (uint8_t)(0xffu >> bits);
	}
}

int addr_lan_check(const struct tq_lan *lan, const struct tq_addr *a,
		   char *why, size_t len)
{
	char net[TQ_ADDRSTRLEN + 4];
	struct tq_addr b;
	bool in = false;
	size_t i, n;

	for (i = 0; i < lan->n_own; i++)
		if (addr_equal(&lan->own[i], a))
			return tq_err(why, len, "an address of the gateway "
				      "itself");
	if (lan->n_nets == 0)
		return 0;
	for (i = 0; i < lan->n_nets; i++) {
		const struct tq_cidr *c = &lan->nets[i];

		if (!cidr_match(c, a))
			continue;
		in = true;
		cidr_format(c, net, sizeof(net));
		if (a->family == AF_INET && c->prefix <= 30) {
			broadcast_of(c, &b);
			if (addr_equal(a, &c->addr))
				return tq_err(why, len, "the network address "
					      "of %s", net);
			if (addr_equal(a, &b))
				return tq_err(why, len, "the broadcast "
					      "address of %s", net);
		} else if (a->family == AF_INET6 && c->prefix <= 126 &&
			   addr_equal(a, &c->addr)) {
			return tq_err(why, len, "the subnet-router anycast "
				      "address of %s", net);
		}
	}
	if (in)
		return 0;
	n = (size_t)snprintf(why, len, "outside the LAN's networks (");
	for (i = 0; i < lan->n_nets && n < len; i++) {
		cidr_format(&lan->nets[i], net, sizeof(net));
		n += (size_t)snprintf(why + n, len - n, "%s%s", i ? ", " : "",
				      net);
	}
	if (n < len)
		snprintf(why + n, len - n, ")");
	return -1;
}
