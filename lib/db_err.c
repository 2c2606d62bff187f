/* db_err.c - what the last failure of a struct db was, for its caller:
 * the text, the server's error number, the table and the kind of fault.
 *
 * Every failure leaves its text in db->err, the server's error number in
 * db->last_errno (0 for a refusal of the caller's own, db_set_error, or an
 * error of this layer) and the table the statement named first in
 * db->table, so db_last_fault() can tell a lock, a missing table and a
 * refused value apart and the caller can name the table.  A failure
 * after which the connection is unusable drops it (db_conn_lost()).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>

#include "db_int.h"
#include "util.h"

/* ---- recording a failure ---- */

/* Errors after which the connection is unusable. */
bool db_conn_lost(unsigned e)
{
	switch (e) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_COMMANDS_OUT_OF_SYNC:
	case CR_SERVER_LOST_EXTENDED:
	case ER_SERVER_SHUTDOWN:
	case ER_CONNECTION_KILLED:
	case 4031:	/* ER_CLIENT_INTERACTION_TIMEOUT (10.3+) */
		return true;
	}
	return false;
}

/* A statement's text without a leading "SET STATEMENT ... FOR ". */
const char *db_stmt_body(const char *sql)
{
	const char *f;

	if (strncmp(sql, "SET STATEMENT ", 14) != 0)
		return sql;
	f = strstr(sql, " FOR ");
	return f ? f + 5 : sql;
}

void db_stmt_table(const char *sql, char *buf, size_t len)
{
	static const char *const kw[] = { " INTO ", "UPDATE ", " FROM " };
	const char *p, *best = NULL;
	size_t i, n = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	sql = db_stmt_body(sql);
	if (strncmp(sql, "INSERT ", 7) && strncmp(sql, "UPDATE ", 7) &&
	    strncmp(sql, "DELETE ", 7) && strncmp(sql, "SELECT ", 7))
		return;		/* not a statement: a step's description */
	for (i = 0; i < ARRAY_SIZE(kw); i++) {
		p = strstr(sql, kw[i]);
		if (p && (!best || p < best))
			best = p + strlen(kw[i]);
	}
	if (!best)
		return;
	if (*best == '`')
		best++;
	while ((best[n] == '_' || best[n] == '$' ||
		(best[n] >= '0' && best[n] <= '9') ||
		(best[n] >= 'a' && best[n] <= 'z') ||
		(best[n] >= 'A' && best[n] <= 'Z')) && n + 1 < len) {
		buf[n] = best[n];
		n++;
	}
	buf[n] = '\0';
}

int db_fail(struct db *db, unsigned e, const char *what, const char *msg)
{
	/* A call the guard cut: say so, not the client's "lost
	 * connection" alone (db_guard.c). */
	char cut[160];

	if (db->cut_ms) {
		snprintf(cut, sizeof(cut), "Lost connection: no answer from "
			 "the server for %u ms, the call cut short for a "
			 "signal (database.timeout %u s)", db->cut_ms,
			 db->timeout);
		e = CR_SERVER_LOST;
		msg = cut;
	}
	/* what may be a statement's text: its start says which one. */
	what = db_stmt_body(what);
	snprintf(db->err, sizeof(db->err), "%.100s%s: %s", what,
		 strlen(what) > 100 ? "..." : "",
		 msg && *msg ? msg : "unknown error");
	db->last_errno = e;
	db->refused = false;
	db_stmt_table(what, db->table, sizeof(db->table));
	if (db_conn_lost(e)) {
		db_drop(db);
		strncat(db->err, " (connection lost)",
			sizeof(db->err) - strlen(db->err) - 1);
	}
	return -1;
}

/* An error without a server's: a refusal of the caller's (refused) or
 * of this layer's own. */
static void verr(struct db *db, bool refused, const char *fmt, va_list ap)
{
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	db->last_errno = 0;
	db->refused = refused;
	db->table[0] = '\0';
}

/* An error of this layer (no server error): DB_FAULT_OTHER. */
void db_internal(struct db *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(db, false, fmt, ap);
	va_end(ap);
}

int db_fail_stmt(struct db *db, MYSQL_STMT *st, const char *what)
{
	return db_fail(db, mysql_stmt_errno(st), what, mysql_stmt_error(st));
}

int db_fail_my(struct db *db, const char *what)
{
	return db_fail(db, mysql_errno(db->my), what, mysql_error(db->my));
}

/* ---- what the caller asks ---- */

const char *db_error(const struct db *db)
{
	return db->err;
}

int db_last_dup(const struct db *db)
{
	return db->last_errno == ER_DUP_ENTRY;
}

enum db_fault db_last_fault(const struct db *db)
{
	if (db->refused)
		return DB_FAULT_REFUSED;
	if (db_conn_lost(db->last_errno) || !db->connected)
		return DB_FAULT_GONE;
	switch (db->last_errno) {
	case 0:
		return db->err[0] ? DB_FAULT_OTHER : DB_FAULT_NONE;
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_LOCK_ABORTED:
		return DB_FAULT_LOCK;
	case ER_NO_SUCH_TABLE:
	case ER_NO_SUCH_TABLE_IN_ENGINE:
	case ER_BAD_FIELD_ERROR:
	case ER_BAD_TABLE_ERROR:
	case ER_UNKNOWN_TABLE:
	case ER_BAD_DB_ERROR:
	case ER_VIEW_INVALID:
	case ER_NO_SUCH_USER:		/* a trigger's or view's definer */
	case ER_SP_DOES_NOT_EXIST:
	case ER_NO_DEFAULT_FOR_FIELD:	/* a column added without one */
	case ER_WRONG_VALUE_COUNT_ON_ROW:
	case ER_TABLEACCESS_DENIED_ERROR:
	case ER_COLUMNACCESS_DENIED_ERROR:
	case ER_DBACCESS_DENIED_ERROR:
	case ER_ACCESS_DENIED_ERROR:
	case ER_SPECIFIC_ACCESS_DENIED_ERROR:
	case ER_PROCACCESS_DENIED_ERROR:
	case ER_NONEXISTING_TABLE_GRANT:
	case ER_CRASHED_ON_USAGE:
	case ER_NOT_KEYFILE:
	case ER_TABLE_DEF_CHANGED:
	case ER_NEED_REPREPARE:
		return DB_FAULT_SCHEMA;
	case ER_LOCK_TABLE_FULL:
	case ER_STATEMENT_TIMEOUT:
	case ER_QUERY_INTERRUPTED:
	case ER_CON_COUNT_ERROR:
	case ER_TOO_MANY_USER_CONNECTIONS:
	case ER_OPTION_PREVENTS_STATEMENT:	/* read_only */
	case ER_READ_ONLY_MODE:
	case ER_DISK_FULL:
	case ER_RECORD_FILE_FULL:
	case ER_OUT_OF_RESOURCES:
	case ER_OUTOFMEMORY:
	case ER_CANT_LOCK:
	case ER_LOCK_OR_ACTIVE_TRANSACTION:
		return DB_FAULT_BUSY;
	case ER_DUP_ENTRY:
	case ER_DATA_TOO_LONG:
	case ER_WARN_DATA_OUT_OF_RANGE:
	case ER_DATA_OUT_OF_RANGE:
	case ER_TRUNCATED_WRONG_VALUE:
	case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
	case ER_INVALID_CHARACTER_STRING:
	case ER_BAD_NULL_ERROR:
	case ER_WARN_NULL_TO_NOTNULL:
	case ER_DIVISION_BY_ZERO:
	case ER_CONSTRAINT_FAILED:
	case ER_NO_REFERENCED_ROW:
	case ER_NO_REFERENCED_ROW_2:
	case ER_ROW_IS_REFERENCED:
	case ER_ROW_IS_REFERENCED_2:
	case ER_SIGNAL_EXCEPTION:
		return DB_FAULT_REFUSED;
	}
	return DB_FAULT_OTHER;
}

bool db_last_transient(const struct db *db)
{
	switch (db_last_fault(db)) {
	case DB_FAULT_GONE:
	case DB_FAULT_LOCK:
	case DB_FAULT_BUSY:
		return true;
	default:
		return false;
	}
}

const char *db_last_table(const struct db *db)
{
	return db->table;
}

/* ---- errors of the caller's own ---- */

void db_set_error(struct db *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(db, true, fmt, ap);
	va_end(ap);
}

bool db_last_lock_lost(const struct db *db)
{
	return db->connected && (db->last_errno == ER_LOCK_DEADLOCK ||
				 db->last_errno == ER_LOCK_WAIT_TIMEOUT);
}

unsigned db_last_errno(const struct db *db)
{
	return db->last_errno;
}
