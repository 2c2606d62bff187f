/* request.h - the masq request protocol as its writers speak it:
 * openhost and tcpquota-portal open and close a user's host, openfw and
 * the portal's room page a room.
 *
 * A step is always the same: check (allowed, quota; for a room the
 * free-access hours), write the request row (open = 2 or 3), poke
 * tcpquotad's wake-up socket, wait for its answer
 * (toolctx_ack_timeout_ms()), and remove the row once it is refused,
 * unanswered or closed.  What happened comes back as an rq_result (and,
 * for a room, host by host as rq_events); the words are the caller's (a
 * shell user, a teacher at a terminal and a phone are told in their
 * own), except the refusal, which is said once here.
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
	RQ_FAILED,		/* a room: some host did not answer as asked */
	RQ_EMPTY,		/* a room: no member has an address */
	RQ_NOTHING,		/* a room: no host to open, or to close */
	RQ_HOURS,		/* a room: outside the free-access hours */
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

/* ---- rooms: openfw and the portal's room page ---- */

/* Numeric addresses, canonical, each once. */
struct rq_hosts {
	char (*h)[TQ_ADDRSTRLEN];
	size_t n, cap;
};

void rq_hosts_add(struct rq_hosts *l, const char *host);
void rq_hosts_free(struct rq_hosts *l);
/* Add the addresses of s (a numeric address or a host name) to out.
 * 0, or -1 with the reason in err. */
int rq_resolve(const char *s, struct rq_hosts *out, char *err,
	       size_t errlen);
/* Who pays for free rows: quota.free_users' first, or "free". */
const char *rq_free_name(const struct tq_conf *c);

/* What a room's step tells its caller, in the order it happens. */
enum rq_event_kind {
	RQ_EV_UNRESOLVED,	/* host: a member that has no address (text) */
	RQ_EV_HELD,		/* host: held by *m (not a free row), left */
	RQ_EV_MEANWHILE,	/* host: opened by someone else meanwhile */
	RQ_EV_UNLOGGED,		/* logging_openfw refused the row (text) */
	RQ_EV_START,		/* the requests are written (open: which) */
	RQ_EV_HOST,		/* host: result (RQ_OK, RQ_DENIED,
				   RQ_TIMEOUT, RQ_DBERR with text) */
};

struct rq_event {
	enum rq_event_kind kind;
	const char *host;
	const struct tooldb_masq *m;
	bool open;		/* RQ_EV_START, RQ_EV_HOST: opening */
	int result;
	const char *text;
};

typedef void (*rq_cb)(void *arg, const struct rq_event *ev);

/**
 * rq_await() - wait, within one acknowledgement timeout in all, for each
 * host of l with sel[i] to reach want (MASQ_OPENED or MASQ_CLOSED), and
 * tell cb each outcome (RQ_EV_HOST).  A closed host's row is deleted; a
 * refused or unanswered open request of owner's too.  Returns how many
 * hosts did not reach want.
 */
int rq_await(struct tool_ctx *t, const struct rq_hosts *l, const bool *sel,
	     int want, const char *owner, rq_cb cb, void *arg);

enum rq_room_mode {
	RQ_ROOM_TOGGLE,		/* close if every free host is open, else
				   open (openfw's habit) */
	RQ_ROOM_OPEN,
	RQ_ROOM_CLOSE,
};

/* A room's step: which, what, and who asks. */
struct rq_room {
	const struct tq_group *g;
	enum rq_room_mode mode;
	const char *who;	/* logging_openfw.user */
	const char *note;	/* added to the logged action, or NULL */
	rq_cb cb;
	void *arg;
};

/**
 * rq_room() - open a room for free access (rows paid by rq_free_name(),
 * free = 1, only in the free-access hours) or close its free rows.  A
 * member held by someone else is left as it is; every step is logged
 * to logging_openfw; every host's answer is awaited.  RQ_OK, RQ_FAILED
 * (some host did not answer as asked: see its RQ_EV_HOST), RQ_EMPTY (no
 * member has an address), RQ_NOTHING (no host to open or to close),
 * RQ_HOURS (outside free_access), RQ_DBERR (why).
 */
int rq_room(struct tool_ctx *t, const struct rq_room *r, char *why,
	    size_t len);

#endif
