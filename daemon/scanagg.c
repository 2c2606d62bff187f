/* scanagg.c - one poll's per-host and per-uid totals.
 *
 * Hosts live in an open-addressing table (linear probing, a power of two
 * in size, load at most 1/2) whose slots are in use iff their gen is the
 * table's: a reset is one increment, not a clear.  Keys are source
 * addresses as fed (scan.c's parsers hand IPv4-mapped IPv6 over as IPv4);
 * a host looked up or given to scan_agg_reset_only() is unmapped first.
 * Users are an array sorted by uid.  After scan_agg_reset_only() no slot
 * is added until the next reset, so the table is bounded by the hosts
 * given.  Memory is kept from poll to poll; nothing here fails
 * (allocation aborts in xcalloc()).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "scan.h"
#include "scanagg.h"
#include "util.h"

struct host_slot {
	struct scan_host h;
	uint32_t gen;		/* slot in use iff gen == agg->gen */
};

struct scan_agg {
	const struct tq_conf *conf;
	struct host_slot *slots;
	size_t cap;		/* power of two */
	size_t nhosts;
	uint32_t gen;
	struct scan_user *users;	/* sorted by uid */
	size_t nusers, capusers;
	bool only;		/* scan_agg_reset_only(): no new hosts */
};

#define AGG_MIN_CAP 256

struct scan_agg *scan_agg_new(const struct tq_conf *conf)
{
	struct scan_agg *g = xcalloc(1, sizeof(*g));

	g->conf = conf;
	g->cap = AGG_MIN_CAP;
	g->slots = xcalloc(g->cap, sizeof(*g->slots));
	g->gen = 1;
	return g;
}

void scan_agg_free(struct scan_agg *g)
{
	if (!g)
		return;
	free(g->slots);
	free(g->users);
	free(g);
}

void scan_agg_reset(struct scan_agg *g)
{
	g->nhosts = 0;
	g->nusers = 0;
	g->only = false;
	if (++g->gen == 0) {
		/* 2^32 polls later: make every old slot free for good. */
		memset(g->slots, 0, g->cap * sizeof(*g->slots));
		g->gen = 1;
	}
}

bool scan_addr_never_external(const struct tq_addr *a)
{
	static const uint8_t zero[16];
	struct tq_addr m = *a;
	const uint8_t *b = m.a;

	scan_addr_unmap(&m);
	if (m.family == AF_INET) {
		return b[0] == 0 || b[0] == 127 || (b[0] & 0xf0) == 0xe0 ||
		       (b[0] == 169 && b[1] == 254) ||
		       (b[0] == 255 && b[1] == 255 && b[2] == 255 &&
			b[3] == 255);
	}
	if (m.family != AF_INET6)
		return true;
	if (b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
		return true;
	/* :: and ::1 */
	return !memcmp(b, zero, 15) && b[15] <= 1;
}

bool scan_agg_is_local(const struct scan_agg *g, const struct tq_addr *a)
{
	return scan_addr_never_external(a) ||
	       cidr_match_any(g->conf->local_networks,
			      g->conf->n_local_networks, a);
}

static struct host_slot *slot_find(struct host_slot *slots, size_t cap,
				   uint32_t gen, const struct tq_addr *a)
{
	size_t mask = cap - 1, i = addr_hash(a) & mask;

	for (;; i = (i + 1) & mask) {
		struct host_slot *s = &slots[i];

		if (s->gen != gen || addr_equal(&s->h.addr, a))
			return s;
	}
}

static void agg_grow(struct scan_agg *g)
{
	size_t i, ncap = g->cap * 2;
	struct host_slot *ns = xcalloc(ncap, sizeof(*ns));

	for (i = 0; i < g->cap; i++) {
		if (g->slots[i].gen == g->gen)
			*slot_find(ns, ncap, g->gen, &g->slots[i].h.addr) =
				g->slots[i];
	}
	free(g->slots);
	g->slots = ns;
	g->cap = ncap;
}

/* Size the table for the hosts given, giving back one an earlier full
 * scan grew: kept memory is bounded by the open hosts, not the sources. */
void scan_agg_reset_only(struct scan_agg *g, const struct tq_addr *hosts,
			 size_t n)
{
	size_t cap = AGG_MIN_CAP, i;
	struct host_slot *s;
	struct tq_addr k;

	scan_agg_reset(g);
	while (cap < 2 * n + 2)
		cap *= 2;
	if (g->cap > cap) {
		free(g->slots);
		g->slots = xcalloc(cap, sizeof(*g->slots));
		g->cap = cap;
		g->gen = 1;
	}
	for (i = 0; i < n; i++) {
		k = hosts[i];
		scan_addr_unmap(&k);
		if ((g->nhosts + 1) * 2 > g->cap)
			agg_grow(g);
		s = slot_find(g->slots, g->cap, g->gen, &k);
		if (s->gen == g->gen)
			continue;	/* given twice */
		memset(&s->h, 0, sizeof(s->h));
		s->h.addr = k;
		s->gen = g->gen;
		g->nhosts++;
	}
	g->only = true;
}

void scan_agg_ct(const struct scan_ct *c, void *arg)
{
	struct scan_agg *g = arg;
	struct host_slot *s;

	if (scan_agg_is_local(g, &c->dst))
		return;
	s = slot_find(g->slots, g->cap, g->gen, &c->src);
	if (s->gen != g->gen) {
		if (g->only)
			return;
		if ((g->nhosts + 1) * 2 > g->cap) {
			agg_grow(g);
			s = slot_find(g->slots, g->cap, g->gen, &c->src);
		}
		memset(&s->h, 0, sizeof(s->h));
		s->h.addr = c->src;
		s->gen = g->gen;
		g->nhosts++;
	}
	if (scan_ct_live(c))
		s->h.conns++;
	else
		s->h.closing++;
	s->h.packets += c->packets;
}

void scan_agg_sock(const struct scan_sock *sk, void *arg)
{
	struct scan_agg *g = arg;
	size_t lo = 0, hi = g->nusers, mid;

	if (sk->uid < g->conf->min_uid || scan_agg_is_local(g, &sk->remote))
		return;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (g->users[mid].uid < sk->uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < g->nusers && g->users[lo].uid == sk->uid) {
		g->users[lo].socks++;
		return;
	}
	xgrow(&g->users, &g->capusers, g->nusers + 1, sizeof(*g->users));
	memmove(&g->users[lo + 1], &g->users[lo],
		(g->nusers - lo) * sizeof(*g->users));
	g->users[lo].uid = sk->uid;
	g->users[lo].socks = 1;
	g->nusers++;
}

bool scan_agg_host(const struct scan_agg *g, const struct tq_addr *a,
		   struct scan_host *out)
{
	struct tq_addr k = *a;
	const struct host_slot *s;

	scan_addr_unmap(&k);
	s = slot_find(g->slots, g->cap, g->gen, &k);
	if (s->gen != g->gen) {
		memset(out, 0, sizeof(*out));
		out->addr = k;
		return false;
	}
	*out = s->h;
	return true;
}

size_t scan_agg_users(const struct scan_agg *g, const struct scan_user **out)
{
	*out = g->users;
	return g->nusers;
}

size_t scan_agg_nhosts(const struct scan_agg *g)
{
	return g->nhosts;
}
