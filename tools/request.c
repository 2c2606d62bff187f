/* request.c - open and close a host, or a room, through masq
 * (request.h).
 *
 * Invariants: a row this file wrote is either acknowledged by tcpquotad
 * (open = 1) when rq_open() returns RQ_OK, or deleted before it returns;
 * a delete names the row's owner, so a row someone else re-created
 * meanwhile is left alone (a room's closed rows excepted: they are the
 * free user's, whoever asked).  A room touches only its members' free
 * rows (free = 1) and rows it inserted itself.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "masq.h"
#include "request.h"
#include "util.h"

static int dberr(struct tool_ctx *t, char *why, size_t len)
{
	tq_strlcpy(why, db_error(t->db), len);
	return RQ_DBERR;
}

int rq_refusal(struct tool_ctx *t, const char *name, bool self, char *why,
	       size_t len)
{
	const struct tq_conf *c = t->conf;
	struct tooldb_user u;
	char mbuf[64], lbuf[64];

	if (tooldb_user_get(t->db, name, &u) < 0)
		return dberr(t, why, len);
	if (!u.allowed) {
		snprintf(why, len, "%s %s not allowed to use the link",
			 self ? "you" : name, self ? "are" : "is");
		return 1;
	}
	if (conf_is_free_user(c, name) || u.quota > c->min_quota)
		return 0;
	snprintf(why, len, "no quota left: %s%s is %lld s (%s), the limit is "
		 "%lld s (%s)", self ? "your balance" : "the balance of ",
		 self ? "" : name, u.quota,
		 toolctx_money(t, u.quota, mbuf, sizeof(mbuf)), c->min_quota,
		 toolctx_money(t, c->min_quota, lbuf, sizeof(lbuf)));
	return 1;
}

int rq_open(struct tool_ctx *t, const struct tooldb_new *n, bool self,
	    struct tooldb_masq *held, char *why, size_t len)
{
	const struct tq_conf *c = t->conf;
	struct tooldb_masq m;
	int rc;

	why[0] = '\0';
	if (n->free == MASQ_PAID) {
		rc = rq_refusal(t, n->name, self, why, len);
		if (rc)
			return rc < 0 ? rc : RQ_REFUSED;
	}
	rc = tooldb_masq_insert(t->db, c->gateway, n, MASQ_REQ_OPEN,
				c->heartbeat_tics);
	if (rc < 0)
		return dberr(t, why, len);
	if (rc == 1) {
		rc = tooldb_masq_find(t->db, c->gateway, n->host,
				      held ? held : &m);
		if (rc < 0)
			return dberr(t, why, len);
		return rc ? RQ_HELD : RQ_BUSY;
	}
	toolctx_poke(t);
	rc = tooldb_wait(t->db, c->gateway, n->host, MASQ_OPENED,
			 toolctx_ack_timeout_ms(c), &m);
	if (rc == TOOLDB_WAIT_OK)
		return RQ_OK;
	if (rc < 0)
		dberr(t, why, len);
	tooldb_masq_delete(t->db, c->gateway, n->host, n->name);
	if (rc == TOOLDB_WAIT_TIMEOUT)
		return RQ_TIMEOUT;
	if (rc < 0)
		return RQ_DBERR;
	/* Refused: tell why if the check says (the balance may have run
	 * out meanwhile). */
	if (n->free != MASQ_PAID ||
	    rq_refusal(t, n->name, self, why, len) != 1)
		why[0] = '\0';
	return RQ_DENIED;
}

int rq_close(struct tool_ctx *t, const char *host, const char *name,
	     char *why, size_t len)
{
	const struct tq_conf *c = t->conf;
	long long n;
	int rc;

	why[0] = '\0';
	n = tooldb_masq_set_open(t->db, c->gateway, host, name,
				 MASQ_REQ_CLOSE);
	if (n < 0)
		return dberr(t, why, len);
	if (n == 0)
		return RQ_NONE;
	toolctx_poke(t);
	rc = tooldb_wait(t->db, c->gateway, host, MASQ_CLOSED,
			 toolctx_ack_timeout_ms(c), NULL);
	if (rc < 0)
		dberr(t, why, len);
	tooldb_masq_delete(t->db, c->gateway, host, name);
	if (rc < 0)
		return RQ_DBERR;
	return rc == TOOLDB_WAIT_TIMEOUT ? RQ_TIMEOUT : RQ_OK;
}

/* ---- rooms ---- */

void rq_hosts_add(struct rq_hosts *l, const char *host)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->h[i], host) == 0)
			return;
	xgrow(&l->h, &l->cap, l->n + 1, sizeof(*l->h));
	tq_strlcpy(l->h[l->n++], host, TQ_ADDRSTRLEN);
}

void rq_hosts_free(struct rq_hosts *l)
{
	free(l->h);
	memset(l, 0, sizeof(*l));
}

int rq_resolve(const char *s, struct rq_hosts *out, char *err,
	       size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char buf[TQ_ADDRSTRLEN], canon[TQ_ADDRSTRLEN];
	size_t before = out->n;
	int rc;

	if (addr_canon(s, buf, sizeof(buf)) == 0) {
		rq_hosts_add(out, buf);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(s, NULL, &hints, &res);
	if (rc != 0)
		return tq_err(err, errlen, "%s: %s", s, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof(buf),
				NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		if (addr_canon(buf, canon, sizeof(canon)) == 0)
			rq_hosts_add(out, canon);
	}
	freeaddrinfo(res);
	if (out->n == before)
		return tq_err(err, errlen, "%s: no address", s);
	return 0;
}

const char *rq_free_name(const struct tq_conf *c)
{
	return c->n_free_users ? c->free_users[0] : "free";
}

static void emit(rq_cb cb, void *arg, enum rq_event_kind kind,
		 const char *host, bool open, int result, const char *text)
{
	struct rq_event ev = {
		.kind = kind, .host = host, .open = open, .result = result,
		.text = text,
	};

	cb(arg, &ev);
}

int rq_await(struct tool_ctx *t, const struct rq_hosts *l, const bool *sel,
	     int want, const char *owner, rq_cb cb, void *arg)
{
	const char *gw = t->conf->gateway;
	uint64_t end = tq_now_us() +
		(uint64_t)toolctx_ack_timeout_ms(t->conf) * 1000;
	bool open = want == MASQ_OPENED;
	char err[512];
	uint64_t now;
	int bad = 0, rc, left;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (!sel[i])
			continue;
		now = tq_now_us();
		left = now < end ? (int)((end - now) / 1000) : 0;
		rc = tooldb_wait(t->db, gw, l->h[i], want, left, NULL);
		if (rc < 0)
			tq_strlcpy(err, db_error(t->db), sizeof(err));
		if (!open)
			tooldb_masq_delete(t->db, gw, l->h[i], NULL);
		if (rc == TOOLDB_WAIT_OK) {
			emit(cb, arg, RQ_EV_HOST, l->h[i], open, RQ_OK, NULL);
			continue;
		}
		bad++;
		if (rc == TOOLDB_WAIT_GONE || (rc == TOOLDB_WAIT_TIMEOUT &&
					       open))
			tooldb_masq_delete(t->db, gw, l->h[i], owner);
		emit(cb, arg, RQ_EV_HOST, l->h[i], open,
		     rc == TOOLDB_WAIT_GONE ? RQ_DENIED :
		     rc == TOOLDB_WAIT_TIMEOUT ? RQ_TIMEOUT : RQ_DBERR,
		     rc < 0 ? err : NULL);
	}
	return bad;
}

/* "open group room1: 198.18.1.10 198.18.1.11" into logging_openfw. */
static void log_room(struct tool_ctx *t, const struct rq_room *r, bool open,
		     const struct rq_hosts *l, const bool *sel)
{
	char action[2048];
	size_t i, o;

	o = (size_t)snprintf(action, sizeof(action), "%s group %s:",
			     open ? "open" : "close", r->g->name);
	for (i = 0; i < l->n && o < sizeof(action); i++)
		if (sel[i])
			o += (size_t)snprintf(action + o, sizeof(action) - o,
					      " %s", l->h[i]);
	if (r->note && o < sizeof(action))
		snprintf(action + o, sizeof(action) - o, " %s", r->note);
	if (tooldb_log(t->db, true, r->who, action) < 0)
		emit(r->cb, r->arg, RQ_EV_UNLOGGED, NULL, open, RQ_DBERR,
		     db_error(t->db));
}

/* Write the open requests of the members without a row into sel. */
static int room_insert(struct tool_ctx *t, const struct rq_room *r,
		       struct rq_hosts *l, const bool *isfree, bool *sel)
{
	const struct tq_conf *c = t->conf;
	struct tooldb_new n = { .name = rq_free_name(c), .free = MASQ_FREE };
	struct tooldb_masq m;
	size_t i;
	int rc;

	for (i = 0; i < l->n; i++) {
		if (isfree[i] || tooldb_masq_find(t->db, c->gateway, l->h[i],
						  &m) != 0)
			continue;
		n.host = l->h[i];
		rc = tooldb_masq_insert(t->db, c->gateway, &n, MASQ_REQ_OPEN,
					c->heartbeat_tics);
		if (rc < 0)
			return -1;
		if (rc == 1)
			emit(r->cb, r->arg, RQ_EV_MEANWHILE, l->h[i], true, 0,
			     NULL);
		else
			sel[i] = true;
	}
	return 0;
}

int rq_room(struct tool_ctx *t, const struct rq_room *r, char *why,
	    size_t len)
{
	const struct tq_conf *c = t->conf;
	const struct tq_group *g = r->g;
	struct rq_hosts l = { 0 };
	struct tooldb_masq m;
	char err[256];
	bool *isfree = NULL, *sel = NULL, open;
	size_t i, nfree = 0, nnone = 0;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	why[0] = '\0';
	for (i = 0; i < g->n_members; i++)
		if (rq_resolve(g->members[i], &l, err, sizeof(err)) < 0)
			emit(r->cb, r->arg, RQ_EV_UNRESOLVED, g->members[i],
			     false, 0, err);
	if (!l.n)
		return RQ_EMPTY;
	isfree = xcalloc(l.n, sizeof(bool));
	sel = xcalloc(l.n, sizeof(bool));
	for (i = 0; i < l.n; i++) {
		rc = tooldb_masq_find(t->db, c->gateway, l.h[i], &m);
		if (rc < 0)
			goto dberr;
		if (rc == 0) {
			nnone++;
		} else if (m.free == MASQ_FREE) {
			/* (closed as spelled in its row) */
			tq_strlcpy(l.h[i], m.host, TQ_ADDRSTRLEN);
			isfree[i] = true;
			nfree++;
		} else {
			struct rq_event ev = {
				.kind = RQ_EV_HELD, .host = l.h[i], .m = &m,
			};

			r->cb(r->arg, &ev);
		}
	}
	open = r->mode == RQ_ROOM_OPEN ||
	       (r->mode == RQ_ROOM_TOGGLE && !(nfree && !nnone));
	rc = RQ_NOTHING;
	if (!open && !nfree)
		goto out;
	if (!open) {
		for (i = 0; i < l.n; i++)
			if (isfree[i] &&
			    tooldb_masq_set_open(t->db, c->gateway, l.h[i],
						 NULL, MASQ_REQ_CLOSE) < 0)
				goto dberr;
		memcpy(sel, isfree, l.n * sizeof(bool));
	} else {
		if (!nnone)
			goto out;
		localtime_r(&now, &tm);
		rc = RQ_HOURS;
		if (!conf_free_access_at(c, &tm))
			goto out;
		if (room_insert(t, r, &l, isfree, sel) < 0)
			goto dberr;
	}
	log_room(t, r, open, &l, sel);
	emit(r->cb, r->arg, RQ_EV_START, NULL, open, 0, NULL);
	toolctx_poke(t);
	rc = rq_await(t, &l, sel, open ? MASQ_OPENED : MASQ_CLOSED,
		      rq_free_name(c), r->cb, r->arg) ? RQ_FAILED : RQ_OK;
	goto out;
dberr:
	rc = dberr(t, why, len);
out:
	free(isfree);
	free(sel);
	rq_hosts_free(&l);
	return rc;
}
