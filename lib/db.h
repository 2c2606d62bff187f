/* db.h - MariaDB access (Connector/C), prepared statements only.
 *
 * struct db holds one connection.  Every query has the configured
 * connect/read/write timeout.  Errors return -1 and leave a message for
 * db_error(); a lost connection is noticed (db_is_connected() turns false)
 * and the caller reconnects with db_connect() on its own schedule.
 * The daemon's own queries are in daemon/store_sql.c; the tools' in
 * tools/tooldb.c.
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

/* One column of a bulk statement: nrows values of one type ('s', 'l' or
 * 'i' as above; for 's', len holds each value's length). */
struct db_col {
	char type;
	const char **s;
	unsigned long *len;
	const long long *l;
	const int *i;
};
/* Execute sql once per row of the columns, in one round trip when the
 * server takes parameter arrays.  nrows 0 does nothing.  0 / -1. */
int db_bulk_exec(struct db *db, const char *sql, unsigned nrows,
		 const struct db_col *cols, unsigned ncols);

/* Record a refusal of the caller's own (a value it will not send) as the
 * last error: db_error() shows it, db_last_transient() is false. */
void db_set_error(struct db *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The last statement lost a lock race (deadlock, lock wait timeout) on a
 * live connection: its transaction is gone and may be run again. */
bool db_last_lock_lost(const struct db *db);

#endif
