/* store.c - the daemon's database room (store.h).
 *
 * Invariants:
 * - One connection, made by store_up() only: at once for a new outage,
 *   then after the n-th failed connect in a row the next attempt waits
 *   1, 2, 4 ... polls, at most STORE_BACKOFF_POLLS polls or
 *   STORE_BACKOFF_S seconds (whichever is shorter, never under one
 *   poll).  A connect to a hung server blocks up to database.timeout; the
 *   cap bounds both that cost and how late an outage is noticed to be
 *   over.  An outage is said once (down_said), its end when it connects.
 * - The snapshot kept is the last good one; it never holds a user name
 *   the database layer refuses (db_check_name): such names come only
 *   from hand-written rows and would make every poll carrying them be
 *   refused, so the user is left out (never allowed: acct refuses or
 *   cuts their rows and charges nothing), logged when their number
 *   changes.  A masq name too long to hold is blanked: cut, it could name
 *   someone else (acct deletes a paid row without a name).  Nor does it
 *   hold a row lanhost.c refuses (no LAN host, or another row's host).
 * - A failure is named for what it is (db_last_fault): the connection
 *   gone is an outage ("database unavailable", once per outage); a lock
 *   another session holds, schema damage (a table, column or privilege
 *   missing) and other errors on a live connection are each said once
 *   while they last (struct trouble), reminded every STORE_REMIND_S
 *   seconds' worth of polls with the number of polls held, and said over
 *   at the end of the first poll that did not meet them.  A lock on
 *   tcptab names the users whose rows are locked (store_sql_row_locked,
 *   tried without waiting).
 * - The snapshot's balances follow the debits applied since it was read
 *   (store_apply), so a snapshot that cannot be read again (an outage,
 *   tcptab away) still gives balances the database has.
 * - poll_applied is pruned only while nothing is held (a journal could
 *   replay a poll only while its row is there), hourly, at most
 *   STORE_PRUNE_BATCH rows a poll (a full batch: again at the next one),
 *   so a long-grown table is cut down without a long lock.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dblimit.h"
#include "lanhost.h"
#include "log.h"
#include "masq.h"
#include "store.h"
#include "store_sql.h"
#include "util.h"

#define STORE_BACKOFF_POLLS 8
#define STORE_BACKOFF_S 60
/* Poll ids (poll_applied) are kept this long, pruned hourly in batches. */
#define STORE_PRUNE_DAYS 7
#define STORE_PRUNE_BATCH 10000
#define STORE_PRUNE_EVERY_US (3600ull * 1000000u)
/* A condition that lasts is said again this often (in polls' worth). */
#define STORE_REMIND_S 60
/* Users named in a lock message at most (each a probe). */
#define STORE_LOCK_PROBES 8

/* A condition of a live connection, said once while it lasts. */
enum { TR_LOCK, TR_SCHEMA, TR_OTHER, TR_N };

struct trouble {
	bool said;		/* said, not yet over */
	bool met;		/* met in this poll */
	unsigned polls;		/* since said or last reminded */
	char msg[1024];		/* what was said */
};

struct store {
	const struct tq_conf *conf;
	struct db *db;
	int guard_fd;		/* store_guard's fd, or -1 */
	bool down_said;		/* the outage was logged */
	bool limit_said;	/* ... and that the server is out of
				   connections (dblimit.h) */
	struct trouble tr[TR_N];
	char lock_who[DB_NAME_BYTES * 2];	/* users whose rows are locked */
	unsigned fails;		/* failed connects in a row */
	unsigned wait;		/* polls to skip before the next */
	size_t n_bad_users;	/* left out of the last snapshot */
	uint64_t next_prune_us;
	struct store_snap snap;	/* the last good one */
	bool have_snap;
	struct lanhost *lanhost;	/* the check of the masq rows' hosts */
};

void store_snap_free(struct store_snap *s)
{
	free(s->users);
	free(s->masq);
	memset(s, 0, sizeof(*s));
}

struct store *store_new(const struct tq_conf *conf)
{
	struct store *st = xcalloc(1, sizeof(*st));

	st->conf = conf;
	st->db = db_new(conf, DB_DAEMON);
	st->lanhost = lanhost_new();
	st->guard_fd = -1;
	return st;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	if (st->have_snap)
		store_snap_free(&st->snap);
	db_free(st->db);
	lanhost_free(st->lanhost);
	free(st);
}

static bool str_changed(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

bool store_conf_changed(const struct tq_conf *a, const struct tq_conf *b)
{
	return str_changed(a->db_socket, b->db_socket) ||
	       str_changed(a->db_host, b->db_host) ||
	       a->db_port != b->db_port ||
	       str_changed(a->db_name, b->db_name) ||
	       str_changed(a->db_user, b->db_user) ||
	       str_changed(a->db_password_file, b->db_password_file) ||
	       a->db_timeout != b->db_timeout;
}

void store_set_conf(struct store *st, const struct tq_conf *conf)
{
	bool changed = store_conf_changed(st->conf, conf);

	st->conf = conf;
	if (!changed)
		return;
	db_free(st->db);
	st->db = db_new(conf, DB_DAEMON);
	st->down_said = false;
	if (st->guard_fd >= 0)
		store_guard(st, st->guard_fd);
}

int store_guard(struct store *st, int fd)
{
	st->guard_fd = fd;
	if (db_guard(st->db, fd) < 0) {
		log_warn("database: no guard thread (a call that hangs "
			 "holds signals up to database.timeout)");
		return -1;
	}
	return 0;
}

void store_hurry(struct store *st, unsigned ms)
{
	db_guard_hurry(st->db, ms);
}

/* Polls to wait after the n-th failed connect in a row (n >= 1). */
static unsigned backoff_polls(int period, unsigned n)
{
	unsigned cap = STORE_BACKOFF_S / (unsigned)(period > 0 ? period : 1);
	unsigned w = 1;

	if (cap > STORE_BACKOFF_POLLS)
		cap = STORE_BACKOFF_POLLS;
	if (cap < 1)
		cap = 1;
	while (--n > 0 && w < cap)
		w *= 2;
	return w < cap ? w : cap;
}

bool store_up(struct store *st, bool now)
{
	const char *adv;
	char why[1024];

	if (db_is_connected(st->db))
		return true;
	if (!st->down_said)
		st->fails = st->wait = 0;
	if (st->wait > 0 && !now) {
		st->wait--;
		return false;
	}
	if (db_connect(st->db) == 0) {
		log_info("database connected");
		st->down_said = st->limit_said = false;
		st->fails = st->wait = 0;
		return true;
	}
	st->fails++;
	st->wait = backoff_polls(st->conf->period, st->fails) - 1;
	/* Out of connections: what to do, at warning level, also in an
	 * outage already said for another reason. */
	adv = dblimit_advice(db_last_errno(st->db), DB_DAEMON);
	snprintf(why, sizeof(why), adv ? "%s (error %u: %s)" : "%s",
		 db_error(st->db), db_last_errno(st->db), adv);
	if (!log_once(&st->down_said, "database unavailable: %s (firewall "
		      "kept as it is, debits held in the journal)", why) &&
	    !(adv && log_once(&st->limit_said, "database: %s", why)))
		log_debug("database: connect attempt %u failed (%s), next "
			  "in %u poll%s", st->fails, why, st->wait + 1,
			  st->wait ? "s" : "");
	if (adv)
		st->limit_said = true;
	return false;
}

bool store_connected(const struct store *st)
{
	return db_is_connected(st->db);
}

/* Say condition k (msg) once while it lasts; store_poll_done ends it. */
static void trouble(struct store *st, int k, const char *msg)
{
	struct trouble *t = &st->tr[k];

	t->met = true;
	if (log_once(&t->said, "%s", msg)) {
		tq_strlcpy(t->msg, msg, sizeof(t->msg));
		t->polls = 0;
	} else {
		log_debug("%s", msg);
	}
}

void store_failed(struct store *st, const char *what)
{
	const char *table = db_last_table(st->db);
	char msg[1024];

	switch (db_last_fault(st->db)) {
	case DB_FAULT_GONE:
		/* The connection went during the poll: the outage starts. */
		log_once(&st->down_said, "database unavailable: %s: %s "
			 "(firewall kept as it is, debits held in the "
			 "journal)", what, db_error(st->db));
		return;
	case DB_FAULT_LOCK:
		snprintf(msg, sizeof(msg), "database: lock wait on %s%s%s%s: "
			 "%s: another session holds the lock (an open "
			 "transaction?); %s", *table ? table : "a row",
			 *st->lock_who ? " (" : "", st->lock_who,
			 *st->lock_who ? ")" : "", what,
			 strcmp(table, "masq") == 0 ?
			 "the row waits for a later poll, the others go on" :
			 "the poll's debits are held and tried again every "
			 "poll, requests go on");
		trouble(st, TR_LOCK, msg);
		return;
	case DB_FAULT_SCHEMA:
		snprintf(msg, sizeof(msg), "database: schema: %s: %s (a "
			 "table, column or privilege is missing: debits are "
			 "held and applied once it is repaired, nothing is set "
			 "aside; sql/schema.sql has the tables)", what,
			 db_error(st->db));
		trouble(st, TR_SCHEMA, msg);
		return;
	case DB_FAULT_REFUSED:
		log_warnx("database: %s: %s", what, db_error(st->db));
		return;
	default:
		snprintf(msg, sizeof(msg), "database: %s: %s", what,
			 db_error(st->db));
		trouble(st, TR_OTHER, msg);
		return;
	}
}

void store_poll_done(struct store *st, size_t held)
{
	static const char *const over[TR_N] = {
		"database: lock wait over",
		"database: schema problem over",
		"database: working again",
	};
	unsigned every = STORE_REMIND_S / (unsigned)(st->conf->period > 0 ?
						     st->conf->period : 1);
	struct trouble *t;
	int k;

	for (k = 0; k < TR_N; k++) {
		t = &st->tr[k];
		if (!t->met) {
			log_recovered(&t->said, "%s", over[k]);
			continue;
		}
		t->met = false;
		if (t->said && ++t->polls >= (every ? every : 1)) {
			log_warnx("%s (still so; %zu poll%s held)", t->msg,
				  held, held == 1 ? "" : "s");
			t->polls = 0;
		}
	}
	st->lock_who[0] = '\0';
}

const char *store_error(const struct store *st)
{
	return db_error(st->db);
}

bool store_refused(const struct store *st)
{
	return db_last_fault(st->db) == DB_FAULT_REFUSED;
}

/* Leave out users whose names the database would refuse; blank masq
 * names too long to hold (the head comment says why). */
static void drop_bad_names(struct store *st, struct store_snap *s)
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
		if (bad != st->n_bad_users)
			log_warnx("database: user \"%s\" in tcptab/allowed "
				  "left out: name %s", s->users[i].name, e);
	}
	s->n_users = k;
	st->n_bad_users = bad;
	for (i = 0; i < s->n_masq; i++) {
		struct store_masq *m = &s->masq[i];

		if (!m->name_toolong)
			continue;
		log_warnx("database: masq row %s: user name longer than %d "
			  "characters, taken as no name", m->host,
			  DB_NAME_CHARS);
		m->name[0] = '\0';
		m->name_toolong = false;
	}
}

bool store_refresh(struct store *st)
{
	struct store_snap s;

	memset(&s, 0, sizeof(s));
	if (store_sql_snapshot(st->db, st->conf->gateway, &s) < 0) {
		store_failed(st, "reading users and masq rows");
		return false;
	}
	drop_bad_names(st, &s);
	lanhost_refuse(st->lanhost, st, st->conf, &s);
	if (st->have_snap)
		store_snap_free(&st->snap);
	st->snap = s;
	st->have_snap = true;
	return true;
}

struct store_snap *store_snap(struct store *st)
{
	return st->have_snap ? &st->snap : NULL;
}

void store_patch(struct store *st, const struct store_op *ops, size_t n)
{
	struct store_masq *m;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct store_op *op = &ops[i];

		if (!st->have_snap || op->row >= st->snap.n_masq)
			continue;
		m = &st->snap.masq[op->row];
		if (op->kind == STORE_DELETE) {
			m->open = MASQ_CLOSED;
			m->tic = 0;
			continue;
		}
		if (op->set_open)
			m->open = op->open;
		if (op->tic_dec)
			m->tic--;
		m->counter += op->counter_inc;
	}
}

static int user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_user *)a)->name,
		      ((const struct store_user *)b)->name);
}

/* p's debits, now in the database, out of the snapshot's balances. */
static void debited(struct store *st, const struct store_poll *p)
{
	struct store_user key, *u;
	size_t i;

	if (!st->have_snap || st->snap.n_users == 0)
		return;
	for (i = 0; i < p->n_debits; i++) {
		tq_strlcpy(key.name, p->debits[i].name, sizeof(key.name));
		u = bsearch(&key, st->snap.users, st->snap.n_users,
			    sizeof(*u), user_cmp);
		if (u)
			u->quota -= p->debits[i].amount;
	}
}

/* After a lock on tcptab: which of p's users' rows are locked, for the
 * log (st->lock_who). */
static void lock_who(struct store *st, const struct store_poll *p)
{
	size_t i, len;
	int r;

	st->lock_who[0] = '\0';
	if (strcmp(db_last_table(st->db), "tcptab") != 0)
		return;
	for (i = 0; i < p->n_debits && i < STORE_LOCK_PROBES; i++) {
		r = store_sql_row_locked(st->db, p->debits[i].name);
		if (r < 0)
			return;
		if (r == 0)
			continue;
		len = strlen(st->lock_who);
		snprintf(st->lock_who + len, sizeof(st->lock_who) - len,
			 "%s%s", len ? ", " : "", p->debits[i].name);
	}
}

int store_apply(struct store *st, const struct store_poll *p)
{
	int rc = store_sql_apply(st->db, st->conf->gateway, p);

	if (rc == 0)
		debited(st, p);
	else if (rc < 0 && db_last_fault(st->db) == DB_FAULT_LOCK)
		lock_who(st, p);
	return rc;
}

void store_ack(struct store *st, const struct store_op *ops, size_t n)
{
	size_t i, failed = 0;

	if (n == 0 || store_sql_ack(st->db, st->conf->gateway, ops, n) == 0)
		return;
	/* The firewall already changed; the next poll writes the answer
	 * (an open row in the firewall, a closed one not). */
	if (db_last_fault(st->db) != DB_FAULT_LOCK || n == 1) {
		store_failed(st, "writing masq rows");
		return;
	}
	/* A row is locked: every other row's answer goes on. */
	for (i = 0; i < n && db_is_connected(st->db); i++)
		if (store_sql_ack(st->db, st->conf->gateway, &ops[i], 1) < 0) {
			store_failed(st, "writing masq rows");
			failed++;
		}
	log_debug("database: masq rows written one by one: %zu of %zu "
		  "failed", failed, n);
}

void store_expire(struct store *st, const struct store_masq *m)
{
	if (store_sql_expire(st->db, st->conf->gateway, m->host) < 0)
		store_failed(st, "deleting an expired row");
	else
		log_info("deleted expired masq row %s of %s", m->host,
			 m->name);
}

void store_prune(struct store *st, bool held_empty)
{
	uint64_t now = tq_now_us();
	long long n;

	if (now < st->next_prune_us || !db_is_connected(st->db))
		return;
	if (!held_empty)
		return;
	n = store_sql_prune(st->db, st->conf->gateway, STORE_PRUNE_DAYS,
			    STORE_PRUNE_BATCH);
	if (n < 0) {
		store_failed(st, "pruning old poll ids");
		return;
	}
	if (n > 0)
		log_info("database: forgot %lld poll id%s older than %d days",
			 n, n == 1 ? "" : "s", STORE_PRUNE_DAYS);
	st->next_prune_us = n < STORE_PRUNE_BATCH ?
			    now + STORE_PRUNE_EVERY_US : now;
}

void store_clear(struct store *st)
{
	if (store_sql_clear(st->db, st->conf->gateway) < 0)
		store_failed(st, "clearing masq rows");
	else
		log_info("masq rows of gateway %s cleared", st->conf->gateway);
}
