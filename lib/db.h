/* db.h - MariaDB access (Connector/C), prepared statements only.
 *
 * struct db holds one connection.  Every query has the configured
 * connect/read/write timeout.  Errors return -1 and leave a message for
 * db_error(); a lost connection is noticed (db_is_connected() turns false)
 * and the caller reconnects with db_connect() on its own schedule.
 */
#ifndef TQ_DB_H
#define TQ_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"

/* User names: at most this many characters (utf8mb4), so this many bytes
 * with room for 4-byte characters and the NUL. */
#define DB_NAME_CHARS 64
#define DB_NAME_BYTES (DB_NAME_CHARS * 4 + 1)
#define DB_HOST_BYTES 64

struct db;

/* Which account (and password file) of the configuration to use. */
enum db_account {
	DB_DAEMON,	/* database.user / password_file */
	DB_TOOL,	/* database.tool_user / tool_password_file */
	DB_ADMIN,	/* database.admin_user / admin_password_file */
};

/* A handle for conf (copied what it needs); does not connect. */
struct db *db_new(const struct tq_conf *conf, enum db_account acct);
void db_free(struct db *db);
/* Connect (or reconnect), reading the password from password_file.
 * 0, or -1 with db_error() set (the password never appears in it). */
int db_connect(struct db *db);
void db_disconnect(struct db *db);
bool db_is_connected(const struct db *db);
const char *db_error(const struct db *db);

/*
 * Generic prepared statements.  types has one letter per parameter:
 *   's' const char *   (NULL binds SQL NULL)
 *   'l' long long
 *   'u' unsigned long long
 *   'i' int
 *   'd' double
 * Result cells reach the callback as NUL-terminated strings (NULL for SQL
 * NULL); a callback returning non-zero stops the fetch.  The result is
 * read in full first, so the callback may run other statements (not the
 * same SQL text: its prepared statement is the one being read).
 * Statements are prepared once per connection and cached by their text.
 */
typedef int (*db_row_cb)(void *arg, unsigned ncols, char **cells);
/* Returns affected rows (>= 0), or -1. */
long long db_exec(struct db *db, const char *sql, const char *types, ...);
/* Returns the number of rows fetched, or -1. */
long long db_query(struct db *db, db_row_cb cb, void *arg, const char *sql,
		   const char *types, ...);
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
/* 1 if the last error was a duplicate key, else 0. */
int db_last_dup(const struct db *db);
/* Whether the last error may pass by itself, so the same statement is
 * worth running again later: the connection lost or timed out, a deadlock
 * or lock wait timeout, a statement timeout, the server busy, full, read
 * only or shutting down.  False for what the same statement would meet
 * again: a value refused here (cols_build: a bad name) or by the server,
 * a missing table or privilege. */
bool db_last_transient(const struct db *db);
/* Statements sent to the server since db_new() (executions, prepares,
 * transaction control, connects): what a benchmark reports as round
 * trips. */
uint64_t db_round_trips(const struct db *db);
/* Check a user name: 1..DB_NAME_CHARS characters of valid UTF-8, no
 * control characters.  0, or -1 with a message in err. */
int db_check_name(const char *name, char *err, size_t errlen);

/* ---- the daemon's per-poll queries ---- */

struct db_user {
	char name[DB_NAME_BYTES];
	long long quota;
	bool allowed;
	bool in_tcptab;
};

struct db_masq {
	char host[DB_HOST_BYTES];	/* as stored, truncated to fit */
	bool host_toolong;		/* longer than DB_HOST_BYTES - 1 */
	char name[DB_NAME_BYTES];	/* as stored, truncated to fit */
	bool name_toolong;		/* longer than DB_NAME_BYTES - 1 */
	int open;
	long long tic;
	int free;
	long long counter;
	int cnts;
};

struct db_snapshot {
	struct db_user *users;		/* sorted by name */
	size_t n_users;
	struct db_masq *masq;		/* this gateway's rows */
	size_t n_masq;
};

/* Load users and this gateway's masq rows: a constant number of round
 * trips.  0 / -1. */
int db_snapshot(struct db *db, const char *gateway, struct db_snapshot *out);
void db_snapshot_free(struct db_snapshot *s);

struct db_debit {
	char name[DB_NAME_BYTES];
	long long amount;
};

enum db_masq_kind {
	DBM_UPDATE,	/* write the fields flagged below */
	DBM_DELETE,
};

struct db_masq_op {
	enum db_masq_kind kind;
	char host[DB_HOST_BYTES];
	bool set_open;
	int open;
	bool tic_dec;
	bool counter_inc;
	bool set_cnts;
	int cnts;
};

/* One poll's writes.  (gateway, id) makes a replay recognisable. */
struct db_poll {
	uint64_t id;			/* unique per poll (random) */
	time_t when;
	long long total;		/* added to the newest periodtab row */
	struct db_debit *debits;
	size_t n_debits;
	struct db_masq_op *ops;		/* never journalled */
	size_t n_ops;
};

/**
 * db_apply() - apply one poll in one transaction: record (gateway, id),
 * debit atomically (quota = quota - ?), add the total to the period, apply
 * the masq ops.  Returns 0 if applied now, 1 if (gateway, id) was already
 * applied (nothing done), -1 on error (rolled back).
 */
int db_apply(struct db *db, const char *gateway, const struct db_poll *p);

/* Delete all of this gateway's masq rows (clean exit).  0 / -1. */
int db_masq_clear(struct db *db, const char *gateway);

/**
 * db_prune_applied() - forget old poll ids of this gateway.
 * @days: delete ids recorded more than this many days ago
 * @max:  at most this many (one bounded statement)
 *
 * poll_applied gains a row per poll.  A row only matters while a journal
 * may replay its poll, so the caller prunes only when its journal is
 * empty.  Returns the number deleted, or -1.
 */
long long db_prune_applied(struct db *db, const char *gateway, int days,
			   int max);

#endif
