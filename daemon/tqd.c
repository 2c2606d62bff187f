/* tqd.c - the daemon's life (start, reload, stop) and the order of one
 * poll, as DESIGN.md "The poll" tells it:
 *
 *   maintain  the database back (store), held polls replayed (ledger),
 *             the nft table whole (fw)
 *   snapshot  users and masq rows (store)
 *   gather    link, conntrack, the host sets (listed and repaired by fw
 *             between the conntrack read and the local scan, where the
 *             listing was always taken), local sockets, blocked uids
 *   decide    acct_poll, the pure core
 *   act       hosts opened and closed, orphans closed (fw), devices'
 *             other addresses with them (device)
 *   enforce   cut-offs and unblocks (enforce)
 *   record    debits and masq writes (ledger, store)
 *
 * A request pass (tqd_requests) is the same pipeline over the request
 * rows only, sharing the builders (decide, build_ops); its answers take
 * the same guarded path as the poll's (store_sql.c).
 *
 * Each step's state and logic live in its room; this file holds none of
 * it.  The rooms are made in tqd_start in this order and freed in
 * reverse: hosts and device (in tqd_new: no I/O), gather (owns the ctnetlink
 * handle fw borrows), enforce, ledger, fw, store, wake.  Every room keeps
 * a pointer to the configuration in force; reload hands each the new one
 * (x_set_conf, each deciding whether its part changed) before the old is
 * freed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct.h"
#include "device.h"
#include "enforce.h"
#include "fw.h"
#include "gather.h"
#include "hosts.h"
#include "ledger.h"
#include "pwcache.h"
#include "log.h"
#include "store.h"
#include "tqd.h"
#include "util.h"
#include "wake.h"

/* At a stop, a database call may take this long (ms) before it is cut:
 * far more than a live server needs, far less than database.timeout. */
#define TQD_STOP_DB_MS 1000u

struct tqd {
	struct tq_conf *conf;
	char *conf_path;
	struct loop *loop;
	struct loop_timer *poll_timer;
	struct hosts *hosts;
	struct device *device;
	struct gather *gather;
	struct enforce *enforce;
	struct ledger *ledger;
	struct fw *fw;
	struct store *store;
	struct wake *wake;
};

const struct tq_conf *tqd_conf(const struct tqd *t)
{
	return t->conf;
}

struct tqd *tqd_new(struct tq_conf *conf, const char *conf_path,
		    struct loop *loop)
{
	struct tqd *t = xcalloc(1, sizeof(*t));

	t->conf = conf;
	t->conf_path = xstrdup(conf_path);
	t->loop = loop;
	t->hosts = hosts_new();
	t->device = device_new(conf, t->hosts);
	return t;
}

void tqd_free(struct tqd *t)
{
	if (!t)
		return;
	loop_timer_del(t->loop, t->poll_timer);
	wake_free(t->wake);
	store_free(t->store);
	fw_free(t->fw);
	ledger_free(t->ledger);
	enforce_free(t->enforce);
	gather_free(t->gather);
	device_free(t->device);
	hosts_free(t->hosts);
	free(t->conf_path);
	conf_free(t->conf);
	free(t);
}

/* ---- the builders poll and request pass share ---- */

struct decisions {
	const struct acct_masq *in;	/* acct's view of the rows */
	const struct store_masq *rows;	/* snapshot rows, same order as in */
	struct acct_out out;
	bool *skip;			/* per out.rows: do not write */
};

/* acct_poll over in, for a poll covering periods periods; rows are the
 * snapshot rows in's masq came from. */
static void decide(const struct tqd *t, const struct gather_in *in,
		   const struct store_masq *rows, size_t n_users,
		   bool link_up, unsigned periods, struct decisions *d)
{
	struct acct_in ai;
	time_t now;

	memset(&ai, 0, sizeof(ai));
	ai.conf = t->conf;
	now = time(NULL);
	localtime_r(&now, &ai.now);
	ai.periods = periods;
	ai.link_up = link_up;
	ai.users = in->users;
	ai.n_users = n_users;
	ai.masq = in->masq;
	ai.n_masq = in->n_masq;
	ai.locals = in->locals;
	ai.n_locals = in->n_locals;
	ai.blocked = in->blocked;
	ai.n_blocked = in->n_blocked;
	acct_poll(&ai, &d->out);
	d->in = in->masq;
	d->rows = rows;
	d->skip = xcalloc(d->out.n_rows + 1, sizeof(*d->skip));
}

/* The masq writes of the decisions not skipped, each with the row as it
 * was read (struct store_op: an answer never overwrites a tool's). */
static void build_ops(const struct decisions *d, struct store_poll *p)
{
	const struct acct_out *o = &d->out;
	size_t i;

	p->ops = xcalloc(o->n_rows + 1, sizeof(*p->ops));
	p->n_ops = 0;
	for (i = 0; i < o->n_rows; i++) {
		const struct acct_row *r = &o->rows[i];
		const struct store_masq *row = &d->rows[r->idx];
		struct store_op *op = &p->ops[p->n_ops];

		if (d->skip[i])
			continue;
		if (!r->del && !r->set_open && !r->tic_dec && !r->charged &&
		    !r->set_cnts)
			continue;
		tq_strlcpy(op->host, row->host, sizeof(op->host));
		op->seen_open = row->open;
		op->seen_tic = row->tic;
		tq_strlcpy(op->seen_name, row->name, sizeof(op->seen_name));
		op->row = r->idx;
		if (r->del) {
			op->kind = STORE_DELETE;
		} else {
			op->kind = STORE_UPDATE;
			op->set_open = r->set_open;
			op->open = r->open;
			op->tic_dec = r->tic_dec;
			op->counter_inc = r->charged ? (int)o->periods : 0;
			op->set_cnts = r->set_cnts;
			op->cnts = (int)r->cnts;
		}
		p->n_ops++;
	}
}

/* The database writes of one poll: debits, total and (with_ops) the
 * masq writes. */
static void build_poll(const struct decisions *d, bool with_ops,
		       struct store_poll *p)
{
	const struct acct_out *o = &d->out;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->id = ledger_poll_id();
	p->when = time(NULL);
	p->total = o->total;
	p->debits = xcalloc(o->n_debits + 1, sizeof(*p->debits));
	for (i = 0; i < o->n_debits; i++) {
		tq_strlcpy(p->debits[i].name, o->debits[i].name,
			   sizeof(p->debits[i].name));
		p->debits[i].amount = o->debits[i].amount;
	}
	p->n_debits = o->n_debits;
	if (with_ops)
		build_ops(d, p);
	else
		p->ops = xcalloc(1, sizeof(*p->ops));
}

static void decisions_free(struct decisions *d)
{
	free(d->skip);
	acct_out_free(&d->out);
}

/* ---- the poll ---- */

/* One "charged NAME EACH" line per period charged: their sum is the
 * debit, however late the poll. */
static void log_poll(const struct decisions *d, const struct gather_in *in,
		     bool up, bool fresh)
{
	const struct acct_out *o = &d->out;
	unsigned k;
	size_t i;

	log_debug("poll: link %s, rate %g, %u online, each %lld, total %lld, "
		  "%zu rows, %zu locals%s", up ? "up" : "down", o->rate,
		  o->n_online, o->each, o->total, in->n_masq, in->n_locals,
		  fresh ? "" : " (database down)");
	if (o->periods > 1 && o->n_debits > 0)
		log_debug("poll: %u periods since the last one, each charged",
			  o->periods);
	for (i = 0; i < o->n_debits; i++)
		for (k = 0; k < o->periods; k++)
			log_debug("charged %s %lld", o->debits[i].name,
				  o->each);
	if (d->out.n_bad_rows)
		log_warnx("deleting %zu malformed masq row%s",
			  d->out.n_bad_rows, d->out.n_bad_rows == 1 ? "" : "s");
}

void tqd_poll(struct tqd *t)
{
	tqd_poll_late(t, 1);
}

void tqd_poll_late(struct tqd *t, unsigned periods)
{
	struct nftb_host *v = NULL;
	struct store_snap *s;
	struct store_poll p;
	struct gather_in in;
	struct decisions d;
	bool fresh = false, up;
	size_t i, n = 0;

	/* maintain */
	if (store_up(t->store, false)) {
		ledger_replay(t->ledger, t->store);
		if (store_connected(t->store))
			fresh = store_refresh(t->store);
	}
	fw_check_table(t->fw);
	/* snapshot: the last good one during an outage */
	s = store_snap(t->store);
	if (!s)
		return;		/* nothing known to charge or enforce */

	/* gather */
	memset(&in, 0, sizeof(in));
	up = gather_link(t->gather);
	gather_conntrack(t->gather);
	if (fw_repair_sets(t->fw, &v, &n) == 0)
		gather_elements(t->gather, v, n);
	free(v);
	gather_local(t->gather, t->fw, &in);
	gather_users(s, &in);
	ledger_held_into(t->ledger, in.users, s->n_users);
	in.masq = xcalloc(s->n_masq + 1, sizeof(*in.masq));
	for (i = 0; i < s->n_masq; i++)
		gather_row(t->gather, &s->masq[i], &in.masq[i], true);
	in.n_masq = s->n_masq;
	device_poll(t->device, s->masq, in.masq, in.n_masq, periods);

	/* decide */
	memset(&d, 0, sizeof(d));
	decide(t, &in, s->masq, s->n_users, up, periods, &d);
	log_poll(&d, &in, up, fresh);

	/* act and enforce: without a fresh snapshot nothing is opened;
	 * only cut-offs are carried out (balances less held debits) */
	if (!fresh) {
		acct_keep_cuts(&d.out);
		fw_apply(t->fw, d.in, &d.out, d.skip);
		enforce_cuts(t->enforce, t->fw, t->hosts, &d.out);
	} else {
		fw_apply(t->fw, d.in, &d.out, d.skip);
		fw_close_orphans(t->fw, s);
		fw_users(t->fw, s);
		enforce_cuts(t->enforce, t->fw, t->hosts, &d.out);
		enforce_unblock(t->fw, &d.out);
	}
	device_sync(t->device, t->fw, s, fresh);

	/* record */
	gather_remember(t->gather, &in);
	build_poll(&d, fresh, &p);
	ledger_record(t->ledger, t->store, &p, fresh);
	if (fresh) {
		store_patch(t->store, p.ops, p.n_ops);
		store_prune(t->store, ledger_count(t->ledger) == 0);
	}
	store_poll_done(t->store, ledger_count(t->ledger));
	free(p.debits);
	free(p.ops);
	decisions_free(&d);
	gather_in_free(&in);
}

static bool is_request(const struct store_masq *m)
{
	return m->open == MASQ_REQ_OPEN || m->open == MASQ_REQ_CLOSE;
}

/* Open/close requests of the current snapshot only. */
void tqd_requests(struct tqd *t)
{
	struct store_masq *rows;
	struct store_snap *s;
	struct store_poll p;
	struct gather_in in;
	struct decisions d;
	size_t i, n = 0;

	if (!store_connected(t->store))
		return;		/* the next poll reconnects */
	if (!store_refresh(t->store))
		return;
	s = store_snap(t->store);
	for (i = 0; i < s->n_masq; i++)
		n += is_request(&s->masq[i]);
	if (n == 0)
		return;

	memset(&in, 0, sizeof(in));
	gather_users(s, &in);
	ledger_held_into(t->ledger, in.users, s->n_users);
	in.masq = xcalloc(n, sizeof(*in.masq));
	rows = xcalloc(n, sizeof(*rows));
	for (i = 0; i < s->n_masq; i++) {
		if (!is_request(&s->masq[i]))
			continue;
		rows[in.n_masq] = s->masq[i];
		gather_row(t->gather, &s->masq[i], &in.masq[in.n_masq++],
			   false);
	}
	memset(&d, 0, sizeof(d));
	decide(t, &in, rows, s->n_users, false, 1, &d);	/* no charging */
	fw_apply(t->fw, d.in, &d.out, d.skip);
	device_sync(t->device, t->fw, s, true);
	/* Acknowledge only what was asked, and only where the row still
	 * holds the request we saw (a tool may have changed it meanwhile). */
	memset(&p, 0, sizeof(p));
	build_ops(&d, &p);
	store_ack(t->store, p.ops, p.n_ops);
	free(p.ops);
	decisions_free(&d);
	free(rows);
	gather_in_free(&in);
}

/* ---- start, reload, shutdown ---- */

static void poll_fired(struct loop_timer *lt, void *arg)
{
	struct tqd *t = arg;
	uint64_t t0 = tq_now_us();

	tqd_poll_late(t, loop_timer_expiries(lt));
	log_debug("poll took %" PRIu64 " us", tq_now_us() - t0);
}

static void wake_pass(void *arg)
{
	tqd_requests(arg);
}

/* The table at start: open rows with a live heartbeat (or free, or the
 * portal's) stay open; other rows claiming to be open are deleted.  fresh: a snapshot
 * was read now (else the table starts empty). */
static int open_table(struct tqd *t, bool fresh, char *err, size_t errlen)
{
	const struct store_snap *s = store_snap(t->store);
	const char **names = NULL;
	struct nftb_host *v;
	struct tq_addr a;
	size_t i, nv = 0;
	int rc;

	v = xcalloc(fresh ? s->n_masq + 1 : 1, sizeof(*v));
	for (i = 0; fresh && i < s->n_masq; i++) {
		const struct store_masq *r = &s->masq[i];

		if (r->open != MASQ_OPENED)
			continue;
		if (r->host_toolong || addr_parse(r->host, &a) < 0)
			continue;	/* acct deletes malformed rows */
		if (r->tic > 0 || r->free != MASQ_PAID || r->portal) {
			names = xrealloc(names, (nv + 1) * sizeof(*names));
			names[nv] = r->name;
			v[nv++].addr = a;
			log_info("reopened %s for %s", r->host, r->name);
			continue;
		}
		store_expire(t->store, r);
	}
	rc = fw_create(t->fw, v, names, nv, fresh ? s : NULL, err, errlen);
	free(names);
	free(v);
	return rc;
}

int tqd_start(struct tqd *t, char *err, size_t errlen)
{
	bool fresh = false;
	struct ct *ct;
	int ct_errno;
	unsigned ms;

	t->gather = gather_new(t->conf, t->loop, t->hosts);
	t->enforce = enforce_new(t->conf);
	t->ledger = ledger_new(t->conf, err, errlen);
	if (!t->ledger)
		return -1;
	ct = gather_ct(t->gather, &ct_errno);
	t->fw = fw_new(t->conf, t->hosts, ct, ct_errno);
	if (!t->fw)
		return tq_err(err, errlen, "nftables: netlink: %s",
			      strerror(errno));
	t->store = store_new(t->conf);
	if (loop_signal_fd(t->loop) >= 0)
		store_guard(t->store, loop_signal_fd(t->loop));
	if (store_up(t->store, false)) {
		ledger_replay(t->ledger, t->store);
		fresh = store_connected(t->store) && store_refresh(t->store);
	}
	if (open_table(t, fresh, err, errlen) < 0)
		return -1;
	fw_watch(t->fw, t->loop);	/* edits reverted at once (logged) */
	gather_acct_enable(t->gather);	/* nf_conntrack is loaded by now */
	t->wake = wake_new(t->conf, t->loop, wake_pass, t);
	ms = (unsigned)t->conf->period * 1000u;
	t->poll_timer = loop_timer_add(t->loop, 0, ms, poll_fired, t);
	if (!t->poll_timer)
		return tq_err(err, errlen, "poll timer: %s", strerror(errno));
	return 0;
}

static bool str_changed(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

int tqd_reload(struct tqd *t)
{
	struct tq_conf *nc, *old;
	char err[1024];

	nc = conf_load(t->conf_path, err, sizeof(err));
	if (!nc) {
		log_warnx("reload rejected, old configuration kept: %s", err);
		return -1;
	}
	old = t->conf;
	t->conf = nc;

	/* The file at the old path was reopened before the reload (see
	 * tqd.h); only a new path is opened here. */
	if (str_changed(old->logfile, nc->logfile) &&
	    log_open(NULL, nc->logfile) < 0)
		log_warn("log %s", nc->logfile);
	if (str_changed(old->gateway, nc->gateway))
		log_warnx("gateway id changed from %s to %s", old->gateway,
			  nc->gateway);
	/* Each room takes the new configuration while the old is there to
	 * compare with. */
	fw_set_conf(t->fw, nc);
	store_set_conf(t->store, nc);
	ledger_set_conf(t->ledger, nc);
	gather_set_conf(t->gather, nc);
	enforce_set_conf(t->enforce, nc);
	pwcache_flush();	/* an admin's SIGHUP also after an LDAP change */
	device_set_conf(t->device, nc);
	wake_set_conf(t->wake, nc);
	if (old->period != nc->period)
		loop_timer_set(t->poll_timer, (unsigned)nc->period * 1000u,
			       (unsigned)nc->period * 1000u);
	conf_free(old);
	log_info("configuration reloaded from %s", t->conf_path);
	return 0;
}

void tqd_shutdown(struct tqd *t)
{
	if (t->fw)
		fw_delete(t->fw);
	/* A server that does not answer does not hold the stop up: the
	 * rows and held polls are the next start's (the journal). */
	if (t->store)
		store_hurry(t->store, TQD_STOP_DB_MS);
	if (t->store && store_up(t->store, true)) {
		if (ledger_in_memory(t->ledger) > 0)
			ledger_replay(t->ledger, t->store);
		store_clear(t->store);
	}
	if (t->ledger)
		ledger_at_exit(t->ledger);
	if (t->wake)
		wake_remove(t->wake);
}
