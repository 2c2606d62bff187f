/* db_int.h - what db.c and db_err.c share; daemon and tools use db.h.
 *
 * db.c       connection, statement cache, execution, transactions, names
 * db_err.c   the last failure: its text, number, table and kind
 * db_guard.c a call that hangs cut short for a waiting signal
 *
 * A failure is recorded through db_fail() (a server's error) or
 * db_internal() (this layer's own), which overwrite the last one; a
 * success leaves it as it was.
 */
#ifndef TQ_DB_INT_H
#define TQ_DB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mysql.h>

#include "db.h"

#define DB_CACHE_SIZE 48

struct db_cached {
	const char *key;	/* the caller's pointer, checked first */
	char *sql;
	MYSQL_STMT *st;
	uint64_t used;
};

struct db {
	MYSQL *my;
	bool connected;
	bool bulk;		/* server executes parameter arrays */
	char *socket, *host, *name, *user, *pwfile;
	int port;
	unsigned timeout;
	unsigned lock_wait;	/* seconds, db_lock_wait */
	char err[1024];
	unsigned last_errno;
	bool refused;		/* the last error: db_set_error */
	char table[65];		/* the last failed statement's first table */
	uint64_t round_trips;
	uint64_t clock;
	struct db_cached cache[DB_CACHE_SIZE];
	size_t n_cache;
	struct db_guard *guard;	/* db_guard.c; NULL: none */
	unsigned cut_ms;	/* the last call was cut after this long */
};

/* db.c: close the connection and forget its prepared statements. */
void db_drop(struct db *db);

/* db_err.c */

/* Is the connection unusable after error e? */
bool db_conn_lost(unsigned e);
/* sql without a leading "SET STATEMENT ... FOR ". */
const char *db_stmt_body(const char *sql);
/* Record server error e with msg for what (a statement's text or a
 * step's name); drops the connection if e lost it.  -1. */
int db_fail(struct db *db, unsigned e, const char *what, const char *msg);
int db_fail_stmt(struct db *db, MYSQL_STMT *st, const char *what);
int db_fail_my(struct db *db, const char *what);
/* Record an error of this layer (no server error): DB_FAULT_OTHER. */
void db_internal(struct db *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* db_guard.c */

/* A call has lasted this long before a waiting signal cuts it. */
#define DB_GUARD_MS 50u
/* Around every call that waits for the server: counts the round trip
 * and lets the guard watch it; after db_trip_end() db->cut_ms says
 * whether it was cut. */
void db_trip_begin(struct db *db);
void db_trip_end(struct db *db);
/* Before a connect with a guard: wait for the server's greeting on a
 * probe connection.  0: go on (greeted, or refused: the connect says
 * why); -1: cut (a signal, or hurried; db->cut_ms); -2: no greeting
 * within database.timeout. */
int db_guard_probe(struct db *db);
void db_guard_free(struct db *db);

#endif
