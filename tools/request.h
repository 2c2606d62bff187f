/* request.h - the masq request protocol as its writers speak it:
 * openhost and tcpquota-portal open and close a user's host.
 *
 * A step is always the same: check (allowed, quota), write the request
 * row (open = 2 or 3), poke tcpquotad's wake-up socket, wait for its
 * answer (toolctx_ack_timeout_ms()), and remove the row once it is
 * refused, unanswered or closed.  What happened comes back as an
 * rq_result; the words are the caller's (a shell user and a phone are
 * told in their own), except the refusal, which is said once here.
 */
#ifndef TQ_REQUEST_H
#define TQ_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "toolctx.h"
#include "tooldb.h"

enum rq_result {
	RQ_DBERR = -1,		/* the database's message in why */
	RQ_OK = 0,		/* opened, or closed, as asked */
	RQ_REFUSED,		/* not allowed or no quota: why says which */
	RQ_HELD,		/* the host has a row (*held, any spelling) */
	RQ_BUSY,		/* ... that went away meanwhile: try again */
	RQ_TIMEOUT,		/* tcpquotad did not answer in time */
	RQ_DENIED,		/* tcpquotad refused; why: the refusal, or "" */
	RQ_NONE,		/* close: the host has no row of name's */
};

/**
 * rq_refusal() - why may name not open a host?  With self the words
 * are "you"/"your", else name's.  0 (it may), 1 (the reason in why) or
 * RQ_DBERR (the database's message in why).
 */
int rq_refusal(struct tool_ctx *t, const char *name, bool self, char *why,
	       size_t len);

/**
 * rq_open() - open n->host for n->name: for a paid row rq_refusal()
 * first, then the request row, the poke, the wait.  Everything but
 * RQ_OK leaves no row of ours behind.  held (may be NULL) receives the
 * row that holds the host for RQ_HELD.
 */
int rq_open(struct tool_ctx *t, const struct tooldb_new *n, bool self,
	    struct tooldb_masq *held, char *why, size_t len);

/**
 * rq_close() - close name's row of host: request, poke, wait, delete
 * (also when unanswered: tcpquotad closes a row without heartbeat).
 * RQ_OK, RQ_NONE, RQ_TIMEOUT or RQ_DBERR (why).
 */
int rq_close(struct tool_ctx *t, const char *host, const char *name,
	     char *why, size_t len);

#endif
