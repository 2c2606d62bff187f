/* db.c - MariaDB access through Connector/C, prepared statements only.
 *
 * Statements are prepared once per connection and kept in a small cache
 * keyed by their SQL text, so a poll costs executions only.  Per-user and
 * per-row writes of a poll use MariaDB's bulk execution (an array of
 * parameter sets sent in one COM_STMT_BULK_EXECUTE): one round trip per
 * statement whatever the number of rows.  Against a server without bulk
 * support the rows are executed one by one (correct, not constant).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>

#include "db.h"
#include "util.h"

#define DB_CACHE_SIZE 48
#define DB_MAX_PARAMS 16
#define DB_CELL_BYTES 256
#define DB_RETRIES 5

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
	char err[1024];
	unsigned last_errno;
	uint64_t round_trips;
	uint64_t clock;
	struct db_cached cache[DB_CACHE_SIZE];
	size_t n_cache;
};

static void cache_clear(struct db *db)
{
	size_t i;

	for (i = 0; i < db->n_cache; i++) {
		mysql_stmt_close(db->cache[i].st);
		free(db->cache[i].sql);
	}
	db->n_cache = 0;
}

static void drop(struct db *db)
{
	cache_clear(db);
	if (db->my)
		mysql_close(db->my);
	db->my = NULL;
	db->connected = false;
}

/* Errors after which the connection is unusable. */
static bool conn_lost(unsigned e)
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

static int fail(struct db *db, unsigned e, const char *what, const char *msg)
{
	/* what may be a statement's text: its start says which one. */
	snprintf(db->err, sizeof(db->err), "%.100s%s: %s", what,
		 strlen(what) > 100 ? "..." : "",
		 msg && *msg ? msg : "unknown error");
	db->last_errno = e;
	if (conn_lost(e)) {
		drop(db);
		strncat(db->err, " (connection lost)",
			sizeof(db->err) - strlen(db->err) - 1);
	}
	return -1;
}

static int fail_stmt(struct db *db, MYSQL_STMT *st, const char *what)
{
	return fail(db, mysql_stmt_errno(st), what, mysql_stmt_error(st));
}

static int fail_my(struct db *db, const char *what)
{
	return fail(db, mysql_errno(db->my), what, mysql_error(db->my));
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
	return db;
}

void db_free(struct db *db)
{
	if (!db)
		return;
	drop(db);
	free(db->socket);
	free(db->host);
	free(db->name);
	free(db->user);
	free(db->pwfile);
	free(db);
}

void db_disconnect(struct db *db)
{
	drop(db);
}

bool db_is_connected(const struct db *db)
{
	return db && db->connected;
}

const char *db_error(const struct db *db)
{
	return db->err;
}

int db_last_dup(const struct db *db)
{
	return db->last_errno == ER_DUP_ENTRY;
}

bool db_last_transient(const struct db *db)
{
	if (conn_lost(db->last_errno))
		return true;
	switch (db->last_errno) {
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_LOCK_TABLE_FULL:
	case ER_STATEMENT_TIMEOUT:
	case ER_QUERY_INTERRUPTED:
	case ER_CON_COUNT_ERROR:
	case ER_TOO_MANY_USER_CONNECTIONS:
	case ER_OPTION_PREVENTS_STATEMENT:	/* read_only */
	case ER_DISK_FULL:
	case ER_RECORD_FILE_FULL:
	case ER_OUT_OF_RESOURCES:
	case ER_OUTOFMEMORY:
		return true;
	}
	return false;
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

	drop(db);
	db->err[0] = '\0';
	db->last_errno = 0;
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
	/* A lock wait must end before the client's read timeout does.  (SET
	 * cannot be prepared; the number is the configuration's, 1..300.) */
	snprintf(init, sizeof(init), "SET SESSION innodb_lock_wait_timeout"
		 " = %u", db->timeout);
	mysql_options(db->my, MYSQL_INIT_COMMAND, init);
	db->round_trips++;
	ok = mysql_real_connect(db->my, *db->socket ? NULL : db->host,
				db->user, *pw ? pw : NULL, db->name,
				*db->socket ? 0 : (unsigned)db->port,
				*db->socket ? db->socket : NULL, 0);
	explicit_bzero(pw, sizeof(pw));
	if (!ok) {
		snprintf(db->err, sizeof(db->err),
			 "connecting to database %s as %s through %s: %s",
			 db->name, db->user, where, mysql_error(db->my));
		db->last_errno = mysql_errno(db->my);
		drop(db);
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

	if (!db->connected) {
		snprintf(db->err, sizeof(db->err), "not connected");
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
		fail_my(db, "preparing a statement");
		return NULL;
	}
	db->round_trips++;
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		snprintf(db->err, sizeof(db->err), "preparing \"%.120s\": %s",
			 sql, mysql_stmt_error(st));
		db->last_errno = mysql_stmt_errno(st);
		mysql_stmt_close(st);
		if (conn_lost(db->last_errno))
			drop(db);
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
		snprintf(db->err, sizeof(db->err), "too many parameters");
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
			snprintf(db->err, sizeof(db->err),
				 "bad parameter type '%c'", types[i]);
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
	int tries;

	for (tries = 0; tries < 2; tries++) {
		st = stmt_get(db, sql);
		if (!st)
			return NULL;
		if (mysql_stmt_param_count(st) != p->n) {
			snprintf(db->err, sizeof(db->err),
				 "\"%.120s\" takes %lu parameters, not %u", sql,
				 mysql_stmt_param_count(st), p->n);
			db->last_errno = 0;
			return NULL;
		}
		/* 0: plain execution (1 would mean an array of one). */
		mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &zero);
		if (p->n && mysql_stmt_bind_param(st, p->b)) {
			fail_stmt(db, st, "binding parameters");
			return NULL;
		}
		db->round_trips++;
		if (mysql_stmt_execute(st) == 0)
			return st;
		if (mysql_stmt_errno(st) == ER_NEED_REPREPARE && tries == 0) {
			stmt_forget(db, st);
			continue;
		}
		fail_stmt(db, st, sql);
		return NULL;
	}
	return NULL;
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
		if (mysql_stmt_store_result(st) != 0)
			return fail_stmt(db, st, sql);
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
	if (mysql_stmt_store_result(st) != 0)
		return fail_stmt(db, st, sql);
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
		fail_stmt(db, st, "binding results");
		goto out;
	}
	rows = 0;
	for (;;) {
		rc = mysql_stmt_fetch(st);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == 1) {
			fail_stmt(db, st, "fetching a row");
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
					fail_stmt(db, st, "fetching a cell");
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
	if (!db->connected)
		return fail(db, CR_SERVER_GONE_ERROR, "begin", "not connected");
	db->round_trips++;
	if (mysql_real_query(db->my, "START TRANSACTION", 17) != 0)
		return fail_my(db, "START TRANSACTION");
	return 0;
}

int db_commit(struct db *db)
{
	if (!db->connected)
		return fail(db, CR_SERVER_GONE_ERROR, "commit",
			    "not connected");
	db->round_trips++;
	if (mysql_commit(db->my) != 0)
		return fail_my(db, "COMMIT");
	return 0;
}

int db_rollback(struct db *db)
{
	if (!db->connected)
		return 0;	/* the server rolls back a lost session */
	db->round_trips++;
	if (mysql_rollback(db->my) != 0) {
		/* Keep the error that led here; only note a lost link. */
		if (conn_lost(mysql_errno(db->my)))
			drop(db);
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

/* ---- the snapshot ---- */

static long long cell_ll(const char *s)
{
	char *end;
	long long v;

	if (!s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno)
		return 0;
	return v;
}

static int cell_int(const char *s)
{
	long long v = cell_ll(s);

	if (v > 2147483647LL || v < -2147483647LL)
		return 0;
	return (int)v;
}

struct users_acc {
	struct db_snapshot *s;
	size_t cap;
};

static int users_cb(void *arg, unsigned ncols, char **c)
{
	struct users_acc *a = arg;
	struct db_user *u;

	if (ncols < 4 || !c[0] || strlen(c[0]) >= DB_NAME_BYTES)
		return 0;
	xgrow(&a->s->users, &a->cap, a->s->n_users + 1, sizeof(*u));
	u = &a->s->users[a->s->n_users++];
	memset(u, 0, sizeof(*u));
	tq_strlcpy(u->name, c[0], sizeof(u->name));
	u->quota = cell_ll(c[1]);
	u->allowed = cell_ll(c[2]) != 0;
	u->in_tcptab = cell_ll(c[3]) != 0;
	return 0;
}

struct masq_acc {
	struct db_snapshot *s;
	size_t cap;
};

static int masq_cb(void *arg, unsigned ncols, char **c)
{
	struct masq_acc *a = arg;
	struct db_masq *m;

	if (ncols < 7)
		return 0;
	xgrow(&a->s->masq, &a->cap, a->s->n_masq + 1, sizeof(*m));
	m = &a->s->masq[a->s->n_masq++];
	memset(m, 0, sizeof(*m));
	if (c[0] && tq_strlcpy(m->host, c[0], sizeof(m->host)) >=
	    sizeof(m->host))
		m->host_toolong = true;
	if (c[1] && tq_strlcpy(m->name, c[1], sizeof(m->name)) >=
	    sizeof(m->name))
		m->name_toolong = true;
	m->open = cell_int(c[2]);
	m->tic = cell_ll(c[3]);
	m->free = cell_int(c[4]);
	m->counter = cell_ll(c[5]);
	m->cnts = cell_int(c[6]);
	return 0;
}

static int user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct db_user *)a)->name,
		      ((const struct db_user *)b)->name);
}

int db_snapshot(struct db *db, const char *gateway, struct db_snapshot *out)
{
	struct users_acc ua;
	struct masq_acc ma;

	memset(out, 0, sizeof(*out));
	ua.s = out;
	ua.cap = 0;
	if (db_query(db, users_cb, &ua,
		     "SELECT t.name, t.quota, a.name IS NOT NULL, 1"
		     " FROM tcptab t LEFT JOIN allowed a ON a.name = t.name"
		     " UNION ALL"
		     " SELECT a.name, 0, 1, 0"
		     " FROM allowed a LEFT JOIN tcptab t ON t.name = a.name"
		     " WHERE t.name IS NULL", "") < 0)
		goto err;
	/* strcmp order, whatever the collation sorted by. */
	if (out->n_users > 1)
		qsort(out->users, out->n_users, sizeof(*out->users),
		      user_cmp);
	ma.s = out;
	ma.cap = 0;
	if (db_query(db, masq_cb, &ma,
		     "SELECT host, name, `open`, tic, `free`, counter, cnts"
		     " FROM masq WHERE gateway = ? ORDER BY host", "s",
		     gateway) < 0)
		goto err;
	return 0;
err:
	db_snapshot_free(out);
	return -1;
}

void db_snapshot_free(struct db_snapshot *s)
{
	free(s->users);
	free(s->masq);
	memset(s, 0, sizeof(*s));
}

/* ---- applying a poll ---- */

/* One column of a bulk statement: n values of one type. */
struct col {
	char type;		/* 's', 'l', 'i' */
	const char **s;
	unsigned long *len;
	const long long *l;
	const int *i;
};

/* Execute sql once per row of the columns, in one round trip when the
 * server takes parameter arrays.  0 / -1. */
static int bulk_exec(struct db *db, const char *sql, unsigned nrows,
		     const struct col *cols, unsigned ncols)
{
	MYSQL_BIND b[DB_MAX_PARAMS];
	MYSQL_STMT *st;
	unsigned j, r, step, size;

	if (nrows == 0)
		return 0;
	st = stmt_get(db, sql);
	if (!st)
		return -1;
	if (mysql_stmt_param_count(st) != ncols || ncols > DB_MAX_PARAMS) {
		snprintf(db->err, sizeof(db->err),
			 "\"%.120s\": parameter count mismatch", sql);
		db->last_errno = 0;
		return -1;
	}
	step = db->bulk ? nrows : 1;
	for (r = 0; r < nrows; r += step) {
		size = db->bulk ? nrows : 0;
		memset(b, 0, sizeof(b));
		for (j = 0; j < ncols; j++) {
			const struct col *c = &cols[j];

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
			return fail_stmt(db, st, "binding parameters");
		db->round_trips++;
		if (mysql_stmt_execute(st) != 0)
			return fail_stmt(db, st, sql);
	}
	size = 0;
	mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &size);
	return 0;
}

static int debit_cmp(const void *a, const void *b)
{
	return strcmp(((const struct db_debit *)a)->name,
		      ((const struct db_debit *)b)->name);
}

/* The poll's per-row parameter arrays. */
struct apply_cols {
	struct db_debit *d;	/* sorted, merged */
	unsigned nd;
	const char **dname;
	unsigned long *dlen;
	long long *amount;
	long long *when;
	const char **gw;
	unsigned long *gwlen;
	/* masq updates */
	unsigned nu;
	int *set_open, *open, *tic, *counter, *set_cnts, *cnts;
	const char **uhost;
	unsigned long *uhlen;
	/* masq deletes */
	unsigned ndel;
	const char **dhost;
	unsigned long *dhlen;
};

static void cols_free(struct apply_cols *a)
{
	free(a->d);
	free(a->dname);
	free(a->dlen);
	free(a->amount);
	free(a->when);
	free(a->gw);
	free(a->gwlen);
	free(a->set_open);
	free(a->open);
	free(a->tic);
	free(a->counter);
	free(a->set_cnts);
	free(a->cnts);
	free(a->uhost);
	free(a->uhlen);
	free(a->dhost);
	free(a->dhlen);
}

static int cols_build(struct db *db, const char *gateway,
		      const struct db_poll *p, struct apply_cols *a)
{
	size_t i, n, nmax;
	char e[128];

	memset(a, 0, sizeof(*a));
	a->d = xcalloc(p->n_debits + 1, sizeof(*a->d));
	for (i = 0; i < p->n_debits; i++) {
		if (db_check_name(p->debits[i].name, e, sizeof(e)) < 0) {
			snprintf(db->err, sizeof(db->err),
				 "debit for user \"%.80s\": %s",
				 p->debits[i].name, e);
			db->last_errno = 0;
			return -1;
		}
		a->d[i] = p->debits[i];
	}
	/* Sorted, one row per user: every transaction locks users in the
	 * same order, so concurrent gateways do not deadlock. */
	n = p->n_debits;
	if (n > 1)
		qsort(a->d, n, sizeof(*a->d), debit_cmp);
	for (i = 0, a->nd = 0; i < n; i++) {
		if (a->nd && strcmp(a->d[a->nd - 1].name, a->d[i].name) == 0)
			a->d[a->nd - 1].amount += a->d[i].amount;
		else
			a->d[a->nd++] = a->d[i];
	}
	nmax = (a->nd > p->n_ops ? a->nd : p->n_ops) + 1;
	a->dname = xcalloc(nmax, sizeof(*a->dname));
	a->dlen = xcalloc(nmax, sizeof(*a->dlen));
	a->amount = xcalloc(nmax, sizeof(*a->amount));
	a->when = xcalloc(nmax, sizeof(*a->when));
	a->gw = xcalloc(nmax, sizeof(*a->gw));
	a->gwlen = xcalloc(nmax, sizeof(*a->gwlen));
	for (i = 0; i < nmax; i++) {
		a->gw[i] = gateway;
		a->gwlen[i] = strlen(gateway);
		a->when[i] = (long long)p->when;
	}
	for (i = 0; i < a->nd; i++) {
		a->dname[i] = a->d[i].name;
		a->dlen[i] = strlen(a->d[i].name);
		a->amount[i] = a->d[i].amount;
	}
	a->set_open = xcalloc(nmax, sizeof(int));
	a->open = xcalloc(nmax, sizeof(int));
	a->tic = xcalloc(nmax, sizeof(int));
	a->counter = xcalloc(nmax, sizeof(int));
	a->set_cnts = xcalloc(nmax, sizeof(int));
	a->cnts = xcalloc(nmax, sizeof(int));
	a->uhost = xcalloc(nmax, sizeof(*a->uhost));
	a->uhlen = xcalloc(nmax, sizeof(*a->uhlen));
	a->dhost = xcalloc(nmax, sizeof(*a->dhost));
	a->dhlen = xcalloc(nmax, sizeof(*a->dhlen));
	for (i = 0; i < p->n_ops; i++) {
		const struct db_masq_op *op = &p->ops[i];
		size_t hl = strnlen(op->host, sizeof(op->host));

		if (hl == sizeof(op->host)) {
			snprintf(db->err, sizeof(db->err),
				 "masq operation: host not terminated");
			db->last_errno = 0;
			return -1;
		}
		if (op->kind == DBM_DELETE) {
			a->dhost[a->ndel] = op->host;
			a->dhlen[a->ndel++] = hl;
			continue;
		}
		a->uhost[a->nu] = op->host;
		a->uhlen[a->nu] = hl;
		a->set_open[a->nu] = op->set_open;
		a->open[a->nu] = op->open;
		a->tic[a->nu] = op->tic_dec;
		a->counter[a->nu] = op->counter_inc;
		a->set_cnts[a->nu] = op->set_cnts;
		a->cnts[a->nu++] = op->cnts;
	}
	return 0;
}

/* One attempt: 0 applied, 1 duplicate, -1 error (rolled back). */
static int apply_once(struct db *db, const char *gateway,
		      const struct db_poll *p, const struct apply_cols *a)
{
	long long n;

	if (db_begin(db) < 0)
		return -1;
	if (db_exec(db, "INSERT INTO poll_applied (gateway, id, total)"
		    " VALUES (?, ?, ?)", "sul", gateway,
		    (unsigned long long)p->id, p->total) < 0) {
		if (db_last_dup(db)) {
			db_rollback(db);
			return 1;
		}
		goto err;
	}
	{
		const struct col c[] = {
			{ .type = 's', .s = a->dname, .len = a->dlen },
			{ .type = 'l', .l = a->amount },
			{ .type = 'l', .l = a->amount },
		};
		if (bulk_exec(db, "INSERT INTO tcptab (name, quota)"
			      " VALUES (?, 0 - ?)"
			      " ON DUPLICATE KEY UPDATE quota = quota - ?",
			      a->nd, c, ARRAY_SIZE(c)) < 0)
			goto err;
	}
	{
		const struct col c[] = {
			{ .type = 's', .s = a->dname, .len = a->dlen },
			{ .type = 'l', .l = a->when },
			{ .type = 'l', .l = a->amount },
		};
		if (bulk_exec(db, "INSERT INTO debits (name, day, seconds,"
			      " polls) VALUES (?, DATE(FROM_UNIXTIME(?)), ?, 1)"
			      " ON DUPLICATE KEY UPDATE"
			      " seconds = seconds + VALUES(seconds),"
			      " polls = polls + 1",
			      a->nd, c, ARRAY_SIZE(c)) < 0)
			goto err;
	}
	if (p->total != 0) {
		n = db_exec(db, "UPDATE periodtab SET quota = quota + ?"
			    " ORDER BY id DESC LIMIT 1", "l", p->total);
		if (n < 0)
			goto err;
		if (n == 0 && db_exec(db, "INSERT INTO periodtab (period,"
				      " quota) VALUES (NOW(), ?)", "l",
				      p->total) < 0)
			goto err;
	}
	{
		const struct col c[] = {
			{ .type = 'i', .i = a->set_open },
			{ .type = 'i', .i = a->open },
			{ .type = 'i', .i = a->tic },
			{ .type = 'i', .i = a->counter },
			{ .type = 'i', .i = a->set_cnts },
			{ .type = 'i', .i = a->cnts },
			{ .type = 's', .s = a->gw, .len = a->gwlen },
			{ .type = 's', .s = a->uhost, .len = a->uhlen },
		};
		if (bulk_exec(db, "UPDATE masq SET"
			      " `open` = IF(?, ?, `open`), tic = tic - ?,"
			      " counter = counter + ?,"
			      " cnts = IF(?, ?, cnts)"
			      " WHERE gateway = ? AND host = ?",
			      a->nu, c, ARRAY_SIZE(c)) < 0)
			goto err;
	}
	{
		const struct col c[] = {
			{ .type = 's', .s = a->gw, .len = a->gwlen },
			{ .type = 's', .s = a->dhost, .len = a->dhlen },
		};
		if (bulk_exec(db, "DELETE FROM masq WHERE gateway = ?"
			      " AND host = ?", a->ndel, c, ARRAY_SIZE(c)) < 0)
			goto err;
	}
	if (db_commit(db) < 0)
		return -1;
	return 0;
err:
	{
		char keep[sizeof(db->err)];
		unsigned e = db->last_errno;

		memcpy(keep, db->err, sizeof(keep));
		db_rollback(db);
		memcpy(db->err, keep, sizeof(keep));
		db->last_errno = e;
	}
	return -1;
}

int db_apply(struct db *db, const char *gateway, const struct db_poll *p)
{
	struct apply_cols a;
	int rc = -1, tries;

	if (!gateway || !*gateway) {
		snprintf(db->err, sizeof(db->err), "empty gateway id");
		db->last_errno = 0;
		return -1;
	}
	if (cols_build(db, gateway, p, &a) < 0)
		goto out;
	for (tries = 0; tries < DB_RETRIES; tries++) {
		rc = apply_once(db, gateway, p, &a);
		if (rc >= 0 || !db->connected)
			break;
		/* Lost a lock race: the transaction is gone; run it again. */
		if (db->last_errno != ER_LOCK_DEADLOCK &&
		    db->last_errno != ER_LOCK_WAIT_TIMEOUT)
			break;
	}
out:
	cols_free(&a);
	return rc;
}

int db_masq_clear(struct db *db, const char *gateway)
{
	return db_exec(db, "DELETE FROM masq WHERE gateway = ?", "s",
		       gateway) < 0 ? -1 : 0;
}

long long db_prune_applied(struct db *db, const char *gateway, int days,
			   int max)
{
	return db_exec(db, "DELETE FROM poll_applied WHERE gateway = ?"
		       " AND applied_at < NOW() - INTERVAL ? DAY LIMIT ?",
		       "sii", gateway, days, max);
}
