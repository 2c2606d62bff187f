/* tqd.c - the daemon's state and its poll: gather inputs, call acct_poll,
 * carry out the decisions. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "addr.h"
#include "ct.h"
#include "db.h"
#include "enforce.h"
#include "journal.h"
#include "log.h"
#include "nftb.h"
#include "procscan.h"
#include "scan.h"
#include "tqd.h"
#include "util.h"

/* Wake-ups closer together than this are folded into one request pass. */
#define TQD_WAKE_MIN_US 20000
/* Poll ids (poll_applied) are kept this long, pruned hourly in batches. */
#define TQD_PRUNE_DAYS 7
#define TQD_PRUNE_BATCH 10000
#define TQD_PRUNE_EVERY_US (3600ull * 1000000u)
/*
 * Reconnecting: after the n-th failed connect in a row the next attempt
 * waits 1, 2, 4 ... polls, at most TQD_BACKOFF_POLLS polls or
 * TQD_BACKOFF_S seconds (whichever is shorter, never under one poll).  A
 * connect to a hung server blocks up to database.timeout; the cap bounds
 * both that cost and how late an outage is noticed to be over.
 */
#define TQD_BACKOFF_POLLS 8
#define TQD_BACKOFF_S 60
/* Polls held in memory only (the journal failing, or none configured)
 * before later ones are folded into the newest. */
#define TQD_HELD_MAX 1000
/* Tries before a held poll the database refuses for good is set aside. */
#define TQD_REFUSED_MAX 3

/* A host we put into the firewall (what a rebuild restores). */
struct tqd_host {
	struct tq_addr addr;
	bool has_mac;		/* bound with network.bind_mac */
	uint8_t mac[6];
	char name[DB_NAME_BYTES];
	/* With conntrack events (network.conntrack_resync > 0): */
	uint32_t conns;		/* its entries to outside local_networks */
	uint32_t closing;	/* not live ones (scan.h: scan_agg_ct) */
	uint64_t packets;	/* its set elements' packet counters */
};

/* Packet total of a host's connections at the previous poll. */
struct tqd_pkts {
	struct tq_addr addr;
	uint64_t packets;
};

struct tqd {
	struct tq_conf *conf;
	char *conf_path;
	struct loop *loop;
	struct loop_timer *poll_timer;
	struct loop_timer *wake_timer;	/* deferred request pass */
	int wake_fd;
	uint64_t last_req_us;
	uint64_t next_prune_us;		/* of poll_applied */

	struct db *db;
	bool db_down_logged;
	unsigned db_fails;		/* failed connects in a row */
	unsigned db_wait;		/* polls to skip before the next */
	bool link_down_logged;		/* said so; say when it is back */
	struct nftb *nft;
	struct ct *ct;
	int ct_errno;			/* why ct_new failed */
	bool ct_fallback_logged;
	bool ct_nodel_logged;		/* said entries stay (no ct) */
	bool kill_err_logged;		/* said kill(2) fails */
	bool acct_on;			/* nf_conntrack_acct written */
	bool acct_logged;		/* said it failed; retrying */
	struct ct_events *ev;		/* NULL: the whole table every poll */
	bool ev_stale;			/* counts need a full read */
	bool ev_err_logged;
	int polls_since_full;
	struct journal *journal;
	struct db_poll *held;		/* not in the journal, oldest first */
	size_t n_held, cap_held;
	bool held_mem_logged;		/* said they are in memory only */
	bool journal_err_logged;	/* said an append failed */
	bool held_full_logged;		/* said TQD_HELD_MAX was reached */
	uint64_t refused_id;		/* the held poll the database refused */
	unsigned refused;		/* how many times in a row */
	size_t n_bad_users;		/* left out of the last snapshot */
	struct scan_agg *agg;
	char *msg_text;

	struct db_snapshot snap;	/* the last good one */
	bool have_snap;

	struct tqd_host *hosts;		/* believed open */
	size_t n_hosts, cap_hosts;
	unsigned *blocked;		/* uids we blocked */
	size_t n_blocked, cap_blocked;
	struct tqd_pkts *pkts;
	size_t n_pkts, cap_pkts;
	char (*cut_names)[DB_NAME_BYTES];	/* messaged this cut-off */
	size_t n_cut, cap_cut;
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
	t->wake_fd = -1;
	return t;
}

static void wake_close(struct tqd *t)
{
	if (t->wake_fd < 0)
		return;
	loop_del_fd(t->loop, t->wake_fd);
	close(t->wake_fd);
	t->wake_fd = -1;
}

static void ev_close(struct tqd *t)
{
	if (!t->ev)
		return;
	loop_del_fd(t->loop, ct_events_fd(t->ev));
	ct_events_free(t->ev);
	t->ev = NULL;
}

void tqd_free(struct tqd *t)
{
	if (!t)
		return;
	loop_timer_del(t->loop, t->poll_timer);
	loop_timer_del(t->loop, t->wake_timer);
	wake_close(t);
	if (t->have_snap)
		db_snapshot_free(&t->snap);
	db_free(t->db);
	nftb_free(t->nft);
	ev_close(t);
	ct_free(t->ct);
	journal_close(t->journal);
	while (t->n_held > 0)
		free(t->held[--t->n_held].debits);
	free(t->held);
	scan_agg_free(t->agg);
	free(t->msg_text);
	free(t->hosts);
	free(t->blocked);
	free(t->pkts);
	free(t->cut_names);
	free(t->conf_path);
	conf_free(t->conf);
	free(t);
}

/* ---- small sets ---- */

/*
 * t->hosts is kept sorted by address: a poll looks every masq row up in
 * it (and every conntrack event), so with a thousand open hosts a linear
 * search cost a million comparisons a poll.  A pointer host_find()
 * returns is valid until the next host_add() or host_del().
 */
static size_t host_index(const struct tqd *t, const struct tq_addr *a)
{
	size_t lo = 0, hi = t->n_hosts, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (addr_cmp(&t->hosts[mid].addr, a) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct tqd_host *host_find(struct tqd *t, const struct tq_addr *a)
{
	size_t i = host_index(t, a);

	return i < t->n_hosts && addr_equal(&t->hosts[i].addr, a) ?
	       &t->hosts[i] : NULL;
}

static void host_add(struct tqd *t, const struct nftb_host *nh,
		     const char *name)
{
	size_t i = host_index(t, &nh->addr);
	struct tqd_host *h;

	if (i == t->n_hosts || !addr_equal(&t->hosts[i].addr, &nh->addr)) {
		xgrow(&t->hosts, &t->cap_hosts, t->n_hosts + 1,
		      sizeof(*t->hosts));
		memmove(&t->hosts[i + 1], &t->hosts[i],
			(t->n_hosts - i) * sizeof(*t->hosts));
		t->n_hosts++;
		h = &t->hosts[i];
		memset(h, 0, sizeof(*h));
		h->addr = nh->addr;
	}
	h = &t->hosts[i];
	h->has_mac = nh->has_mac;
	memcpy(h->mac, nh->mac, sizeof(h->mac));
	tq_strlcpy(h->name, name ? name : "", sizeof(h->name));
}

static void host_del(struct tqd *t, const struct tq_addr *a)
{
	size_t i = host_index(t, a);

	if (i == t->n_hosts || !addr_equal(&t->hosts[i].addr, a))
		return;
	memmove(&t->hosts[i], &t->hosts[i + 1],
		(t->n_hosts - i - 1) * sizeof(*t->hosts));
	t->n_hosts--;
}

static bool uid_blocked(const struct tqd *t, unsigned uid)
{
	size_t i;

	for (i = 0; i < t->n_blocked; i++)
		if (t->blocked[i] == uid)
			return true;
	return false;
}

static void uid_add(struct tqd *t, unsigned uid)
{
	if (uid_blocked(t, uid))
		return;
	xgrow(&t->blocked, &t->cap_blocked, t->n_blocked + 1,
	      sizeof(*t->blocked));
	t->blocked[t->n_blocked++] = uid;
}

static void uid_del(struct tqd *t, unsigned uid)
{
	size_t i;

	for (i = 0; i < t->n_blocked; i++)
		if (t->blocked[i] == uid) {
			t->blocked[i] = t->blocked[--t->n_blocked];
			return;
		}
}

/* t->pkts is sorted by address (remember_packets). */
static uint64_t pkts_prev(const struct tqd *t, const struct tq_addr *a)
{
	const struct tqd_pkts *p;

	if (t->n_pkts == 0)
		return 0;	/* t->pkts may be NULL: no bsearch on it */
	p = bsearch(a, t->pkts, t->n_pkts, sizeof(*t->pkts), addr_cmp);
	return p ? p->packets : 0;
}

static bool cut_known(const struct tqd *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_cut; i++)
		if (strcmp(t->cut_names[i], name) == 0)
			return true;
	return false;
}

static struct nftb_host *host_array(const struct tqd *t)
{
	struct nftb_host *v;
	size_t i;

	v = xcalloc(t->n_hosts ? t->n_hosts : 1, sizeof(*v));
	for (i = 0; i < t->n_hosts; i++) {
		v[i].addr = t->hosts[i].addr;
		v[i].has_mac = t->hosts[i].has_mac;
		memcpy(v[i].mac, t->hosts[i].mac, sizeof(v[i].mac));
	}
	return v;
}

/* ---- database ---- */

/* Polls to wait after the n-th failed connect in a row (n >= 1). */
static unsigned backoff_polls(int period, unsigned n)
{
	unsigned cap = TQD_BACKOFF_S / (unsigned)(period > 0 ? period : 1);
	unsigned w = 1;

	if (cap > TQD_BACKOFF_POLLS)
		cap = TQD_BACKOFF_POLLS;
	if (cap < 1)
		cap = 1;
	while (--n > 0 && w < cap)
		w *= 2;
	return w < cap ? w : cap;
}

/*
 * Connected, or connect now: at once for a new outage (or a handle a
 * reload made), else only once the backoff wait is over, so a hung server
 * costs one database.timeout every few polls instead of every poll.  now
 * ignores the wait (shutdown: one last try).
 */
static bool db_up(struct tqd *t, bool now)
{
	if (db_is_connected(t->db))
		return true;
	if (!t->db_down_logged)
		t->db_fails = t->db_wait = 0;
	if (t->db_wait > 0 && !now) {
		t->db_wait--;
		return false;
	}
	if (db_connect(t->db) == 0) {
		log_info("database connected");
		t->db_down_logged = false;
		t->db_fails = t->db_wait = 0;
		return true;
	}
	t->db_fails++;
	t->db_wait = backoff_polls(t->conf->period, t->db_fails) - 1;
	if (!t->db_down_logged) {
		log_warnx("database unavailable: %s (firewall kept as it is, "
			  "debits held in the journal)", db_error(t->db));
		t->db_down_logged = true;
	} else {
		log_debug("database: connect attempt %u failed, next in %u "
			  "poll%s", t->db_fails, t->db_wait + 1,
			  t->db_wait ? "s" : "");
	}
	return false;
}

static void db_failed(struct tqd *t, const char *what)
{
	if (db_is_connected(t->db)) {
		log_warnx("database: %s: %s", what, db_error(t->db));
	} else if (!t->db_down_logged) {
		/* The connection went during the poll: the outage starts. */
		log_warnx("database unavailable: %s: %s (firewall kept as it "
			  "is, debits held in the journal)", what,
			  db_error(t->db));
		t->db_down_logged = true;
	}
}

/*
 * A name the database layer refuses (db_check_name: bad UTF-8, a control
 * character, too long) can never be debited: a poll carrying it would be
 * refused at every try.  Such names come only from hand-written rows, so
 * they stop here and the accounting core never sees them: the user is
 * left out, so never allowed (acct refuses or cuts off their masq rows
 * and charges them nothing).  Logged when the number of such users
 * changes.  A masq name too long to hold is blanked: cut, it could name
 * someone else (acct deletes a paid row without a name).
 */
static void drop_bad_names(struct tqd *t, struct db_snapshot *s)
{
	char e[128];
	size_t i, k, bad = 0;

	for (i = 0; i < s->n_users; i++)
		if (db_check_name(s->users[i].name, e, sizeof(e)) < 0)
			bad++;
	for (i = k = 0; i < s->n_users; i++) {
		if (db_check_name(s->users[i].name, e, sizeof(e)) == 0) {
			s->users[k++] = s->users[i];
			continue;
		}
		if (bad != t->n_bad_users)
			log_warnx("database: user \"%s\" in tcptab/allowed "
				  "left out: name %s", s->users[i].name, e);
	}
	s->n_users = k;
	t->n_bad_users = bad;
	for (i = 0; i < s->n_masq; i++) {
		struct db_masq *m = &s->masq[i];

		if (!m->name_toolong)
			continue;
		log_warnx("database: masq row %s: user name longer than %d "
			  "characters, taken as no name", m->host,
			  DB_NAME_CHARS);
		m->name[0] = '\0';
		m->name_toolong = false;
	}
}

static bool take_snapshot(struct tqd *t)
{
	struct db_snapshot s;

	memset(&s, 0, sizeof(s));
	if (db_snapshot(t->db, t->conf->gateway, &s) < 0) {
		db_failed(t, "reading users and masq rows");
		return false;
	}
	drop_bad_names(t, &s);
	if (t->have_snap)
		db_snapshot_free(&t->snap);
	t->snap = s;
	t->have_snap = true;
	return true;
}

/*
 * ---- held polls ----
 *
 * Polls the database does not have yet, oldest first: the journal's
 * pending entries, then t->held, the ones the journal could not take
 * (disk full, I/O error, no journal configured).  The journalled ones are
 * always the older part: a poll goes into the journal only while nothing
 * is held in memory ahead of it, so the file keeps the order too.  Only
 * the oldest is ever applied; every newer poll waits behind it.
 */

static size_t held_count(struct tqd *t)
{
	const struct db_poll *p;

	return (t->journal ? journal_pending(t->journal, &p) : 0) +
	       t->n_held;
}

static void held_pop(struct tqd *t)
{
	free(t->held[0].debits);
	memmove(t->held, t->held + 1, (t->n_held - 1) * sizeof(*t->held));
	if (--t->n_held == 0)
		t->held_mem_logged = t->held_full_logged = false;
}

/* Move polls held in memory into the journal, oldest first, while it
 * takes them. */
static void held_to_journal(struct tqd *t)
{
	size_t n = 0;

	if (!t->journal)
		return;
	while (t->n_held > 0) {
		if (journal_append(t->journal, &t->held[0]) < 0 &&
		    errno != EEXIST)
			break;
		held_pop(t);
		n++;
	}
	if (n > 0)
		log_info("journal: writable again, %zu poll%s held in memory "
			 "written to it", n, n == 1 ? "" : "s");
}

/* Add p's debits and total to into (the same user's amounts summed). */
static void held_fold(struct db_poll *into, const struct db_poll *p)
{
	size_t i, k;

	for (i = 0; i < p->n_debits; i++) {
		for (k = 0; k < into->n_debits; k++)
			if (strcmp(into->debits[k].name,
				   p->debits[i].name) == 0)
				break;
		if (k == into->n_debits) {
			into->debits = xrealloc(into->debits, (k + 2) *
						sizeof(*into->debits));
			into->debits[k] = p->debits[i];
			into->debits[k].amount = 0;
			into->n_debits++;
		}
		into->debits[k].amount += p->debits[i].amount;
	}
	into->total += p->total;
}

/*
 * Keep p in memory, behind every poll held before it (its debits pass to
 * the list).  why: the journal's failure, said once per spell: such a
 * poll is lost if the daemon dies before the database has it.  Past
 * TQD_HELD_MAX polls, later ones are added to the newest (nothing is
 * lost, memory stays bounded; that one keeps its id and day, so the debits
 * table's day and poll count come out approximate).  The newest of a full
 * list was never tried against the database (only the oldest is), so a
 * commit whose answer was lost cannot have recorded it already.
 */
static void hold_in_memory(struct tqd *t, struct db_poll *p, const char *why)
{
	struct db_poll *last;

	if (!t->held_mem_logged) {
		log_warnx("poll %016" PRIx64 " held in memory only (%s): it "
			  "and every poll held after it are lost if the "
			  "daemon dies before the database has them", p->id,
			  why);
		t->held_mem_logged = true;
	}
	if (t->n_held >= TQD_HELD_MAX) {
		last = &t->held[t->n_held - 1];
		if (!t->held_full_logged) {
			log_warnx("%d polls held in memory only: later polls "
				  "are added to the newest, %016" PRIx64
				  " (their debits kept, their day and poll "
				  "count in table debits approximate)",
				  TQD_HELD_MAX, last->id);
			t->held_full_logged = true;
		}
		held_fold(last, p);
		log_debug("poll %016" PRIx64 " added to held poll %016"
			  PRIx64, p->id, last->id);
		free(p->debits);
		p->debits = NULL;
		return;
	}
	xgrow(&t->held, &t->cap_held, t->n_held + 1, sizeof(*t->held));
	t->held[t->n_held] = *p;
	t->held[t->n_held].ops = NULL;
	t->held[t->n_held].n_ops = 0;
	t->n_held++;
	p->debits = NULL;
	log_debug("poll %016" PRIx64 " held in memory", p->id);
}

/* Hold p behind the polls held before it: in the journal if it takes it
 * and nothing waits in memory, else in memory.  ctx says why for the log. */
static void hold(struct tqd *t, struct db_poll *p, const char *ctx)
{
	char why[600];

	held_to_journal(t);
	if (t->journal && t->n_held == 0) {
		if (journal_append(t->journal, p) == 0) {
			log_debug("%s: poll %016" PRIx64 " held in the "
				  "journal", ctx, p->id);
			return;
		}
		snprintf(why, sizeof(why), "journal %s: %s",
			 t->conf->journal, strerror(errno));
	} else if (t->journal) {
		snprintf(why, sizeof(why), "journal %s failing",
			 t->conf->journal);
	} else {
		snprintf(why, sizeof(why), "no journal configured");
	}
	hold_in_memory(t, p, why);
}

/*
 * The oldest held poll failed.  A connection or timeout error: try again
 * later.  Any other reason is the poll's own, the same at every try; after
 * TQD_REFUSED_MAX tries in a row it is set aside (to the journal's side
 * file, for an administrator) so the polls behind it go on.  Returns true
 * if it was set aside.
 */
static bool held_refused(struct tqd *t, const struct db_poll *p,
			 bool in_journal)
{
	char why[512];
	uint64_t id = p->id;
	size_t i;

	if (!db_is_connected(t->db) || db_last_transient(t->db)) {
		db_failed(t, "replaying held polls");
		return false;
	}
	if (t->refused_id != id)
		t->refused = 0;
	t->refused_id = id;
	tq_strlcpy(why, db_error(t->db), sizeof(why));
	if (++t->refused < TQD_REFUSED_MAX) {
		log_warnx("database refused held poll %016" PRIx64 " (try %u "
			  "of %d before it is set aside): %s", id, t->refused,
			  TQD_REFUSED_MAX, why);
		return false;
	}
	if (!t->journal) {
		/* No side file: the log is the record. */
		log_warnx("held poll %016" PRIx64 " refused %u times, set "
			  "aside (no journal, so here): gateway %s, when %lld,"
			  " total %lld, %zu debit%s: %s", id, t->refused,
			  t->conf->gateway, (long long)p->when, p->total,
			  p->n_debits, p->n_debits == 1 ? "" : "s", why);
		for (i = 0; i < p->n_debits; i++)
			log_warnx("set-aside poll %016" PRIx64 ": debit \"%s\""
				  " %lld", id, p->debits[i].name,
				  p->debits[i].amount);
	} else if (journal_set_aside(t->journal, p, t->conf->gateway,
				     why) < 0) {
		log_warn("journal: setting held poll %016" PRIx64 " aside in "
			 "%s.rejected (kept, tried again next poll)", id,
			 t->conf->journal);
		return false;
	} else {
		log_warnx("held poll %016" PRIx64 " refused %u times, set "
			  "aside in %s.rejected for an administrator: %s", id,
			  t->refused, t->conf->journal, why);
	}
	if (!in_journal)
		held_pop(t);
	t->refused = 0;
	return true;
}

/* Apply the held polls, oldest first, each once; stop at the first that
 * fails (and is not set aside): nothing newer goes ahead of it. */
static void replay_held(struct tqd *t)
{
	const struct db_poll *p;
	bool in_journal;
	uint64_t id;
	int rc;

	held_to_journal(t);
	for (;;) {
		in_journal = t->journal &&
			     journal_pending(t->journal, &p) > 0;
		if (!in_journal && t->n_held == 0)
			return;
		if (!in_journal)
			p = &t->held[0];
		id = p->id;
		rc = db_apply(t->db, t->conf->gateway, p);
		if (rc < 0) {
			if (held_refused(t, p, in_journal))
				continue;
			return;
		}
		t->refused = 0;
		if (rc == 0)
			log_info("%s: applied held poll %016" PRIx64
				 " (total %lld)", in_journal ? "journal" :
				 "memory", id, p->total);
		if (!in_journal) {
			held_pop(t);
		} else if (journal_ack(t->journal, id) < 0) {
			log_warn("journal: acknowledging %016" PRIx64, id);
			return;
		}
	}
}

/* At exit, polls held in memory only would be lost: into the journal if it
 * takes them now; whatever is left is logged in full for an
 * administrator to apply by hand. */
static void held_at_exit(struct tqd *t)
{
	const struct db_poll *p;
	size_t i, k;

	held_to_journal(t);
	for (i = 0; i < t->n_held; i++) {
		p = &t->held[i];
		log_warnx("exiting: poll %016" PRIx64 ", held in memory only, "
			  "is lost: gateway %s, when %lld, total %lld, %zu "
			  "debit%s", p->id, t->conf->gateway,
			  (long long)p->when, p->total, p->n_debits,
			  p->n_debits == 1 ? "" : "s");
		for (k = 0; k < p->n_debits; k++)
			log_warnx("lost poll %016" PRIx64 ": debit \"%s\" %lld",
				  p->id, p->debits[k].name,
				  p->debits[k].amount);
	}
}

/* ---- link check ---- */

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
		memset(&a, 0, sizeof(a));
		if (i->ifa_addr->sa_family == AF_INET) {
			a.family = AF_INET;
			memcpy(a.a, &((const struct sockaddr_in *)
				      (const void *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(a.a, &((const struct sockaddr_in6 *)
				      (const void *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
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

/* ---- carrying out decisions ---- */

struct decisions {
	const struct acct_masq *in;	/* acct's view of the rows */
	const struct db_masq *rows;	/* snapshot rows, same order as in */
	struct acct_out out;
	bool *skip;			/* per out.rows: do not write */
};

static const char *row_name(const struct acct_masq *m)
{
	return m->name && *m->name ? m->name : "?";
}

/* With network.bind_mac, bind each host to the MAC address the gateway
 * sees for it now. */
static void bind_macs(const struct tqd *t, struct nftb_host *v, size_t n)
{
	char buf[TQ_ADDRSTRLEN];
	size_t i;

	if (!t->conf->bind_mac || n == 0)
		return;
	if (procscan_neigh(v, n) < 0)
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
static void ct_forget(struct tqd *t, const struct tq_addr *addrs, size_t n)
{
	long nct;

	if (n == 0)
		return;
	if (!t->ct) {
		if (!t->ct_nodel_logged)
			log_warnx("conntrack entries of closed hosts cannot be "
				  "deleted: no ctnetlink (%s), their "
				  "established connections run on",
				  strerror(t->ct_errno));
		t->ct_nodel_logged = true;
		return;
	}
	nct = ct_delete_hosts(t->ct, addrs, n);
	if (nct < 0)
		log_warn("conntrack: deleting entries of closed hosts");
	else if (nct > 0)
		log_debug("conntrack: deleted %ld entries", nct);
}

/* One nftb batch for every fw_open row, one for every fw_close row.  A
 * failed batch marks its rows so their acknowledgements are not written
 * (the next poll decides again). */
static void do_firewall(struct tqd *t, struct decisions *d, bool may_open)
{
	struct acct_out *o = &d->out;
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
		if (!may_open) {
			d->skip[i] = true;
			continue;
		}
		at[i] = n;
		v[n++].addr = o->rows[i].addr;
	}
	bind_macs(t, v, n);
	if (n > 0 && nftb_open(t->nft, v, n) < 0) {
		log_warnx("firewall: %s", nftb_error(t->nft));
		for (i = 0; i < o->n_rows; i++)
			if (o->rows[i].fw_open)
				d->skip[i] = true;
	} else {
		for (i = 0; i < o->n_rows; i++) {
			const struct acct_row *r = &o->rows[i];

			if (!r->fw_open || !r->addr_ok || d->skip[i])
				continue;
			host_add(t, &v[at[i]], d->in[r->idx].name);
			log_info("opened %s for %s (%s)",
				 addr_format(&r->addr, buf, sizeof(buf)),
				 row_name(&d->in[r->idx]),
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
	if (n > 0 && nftb_close(t->nft, v, n) < 0) {
		log_warnx("firewall: %s", nftb_error(t->nft));
		for (i = 0; i < o->n_rows; i++)
			if (o->rows[i].fw_close)
				d->skip[i] = true;
	} else if (n > 0) {
		for (i = 0; i < o->n_rows; i++) {
			const struct acct_row *r = &o->rows[i];

			if (!r->fw_close || !r->addr_ok)
				continue;
			host_del(t, &r->addr);
			log_info("closed %s of %s (%s)",
				 addr_format(&r->addr, buf, sizeof(buf)),
				 row_name(&d->in[r->idx]),
				 r->why ? r->why : "request");
		}
		ct_forget(t, addrs, n);
	}
	for (i = 0; i < o->n_rows; i++) {
		const struct acct_row *r = &o->rows[i];

		if (r->del && !r->fw_close && !r->fw_open && !d->skip[i])
			log_info("deleted masq row %s of %s (%s)",
				 d->in[r->idx].host ? d->in[r->idx].host : "?",
				 row_name(&d->in[r->idx]),
				 r->why ? r->why : "refused");
	}
	free(at);
	free(addrs);
	free(v);
}

/* Hosts in the firewall that no row of this gateway names any more (the
 * row was deleted or its host overwritten behind the daemon's back) are
 * closed: only a row keeps a host open. */
static void close_orphans(struct tqd *t)
{
	struct tq_addr *ref, *addrs;
	struct nftb_host *v;
	char buf[TQ_ADDRSTRLEN];
	size_t i, nr = 0, n = 0;

	if (t->n_hosts == 0)
		return;
	ref = xcalloc(t->snap.n_masq + 1, sizeof(*ref));
	for (i = 0; i < t->snap.n_masq; i++)
		if (!t->snap.masq[i].host_toolong &&
		    addr_parse(t->snap.masq[i].host, &ref[nr]) == 0)
			nr++;
	qsort(ref, nr, sizeof(*ref), addr_cmp);
	v = xcalloc(t->n_hosts, sizeof(*v));
	addrs = xcalloc(t->n_hosts, sizeof(*addrs));
	for (i = 0; i < t->n_hosts; i++) {
		if (bsearch(&t->hosts[i].addr, ref, nr, sizeof(*ref),
			    addr_cmp))
			continue;
		v[n].addr = t->hosts[i].addr;
		addrs[n++] = t->hosts[i].addr;
	}
	if (n > 0 && nftb_close(t->nft, v, n) < 0) {
		log_warnx("firewall: %s", nftb_error(t->nft));
	} else if (n > 0) {
		for (i = 0; i < n; i++) {
			host_del(t, &addrs[i]);
			log_info("closed %s: no masq row names it any more",
				 addr_format(&addrs[i], buf, sizeof(buf)));
		}
		ct_forget(t, addrs, n);
	}
	free(addrs);
	free(v);
	free(ref);
}

static void do_cuts(struct tqd *t, const struct acct_out *o)
{
	char (*names)[DB_NAME_BYTES];
	unsigned *uids, uid;
	size_t i, nu = 0, nn = 0;
	int k;

	uids = xcalloc(o->n_cuts + 1, sizeof(*uids));
	names = xcalloc(o->n_cuts + 1, sizeof(*names));
	for (i = 0; i < o->n_cuts; i++) {
		const struct acct_cut *c = &o->cuts[i];
		bool known;

		uid = c->uid;
		known = c->has_uid || enforce_name_uid(c->name, &uid) == 0;
		tq_strlcpy(names[nn++], c->name, sizeof(names[0]));
		if (!cut_known(t, c->name)) {
			if (c->reason == ACCT_CUT_NO_QUOTA)
				log_info("cut off %s: %s (balance %lld)",
					 c->name,
					 acct_cut_reason_str(c->reason),
					 c->quota);
			else
				log_info("cut off %s: %s", c->name,
					 acct_cut_reason_str(c->reason));
			k = known ? enforce_message(c->name, t->msg_text) : 0;
			if (k > 0)
				log_info("told %s on %d terminal%s", c->name,
					 k, k == 1 ? "" : "s");
		}
		/* Never block or kill root or system accounts. */
		if (!known || uid == 0 || uid < t->conf->min_uid)
			continue;
		if (!uid_blocked(t, uid))
			uids[nu++] = uid;
		if (t->conf->kill_processes) {
			k = enforce_kill(uid, t->conf->min_uid);
			if (k > 0)
				log_info("killed %d process%s of %s (uid %u)",
					 k, k == 1 ? "" : "es", c->name, uid);
			else if (k < 0 && !t->kill_err_logged) {
				/* Said once: a unit without CAP_KILL would
				 * repeat it every poll. */
				log_warn("quota.kill_processes: cannot kill "
					 "the processes of %s (uid %u)%s",
					 c->name, uid, errno == EPERM ?
					 " (does the daemon have CAP_KILL?)" :
					 "");
				t->kill_err_logged = true;
			}
		}
	}
	if (nu > 0) {
		if (nftb_block(t->nft, uids, nu) < 0) {
			log_warnx("firewall: %s", nftb_error(t->nft));
		} else {
			for (i = 0; i < nu; i++) {
				uid_add(t, uids[i]);
				log_info("blocked uid %u", uids[i]);
			}
		}
	}
	/* Remember who was told, so each cut-off is messaged once. */
	free(t->cut_names);
	t->cut_names = names;
	t->n_cut = nn;
	t->cap_cut = o->n_cuts + 1;
	free(uids);
}

static void do_unblock(struct tqd *t, const struct acct_out *o)
{
	size_t i;

	if (o->n_unblock == 0)
		return;
	if (nftb_unblock(t->nft, o->unblock, o->n_unblock) < 0) {
		log_warnx("firewall: %s", nftb_error(t->nft));
		return;
	}
	for (i = 0; i < o->n_unblock; i++) {
		uid_del(t, o->unblock[i]);
		log_info("unblocked uid %u", o->unblock[i]);
	}
}

static uint64_t poll_id(void)
{
	uint64_t id = 0;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = tq_now_us() ^ ((uint64_t)getpid() << 40);
	return id;
}

/* The database writes of one poll: debits, total and masq operations. */
static void build_poll(const struct decisions *d, bool with_ops,
		       struct db_poll *p)
{
	const struct acct_out *o = &d->out;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->id = poll_id();
	p->when = time(NULL);
	p->total = o->total;
	p->debits = xcalloc(o->n_debits + 1, sizeof(*p->debits));
	for (i = 0; i < o->n_debits; i++) {
		tq_strlcpy(p->debits[i].name, o->debits[i].name,
			   sizeof(p->debits[i].name));
		p->debits[i].amount = o->debits[i].amount;
	}
	p->n_debits = o->n_debits;
	p->ops = xcalloc(o->n_rows + 1, sizeof(*p->ops));
	if (!with_ops)
		return;
	for (i = 0; i < o->n_rows; i++) {
		const struct acct_row *r = &o->rows[i];
		struct db_masq_op *op = &p->ops[p->n_ops];

		if (d->skip[i])
			continue;
		if (!r->del && !r->set_open && !r->tic_dec && !r->charged &&
		    !r->set_cnts)
			continue;
		tq_strlcpy(op->host, d->rows[r->idx].host, sizeof(op->host));
		if (r->del) {
			op->kind = DBM_DELETE;
		} else {
			op->kind = DBM_UPDATE;
			op->set_open = r->set_open;
			op->open = r->open;
			op->tic_dec = r->tic_dec;
			op->counter_inc = r->charged;
			op->set_cnts = r->set_cnts;
			op->cnts = (int)r->cnts;
		}
		p->n_ops++;
	}
}

/* The masq writes of p alone (its debits are held): they are state, not
 * debits, and need no order. */
static void apply_ops(struct tqd *t, const struct db_poll *p)
{
	struct db_debit none;
	struct db_poll o;

	memset(&o, 0, sizeof(o));
	o.id = poll_id();
	o.when = p->when;
	o.debits = &none;
	o.ops = p->ops;
	o.n_ops = p->n_ops;
	if (db_apply(t->db, t->conf->gateway, &o) < 0)
		db_failed(t, "writing masq rows");
}

static void write_poll(struct tqd *t, const struct decisions *d, bool fresh)
{
	struct db_poll p;
	bool journalled = false, charged, up;
	char why[600];
	int rc;

	build_poll(d, fresh, &p);
	charged = p.n_debits > 0 || p.total != 0;
	up = fresh && db_is_connected(t->db);
	if (!charged && (p.n_ops == 0 || !up))
		goto out;	/* masq ops: the next poll decides again */
	if (charged && (!up || held_count(t) > 0)) {
		/* Never ahead of a poll held before it. */
		if (up && p.n_ops > 0)
			apply_ops(t, &p);
		hold(t, &p, up ? "behind older held polls" : "database down");
		goto out;
	}
	why[0] = '\0';
	if (charged && t->journal) {
		if (journal_append(t->journal, &p) == 0) {
			journalled = true;
			t->journal_err_logged = false;
		} else {
			snprintf(why, sizeof(why), "journal %s: %s",
				 t->conf->journal, strerror(errno));
			if (!t->journal_err_logged)
				log_warnx("appending poll %016" PRIx64 " to "
					  "the %s", p.id, why);
			t->journal_err_logged = true;
		}
	} else if (charged) {
		snprintf(why, sizeof(why), "no journal configured");
	}
	rc = db_apply(t->db, t->conf->gateway, &p);
	if (rc < 0) {
		db_failed(t, "applying the poll");
		if (charged && !journalled)
			hold_in_memory(t, &p, why);
		else if (charged)
			log_debug("poll %016" PRIx64 " held in the journal",
				  p.id);
		goto out;
	}
	if (journalled && journal_ack(t->journal, p.id) < 0)
		log_warn("journal: acknowledging %016" PRIx64, p.id);
out:
	free(p.debits);
	free(p.ops);
}

/*
 * poll_applied gains a row per poll; a row is needed only while a journal
 * could replay its poll.  With the journal empty, every poll of this
 * gateway the database has was acknowledged, and later replays can only
 * be of polls not yet written, so rows older than TQD_PRUNE_DAYS go:
 * hourly, at most TQD_PRUNE_BATCH per poll (a full batch: again at the
 * next poll), so a long-grown table is cut down without a long lock.
 */
static void prune_applied(struct tqd *t)
{
	uint64_t now = tq_now_us();
	long long n;

	if (now < t->next_prune_us || !db_is_connected(t->db))
		return;
	if (held_count(t) > 0)
		return;
	n = db_prune_applied(t->db, t->conf->gateway, TQD_PRUNE_DAYS,
			     TQD_PRUNE_BATCH);
	if (n < 0) {
		db_failed(t, "pruning old poll ids");
		return;
	}
	if (n > 0)
		log_info("database: forgot %lld poll id%s older than %d days",
			 n, n == 1 ? "" : "s", TQD_PRUNE_DAYS);
	t->next_prune_us = n < TQD_PRUNE_BATCH ? now + TQD_PRUNE_EVERY_US
					       : now;
}

/* ---- activity without reading the whole table ---- */

/*
 * With network.conntrack_resync > 0 a poll does not read the connection
 * tracking table: a host's activity is the packet counter of its set
 * element(s) (hosts4/hosts6 count what the forward chain let out), and
 * its connection count follows conntrack NEW/DESTROY events, drained as
 * they come.  A full read every conntrack_resync polls, at start, and
 * after events were lost makes the counts exact again (an entry created
 * while the table is read may be counted twice until the next one).
 */
static void ev_count(struct tqd *t, const struct scan_ct *e, bool up)
{
	struct tqd_host *h;
	bool live = scan_ct_live(e);

	if (scan_agg_is_local(t->agg, &e->dst))
		return;
	h = host_find(t, &e->src);
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

static void ev_drain(struct tqd *t)
{
	if (ct_events_read(t->ev, ev_new, ev_gone, t) >= 0)
		return;
	t->ev_stale = true;
	if (errno == ENOBUFS) {
		log_debug("conntrack events lost (socket full): the table "
			  "is read in full at the next poll");
	} else if (!t->ev_err_logged) {
		log_warn("conntrack events");
		t->ev_err_logged = true;
	}
}

static void ev_ready(int fd, uint32_t events, void *arg)
{
	ev_drain(arg);
}

/* Listen to conntrack events if the configuration asks for them. */
static void ev_setup(struct tqd *t)
{
	bool want = t->conf->check_masq && t->conf->conntrack_resync > 0;

	if (want == (t->ev != NULL))
		return;
	if (!want) {
		ev_close(t);
		return;
	}
	t->ev = ct_events_new();
	if (!t->ev) {
		log_warn("conntrack events unavailable, reading the whole "
			 "table every poll");
		return;
	}
	if (loop_add_fd(t->loop, ct_events_fd(t->ev), EPOLLIN, ev_ready,
			t) < 0) {
		log_warn("conntrack events: watching the socket");
		ct_events_free(t->ev);
		t->ev = NULL;
		return;
	}
	t->ev_stale = true;
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

static bool elem_in(const struct tqd *t, const struct nftb_host *e,
		    const struct nftb_host *v, size_t n)
{
	return n > 0 && bsearch(e, v, n, sizeof(*v), t->conf->bind_mac ?
				elem_cmp_mac : host_cmp);
}

static void elem_text(const struct tqd *t, const struct nftb_host *e,
		      char *buf, size_t len)
{
	char a[TQ_ADDRSTRLEN];
	const uint8_t *m = e->mac;
	bool v6 = e->addr.family == AF_INET6;

	addr_format(&e->addr, a, sizeof(a));
	if (!t->conf->bind_mac)
		snprintf(buf, len, "set %s: %s", v6 ? "hosts6" : "hosts4", a);
	else if (!e->has_mac)
		snprintf(buf, len, "set %s: %s",
			 v6 ? "hosts6_unbound" : "hosts4_unbound", a);
	else
		snprintf(buf, len, "set %s: %s . %02x:%02x:%02x:%02x:%02x:%02x",
			 v6 ? "hosts6" : "hosts4", a, m[0], m[1], m[2], m[3],
			 m[4], m[5]);
}

/* Log at most this many elements of each kind per poll (a flushed set of
 * a thousand hosts is one repair, not a thousand lines). */
#define TQD_SET_LOG_MAX 10

/*
 * The host sets must hold exactly t->hosts: a host deleted from a set
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
static void repair_sets(struct tqd *t, const struct nftb_host *v, size_t n)
{
	struct nftb_host *mine, *extra, *back;
	struct tq_addr *gone;
	char buf[TQ_ADDRSTRLEN + 48];
	size_t i, j, ne = 0, nb = 0, ng = 0, nmiss = 0;

	mine = host_array(t);
	qsort(mine, t->n_hosts, sizeof(*mine), t->conf->bind_mac ?
	      elem_cmp_mac : host_cmp);
	extra = xcalloc(n + 1, sizeof(*extra));
	gone = xcalloc(n + 1, sizeof(*gone));
	back = xcalloc(t->n_hosts + 1, sizeof(*back));
	for (i = 0; i < n; i++) {
		if (elem_in(t, &v[i], mine, t->n_hosts))
			continue;
		extra[ne++] = v[i];
		if (ne <= TQD_SET_LOG_MAX) {
			elem_text(t, &v[i], buf, sizeof(buf));
			log_warnx("firewall: %s is no host the daemon opened: "
				  "removed", buf);
		}
		if (!host_find(t, &v[i].addr) &&
		    (ng == 0 || !addr_equal(&gone[ng - 1], &v[i].addr)))
			gone[ng++] = v[i].addr;
	}
	for (i = 0; i < t->n_hosts; i++) {
		const struct tqd_host *h;
		bool missing = !elem_in(t, &mine[i], v, n);
		bool hit = false;

		for (j = 0; !missing && j < ne && !hit; j++)
			hit = addr_equal(&extra[j].addr, &mine[i].addr);
		if (!missing && !hit)
			continue;
		back[nb++] = mine[i];
		if (missing && ++nmiss <= TQD_SET_LOG_MAX) {
			h = host_find(t, &mine[i].addr);
			elem_text(t, &mine[i], buf, sizeof(buf));
			log_warnx("firewall: %s of %s missing: put back", buf,
				  h && *h->name ? h->name : "?");
		}
	}
	if (ne > TQD_SET_LOG_MAX)
		log_warnx("firewall: %zu foreign elements removed in all", ne);
	if (nmiss > TQD_SET_LOG_MAX)
		log_warnx("firewall: %zu missing elements put back in all",
			  nmiss);
	if (ne > 0 && nftb_close(t->nft, extra, ne) < 0)
		log_warnx("firewall: %s", nftb_error(t->nft));
	else
		ct_forget(t, gone, ng);
	if (nb > 0 && nftb_open(t->nft, back, nb) < 0)
		log_warnx("firewall: %s", nftb_error(t->nft));
	free(back);
	free(gone);
	free(extra);
	free(mine);
}

/*
 * Every poll: list the host sets, repair them (repair_sets) and, with
 * conntrack events, take each open host's packets from its elements
 * (with bind_mac an address may have a bound and an unbound one: they
 * add up).  Without events (conntrack_resync = 0) the listing is only
 * for the repair: one dump of the sets, about 0.5 ms per 1,000 elements,
 * next to the full conntrack read such a poll makes anyway.
 */
static void check_sets(struct tqd *t)
{
	struct nftb_host *v = NULL, key, *e;
	size_t n = 0, i, k = 0;

	if (nftb_list(t->nft, &v, &n) < 0) {
		/* Last poll's figures stand: nobody looks active. */
		log_warnx("firewall: reading the host sets: %s",
			  nftb_error(t->nft));
		return;
	}
	qsort(v, n, sizeof(*v), t->conf->bind_mac ? elem_cmp_mac : host_cmp);
	repair_sets(t, v, n);
	if (!t->ev) {
		free(v);
		return;
	}
	for (i = 0; i < n; i++) {
		if (k && addr_equal(&v[k - 1].addr, &v[i].addr))
			v[k - 1].packets += v[i].packets;
		else
			v[k++] = v[i];
	}
	for (i = 0; i < t->n_hosts; i++) {
		key.addr = t->hosts[i].addr;
		e = bsearch(&key, v, k, sizeof(*v), host_cmp);
		/* A host just put back counts from 0. */
		t->hosts[i].packets = e ? e->packets : 0;
	}
	free(v);
}

/* After a full read: every open host's count from the aggregator. */
static void counts_from_scan(struct tqd *t)
{
	struct scan_host sh;
	size_t i;

	for (i = 0; i < t->n_hosts; i++) {
		scan_agg_host(t->agg, &t->hosts[i].addr, &sh);
		t->hosts[i].conns = sh.conns;
		t->hosts[i].closing = sh.closing;
	}
	t->ev_stale = false;
	t->polls_since_full = 0;
}

/* ---- the poll ---- */

struct inputs {
	struct acct_user *users;
	struct acct_masq *masq;
	struct acct_local *locals;
	char (*local_names)[DB_NAME_BYTES];
	struct acct_blocked *blocked;
	char (*blocked_names)[DB_NAME_BYTES];
	size_t n_masq, n_locals, n_blocked;
};

static void inputs_free(struct inputs *in)
{
	free(in->users);
	free(in->masq);
	free(in->locals);
	free(in->local_names);
	free(in->blocked);
	free(in->blocked_names);
}

static void fill_users(const struct db_snapshot *s, struct inputs *in)
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

static void fill_masq_row(struct tqd *t, const struct db_masq *r,
			  struct acct_masq *m, bool scanned)
{
	struct tqd_host *h;
	struct scan_host sh;
	struct tq_addr a;

	memset(m, 0, sizeof(*m));
	m->host = r->host;
	m->name = r->name;
	m->open = r->open;
	m->tic = r->tic;
	m->free = r->free;
	m->counter = r->counter;
	if (r->host_toolong || addr_parse(r->host, &a) < 0)
		return;
	h = host_find(t, &a);
	m->in_firewall = h != NULL;
	if (!scanned)
		return;
	if (t->ev) {
		if (h) {
			m->conns = h->conns;
			m->packets = h->packets;
		}
	} else if (scan_agg_host(t->agg, &a, &sh)) {
		m->conns = sh.conns;
		m->packets = sh.packets;
	}
	m->prev_packets = m->in_firewall ? pkts_prev(t, &a) : 0;
	/* A set element re-created (table rebuilt, host reopened) counts
	 * from 0 again: what it counted since is the traffic. */
	if (t->ev && m->packets < m->prev_packets)
		m->prev_packets = 0;
}

/* Remember each open host's packet total for the next poll. */
static void remember_packets(struct tqd *t, const struct inputs *in)
{
	struct tq_addr a;
	size_t i;

	t->n_pkts = 0;
	for (i = 0; i < in->n_masq; i++) {
		if (addr_parse(in->masq[i].host, &a) < 0)
			continue;
		if (!host_find(t, &a))
			continue;
		xgrow(&t->pkts, &t->cap_pkts, t->n_pkts + 1, sizeof(*t->pkts));
		t->pkts[t->n_pkts].addr = a;
		t->pkts[t->n_pkts].packets = in->masq[i].packets;
		t->n_pkts++;
	}
	/* addr is the first member: addr_cmp orders the entries. */
	if (t->n_pkts > 1)
		qsort(t->pkts, t->n_pkts, sizeof(*t->pkts), addr_cmp);
}

/*
 * Activity needs per-connection counters (net.netfilter.nf_conntrack_acct,
 * one per network namespace, off in a new one).  The sysctl exists only
 * once nf_conntrack is loaded, which building the table (ct state rules)
 * does on a fresh boot; so this is tried after that, and again before
 * every full read until it works.  Said once, and when it works at last.
 */
static void acct_enable(struct tqd *t)
{
	if (t->acct_on)
		return;
	if (ct_enable_acct() < 0) {
		if (!t->acct_logged)
			log_warn("conntrack: enabling accounting "
				 "(nf_conntrack_acct; retried before every "
				 "full read)");
		t->acct_logged = true;
		return;
	}
	t->acct_on = true;
	if (t->acct_logged)
		log_info("conntrack: accounting enabled");
}

static void scan_now(struct tqd *t, struct inputs *in)
{
	const struct scan_user *su;
	struct scan_stats st;
	unsigned *uids = NULL;
	size_t i, n, nu = 0;
	int nl = 0;

	scan_agg_reset(t->agg);
	if (t->ev)
		ev_drain(t);
	if (t->conf->check_masq && (!t->ev || t->ev_stale ||
	    ++t->polls_since_full >= t->conf->conntrack_resync)) {
		acct_enable(t);
		/* With events a full read only sets the open hosts' counts
		 * (counts_from_scan): the thousands of other sources a large
		 * table holds need no memory. */
		if (t->ev) {
			struct tq_addr *a = xcalloc(t->n_hosts + 1,
						    sizeof(*a));

			for (i = 0; i < t->n_hosts; i++)
				a[i] = t->hosts[i].addr;
			scan_agg_reset_only(t->agg, a, t->n_hosts);
			free(a);
		}
		if (procscan_conntrack(t->ct, t->agg, &nl) < 0) {
			log_warn("conntrack: reading the table");
		} else {
			if (t->ct && !nl && !t->ct_fallback_logged) {
				log_warnx("conntrack: netlink dump failed, "
					  "reading /proc/net/nf_conntrack");
				t->ct_fallback_logged = true;
			}
			log_debug("conntrack: full read, %zu %s hosts",
				  scan_agg_nhosts(t->agg),
				  t->ev ? "open" : "source");
			if (t->ev)
				counts_from_scan(t);
		}
	}
	check_sets(t);
	if (t->conf->check_local) {
		memset(&st, 0, sizeof(st));
		if (procscan_local(t->agg, &st) < 0)
			log_warn("reading /proc/net/tcp");
	}
	n = scan_agg_users(t->agg, &su);
	in->locals = xcalloc(n + 1, sizeof(*in->locals));
	in->local_names = xcalloc(n + 1, sizeof(*in->local_names));
	for (i = 0; i < n; i++) {
		in->locals[i].uid = su[i].uid;
		in->locals[i].socks = su[i].socks;
		if (enforce_uid_name(su[i].uid, in->local_names[i],
				     sizeof(in->local_names[i])) == 0)
			in->locals[i].name = in->local_names[i];
	}
	in->n_locals = n;

	/* The firewall's own view; our memory if it cannot be read. */
	if (nftb_list_uids(t->nft, &uids, &nu) < 0) {
		log_warnx("firewall: %s", nftb_error(t->nft));
		free(uids);
		uids = xcalloc(t->n_blocked + 1, sizeof(*uids));
		memcpy(uids, t->blocked, t->n_blocked * sizeof(*uids));
		nu = t->n_blocked;
	}
	in->blocked = xcalloc(nu + 1, sizeof(*in->blocked));
	in->blocked_names = xcalloc(nu + 1, sizeof(*in->blocked_names));
	for (i = 0; i < nu; i++) {
		in->blocked[i].uid = uids[i];
		if (enforce_uid_name(uids[i], in->blocked_names[i],
				     sizeof(in->blocked_names[i])) == 0)
			in->blocked[i].name = in->blocked_names[i];
	}
	in->n_blocked = nu;
	free(uids);
}

static void check_table(struct tqd *t)
{
	struct nftb_host *v;
	int rc;

	rc = nftb_intact(t->nft);
	if (rc == 1)
		return;
	if (rc < 0) {
		log_warnx("firewall: checking the table: %s",
			  nftb_error(t->nft));
		return;
	}
	log_warnx("firewall: table %s missing or altered, rebuilding with "
		  "%zu open host%s", t->conf->table, t->n_hosts,
		  t->n_hosts == 1 ? "" : "s");
	v = host_array(t);
	if (nftb_create(t->nft, v, t->n_hosts, t->blocked, t->n_blocked) < 0)
		log_warnx("firewall: rebuilding: %s", nftb_error(t->nft));
	free(v);
}

/* Bring the cached snapshot up to date with this poll's answers, so that
 * during a database outage the next polls see opened rows as open (and
 * charge them) rather than as requests. */
static void patch_snapshot(struct tqd *t, const struct decisions *d)
{
	struct db_masq *m;
	size_t i;

	for (i = 0; i < d->out.n_rows; i++) {
		const struct acct_row *r = &d->out.rows[i];

		if (d->skip[i] || r->idx >= t->snap.n_masq)
			continue;
		m = &t->snap.masq[r->idx];
		if (r->del) {
			m->open = MASQ_CLOSED;
			m->tic = 0;
			continue;
		}
		if (r->set_open)
			m->open = r->open;
		if (r->tic_dec)
			m->tic--;
		if (r->charged)
			m->counter++;
	}
}

void tqd_poll(struct tqd *t)
{
	struct acct_in ai;
	struct decisions d;
	struct inputs in;
	bool fresh = false, up;
	time_t now;
	size_t i;

	memset(&in, 0, sizeof(in));
	memset(&d, 0, sizeof(d));
	if (db_up(t, false)) {
		replay_held(t);
		if (db_is_connected(t->db))
			fresh = take_snapshot(t);
	}
	check_table(t);
	if (!t->have_snap)
		return;		/* nothing known to charge or enforce */

	up = link_up(t->conf);
	if (!up && !t->link_down_logged) {
		log_warnx("link %s is down or has no address: nobody is "
			  "charged", t->conf->link);
		t->link_down_logged = true;
	} else if (up && t->link_down_logged) {
		log_info("link %s is up: charging again", t->conf->link);
		t->link_down_logged = false;
	}
	scan_now(t, &in);
	fill_users(&t->snap, &in);
	in.masq = xcalloc(t->snap.n_masq + 1, sizeof(*in.masq));
	for (i = 0; i < t->snap.n_masq; i++)
		fill_masq_row(t, &t->snap.masq[i], &in.masq[i], true);
	in.n_masq = t->snap.n_masq;

	memset(&ai, 0, sizeof(ai));
	ai.conf = t->conf;
	now = time(NULL);
	localtime_r(&now, &ai.now);
	ai.link_up = up;
	ai.users = in.users;
	ai.n_users = t->snap.n_users;
	ai.masq = in.masq;
	ai.n_masq = in.n_masq;
	ai.locals = in.locals;
	ai.n_locals = in.n_locals;
	ai.blocked = in.blocked;
	ai.n_blocked = in.n_blocked;
	acct_poll(&ai, &d.out);
	d.in = in.masq;
	d.rows = t->snap.masq;
	d.skip = xcalloc(d.out.n_rows + 1, sizeof(*d.skip));

	log_debug("poll: link %s, rate %g, %u online, each %lld, total %lld, "
		  "%zu rows, %zu locals%s", up ? "up" : "down", d.out.rate,
		  d.out.n_online, d.out.each, d.out.total, in.n_masq,
		  in.n_locals, fresh ? "" : " (database down)");
	for (i = 0; i < d.out.n_debits; i++)
		log_debug("charged %s %lld", d.out.debits[i].name,
			  d.out.debits[i].amount);
	if (d.out.n_bad_rows)
		log_warnx("deleting %zu malformed masq row%s",
			  d.out.n_bad_rows, d.out.n_bad_rows == 1 ? "" : "s");

	if (fresh) {
		/* Without a fresh snapshot the firewall stays as it is. */
		do_firewall(t, &d, true);
		close_orphans(t);
		do_cuts(t, &d.out);
		do_unblock(t, &d.out);
	}
	remember_packets(t, &in);
	write_poll(t, &d, fresh);
	if (fresh) {
		patch_snapshot(t, &d);
		prune_applied(t);
	}

	free(d.skip);
	acct_out_free(&d.out);
	inputs_free(&in);
}

/* Open/close requests of the current snapshot only. */
void tqd_requests(struct tqd *t)
{
	struct acct_masq *m;
	struct acct_in ai;
	struct decisions d;
	struct inputs in;
	size_t *map, i, n = 0;
	struct db_masq *rows;
	int rc = 0;
	time_t now;

	t->last_req_us = tq_now_us();
	if (!db_is_connected(t->db))
		return;		/* the next poll reconnects */
	if (!take_snapshot(t))
		return;
	for (i = 0; i < t->snap.n_masq; i++)
		if (t->snap.masq[i].open == MASQ_REQ_OPEN ||
		    t->snap.masq[i].open == MASQ_REQ_CLOSE)
			n++;
	if (n == 0)
		return;

	memset(&in, 0, sizeof(in));
	memset(&d, 0, sizeof(d));
	fill_users(&t->snap, &in);
	m = in.masq = xcalloc(n, sizeof(*m));
	rows = xcalloc(n, sizeof(*rows));
	map = xcalloc(n, sizeof(*map));
	n = 0;
	for (i = 0; i < t->snap.n_masq; i++) {
		if (t->snap.masq[i].open != MASQ_REQ_OPEN &&
		    t->snap.masq[i].open != MASQ_REQ_CLOSE)
			continue;
		rows[n] = t->snap.masq[i];
		map[n] = i;
		fill_masq_row(t, &t->snap.masq[i], &m[n], false);
		n++;
	}
	in.n_masq = n;

	memset(&ai, 0, sizeof(ai));
	ai.conf = t->conf;
	now = time(NULL);
	localtime_r(&now, &ai.now);
	ai.link_up = false;	/* no charging in a request pass */
	ai.users = in.users;
	ai.n_users = t->snap.n_users;
	ai.masq = m;
	ai.n_masq = n;
	acct_poll(&ai, &d.out);
	d.in = m;
	d.rows = rows;
	d.skip = xcalloc(d.out.n_rows + 1, sizeof(*d.skip));
	do_firewall(t, &d, true);

	/* Acknowledge only what was asked, and only if the row still holds
	 * the request we saw (a tool may have changed it meanwhile). */
	if (db_begin(t->db) < 0)
		goto dberr;
	for (i = 0; i < d.out.n_rows; i++) {
		const struct acct_row *r = &d.out.rows[i];
		const struct db_masq *row = &rows[r->idx];

		if (d.skip[i])
			continue;
		if (r->del)
			rc = db_exec(t->db, "DELETE FROM masq WHERE gateway = ?"
				     " AND host = ? AND open = ?", "ssi",
				     t->conf->gateway, row->host, row->open)
				< 0 ? -1 : 0;
		else if (r->set_open)
			rc = db_exec(t->db, "UPDATE masq SET open = ? WHERE "
				     "gateway = ? AND host = ? AND open = ?",
				     "issi", r->open, t->conf->gateway,
				     row->host, row->open) < 0 ? -1 : 0;
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		db_rollback(t->db);
		goto dberr;
	}
	if (db_commit(t->db) < 0)
		goto dberr;
	goto out;
dberr:
	/* The firewall already changed; the next poll writes the answer
	 * (an open row in the firewall, a closed one not). */
	db_failed(t, "acknowledging requests");
out:
	free(d.skip);
	acct_out_free(&d.out);
	free(map);
	free(rows);
	inputs_free(&in);
}

/* ---- timers and the wake-up socket ---- */

static void poll_fired(struct loop_timer *lt, void *arg)
{
	struct tqd *t = arg;
	uint64_t t0 = tq_now_us();

	tqd_poll(t);
	log_debug("poll took %" PRIu64 " us", tq_now_us() - t0);
}

static void wake_fired(struct loop_timer *lt, void *arg)
{
	struct tqd *t = arg;

	tqd_requests(t);
}

static void wake_ready(int fd, uint32_t events, void *arg)
{
	struct tqd *t = arg;
	char buf[64];
	uint64_t now, wait_us;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
	now = tq_now_us();
	if (now - t->last_req_us >= TQD_WAKE_MIN_US) {
		tqd_requests(t);
		return;
	}
	/* Too soon after the last pass: one deferred pass covers them. */
	wait_us = TQD_WAKE_MIN_US - (now - t->last_req_us);
	if (!t->wake_timer)
		t->wake_timer = loop_timer_add(t->loop,
					       (unsigned)(wait_us / 1000) + 1,
					       0, wake_fired, t);
	else
		loop_timer_set(t->wake_timer, (unsigned)(wait_us / 1000) + 1,
			       0);
}

static int mkdir_parent(const char *path)
{
	char *d = xstrdup(path), *p;
	int rc = 0;

	for (p = d + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(d, 0750) < 0 && errno != EEXIST) {
			rc = -1;
			break;
		}
		*p = '/';
	}
	free(d);
	return rc;
}

static int wake_open(struct tqd *t)
{
	struct sockaddr_un sun;
	struct group gr, *res = NULL;
	char tmp[4096];
	int fd;

	if (!t->conf->wakeup || !*t->conf->wakeup)
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(t->conf->wakeup) >= sizeof(sun.sun_path)) {
		log_warnx("wake-up socket %s: path too long", t->conf->wakeup);
		return -1;
	}
	strcpy(sun.sun_path, t->conf->wakeup);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("wake-up socket");
		return -1;
	}
	if (mkdir_parent(sun.sun_path) < 0)
		log_warn("wake-up socket %s: creating its directory",
			 sun.sun_path);
	unlink(sun.sun_path);	/* stale from an unclean exit */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warn("wake-up socket %s", sun.sun_path);
		close(fd);
		return -1;
	}
	if (getgrnam_r("tcpquota", &gr, tmp, sizeof(tmp), &res) == 0 && res) {
		if (chown(sun.sun_path, 0, res->gr_gid) < 0 ||
		    chmod(sun.sun_path, 0660) < 0)
			log_warn("wake-up socket %s: permissions",
				 sun.sun_path);
	} else if (chmod(sun.sun_path, 0666) < 0) {
		log_warn("wake-up socket %s: permissions", sun.sun_path);
	}
	if (loop_add_fd(t->loop, fd, EPOLLIN, wake_ready, t) < 0) {
		log_warn("wake-up socket: epoll");
		close(fd);
		unlink(sun.sun_path);
		return -1;
	}
	t->wake_fd = fd;
	return 0;
}

/* ---- start, reload, shutdown ---- */

static int open_journal(struct tqd *t, char *err, size_t errlen)
{
	char e[512];
	const struct db_poll *p;
	size_t n;

	if (!t->conf->journal || !*t->conf->journal)
		return 0;
	if (mkdir_parent(t->conf->journal) < 0)
		return tq_err(err, errlen, "journal %s: creating its "
			      "directory: %s", t->conf->journal,
			      strerror(errno));
	t->journal = journal_open(t->conf->journal, e, sizeof(e));
	if (!t->journal)
		return tq_err(err, errlen, "%s", e);
	n = journal_pending(t->journal, &p);
	if (n > 0)
		log_info("journal: %zu poll%s held from before", n,
			 n == 1 ? "" : "s");
	return 0;
}

/* With network.bind_mac, at start: a host still in the table a killed
 * daemon left keeps the binding it got at open time (or stays unbound);
 * the neighbour table may name another machine by now (anyone on the LAN
 * can repoint it).  Only the other hosts are bound from the neighbour
 * table. */
static void rebind(const struct tqd *t, struct nftb_host *v, size_t n)
{
	struct nftb_host *old = NULL, *w, *f;
	size_t nold = 0, i, k = 0, kept = 0, *at;

	if (!t->conf->bind_mac || n == 0)
		return;
	/* No table (a clean stop removes it) or one without bind_mac sets:
	 * nothing to keep. */
	if (nftb_list(t->nft, &old, &nold) < 0)
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
	bind_macs(t, w, k);
	for (i = 0; i < k; i++)
		v[at[i]] = w[i];
	free(at);
	free(w);
	free(old);
}

/* The table at start: open rows with a live heartbeat (or free) stay
 * open; other rows claiming to be open are deleted. */
static void reconcile(struct tqd *t, struct nftb_host **v, size_t *nv)
{
	const char **names = NULL;
	struct tq_addr a;
	size_t i;

	*v = xcalloc(t->snap.n_masq + 1, sizeof(**v));
	*nv = 0;
	for (i = 0; i < t->snap.n_masq; i++) {
		const struct db_masq *r = &t->snap.masq[i];

		if (r->open != MASQ_OPENED)
			continue;
		if (r->host_toolong || addr_parse(r->host, &a) < 0)
			continue;	/* acct deletes malformed rows */
		if (r->tic > 0 || r->free != MASQ_PAID) {
			names = xrealloc(names, (*nv + 1) * sizeof(*names));
			names[*nv] = r->name;
			(*v)[(*nv)++].addr = a;
			log_info("reopened %s for %s", r->host, r->name);
			continue;
		}
		if (db_exec(t->db, "DELETE FROM masq WHERE gateway = ? AND "
			    "host = ? AND open = 1 AND tic <= 0", "ss",
			    t->conf->gateway, r->host) < 0)
			db_failed(t, "deleting an expired row");
		else
			log_info("deleted expired masq row %s of %s",
				 r->host, r->name);
	}
	rebind(t, *v, *nv);
	for (i = 0; i < *nv; i++)
		host_add(t, &(*v)[i], names[i]);
	free(names);
}

int tqd_start(struct tqd *t, char *err, size_t errlen)
{
	struct nftb_host *v = NULL;
	size_t nv = 0;
	unsigned ms;

	t->ct = ct_new();
	if (!t->ct) {
		t->ct_errno = errno;
		log_warn("conntrack: netlink (using /proc/net/nf_conntrack)");
	}
	t->agg = scan_agg_new(t->conf);
	ev_setup(t);
	t->msg_text = enforce_message_text(t->conf->message_file);
	if (open_journal(t, err, errlen) < 0)
		return -1;
	t->nft = nftb_new(t->conf);
	if (!t->nft)
		return tq_err(err, errlen, "nftables: netlink: %s",
			      strerror(errno));
	t->db = db_new(t->conf, DB_DAEMON);
	if (db_up(t, false)) {
		replay_held(t);
		if (db_is_connected(t->db) && take_snapshot(t))
			reconcile(t, &v, &nv);
	}
	if (nftb_create(t->nft, v, nv, NULL, 0) < 0) {
		tq_err(err, errlen, "nftables: creating table %s: %s",
		       t->conf->table, nftb_error(t->nft));
		free(v);
		return -1;
	}
	free(v);
	log_info("table inet %s created with %zu open host%s", t->conf->table,
		 nv, nv == 1 ? "" : "s");
	acct_enable(t);		/* nf_conntrack is loaded by now */
	wake_open(t);
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

static bool db_conf_changed(const struct tq_conf *a, const struct tq_conf *b)
{
	return str_changed(a->db_socket, b->db_socket) ||
	       str_changed(a->db_host, b->db_host) ||
	       a->db_port != b->db_port ||
	       str_changed(a->db_name, b->db_name) ||
	       str_changed(a->db_user, b->db_user) ||
	       str_changed(a->db_password_file, b->db_password_file) ||
	       a->db_timeout != b->db_timeout;
}

/*
 * daemon.journal changed on reload: the polls held in the old journal
 * move to the new one (appended there, then acknowledged in the old one),
 * so that neither a replay nor the next start can miss them.  While the
 * new journal cannot be had (it fails to open, a copy fails, or the
 * setting is now empty) and the old one holds polls, the old one stays in
 * use.  A crash between the two steps leaves a poll in both files: its
 * (gateway, id) in poll_applied makes the second replay a no-op.
 */
static void switch_journal(struct tqd *t)
{
	struct journal *oj = t->journal;
	const struct db_poll *p;
	const char *old_path = oj ? journal_path(oj) : "";
	uint64_t *ids;
	char err[1024];
	size_t i, n = oj ? journal_pending(oj, &p) : 0;

	t->journal = NULL;
	if (open_journal(t, err, sizeof(err)) < 0 || (n > 0 && !t->journal)) {
		if (!t->conf->journal || !*t->conf->journal)
			snprintf(err, sizeof(err), "daemon.journal \"\"");
		if (n > 0) {
			log_warnx("%s: keeping journal %s, which holds %zu "
				  "poll%s", err, old_path, n,
				  n == 1 ? "" : "s");
			t->journal = oj;
			return;
		}
		log_warnx("%s (no journal)", err);
		journal_close(oj);
		return;
	}
	for (i = 0; i < n; i++)
		if (journal_append(t->journal, &p[i]) < 0)
			break;
	if (i < n) {
		log_warn("journal %s: moving the held polls there, keeping "
			 "%s", t->conf->journal, old_path);
		journal_close(t->journal);
		t->journal = oj;
		return;
	}
	/* Acknowledging may compact the old file: take the ids first. */
	ids = xcalloc(n + 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		ids[i] = p[i].id;
	for (i = 0; i < n; i++)
		if (journal_ack(oj, ids[i]) < 0)
			log_warn("journal %s: acknowledging %016" PRIx64,
				 old_path, ids[i]);
	free(ids);
	if (n > 0)
		log_info("journal: %zu held poll%s moved from %s to %s", n,
			 n == 1 ? "" : "s", old_path, t->conf->journal);
	journal_close(oj);	/* old_path with it */
}

int tqd_reload(struct tqd *t)
{
	struct tq_conf *nc, *old;
	struct nftb_host *v;
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

	/* Rebuild the table: network settings may have changed. */
	if (str_changed(old->table, nc->table))
		nftb_delete(t->nft);
	nftb_set_conf(t->nft, nc);
	v = host_array(t);
	if (nftb_create(t->nft, v, t->n_hosts, t->blocked, t->n_blocked) < 0)
		log_warnx("firewall: rebuilding after reload: %s",
			  nftb_error(t->nft));
	free(v);

	if (db_conf_changed(old, nc)) {
		db_free(t->db);
		t->db = db_new(nc, DB_DAEMON);
		t->db_down_logged = false;
	}
	if (str_changed(old->journal, nc->journal))
		switch_journal(t);
	scan_agg_free(t->agg);
	t->agg = scan_agg_new(nc);
	ev_setup(t);
	t->ev_stale = true;	/* local_networks may have changed */
	free(t->msg_text);
	t->msg_text = enforce_message_text(nc->message_file);
	if (str_changed(old->wakeup, nc->wakeup)) {
		wake_close(t);
		if (old->wakeup && *old->wakeup)
			unlink(old->wakeup);
		wake_open(t);
	}
	if (old->period != nc->period)
		loop_timer_set(t->poll_timer, (unsigned)nc->period * 1000u,
			       (unsigned)nc->period * 1000u);
	conf_free(old);
	log_info("configuration reloaded from %s", t->conf_path);
	return 0;
}

void tqd_shutdown(struct tqd *t)
{
	if (t->nft) {
		if (nftb_delete(t->nft) < 0)
			log_warnx("firewall: deleting the table: %s",
				  nftb_error(t->nft));
		else
			log_info("table inet %s deleted", t->conf->table);
	}
	if (t->db && db_up(t, true)) {
		if (t->n_held > 0)
			replay_held(t);
		if (db_masq_clear(t->db, t->conf->gateway) < 0)
			db_failed(t, "clearing masq rows");
		else
			log_info("masq rows of gateway %s cleared",
				 t->conf->gateway);
	}
	held_at_exit(t);
	if (t->wake_fd >= 0 && t->conf->wakeup && *t->conf->wakeup) {
		wake_close(t);
		unlink(t->conf->wakeup);
	}
}
