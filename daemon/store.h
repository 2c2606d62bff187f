/* store.h - the daemon's database: connect with backoff, the snapshot of
 * users and masq rows and its validation, one poll's writes, the
 * acknowledgements of requests, pruning and the clean-exit clear.
 *
 * struct store owns one connection (lib/db.c) and the last good snapshot.
 * Every SQL statement of the daemon is in store_sql.c (store_sql.h), the
 * seam the unit tests replace at link time.  Failures are logged here
 * (store_failed), so the callers only say what they were doing: an
 * outage, a lock another session holds, schema damage each by its name,
 * said once while it lasts, reminded about every minute and said over
 * (store_poll_done).
 */
#ifndef TQ_STORE_H
#define TQ_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "db.h"

struct store_user {
	char name[DB_NAME_BYTES];
	long long quota;
	bool allowed;
	bool in_tcptab;
};

struct store_masq {
	char host[DB_HOST_BYTES];	/* as stored, truncated to fit */
	bool host_toolong;		/* longer than DB_HOST_BYTES - 1 */
	char name[DB_NAME_BYTES];	/* as stored, truncated to fit */
	bool name_toolong;		/* longer than DB_NAME_BYTES - 1 */
	int open;
	long long tic;
	int free;
	long long counter;
	int cnts;
	/* Migration 003: a device (a MAC: device.h) and who wrote it. */
	bool has_mac;			/* mac holds masq.mac */
	bool mac_bad;			/* masq.mac set, but no MAC address */
	uint8_t mac[6];
	bool portal;			/* via = 'portal' */
};

struct store_snap {
	struct store_user *users;	/* sorted by name */
	size_t n_users;
	struct store_masq *masq;	/* this gateway's rows, by host */
	size_t n_masq;
};

struct store_debit {
	char name[DB_NAME_BYTES];
	long long amount;
};

enum store_op_kind {
	STORE_UPDATE,	/* write the fields flagged below */
	STORE_DELETE,
};

/*
 * One write to a masq row.  seen_* is the row as the daemon read it: an
 * answer (set_open) and a delete take effect only where the row still
 * holds that open code, name (an empty seen_name: any) and, for a
 * delete, tic, so a tool's request written meanwhile is never
 * overwritten or deleted (the next poll decides again).  tic, counter
 * and cnts are the daemon's own, written relative or whatever the row.
 */
struct store_op {
	enum store_op_kind kind;
	char host[DB_HOST_BYTES];
	int seen_open;
	long long seen_tic;
	char seen_name[DB_NAME_BYTES];
	bool set_open;
	int open;
	bool tic_dec;
	int counter_inc;	/* counter = counter + this: periods charged */
	bool set_cnts;
	int cnts;
	size_t row;		/* index in the snapshot it was built from */
};

/* One poll's writes.  (gateway, id) makes a replay recognisable. */
struct store_poll {
	uint64_t id;			/* unique per poll (random) */
	time_t when;
	long long total;		/* added to the newest periodtab row */
	struct store_debit *debits;
	size_t n_debits;
	struct store_op *ops;		/* never journalled */
	size_t n_ops;
};

void store_snap_free(struct store_snap *s);

struct store;

/* A store for conf (kept, not copied: store_set_conf on reload); does not
 * connect. */
struct store *store_new(const struct tq_conf *conf);
void store_free(struct store *st);
/* A database call that hangs gives way within ~50 ms to a signal
 * waiting on fd (the loop's signalfd; db_guard), also after a reload
 * that changes the database settings.  0 / -1 (logged). */
int store_guard(struct store *st, int fd);
/* Stopping: every call cut after ms whatever the server does. */
void store_hurry(struct store *st, unsigned ms);
/* Whether b's database settings differ from a's (a new connection). */
bool store_conf_changed(const struct tq_conf *a, const struct tq_conf *b);
/* The configuration in force now; a new handle if the settings changed. */
void store_set_conf(struct store *st, const struct tq_conf *conf);

/*
 * store_up() - connected, or connect now: at once for a new outage (or a
 * handle a reload made), else only once the backoff wait is over, so a
 * hung server costs one database.timeout every few polls.  now ignores
 * the wait (shutdown: one last try).  Call at most once per poll.
 */
bool store_up(struct store *st, bool now);
bool store_connected(const struct store *st);
/* Log the last error as a failure while doing what: an outage once per
 * outage; a lock wait (naming the table and, on tcptab, the users whose
 * rows are locked), schema damage or another error once while it lasts
 * (store_poll_done reminds and ends it); a refused value every time. */
void store_failed(struct store *st, const char *what);
const char *store_error(const struct store *st);
/* The last error refuses the statement's own values (DB_FAULT_REFUSED):
 * the same poll would meet it again, whatever anyone repairs. */
bool store_refused(const struct store *st);
/* End of a poll: conditions store_failed said that this poll did not
 * meet are said over (log_recovered); those it met again are reminded
 * about every STORE_REMIND_S seconds' worth of polls, with held (the
 * polls waiting for the database). */
void store_poll_done(struct store *st, size_t held);

/* Read users and masq rows, leave out names the database would refuse
 * (logged), keep it as the last good snapshot.  False (logged) if the
 * read failed: the last good one stays. */
bool store_refresh(struct store *st);
/* The last good snapshot, or NULL before the first. */
struct store_snap *store_snap(struct store *st);
/* Bring the snapshot up to date with ops written now (built from it), so
 * that during an outage the next polls see opened rows as open. */
void store_patch(struct store *st, const struct store_op *ops, size_t n);

/* Apply one poll (store_sql_apply): 0 applied, 1 already applied, -1
 * error (not logged: store_failed or the caller's own message).  Applied
 * debits are taken from the snapshot's balances too, so that while it
 * cannot be read again they stay current. */
int store_apply(struct store *st, const struct store_poll *p);
/* Write masq ops alone (answers, heartbeats, counters; no debit), in one
 * transaction; if a row is locked, the others one by one, so one locked
 * row holds back no one else's answer.  Logged on failure (the next poll
 * writes the answer). */
void store_ack(struct store *st, const struct store_op *ops, size_t n);
/* At start: delete the open row of host whose heartbeat ran out (logged). */
void store_expire(struct store *st, const struct store_masq *m);
/* Forget old poll ids, hourly, in batches; only with nothing held
 * (held_empty).  Logged. */
void store_prune(struct store *st, bool held_empty);
/* Clean exit: this gateway's masq rows go (logged). */
void store_clear(struct store *st);

#endif
