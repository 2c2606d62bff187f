/* store_sql.c - every SQL statement of the daemon (store_sql.h).
 *
 * A poll's per-user and per-row writes are bulk statements (db_bulk_exec):
 * one round trip each whatever the number of users and rows.  Debits are
 * merged per user and sorted, so every transaction locks users in the
 * same order and concurrent gateways do not deadlock.
 *
 * The masq writes are one path for the poll and the request pass
 * (ops_exec): an answer (open = ?) and a delete carry the row as the
 * daemon read it (struct store_op's seen_*) and take effect only where
 * the row still holds it, so a tool that rewrote the row between the
 * snapshot and the commit (a close request over the open being answered,
 * another user's request over a refused one) keeps its request: the next
 * poll decides again.  tic, counter and cnts are written relative or
 * are the daemon's own, whatever the row.
 *
 * A poll's debits (poll_applied, tcptab, debits, periodtab) never wait
 * for a lock (NOWAIT below): a row another session holds (an admin's
 * open transaction on a balance) fails the statement at once with the
 * server's lock error, the poll is held and tried again next poll, and
 * the loop goes on.  Daemons (gateways sharing the database) do not meet
 * each other's row locks: they queue for an advisory lock of the
 * database first (apply_queue), each holding it for one transaction of a
 * few milliseconds.  The masq writes wait the session's short lock wait
 * (db_lock_wait): the tools hold a masq row only for a moment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbr.h"
#include "store_sql.h"
#include "util.h"

/* A lost race is run once more at once (a lock still held is met again
 * at the next poll). */
#define STORE_RETRIES 2
/* Statements that must not wait for another session's lock. */
#define NOWAIT "SET STATEMENT innodb_lock_wait_timeout = 0," \
	" lock_wait_timeout = 0 FOR "

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
	struct store_snap *s;
	size_t cap;
};

static int users_cb(void *arg, unsigned ncols, char **c)
{
	struct users_acc *a = arg;
	struct store_user *u;

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
	struct store_snap *s;
	size_t cap;
};

static int masq_cb(void *arg, unsigned ncols, char **c)
{
	struct masq_acc *a = arg;
	struct store_masq *m;

	if (ncols < 9)
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
	if (c[7])
		m->has_mac = nbr_mac_parse(c[7], m->mac) == 0;
	m->mac_bad = c[7] && !m->has_mac;
	m->portal = c[8] && strcmp(c[8], "portal") == 0;
	return 0;
}

static int user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_user *)a)->name,
		      ((const struct store_user *)b)->name);
}

int store_sql_snapshot(struct db *db, const char *gateway,
		       struct store_snap *out)
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
		     "SELECT host, name, `open`, tic, `free`, counter, cnts,"
		     " mac, via FROM masq WHERE gateway = ? ORDER BY host", "s",
		     gateway) < 0)
		goto err;
	return 0;
err:
	store_snap_free(out);
	return -1;
}

/* ---- the masq writes: one path for polls and requests ---- */

/* The ops' parameter arrays: updates and deletes apart. */
struct op_cols {
	unsigned nu, ndel;
	const char **gw;
	unsigned long *gwlen;
	/* updates */
	int *set_open, *seen_open, *open, *tic, *counter, *set_cnts, *cnts;
	const char **uhost, **uname;
	unsigned long *uhlen, *unlen;
	/* deletes */
	int *dopen;
	long long *dtic;
	const char **dhost, **dname;
	unsigned long *dhlen, *dnlen;
};

static void op_cols_free(struct op_cols *c)
{
	free(c->gw);
	free(c->gwlen);
	free(c->set_open);
	free(c->seen_open);
	free(c->open);
	free(c->tic);
	free(c->counter);
	free(c->set_cnts);
	free(c->cnts);
	free(c->uhost);
	free(c->uname);
	free(c->uhlen);
	free(c->unlen);
	free(c->dopen);
	free(c->dtic);
	free(c->dhost);
	free(c->dname);
	free(c->dhlen);
	free(c->dnlen);
}

/* A string of a fixed-size field: its length, or -1 if not terminated. */
static long field_len(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	return n == size ? -1 : (long)n;
}

static int op_cols_build(struct db *db, const char *gateway,
			 const struct store_op *ops, size_t n,
			 struct op_cols *c)
{
	size_t i, m = n + 1;
	long hl, nl;

	memset(c, 0, sizeof(*c));
	c->gw = xcalloc(m, sizeof(*c->gw));
	c->gwlen = xcalloc(m, sizeof(*c->gwlen));
	c->set_open = xcalloc(m, sizeof(int));
	c->seen_open = xcalloc(m, sizeof(int));
	c->open = xcalloc(m, sizeof(int));
	c->tic = xcalloc(m, sizeof(int));
	c->counter = xcalloc(m, sizeof(int));
	c->set_cnts = xcalloc(m, sizeof(int));
	c->cnts = xcalloc(m, sizeof(int));
	c->uhost = xcalloc(m, sizeof(*c->uhost));
	c->uname = xcalloc(m, sizeof(*c->uname));
	c->uhlen = xcalloc(m, sizeof(*c->uhlen));
	c->unlen = xcalloc(m, sizeof(*c->unlen));
	c->dopen = xcalloc(m, sizeof(int));
	c->dtic = xcalloc(m, sizeof(long long));
	c->dhost = xcalloc(m, sizeof(*c->dhost));
	c->dname = xcalloc(m, sizeof(*c->dname));
	c->dhlen = xcalloc(m, sizeof(*c->dhlen));
	c->dnlen = xcalloc(m, sizeof(*c->dnlen));
	for (i = 0; i < m; i++) {
		c->gw[i] = gateway;
		c->gwlen[i] = strlen(gateway);
	}
	for (i = 0; i < n; i++) {
		const struct store_op *op = &ops[i];

		hl = field_len(op->host, sizeof(op->host));
		nl = field_len(op->seen_name, sizeof(op->seen_name));
		if (hl < 0 || nl < 0) {
			db_set_error(db, "masq operation: %s not terminated",
				     hl < 0 ? "host" : "name");
			return -1;
		}
		if (op->kind == STORE_DELETE) {
			c->dhost[c->ndel] = op->host;
			c->dhlen[c->ndel] = (unsigned long)hl;
			c->dname[c->ndel] = op->seen_name;
			c->dnlen[c->ndel] = (unsigned long)nl;
			c->dopen[c->ndel] = op->seen_open;
			c->dtic[c->ndel++] = op->seen_tic;
			continue;
		}
		c->uhost[c->nu] = op->host;
		c->uhlen[c->nu] = (unsigned long)hl;
		c->uname[c->nu] = op->seen_name;
		c->unlen[c->nu] = (unsigned long)nl;
		c->set_open[c->nu] = op->set_open;
		c->seen_open[c->nu] = op->seen_open;
		c->open[c->nu] = op->open;
		c->tic[c->nu] = op->tic_dec;
		c->counter[c->nu] = op->counter_inc;
		c->set_cnts[c->nu] = op->set_cnts;
		c->cnts[c->nu++] = op->cnts;
	}
	return 0;
}

/* The masq ops, inside the caller's transaction.  0 / -1. */
static int ops_exec(struct db *db, const struct op_cols *c)
{
	const struct db_col u[] = {
		{ .type = 'i', .i = c->set_open },
		{ .type = 'i', .i = c->seen_open },
		{ .type = 's', .s = c->uname, .len = c->unlen },
		{ .type = 's', .s = c->uname, .len = c->unlen },
		{ .type = 'i', .i = c->open },
		{ .type = 'i', .i = c->tic },
		{ .type = 'i', .i = c->counter },
		{ .type = 'i', .i = c->set_cnts },
		{ .type = 'i', .i = c->cnts },
		{ .type = 's', .s = c->gw, .len = c->gwlen },
		{ .type = 's', .s = c->uhost, .len = c->uhlen },
	};
	const struct db_col d[] = {
		{ .type = 's', .s = c->gw, .len = c->gwlen },
		{ .type = 's', .s = c->dhost, .len = c->dhlen },
		{ .type = 'i', .i = c->dopen },
		{ .type = 'l', .l = c->dtic },
		{ .type = 's', .s = c->dname, .len = c->dnlen },
		{ .type = 's', .s = c->dname, .len = c->dnlen },
	};

	if (db_bulk_exec(db, "UPDATE masq SET"
			 " `open` = IF(? AND `open` = ?"
			 " AND name = IF(? = '', name, ?), ?, `open`),"
			 " tic = tic - ?, counter = counter + ?,"
			 " cnts = IF(?, ?, cnts)"
			 " WHERE gateway = ? AND host = ?",
			 c->nu, u, ARRAY_SIZE(u)) < 0)
		return -1;
	return db_bulk_exec(db, "DELETE FROM masq WHERE gateway = ?"
			    " AND host = ? AND `open` = ? AND tic = ?"
			    " AND name = IF(? = '', name, ?)",
			    c->ndel, d, ARRAY_SIZE(d));
}

/* ---- one poll ---- */

static int debit_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_debit *)a)->name,
		      ((const struct store_debit *)b)->name);
}

/* The poll's debits: checked, merged per user, sorted (every transaction
 * locks users in the same order, so concurrent gateways do not
 * deadlock). */
struct debit_cols {
	struct store_debit *d;
	unsigned nd;
	const char **name;
	unsigned long *len;
	long long *amount;
	long long *when;
};

static void debit_cols_free(struct debit_cols *a)
{
	free(a->d);
	free(a->name);
	free(a->len);
	free(a->amount);
	free(a->when);
}

static int debit_cols_build(struct db *db, const struct store_poll *p,
			    struct debit_cols *a)
{
	size_t i, n = p->n_debits;
	char e[128];

	memset(a, 0, sizeof(*a));
	a->d = xcalloc(n + 1, sizeof(*a->d));
	a->name = xcalloc(n + 1, sizeof(*a->name));
	a->len = xcalloc(n + 1, sizeof(*a->len));
	a->amount = xcalloc(n + 1, sizeof(*a->amount));
	a->when = xcalloc(n + 1, sizeof(*a->when));
	for (i = 0; i < n; i++) {
		if (db_check_name(p->debits[i].name, e, sizeof(e)) < 0) {
			db_set_error(db, "debit for user \"%.80s\": %s",
				     p->debits[i].name, e);
			return -1;
		}
		a->d[i] = p->debits[i];
	}
	if (n > 1)
		qsort(a->d, n, sizeof(*a->d), debit_cmp);
	for (i = 0; i < n; i++) {
		if (a->nd && strcmp(a->d[a->nd - 1].name, a->d[i].name) == 0)
			a->d[a->nd - 1].amount += a->d[i].amount;
		else
			a->d[a->nd++] = a->d[i];
	}
	for (i = 0; i < a->nd; i++) {
		a->name[i] = a->d[i].name;
		a->len[i] = strlen(a->d[i].name);
		a->amount[i] = a->d[i].amount;
		a->when[i] = (long long)p->when;
	}
	return 0;
}

static int cell_cb(void *arg, unsigned ncols, char **c)
{
	*(int *)arg = ncols > 0 && c[0] ? cell_int(c[0]) : -1;
	return 0;
}

/*
 * Wait (up to the session's lock wait) for the database's apply lock,
 * which every daemon takes around its poll's transaction.  True if taken
 * (release it with apply_unqueue); false if another daemon kept it or
 * the server has no such locks (Galera): the transaction goes ahead
 * without, and a row another daemon holds fails it like anyone's.
 */
static bool apply_queue(struct db *db)
{
	int got = -1;

	if (db_query(db, cell_cb, &got, "SELECT GET_LOCK(CONCAT("
		     "'tcpquota-apply:', DATABASE()), ?)", "i",
		     (int)db_lock_wait(db)) < 0)
		return false;
	return got == 1;
}

static void apply_unqueue(struct db *db)
{
	int got = -1;

	if (db_is_connected(db))
		db_query(db, cell_cb, &got, "SELECT RELEASE_LOCK(CONCAT("
			 "'tcpquota-apply:', DATABASE()))", "");
}

/* One attempt: 0 applied, 1 duplicate, -1 error (rolled back). */
static int apply_once(struct db *db, const char *gateway,
		      const struct store_poll *p, const struct debit_cols *a,
		      const struct op_cols *oc)
{
	const struct db_col quota[] = {
		{ .type = 's', .s = a->name, .len = a->len },
		{ .type = 'l', .l = a->amount },
		{ .type = 'l', .l = a->amount },
	};
	const struct db_col day[] = {
		{ .type = 's', .s = a->name, .len = a->len },
		{ .type = 'l', .l = a->when },
		{ .type = 'l', .l = a->amount },
	};
	long long n;

	if (db_begin(db) < 0)
		return -1;
	if (db_exec(db, NOWAIT "INSERT INTO poll_applied (gateway, id, total)"
		    " VALUES (?, ?, ?)", "sul", gateway,
		    (unsigned long long)p->id, p->total) < 0) {
		if (db_last_dup(db)) {
			db_rollback(db);
			return 1;
		}
		goto err;
	}
	if (db_bulk_exec(db, NOWAIT "INSERT INTO tcptab (name, quota)"
			 " VALUES (?, 0 - ?)"
			 " ON DUPLICATE KEY UPDATE quota = quota - ?",
			 a->nd, quota, ARRAY_SIZE(quota)) < 0)
		goto err;
	if (db_bulk_exec(db, NOWAIT "INSERT INTO debits (name, day, seconds,"
			 " polls) VALUES (?, DATE(FROM_UNIXTIME(?)), ?, 1)"
			 " ON DUPLICATE KEY UPDATE"
			 " seconds = seconds + VALUES(seconds),"
			 " polls = polls + 1",
			 a->nd, day, ARRAY_SIZE(day)) < 0)
		goto err;
	if (p->total != 0) {
		n = db_exec(db, NOWAIT "UPDATE periodtab SET quota = quota + ?"
			    " ORDER BY id DESC LIMIT 1", "l", p->total);
		if (n < 0)
			goto err;
		if (n == 0 && db_exec(db, NOWAIT "INSERT INTO periodtab (period,"
				      " quota) VALUES (NOW(), ?)", "l",
				      p->total) < 0)
			goto err;
	}
	if (ops_exec(db, oc) < 0)
		goto err;
	if (db_commit(db) < 0)
		return -1;
	return 0;
err:
	db_rollback(db);	/* keeps the error that led here */
	return -1;
}

int store_sql_apply(struct db *db, const char *gateway,
		    const struct store_poll *p)
{
	struct debit_cols a;
	struct op_cols oc;
	int rc = -1, tries;
	bool queued;

	if (!gateway || !*gateway) {
		db_set_error(db, "empty gateway id");
		return -1;
	}
	memset(&oc, 0, sizeof(oc));
	if (debit_cols_build(db, p, &a) < 0 ||
	    op_cols_build(db, gateway, p->ops, p->n_ops, &oc) < 0)
		goto out;
	queued = apply_queue(db);
	for (tries = 0; tries < STORE_RETRIES; tries++) {
		rc = apply_once(db, gateway, p, &a, &oc);
		/* Lost a lock race: the transaction is gone; run it again. */
		if (rc >= 0 || !db_last_lock_lost(db))
			break;
	}
	if (queued)
		apply_unqueue(db);
out:
	debit_cols_free(&a);
	op_cols_free(&oc);
	return rc;
}

int store_sql_ack(struct db *db, const char *gateway,
		  const struct store_op *ops, size_t n)
{
	struct op_cols oc;
	int rc = -1;

	if (op_cols_build(db, gateway, ops, n, &oc) < 0)
		goto out;
	if (db_begin(db) < 0)
		goto out;
	if (ops_exec(db, &oc) < 0) {
		db_rollback(db);
		goto out;
	}
	rc = db_commit(db);
out:
	op_cols_free(&oc);
	return rc;
}

int store_sql_row_locked(struct db *db, const char *name)
{
	if (db_exec(db, NOWAIT "SELECT name FROM tcptab WHERE name = ?"
		    " FOR UPDATE", "s", name) >= 0)
		return 0;
	return db_last_fault(db) == DB_FAULT_LOCK ? 1 : -1;
}

long long store_sql_expire(struct db *db, const char *gateway,
			   const char *host)
{
	return db_exec(db, "DELETE FROM masq WHERE gateway = ? AND "
		       "host = ? AND open = 1 AND tic <= 0", "ss", gateway,
		       host);
}

int store_sql_clear(struct db *db, const char *gateway)
{
	return db_exec(db, "DELETE FROM masq WHERE gateway = ?", "s",
		       gateway) < 0 ? -1 : 0;
}

long long store_sql_prune(struct db *db, const char *gateway, int days,
			  int max)
{
	return db_exec(db, "DELETE FROM poll_applied WHERE gateway = ?"
		       " AND applied_at < NOW() - INTERVAL ? DAY LIMIT ?",
		       "sii", gateway, days, max);
}
