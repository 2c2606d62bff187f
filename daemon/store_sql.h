/* store_sql.h - every SQL statement of the daemon, on one connection.
 *
 * The store (store.c) decides when; these say what is read and written.
 * Nothing here logs or keeps state.  Unit tests of the daemon define
 * these functions themselves (a link-time seam: structured calls, no SQL
 * text to match).
 */
#ifndef TQ_STORE_SQL_H
#define TQ_STORE_SQL_H

#include "db.h"
#include "store.h"

/* Load users and this gateway's masq rows: a constant number of round
 * trips.  0 / -1 (out emptied). */
int store_sql_snapshot(struct db *db, const char *gateway,
		       struct store_snap *out);

/**
 * store_sql_apply() - apply one poll in one transaction: record (gateway,
 * id), debit atomically (quota = quota - ?), add the total to the period,
 * apply the masq ops (guarded as struct store_op says).  The debits wait
 * for no lock (a locked row fails it at once: db_last_fault() is
 * DB_FAULT_LOCK, db_last_table() names the table); a lost race is run
 * once more.  Returns 0 if applied now, 1 if (gateway, id) was already
 * applied (nothing done), -1 on error (rolled back).
 */
int store_sql_apply(struct db *db, const char *gateway,
		    const struct store_poll *p);

/* The masq ops alone in one transaction, with the same statements and
 * guards as store_sql_apply.  0 / -1 (rolled back). */
int store_sql_ack(struct db *db, const char *gateway,
		  const struct store_op *ops, size_t n);

/* Whether name's tcptab row is locked by another session (tried without
 * waiting, in a statement of its own: nothing stays locked).  1, 0, or
 * -1 on another error. */
int store_sql_row_locked(struct db *db, const char *name);

/* Delete host's row if it is still open with no heartbeat left (tic <=
 * 0).  Affected rows, or -1. */
long long store_sql_expire(struct db *db, const char *gateway,
			   const char *host);

/* Delete all of this gateway's masq rows (clean exit).  0 / -1. */
int store_sql_clear(struct db *db, const char *gateway);

/**
 * store_sql_prune() - forget old poll ids of this gateway.
 * @days: delete ids recorded more than this many days ago
 * @max:  at most this many (one bounded statement)
 *
 * poll_applied gains a row per poll.  A row only matters while a journal
 * may replay its poll, so the caller prunes only when its journal is
 * empty.  Returns the number deleted, or -1.
 */
long long store_sql_prune(struct db *db, const char *gateway, int days,
			  int max);

#endif
