/* ledger.c - the polls the database does not have yet (ledger.h).
 *
 * Invariants:
 * - Held polls are kept oldest first: the journal's pending entries,
 *   then l->held, the ones the journal could not take (disk full, I/O
 *   error, no journal configured).  The journalled ones are always the
 *   older part: a poll goes into the journal only while nothing is held
 *   in memory ahead of it, so the file keeps the order too.
 * - Only the oldest is ever applied; every newer poll waits behind it.
 *   A charged poll is never applied ahead of a held one; its masq writes
 *   (state, not debits) need no order and go at once.
 * - A held poll the database refuses for its own values (a name or an
 *   amount the server will not take: store_refused) is set aside after
 *   LEDGER_REFUSED_MAX tries in a row, to the journal's side file (or,
 *   with no journal, to the log), so the polls behind it go on.  Any
 *   other failure (the connection, a lock, a table or privilege missing)
 *   is no fault of the poll's: it is held, tried every poll, and applied
 *   once the database takes it.
 * - A poll whose debits cannot be applied now still has its masq writes
 *   (answers, heartbeats) written alone (store_ack): a locked balance
 *   holds back no one's request.
 * - Past LEDGER_HELD_MAX polls in memory, later ones are folded into the
 *   newest: nothing is lost and memory stays bounded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "journal.h"
#include "ledger.h"
#include "log.h"
#include "util.h"

/* Polls held in memory only (the journal failing, or none configured)
 * before later ones are folded into the newest. */
#define LEDGER_HELD_MAX 1000
/* Tries before a held poll the database refuses for good is set aside. */
#define LEDGER_REFUSED_MAX 3

struct ledger {
	const struct tq_conf *conf;
	struct journal *journal;
	struct store_poll *held;	/* not in the journal, oldest first */
	size_t n_held, cap_held;
	bool mem_said;		/* said they are in memory only */
	bool full_said;		/* said LEDGER_HELD_MAX was reached */
	bool append_said;	/* said a journal append failed */
	uint64_t refused_id;	/* the held poll the database refused */
	unsigned refused;	/* how many times in a row */
};

static int open_journal(struct ledger *l, char *err, size_t errlen);

struct ledger *ledger_new(const struct tq_conf *conf, char *err,
			  size_t errlen)
{
	struct ledger *l = xcalloc(1, sizeof(*l));

	l->conf = conf;
	if (open_journal(l, err, errlen) < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void ledger_free(struct ledger *l)
{
	if (!l)
		return;
	journal_close(l->journal);
	while (l->n_held > 0)
		free(l->held[--l->n_held].debits);
	free(l->held);
	free(l);
}

size_t ledger_in_memory(const struct ledger *l)
{
	return l->n_held;
}

uint64_t ledger_poll_id(void)
{
	uint64_t id = 0;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = tq_now_us() ^ ((uint64_t)getpid() << 40);
	return id;
}

size_t ledger_count(struct ledger *l)
{
	const struct store_poll *p;

	return (l->journal ? journal_pending(l->journal, &p) : 0) +
	       l->n_held;
}

static int debit_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_debit *)a)->name,
		      ((const struct store_debit *)b)->name);
}

/* Add the n polls' debits to *v (grown as needed). */
static void held_add(struct store_debit **v, size_t *nv, size_t *cap,
		     const struct store_poll *p, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < p[i].n_debits; k++) {
			xgrow(v, cap, *nv + 1, sizeof(**v));
			(*v)[(*nv)++] = p[i].debits[k];
		}
}

void ledger_held_into(struct ledger *l, struct acct_user *u, size_t n)
{
	const struct store_poll *p = NULL;
	struct store_debit *v = NULL, key, *d;
	size_t i, k, nv = 0, cap = 0, np;

	for (i = 0; i < n; i++)
		u[i].held = 0;
	np = l->journal ? journal_pending(l->journal, &p) : 0;
	held_add(&v, &nv, &cap, p, np);
	held_add(&v, &nv, &cap, l->held, l->n_held);
	if (nv == 0)
		return;
	/* One sum per user: sorted, then merged. */
	qsort(v, nv, sizeof(*v), debit_cmp);
	for (i = 1, k = 0; i < nv; i++) {
		if (strcmp(v[i].name, v[k].name) == 0)
			v[k].amount += v[i].amount;
		else
			v[++k] = v[i];
	}
	nv = k + 1;
	for (i = 0; i < n; i++) {
		if (!u[i].name)
			continue;
		tq_strlcpy(key.name, u[i].name, sizeof(key.name));
		d = bsearch(&key, v, nv, sizeof(*v), debit_cmp);
		if (d)
			u[i].held = d->amount;
	}
	free(v);
}

static void held_pop(struct ledger *l)
{
	free(l->held[0].debits);
	memmove(l->held, l->held + 1, (l->n_held - 1) * sizeof(*l->held));
	if (--l->n_held == 0)
		l->mem_said = l->full_said = false;
}

/* Move polls held in memory into the journal, oldest first, while it
 * takes them. */
static void held_to_journal(struct ledger *l)
{
	size_t n = 0;

	if (!l->journal)
		return;
	while (l->n_held > 0) {
		if (journal_append(l->journal, &l->held[0]) < 0 &&
		    errno != EEXIST)
			break;
		held_pop(l);
		n++;
	}
	if (n > 0)
		log_info("journal: writable again, %zu poll%s held in memory "
			 "written to it", n, n == 1 ? "" : "s");
}

/* Add p's debits and total to into (the same user's amounts summed). */
static void held_fold(struct store_poll *into, const struct store_poll *p)
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
 * LEDGER_HELD_MAX polls, later ones are added to the newest (nothing is
 * lost, memory stays bounded; that one keeps its id and day, so the debits
 * table's day and poll count come out approximate).  The newest of a full
 * list was never tried against the database (only the oldest is), so a
 * commit whose answer was lost cannot have recorded it already.
 */
static void hold_in_memory(struct ledger *l, struct store_poll *p, const char *why)
{
	struct store_poll *last;

	log_once(&l->mem_said, "poll %016" PRIx64 " held in memory only "
		 "(%s): it and every poll held after it are lost if the "
		 "daemon dies before the database has them", p->id, why);
	if (l->n_held >= LEDGER_HELD_MAX) {
		last = &l->held[l->n_held - 1];
		log_once(&l->full_said, "%d polls held in memory only: "
			 "later polls are added to the newest, %016" PRIx64
			 " (their debits kept, their day and poll count in "
			 "table debits approximate)", LEDGER_HELD_MAX,
			 last->id);
		held_fold(last, p);
		log_debug("poll %016" PRIx64 " added to held poll %016"
			  PRIx64, p->id, last->id);
		free(p->debits);
		p->debits = NULL;
		return;
	}
	xgrow(&l->held, &l->cap_held, l->n_held + 1, sizeof(*l->held));
	l->held[l->n_held] = *p;
	l->held[l->n_held].ops = NULL;
	l->held[l->n_held].n_ops = 0;
	l->n_held++;
	p->debits = NULL;
	log_debug("poll %016" PRIx64 " held in memory", p->id);
}

/* Hold p behind the polls held before it: in the journal if it takes it
 * and nothing waits in memory, else in memory.  ctx says why for the log. */
static void hold(struct ledger *l, struct store_poll *p, const char *ctx)
{
	char why[600];

	held_to_journal(l);
	if (l->journal && l->n_held == 0) {
		if (journal_append(l->journal, p) == 0) {
			log_debug("%s: poll %016" PRIx64 " held in the "
				  "journal", ctx, p->id);
			return;
		}
		snprintf(why, sizeof(why), "journal %s: %s",
			 l->conf->journal, strerror(errno));
	} else if (l->journal) {
		snprintf(why, sizeof(why), "journal %s failing",
			 l->conf->journal);
	} else {
		snprintf(why, sizeof(why), "no journal configured");
	}
	hold_in_memory(l, p, why);
}

/*
 * The oldest held poll failed.  Refused values are the poll's own, the
 * same at every try; after LEDGER_REFUSED_MAX tries in a row it is set
 * aside (to the journal's side file, for an administrator) so the polls
 * behind it go on.  Anything else (the connection, a lock, schema damage)
 * passes or is repaired: try again later.  Returns true if it was set
 * aside.
 */
static bool held_refused(struct ledger *l, struct store *st,
			 const struct store_poll *p, bool in_journal)
{
	char why[512];
	uint64_t id = p->id;
	size_t i;

	if (!store_refused(st)) {
		store_failed(st, "replaying held polls");
		return false;
	}
	if (l->refused_id != id)
		l->refused = 0;
	l->refused_id = id;
	tq_strlcpy(why, store_error(st), sizeof(why));
	if (++l->refused < LEDGER_REFUSED_MAX) {
		log_warnx("database refused held poll %016" PRIx64 " (try %u "
			  "of %d before it is set aside): %s", id, l->refused,
			  LEDGER_REFUSED_MAX, why);
		return false;
	}
	if (!l->journal) {
		/* No side file: the log is the record. */
		log_warnx("held poll %016" PRIx64 " refused %u times, set "
			  "aside (no journal, so here): gateway %s, when %lld,"
			  " total %lld, %zu debit%s: %s", id, l->refused,
			  l->conf->gateway, (long long)p->when, p->total,
			  p->n_debits, p->n_debits == 1 ? "" : "s", why);
		for (i = 0; i < p->n_debits; i++)
			log_warnx("set-aside poll %016" PRIx64 ": debit \"%s\""
				  " %lld", id, p->debits[i].name,
				  p->debits[i].amount);
	} else if (journal_set_aside(l->journal, p, l->conf->gateway,
				     why) < 0) {
		log_warn("journal: setting held poll %016" PRIx64 " aside in "
			 "%s.rejected (kept, tried again next poll)", id,
			 l->conf->journal);
		return false;
	} else {
		log_warnx("held poll %016" PRIx64 " refused %u times, set "
			  "aside in %s.rejected for an administrator: %s", id,
			  l->refused, l->conf->journal, why);
	}
	if (!in_journal)
		held_pop(l);
	l->refused = 0;
	return true;
}

void ledger_replay(struct ledger *l, struct store *st)
{
	const struct store_poll *p;
	bool in_journal;
	uint64_t id;
	int rc;

	held_to_journal(l);
	for (;;) {
		in_journal = l->journal &&
			     journal_pending(l->journal, &p) > 0;
		if (!in_journal && l->n_held == 0)
			return;
		if (!in_journal)
			p = &l->held[0];
		id = p->id;
		rc = store_apply(st, p);
		if (rc < 0) {
			if (held_refused(l, st, p, in_journal))
				continue;
			return;
		}
		l->refused = 0;
		if (rc == 0)
			log_info("%s: applied held poll %016" PRIx64
				 " (total %lld)", in_journal ? "journal" :
				 "memory", id, p->total);
		if (!in_journal) {
			held_pop(l);
		} else if (journal_ack(l->journal, id) < 0) {
			log_warn("journal: acknowledging %016" PRIx64, id);
			return;
		}
	}
}

void ledger_at_exit(struct ledger *l)
{
	const struct store_poll *p;
	size_t i, k;

	held_to_journal(l);
	for (i = 0; i < l->n_held; i++) {
		p = &l->held[i];
		log_warnx("exiting: poll %016" PRIx64 ", held in memory only, "
			  "is lost: gateway %s, when %lld, total %lld, %zu "
			  "debit%s", p->id, l->conf->gateway,
			  (long long)p->when, p->total, p->n_debits,
			  p->n_debits == 1 ? "" : "s");
		for (k = 0; k < p->n_debits; k++)
			log_warnx("lost poll %016" PRIx64 ": debit \"%s\" %lld",
				  p->id, p->debits[k].name,
				  p->debits[k].amount);
	}
}


void ledger_record(struct ledger *l, struct store *st, struct store_poll *p,
		   bool fresh)
{
	bool journalled = false, charged, up;
	char why[600];

	charged = p->n_debits > 0 || p->total != 0;
	up = fresh && store_connected(st);
	if (!charged) {
		/* masq ops alone; if not now, the next poll decides again */
		if (up)
			store_ack(st, p->ops, p->n_ops);
		return;
	}
	if (!up || ledger_count(l) > 0) {
		/* Never ahead of a poll held before it.  The masq writes are
		 * state, not debits: they need no order. */
		if (up)
			store_ack(st, p->ops, p->n_ops);
		hold(l, p, up ? "behind older held polls" : "database down");
		return;
	}
	why[0] = '\0';
	if (l->journal) {
		if (journal_append(l->journal, p) == 0) {
			journalled = true;
			l->append_said = false;
		} else {
			snprintf(why, sizeof(why), "journal %s: %s",
				 l->conf->journal, strerror(errno));
			log_once(&l->append_said, "appending poll %016" PRIx64
				 " to the %s", p->id, why);
		}
	} else {
		snprintf(why, sizeof(why), "no journal configured");
	}
	if (store_apply(st, p) < 0) {
		store_failed(st, "applying the poll");
		/* The debits wait; the answers and heartbeats go now. */
		if (store_connected(st))
			store_ack(st, p->ops, p->n_ops);
		if (!journalled)
			hold_in_memory(l, p, why);
		else
			log_debug("poll %016" PRIx64 " held in the journal",
				  p->id);
		return;
	}
	if (journalled && journal_ack(l->journal, p->id) < 0)
		log_warn("journal: acknowledging %016" PRIx64, p->id);
}

static int open_journal(struct ledger *l, char *err, size_t errlen)
{
	char e[512];
	const struct store_poll *p;
	size_t n;

	if (!l->conf->journal || !*l->conf->journal)
		return 0;
	if (tq_mkdir_parent(l->conf->journal) < 0)
		return tq_err(err, errlen, "journal %s: creating its "
			      "directory: %s", l->conf->journal,
			      strerror(errno));
	l->journal = journal_open(l->conf->journal, e, sizeof(e));
	if (!l->journal)
		return tq_err(err, errlen, "%s", e);
	n = journal_pending(l->journal, &p);
	if (n > 0)
		log_info("journal: %zu poll%s held from before", n,
			 n == 1 ? "" : "s");
	return 0;
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
static void switch_journal(struct ledger *l)
{
	struct journal *oj = l->journal;
	const struct store_poll *p;
	const char *old_path = oj ? journal_path(oj) : "";
	uint64_t *ids;
	char err[1024];
	size_t i, n = oj ? journal_pending(oj, &p) : 0;

	l->journal = NULL;
	if (open_journal(l, err, sizeof(err)) < 0 || (n > 0 && !l->journal)) {
		if (!l->conf->journal || !*l->conf->journal)
			snprintf(err, sizeof(err), "daemon.journal \"\"");
		if (n > 0) {
			log_warnx("%s: keeping journal %s, which holds %zu "
				  "poll%s", err, old_path, n,
				  n == 1 ? "" : "s");
			l->journal = oj;
			return;
		}
		log_warnx("%s (no journal)", err);
		journal_close(oj);
		return;
	}
	for (i = 0; i < n; i++)
		if (journal_append(l->journal, &p[i]) < 0)
			break;
	if (i < n) {
		log_warn("journal %s: moving the held polls there, keeping "
			 "%s", l->conf->journal, old_path);
		journal_close(l->journal);
		l->journal = oj;
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
			 n == 1 ? "" : "s", old_path, l->conf->journal);
	journal_close(oj);	/* old_path with it */
}


void ledger_set_conf(struct ledger *l, const struct tq_conf *conf)
{
	bool changed = strcmp(l->conf->journal ? l->conf->journal : "",
			      conf->journal ? conf->journal : "") != 0;

	l->conf = conf;
	if (changed)
		switch_journal(l);
}
