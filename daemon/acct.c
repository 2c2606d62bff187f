/* acct.c - the accounting core: one poll's decisions from plain structs.
 *
 * No I/O, no clock, no globals: everything comes in through struct
 * acct_in and goes out through struct acct_out, so every rule of
 * DESIGN.md "The poll" is tested with hand-made inputs.
 *
 * Order of one poll, per masq row (by index):
 *   bad rows        host that does not parse, unknown open/free codes
 *   free hours      free=1 rows outside the free-access window go
 *   requests        2 -> open (if permitted) and ack 1, else delete;
 *                   3 -> close and ack 0
 *   heartbeat       paid rows with open 1/0: expire at tic <= 1, else
 *                   tic - 1 (an open portal row has no heartbeat: it
 *                   goes when idle); open rows missing from the
 *                   firewall are re-added, closed rows still in it
 *                   removed
 *   online          (link up) open==1 rows whose packet total moved
 * then per user: the charge (one period's, times the periods the poll
 * covers), the cut-offs, the unblocks.  Every balance is quota - held
 * (balance()): debits the database has not taken yet count already.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "util.h"

long long acct_charge(int period, double rate, unsigned n)
{
	long double pr, x, r;

	if (n == 0)
		return 0;
	pr = (long double)period * (long double)rate;
	if (!(pr > 0))			/* also NaN and negative rates */
		return 1;
	if (pr > 1e15L)			/* nonsense: keep each * n in range */
		pr = 1e15L;
	x = pr / (long double)n;
	/*
	 * A rate of 0.29 is stored as 0.28999999999999998; times 100 it
	 * must still give 29, as the decimal the admin wrote would.  A
	 * product within a relative 1e-9 of an integer is that integer.
	 */
	r = roundl(x);
	if (fabsl(x - r) <= 1e-9L * (r > 1 ? r : 1))
		x = r;
	return (long long)floorl(x) + 1;
}

const char *acct_cut_reason_str(enum acct_cut_reason r)
{
	switch (r) {
	case ACCT_CUT_NOT_ALLOWED:
		return "not allowed";
	case ACCT_CUT_NO_QUOTA:
		return "no quota";
	}
	return "?";
}

void acct_out_free(struct acct_out *out)
{
	free(out->debits);
	free(out->rows);
	free(out->cuts);
	free(out->unblock);
	out->debits = NULL;
	out->rows = NULL;
	out->cuts = NULL;
	out->unblock = NULL;
	out->n_debits = out->n_rows = out->n_cuts = out->n_unblock = 0;
}

/* a * b, saturating at LLONG_MAX (both >= 0). */
static long long mul_sat(long long a, long long b)
{
	long long r;

	if (__builtin_mul_overflow(a, b, &r))
		return LLONG_MAX;
	return r;
}

/* a - b, saturating. */
static long long sub_sat(long long a, long long b)
{
	long long r;

	if (__builtin_sub_overflow(a, b, &r))
		return b > 0 ? LLONG_MIN : LLONG_MAX;
	return r;
}

/* ---- sorted name sets -------------------------------------------------- */

static int cmp_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int cmp_user(const void *x, const void *y)
{
	const struct acct_user *a = *(const struct acct_user *const *)x;
	const struct acct_user *b = *(const struct acct_user *const *)y;

	return strcmp(a->name, b->name);
}

/* Sort and drop duplicates; returns the new count. */
static size_t names_uniq(const char **v, size_t n)
{
	size_t i, k = 0;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_name);
	for (i = 1; i < n; i++)
		if (strcmp(v[i], v[k]))
			v[++k] = v[i];
	return k + 1;
}

static bool names_has(const char *const *v, size_t n, const char *name)
{
	return n && bsearch(&name, v, n, sizeof(*v), cmp_name) != NULL;
}

struct ctx {
	const struct acct_in *in;
	const struct acct_user **users;	/* sorted by name */
	size_t n_users;
	const char **online;		/* sorted, unique */
	size_t n_online;
	long long debit;		/* each online user's: each * periods */
};

static const struct acct_user *user_find(const struct ctx *x,
					 const char *name)
{
	struct acct_user key = { .name = name };
	const struct acct_user *kp = &key, *const *u;

	if (!x->n_users)
		return NULL;
	u = bsearch(&kp, x->users, x->n_users, sizeof(*x->users), cmp_user);
	return u ? *u : NULL;
}

/* What the user has: the database's balance less the held debits. */
static long long balance(const struct acct_user *u)
{
	return sub_sat(u->quota, u->held);
}

/* Balance after this poll's debit (a user without a tcptab row starts
 * at 0, as the database layer creates it). */
static long long quota_after(const struct ctx *x, const char *name)
{
	const struct acct_user *u = user_find(x, name);
	long long q = u ? balance(u) : 0;

	if (names_has(x->online, x->n_online, name))
		q = sub_sat(q, x->debit);
	return q;
}

/* May this user's host be opened, before the debit? */
static bool may_open(const struct ctx *x, const char *name,
		     const char **why)
{
	const struct tq_conf *conf = x->in->conf;
	const struct acct_user *u;

	if (conf_is_free_user(conf, name))
		return true;
	u = user_find(x, name);
	if (!u || !u->allowed) {
		*why = "refused: not allowed";
		return false;
	}
	if (balance(u) <= conf->min_quota) {
		*why = "refused: no quota";
		return false;
	}
	return true;
}

/* Is this user charged when online?  Users who may not use the link
 * are cut off instead: they get nothing, so they pay nothing, and they do
 * not lower the others' share. */
static bool pays(const struct ctx *x, const char *name)
{
	const struct acct_user *u;

	if (conf_is_free_user(x->in->conf, name))
		return true;
	u = user_find(x, name);
	return u && u->allowed;
}

static bool blocked_uid(const struct acct_in *in, unsigned uid)
{
	size_t i;

	for (i = 0; i < in->n_blocked; i++)
		if (in->blocked[i].uid == uid)
			return true;
	return false;
}

/* ---- rows ------------------------------------------------------------- */

/* Close (if in the firewall) and delete; whatever else was planned for the
 * row this poll no longer matters. */
static void row_drop(struct acct_row *r, const struct acct_masq *m,
		     const char *why)
{
	r->del = true;
	r->fw_close = m->in_firewall;
	r->fw_open = false;
	r->set_open = false;
	r->tic_dec = false;
	r->charged = false;
	r->set_cnts = false;
	r->why = why;
}

static bool row_changed(const struct acct_row *r)
{
	return r->fw_open || r->fw_close || r->del || r->set_open ||
	       r->tic_dec || r->charged || r->set_cnts;
}

/* Requests, free hours and heartbeat of one row.  Returns false for a
 * malformed row (deleted, and not to be looked at any further). */
static bool row_state(const struct ctx *x, const struct acct_masq *m,
		      struct acct_row *r, bool free_hours)
{
	bool paid = m->free == MASQ_PAID;
	const char *why = NULL;

	if (!r->addr_ok) {
		row_drop(r, m, "bad host");
		return false;
	}
	if (!addr_is_host(&r->addr)) {
		row_drop(r, m, "not a LAN host address");
		return false;
	}
	if (m->open < MASQ_CLOSED || m->open > MASQ_REQ_CLOSE) {
		row_drop(r, m, "bad open code");
		return false;
	}
	if (m->free != MASQ_PAID && m->free != MASQ_FREE &&
	    m->free != MASQ_ADMIN) {
		row_drop(r, m, "bad free code");
		return false;
	}
	if (paid && (!m->name || !*m->name)) {
		row_drop(r, m, "bad name");
		return false;
	}
	if (m->free == MASQ_FREE && !free_hours) {
		row_drop(r, m, "outside free hours");
		return true;
	}

	switch (m->open) {
	case MASQ_REQ_OPEN:
		if (paid && !may_open(x, m->name, &why)) {
			row_drop(r, m, why);
			return true;
		}
		r->fw_open = true;
		r->set_open = true;
		r->open = MASQ_OPENED;
		r->why = "open request";
		return true;
	case MASQ_REQ_CLOSE:
		r->fw_close = m->in_firewall;
		r->set_open = true;
		r->open = MASQ_CLOSED;
		r->why = "close request";
		return true;
	}

	/* open 1 or 0 */
	if (m->portal && m->open == MASQ_OPENED && m->idle) {
		row_drop(r, m, "idle timeout");
		return true;
	}
	if (paid && !(m->portal && m->open == MASQ_OPENED)) {
		if (m->tic <= 1) {
			row_drop(r, m, "tic expired");
			return true;
		}
		r->tic_dec = true;
		r->why = "heartbeat";
	}
	if (m->open == MASQ_OPENED && !m->in_firewall) {
		r->fw_open = true;
		r->why = "repair";
	} else if (m->open == MASQ_CLOSED && m->in_firewall) {
		r->fw_close = true;
		r->why = "repair";
	}
	return true;
}

/* ---- the poll --------------------------------------------------------- */

int acct_poll(const struct acct_in *in, struct acct_out *out)
{
	const struct tq_conf *conf = in->conf;
	const char *pseudo = conf->n_free_users ? conf->free_users[0] : NULL;
	const char **online, **seen;
	struct acct_row *rows;
	bool *counted;
	struct ctx x = { .in = in };
	size_t i, k, n_online = 0, n_seen = 0;
	bool free_hours;

	memset(out, 0, sizeof(*out));
	out->rate = conf_rate_at(conf, &in->now);
	out->periods = in->periods ? in->periods : 1;
	if (out->periods > (unsigned)conf->heartbeat_tics)
		out->periods = (unsigned)conf->heartbeat_tics;
	free_hours = conf_free_access_at(conf, &in->now);

	x.users = xcalloc(in->n_users, sizeof(*x.users));
	for (i = 0; i < in->n_users; i++)
		if (in->users[i].name)
			x.users[x.n_users++] = &in->users[i];
	if (x.n_users)
		qsort(x.users, x.n_users, sizeof(*x.users), cmp_user);

	rows = xcalloc(in->n_masq, sizeof(*rows));
	counted = xcalloc(in->n_masq, sizeof(*counted));
	online = xcalloc(in->n_masq + in->n_locals, sizeof(*online));
	/* seen: paid row owners and locals, then the online users again */
	seen = xcalloc(2 * (in->n_masq + in->n_locals), sizeof(*seen));

	/* Rows: state changes, and who is online through them. */
	for (i = 0; i < in->n_masq; i++) {
		const struct acct_masq *m = &in->masq[i];
		struct acct_row *r = &rows[i];
		const char *payer;

		r->idx = i;
		r->addr_ok = addr_parse(m->host, &r->addr) == 0;
		if (!row_state(&x, m, r, free_hours)) {
			out->n_bad_rows++;
			continue;
		}
		/* Traffic since the last poll on a host that was open: its
		 * payer is online, even if the row goes this poll. */
		if (in->link_up && m->open == MASQ_OPENED &&
		    m->packets != m->prev_packets) {
			payer = m->free == MASQ_PAID ? m->name : pseudo;
			if (payer && (m->free != MASQ_PAID ||
				      pays(&x, payer))) {
				online[n_online++] = payer;
				counted[i] = true;
			}
		}
		if (m->free == MASQ_PAID && !r->del)
			seen[n_seen++] = m->name;
	}
	/* Local users; a blocked uid cannot reach outside any more, so
	 * lingering sockets neither charge nor cut it again. */
	for (i = 0; in->link_up && i < in->n_locals; i++) {
		const struct acct_local *l = &in->locals[i];

		if (!l->name || !*l->name || !l->socks ||
		    blocked_uid(in, l->uid) || !pays(&x, l->name))
			continue;
		online[n_online++] = l->name;
	}
	/* With kill_processes a blocked user whose processes still hold
	 * outside sockets is cut again, so the processes are killed. */
	for (i = 0; i < in->n_locals; i++) {
		const struct acct_local *l = &in->locals[i];

		if (l->name && *l->name && l->socks &&
		    (conf->kill_processes || !blocked_uid(in, l->uid)))
			seen[n_seen++] = l->name;
	}

	/* The charge. */
	n_online = names_uniq(online, n_online);
	x.online = online;
	x.n_online = n_online;
	out->n_online = (unsigned)n_online;
	out->each = acct_charge(conf->period, out->rate, out->n_online);
	x.debit = mul_sat(out->each, out->periods);
	out->total = mul_sat(x.debit, (long long)n_online);
	if (n_online) {
		out->debits = xcalloc(n_online, sizeof(*out->debits));
		for (i = 0; i < n_online; i++) {
			out->debits[i].name = online[i];
			out->debits[i].amount = x.debit;
		}
		out->n_debits = n_online;
	}

	/* Cut-offs: everyone seen this poll, online or not. */
	for (i = 0; i < n_online; i++)
		seen[n_seen++] = online[i];
	n_seen = names_uniq(seen, n_seen);
	out->cuts = n_seen ? xcalloc(n_seen, sizeof(*out->cuts)) : NULL;
	for (i = 0; i < n_seen; i++) {
		const char *name = seen[i];
		const struct acct_user *u;
		struct acct_cut *c;
		long long q;

		if (conf_is_free_user(conf, name))
			continue;
		u = user_find(&x, name);
		q = quota_after(&x, name);
		if (u && u->allowed && q > conf->min_quota)
			continue;
		c = &out->cuts[out->n_cuts++];
		c->name = name;
		c->reason = u && u->allowed ? ACCT_CUT_NO_QUOTA :
					      ACCT_CUT_NOT_ALLOWED;
		c->quota = q;
		for (k = 0; k < in->n_locals; k++) {
			if (in->locals[k].name &&
			    !strcmp(in->locals[k].name, name)) {
				c->has_uid = true;
				c->uid = in->locals[k].uid;
				break;
			}
		}
	}
	if (!out->n_cuts) {
		free(out->cuts);
		out->cuts = NULL;
	}

	/* Rows: charges, and the cut users' paid rows. */
	for (i = 0; i < in->n_masq; i++) {
		const struct acct_masq *m = &in->masq[i];
		struct acct_row *r = &rows[i];

		if (r->del)
			continue;
		if (m->free == MASQ_PAID) {
			for (k = 0; k < out->n_cuts; k++) {
				const struct acct_cut *c = &out->cuts[k];

				if (strcmp(c->name, m->name))
					continue;
				row_drop(r, m, c->reason == ACCT_CUT_NO_QUOTA ?
					 "cut off: no quota" :
					 "cut off: not allowed");
				r->cut = true;
				break;
			}
			if (r->del)
				continue;
		}
		if (counted[i]) {
			r->charged = true;
			r->set_cnts = true;
			r->cnts = m->conns;
			if (!r->why || !strcmp(r->why, "heartbeat"))
				r->why = "online";
		}
	}
	for (i = 0; i < in->n_masq; i++) {
		if (!row_changed(&rows[i]))
			continue;
		if (!out->rows)
			out->rows = xcalloc(in->n_masq, sizeof(*out->rows));
		out->rows[out->n_rows++] = rows[i];
	}

	/* Unblock those who may use the link again. */
	for (i = 0; i < in->n_blocked; i++) {
		const struct acct_blocked *b = &in->blocked[i];
		const struct acct_user *u;

		if (!b->name)
			continue;
		u = user_find(&x, b->name);
		if (!conf_is_free_user(conf, b->name) &&
		    !(u && u->allowed &&
		      quota_after(&x, b->name) > conf->min_quota))
			continue;
		if (!out->unblock)
			out->unblock = xcalloc(in->n_blocked,
					       sizeof(*out->unblock));
		out->unblock[out->n_unblock++] = b->uid;
	}
	if (out->n_unblock > 1) {
		qsort(out->unblock, out->n_unblock, sizeof(*out->unblock),
		      tq_uint_cmp);
		for (i = 1, k = 0; i < out->n_unblock; i++)
			if (out->unblock[i] != out->unblock[k])
				out->unblock[++k] = out->unblock[i];
		out->n_unblock = k + 1;
	}

	free(seen);
	free(online);
	free(counted);
	free(rows);
	free(x.users);
	return 0;
}

void acct_keep_cuts(struct acct_out *out)
{
	size_t i, k = 0;

	for (i = 0; i < out->n_rows; i++) {
		struct acct_row *r = &out->rows[i];

		if (!r->cut)
			continue;
		/* The firewall only: the row stays until it can be
		 * written (a fresh poll cuts it again). */
		r->del = false;
		out->rows[k++] = *r;
	}
	out->n_rows = k;
	free(out->unblock);
	out->unblock = NULL;
	out->n_unblock = 0;
}
