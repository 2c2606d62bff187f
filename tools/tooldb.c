/* tooldb.c - the tools' queries (prepared statements only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "masq.h"
#include "toolctx.h"
#include "tooldb.h"
#include "util.h"

static long long cell_ll(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

static int user_cb(void *arg, unsigned ncols, char **cells)
{
	struct tooldb_user *u = arg;

	if (ncols < 3)
		return 1;
	u->in_tcptab = cells[0] && strcmp(cells[0], "1") == 0;
	u->quota = cell_ll(cells[1]);
	u->allowed = cells[2] && strcmp(cells[2], "1") == 0;
	return 0;
}

int tooldb_user_get(struct db *db, const char *name, struct tooldb_user *u)
{
	memset(u, 0, sizeof(*u));
	if (db_query(db, user_cb, u,
		     "SELECT (SELECT COUNT(*) FROM tcptab WHERE name = ?),"
		     " (SELECT COALESCE(MAX(quota), 0) FROM tcptab"
		     "  WHERE name = ?),"
		     " (SELECT COUNT(*) FROM allowed WHERE name = ?)",
		     "sss", name, name, name) < 0)
		return -1;
	return 0;
}

#define MASQ_COLS "host, name, gateway, open, free, cnts, tic, counter, " \
	"COALESCE(DATE_FORMAT(opened_at, '%Y-%m-%d %H:%i:%s'), '')"

static void masq_from_cells(struct tooldb_masq *m, char **c)
{
	memset(m, 0, sizeof(*m));
	tq_strlcpy(m->host, c[0] ? c[0] : "", sizeof(m->host));
	tq_strlcpy(m->name, c[1] ? c[1] : "", sizeof(m->name));
	tq_strlcpy(m->gateway, c[2] ? c[2] : "", sizeof(m->gateway));
	m->open = (int)cell_ll(c[3]);
	m->free = (int)cell_ll(c[4]);
	m->cnts = (int)cell_ll(c[5]);
	m->tic = cell_ll(c[6]);
	m->counter = cell_ll(c[7]);
	tq_strlcpy(m->opened_at, c[8] ? c[8] : "", sizeof(m->opened_at));
}

static int masq_one_cb(void *arg, unsigned ncols, char **cells)
{
	if (ncols < 9)
		return 1;
	masq_from_cells(arg, cells);
	return 1;
}

int tooldb_masq_get(struct db *db, const char *gw, const char *host,
		    struct tooldb_masq *out)
{
	long long n;

	n = db_query(db, masq_one_cb, out,
		     "SELECT " MASQ_COLS " FROM masq"
		     " WHERE gateway = ? AND host = ?", "ss", gw, host);
	if (n < 0)
		return -1;
	return n > 0;
}

struct masq_same {
	struct tq_addr addr;
	struct tooldb_masq *out;
	bool found;
};

static int masq_same_cb(void *arg, const struct tooldb_masq *m)
{
	struct masq_same *f = arg;
	struct tq_addr a;

	if (addr_parse(m->host, &a) < 0 || !addr_equal(&a, &f->addr))
		return 0;
	*f->out = *m;
	f->found = true;
	return 1;
}

int tooldb_masq_find(struct db *db, const char *gw, const char *host,
		     struct tooldb_masq *out)
{
	struct masq_same f = { .out = out };
	int rc = tooldb_masq_get(db, gw, host, out);

	if (rc != 0 || addr_parse(host, &f.addr) < 0)
		return rc;
	/* Rows are few (one per opened host): compare them all. */
	if (tooldb_masq_list(db, gw, NULL, masq_same_cb, &f) < 0)
		return -1;
	return f.found;
}

int tooldb_masq_insert(struct db *db, const char *gw,
		       const struct tooldb_new *n, int open, long long tic)
{
	char canon[TQ_ADDRSTRLEN];
	struct tooldb_masq m;
	int rc;

	if (addr_canon(n->host, canon, sizeof(canon)) < 0 ||
	    strcmp(canon, n->host) != 0) {
		db_set_error(db, "masq host \"%.64s\" is not an address in "
			     "its canonical form", n->host);
		return -1;
	}
	rc = tooldb_masq_find(db, gw, n->host, &m);
	if (rc != 0)
		return rc;
	if (db_exec(db, "INSERT INTO masq (gateway, host, name, open, tic,"
		    " free, cnts, counter, opened_at, updated_at, mac, via)"
		    " VALUES (?, ?, ?, ?, ?, ?, 0, 0, NOW(), NOW(), ?, ?)",
		    "sssiliss", gw, n->host, n->name, open, tic, n->free,
		    n->mac, n->via) < 0)
		return db_last_dup(db) ? 1 : -1;
	return 0;
}

long long tooldb_masq_set_open(struct db *db, const char *gw,
			       const char *host, const char *name, int open)
{
	if (name)
		return db_exec(db, "UPDATE masq SET open = ?,"
			       " updated_at = NOW() WHERE gateway = ? AND"
			       " host = ? AND name = ?", "isss", open, gw,
			       host, name);
	return db_exec(db, "UPDATE masq SET open = ?, updated_at = NOW()"
		       " WHERE gateway = ? AND host = ?", "iss", open, gw,
		       host);
}

long long tooldb_masq_set_tic(struct db *db, const char *gw, const char *host,
			      const char *name, long long tic)
{
	return db_exec(db, "UPDATE masq SET tic = ? WHERE gateway = ? AND"
		       " host = ? AND name = ?", "lsss", tic, gw, host, name);
}

long long tooldb_masq_delete(struct db *db, const char *gw, const char *host,
			     const char *name)
{
	if (name)
		return db_exec(db, "DELETE FROM masq WHERE gateway = ? AND"
			       " host = ? AND name = ?", "sss", gw, host,
			       name);
	return db_exec(db, "DELETE FROM masq WHERE gateway = ? AND host = ?",
		       "ss", gw, host);
}

struct masq_list {
	tooldb_masq_cb cb;
	void *arg;
};

static int masq_list_cb(void *arg, unsigned ncols, char **cells)
{
	struct masq_list *l = arg;
	struct tooldb_masq m;

	if (ncols < 9)
		return 1;
	masq_from_cells(&m, cells);
	return l->cb(l->arg, &m);
}

long long tooldb_masq_list(struct db *db, const char *gw, const char *name,
			   tooldb_masq_cb cb, void *arg)
{
	struct masq_list l = { cb, arg };

	return db_query(db, masq_list_cb, &l,
			"SELECT " MASQ_COLS " FROM masq"
			" WHERE (? IS NULL OR gateway = ?)"
			" AND (? IS NULL OR name = ?)"
			" ORDER BY gateway, host", "ssss", gw, gw, name, name);
}

int tooldb_wait(struct db *db, const char *gw, const char *host, int want,
		int timeout_ms, struct tooldb_masq *last)
{
	uint64_t end = tq_now_us() + (uint64_t)timeout_ms * 1000;
	struct tooldb_masq m;
	unsigned step = 2;	/* ms: the daemon answers in a few */
	int rc;

	for (;;) {
		rc = tooldb_masq_get(db, gw, host, &m);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return want == MASQ_CLOSED ? TOOLDB_WAIT_OK :
						     TOOLDB_WAIT_GONE;
		if (last)
			*last = m;
		if (m.open == want)
			return TOOLDB_WAIT_OK;
		/* An open request answered with "closed" is a refusal too. */
		if (want == MASQ_OPENED && m.open == MASQ_CLOSED)
			return TOOLDB_WAIT_GONE;
		if (tq_now_us() >= end)
			return TOOLDB_WAIT_TIMEOUT;
		/* Looked at again soon, then less often: 2, 4, ... 50 ms. */
		toolctx_sleep_ms((int)step);
		step = step * 2 > 50 ? 50 : step * 2;
	}
}

int tooldb_log(struct db *db, bool openfw, const char *who,
	       const char *action)
{
	const char *sql = openfw ?
		"INSERT INTO logging_openfw (`when`, user, action)"
		" VALUES (NOW(), ?, ?)" :
		"INSERT INTO logging (`when`, user, action)"
		" VALUES (NOW(), ?, ?)";

	return db_exec(db, sql, "ss", who, action) < 0 ? -1 : 0;
}

/* Begin a change the tool logs itself: the audit triggers of tcptab and
 * allowed (sql/migrations/002-audit.sql) leave the transaction's changes
 * to the tool's own row.  0 / -1. */
static int begin_logged(struct db *db)
{
	if (db_begin(db) < 0)
		return -1;
	if (db_exec(db, "SET @tcpquota_logged = 1", "") < 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/* Run the change and its log row in one transaction; after it, the
 * session's changes are the triggers' to log again (after a failure the
 * error is kept for the caller: the tool changes nothing unlogged). */
static int finish(struct db *db, int rc)
{
	if (rc < 0) {
		db_rollback(db);
		return -1;
	}
	if (db_commit(db) < 0)
		return -1;
	db_exec(db, "SET @tcpquota_logged = NULL", "");
	return rc;
}

int tooldb_allow(struct db *db, const char *who, const char *name)
{
	char action[DB_NAME_BYTES + 32];
	long long n;

	if (begin_logged(db) < 0)
		return -1;
	n = db_exec(db, "INSERT IGNORE INTO allowed (name) VALUES (?)", "s",
		    name);
	if (n >= 0 && db_exec(db, "INSERT IGNORE INTO tcptab (name, quota)"
			      " VALUES (?, 0)", "s", name) < 0)
		n = -1;
	if (n > 0) {
		snprintf(action, sizeof(action), "allow %s", name);
		if (tooldb_log(db, false, who, action) < 0)
			n = -1;
	}
	return finish(db, n < 0 ? -1 : n > 0);
}

int tooldb_deny(struct db *db, const char *who, const char *name)
{
	char action[DB_NAME_BYTES + 32];
	long long n;

	if (begin_logged(db) < 0)
		return -1;
	n = db_exec(db, "DELETE FROM allowed WHERE name = ?", "s", name);
	if (n > 0) {
		snprintf(action, sizeof(action), "deny %s", name);
		if (tooldb_log(db, false, who, action) < 0)
			n = -1;
	}
	return finish(db, n < 0 ? -1 : n > 0);
}

static int quota_cb(void *arg, unsigned ncols, char **cells)
{
	long long *q = arg;

	if (ncols >= 1)
		*q = cell_ll(cells[0]);
	return 1;
}

int tooldb_set(struct db *db, const char *who, const char *name,
	       long long seconds, long long *old)
{
	char action[DB_NAME_BYTES + 96];
	int rc = 0;

	*old = 0;
	if (begin_logged(db) < 0)
		return -1;
	if (db_query(db, quota_cb, old, "SELECT quota FROM tcptab"
		     " WHERE name = ? FOR UPDATE", "s", name) < 0 ||
	    db_exec(db, "INSERT INTO tcptab (name, quota) VALUES (?, ?)"
		    " ON DUPLICATE KEY UPDATE quota = VALUES(quota)", "sl",
		    name, seconds) < 0)
		rc = -1;
	if (!rc) {
		snprintf(action, sizeof(action), "set %s %lld (was %lld)",
			 name, seconds, *old);
		rc = tooldb_log(db, false, who, action);
	}
	return finish(db, rc);
}

int tooldb_add(struct db *db, const char *who, const char *name,
	       long long delta, long long *now)
{
	char action[DB_NAME_BYTES + 96];
	int rc = 0;

	*now = 0;
	if (begin_logged(db) < 0)
		return -1;
	if (db_exec(db, "INSERT INTO tcptab (name, quota) VALUES (?, ?)"
		    " ON DUPLICATE KEY UPDATE quota = quota + VALUES(quota)",
		    "sl", name, delta) < 0 ||
	    db_query(db, quota_cb, now, "SELECT quota FROM tcptab"
		     " WHERE name = ?", "s", name) < 0)
		rc = -1;
	if (!rc) {
		snprintf(action, sizeof(action), "add %s %+lld (now %lld)",
			 name, delta, *now);
		rc = tooldb_log(db, false, who, action);
	}
	return finish(db, rc);
}

static int id_cb(void *arg, unsigned ncols, char **cells)
{
	long long *id = arg;

	if (ncols >= 1)
		*id = cell_ll(cells[0]);
	return 1;
}

int tooldb_period_new(struct db *db, const char *who, long long *id)
{
	char action[64];
	int rc = 0;

	*id = 0;
	if (db_begin(db) < 0)
		return -1;
	if (db_exec(db, "INSERT INTO periodtab (period, quota)"
		    " VALUES (NOW(), 0)", "") < 0 ||
	    db_query(db, id_cb, id, "SELECT LAST_INSERT_ID()", "") < 0)
		rc = -1;
	if (!rc) {
		snprintf(action, sizeof(action), "period new %lld", *id);
		rc = tooldb_log(db, false, who, action);
	}
	return finish(db, rc);
}

long long tooldb_users(struct db *db, db_row_cb cb, void *arg)
{
	return db_query(db, cb, arg,
			"SELECT u.name, COALESCE(t.quota, 0),"
			" t.name IS NOT NULL, a.name IS NOT NULL"
			" FROM (SELECT name FROM tcptab"
			"       UNION SELECT name FROM allowed) u"
			" LEFT JOIN tcptab t ON t.name = u.name"
			" LEFT JOIN allowed a ON a.name = u.name"
			" ORDER BY u.name", "");
}

long long tooldb_logs(struct db *db, bool openfw, const char *user,
		      db_row_cb cb, void *arg)
{
	const char *sql = openfw ?
		"SELECT DATE_FORMAT(`when`, '%Y-%m-%d %H:%i:%s'), user, action"
		" FROM logging_openfw WHERE ? IS NULL OR user = ? OR"
		" SUBSTRING_INDEX(SUBSTRING_INDEX(action, ' ', 2), ' ', -1)"
		" = ? ORDER BY `when`" :
		"SELECT DATE_FORMAT(`when`, '%Y-%m-%d %H:%i:%s'), user, action"
		" FROM logging WHERE ? IS NULL OR user = ? OR"
		" SUBSTRING_INDEX(SUBSTRING_INDEX(action, ' ', 2), ' ', -1)"
		" = ? ORDER BY `when`";

	return db_query(db, cb, arg, sql, "sss", user, user, user);
}

long long tooldb_top_debits(struct db *db, db_row_cb cb, void *arg)
{
	return db_query(db, cb, arg,
			"SELECT d.name, DATE_FORMAT(d.day, '%Y-%m-%d'),"
			" d.seconds, d.polls, COALESCE(t.quota, 0),"
			" d.day = CURDATE(),"
			" (SELECT COUNT(*) FROM masq m WHERE m.name = d.name)"
			" FROM debits d LEFT JOIN tcptab t ON t.name = d.name"
			" WHERE d.day >= CURDATE() - INTERVAL 1 DAY"
			" ORDER BY d.name, d.day", "");
}

long long tooldb_periods(struct db *db, db_row_cb cb, void *arg)
{
	return db_query(db, cb, arg, "SELECT id, period, quota"
			" FROM periodtab ORDER BY id", "");
}

long long tooldb_top(struct db *db, db_row_cb cb, void *arg)
{
	return db_query(db, cb, arg,
			"SELECT m.gateway, m.host, m.name, m.open, m.free,"
			" m.cnts, m.counter, COALESCE(t.quota, 0)"
			" FROM masq m LEFT JOIN tcptab t ON t.name = m.name"
			" ORDER BY m.gateway, m.host", "");
}
