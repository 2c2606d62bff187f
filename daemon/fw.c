/* fw.c - carrying out the decisions on the firewall (fw.h).
 *
 * Invariants:
 * - The hosts room holds exactly what the daemon put in the host sets
 *   and the blocked set: a host or uid is recorded only once its batch
 *   was accepted, and removed only once its removal was.  A rebuilt
 *   table is made from it, and every poll the host sets are brought back
 *   to it (fw_repair_sets).
 * - Every host closed, for whatever reason, has its conntrack entries
 *   deleted with it (ct_forget): its established connections and NAT
 *   mappings end now.  Without ctnetlink they run on, said once.
 * - One nft batch per kind of change per poll (opens, closes); an empty
 *   one is not sent.
 * - allowed_uids follows the database only from a fresh snapshot
 *   (fw_users); during an outage it stays as it was.  Blocks outlive the
 *   daemon: fw_create keeps a left table's blocked uids and blocks the
 *   allowed users at or below min_quota.
 * - A change to the table by another process is put back when its
 *   ruleset event comes (fw_watch), and every poll (fw_check_table).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "enforce.h"
#include "pwcache.h"
#include "fw.h"
#include "log.h"
#include "neigh.h"
#include "util.h"

/* Log at most this many elements of each kind per poll (a flushed set of
 * a thousand hosts is one repair, not a thousand lines). */
#define FW_SET_LOG_MAX 10

struct fw {
	const struct tq_conf *conf;
	struct loop *loop;	/* fw_watch's, with the event fd in it */
	int ev_fd;
	bool ev_said;		/* said reading the events fails */
	struct hosts *h;
	struct nftb *nft;
	struct ct *ct;		/* the caller's; NULL: no ctnetlink */
	int ct_errno;		/* why there is none */
	bool nodel_said;	/* said entries stay (no ct) */
};

struct fw *fw_new(const struct tq_conf *conf, struct hosts *h,
		  struct ct *ct, int ct_errno)
{
	struct fw *fw = xcalloc(1, sizeof(*fw));

	fw->conf = conf;
	fw->h = h;
	fw->ct = ct;
	fw->ct_errno = ct_errno;
	fw->nft = nftb_new(conf);
	if (!fw->nft) {
		free(fw);
		return NULL;
	}
	return fw;
}

void fw_free(struct fw *fw)
{
	if (!fw)
		return;
	if (fw->loop)
		loop_del_fd(fw->loop, fw->ev_fd);
	nftb_free(fw->nft);
	free(fw);
}

/* The table with every host and uid of the hosts room. */
static int rebuild(struct fw *fw)
{
	struct nftb_host *v = hosts_array(fw->h);
	const unsigned *uids;
	size_t nu;
	int rc;

	uids = hosts_uids(fw->h, &nu);
	rc = nftb_create(fw->nft, v, hosts_count(fw->h), uids, nu);
	free(v);
	return rc;
}

void fw_set_conf(struct fw *fw, const struct tq_conf *conf)
{
	if (strcmp(fw->conf->table, conf->table) != 0)
		nftb_delete(fw->nft);
	fw->conf = conf;
	/* Network settings may have changed. */
	nftb_set_conf(fw->nft, conf);
	if (rebuild(fw) < 0)
		log_warnx("firewall: rebuilding after reload: %s",
			  nftb_error(fw->nft));
}

void fw_delete(struct fw *fw)
{
	if (nftb_delete(fw->nft) < 0)
		log_warnx("firewall: deleting the table: %s",
			  nftb_error(fw->nft));
	else
		log_info("table inet %s deleted", fw->conf->table);
}

void fw_blocked(struct fw *fw, unsigned **uids, size_t *n)
{
	const unsigned *mine;

	if (nftb_list_uids(fw->nft, uids, n) == 0)
		return;
	/* The firewall's own view; our memory if it cannot be read. */
	log_warnx("firewall: %s", nftb_error(fw->nft));
	free(*uids);
	mine = hosts_uids(fw->h, n);
	*uids = xcalloc(*n + 1, sizeof(**uids));
	if (*n > 0)
		memcpy(*uids, mine, *n * sizeof(**uids));
}

void fw_block(struct fw *fw, const unsigned *uids, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	if (nftb_block(fw->nft, uids, n) < 0) {
		log_warnx("firewall: %s", nftb_error(fw->nft));
		return;
	}
	for (i = 0; i < n; i++) {
		hosts_uid_add(fw->h, uids[i]);
		log_info("blocked uid %u", uids[i]);
	}
}

void fw_unblock(struct fw *fw, const unsigned *uids, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	if (nftb_unblock(fw->nft, uids, n) < 0) {
		log_warnx("firewall: %s", nftb_error(fw->nft));
		return;
	}
	for (i = 0; i < n; i++) {
		hosts_uid_del(fw->h, uids[i]);
		log_info("unblocked uid %u", uids[i]);
	}
}

static void allow_add(const struct fw *fw, const char *name, unsigned **v,
		      size_t *n, size_t *cap)
{
	unsigned uid;

	/* Never root or a system account: they are not in the users
	 * chain (meta skuid >= min_uid) at all. */
	if (pwcache_uid(name, &uid) < 0 || uid == 0 ||
	    uid < fw->conf->min_uid)
		return;
	xgrow(v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = uid;
}

void fw_users(struct fw *fw, const struct store_snap *s)
{
	unsigned *v = NULL;
	size_t i, n = 0, cap = 0, added, removed;

	if (!fw->conf->check_local)
		return;
	for (i = 0; s && i < s->n_users; i++)
		if (s->users[i].allowed ||
		    conf_is_free_user(fw->conf, s->users[i].name))
			allow_add(fw, s->users[i].name, &v, &n, &cap);
	for (i = 0; i < fw->conf->n_free_users; i++)
		allow_add(fw, fw->conf->free_users[i], &v, &n, &cap);
	if (nftb_allow(fw->nft, v, n, &added, &removed) < 0)
		log_warnx("firewall: %s", nftb_error(fw->nft));
	else if (added + removed > 0)
		log_info("users on the gateway who may use the link: %zu "
			 "added, %zu removed", added, removed);
	free(v);
}

int fw_user_counters(struct fw *fw, struct nftb_uid **v, size_t *n)
{
	if (nftb_list_allowed(fw->nft, v, n) == 0)
		return 0;
	log_warnx("firewall: %s", nftb_error(fw->nft));
	return -1;
}

/* With network.bind_mac, bind each host to the MAC address the gateway
 * sees for it now. */
static void bind_macs(const struct fw *fw, struct nftb_host *v, size_t n)
{
	char buf[TQ_ADDRSTRLEN];
	size_t i;

	if (!fw->conf->bind_mac || n == 0)
		return;
	if (neigh_lookup(v, n) < 0)
		log_warn("neighbour table");
	for (i = 0; i < n; i++)
		if (!v[i].has_mac)
			log_warnx("bind_mac: no neighbour entry for %s, "
				  "opened without a MAC binding",
				  addr_format(&v[i].addr, buf, sizeof(buf)));
}

/* Established connections and NAT mappings of closed hosts end now.
 * Without ctnetlink (the procfs fallback) they cannot be deleted: they
 * run on until they end or time out, which is said once. */
static void ct_forget(struct fw *fw, const struct tq_addr *addrs, size_t n)
{
	long nct;

	if (n == 0)
		return;
	if (!fw->ct) {
		log_once(&fw->nodel_said, "conntrack entries of closed hosts "
			 "cannot be deleted: no ctnetlink (%s), their "
			 "established connections run on",
			 strerror(fw->ct_errno));
		return;
	}
	nct = ct_delete_hosts(fw->ct, addrs, n);
	if (nct < 0)
		log_warn("conntrack: deleting entries of closed hosts");
	else if (nct > 0)
		log_debug("conntrack: deleted %ld entries", nct);
}

static const char *row_name(const struct acct_masq *m)
{
	return m->name && *m->name ? m->name : "?";
}

/* One nftb batch for every fw_open row, one for every fw_close row.  A
 * failed batch marks its rows so their acknowledgements are not written
 * (the next poll decides again). */
void fw_apply(struct fw *fw, const struct acct_masq *in,
	      const struct acct_out *o, bool *skip)
{
	struct nftb_host *v;
	struct tq_addr *addrs;
	char buf[TQ_ADDRSTRLEN];
	size_t i, n, *at;

	v = xcalloc(o->n_rows + 1, sizeof(*v));
	at = xcalloc(o->n_rows + 1, sizeof(*at));
	addrs = xcalloc(o->n_rows + 1, sizeof(*addrs));

	n = 0;
	for (i = 0; i < o->n_rows; i++) {
		if (!o->rows[i].fw_open || !o->rows[i].addr_ok)
			continue;
		at[i] = n;
		v[n++].addr = o->rows[i].addr;
	}
	bind_macs(fw, v, n);
	if (n > 0 && nftb_open(fw->nft, v, n) < 0) {
		log_warnx("firewall: %s", nftb_error(fw->nft));
		for (i = 0; i < o->n_rows; i++)
			if (o->rows[i].fw_open)
				skip[i] = true;
	} else {
		for (i = 0; i < o->n_rows; i++) {
			const struct acct_row *r = &o->rows[i];

			if (!r->fw_open || !r->addr_ok || skip[i])
				continue;
			hosts_add(fw->h, &v[at[i]], in[r->idx].name);
			log_info("opened %s for %s (%s)",
				 addr_format(&r->addr, buf, sizeof(buf)),
				 row_name(&in[r->idx]),
				 r->why ? r->why : "request");
		}
	}

	n = 0;
	for (i = 0; i < o->n_rows; i++) {
		if (!o->rows[i].fw_close || !o->rows[i].addr_ok)
			continue;
		v[n].addr = o->rows[i].addr;
		addrs[n++] = o->rows[i].addr;
	}
	if (n > 0 && nftb_close(fw->nft, v, n) < 0) {
		log_warnx("firewall: %s", nftb_error(fw->nft));
		for (i = 0; i < o->n_rows; i++)
			if (o->rows[i].fw_close)
				skip[i] = true;
	} else if (n > 0) {
		for (i = 0; i < o->n_rows; i++) {
			const struct acct_row *r = &o->rows[i];

			if (!r->fw_close || !r->addr_ok)
				continue;
			hosts_del(fw->h, &r->addr);
			log_info("closed %s of %s (%s)",
				 addr_format(&r->addr, buf, sizeof(buf)),
				 row_name(&in[r->idx]),
				 r->why ? r->why : "request");
		}
		ct_forget(fw, addrs, n);
	}
	for (i = 0; i < o->n_rows; i++) {
		const struct acct_row *r = &o->rows[i];

		if (r->del && !r->fw_close && !r->fw_open && !skip[i])
			log_info("deleted masq row %s of %s (%s)",
				 in[r->idx].host ? in[r->idx].host : "?",
				 row_name(&in[r->idx]),
				 r->why ? r->why : "refused");
	}
	free(at);
	free(addrs);
	free(v);
}

int fw_open_aliases(struct fw *fw, const struct nftb_host *v,
		    const struct tq_addr *owners, const char *const *names,
		    size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	if (nftb_open(fw->nft, v, n) < 0) {
		log_warnx("firewall: %s", nftb_error(fw->nft));
		return -1;
	}
	for (i = 0; i < n; i++)
		hosts_add_alias(fw->h, &v[i], &owners[i], names[i]);
	return 0;
}

int fw_close_hosts(struct fw *fw, const struct tq_addr *addrs, size_t n)
{
	struct nftb_host *v;
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i].addr = addrs[i];
	if (nftb_close(fw->nft, v, n) < 0) {
		log_warnx("firewall: %s", nftb_error(fw->nft));
		rc = -1;
	} else {
		for (i = 0; i < n; i++)
			hosts_del(fw->h, &addrs[i]);
		ct_forget(fw, addrs, n);
	}
	free(v);
	return rc;
}

/* Hosts in the firewall that no row of this gateway names any more (the
 * row was deleted or its host overwritten behind the daemon's back) are
 * closed: only a row keeps a host open (an alias through its row:
 * device.c closes it with its row). */
void fw_close_orphans(struct fw *fw, const struct store_snap *s)
{
	struct tq_addr *ref, *addrs, a;
	char buf[TQ_ADDRSTRLEN];
	size_t i, nr = 0, n = 0;

	if (hosts_count(fw->h) == 0)
		return;
	ref = xcalloc(s->n_masq + 1, sizeof(*ref));
	for (i = 0; i < s->n_masq; i++)
		if (!s->masq[i].host_toolong &&
		    addr_parse(s->masq[i].host, &ref[nr]) == 0)
			nr++;
	qsort(ref, nr, sizeof(*ref), addr_cmp);
	addrs = xcalloc(hosts_count(fw->h), sizeof(*addrs));
	for (i = 0; i < hosts_count(fw->h); i++) {
		a = hosts_at(fw->h, i)->addr;
		if (hosts_at(fw->h, i)->alias ||
		    bsearch(&a, ref, nr, sizeof(*ref), addr_cmp))
			continue;
		addrs[n++] = a;
	}
	if (fw_close_hosts(fw, addrs, n) == 0)
		for (i = 0; i < n; i++)
			log_info("closed %s: no masq row names it any more",
				 addr_format(&addrs[i], buf, sizeof(buf)));
	free(addrs);
	free(ref);
}

static int host_cmp(const void *x, const void *y)
{
	return addr_cmp(&((const struct nftb_host *)x)->addr,
			&((const struct nftb_host *)y)->addr);
}

/* A set element as the daemon puts it there: the address, with bind_mac
 * also the binding (bound or not, and to which MAC). */
static int elem_cmp_mac(const void *x, const void *y)
{
	const struct nftb_host *a = x, *b = y;
	int c = addr_cmp(&a->addr, &b->addr);

	if (c)
		return c;
	if (a->has_mac != b->has_mac)
		return a->has_mac ? 1 : -1;
	return a->has_mac ? memcmp(a->mac, b->mac, sizeof(a->mac)) : 0;
}

static bool elem_in(const struct fw *fw, const struct nftb_host *e,
		    const struct nftb_host *v, size_t n)
{
	return n > 0 && bsearch(e, v, n, sizeof(*v), fw->conf->bind_mac ?
				elem_cmp_mac : host_cmp);
}

static void elem_text(const struct fw *fw, const struct nftb_host *e,
		      char *buf, size_t len)
{
	char a[TQ_ADDRSTRLEN];
	const uint8_t *m = e->mac;
	bool v6 = e->addr.family == AF_INET6;

	addr_format(&e->addr, a, sizeof(a));
	if (!fw->conf->bind_mac)
		snprintf(buf, len, "set %s: %s", v6 ? "hosts6" : "hosts4", a);
	else if (!e->has_mac)
		snprintf(buf, len, "set %s: %s",
			 v6 ? "hosts6_unbound" : "hosts4_unbound", a);
	else
		snprintf(buf, len, "set %s: %s . %02x:%02x:%02x:%02x:%02x:%02x",
			 v6 ? "hosts6" : "hosts4", a, m[0], m[1], m[2], m[3],
			 m[4], m[5]);
}

/*
 * The host sets must hold exactly the hosts room: a host deleted from a set
 * behind the daemon's back (`nft flush set`, `nft delete element`) would
 * be shut out while its row says open and nothing is charged; one added
 * (`nft add element`) would be let out with no row to charge or close.
 * So a missing element is put back and a foreign one removed, with its
 * conntrack entries, as the daemon closes any host.  With bind_mac an
 * element of an open address with another binding is foreign too; its
 * removal may take the host's own elements with it, so every open host of
 * such an address is put back as well (adding a present element is no
 * error).  A failed batch is logged and the next poll tries again.
 */
static void repair(struct fw *fw, const struct nftb_host *v, size_t n)
{
	struct nftb_host *mine, *extra, *back;
	struct tq_addr *gone;
	char buf[TQ_ADDRSTRLEN + 48];
	size_t i, j, ne = 0, nb = 0, ng = 0, nmiss = 0;

	mine = hosts_array(fw->h);
	qsort(mine, hosts_count(fw->h), sizeof(*mine), fw->conf->bind_mac ?
	      elem_cmp_mac : host_cmp);
	extra = xcalloc(n + 1, sizeof(*extra));
	gone = xcalloc(n + 1, sizeof(*gone));
	back = xcalloc(hosts_count(fw->h) + 1, sizeof(*back));
	for (i = 0; i < n; i++) {
		if (elem_in(fw, &v[i], mine, hosts_count(fw->h)))
			continue;
		extra[ne++] = v[i];
		if (ne <= FW_SET_LOG_MAX) {
			elem_text(fw, &v[i], buf, sizeof(buf));
			log_warnx("firewall: %s is no host the daemon opened: "
				  "removed", buf);
		}
		if (!hosts_find(fw->h, &v[i].addr) &&
		    (ng == 0 || !addr_equal(&gone[ng - 1], &v[i].addr)))
			gone[ng++] = v[i].addr;
	}
	for (i = 0; i < hosts_count(fw->h); i++) {
		const struct hosts_entry *h;
		bool missing = !elem_in(fw, &mine[i], v, n);
		bool hit = false;

		for (j = 0; !missing && j < ne && !hit; j++)
			hit = addr_equal(&extra[j].addr, &mine[i].addr);
		if (!missing && !hit)
			continue;
		back[nb++] = mine[i];
		if (missing && ++nmiss <= FW_SET_LOG_MAX) {
			h = hosts_find(fw->h, &mine[i].addr);
			elem_text(fw, &mine[i], buf, sizeof(buf));
			log_warnx("firewall: %s of %s missing: put back", buf,
				  h && *h->name ? h->name : "?");
		}
	}
	if (ne > FW_SET_LOG_MAX)
		log_warnx("firewall: %zu foreign elements removed in all", ne);
	if (nmiss > FW_SET_LOG_MAX)
		log_warnx("firewall: %zu missing elements put back in all",
			  nmiss);
	if (ne > 0 && nftb_close(fw->nft, extra, ne) < 0)
		log_warnx("firewall: %s", nftb_error(fw->nft));
	else
		ct_forget(fw, gone, ng);
	if (nb > 0 && nftb_open(fw->nft, back, nb) < 0)
		log_warnx("firewall: %s", nftb_error(fw->nft));
	free(back);
	free(gone);
	free(extra);
	free(mine);
}

int fw_repair_sets(struct fw *fw, struct nftb_host **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	if (nftb_list(fw->nft, v, n) < 0) {
		log_warnx("firewall: reading the host sets: %s",
			  nftb_error(fw->nft));
		free(*v);
		*v = NULL;
		return -1;
	}
	qsort(*v, *n, sizeof(**v), fw->conf->bind_mac ? elem_cmp_mac :
	      host_cmp);
	repair(fw, *v, *n);
	return 0;
}

/* A change to the table by someone else: put it back now (the table
 * whole, then the host sets), not at the next poll. */
static void fw_event(int fd, uint32_t events, void *arg)
{
	struct fw *fw = arg;
	struct nftb_host *v;
	uint64_t t0;
	size_t n;
	int rc;

	rc = nftb_events_changed(fw->nft);
	if (rc < 0)
		log_once_errno(&fw->ev_said, "firewall: reading nftables "
			       "events (the table is checked every poll)");
	if (rc <= 0)
		return;
	t0 = tq_now_us();
	fw_check_table(fw);
	if (fw_repair_sets(fw, &v, &n) == 0)
		free(v);
	log_debug("firewall: checked after a ruleset event in %llu us",
		  (unsigned long long)(tq_now_us() - t0));
}

int fw_watch(struct fw *fw, struct loop *loop)
{
	fw->ev_fd = nftb_events_fd(fw->nft);
	if (fw->ev_fd < 0 ||
	    loop_add_fd(loop, fw->ev_fd, EPOLLIN, fw_event, fw) < 0) {
		log_warn("firewall: nftables events (the table is checked "
			 "every poll only)");
		return -1;
	}
	fw->loop = loop;
	return 0;
}

void fw_check_table(struct fw *fw)
{
	int rc;

	rc = nftb_intact(fw->nft);
	if (rc == 1)
		return;
	if (rc < 0) {
		log_warnx("firewall: checking the table: %s",
			  nftb_error(fw->nft));
		return;
	}
	log_warnx("firewall: table %s missing or altered, rebuilding with "
		  "%zu open host%s: %s", fw->conf->table, hosts_count(fw->h),
		  hosts_count(fw->h) == 1 ? "" : "s",
		  nftb_intact_diff(fw->nft));
	if (rebuild(fw) < 0)
		log_warnx("firewall: rebuilding: %s", nftb_error(fw->nft));
}

/* With network.bind_mac, at start: a host still in the table a killed
 * daemon left keeps the binding it got at open time (or stays unbound);
 * the neighbour table may name another machine by now (anyone on the LAN
 * can repoint it).  Only the other hosts are bound from the neighbour
 * table. */
static void rebind(const struct fw *fw, struct nftb_host *v, size_t n)
{
	struct nftb_host *old = NULL, *w, *f;
	size_t nold = 0, i, k = 0, kept = 0, *at;

	if (!fw->conf->bind_mac || n == 0)
		return;
	/* No table (a clean stop removes it) or one without bind_mac sets:
	 * nothing to keep. */
	if (nftb_list(fw->nft, &old, &nold) < 0)
		nold = 0;
	if (nold > 0)	/* addr is the first field */
		qsort(old, nold, sizeof(*old), addr_cmp);
	w = xcalloc(n, sizeof(*w));
	at = xcalloc(n, sizeof(*at));
	for (i = 0; i < n; i++) {
		f = nold ? bsearch(&v[i], old, nold, sizeof(*old), addr_cmp)
			 : NULL;
		if (f) {
			v[i].has_mac = f->has_mac;
			memcpy(v[i].mac, f->mac, sizeof(v[i].mac));
			kept++;
			continue;
		}
		at[k] = i;
		w[k++] = v[i];
	}
	if (kept > 0)
		log_info("bind_mac: %zu host%s keep%s the binding of the table "
			 "left running", kept, kept == 1 ? "" : "s",
			 kept == 1 ? "s" : "");
	bind_macs(fw, w, k);
	for (i = 0; i < k; i++)
		v[at[i]] = w[i];
	free(at);
	free(w);
	free(old);
}


int fw_create(struct fw *fw, struct nftb_host *v, const char **names,
	      size_t n, const struct store_snap *s, char *err, size_t errlen)
{
	const unsigned *blocked;
	unsigned *uids = NULL;
	size_t i, nu = 0;

	rebind(fw, v, n);
	for (i = 0; i < n; i++)
		hosts_add(fw->h, &v[i], names[i]);
	/* Blocks outlive the daemon: a table a killed daemon left hands on
	 * its blocked uids (the first poll unblocks who may go out again) */
	if (nftb_list_uids(fw->nft, &uids, &nu) < 0)
		nu = 0;		/* no table: a clean stop removed it */
	for (i = 0; i < nu; i++)
		if (uids[i] != 0 && uids[i] >= fw->conf->min_uid)
			hosts_uid_add(fw->h, uids[i]);
	free(uids);
	/* and so does a balance at or below min_quota: such a user is
	 * blocked from the start, not after a first poll of traffic. */
	for (i = 0; s && i < s->n_users; i++) {
		const struct store_user *u = &s->users[i];
		unsigned uid;

		if (!u->allowed || u->quota > fw->conf->min_quota ||
		    conf_is_free_user(fw->conf, u->name) ||
		    pwcache_uid(u->name, &uid) < 0 || uid == 0 ||
		    uid < fw->conf->min_uid || hosts_uid_blocked(fw->h, uid))
			continue;
		hosts_uid_add(fw->h, uid);
		log_info("blocked uid %u (%s): no quota (balance %lld)", uid,
			 u->name, u->quota);
	}
	blocked = hosts_uids(fw->h, &nu);
	if (nftb_create(fw->nft, v, n, blocked, nu) < 0)
		return tq_err(err, errlen, "nftables: creating table %s: %s",
			      fw->conf->table, nftb_error(fw->nft));
	log_info("table inet %s created with %zu open host%s",
		 fw->conf->table, n, n == 1 ? "" : "s");
	if (nu > 0)
		log_info("%zu uid%s blocked at start", nu, nu == 1 ? "" : "s");
	/* Right away, not at the first poll: the users who may go out. */
	fw_users(fw, s);
	return 0;
}
