/* request.c - open and close a host through masq (request.h).
 *
 * Invariant: a row this file wrote is either acknowledged by tcpquotad
 * (open = 1) when rq_open() returns RQ_OK, or deleted before it returns;
 * a delete names the row's owner, so a row someone else re-created
 * meanwhile is left alone.
 */
#include <stdio.h>
#include <string.h>

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
