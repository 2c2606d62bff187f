/* scan.c - /proc/net/tcp{,6} and /proc/net/nf_conntrack parsers (the
 * per-poll aggregation is scanagg.c).
 *
 * This is the daemon's hot path: a busy gateway has tens of thousands of
 * conntrack entries and reads them every poll.  So no stdio per line and
 * no sscanf(): a block reader hands out lines straight from its buffer and
 * hand-written parsers walk them once, bounded by the line's end (a NUL
 * byte in the input is just an invalid character).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scan.h"
#include "util.h"

/* ---- line reader ---------------------------------------------------- */

/* Large reads: the kernel's seq_file restarts its walk of the conntrack
 * hash at every read(), so fewer, bigger reads are cheaper. */
#define LR_BUFSZ (64 * 1024)

enum { LR_EOF, LR_LINE, LR_LONG, LR_PARTIAL, LR_ERR };

struct lr {
	FILE *f;
	size_t pos, len;
	bool eof;
	bool skipping;		/* inside an overlong line */
	char buf[LR_BUFSZ];
};

static void lr_init(struct lr *r, FILE *f)
{
	r->f = f;
	r->pos = r->len = 0;
	r->eof = r->skipping = false;
}

/* Next line into *line / *n (without the newline).  LR_LONG: an overlong
 * line was consumed and dropped; LR_PARTIAL: a last line without newline. */
static int lr_next(struct lr *r, const char **line, size_t *n)
{
	for (;;) {
		char *s = r->buf + r->pos, *nl;
		size_t avail = r->len - r->pos, got;

		nl = avail ? memchr(s, '\n', avail) : NULL;
		if (nl) {
			size_t l = (size_t)(nl - s);

			r->pos += l + 1;
			if (r->skipping) {
				r->skipping = false;
				return LR_LONG;
			}
			if (l > SCAN_LINE_MAX)
				return LR_LONG;
			*line = s;
			*n = l;
			return LR_LINE;
		}
		if (r->skipping || avail > SCAN_LINE_MAX) {
			/* No newline within the limit: drop what we have and
			 * keep reading until the line ends. */
			r->skipping = true;
			avail = 0;
		} else if (r->pos && avail) {
			memmove(r->buf, s, avail);
		}
		r->pos = 0;
		r->len = avail;
		if (r->eof) {
			if (r->skipping) {
				r->skipping = false;
				return LR_LONG;
			}
			if (!avail)
				return LR_EOF;
			r->pos = r->len;
			*line = r->buf;
			*n = avail;
			return LR_PARTIAL;
		}
		got = fread(r->buf + r->len, 1, sizeof(r->buf) - r->len, r->f);
		if (got == 0) {
			if (ferror(r->f)) {
				if (!errno)
					errno = EIO;
				return LR_ERR;
			}
			r->eof = true;
		}
		r->len += got;
	}
}

/* ---- small lexers ----------------------------------------------------- */

/* Hex digit values, -1 for anything else (NUL included). */
static const signed char hexval[256] = {
	['0'] = 0 + 1, ['1'] = 1 + 1, ['2'] = 2 + 1, ['3'] = 3 + 1,
	['4'] = 4 + 1, ['5'] = 5 + 1, ['6'] = 6 + 1, ['7'] = 7 + 1,
	['8'] = 8 + 1, ['9'] = 9 + 1,
	['a'] = 10 + 1, ['b'] = 11 + 1, ['c'] = 12 + 1, ['d'] = 13 + 1,
	['e'] = 14 + 1, ['f'] = 15 + 1,
	['A'] = 10 + 1, ['B'] = 11 + 1, ['C'] = 12 + 1, ['D'] = 13 + 1,
	['E'] = 14 + 1, ['F'] = 15 + 1,
};

/* hexval is stored +1 so that the zero-initialised rest means "invalid". */
static inline int hexdig(char c)
{
	return hexval[(unsigned char)c] - 1;
}

static inline bool is_sp(char c)
{
	return c == ' ' || c == '\t';
}

static inline const char *skip_sp(const char *p, const char *e)
{
	while (p < e && is_sp(*p))
		p++;
	return p;
}

/* End of the token at p (first blank or e). */
static inline const char *tok_end(const char *p, const char *e)
{
	while (p < e && !is_sp(*p))
		p++;
	return p;
}

/* Exactly n hex digits at p into *v (n is 2, 4 or 8).  Returns the end or
 * NULL.  Unrolled by four: the digits are checked together. */
static inline const char *hexn(const char *p, const char *e, int n,
			       uint32_t *v)
{
	uint32_t x = 0;
	int i, a, b, c, d;

	if (e - p < n)
		return NULL;
	if (n == 2) {
		a = hexdig(p[0]);
		b = hexdig(p[1]);
		if ((a | b) < 0)
			return NULL;
		*v = (uint32_t)(a << 4 | b);
		return p + 2;
	}
	for (i = 0; i < n; i += 4) {
		a = hexdig(p[i]);
		b = hexdig(p[i + 1]);
		c = hexdig(p[i + 2]);
		d = hexdig(p[i + 3]);
		if ((a | b | c | d) < 0)
			return NULL;
		x = x << 16 | (uint32_t)(a << 12 | b << 8 | c << 4 | d);
	}
	*v = x;
	return p + n;
}

/* Decimal digits [p, e) into *v, all of the range, no sign, no overflow. */
static bool dec_u64(const char *p, const char *e, uint64_t *v)
{
	uint64_t x = 0;
	unsigned d;

	if (p == e || e - p > 20)
		return false;
	for (; p < e; p++) {
		d = (unsigned)(unsigned char)*p - '0';
		if (d > 9)
			return false;
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

void scan_addr_unmap(struct tq_addr *a)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET6 && !memcmp(a->a, pfx, sizeof(pfx))) {
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
		a->family = AF_INET;
	}
}

/* ---- /proc/net/tcp ---------------------------------------------------- */

#define TCP_ESTABLISHED_STATE 0x01

/* "HHHHHHHH:PPPP" (tcp) or 32 hex digits + ":PPPP" (tcp6).  Each 32-bit
 * word is the kernel's %08X of a word in host byte order, so storing the
 * value back as a host-order word gives the address bytes. */
static const char *tcp_endpoint(const char *p, const char *e, int family,
				struct tq_addr *a, uint16_t *port)
{
	int words = family == AF_INET ? 1 : 4, i;
	uint32_t w;

	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	for (i = 0; i < words; i++) {
		p = hexn(p, e, 8, &w);
		if (!p)
			return NULL;
		memcpy(a->a + 4 * i, &w, 4);
	}
	if (p >= e || *p != ':')
		return NULL;
	p = hexn(p + 1, e, 4, &w);
	if (!p || (p < e && !is_sp(*p)))
		return NULL;
	*port = (uint16_t)w;
	return p;
}

/* Parse one socket line.  Returns 1 for an ESTABLISHED socket (in *s),
 * 0 for a valid line in another state, -1 for a malformed line. */
static int tcp_line(const char *p, const char *e, int family,
		    struct scan_sock *s)
{
	const char *t;
	uint32_t st;
	uint64_t v;
	int i;

	/* "sl:" */
	p = skip_sp(p, e);
	t = p;
	while (p < e && *p >= '0' && *p <= '9')
		p++;
	if (p == t || p >= e || *p != ':')
		return -1;
	p = skip_sp(p + 1, e);
	p = tcp_endpoint(p, e, family, &s->local, &s->lport);
	if (!p)
		return -1;
	p = tcp_endpoint(skip_sp(p, e), e, family, &s->remote, &s->rport);
	if (!p)
		return -1;
	p = hexn(skip_sp(p, e), e, 2, &st);
	if (!p || (p < e && !is_sp(*p)))
		return -1;
	/* tx_queue:rx_queue  tr:tm->when  retrnsmt: present, not needed */
	for (i = 0; i < 3; i++) {
		p = skip_sp(p, e);
		t = tok_end(p, e);
		if (t == p)
			return -1;
		p = t;
	}
	/* uid, timeout, inode: decimal */
	p = skip_sp(p, e);
	t = tok_end(p, e);
	if (!dec_u64(p, t, &v) || v > UINT32_MAX)
		return -1;
	s->uid = (unsigned)v;
	for (i = 0; i < 2; i++) {
		p = skip_sp(t, e);
		t = tok_end(p, e);
		if (!dec_u64(p, t, &v))
			return -1;
	}
	if (st != TCP_ESTABLISHED_STATE)
		return 0;
	scan_addr_unmap(&s->local);
	scan_addr_unmap(&s->remote);
	return 1;
}

static bool tcp_header(const char *p, const char *e)
{
	p = skip_sp(p, e);
	return e - p >= 3 && p[0] == 's' && p[1] == 'l' && is_sp(p[2]);
}

int scan_tcp(FILE *f, int family, scan_sock_cb cb, void *arg,
	     struct scan_stats *st)
{
	struct lr *r;
	struct scan_sock s;
	const char *line = NULL;
	size_t n = 0, nline = 0;
	int k, ret = 0;

	if (family != AF_INET && family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	r = xmalloc(sizeof(*r));
	lr_init(r, f);
	for (;;) {
		k = lr_next(r, &line, &n);
		if (k == LR_EOF)
			break;
		if (k == LR_ERR) {
			ret = -1;
			break;
		}
		st->lines++;
		nline++;
		if (k != LR_LINE) {
			st->skipped++;
			continue;
		}
		if (nline == 1 && tcp_header(line, line + n))
			continue;
		k = tcp_line(line, line + n, family, &s);
		if (k < 0) {
			st->skipped++;
		} else if (k > 0) {
			st->records++;
			cb(&s, arg);
		}
	}
	free(r);
	return ret;
}

/* ---- /proc/net/nf_conntrack ------------------------------------------- */

/* A field ends at a blank or at the end of the line. */
static inline bool at_end(const char *p, const char *e)
{
	return p == e || is_sp(*p);
}

/* Decimal digits up to the end of the field; no sign, no overflow.
 * Returns the end or NULL. */
static inline const char *dec_field(const char *p, const char *e,
				    uint64_t *v)
{
	const char *s = p;
	uint64_t x = 0;
	unsigned d;

	while (p < e && (d = (unsigned)(unsigned char)*p - '0') <= 9) {
		if (p - s >= 19 && (__builtin_mul_overflow(x, 10, &x) ||
				    __builtin_add_overflow(x, d, &x)))
			return NULL;
		if (p - s < 19)
			x = x * 10 + d;
		p++;
	}
	if (p == s || !at_end(p, e))
		return NULL;
	*v = x;
	return p;
}

/* Dotted quad, each part 0..255 in at most 3 digits.  Returns the end. */
static const char *ipv4_field(const char *p, const char *e,
			      struct tq_addr *a)
{
	unsigned part, digits, d;
	int i;

	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	for (i = 0; i < 4; i++) {
		part = 0;
		digits = 0;
		while (p < e && (d = (unsigned)(unsigned char)*p - '0') <= 9) {
			if (++digits > 3)
				return NULL;
			part = part * 10 + d;
			p++;
		}
		if (!digits || part > 255)
			return NULL;
		a->a[i] = (uint8_t)part;
		if (i < 3) {
			if (p >= e || *p != '.')
				return NULL;
			p++;
		}
	}
	return at_end(p, e) ? p : NULL;
}

/* The kernel prints %pI6: eight groups of four hex digits.  Anything else
 * (a hand-written compressed form) goes through addr_parse().  Returns the
 * end of the field or NULL. */
static const char *ipv6_field(const char *p, const char *e,
			      struct tq_addr *a)
{
	char tmp[TQ_ADDRSTRLEN];
	const char *q = p, *t;
	uint32_t w;
	int i;

	if (e - p >= 39 && at_end(p + 39, e)) {
		memset(a, 0, sizeof(*a));
		a->family = AF_INET6;
		for (i = 0; i < 8; i++) {
			q = hexn(q, e, 4, &w);
			if (!q || (i < 7 && *q++ != ':'))
				break;
			a->a[2 * i] = (uint8_t)(w >> 8);
			a->a[2 * i + 1] = (uint8_t)w;
		}
		if (i == 8) {
			scan_addr_unmap(a);
			return q;
		}
	}
	t = tok_end(p, e);
	if (t - p >= (long)sizeof(tmp) || memchr(p, '\0', (size_t)(t - p)))
		return NULL;
	memcpy(tmp, p, (size_t)(t - p));
	tmp[t - p] = '\0';
	if (!strchr(tmp, ':') || addr_parse(tmp, a) != 0)
		return NULL;
	return t;
}

static inline const char *ct_addr(const char *p, const char *e, int family,
				  struct tq_addr *a)
{
	return family == AF_INET ? ipv4_field(p, e, a) : ipv6_field(p, e, a);
}

static bool proto_has_ports(unsigned proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return true;
	}
	return false;
}

/* The kernel's tcp_conntrack_names[], indexed by state number. */
static const char *const tcp_state_names[SCAN_CT_NSTATES] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};

const char *scan_ct_state_name(unsigned state)
{
	return state < SCAN_CT_NSTATES ? tcp_state_names[state] : "NONE";
}

bool scan_ct_live(const struct scan_ct *c)
{
	return c->state != SCAN_CT_TIME_WAIT && c->state != SCAN_CT_CLOSE;
}

/* The state named by [p, e), or -1 if it names none.  Called for every
 * token before a TCP line's first tuple (the timeout and the state), so
 * anything not upper case is turned away at the first byte. */
static int tcp_state(const char *p, const char *e)
{
	size_t n = (size_t)(e - p);
	int i;

	if (!n || *p < 'A' || *p > 'Z')
		return -1;
	for (i = 0; i < SCAN_CT_NSTATES; i++)
		if (strlen(tcp_state_names[i]) == n &&
		    !memcmp(p, tcp_state_names[i], n))
			return i;
	return -1;
}

/* Does the field at p start with the literal key s (including '=')? */
#define HAS(p, e, s) \
	((size_t)((e) - (p)) >= sizeof(s) - 1 && \
	 !memcmp((p), (s), sizeof(s) - 1))
#define KEY(p, kl, s) ((kl) == sizeof(s) - 1 && !memcmp((p), (s), (kl)))

/* One conntrack line into *c.  0, or -1 if malformed or truncated.
 *
 * One pass: each field is recognised by its key and its value parsed in
 * place up to the next blank.  A line is complete only if it has both
 * tuples and ends with "use=N", which the kernel always prints last. */
static int ct_line(const char *p, const char *e, struct scan_ct *c)
{
	enum { F_SRC = 1, F_DST = 2, F_SPORT = 4, F_DPORT = 8 };
	struct tq_addr tmp;
	const char *t;
	uint64_t v, pk = 0, by = 0;
	int family, dir = -1;	/* -1 before the first tuple, 0 orig, 1 reply */
	unsigned seen[2] = { 0, 0 }, cnt[2] = { 0, 0 };
	bool use = false, eq, has_state = false;
	int k;

	/* "ipv4     2 tcp      6 " */
	p = skip_sp(p, e);
	t = tok_end(p, e);
	if (KEY(p, (size_t)(t - p), "ipv4"))
		family = AF_INET;
	else if (KEY(p, (size_t)(t - p), "ipv6"))
		family = AF_INET6;
	else
		return -1;
	p = dec_field(skip_sp(t, e), e, &v);
	if (!p || v != (family == AF_INET ? 2 : 10))
		return -1;
	p = skip_sp(p, e);		/* l4 name: not needed */
	t = tok_end(p, e);
	if (t == p)
		return -1;
	p = dec_field(skip_sp(t, e), e, &v);
	if (!p || v > 255)
		return -1;
	memset(c, 0, sizeof(*c));
	c->proto = (uint8_t)v;

	for (p = skip_sp(p, e); p < e; p = skip_sp(p, e)) {
		if (use)		/* use=N must be the last field */
			return -1;
		if (HAS(p, e, "src=")) {
			if (++dir > 1)
				return -1;
			p = ct_addr(p + 4, e, family, dir ? &tmp : &c->src);
			seen[dir] |= F_SRC;
		} else if (dir < 0) {
			/* timeout, tcp's state, gre's "timeout=180,"... */
			t = tok_end(p, e);
			if (c->proto == IPPROTO_TCP &&
			    (k = tcp_state(p, t)) >= 0) {
				if (has_state)	/* two states: not kernel's */
					return -1;
				has_state = true;
				c->state = (uint8_t)k;
			}
			p = t;
			continue;
		} else if (HAS(p, e, "dst=")) {
			p = ct_addr(p + 4, e, family, dir ? &tmp : &c->dst);
			seen[dir] |= F_DST;
		} else if (HAS(p, e, "sport=") || HAS(p, e, "dport=")) {
			bool s = *p == 's';

			p = dec_field(p + 6, e, &v);
			if (!p || v > 65535)
				return -1;
			seen[dir] |= s ? F_SPORT : F_DPORT;
			if (!dir && s)
				c->sport = (uint16_t)v;
			else if (!dir)
				c->dport = (uint16_t)v;
		} else if (HAS(p, e, "packets=")) {
			p = dec_field(p + 8, e, &v);
			pk += v;
			cnt[dir] |= 1;
		} else if (HAS(p, e, "bytes=")) {
			p = dec_field(p + 6, e, &v);
			by += v;
			cnt[dir] |= 2;
		} else if (HAS(p, e, "use=")) {
			p = dec_field(p + 4, e, &v);
			use = true;
		} else {
			/* [ASSURED], type=, mark=, zone=, secctx=...: a bare
			 * word after the tuples is not kernel output */
			eq = *p == '[';
			for (; p < e && !is_sp(*p); p++)
				eq |= *p == '=';
			if (!eq)
				return -1;
			continue;
		}
		if (!p)
			return -1;
	}
	if (!use || dir != 1 || (seen[0] & (F_SRC | F_DST)) != (F_SRC | F_DST)
	    || (seen[1] & (F_SRC | F_DST)) != (F_SRC | F_DST))
		return -1;
	if (proto_has_ports(c->proto) &&
	    (seen[0] & (F_SPORT | F_DPORT)) != (F_SPORT | F_DPORT))
		return -1;
	/* Counters come in pairs per direction, in both directions or none. */
	if (cnt[0] != cnt[1] || (cnt[0] != 0 && cnt[0] != 3))
		return -1;
	if (cnt[0]) {
		c->has_counters = true;
		c->packets = pk;
		c->bytes = by;
	}
	return 0;
}

int scan_conntrack(FILE *f, scan_ct_cb cb, void *arg, struct scan_stats *st)
{
	struct lr *r;
	struct scan_ct c;
	const char *line = NULL;
	size_t n = 0;
	int k, ret = 0;

	r = xmalloc(sizeof(*r));
	lr_init(r, f);
	for (;;) {
		k = lr_next(r, &line, &n);
		if (k == LR_EOF)
			break;
		if (k == LR_ERR) {
			ret = -1;
			break;
		}
		st->lines++;
		if (k != LR_LINE || ct_line(line, line + n, &c) < 0) {
			st->skipped++;
			continue;
		}
		st->records++;
		cb(&c, arg);
	}
	free(r);
	return ret;
}
