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
/**
 * db_guard() - let a waiting signal cut a call that hangs: a thread of
 * its own watches each call to the server, and once one has lasted
 * 50 ms while fd (a signalfd, polled only) is readable, ends it; the
 * call fails as a lost connection whose text says it was cut.  A connect
 * first waits for the server's greeting the same way.  For a program
 * with one thread using db; 0, or -1 (errno) if no thread could start.
 * db_free() ends the thread.
 */
int db_guard(struct db *db, int fd);
/* With a guard: cut every call after ms, signal or not (0: only for a
 * signal again); for a stopping program. */
void db_guard_hurry(struct db *db, unsigned ms);
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
/*
 * What the last error was, for the caller to choose between waiting and
 * giving up:
 *   DB_FAULT_GONE     the connection is lost (or never was): reconnect
 *   DB_FAULT_LOCK     a lock wait timed out or a deadlock was broken on a
 *                     live connection: another session holds the rows
 *   DB_FAULT_SCHEMA   a table or column missing, a privilege gone, a view
 *                     or definer broken: an administrator's repair ends it
 *   DB_FAULT_BUSY     a statement timeout, the server busy, full, read
 *                     only or short of resources
 *   DB_FAULT_REFUSED  the statement's own values: refused here
 *                     (db_set_error) or by the server (too long, out of
 *                     range, NULL, a constraint or a trigger's SIGNAL);
 *                     the same values meet it again
 *   DB_FAULT_OTHER    anything else
 */
enum db_fault {
	DB_FAULT_NONE,
	DB_FAULT_GONE,
	DB_FAULT_LOCK,
	DB_FAULT_SCHEMA,
	DB_FAULT_BUSY,
	DB_FAULT_REFUSED,
	DB_FAULT_OTHER,
};
enum db_fault db_last_fault(const struct db *db);
/* Whether the last error may pass by itself without anyone's repair, so
 * the same statement is worth running again later: DB_FAULT_GONE, _LOCK
 * or _BUSY. */
bool db_last_transient(const struct db *db);
/* The table the last failed statement names first (after INTO, UPDATE or
 * FROM), or "" (not a statement, or no error). */
const char *db_last_table(const struct db *db);
/* The first table sql names (as db_last_table) into buf; "" if none. */
void db_stmt_table(const char *sql, char *buf, size_t len);
/* The session's lock wait for this account, in seconds (row locks and
 * metadata locks, set at connect): the daemon's is 1 s (0 with a 1 s
 * database.timeout): it never waits long on anyone, and its statements
 * on balances wait not at all (daemon/store_sql.c); the tools' is half
 * database.timeout.  Either ends well before the read timeout, so a lock
 * reads as a lock, never as a lost connection. */
unsigned db_lock_wait(const struct db *db);
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
 * last error: db_error() shows it, db_last_fault() is DB_FAULT_REFUSED. */
void db_set_error(struct db *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The last statement lost a lock race (deadlock, lock wait timeout) on a
 * live connection: its transaction is gone and may be run again. */
bool db_last_lock_lost(const struct db *db);
/* The server's (or the client library's) number of the last error: 0 for
 * none, or for a refusal of the caller's own (db_set_error). */
unsigned db_last_errno(const struct db *db);

#endif
