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

struct store {
	const struct tq_conf *conf;
	struct db *db;
	bool down_said;		/* the outage was logged */
	bool limit_said;	/* ... and that the server is out of
				   connections (dblimit.h) */
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
		log_debug("database: connect attempt %u failed, next in %u "
			  "poll%s", st->fails, st->wait + 1,
			  st->wait ? "s" : "");
	if (adv)
		st->limit_said = true;
	return false;
}

bool store_connected(const struct store *st)
{
	return db_is_connected(st->db);
}

void store_failed(struct store *st, const char *what)
{
	if (db_is_connected(st->db))
		log_warnx("database: %s: %s", what, db_error(st->db));
	else	/* The connection went during the poll: the outage starts. */
		log_once(&st->down_said, "database unavailable: %s: %s "
			 "(firewall kept as it is, debits held in the "
			 "journal)", what, db_error(st->db));
}

const char *store_error(const struct store *st)
{
	return db_error(st->db);
}

bool store_transient(const struct store *st)
{
	return !db_is_connected(st->db) || db_last_transient(st->db);
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
		if (op->counter_inc)
			m->counter++;
	}
}

int store_apply(struct store *st, const struct store_poll *p)
{
	return store_sql_apply(st->db, st->conf->gateway, p);
}

void store_ack(struct store *st, const struct store_op *ops, size_t n)
{
	if (n > 0 && store_sql_ack(st->db, st->conf->gateway, ops, n) < 0)
		/* The firewall already changed; the next poll writes the
		 * answer (an open row in the firewall, a closed one not). */
		store_failed(st, "acknowledging requests");
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
