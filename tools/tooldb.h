/* tooldb.h - the tools' queries, on top of db.h's prepared statements.
 *
 * All SQL of openhost, openfw and tcpquota lives here; every value is a
 * bound parameter.  Functions return -1 with db_error() set on failure.
 */
#ifndef TQ_TOOLDB_H
#define TQ_TOOLDB_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

struct tooldb_user {
	long long quota;	/* 0 if not in tcptab */
	bool in_tcptab;
	bool allowed;
};

#define TOOLDB_GW_BYTES 65
#define TOOLDB_TIME_BYTES 32

struct tooldb_masq {
	char host[DB_HOST_BYTES];
	char name[DB_NAME_BYTES];
	char gateway[TOOLDB_GW_BYTES];
	int open;
	int free;
	int cnts;
	long long tic;
	long long counter;
	char opened_at[TOOLDB_TIME_BYTES];
};

/* Balance and allowed flag of name.  0 / -1. */
int tooldb_user_get(struct db *db, const char *name, struct tooldb_user *u);

/* 1 and *out if (gateway, host) has a row, 0 if not, -1 on error. */
int tooldb_masq_get(struct db *db, const char *gw, const char *host,
		    struct tooldb_masq *out);
/* The same for the host in any spelling (addr_canon): *out is the row of
 * gateway gw whose host is the same address, e.g. "2001:DB8:1::10" for
 * "2001:db8:1::10"; out->host is that row's spelling.  1, 0 or -1. */
int tooldb_masq_find(struct db *db, const char *gw, const char *host,
		     struct tooldb_masq *out);
/* A row a tool asks for: whose, and what the portal adds. */
struct tooldb_new {
	const char *host;	/* canonical (addr_canon) */
	const char *name;	/* who pays (openfw: the free user) */
	int free;		/* MASQ_PAID, MASQ_FREE or MASQ_ADMIN */
	const char *mac;	/* the device's MAC, or NULL */
	const char *via;	/* "portal", or NULL (openhost, openfw) */
};

/* Insert the request row n with open and tic; n->host must be in its
 * canonical form (addr_canon; any other text is refused with -1).  0, 1
 * if the host already has a row in any spelling (tooldb_masq_find says
 * whose), -1. */
int tooldb_masq_insert(struct db *db, const char *gw,
		       const struct tooldb_new *n, int open, long long tic);
/* Write open (request) / tic (heartbeat) of the row; name (if not NULL)
 * must match, so a tool never touches a row someone else re-created.
 * Affected rows or -1. */
long long tooldb_masq_set_open(struct db *db, const char *gw,
			       const char *host, const char *name, int open);
long long tooldb_masq_set_tic(struct db *db, const char *gw, const char *host,
			      const char *name, long long tic);
/* Delete the row (name as above).  Affected rows or -1. */
long long tooldb_masq_delete(struct db *db, const char *gw, const char *host,
			     const char *name);

typedef int (*tooldb_masq_cb)(void *arg, const struct tooldb_masq *m);
/* Rows of gateway gw (NULL = all gateways) and of user name (NULL =
 * anyone), ordered by gateway and host.  Count or -1. */
long long tooldb_masq_list(struct db *db, const char *gw, const char *name,
			   tooldb_masq_cb cb, void *arg);

enum {
	TOOLDB_WAIT_OK = 1,		/* the row reached the state */
	TOOLDB_WAIT_GONE = 0,		/* the row vanished (or an open
					   request was answered with 0) */
	TOOLDB_WAIT_TIMEOUT = 2,
};

/**
 * tooldb_wait() - look at the row after 2, 4, 8, ... ms, then every
 * 50 ms, until open == want (or, when want is MASQ_CLOSED, the row is
 * gone), for at most timeout_ms.
 * *last receives the row as last seen.  TOOLDB_WAIT_* or -1.
 */
int tooldb_wait(struct db *db, const char *gw, const char *host, int want,
		int timeout_ms, struct tooldb_masq *last);

/* Append to logging (openfw = false) or logging_openfw.  0 / -1. */
int tooldb_log(struct db *db, bool openfw, const char *who,
	       const char *action);

/* Admin changes.  Each runs in one transaction with its logging row. */
/* 1 if newly allowed, 0 if already, -1. */
int tooldb_allow(struct db *db, const char *who, const char *name);
/* 1 if removed, 0 if was not allowed, -1. */
int tooldb_deny(struct db *db, const char *who, const char *name);
/* Set the balance; *old gets the previous one (0 if none).  0 / -1. */
int tooldb_set(struct db *db, const char *who, const char *name,
	       long long seconds, long long *old);
/* Add delta atomically; *now gets the new balance.  0 / -1. */
int tooldb_add(struct db *db, const char *who, const char *name,
	       long long delta, long long *now);
/* Start a new accounting period; *id gets its id.  0 / -1. */
int tooldb_period_new(struct db *db, const char *who, long long *id);

/* Listings: cells as documented.  Count or -1. */
/* name, quota, in_tcptab (0/1), allowed (0/1); by name. */
long long tooldb_users(struct db *db, db_row_cb cb, void *arg);
/* when, user, action; oldest first; user NULL = all, else rows by the
 * user or about the user (the action's second word). */
long long tooldb_logs(struct db *db, bool openfw, const char *user,
		      db_row_cb cb, void *arg);
/* gateway, host, name, open, free, cnts, counter, quota (the user's
 * balance, 0 if none); by gateway and host. */
long long tooldb_top(struct db *db, db_row_cb cb, void *arg);
/* The daemon's record of who it charged, for top: name, day
 * (YYYY-MM-DD), seconds, polls (debits: per user and day, every gateway),
 * quota (the balance, 0 if none), today (1 if day is the server's
 * CURDATE()), hosts (the user's masq rows, any gateway); the rows of
 * today and yesterday, by name and day.  Yesterday's let a caller
 * comparing two reads across midnight see the last polls of the day. */
long long tooldb_top_debits(struct db *db, db_row_cb cb, void *arg);
/* id, period, quota; oldest first. */
long long tooldb_periods(struct db *db, db_row_cb cb, void *arg);

#endif
