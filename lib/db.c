/* db.c - MariaDB access through Connector/C, prepared statements only:
 * the generic layer the daemon (daemon/store.c) and the tools share.
 *
 * Statements are prepared once per connection and kept in a small cache
 * keyed by their SQL text, so a poll costs executions only.  Bulk
 * statements (db_bulk_exec) use MariaDB's bulk execution (an array of
 * parameter sets sent in one COM_STMT_BULK_EXECUTE): one round trip per
 * statement whatever the number of rows.  Against a server without bulk
 * support the rows are executed one by one (correct, not constant).
 * Every failure goes through db_err.c, which keeps what the caller may
 * ask about it (db_int.h).
 *
 * Lock waits end before the read timeout does (db_lock_wait): a statement
 * waiting for another session's lock fails with the server's lock error
 * on a live connection instead of the client giving up on the server as
 * lost.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>

#include "db_int.h"
#include "util.h"

#define DB_MAX_PARAMS 16
#define DB_CELL_BYTES 256

static void cache_clear(struct db *db)
{
	size_t i;

	for (i = 0; i < db->n_cache; i++) {
		mysql_stmt_close(db->cache[i].st);
		free(db->cache[i].sql);
	}
	db->n_cache = 0;
}

void db_drop(struct db *db)
{
	cache_clear(db);
	if (db->my)
		mysql_close(db->my);
	db->my = NULL;
	db->connected = false;
}

struct db *db_new(const struct tq_conf *conf, enum db_account acct)
{
	struct db *db = xcalloc(1, sizeof(*db));
	const char *user, *pw;

	switch (acct) {
	case DB_TOOL:
		user = conf->db_tool_user;
		pw = conf->db_tool_password_file;
		break;
	case DB_ADMIN:
		user = conf->db_admin_user;
		pw = conf->db_admin_password_file;
		break;
	default:
		user = conf->db_user;
		pw = conf->db_password_file;
		break;
	}
	db->socket = xstrdup(conf->db_socket);
	db->host = xstrdup(conf->db_host);
	db->name = xstrdup(conf->db_name);
	db->user = xstrdup(user);
	db->pwfile = xstrdup(pw);
	db->port = conf->db_port;
	db->timeout = conf->db_timeout > 0 ? (unsigned)conf->db_timeout : 5;
	if (acct == DB_DAEMON)
		db->lock_wait = db->timeout > 1 ? 1 : 0;
	else
		db->lock_wait = db->timeout / 2;
	return db;
}

void db_free(struct db *db)
{
	if (!db)
		return;
	db_guard_free(db);
	db_drop(db);
	free(db->socket);
	free(db->host);
	free(db->name);
	free(db->user);
	free(db->pwfile);
	free(db);
}

void db_disconnect(struct db *db)
{
	db_drop(db);
}

bool db_is_connected(const struct db *db)
{
	return db && db->connected;
}

unsigned db_lock_wait(const struct db *db)
{
	return db->lock_wait;
}

uint64_t db_round_trips(const struct db *db)
{
	return db->round_trips;
}

/* First line of the password file without its line end (\n or \r\n).
 * Blanks are kept: a password may end in a space or a tab. */
static int read_password(struct db *db, char *pw, size_t len)
{
	FILE *f;
	size_t n;

	pw[0] = '\0';
	if (!*db->pwfile)
		return 0;
	f = fopen(db->pwfile, "re");
	if (!f) {
		snprintf(db->err, sizeof(db->err),
			 "cannot read password file %s: %s", db->pwfile,
			 strerror(errno));
		return -1;
	}
	if (!fgets(pw, (int)len, f))
		pw[0] = '\0';
	fclose(f);
	n = strlen(pw);
	if (n > 0 && pw[n - 1] == '\n') {
		pw[--n] = '\0';
		if (n > 0 && pw[n - 1] == '\r')
			pw[--n] = '\0';
	}
	if (n == 0) {
		snprintf(db->err, sizeof(db->err),
			 "password file %s is empty", db->pwfile);
		return -1;
	}
	return 0;
}

int db_connect(struct db *db)
{
	char pw[1024], where[320], init[80];
	unsigned long long ext = 0;
	my_bool off = 0;
	MYSQL *ok;
	bool may_hang;
	int probe;

	/* The greeting probe (db_guard_probe) over TCP only after the
	 * server stopped answering: each probe is an aborted connect, which
	 * MariaDB counts against the client host (max_connect_errors) until
	 * a connect succeeds.  A UNIX socket has no host to block. */
	may_hang = *db->socket || db->last_errno == CR_SERVER_LOST ||
		   db->last_errno == CR_SERVER_GONE_ERROR ||
		   db->last_errno == CR_SERVER_LOST_EXTENDED;
	db_drop(db);
	db->err[0] = '\0';
	db->last_errno = 0;
	db->refused = false;
	db->table[0] = '\0';
	if (read_password(db, pw, sizeof(pw)) < 0)
		return -1;
	if (*db->socket)
		snprintf(where, sizeof(where), "socket %.300s", db->socket);
	else
		snprintf(where, sizeof(where), "%.280s port %d", db->host,
			 db->port);
	db->my = mysql_init(NULL);
	if (!db->my) {
		explicit_bzero(pw, sizeof(pw));
		snprintf(db->err, sizeof(db->err), "out of memory");
		return -1;
	}
	mysql_options(db->my, MYSQL_OPT_CONNECT_TIMEOUT, &db->timeout);
	mysql_options(db->my, MYSQL_OPT_READ_TIMEOUT, &db->timeout);
	mysql_options(db->my, MYSQL_OPT_WRITE_TIMEOUT, &db->timeout);
	mysql_options(db->my, MYSQL_OPT_RECONNECT, &off);
	mysql_options(db->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (!*db->socket) {
		/* host/port means TCP, even for "localhost". */
		unsigned proto = MYSQL_PROTOCOL_TCP;

		mysql_options(db->my, MYSQL_OPT_PROTOCOL, &proto);
	}
	/* A lock wait must end well before the client's read timeout does
	 * (db_lock_wait).  (SET cannot be prepared; the number is ours.) */
	snprintf(init, sizeof(init), "SET SESSION innodb_lock_wait_timeout"
		 " = %u, lock_wait_timeout = %u", db->lock_wait,
		 db->lock_wait);
	mysql_options(db->my, MYSQL_INIT_COMMAND, init);
	probe = may_hang ? db_guard_probe(db) : 0;
	if (probe < 0) {
		explicit_bzero(pw, sizeof(pw));
		if (probe == -1)
			snprintf(db->err, sizeof(db->err), "connecting to "
				 "database %s as %s through %s: no greeting "
				 "from the server for %u ms, cut short for a "
				 "signal", db->name, db->user, where,
				 db->cut_ms);
		else
			snprintf(db->err, sizeof(db->err), "connecting to "
				 "database %s as %s through %s: no greeting "
				 "from the server within %u s "
				 "(database.timeout)", db->name, db->user,
				 where, db->timeout);
		db->last_errno = CR_SERVER_LOST;
		db_drop(db);
		return -1;
	}
	db_trip_begin(db);
	ok = mysql_real_connect(db->my, *db->socket ? NULL : db->host,
				db->user, *pw ? pw : NULL, db->name,
				*db->socket ? 0 : (unsigned)db->port,
				*db->socket ? db->socket : NULL, 0);
	db_trip_end(db);
	explicit_bzero(pw, sizeof(pw));
	if (!ok) {
		snprintf(db->err, sizeof(db->err),
			 "connecting to database %s as %s through %s: %s",
			 db->name, db->user, where, mysql_error(db->my));
		db->last_errno = mysql_errno(db->my);
		db_drop(db);
		return -1;
	}
	db->connected = true;
	if (mariadb_get_infov(db->my,
			      MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES,
			      &ext) == 0)
		db->bulk = ext & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32);
	else
		db->bulk = false;
	return 0;
}

/* The prepared statement for sql, from the cache or prepared now. */
static MYSQL_STMT *stmt_get(struct db *db, const char *sql)
{
	struct db_cached *c = NULL;
	MYSQL_STMT *st;
	size_t i, lru = 0;
	int rc;

	if (!db->connected) {
		db_internal(db, "not connected");
		db->last_errno = CR_SERVER_GONE_ERROR;
		return NULL;
	}
	/* The pointer finds the entry fast; the text must still match (a
	 * caller's buffer may hold another statement by now). */
	for (i = 0; i < db->n_cache; i++)
		if (db->cache[i].key == sql &&
		    strcmp(db->cache[i].sql, sql) == 0) {
			c = &db->cache[i];
			break;
		}
	if (!c)
		for (i = 0; i < db->n_cache; i++)
			if (strcmp(db->cache[i].sql, sql) == 0) {
				c = &db->cache[i];
				c->key = sql;
				break;
			}
	if (c) {
		c->used = ++db->clock;
		return c->st;
	}
	st = mysql_stmt_init(db->my);
	if (!st) {
		db_fail_my(db, "preparing a statement");
		return NULL;
	}
	db_trip_begin(db);
	rc = mysql_stmt_prepare(st, sql, strlen(sql));
	db_trip_end(db);
	if (rc != 0 && db->cut_ms) {
		db_fail_stmt(db, st, sql);
		mysql_stmt_close(st);
		return NULL;
	}
	if (rc != 0) {
		db_internal(db, "preparing \"%.120s\": %s", db_stmt_body(sql),
			    mysql_stmt_error(st));
		db->last_errno = mysql_stmt_errno(st);
		db_stmt_table(sql, db->table, sizeof(db->table));
		mysql_stmt_close(st);
		if (db_conn_lost(db->last_errno))
			db_drop(db);
		return NULL;
	}
	if (db->n_cache == DB_CACHE_SIZE) {
		for (i = 1; i < db->n_cache; i++)
			if (db->cache[i].used < db->cache[lru].used)
				lru = i;
		mysql_stmt_close(db->cache[lru].st);
		free(db->cache[lru].sql);
		db->cache[lru] = db->cache[--db->n_cache];
	}
	c = &db->cache[db->n_cache++];
	c->key = sql;
	c->sql = xstrdup(sql);
	c->st = st;
	c->used = ++db->clock;
	return st;
}

/* Forget a statement the server no longer knows (ER_NEED_REPREPARE). */
static void stmt_forget(struct db *db, MYSQL_STMT *st)
{
	size_t i;

	for (i = 0; i < db->n_cache; i++)
		if (db->cache[i].st == st) {
			mysql_stmt_close(st);
			free(db->cache[i].sql);
			db->cache[i] = db->cache[--db->n_cache];
			return;
		}
}

/* Parameter values of one execution, owned by the caller's stack. */
struct params {
	MYSQL_BIND b[DB_MAX_PARAMS];
	unsigned long len[DB_MAX_PARAMS];
	union {
		long long ll;
		unsigned long long ull;
		int i;
		double d;
	} v[DB_MAX_PARAMS];
	unsigned n;
};

static int bind_va(struct db *db, struct params *p, const char *types,
		   va_list ap)
{
	unsigned i;
	const char *s;

	memset(p, 0, sizeof(*p));
	p->n = (unsigned)strlen(types);
	if (p->n > DB_MAX_PARAMS) {
		db_internal(db, "too many parameters");
		return -1;
	}
	for (i = 0; i < p->n; i++) {
		MYSQL_BIND *b = &p->b[i];

		switch (types[i]) {
		case 's':
			s = va_arg(ap, const char *);
			if (!s) {
				b->buffer_type = MYSQL_TYPE_NULL;
				break;
			}
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = (void *)s;
			p->len[i] = strlen(s);
			b->buffer_length = p->len[i];
			b->length = &p->len[i];
			break;
		case 'l':
			p->v[i].ll = va_arg(ap, long long);
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &p->v[i].ll;
			break;
		case 'u':
			p->v[i].ull = va_arg(ap, unsigned long long);
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->is_unsigned = 1;
			b->buffer = &p->v[i].ull;
			break;
		case 'i':
			p->v[i].i = va_arg(ap, int);
			b->buffer_type = MYSQL_TYPE_LONG;
			b->buffer = &p->v[i].i;
			break;
		case 'd':
			p->v[i].d = va_arg(ap, double);
			b->buffer_type = MYSQL_TYPE_DOUBLE;
			b->buffer = &p->v[i].d;
			break;
		default:
			db_internal(db, "bad parameter type '%c'", types[i]);
			return -1;
		}
	}
	return 0;
}

/* Prepare (cached), bind and execute.  The statement, or NULL. */
static MYSQL_STMT *run(struct db *db, const char *sql, struct params *p)
{
	unsigned int zero = 0;
	MYSQL_STMT *st;
	int tries, rc;

	for (tries = 0; tries < 2; tries++) {
		st = stmt_get(db, sql);
		if (!st)
			return NULL;
		if (mysql_stmt_param_count(st) != p->n) {
			db_internal(db, "\"%.120s\" takes %lu parameters, "
				    "not %u", sql, mysql_stmt_param_count(st),
				    p->n);
			return NULL;
		}
		/* 0: plain execution (1 would mean an array of one). */
		mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &zero);
		if (p->n && mysql_stmt_bind_param(st, p->b)) {
			db_fail_stmt(db, st, "binding parameters");
			return NULL;
		}
		db_trip_begin(db);
		rc = mysql_stmt_execute(st);
		db_trip_end(db);
		if (rc == 0)
			return st;
		if (mysql_stmt_errno(st) == ER_NEED_REPREPARE && tries == 0) {
			stmt_forget(db, st);
			continue;
		}
		db_fail_stmt(db, st, sql);
		return NULL;
	}
	return NULL;
}

/* Read a statement's whole result (rows may still be on their way).
 * Not a round trip of its own: db->round_trips stays. */
static int store(struct db *db, MYSQL_STMT *st)
{
	int rc;

	db_trip_begin(db);
	db->round_trips--;
	rc = mysql_stmt_store_result(st);
	db_trip_end(db);
	return rc;
}

long long db_exec(struct db *db, const char *sql, const char *types, ...)
{
	struct params p;
	MYSQL_STMT *st;
	va_list ap;
	long long n;
	int rc;

	va_start(ap, types);
	rc = bind_va(db, &p, types, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	st = run(db, sql, &p);
	if (!st)
		return -1;
	n = (long long)mysql_stmt_affected_rows(st);
	if (mysql_stmt_field_count(st) > 0) {
		/* A statement with a result: read and drop it. */
		if (store(db, st) != 0)
			return db_fail_stmt(db, st, sql);
		n = (long long)mysql_stmt_num_rows(st);
		mysql_stmt_free_result(st);
	}
	return n < 0 ? 0 : n;
}

long long db_query(struct db *db, db_row_cb cb, void *arg, const char *sql,
		   const char *types, ...)
{
	struct params p;
	MYSQL_STMT *st;
	MYSQL_BIND *rb = NULL;
	unsigned long *len = NULL;
	my_bool *isnull = NULL, *trunc = NULL;
	char **buf = NULL, **cells = NULL;
	size_t *cap = NULL;
	unsigned ncols, i;
	long long rows = -1;
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = bind_va(db, &p, types, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	st = run(db, sql, &p);
	if (!st)
		return -1;
	ncols = mysql_stmt_field_count(st);
	if (ncols == 0)
		return 0;
	/* Buffered: the callback may run other statements meanwhile. */
	if (store(db, st) != 0)
		return db_fail_stmt(db, st, sql);
	rb = xcalloc(ncols, sizeof(*rb));
	len = xcalloc(ncols, sizeof(*len));
	isnull = xcalloc(ncols, sizeof(*isnull));
	trunc = xcalloc(ncols, sizeof(*trunc));
	buf = xcalloc(ncols, sizeof(*buf));
	cap = xcalloc(ncols, sizeof(*cap));
	cells = xcalloc(ncols, sizeof(*cells));
	for (i = 0; i < ncols; i++) {
		cap[i] = DB_CELL_BYTES;
		buf[i] = xmalloc(cap[i] + 1);
		rb[i].buffer_type = MYSQL_TYPE_STRING;
		rb[i].buffer = buf[i];
		rb[i].buffer_length = cap[i];
		rb[i].length = &len[i];
		rb[i].is_null = &isnull[i];
		rb[i].error = &trunc[i];
	}
	if (mysql_stmt_bind_result(st, rb) != 0) {
		db_fail_stmt(db, st, "binding results");
		goto out;
	}
	rows = 0;
	for (;;) {
		rc = mysql_stmt_fetch(st);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == 1) {
			db_fail_stmt(db, st, "fetching a row");
			rows = -1;
			break;
		}
		for (i = 0; i < ncols; i++) {
			if (isnull[i]) {
				cells[i] = NULL;
				continue;
			}
			if (rc == MYSQL_DATA_TRUNCATED && len[i] > cap[i]) {
				MYSQL_BIND one = rb[i];

				free(buf[i]);
				cap[i] = len[i];
				buf[i] = xmalloc(cap[i] + 1);
				one.buffer = buf[i];
				one.buffer_length = cap[i];
				if (mysql_stmt_fetch_column(st, &one, i, 0)) {
					db_fail_stmt(db, st, "fetching a cell");
					rows = -1;
					goto done;
				}
				/* Later rows go to the larger buffer. */
				rb[i].buffer = buf[i];
				rb[i].buffer_length = cap[i];
				mysql_stmt_bind_result(st, rb);
			}
			buf[i][len[i] < cap[i] ? len[i] : cap[i]] = '\0';
			cells[i] = buf[i];
		}
		rows++;
		if (cb && cb(arg, ncols, cells))
			break;
	}
done:
	if (db->connected)
		mysql_stmt_free_result(st);
out:
	for (i = 0; i < ncols; i++)
		free(buf[i]);
	free(rb);
	free(len);
	free(isnull);
	free(trunc);
	free(buf);
	free(cap);
	free(cells);
	return rows;
}

int db_begin(struct db *db)
{
	int rc;

	if (!db->connected)
		return db_fail(db, CR_SERVER_GONE_ERROR, "begin",
			       "not connected");
	db_trip_begin(db);
	rc = mysql_real_query(db->my, "START TRANSACTION", 17);
	db_trip_end(db);
	if (rc != 0)
		return db_fail_my(db, "START TRANSACTION");
	return 0;
}

int db_commit(struct db *db)
{
	int rc;

	if (!db->connected)
		return db_fail(db, CR_SERVER_GONE_ERROR, "commit",
			       "not connected");
	db_trip_begin(db);
	rc = mysql_commit(db->my);
	db_trip_end(db);
	if (rc != 0)
		return db_fail_my(db, "COMMIT");
	return 0;
}

int db_rollback(struct db *db)
{
	int rc;

	if (!db->connected)
		return 0;	/* the server rolls back a lost session */
	db_trip_begin(db);
	rc = mysql_rollback(db->my);
	db_trip_end(db);
	if (rc != 0) {
		/* Keep the error that led here; only note a lost link. */
		if (db_conn_lost(mysql_errno(db->my)))
			db_drop(db);
		return -1;
	}
	return 0;
}

/* ---- names ---- */

int db_check_name(const char *name, char *err, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t chars = 0;
	unsigned c, min;
	int more;

	if (!name || !*name)
		return tq_err(err, errlen, "empty name");
	while (*s) {
		c = *s++;
		if (c < 0x80) {
			more = 0;
			min = 0;
		} else if ((c & 0xe0) == 0xc0) {
			c &= 0x1f;
			more = 1;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			c &= 0x0f;
			more = 2;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			c &= 0x07;
			more = 3;
			min = 0x10000;
		} else {
			return tq_err(err, errlen, "not valid UTF-8");
		}
		for (; more > 0; more--) {
			if ((*s & 0xc0) != 0x80)
				return tq_err(err, errlen, "not valid UTF-8");
			c = (c << 6) | (*s++ & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return tq_err(err, errlen, "not valid UTF-8");
		if (c < 0x20 || (c >= 0x7f && c < 0xa0))
			return tq_err(err, errlen,
				      "contains a control character");
		if (++chars > DB_NAME_CHARS)
			return tq_err(err, errlen, "longer than %d characters",
				      DB_NAME_CHARS);
	}
	return 0;
}

/* ---- bulk execution ---- */

int db_bulk_exec(struct db *db, const char *sql, unsigned nrows,
		 const struct db_col *cols, unsigned ncols)
{
	MYSQL_BIND b[DB_MAX_PARAMS];
	MYSQL_STMT *st;
	unsigned j, r, step, size;
	int rc;

	if (nrows == 0)
		return 0;
	st = stmt_get(db, sql);
	if (!st)
		return -1;
	if (mysql_stmt_param_count(st) != ncols || ncols > DB_MAX_PARAMS) {
		db_internal(db, "\"%.120s\": parameter count mismatch", sql);
		return -1;
	}
	step = db->bulk ? nrows : 1;
	for (r = 0; r < nrows; r += step) {
		size = db->bulk ? nrows : 0;
		memset(b, 0, sizeof(b));
		for (j = 0; j < ncols; j++) {
			const struct db_col *c = &cols[j];

			switch (c->type) {
			case 's':
				b[j].buffer_type = MYSQL_TYPE_STRING;
				if (db->bulk) {
					/* column-wise: array of pointers */
					b[j].buffer = (void *)c->s;
					b[j].length = c->len;
				} else {
					b[j].buffer = (void *)c->s[r];
					b[j].buffer_length = c->len[r];
					b[j].length = &c->len[r];
				}
				break;
			case 'l':
				b[j].buffer_type = MYSQL_TYPE_LONGLONG;
				b[j].buffer = (void *)(db->bulk ? c->l :
						       c->l + r);
				break;
			default:
				b[j].buffer_type = MYSQL_TYPE_LONG;
				b[j].buffer = (void *)(db->bulk ? c->i :
						       c->i + r);
				break;
			}
		}
		mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &size);
		if (mysql_stmt_bind_param(st, b))
			return db_fail_stmt(db, st, "binding parameters");
		db_trip_begin(db);
		rc = mysql_stmt_execute(st);
		db_trip_end(db);
		if (rc != 0)
			return db_fail_stmt(db, st, sql);
	}
	size = 0;
	mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &size);
	return 0;
}
