/* test_tqd.c - the poll's orchestration with fakes for the firewall,
 * conntrack, the database and the journal; the real accounting core and
 * the real rooms (store, ledger, gather, fw, hosts, enforce).
 *
 * This file defines every nftb_ and ct_ function the rooms use, the
 * journal_ functions, the connection calls of lib/db.c and the daemon's
 * statements (store_sql_*, structured calls: no SQL text), so the linker
 * takes these instead of the real modules.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "acct.h"
#include "ct.h"
#include "db.h"
#include "store_sql.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "nftb.h"
#include "tqd.h"
#include "tq_test.h"
#include "util.h"

#define MAXH 16

/* ---- fake firewall ---- */
struct nftb {
	int dummy;
};
static struct {
	struct tq_addr hosts[MAXH];
	size_t n;
	int creates, opens, closes, deletes;
	int intact;		/* what nftb_intact answers */
	bool fail_open, fail_list;
	int lists;
	unsigned uids[MAXH];
	size_t nu;
} fw;

static bool fw_has(const char *s)
{
	struct tq_addr a;
	size_t i;

	addr_parse(s, &a);
	for (i = 0; i < fw.n; i++)
		if (addr_equal(&fw.hosts[i], &a))
			return true;
	return false;
}

static void fw_add(const struct tq_addr *a)
{
	size_t i;

	for (i = 0; i < fw.n; i++)
		if (addr_equal(&fw.hosts[i], a))
			return;
	if (fw.n < MAXH)
		fw.hosts[fw.n++] = *a;
}

static void fw_del(const struct tq_addr *a)
{
	size_t i;

	for (i = 0; i < fw.n; i++)
		if (addr_equal(&fw.hosts[i], a)) {
			fw.hosts[i] = fw.hosts[--fw.n];
			return;
		}
}

struct nftb *nftb_new(const struct tq_conf *conf)
{
	return xcalloc(1, sizeof(struct nftb));
}
void nftb_free(struct nftb *n)
{
	free(n);
}
void nftb_set_conf(struct nftb *n, const struct tq_conf *conf)
{
}
const char *nftb_error(const struct nftb *n)
{
	return "fake failure";
}
int nftb_create(struct nftb *n, const struct nftb_host *h, size_t nh,
		const unsigned *uids, size_t nu)
{
	size_t i;

	fw.creates++;
	fw.n = 0;
	for (i = 0; i < nh; i++)
		fw_add(&h[i].addr);
	fw.nu = nu < MAXH ? nu : MAXH;
	for (i = 0; i < fw.nu; i++)
		fw.uids[i] = uids[i];
	fw.intact = 1;
	return 0;
}
int nftb_delete(struct nftb *n)
{
	fw.deletes++;
	fw.n = 0;
	return 0;
}
int nftb_open(struct nftb *n, const struct nftb_host *h, size_t nh)
{
	size_t i;

	if (fw.fail_open)
		return -1;
	fw.opens++;
	for (i = 0; i < nh; i++)
		fw_add(&h[i].addr);
	return 0;
}
int nftb_close(struct nftb *n, const struct nftb_host *h, size_t nh)
{
	size_t i;

	fw.closes++;
	for (i = 0; i < nh; i++)
		fw_del(&h[i].addr);
	return 0;
}
int nftb_block(struct nftb *n, const unsigned *uids, size_t nu)
{
	size_t i;

	for (i = 0; i < nu && fw.nu < MAXH; i++)
		fw.uids[fw.nu++] = uids[i];
	return 0;
}
int nftb_unblock(struct nftb *n, const unsigned *uids, size_t nu)
{
	fw.nu = 0;
	return 0;
}
int nftb_list_uids(struct nftb *n, unsigned **out, size_t *nu)
{
	*out = xcalloc(fw.nu + 1, sizeof(**out));
	memcpy(*out, fw.uids, fw.nu * sizeof(**out));
	*nu = fw.nu;
	return 0;
}
int nftb_intact(struct nftb *n)
{
	return fw.intact;
}
const char *nftb_intact_diff(const struct nftb *n)
{
	return "a difference the test made up";
}
/* No ruleset events here: an fd that never becomes readable. */
int nftb_events_fd(struct nftb *n)
{
	static int fd = -1;

	if (fd < 0)
		fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return fd;
}
int nftb_events_changed(struct nftb *n)
{
	return 0;
}
/* allowed_uids: the list as set, and a packet counter per uid the test
 * moves. */
static struct {
	unsigned uids[MAXH];
	uint64_t packets[MAXH];
	size_t n;
	int sets;
} fa;
int nftb_allow(struct nftb *n, const unsigned *uids, size_t nu,
	       size_t *added, size_t *removed)
{
	unsigned u[MAXH];
	uint64_t p[MAXH];
	size_t i, j, k, m = 0;

	/* sorted, each uid's counter kept (new ones from 0) */
	for (i = 0; i < nu && m < MAXH; i++) {
		for (k = 0; k < m && u[k] < uids[i]; k++)
			;
		if (k < m && u[k] == uids[i])
			continue;
		memmove(&u[k + 1], &u[k], (m - k) * sizeof(u[0]));
		u[k] = uids[i];
		m++;
	}
	for (k = 0; k < m; k++) {
		p[k] = 0;
		for (j = 0; j < fa.n; j++)
			if (fa.uids[j] == u[k])
				p[k] = fa.packets[j];
	}
	fa.sets++;
	*added = m;
	*removed = fa.n;
	memcpy(fa.uids, u, sizeof(u));
	memcpy(fa.packets, p, sizeof(p));
	fa.n = m;
	return 0;
}
int nftb_list_allowed(struct nftb *n, struct nftb_uid **out, size_t *nu)
{
	size_t i;

	*out = xcalloc(fa.n + 1, sizeof(**out));
	for (i = 0; i < fa.n; i++) {
		(*out)[i].uid = fa.uids[i];
		(*out)[i].packets = fa.packets[i];
	}
	*nu = fa.n;
	return 0;
}

/* ---- fake conntrack: one entry per "talking" host ---- */
struct ct {
	int dummy;
};
static struct {
	struct tq_addr talk[MAXH];
	uint64_t packets[MAXH];
	size_t n;
	int deletes, dumps;
} ctf;

/* The element counter of an open host: its fake entry's packets (both
 * count the same traffic here). */
int nftb_list(struct nftb *n, struct nftb_host **out, size_t *nh)
{
	size_t i, j;

	if (fw.fail_list)
		return -1;
	fw.lists++;
	*out = xcalloc(fw.n + 1, sizeof(**out));
	for (i = 0; i < fw.n; i++) {
		(*out)[i].addr = fw.hosts[i];
		for (j = 0; j < ctf.n; j++)
			if (addr_equal(&ctf.talk[j], &fw.hosts[i]))
				(*out)[i].packets = ctf.packets[j];
	}
	*nh = fw.n;
	return 0;
}

/* ---- fake conntrack events: a queue the test fills ---- */
struct ct_events {
	int fd;
};
static struct {
	struct scan_ct q[32];
	bool gone[32];
	size_t n;
	int opened, reads;
	bool lost;		/* the next read reports ENOBUFS */
	bool off;		/* ct_events_new fails */
} evf;

static void ev_push(const char *src, const char *dst, bool gone)
{
	struct scan_ct *e = &evf.q[evf.n];

	memset(e, 0, sizeof(*e));
	addr_parse(src, &e->src);
	addr_parse(dst, &e->dst);
	e->proto = 6;
	evf.gone[evf.n++] = gone;
}
struct ct_events *ct_events_new(void)
{
	struct ct_events *ev;

	if (evf.off) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	ev = xcalloc(1, sizeof(*ev));
	ev->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	evf.opened++;
	return ev;
}
void ct_events_free(struct ct_events *ev)
{
	if (ev)
		close(ev->fd);
	free(ev);
}
int ct_events_fd(const struct ct_events *ev)
{
	return ev->fd;
}
long ct_events_read(struct ct_events *ev, scan_ct_cb new_cb,
		    scan_ct_cb gone_cb, void *arg)
{
	size_t i, n = evf.n;

	evf.reads++;
	evf.n = 0;
	if (evf.lost) {
		evf.lost = false;
		errno = ENOBUFS;
		return -1;
	}
	for (i = 0; i < n; i++)
		(evf.gone[i] ? gone_cb : new_cb)(&evf.q[i], arg);
	return (long)n;
}

static void ct_talk(const char *host, uint64_t packets)
{
	size_t i;
	struct tq_addr a;

	addr_parse(host, &a);
	for (i = 0; i < ctf.n; i++)
		if (addr_equal(&ctf.talk[i], &a)) {
			ctf.packets[i] = packets;
			return;
		}
	ctf.talk[ctf.n] = a;
	ctf.packets[ctf.n++] = packets;
}

static bool ct_off;		/* no ctnetlink: ct_new fails */
struct ct *ct_new(void)
{
	if (ct_off) {
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	return xcalloc(1, sizeof(struct ct));
}
void ct_free(struct ct *c)
{
	free(c);
}
/* nf_conntrack_acct: fails while acct_fail > 0 (no sysctl yet). */
static int acct_fail, acct_calls;
int ct_enable_acct(void)
{
	acct_calls++;
	if (acct_fail > 0) {
		acct_fail--;
		errno = ENOENT;
		return -1;
	}
	return 0;
}
int ct_dump(struct ct *c, scan_ct_cb cb, void *arg)
{
	struct scan_ct e;
	size_t i;

	ctf.dumps++;
	for (i = 0; i < ctf.n; i++) {
		memset(&e, 0, sizeof(e));
		e.src = ctf.talk[i];
		addr_parse("198.19.0.100", &e.dst);
		e.sport = 40000;
		e.dport = 8080;
		e.proto = 6;
		e.has_counters = true;
		e.packets = ctf.packets[i];
		e.bytes = ctf.packets[i] * 60;
		cb(&e, arg);
	}
	return 0;
}
long ct_delete_hosts(struct ct *c, const struct tq_addr *hosts, size_t n)
{
	size_t i, j;
	long k = 0;

	ctf.deletes++;
	for (i = 0; i < n; i++)
		for (j = 0; j < ctf.n; j++)
			if (addr_equal(&ctf.talk[j], &hosts[i])) {
				ctf.talk[j] = ctf.talk[--ctf.n];
				ctf.packets[j] = ctf.packets[ctf.n];
				k++;
				break;
			}
	return k;
}

/* ---- fake database ---- */
struct db {
	int dummy;
};
static struct {
	bool up;		/* server answers */
	bool connected;
	struct store_user users[4];
	size_t nu;
	struct store_masq masq[MAXH];
	size_t nm;
	uint64_t applied[64];
	size_t napplied;
	long long period_total;
	int masq_clears;
	int prunes;
	bool prune_full;	/* store_sql_prune deletes a full batch */
	int connects;		/* db_connect calls */
	long long totals[64];	/* of the charged polls applied, in order */
	size_t ntotals;
	const char *refuse;	/* store_sql_apply refuses a debit for it */
	int acks;		/* store_sql_ack calls */
	int refusals;
	enum db_fault fault;	/* what db_last_fault answers */
	const char *table;	/* what db_last_table answers */
	char err[256];		/* db_error's text, "" for the default */
	/* on a live connection: */
	const char *locked;	/* its tcptab row locked by another session */
	const char *locked_host;	/* its masq row locked */
	bool no_periodtab;	/* a poll's debits: table missing */
	bool no_tcptab;		/* the snapshot too */
	int lock_fails;		/* statements that met a lock */
} dbf;

static void user(const char *name, long long quota, bool allowed)
{
	struct store_user *u = &dbf.users[dbf.nu++];

	memset(u, 0, sizeof(*u));
	tq_strlcpy(u->name, name, sizeof(u->name));
	u->quota = quota;
	u->allowed = allowed;
	u->in_tcptab = true;
}

static long long quota(const char *name)
{
	size_t i;

	for (i = 0; i < dbf.nu; i++)
		if (strcmp(dbf.users[i].name, name) == 0)
			return dbf.users[i].quota;
	return -999999;
}

static struct store_masq *row(const char *host)
{
	size_t i;

	for (i = 0; i < dbf.nm; i++)
		if (strcmp(dbf.masq[i].host, host) == 0)
			return &dbf.masq[i];
	return NULL;
}

static void add_row(const char *host, const char *name, int open, int tic,
		    int isfree)
{
	struct store_masq *m = &dbf.masq[dbf.nm++];

	memset(m, 0, sizeof(*m));
	tq_strlcpy(m->host, host, sizeof(m->host));
	tq_strlcpy(m->name, name, sizeof(m->name));
	m->open = open;
	m->tic = tic;
	m->free = isfree;
}

static void del_row(const char *host)
{
	struct store_masq *m = row(host);

	if (m)
		*m = dbf.masq[--dbf.nm];
}

struct db *db_new(const struct tq_conf *conf, enum db_account acct)
{
	return xcalloc(1, sizeof(struct db));
}
void db_free(struct db *db)
{
	free(db);
}
/* No thread, no signal: the guard is db_guard.c's (060, 061). */
int db_guard(struct db *db, int fd)
{
	return 0;
}
void db_guard_hurry(struct db *db, unsigned ms)
{
}
int db_connect(struct db *db)
{
	dbf.connects++;
	dbf.connected = dbf.up;
	return dbf.up ? 0 : -1;
}
void db_disconnect(struct db *db)
{
	dbf.connected = false;
}
bool db_is_connected(const struct db *db)
{
	return dbf.connected;
}
const char *db_error(const struct db *db)
{
	return *dbf.err ? dbf.err : "fake database down";
}
unsigned db_last_errno(const struct db *db)
{
	return 0;	/* no server to refuse a connection for want of one */
}
enum db_fault db_last_fault(const struct db *db)
{
	return dbf.fault;
}
bool db_last_transient(const struct db *db)
{
	return dbf.fault == DB_FAULT_GONE || dbf.fault == DB_FAULT_LOCK ||
	       dbf.fault == DB_FAULT_BUSY;
}
const char *db_last_table(const struct db *db)
{
	return dbf.table ? dbf.table : "";
}
/* As lib/db.c for what the tests use: empty, or a control character. */
int db_check_name(const char *name, char *err, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)name;

	if (!*s)
		return tq_err(err, errlen, "empty name");
	for (; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			return tq_err(err, errlen,
				      "contains a control character");
	return 0;
}
static int down(void)
{
	dbf.err[0] = '\0';
	dbf.fault = DB_FAULT_GONE;
	dbf.table = NULL;
	if (!dbf.up) {
		dbf.connected = false;
		return -1;
	}
	return 0;
}

/* A failure on a live connection. */
static int failed(enum db_fault f, const char *table, const char *msg)
{
	dbf.fault = f;
	dbf.table = table;
	snprintf(dbf.err, sizeof(dbf.err), "%s", msg);
	if (f == DB_FAULT_LOCK)
		dbf.lock_fails++;
	return -1;
}
/* The row op names, if the row still holds what the daemon read (as
 * store_sql.c's guards). */
static struct store_masq *guarded(const struct store_op *op)
{
	struct store_masq *m = row(op->host);

	if (!m || m->open != op->seen_open ||
	    (*op->seen_name && strcmp(m->name, op->seen_name) != 0))
		return NULL;
	if (op->kind == STORE_DELETE && m->tic != op->seen_tic)
		return NULL;
	return m;
}

static void apply_ops(const struct store_op *ops, size_t n)
{
	struct store_masq *m;
	size_t i;

	for (i = 0; i < n; i++) {
		if (ops[i].kind == STORE_DELETE) {
			if (guarded(&ops[i]))
				del_row(ops[i].host);
			continue;
		}
		m = row(ops[i].host);
		if (!m)
			continue;
		if (ops[i].set_open && guarded(&ops[i]))
			m->open = ops[i].open;
		if (ops[i].tic_dec)
			m->tic--;
		m->counter += ops[i].counter_inc;
		if (ops[i].set_cnts)
			m->cnts = ops[i].cnts;
	}
}

int store_sql_snapshot(struct db *db, const char *gateway,
		       struct store_snap *out)
{
	if (down() < 0)
		return -1;
	if (dbf.no_tcptab)
		return failed(DB_FAULT_SCHEMA, "tcptab",
			      "Table 'tcpquota.tcptab' doesn't exist");
	out->users = xcalloc(dbf.nu + 1, sizeof(*out->users));
	memcpy(out->users, dbf.users, dbf.nu * sizeof(*out->users));
	out->n_users = dbf.nu;
	out->masq = xcalloc(dbf.nm + 1, sizeof(*out->masq));
	memcpy(out->masq, dbf.masq, dbf.nm * sizeof(*out->masq));
	out->n_masq = dbf.nm;
	return 0;
}
int store_sql_apply(struct db *db, const char *gateway,
		    const struct store_poll *p)
{
	size_t i, j;

	if (down() < 0)
		return -1;
	for (i = 0; dbf.refuse && i < p->n_debits; i++)
		if (strcmp(p->debits[i].name, dbf.refuse) == 0) {
			/* as store_sql.c: refused before anything is sent */
			snprintf(dbf.err, sizeof(dbf.err), "debit for user "
				 "\"%.200s\": contains a control character",
				 p->debits[i].name);
			dbf.fault = DB_FAULT_REFUSED;
			dbf.refusals++;
			return -1;
		}
	for (i = 0; dbf.locked && i < p->n_debits; i++)
		if (strcmp(p->debits[i].name, dbf.locked) == 0)
			return failed(DB_FAULT_LOCK, "tcptab", "Lock wait "
				      "timeout exceeded; try restarting "
				      "transaction");
	if ((dbf.no_periodtab || dbf.no_tcptab) && p->total != 0)
		return failed(DB_FAULT_SCHEMA, dbf.no_tcptab ? "tcptab" :
			      "periodtab", dbf.no_tcptab ?
			      "Table 'tcpquota.tcptab' doesn't exist" :
			      "Table 'tcpquota.periodtab' doesn't exist");
	for (i = 0; dbf.locked_host && i < p->n_ops; i++)
		if (strcmp(p->ops[i].host, dbf.locked_host) == 0)
			return failed(DB_FAULT_LOCK, "masq", "Lock wait "
				      "timeout exceeded; try restarting "
				      "transaction");
	for (i = 0; i < dbf.napplied; i++)
		if (dbf.applied[i] == p->id)
			return 1;
	if (dbf.napplied < 64)
		dbf.applied[dbf.napplied++] = p->id;
	if ((p->n_debits > 0 || p->total != 0) && dbf.ntotals < 64)
		dbf.totals[dbf.ntotals++] = p->total;
	for (i = 0; i < p->n_debits; i++)
		for (j = 0; j < dbf.nu; j++)
			if (strcmp(dbf.users[j].name, p->debits[i].name) == 0)
				dbf.users[j].quota -= p->debits[i].amount;
	dbf.period_total += p->total;
	apply_ops(p->ops, p->n_ops);
	return 0;
}
int store_sql_ack(struct db *db, const char *gateway,
		  const struct store_op *ops, size_t n)
{
	size_t i;

	if (down() < 0)
		return -1;
	for (i = 0; dbf.locked_host && i < n; i++)
		if (strcmp(ops[i].host, dbf.locked_host) == 0)
			return failed(DB_FAULT_LOCK, "masq", "Lock wait "
				      "timeout exceeded; try restarting "
				      "transaction");
	dbf.acks++;
	apply_ops(ops, n);
	return 0;
}
/* (a success leaves the last error as it is, as lib/db.c does) */
int store_sql_row_locked(struct db *db, const char *name)
{
	if (!dbf.up)
		return -1;
	return dbf.locked && strcmp(name, dbf.locked) == 0;
}
long long store_sql_expire(struct db *db, const char *gateway,
			   const char *host)
{
	struct store_masq *m;

	if (down() < 0)
		return -1;
	m = row(host);
	if (!m || m->open != 1 || m->tic > 0)
		return 0;
	del_row(host);
	return 1;
}
long long store_sql_prune(struct db *db, const char *gateway, int days,
			  int max)
{
	if (down() < 0)
		return -1;
	dbf.prunes++;
	CU_ASSERT_STRING_EQUAL(gateway, "gw1");
	CU_ASSERT_EQUAL(days, 7);
	return dbf.prune_full ? max : 0;
}
int store_sql_clear(struct db *db, const char *gateway)
{
	if (down() < 0)
		return -1;
	dbf.masq_clears++;
	dbf.nm = 0;
	return 0;
}

/* ---- fake journal ---- */
struct journal {
	int dummy;
};
static struct {
	struct store_poll polls[32];
	struct store_debit debits[32][4];
	size_t n;
	int appends, acks;
	bool ack_fails;
	bool append_fails;	/* disk full */
	/* journal_set_aside: what it was given */
	struct store_poll aside[4];
	struct store_debit aside_debits[4][4];
	char aside_gw[4][16], aside_why[4][256];
	size_t naside;
	bool aside_fails;
} jf;

struct journal *journal_open(const char *path, char *err, size_t errlen)
{
	return xcalloc(1, sizeof(struct journal));
}
void journal_close(struct journal *j)
{
	free(j);
}
const char *journal_path(const struct journal *j)
{
	return "fake-journal";
}
int journal_append(struct journal *j, const struct store_poll *p)
{
	size_t k;

	if (jf.append_fails) {
		errno = ENOSPC;
		return -1;
	}
	k = jf.n++;

	jf.appends++;
	jf.polls[k] = *p;
	jf.polls[k].ops = NULL;
	jf.polls[k].n_ops = 0;
	jf.polls[k].n_debits = p->n_debits < 4 ? p->n_debits : 4;
	memcpy(jf.debits[k], p->debits,
	       jf.polls[k].n_debits * sizeof(*p->debits));
	jf.polls[k].debits = jf.debits[k];
	return 0;
}
size_t journal_pending(struct journal *j, const struct store_poll **out)
{
	*out = jf.polls;
	return jf.n;
}
int journal_ack(struct journal *j, uint64_t id)
{
	size_t i;

	if (jf.ack_fails)
		return -1;
	for (i = 0; i < jf.n; i++)
		if (jf.polls[i].id == id) {
			jf.acks++;
			memmove(&jf.polls[i], &jf.polls[i + 1],
				(jf.n - i - 1) * sizeof(jf.polls[0]));
			memmove(jf.debits[i], jf.debits[i + 1],
				(jf.n - i - 1) * sizeof(jf.debits[0]));
			jf.n--;
			for (; i < jf.n; i++)
				jf.polls[i].debits = jf.debits[i];
			return 0;
		}
	return -1;
}

int journal_set_aside(struct journal *j, const struct store_poll *p,
		      const char *gateway, const char *why)
{
	size_t k = jf.naside;
	uint64_t id = p->id;

	if (jf.aside_fails || k == 4) {
		errno = EIO;
		return -1;
	}
	jf.naside++;
	jf.aside[k] = *p;
	jf.aside[k].n_debits = p->n_debits < 4 ? p->n_debits : 4;
	memcpy(jf.aside_debits[k], p->debits,
	       jf.aside[k].n_debits * sizeof(*p->debits));
	jf.aside[k].debits = jf.aside_debits[k];
	tq_strlcpy(jf.aside_gw[k], gateway, sizeof(jf.aside_gw[k]));
	tq_strlcpy(jf.aside_why[k], why, sizeof(jf.aside_why[k]));
	journal_ack(j, id);	/* -1 if it was not pending: fine */
	return 0;
}

/* ---- the tests ---- */

/* %s: more settings of the network section */
static const char conf_fmt[] =
	"daemon = { period = 5; gateway = \"gw1\"; wakeup = \"\";\n"
	"  pidfile = \"/nonexistent/pid\"; logfile = \"-\";\n"
	"  journal = \"/nonexistent/journal\"; };\n"
	"network = { local_networks = [ \"198.18.1.0/24\" ];\n"
	"  check_local = false; check_masq = true; %s };\n"
	"quota = { min_quota = 0; };\n"
	"rates = { default = 2; };\n";

static struct loop *lp;

/* conf_text with more settings of the network section. */
static struct tqd *start_net(const char *net)
{
	struct tq_conf *c;
	struct tqd *t;
	char err[512], text[1024];

	snprintf(text, sizeof(text), conf_fmt, net ? net : "");
	c = conf_load_string(text, "test.conf", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	lp = loop_new();
	t = tqd_new(c, "/nonexistent/test.conf", lp);
	CU_ASSERT_EQUAL_FATAL(tqd_start(t, err, sizeof(err)), 0);
	return t;
}

static struct tqd *start(void)
{
	return start_net(NULL);
}


static void stop(struct tqd *t)
{
	tqd_free(t);
	loop_free(lp);
}

static void reset(void)
{
	memset(&fw, 0, sizeof(fw));
	memset(&ctf, 0, sizeof(ctf));
	memset(&dbf, 0, sizeof(dbf));
	memset(&jf, 0, sizeof(jf));
	memset(&evf, 0, sizeof(evf));
	fw.intact = 1;
	dbf.up = true;
}

/* Fresh fakes, alice (balance 1000) with an open request for
 * 198.18.1.10, and the daemon started with net in its network section. */
static struct tqd *start_alice(const char *net)
{
	reset();
	user("alice", 1000, true);
	add_row("198.18.1.10", "alice", 2, 100, 0);
	return start_net(net);
}

static void test_reconcile_at_start(void)
{
	struct tqd *t;

	reset();
	user("alice", 1000, true);
	add_row("198.18.1.10", "alice", 1, 5, 0);
	add_row("198.18.1.11", "alice", 1, 0, 0);
	add_row("198.18.1.12", "alice", 2, 5, 0);
	t = start();
	CU_ASSERT_EQUAL(fw.creates, 1);
	CU_ASSERT(fw_has("198.18.1.10"));
	CU_ASSERT(!fw_has("198.18.1.11"));
	CU_ASSERT(!fw_has("198.18.1.12"));	/* a request: the poll's job */
	CU_ASSERT_PTR_NULL(row("198.18.1.11"));	/* expired: deleted */
	tqd_poll(t);
	CU_ASSERT(fw_has("198.18.1.12"));
	CU_ASSERT_EQUAL(row("198.18.1.12")->open, 1);
	stop(t);
}

static void test_charge_and_cut(void)
{
	struct tqd *t;

	reset();
	user("alice", 25, true);
	add_row("198.18.1.10", "alice", 2, 100, 0);
	t = start();
	tqd_poll(t);		/* opens; no traffic yet */
	CU_ASSERT(fw_has("198.18.1.10"));
	CU_ASSERT_EQUAL(quota("alice"), 25);
	/* period 5, rate 2, alone: floor(10/1)+1 = 11 per poll */
	ct_talk("198.18.1.10", 10);
	tqd_poll(t);
	CU_ASSERT_EQUAL(quota("alice"), 14);
	CU_ASSERT_EQUAL(row("198.18.1.10")->counter, 1);
	CU_ASSERT_EQUAL(dbf.period_total, 11);
	tqd_poll(t);		/* counters did not move: idle */
	CU_ASSERT_EQUAL(quota("alice"), 14);
	ct_talk("198.18.1.10", 20);
	tqd_poll(t);
	CU_ASSERT_EQUAL(quota("alice"), 3);
	CU_ASSERT(fw_has("198.18.1.10"));
	ct_talk("198.18.1.10", 30);
	tqd_poll(t);		/* 3 - 11 = -8: cut off */
	CU_ASSERT_EQUAL(quota("alice"), -8);
	CU_ASSERT(!fw_has("198.18.1.10"));
	CU_ASSERT_PTR_NULL(row("198.18.1.10"));
	CU_ASSERT_EQUAL(ctf.n, 0);	/* its conntrack entries deleted */
	CU_ASSERT_EQUAL(jf.n, 0);	/* every poll acknowledged */
	CU_ASSERT_EQUAL(dbf.period_total, 33);
	stop(t);
}

/* Users on the gateway (check_local): allowed_uids holds the uids of the
 * allowed users (from passwd: daemon is uid 1, bin uid 2; min_uid 1 here)
 * and follows the database; a user is charged when their counter moved,
 * any protocol, and blocked when the balance runs out; with a balance at
 * or below min_quota a user is blocked from the start. */
static void test_local_users_counted(void)
{
	static const char text[] =
		"daemon = { period = 5; gateway = \"gw1\"; wakeup = \"\";\n"
		"  pidfile = \"/nonexistent/pid\"; logfile = \"-\";\n"
		"  journal = \"/nonexistent/journal\"; };\n"
		"network = { local_networks = [ \"198.18.1.0/24\" ];\n"
		"  check_local = true; check_masq = true; };\n"
		"quota = { min_quota = 0; min_uid = 1; };\n"
		"rates = { default = 2; };\n";
	struct tq_conf *c;
	struct tqd *t;
	char err[512];
	size_t i;

	reset();
	memset(&fa, 0, sizeof(fa));
	user("daemon", 20, true);
	user("bin", 1000, false);
	user("sys", 0, true);		/* uid 3: no quota */
	c = conf_load_string(text, "test.conf", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	lp = loop_new();
	t = tqd_new(c, "/nonexistent/test.conf", lp);
	CU_ASSERT_EQUAL_FATAL(tqd_start(t, err, sizeof(err)), 0);
	/* at start: daemon and sys may go out, bin not; sys is blocked */
	CU_ASSERT_EQUAL(fa.n, 2);
	CU_ASSERT_EQUAL(fa.uids[0], 1);
	CU_ASSERT_EQUAL(fa.uids[1], 3);
	CU_ASSERT_EQUAL(fw.nu, 1);
	CU_ASSERT_EQUAL(fw.uids[0], 3);
	tqd_poll(t);			/* no traffic */
	CU_ASSERT_EQUAL(quota("daemon"), 20);
	fa.packets[0] = 4;		/* any protocol: the counter moved */
	tqd_poll(t);			/* floor(5 * 2 / 1) + 1 = 11 */
	CU_ASSERT_EQUAL(quota("daemon"), 9);
	CU_ASSERT_EQUAL(dbf.period_total, 11);
	tqd_poll(t);			/* did not move: idle */
	CU_ASSERT_EQUAL(quota("daemon"), 9);
	fa.packets[0] = 5;
	tqd_poll(t);			/* 9 - 11 = -2: cut off, blocked */
	CU_ASSERT_EQUAL(quota("daemon"), -2);
	CU_ASSERT_EQUAL(fw.nu, 2);
	CU_ASSERT_EQUAL(fw.uids[1], 1);
	/* bin allowed by the database: in the set at the next poll */
	for (i = 0; i < dbf.nu; i++)
		if (strcmp(dbf.users[i].name, "bin") == 0)
			dbf.users[i].allowed = true;
	tqd_poll(t);
	CU_ASSERT_EQUAL(fa.n, 3);
	CU_ASSERT_EQUAL(fa.uids[1], 2);
	stop(t);
}

static void test_database_down(void)
{
	struct tqd *t;

	t = start_alice(NULL);
	tqd_poll(t);
	CU_ASSERT(fw_has("198.18.1.10"));
	ct_talk("198.18.1.10", 10);
	dbf.up = false;
	dbf.connected = false;
	add_row("198.18.1.11", "alice", 2, 100, 0);	/* unseen request */
	tqd_poll(t);
	ct_talk("198.18.1.10", 20);
	tqd_poll(t);
	CU_ASSERT(fw_has("198.18.1.10"));	/* firewall kept */
	CU_ASSERT(!fw_has("198.18.1.11"));	/* nothing new opened */
	CU_ASSERT_EQUAL(jf.n, 2);		/* both polls held */
	CU_ASSERT_EQUAL(quota("alice"), 1000);
	CU_ASSERT_EQUAL(dbf.connects, 3);	/* start, then each poll */
	dbf.up = true;
	/* the second failed connect waits two polls (backoff) */
	tqd_poll(t);
	CU_ASSERT_EQUAL(dbf.connects, 3);
	CU_ASSERT_EQUAL(jf.n, 2);
	CU_ASSERT_EQUAL(quota("alice"), 1000);
	tqd_poll(t);		/* replay, then a normal poll (idle) */
	CU_ASSERT_EQUAL(dbf.connects, 4);
	CU_ASSERT_EQUAL(jf.n, 0);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 2 * 11);
	CU_ASSERT_EQUAL(dbf.period_total, 22);
	CU_ASSERT(fw_has("198.18.1.11"));
	/* a replayed entry the database already has is acknowledged */
	jf.polls[0].id = dbf.applied[0];
	jf.polls[0].n_debits = 0;
	jf.polls[0].debits = jf.debits[0];
	jf.n = 1;
	tqd_poll(t);
	CU_ASSERT_EQUAL(jf.n, 0);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 2 * 11);
	stop(t);
}

static void test_failed_open_not_acknowledged(void)
{
	struct tqd *t;

	t = start_alice(NULL);
	fw.fail_open = true;
	tqd_poll(t);
	CU_ASSERT_EQUAL(row("198.18.1.10")->open, 2);
	fw.fail_open = false;
	tqd_poll(t);
	CU_ASSERT_EQUAL(row("198.18.1.10")->open, 1);
	CU_ASSERT(fw_has("198.18.1.10"));
	stop(t);
}

static void test_rebuild_when_altered(void)
{
	struct tqd *t;

	t = start_alice(NULL);
	tqd_poll(t);
	CU_ASSERT_EQUAL(fw.creates, 1);
	fw.n = 0;		/* someone flushed the ruleset */
	fw.intact = 0;
	tqd_poll(t);
	CU_ASSERT_EQUAL(fw.creates, 2);
	CU_ASSERT(fw_has("198.18.1.10"));
	stop(t);
}

/* The host sets hold exactly the open hosts: an element deleted behind
 * the daemon's back is put back, a foreign one removed with its conntrack
 * entries, in either mode, within one poll. */
static void test_sets_repaired(void)
{
	static const char *const nets[] = { NULL, "conntrack_resync = 0;" };
	struct tq_addr a;
	struct tqd *t;
	size_t k;

	for (k = 0; k < 2; k++) {
		t = start_alice(nets[k]);
		tqd_poll(t);
		CU_ASSERT(fw_has("198.18.1.10"));
		fw.n = 0;	/* nft flush set inet tcpquota hosts4 */
		tqd_poll(t);
		CU_ASSERT_EQUAL(fw.creates, 1);	/* no rebuild */
		CU_ASSERT_EQUAL(fw.n, 1);
		CU_ASSERT(fw_has("198.18.1.10"));
		CU_ASSERT_EQUAL(row("198.18.1.10")->open, 1);
		addr_parse("198.18.1.99", &a);
		fw_add(&a);	/* nft add element ... { 198.18.1.99 } */
		ct_talk("198.18.1.99", 5);
		tqd_poll(t);
		CU_ASSERT_EQUAL(fw.n, 1);
		CU_ASSERT(!fw_has("198.18.1.99"));
		CU_ASSERT(fw_has("198.18.1.10"));
		CU_ASSERT_EQUAL(ctf.n, 0);	/* its entries deleted */
		CU_ASSERT_PTR_NULL(row("198.18.1.99"));
		tqd_poll(t);	/* nothing more to repair */
		CU_ASSERT_EQUAL(fw.n, 1);
		CU_ASSERT_EQUAL(fw.creates, 1);
		stop(t);
	}
}

/* nf_conntrack_acct: tried once the table exists, then before every
 * full read until it works, and not again after. */
static void test_acct_retried(void)
{
	struct tqd *t;

	reset();
	acct_calls = 0;
	acct_fail = 2;
	user("alice", 1000, true);
	t = start_net("conntrack_resync = 0;");
	CU_ASSERT_EQUAL(acct_calls, 1);
	tqd_poll(t);		/* fails again */
	CU_ASSERT_EQUAL(acct_calls, 2);
	tqd_poll(t);		/* works */
	CU_ASSERT_EQUAL(acct_calls, 3);
	tqd_poll(t);
	tqd_poll(t);
	CU_ASSERT_EQUAL(acct_calls, 3);
	stop(t);

	/* with events: only the full reads retry */
	reset();
	acct_calls = 0;
	acct_fail = 5;
	user("alice", 1000, true);
	t = start_net("conntrack_resync = 3;");
	tqd_poll(t);		/* the first poll reads in full */
	CU_ASSERT_EQUAL(acct_calls, 2);
	tqd_poll(t);
	tqd_poll(t);
	CU_ASSERT_EQUAL(acct_calls, 2);
	tqd_poll(t);		/* third since the full read */
	CU_ASSERT_EQUAL(acct_calls, 3);
	acct_fail = 0;
	stop(t);
}

/* Occurrences of s in file path (its first 64 KiB). */
static int count_in(const char *path, const char *s)
{
	static char buf[65536];
	char *p;
	ssize_t n;
	int fd, k = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (p = buf; (p = strstr(p, s)) != NULL; p++)
		k++;
	return k;
}

/* Without ctnetlink a closed host's conntrack entries stay: said once. */
static void test_no_ctnetlink_warned_once(void)
{
	static const char warn[] = "warning: conntrack entries of closed "
		"hosts cannot be deleted: no ctnetlink (Protocol not "
		"supported), their established connections run on\n";
	char path[] = "/tmp/test_tqd.log.XXXXXX";
	struct tqd *t;
	int fd, i;

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	reset();
	ct_off = true;
	user("alice", 1000, true);
	t = start();
	CU_ASSERT_EQUAL_FATAL(log_open(NULL, path), 0);
	for (i = 0; i < 2; i++) {
		add_row("198.18.1.10", "alice", 2, 100, 0);
		tqd_requests(t);
		CU_ASSERT(fw_has("198.18.1.10"));
		row("198.18.1.10")->open = 3;
		tqd_requests(t);
		CU_ASSERT(!fw_has("198.18.1.10"));
		del_row("198.18.1.10");
	}
	log_open(NULL, "-");
	CU_ASSERT_EQUAL(ctf.deletes, 0);
	CU_ASSERT_EQUAL(count_in(path, "closed 198.18.1.10 of alice"), 2);
	CU_ASSERT_EQUAL(count_in(path, warn), 1);
	stop(t);
	ct_off = false;
	unlink(path);
}

static void test_request_pass_and_shutdown(void)
{
	struct tqd *t;

	reset();
	user("alice", 1000, true);
	user("bob", 1000, false);
	t = start();
	tqd_poll(t);
	add_row("198.18.1.10", "alice", 2, 100, 0);
	add_row("198.18.1.11", "bob", 2, 100, 0);
	ct_talk("198.18.1.10", 10);
	tqd_requests(t);
	CU_ASSERT(fw_has("198.18.1.10"));
	CU_ASSERT_EQUAL(row("198.18.1.10")->open, 1);
	CU_ASSERT_EQUAL(row("198.18.1.10")->tic, 100);	/* no heartbeat */
	CU_ASSERT_EQUAL(quota("alice"), 1000);		/* no charge */
	CU_ASSERT(!fw_has("198.18.1.11"));
	CU_ASSERT_PTR_NULL(row("198.18.1.11"));		/* refused */
	row("198.18.1.10")->open = 3;
	tqd_requests(t);
	CU_ASSERT(!fw_has("198.18.1.10"));
	CU_ASSERT_EQUAL(row("198.18.1.10")->open, 0);
	CU_ASSERT_EQUAL(ctf.n, 0);
	row("198.18.1.10")->open = 2;
	tqd_requests(t);
	tqd_shutdown(t);
	CU_ASSERT_EQUAL(fw.deletes, 1);
	CU_ASSERT_EQUAL(dbf.masq_clears, 1);
	CU_ASSERT_EQUAL(dbf.nm, 0);
	stop(t);
}

static void test_prune_poll_ids(void)
{
	struct tqd *t;

	t = start_alice(NULL);
	tqd_poll(t);
	CU_ASSERT_EQUAL(dbf.prunes, 1);		/* journal empty: prune */
	tqd_poll(t);
	tqd_poll(t);
	CU_ASSERT_EQUAL(dbf.prunes, 1);		/* then only hourly */
	stop(t);

	t = start_alice(NULL);
	dbf.prune_full = true;
	tqd_poll(t);
	tqd_poll(t);
	CU_ASSERT_EQUAL(dbf.prunes, 2);		/* a full batch: next poll */
	jf.ack_fails = true;
	ct_talk("198.18.1.10", 10);
	tqd_poll(t);				/* journalled, not acked */
	CU_ASSERT_EQUAL(jf.n, 1);
	tqd_poll(t);
	CU_ASSERT_EQUAL(dbf.prunes, 2);		/* never with polls held */
	jf.ack_fails = false;
	dbf.prune_full = false;
	tqd_poll(t);				/* replayed (a duplicate) */
	CU_ASSERT_EQUAL(jf.n, 0);
	CU_ASSERT_EQUAL(dbf.prunes, 3);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 11);	/* debited once */
	tqd_poll(t);
	CU_ASSERT_EQUAL(dbf.prunes, 3);
	stop(t);
}

static int cnts(const char *host)
{
	return row(host)->cnts;
}

static void test_events_between_full_reads(void)
{
	struct tqd *t;

	t = start_alice("conntrack_resync = 3;");
	CU_ASSERT_EQUAL(evf.opened, 1);
	tqd_poll(t);		/* opens the host; first poll reads in full */
	CU_ASSERT_EQUAL(ctf.dumps, 1);
	CU_ASSERT_EQUAL(cnts("198.18.1.10"), 0);
	/* two new connections to outside, one to a local network, one
	 * from a host that is not open: two count */
	ct_talk("198.18.1.10", 10);	/* its entry goes to 198.19.0.100 */
	ev_push("198.18.1.10", "198.19.0.100", false);
	ev_push("198.18.1.10", "198.19.0.7", false);
	ev_push("198.18.1.10", "198.18.1.1", false);
	ev_push("198.18.1.99", "198.19.0.7", false);
	tqd_poll(t);
	CU_ASSERT_EQUAL(ctf.dumps, 1);		/* no full read */
	CU_ASSERT_EQUAL(cnts("198.18.1.10"), 2);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 11);	/* counter moved */
	ev_push("198.18.1.10", "198.19.0.7", true);
	ev_push("198.18.1.10", "198.19.0.8", true);
	ev_push("198.18.1.10", "198.19.0.9", true);	/* never below 0 */
	ct_talk("198.18.1.10", 20);	/* cnts is written when charged */
	tqd_poll(t);
	CU_ASSERT_EQUAL(ctf.dumps, 1);
	CU_ASSERT_EQUAL(cnts("198.18.1.10"), 0);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 22);
	ct_talk("198.18.1.10", 30);
	tqd_poll(t);		/* third poll since the full read: resync */
	CU_ASSERT_EQUAL(ctf.dumps, 2);
	CU_ASSERT_EQUAL(cnts("198.18.1.10"), 1);	/* the truth again */
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 33);
	evf.lost = true;	/* events lost: full read at the next poll */
	tqd_poll(t);
	CU_ASSERT_EQUAL(ctf.dumps, 3);
	CU_ASSERT_EQUAL(fw.lists, 5);		/* counters every poll */
	stop(t);
}

static void test_counters_restart(void)
{
	struct tqd *t;

	t = start_alice(NULL);
	tqd_poll(t);
	ct_talk("198.18.1.10", 50);
	tqd_poll(t);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 11);
	/* the element was re-created and counts from 0: idle ... */
	ct_talk("198.18.1.10", 0);
	tqd_poll(t);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 11);
	/* ... until it counts again */
	ct_talk("198.18.1.10", 3);
	tqd_poll(t);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 22);
	/* counters unreadable: last poll's figures, nobody charged */
	fw.fail_list = true;
	ct_talk("198.18.1.10", 9);
	tqd_poll(t);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 22);
	fw.fail_list = false;
	tqd_poll(t);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 33);
	stop(t);
}

static void test_full_read_every_poll(void)
{
	struct tqd *t;

	t = start_alice("conntrack_resync = 0;");
	tqd_poll(t);
	ct_talk("198.18.1.10", 10);
	tqd_poll(t);
	tqd_poll(t);
	CU_ASSERT_EQUAL(evf.opened, 0);		/* no event socket */
	CU_ASSERT_EQUAL(fw.lists, 3);		/* the set check only */
	CU_ASSERT_EQUAL(ctf.dumps, 3);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 11);
	CU_ASSERT_EQUAL(cnts("198.18.1.10"), 1);
	stop(t);

	/* the kernel sends no events: the same, by itself */
	reset();
	user("alice", 1000, true);
	add_row("198.18.1.10", "alice", 2, 100, 0);
	evf.off = true;
	t = start();
	tqd_poll(t);
	tqd_poll(t);
	CU_ASSERT_EQUAL(evf.opened, 0);
	CU_ASSERT_EQUAL(fw.lists, 2);
	CU_ASSERT_EQUAL(ctf.dumps, 2);
	stop(t);
}

/* The journal failing (disk full) while the database is down: the polls
 * are held in memory and applied once each, oldest first, when it is
 * back.  A journal that works again first takes the polls held in memory,
 * in order, then the new one.  At exit, polls held in memory are applied
 * if the database answers. */
static void test_journal_fails_db_down(void)
{
	uint64_t ids[3];
	struct tqd *t;
	size_t i, k;

	t = start_alice(NULL);
	user("bob", 1000, true);
	add_row("198.18.1.11", "bob", 2, 100, 0);
	tqd_poll(t);			/* opens both */
	CU_ASSERT(fw_has("198.18.1.11"));
	ct_talk("198.18.1.10", 10);
	dbf.up = false;
	dbf.connected = false;
	jf.append_fails = true;
	tqd_poll(t);			/* alice alone: 11 */
	ct_talk("198.18.1.10", 20);
	ct_talk("198.18.1.11", 10);
	tqd_poll(t);			/* both: floor(10 / 2) + 1 = 6 */
	CU_ASSERT_EQUAL(jf.n, 0);	/* the journal took none */
	CU_ASSERT_EQUAL(quota("alice"), 1000);
	CU_ASSERT_EQUAL(quota("bob"), 1000);
	dbf.up = true;
	tqd_poll(t);			/* backoff: no connect, idle */
	CU_ASSERT_EQUAL(dbf.ntotals, 0);
	tqd_poll(t);			/* connects: both, oldest first */
	CU_ASSERT_EQUAL_FATAL(dbf.ntotals, 2);
	CU_ASSERT_EQUAL(dbf.totals[0], 11);
	CU_ASSERT_EQUAL(dbf.totals[1], 12);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 17);
	CU_ASSERT_EQUAL(quota("bob"), 1000 - 6);
	CU_ASSERT_EQUAL(dbf.period_total, 23);
	tqd_poll(t);			/* idle: nothing applied twice */
	CU_ASSERT_EQUAL(dbf.ntotals, 2);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 17);

	/* the journal comes back before the database */
	dbf.up = false;
	dbf.connected = false;
	ct_talk("198.18.1.10", 30);
	ct_talk("198.18.1.11", 20);
	tqd_poll(t);			/* 12, in memory */
	ct_talk("198.18.1.10", 40);
	tqd_poll(t);			/* 11, in memory */
	CU_ASSERT_EQUAL(jf.n, 0);
	jf.append_fails = false;
	ct_talk("198.18.1.10", 50);
	ct_talk("198.18.1.11", 30);
	tqd_poll(t);			/* 12: behind the two, journalled */
	CU_ASSERT_EQUAL_FATAL(jf.n, 3);
	CU_ASSERT_EQUAL(jf.polls[0].total, 12);
	CU_ASSERT_EQUAL(jf.polls[1].total, 11);
	CU_ASSERT_EQUAL(jf.polls[2].total, 12);
	for (i = 0; i < 3; i++)
		ids[i] = jf.polls[i].id;
	dbf.up = true;			/* that poll skipped its connect */
	tqd_poll(t);			/* replayed in the journal's order */
	CU_ASSERT_EQUAL(jf.n, 0);
	CU_ASSERT_EQUAL_FATAL(dbf.ntotals, 5);
	CU_ASSERT_EQUAL(dbf.totals[2], 12);
	CU_ASSERT_EQUAL(dbf.totals[3], 11);
	CU_ASSERT_EQUAL(dbf.totals[4], 12);
	/* (each connected poll also writes masq rows under an id of its own) */
	for (k = 0; k < dbf.napplied && dbf.applied[k] != ids[0]; k++)
		;
	CU_ASSERT_FATAL(k + 3 <= dbf.napplied);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(dbf.applied[k + i], ids[i]);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 17 - 6 - 11 - 6);
	CU_ASSERT_EQUAL(quota("bob"), 1000 - 6 - 6 - 6);
	CU_ASSERT_EQUAL(dbf.period_total, 23 + 35);

	/* exit with a poll held in memory and the database back */
	dbf.up = false;
	dbf.connected = false;
	jf.append_fails = true;
	ct_talk("198.18.1.10", 60);
	tqd_poll(t);			/* 11, in memory */
	CU_ASSERT_EQUAL(jf.n, 0);
	dbf.up = true;
	tqd_shutdown(t);		/* connects at once, applies it */
	CU_ASSERT_EQUAL(dbf.ntotals, 6);
	CU_ASSERT_EQUAL(dbf.totals[5], 11);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 40 - 11);
	CU_ASSERT_EQUAL(dbf.masq_clears, 1);
	stop(t);
}

/* A journalled poll from before with a name the database refuses (as
 * lib/db.c's cols_build does a control character): while it is tried,
 * the new polls go behind it, not ahead (their masq writes go on); it is
 * set aside after TQD_REFUSED_MAX (3) tries, not while the side file
 * cannot be written; then the polls behind it are applied in order, and
 * poll ids are pruned again. */
static void test_refused_poll_set_aside(void)
{
	uint64_t id_a, id_b;
	struct tqd *t;

	reset();
	user("alice", 1000, true);
	add_row("198.18.1.10", "alice", 1, 100, 0);	/* open at start */
	jf.polls[0].id = 0x100;
	jf.polls[0].when = 1700000000;
	jf.polls[0].total = 5;
	tq_strlcpy(jf.debits[0][0].name, "bad\001", sizeof(jf.debits[0][0].name));
	jf.debits[0][0].amount = 5;
	jf.polls[0].debits = jf.debits[0];
	jf.polls[0].n_debits = 1;
	jf.n = 1;
	dbf.refuse = "bad\001";
	t = start();			/* try 1 */
	CU_ASSERT_EQUAL(dbf.refusals, 1);
	CU_ASSERT(fw_has("198.18.1.10"));
	ct_talk("198.18.1.10", 10);
	tqd_poll(t);			/* try 2; poll A behind it */
	CU_ASSERT_EQUAL(dbf.refusals, 2);
	CU_ASSERT_EQUAL_FATAL(jf.n, 2);
	CU_ASSERT_EQUAL(jf.polls[0].id, 0x100);
	CU_ASSERT_EQUAL(jf.polls[1].total, 11);
	id_a = jf.polls[1].id;
	CU_ASSERT_EQUAL(quota("alice"), 1000);
	CU_ASSERT_EQUAL(dbf.ntotals, 0);
	CU_ASSERT_EQUAL(row("198.18.1.10")->counter, 1);	/* masq ops */
	CU_ASSERT_EQUAL(row("198.18.1.10")->tic, 99);
	CU_ASSERT_EQUAL(dbf.prunes, 0);
	jf.aside_fails = true;
	ct_talk("198.18.1.10", 20);
	tqd_poll(t);			/* try 3: the side file fails, kept */
	CU_ASSERT_EQUAL(dbf.refusals, 3);
	CU_ASSERT_EQUAL(jf.naside, 0);
	CU_ASSERT_EQUAL_FATAL(jf.n, 3);
	CU_ASSERT_EQUAL(jf.polls[0].id, 0x100);
	id_b = jf.polls[2].id;
	CU_ASSERT_EQUAL(quota("alice"), 1000);
	jf.aside_fails = false;
	ct_talk("198.18.1.10", 30);
	tqd_poll(t);			/* set aside; A, B, then C applied */
	CU_ASSERT_EQUAL(dbf.refusals, 4);
	CU_ASSERT_EQUAL_FATAL(jf.naside, 1);
	CU_ASSERT_EQUAL(jf.aside[0].id, 0x100);
	CU_ASSERT_EQUAL(jf.aside[0].when, 1700000000);
	CU_ASSERT_EQUAL(jf.aside[0].total, 5);
	CU_ASSERT_EQUAL_FATAL(jf.aside[0].n_debits, 1);
	CU_ASSERT_STRING_EQUAL(jf.aside_debits[0][0].name, "bad\001");
	CU_ASSERT_EQUAL(jf.aside_debits[0][0].amount, 5);
	CU_ASSERT_STRING_EQUAL(jf.aside_gw[0], "gw1");
	CU_ASSERT_STRING_EQUAL(jf.aside_why[0], "debit for user \"bad\001\": "
			       "contains a control character");
	CU_ASSERT_EQUAL(jf.n, 0);
	CU_ASSERT_EQUAL_FATAL(dbf.ntotals, 3);
	CU_ASSERT_EQUAL_FATAL(dbf.napplied, 3);	/* A, B, C (masq alone:
						 * store_sql_ack) */
	CU_ASSERT_EQUAL(dbf.applied[0], id_a);
	CU_ASSERT_EQUAL(dbf.applied[1], id_b);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 33);
	CU_ASSERT_EQUAL(dbf.period_total, 33);
	CU_ASSERT_EQUAL(row("198.18.1.10")->counter, 3);
	CU_ASSERT_EQUAL(dbf.prunes, 1);
	tqd_poll(t);
	CU_ASSERT_EQUAL(dbf.refusals, 4);
	stop(t);
}

/* Names lib/db.c would refuse are stopped when the snapshot is loaded:
 * the user is left out (so not allowed): a request of theirs is refused,
 * a host left open for them (a hand-written open row) is cut without a
 * charge, and no poll ever carries the name. */
static void test_bad_names_at_source(void)
{
	struct tqd *t;

	reset();
	user("alice", 1000, true);
	user("bad\001", 1000, true);
	add_row("198.18.1.10", "bad\001", 2, 100, 0);
	add_row("198.18.1.11", "alice", 2, 100, 0);
	add_row("198.18.1.12", "bad\001", 1, 100, 0);
	dbf.refuse = "bad\001";
	t = start();
	CU_ASSERT(fw_has("198.18.1.12"));	/* reconciled: an open row */
	ct_talk("198.18.1.12", 10);
	tqd_poll(t);
	CU_ASSERT(!fw_has("198.18.1.10"));
	CU_ASSERT_PTR_NULL(row("198.18.1.10"));
	CU_ASSERT(!fw_has("198.18.1.12"));	/* cut off */
	CU_ASSERT_PTR_NULL(row("198.18.1.12"));
	CU_ASSERT(fw_has("198.18.1.11"));
	ct_talk("198.18.1.10", 10);
	ct_talk("198.18.1.11", 10);
	tqd_poll(t);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 11);	/* alone */
	CU_ASSERT_EQUAL(dbf.ntotals, 1);
	CU_ASSERT_EQUAL(quota("bad\001"), 1000);
	CU_ASSERT_EQUAL(dbf.refusals, 0);
	CU_ASSERT_EQUAL(jf.n, 0);
	stop(t);
}

/* Reconnecting waits 1, 2, 4, 8 polls, then 8 (period 5: 8 polls = 40 s,
 * under TQD_BACKOFF_S); a request pass never connects; a success resets
 * it; shutdown tries at once. */
static void test_reconnect_backoff(void)
{
	/* connects after each poll of the outage, polls 1..32 */
	static const int want[33] = {
		0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5,
		5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7,
	};
	struct tqd *t;
	int i;

	t = start_alice(NULL);
	tqd_poll(t);
	dbf.up = false;
	dbf.connected = false;
	dbf.connects = 0;
	for (i = 1; i <= 32; i++) {
		if (i == 25)
			dbf.up = true;
		tqd_poll(t);
		CU_ASSERT_EQUAL(dbf.connects, want[i]);
		if (dbf.connects != want[i])
			fprintf(stderr, "poll %d: %d connects, want %d\n", i,
				dbf.connects, want[i]);
		if (i == 10) {
			add_row("198.18.1.11", "alice", 2, 100, 0);
			tqd_requests(t);
			CU_ASSERT_EQUAL(dbf.connects, want[i]);
		}
	}
	CU_ASSERT(dbf.connected);
	CU_ASSERT(fw_has("198.18.1.11"));	/* the poll that connected */
	/* a new outage starts again at once */
	dbf.up = false;
	dbf.connected = false;
	tqd_poll(t);
	CU_ASSERT_EQUAL(dbf.connects, 8);
	tqd_poll(t);
	CU_ASSERT_EQUAL(dbf.connects, 9);
	tqd_poll(t);
	CU_ASSERT_EQUAL(dbf.connects, 9);
	tqd_shutdown(t);		/* one last try, wait or not */
	CU_ASSERT_EQUAL(dbf.connects, 10);
	CU_ASSERT_EQUAL(dbf.masq_clears, 0);
	stop(t);
}

/* Log to a temporary file (path, the caller's XXXXXX buffer). */
static void log_to(char *path)
{
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(log_open(NULL, path), 0);
}

static void log_back(char *path)
{
	log_open(NULL, "-");
	unlink(path);
}

/* An admin's transaction holds alice's tcptab row: her debits fail at
 * once and are held (journal), every poll's masq writes go on alone (bob's
 * request answered, alice's heartbeat and counter written), the lock is
 * said once naming the table and alice, never as an outage; when it goes,
 * every held poll is applied once and the lock is said over. */
static void test_lock_on_a_balance(void)
{
	char path[] = "/tmp/test_tqd.log.XXXXXX";
	struct tqd *t;
	int i;

	t = start_alice(NULL);
	user("bob", 1000, true);
	tqd_poll(t);			/* opens alice */
	log_to(path);
	dbf.locked = "alice";
	for (i = 1; i <= 3; i++) {
		ct_talk("198.18.1.10", 10 * (uint64_t)i);
		if (i == 2)
			add_row("198.18.1.11", "bob", 2, 100, 0);
		tqd_poll(t);
	}
	CU_ASSERT(dbf.connected);		/* no outage */
	CU_ASSERT_EQUAL(jf.n, 3);		/* held */
	CU_ASSERT_EQUAL(quota("alice"), 1000);
	CU_ASSERT_EQUAL(dbf.period_total, 0);
	CU_ASSERT_EQUAL(row("198.18.1.11")->open, 1);	/* bob answered */
	CU_ASSERT(fw_has("198.18.1.11"));
	CU_ASSERT_EQUAL(row("198.18.1.10")->counter, 3);
	CU_ASSERT_EQUAL(row("198.18.1.10")->tic, 100 - 3);
	/* a request pass goes on too */
	add_row("198.18.1.12", "bob", 2, 100, 0);
	tqd_requests(t);
	CU_ASSERT_EQUAL(row("198.18.1.12")->open, 1);
	dbf.locked = NULL;
	tqd_poll(t);			/* replayed, then an idle poll */
	CU_ASSERT_EQUAL(jf.n, 0);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 3 * 11);
	CU_ASSERT_EQUAL(dbf.period_total, 33);
	CU_ASSERT_EQUAL(dbf.ntotals, 3);
	CU_ASSERT_EQUAL(count_in(path, "warning: database: lock wait on "
				 "tcptab (alice): "), 1);
	CU_ASSERT_EQUAL(count_in(path, "database unavailable"), 0);
	CU_ASSERT_EQUAL(count_in(path, "info: database: lock wait over\n"),
			1);
	CU_ASSERT_EQUAL(count_in(path, "set aside"), 0);
	log_back(path);
	stop(t);
}

/* A masq row locked (a tool's or an admin's transaction): the others'
 * answers are written one by one; the locked one at a later poll. */
static void test_lock_on_a_row(void)
{
	struct tqd *t;

	reset();
	user("alice", 1000, true);
	user("bob", 1000, true);
	t = start();
	add_row("198.18.1.10", "alice", 2, 100, 0);
	add_row("198.18.1.11", "bob", 2, 100, 0);
	add_row("198.18.1.12", "alice", 2, 100, 0);
	dbf.locked_host = "198.18.1.11";
	tqd_requests(t);
	CU_ASSERT_EQUAL(row("198.18.1.10")->open, 1);
	CU_ASSERT_EQUAL(row("198.18.1.11")->open, 2);
	CU_ASSERT_EQUAL(row("198.18.1.12")->open, 1);
	tqd_poll(t);			/* its ops go one by one too */
	CU_ASSERT_EQUAL(row("198.18.1.10")->tic, 99);
	CU_ASSERT_EQUAL(row("198.18.1.11")->open, 2);
	dbf.locked_host = NULL;
	tqd_poll(t);
	CU_ASSERT_EQUAL(row("198.18.1.11")->open, 1);
	CU_ASSERT(fw_has("198.18.1.11"));
	stop(t);
}

/* A table missing (periodtab dropped; tcptab renamed, so the snapshot
 * fails too) is no refusal: polls are held however long, none set aside,
 * said once as schema damage and reminded every minute's worth of polls
 * (period 5: 12); once back every poll is applied once, in order. */
static void test_schema_damage_holds(void)
{
	char path[32];
	struct tqd *t;
	int i, k;

	for (k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "/tmp/test_tqd.log.XXXXXX");
		t = start_alice(NULL);
		tqd_poll(t);
		log_to(path);
		if (k == 0)
			dbf.no_periodtab = true;
		else
			dbf.no_tcptab = true;
		for (i = 1; i <= 13; i++) {
			ct_talk("198.18.1.10", 10 * (uint64_t)i);
			tqd_poll(t);
		}
		CU_ASSERT_EQUAL(jf.n, 13);
		CU_ASSERT_EQUAL(jf.naside, 0);
		CU_ASSERT_EQUAL(quota("alice"), 1000);
		CU_ASSERT(fw_has("198.18.1.10"));
		CU_ASSERT_EQUAL(count_in(path, "warning: database: schema: "),
				2);	/* said, then reminded once */
		CU_ASSERT_EQUAL(count_in(path, "Table 'tcpquota."), 2);
		CU_ASSERT_EQUAL(count_in(path, k == 0 ? "periodtab" :
					 "tcptab"), 2);
		CU_ASSERT_EQUAL(count_in(path, "(still so; 12 polls held)"),
				1);
		CU_ASSERT_EQUAL(count_in(path, "database unavailable"), 0);
		dbf.no_periodtab = dbf.no_tcptab = false;
		tqd_poll(t);
		CU_ASSERT_EQUAL(jf.n, 0);
		CU_ASSERT_EQUAL(jf.naside, 0);
		CU_ASSERT_EQUAL(dbf.ntotals, 13);
		CU_ASSERT_EQUAL(quota("alice"), 1000 - 13 * 11);
		CU_ASSERT_EQUAL(dbf.period_total, 13 * 11);
		CU_ASSERT_EQUAL(count_in(path, "info: database: schema "
					 "problem over\n"), 1);
		log_back(path);
		stop(t);
	}
}

/* Debits held (database down): the balance is the last one read less
 * them, so the poll that takes alice to min_quota cuts her off while the
 * database is down (host closed, its connections ended), and nothing is
 * opened meanwhile.  Back, the held polls are applied once and her row is
 * deleted. */
static void test_cut_on_held_debits(void)
{
	struct tqd *t;

	reset();
	user("alice", 25, true);
	user("bob", 1000, true);
	add_row("198.18.1.10", "alice", 2, 100, 0);
	t = start();
	tqd_poll(t);
	CU_ASSERT(fw_has("198.18.1.10"));
	dbf.up = false;
	dbf.connected = false;
	add_row("198.18.1.11", "bob", 2, 100, 0);	/* unseen request */
	ct_talk("198.18.1.10", 10);
	tqd_poll(t);				/* 25 - 11 = 14 */
	ct_talk("198.18.1.10", 20);
	tqd_poll(t);				/* 3 */
	CU_ASSERT(fw_has("198.18.1.10"));
	ct_talk("198.18.1.10", 30);
	tqd_poll(t);				/* -8: cut off */
	CU_ASSERT(!fw_has("198.18.1.10"));
	CU_ASSERT_EQUAL(ctf.n, 0);		/* connections ended */
	CU_ASSERT_EQUAL(jf.n, 3);
	tqd_poll(t);				/* nothing more charged */
	tqd_poll(t);
	CU_ASSERT_EQUAL(jf.n, 3);
	CU_ASSERT(!fw_has("198.18.1.10"));	/* not reopened */
	CU_ASSERT(!fw_has("198.18.1.11"));	/* nothing opened */
	CU_ASSERT_EQUAL(quota("alice"), 25);
	dbf.up = true;
	while (dbf.connects < 7 && jf.n > 0)
		tqd_poll(t);			/* the backoff's wait */
	CU_ASSERT_EQUAL(jf.n, 0);
	CU_ASSERT_EQUAL(quota("alice"), 25 - 33);
	CU_ASSERT_EQUAL(dbf.period_total, 33);
	CU_ASSERT_PTR_NULL(row("198.18.1.10"));	/* cut again: deleted */
	CU_ASSERT(!fw_has("198.18.1.10"));
	CU_ASSERT(fw_has("198.18.1.11"));
	stop(t);
}

/* Held debits count against a request too. */
static void test_request_on_held_debits(void)
{
	struct tqd *t;

	reset();
	user("alice", 20, true);
	add_row("198.18.1.10", "alice", 2, 100, 0);
	t = start();
	tqd_poll(t);
	dbf.locked = "alice";
	ct_talk("198.18.1.10", 10);
	tqd_poll(t);				/* 11 held: 9 left */
	ct_talk("198.18.1.10", 20);
	tqd_poll(t);				/* 22 held: cut off */
	CU_ASSERT(!fw_has("198.18.1.10"));
	CU_ASSERT_PTR_NULL(row("198.18.1.10"));
	add_row("198.18.1.11", "alice", 2, 100, 0);
	tqd_requests(t);			/* 20 - 22 <= 0: refused */
	CU_ASSERT(!fw_has("198.18.1.11"));
	CU_ASSERT_PTR_NULL(row("198.18.1.11"));
	dbf.locked = NULL;
	tqd_poll(t);
	CU_ASSERT_EQUAL(quota("alice"), 20 - 22);
	stop(t);
}

/* A late poll (the timer's expiries: the loop was held up) bills the
 * periods it covers, counts them in the row's counter; at most
 * heartbeat_tics (default 10) periods. */
static void test_late_poll(void)
{
	struct tqd *t;

	t = start_alice(NULL);
	tqd_poll(t);
	ct_talk("198.18.1.10", 10);
	tqd_poll_late(t, 3);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 3 * 11);
	CU_ASSERT_EQUAL(dbf.period_total, 33);
	CU_ASSERT_EQUAL(row("198.18.1.10")->counter, 3);
	CU_ASSERT_EQUAL(row("198.18.1.10")->tic, 100 - 1);	/* per poll */
	ct_talk("198.18.1.10", 20);
	tqd_poll_late(t, 1000);
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 13 * 11);
	CU_ASSERT_EQUAL(row("198.18.1.10")->counter, 13);
	tqd_poll_late(t, 5);		/* idle: nothing */
	CU_ASSERT_EQUAL(quota("alice"), 1000 - 13 * 11);
	stop(t);
}

int main(void)
{
	static const struct tq_test tests[] = {
		{ "reconcile at start", test_reconcile_at_start },
		{ "charge, idle, cut-off", test_charge_and_cut },
		{ "users on the gateway: counted, blocked, allowed",
		  test_local_users_counted },
		{ "database down: hold, open nothing, replay",
		  test_database_down },
		{ "failed open is not acknowledged",
		  test_failed_open_not_acknowledged },
		{ "rebuild a flushed table", test_rebuild_when_altered },
		{ "host sets repaired", test_sets_repaired },
		{ "nf_conntrack_acct retried", test_acct_retried },
		{ "no ctnetlink: entries stay, warned once",
		  test_no_ctnetlink_warned_once },
		{ "request pass, shutdown", test_request_pass_and_shutdown },
		{ "old poll ids pruned only with the journal empty",
		  test_prune_poll_ids },
		{ "conntrack events between full reads",
		  test_events_between_full_reads },
		{ "set counters restarting or unreadable",
		  test_counters_restart },
		{ "conntrack_resync = 0 or no events: full read every poll",
		  test_full_read_every_poll },
		{ "journal failing, database down: held in memory, in order",
		  test_journal_fails_db_down },
		{ "refused held poll: new polls behind it, set aside",
		  test_refused_poll_set_aside },
		{ "names the database refuses stop at the snapshot",
		  test_bad_names_at_source },
		{ "reconnect backoff", test_reconnect_backoff },
		{ "a balance locked: debits held, requests go on",
		  test_lock_on_a_balance },
		{ "a masq row locked: the other rows' answers go on",
		  test_lock_on_a_row },
		{ "schema damage: held, said once and reminded, none set "
		  "aside", test_schema_damage_holds },
		{ "database down: cut off on the balance less held debits",
		  test_cut_on_held_debits },
		{ "held debits count against a request",
		  test_request_on_held_debits },
		{ "a late poll bills the periods it covers", test_late_poll },
		{ NULL, NULL }
	};

	log_open("test_tqd", "-");
	return tq_test_main("tqd", tests);
}
