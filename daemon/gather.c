/* gather.c - one poll's inputs (gather.h).
 *
 * Invariants:
 * - Without conntrack events (network.conntrack_resync = 0, or the kernel
 *   sends none) every poll reads the whole connection tracking table.
 *   With them a poll does not: a host's activity is the packet counter of
 *   its set element(s) (hosts4/hosts6 count what the forward chain lets
 *   through either way, except replies to a host bound with bind_mac; an
 *   address may have a bound and an unbound element: they add up), and its connection count follows NEW/DESTROY events,
 *   drained as they come.  A full read every conntrack_resync polls, at
 *   start, after a reload and after events were lost makes the counts
 *   exact again (an entry created while the table is read may be counted
 *   twice until the next one).  A full read then only counts the open
 *   hosts: the thousands of other sources a large table holds take no
 *   memory.
 * - The previous poll's packet totals (pkts) are kept sorted by address
 *   and looked up by binary search; a set element re-created (table
 *   rebuilt, host reopened) counts from 0 again.
 * - Conditions that last (no accounting sysctl, the netlink dump
 *   failing, the event socket failing, the link down) are said once.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "enforce.h"
#include "pwcache.h"
#include "gather.h"
#include "log.h"
#include "procscan.h"
#include "scan.h"
#include "util.h"

/* Packet total of a host's connections at the previous poll. */
struct gather_pkts {
	struct tq_addr addr;
	uint64_t packets;
};

struct gather {
	const struct tq_conf *conf;
	struct loop *loop;
	struct hosts *h;
	struct ct *ct;
	int ct_errno;		/* why ct_new failed */
	struct scan_agg *agg;
	struct ct_events *ev;	/* NULL: the whole table every poll */
	bool ev_stale;		/* counts need a full read */
	int polls_since_full;
	bool acct_on;		/* nf_conntrack_acct written */
	bool acct_said;		/* said it failed; retrying */
	bool fallback_said;	/* said the netlink dump failed */
	bool ev_err_said;
	bool link_down_said;	/* said so; say when it is back */
	struct gather_pkts *pkts;
	size_t n_pkts, cap_pkts;
	struct nftb_uid *upkts;	/* allowed_uids at the previous poll */
	size_t n_upkts;		/* (sorted by uid) */
};

static void ev_close(struct gather *g)
{
	if (!g->ev)
		return;
	loop_del_fd(g->loop, ct_events_fd(g->ev));
	ct_events_free(g->ev);
	g->ev = NULL;
}

/* g->pkts is sorted by address (gather_remember). */
static uint64_t pkts_prev(const struct gather *g, const struct tq_addr *a)
{
	const struct gather_pkts *p;

	if (g->n_pkts == 0)
		return 0;	/* g->pkts may be NULL: no bsearch on it */
	p = bsearch(a, g->pkts, g->n_pkts, sizeof(*g->pkts), addr_cmp);
	return p ? p->packets : 0;
}

static bool link_up(const struct tq_conf *c)
{
	struct ifaddrs *ifa, *i;
	struct tq_addr a;
	bool up = false;

	if (strcmp(c->link, "always") == 0)
		return true;
	if (getifaddrs(&ifa) < 0) {
		log_warn("getifaddrs");
		return false;
	}
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_name || strcmp(i->ifa_name, c->link) != 0)
			continue;
		/* Up, with carrier (IFF_RUNNING: an unplugged cable is down). */
		if ((i->ifa_flags & (IFF_UP | IFF_RUNNING)) !=
		    (IFF_UP | IFF_RUNNING) || !i->ifa_addr)
			continue;
		if (addr_from_sockaddr(i->ifa_addr, &a) < 0)
			continue;
		/* An up interface has an IPv6 link-local address of its
		 * own: that is no address towards the Internet. */
		if (!addr_is_linklocal(&a)) {
			up = true;
			break;
		}
	}
	freeifaddrs(ifa);
	return up;
}

/* ---- activity without reading the whole table ---- */

/*
 * With network.conntrack_resync > 0 a poll does not read the connection
 * tracking table: a host's activity is the packet counter of its set
 * element(s) (hosts4/hosts6 count what the forward chain lets through
 * either way: out, and the replies in), and its connection count follows
 * conntrack NEW/DESTROY events, drained as they come.  A full read every conntrack_resync polls, at start, and
 * after events were lost makes the counts exact again (an entry created
 * while the table is read may be counted twice until the next one).
 */
static void ev_count(struct gather *g, const struct scan_ct *e, bool up)
{
	struct hosts_entry *h;
	bool live = scan_ct_live(e);

	if (scan_agg_is_local(g->agg, &e->dst))
		return;
	h = hosts_find(g->h, &e->src);
	if (!h)
		return;
	/* What the counts mean between full reads: scan.h, scan_agg_ct().
	 * A TIME_WAIT entry the full read did not count must not take away
	 * a live connection's count when it goes. */
	if (up && live)
		h->conns++;
	else if (up)
		h->closing++;
	else if (!live && h->closing)
		h->closing--;
	else if (h->conns)
		h->conns--;
}

static void ev_new(const struct scan_ct *e, void *arg)
{
	ev_count(arg, e, true);
}

static void ev_gone(const struct scan_ct *e, void *arg)
{
	ev_count(arg, e, false);
}

static void ev_drain(struct gather *g)
{
	if (ct_events_read(g->ev, ev_new, ev_gone, g) >= 0)
		return;
	g->ev_stale = true;
	if (errno == ENOBUFS) {
		log_debug("conntrack events lost (socket full): the table "
			  "is read in full at the next poll");
	} else {
		log_once_errno(&g->ev_err_said, "conntrack events");
	}
}

static void ev_ready(int fd, uint32_t events, void *arg)
{
	ev_drain(arg);
}

/* Listen to conntrack events if the configuration asks for them. */
static void ev_setup(struct gather *g)
{
	bool want = g->conf->check_masq && g->conf->conntrack_resync > 0;

	if (want == (g->ev != NULL))
		return;
	if (!want) {
		ev_close(g);
		return;
	}
	g->ev = ct_events_new();
	if (!g->ev) {
		log_warn("conntrack events unavailable, reading the whole "
			 "table every poll");
		return;
	}
	if (loop_add_fd(g->loop, ct_events_fd(g->ev), EPOLLIN, ev_ready,
			g) < 0) {
		log_warn("conntrack events: watching the socket");
		ct_events_free(g->ev);
		g->ev = NULL;
		return;
	}
	g->ev_stale = true;
}

/* After a full read: every open host's count from the aggregator. */
static void counts_from_scan(struct gather *g)
{
	struct hosts_entry *h;
	struct scan_host sh;
	size_t i;

	for (i = 0; i < hosts_count(g->h); i++) {
		h = hosts_at(g->h, i);
		scan_agg_host(g->agg, &h->addr, &sh);
		h->conns = sh.conns;
		h->closing = sh.closing;
	}
	g->ev_stale = false;
	g->polls_since_full = 0;
}

void gather_in_free(struct gather_in *in)
{
	free(in->users);
	free(in->masq);
	free(in->locals);
	free(in->local_names);
	free(in->blocked);
	free(in->blocked_names);
}

void gather_users(const struct store_snap *s, struct gather_in *in)
{
	size_t i;

	in->users = xcalloc(s->n_users + 1, sizeof(*in->users));
	for (i = 0; i < s->n_users; i++) {
		in->users[i].name = s->users[i].name;
		in->users[i].quota = s->users[i].quota;
		in->users[i].allowed = s->users[i].allowed;
		in->users[i].in_tcptab = s->users[i].in_tcptab;
	}
}

/* One address's connections and packets added to m's. */
static void activity(struct gather *g, const struct tq_addr *a,
		     const struct hosts_entry *h, struct acct_masq *m)
{
	struct scan_host sh;

	if (g->ev) {
		if (h) {
			m->conns += h->conns;
			m->packets += h->packets;
		}
	} else if (scan_agg_host(g->agg, a, &sh)) {
		m->conns += sh.conns;
		m->packets += sh.packets;
	}
}

void gather_row(struct gather *g, const struct store_masq *r,
		struct acct_masq *m, bool scanned)
{
	const struct hosts_alias *al;
	struct hosts_entry *h;
	struct tq_addr a;
	size_t i, n;

	memset(m, 0, sizeof(*m));
	m->host = r->host;
	m->name = r->name;
	m->open = r->open;
	m->tic = r->tic;
	m->free = r->free;
	m->counter = r->counter;
	m->portal = r->portal;
	if (r->host_toolong || addr_parse(r->host, &a) < 0)
		return;
	h = hosts_find(g->h, &a);
	m->in_firewall = h != NULL;
	if (!scanned)
		return;
	/* A device is charged once, for all its addresses. */
	activity(g, &a, h, m);
	al = h ? hosts_aliases(g->h, &a, &n) : NULL;
	for (i = 0; al && i < n; i++)
		activity(g, &al[i].addr, hosts_find(g->h, &al[i].addr), m);
	m->prev_packets = m->in_firewall ? pkts_prev(g, &a) : 0;
	/* A set element re-created (table rebuilt, host reopened) counts
	 * from 0 again: what it counted since is the traffic. */
	if (g->ev && m->packets < m->prev_packets)
		m->prev_packets = 0;
}

void gather_remember(struct gather *g, const struct gather_in *in)
{
	struct tq_addr a;
	size_t i;

	g->n_pkts = 0;
	for (i = 0; i < in->n_masq; i++) {
		if (addr_parse(in->masq[i].host, &a) < 0)
			continue;
		if (!hosts_find(g->h, &a))
			continue;
		xgrow(&g->pkts, &g->cap_pkts, g->n_pkts + 1, sizeof(*g->pkts));
		g->pkts[g->n_pkts].addr = a;
		g->pkts[g->n_pkts].packets = in->masq[i].packets;
		g->n_pkts++;
	}
	/* addr is the first member: addr_cmp orders the entries. */
	if (g->n_pkts > 1)
		qsort(g->pkts, g->n_pkts, sizeof(*g->pkts), addr_cmp);
}

/*
 * Activity needs per-connection counters (net.netfilter.nf_conntrack_acct,
 * one per network namespace, off in a new one).  The sysctl exists only
 * once nf_conntrack is loaded, which building the table (ct state rules)
 * does on a fresh boot; so this is tried after that, and again before
 * every full read until it works.  Said once, and when it works at last.
 */
void gather_acct_enable(struct gather *g)
{
	if (g->acct_on)
		return;
	if (ct_enable_acct() < 0) {
		log_once_errno(&g->acct_said, "conntrack: enabling accounting "
			       "(nf_conntrack_acct; retried before every full "
			       "read)");
		return;
	}
	g->acct_on = true;
	log_recovered(&g->acct_said, "conntrack: accounting enabled");
}

void gather_conntrack(struct gather *g)
{
	size_t i;
	int nl = 0;

	scan_agg_reset(g->agg);
	if (g->ev)
		ev_drain(g);
	if (g->conf->check_masq && (!g->ev || g->ev_stale ||
	    ++g->polls_since_full >= g->conf->conntrack_resync)) {
		gather_acct_enable(g);
		/* With events a full read only sets the open hosts' counts
		 * (counts_from_scan): the thousands of other sources a large
		 * table holds need no memory. */
		if (g->ev) {
			size_t nh = hosts_count(g->h);
			struct tq_addr *a = xcalloc(nh + 1, sizeof(*a));

			for (i = 0; i < nh; i++)
				a[i] = hosts_at(g->h, i)->addr;
			scan_agg_reset_only(g->agg, a, nh);
			free(a);
		}
		if (procscan_conntrack(g->ct, g->agg, &nl) < 0) {
			log_warn("conntrack: reading the table");
		} else {
			if (g->ct && !nl)
				log_once(&g->fallback_said, "conntrack: "
					 "netlink dump failed, reading "
					 "/proc/net/nf_conntrack");
			log_debug("conntrack: full read, %zu %s hosts",
				  scan_agg_nhosts(g->agg),
				  g->ev ? "open" : "source");
			if (g->ev)
				counts_from_scan(g);
		}
	}
}

static int ucnt_cmp(const void *x, const void *y)
{
	unsigned a = ((const struct nftb_uid *)x)->uid;
	unsigned b = ((const struct nftb_uid *)y)->uid;

	return a < b ? -1 : a > b;
}

/* The users on the gateway whose allowed_uids counter moved since the
 * previous poll (a re-created element counts from 0 again). */
static void locals_from_counters(struct gather *g, struct fw *fw,
				 struct gather_in *in)
{
	struct nftb_uid *v = NULL, *p;
	size_t i, n = 0, k = 0;
	uint64_t prev;

	if (g->conf->check_local && fw_user_counters(fw, &v, &n) < 0)
		n = 0;
	if (n > 1)
		qsort(v, n, sizeof(*v), ucnt_cmp);
	in->locals = xcalloc(n + 1, sizeof(*in->locals));
	in->local_names = xcalloc(n + 1, sizeof(*in->local_names));
	for (i = 0; i < n; i++) {
		p = g->n_upkts ? bsearch(&v[i], g->upkts, g->n_upkts,
					 sizeof(*v), ucnt_cmp) : NULL;
		prev = p ? p->packets : 0;
		if (v[i].packets < prev)
			prev = 0;
		if (v[i].packets == prev)
			continue;
		in->locals[k].uid = v[i].uid;
		in->locals[k].socks = 1;	/* its traffic moved */
		if (pwcache_name(v[i].uid, in->local_names[k],
				     sizeof(in->local_names[k])) == 0)
			in->locals[k].name = in->local_names[k];
		k++;
	}
	in->n_locals = k;
	free(g->upkts);
	g->upkts = v;
	g->n_upkts = n;
}

/*
 * With quota.kill_processes, a blocked user whose processes still hold
 * ESTABLISHED sockets to outside addresses (/proc/net/tcp{,6}) is a local
 * user of this poll, so the core cuts them again and their processes are
 * killed (also right after turning it on with a reload).  A blocked uid
 * moves no allowed_uids counter: the blocked chain comes first.
 */
static void blocked_sockets(struct gather *g, struct gather_in *in)
{
	const struct scan_user *su;
	size_t i, j, n, k = in->n_locals;

	if (!g->conf->check_local || !g->conf->kill_processes ||
	    in->n_blocked == 0)
		return;
	if (procscan_local(g->agg, NULL) < 0) {
		log_warn("reading /proc/net/tcp");
		return;
	}
	n = scan_agg_users(g->agg, &su);
	in->locals = xrealloc(in->locals, (k + n + 1) * sizeof(*in->locals));
	in->local_names = xrealloc(in->local_names,
				   (k + n + 1) * sizeof(*in->local_names));
	for (i = 0; i < n; i++) {
		for (j = 0; j < in->n_blocked; j++)
			if (in->blocked[j].uid == su[i].uid)
				break;
		if (j == in->n_blocked)
			continue;
		memset(&in->locals[k], 0, sizeof(in->locals[k]));
		in->locals[k].uid = su[i].uid;
		in->locals[k].socks = su[i].socks;
		if (pwcache_name(su[i].uid, in->local_names[k],
				     sizeof(in->local_names[k])) == 0)
			in->locals[k].name = in->local_names[k];
		k++;
	}
	/* The names moved with the realloc. */
	for (i = 0; i < k; i++)
		if (in->locals[i].name)
			in->locals[i].name = in->local_names[i];
	in->n_locals = k;
}

void gather_local(struct gather *g, struct fw *fw, struct gather_in *in)
{
	unsigned *uids = NULL;
	size_t i, nu = 0;

	locals_from_counters(g, fw, in);

	fw_blocked(fw, &uids, &nu);
	in->blocked = xcalloc(nu + 1, sizeof(*in->blocked));
	in->blocked_names = xcalloc(nu + 1, sizeof(*in->blocked_names));
	for (i = 0; i < nu; i++) {
		in->blocked[i].uid = uids[i];
		if (pwcache_name(uids[i], in->blocked_names[i],
				     sizeof(in->blocked_names[i])) == 0)
			in->blocked[i].name = in->blocked_names[i];
	}
	in->n_blocked = nu;
	free(uids);
	blocked_sockets(g, in);
}


struct gather *gather_new(const struct tq_conf *conf, struct loop *loop,
			  struct hosts *h)
{
	struct gather *g = xcalloc(1, sizeof(*g));

	g->conf = conf;
	g->loop = loop;
	g->h = h;
	g->ct = ct_new();
	if (!g->ct) {
		g->ct_errno = errno;
		log_warn("conntrack: netlink (using /proc/net/nf_conntrack)");
	}
	g->agg = scan_agg_new(conf);
	ev_setup(g);
	return g;
}

void gather_free(struct gather *g)
{
	if (!g)
		return;
	ev_close(g);
	ct_free(g->ct);
	scan_agg_free(g->agg);
	free(g->pkts);
	free(g->upkts);
	free(g);
}

void gather_set_conf(struct gather *g, const struct tq_conf *conf)
{
	g->conf = conf;
	scan_agg_free(g->agg);
	g->agg = scan_agg_new(conf);
	ev_setup(g);
	g->ev_stale = true;	/* local_networks may have changed */
}

struct ct *gather_ct(const struct gather *g, int *err)
{
	*err = g->ct_errno;
	return g->ct;
}

bool gather_link(struct gather *g)
{
	bool up = link_up(g->conf);

	if (!up)
		log_once(&g->link_down_said, "link %s is down or has no "
			 "address: nobody is charged", g->conf->link);
	else
		log_recovered(&g->link_down_said, "link %s is up: charging "
			      "again", g->conf->link);
	return up;
}

static int host_cmp(const void *x, const void *y)
{
	return addr_cmp(&((const struct nftb_host *)x)->addr,
			&((const struct nftb_host *)y)->addr);
}

void gather_elements(struct gather *g, const struct nftb_host *v, size_t n)
{
	struct nftb_host *m, key, *e;
	struct hosts_entry *h;
	size_t i, k = 0;

	if (!g->ev)
		return;
	m = xcalloc(n + 1, sizeof(*m));
	for (i = 0; i < n; i++) {
		if (k && addr_equal(&m[k - 1].addr, &v[i].addr))
			m[k - 1].packets += v[i].packets;
		else
			m[k++] = v[i];
	}
	for (i = 0; i < hosts_count(g->h); i++) {
		h = hosts_at(g->h, i);
		key.addr = h->addr;
		e = k ? bsearch(&key, m, k, sizeof(*m), host_cmp) : NULL;
		/* A host just put back counts from 0. */
		h->packets = e ? e->packets : 0;
	}
	free(m);
}
