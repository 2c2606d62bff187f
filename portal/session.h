/* session.h - who is logged in, kept in the portal's memory.
 *
 * Why memory and not the database: a session belongs to one portal
 * process (one gateway), lives hours, and is checked on every request; in
 * memory a check costs no round trip, the tools' database account needs
 * no new table or grant, and no session token is ever readable by anyone
 * holding that account's password.  A restart logs everyone out; their
 * devices stay open (the masq rows are the state that matters).
 *
 * A session is bound to the device it logged in from (its MAC when the
 * neighbour table knew it, else its address): a cookie carried to another
 * machine is no login there.  Tokens and CSRF tokens are 32 bytes from
 * getrandom(2).  The table is locked inside; sess_* may be called from
 * any thread.
 */
#ifndef TQ_SESSION_H
#define TQ_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "db.h"
#include "parse.h"

struct sess_info {
	char user[DB_NAME_BYTES];
	char csrf[PARSE_TOKEN_HEX];
	bool admin;
	struct tq_addr addr;	/* the device it logged in from */
	uint8_t mac[6];
	bool has_mac;
	uint64_t created;	/* seconds, monotonic */
	char flash[320];	/* a message for the next page, or "" */
};

struct sessions;

/* A table of at most max sessions, each valid for timeout seconds. */
struct sessions *sess_new(size_t max, unsigned timeout);
void sess_free(struct sessions *s);

/* 32 random bytes as hex into out (PARSE_TOKEN_HEX bytes).  0 / -1. */
int sess_random_token(char *out);

/**
 * sess_create() - a new session for *in (user, admin, addr, mac); its
 * token into token, its CSRF token into in->csrf.  When the table is
 * full the oldest session goes.  0 / -1 (no randomness).
 */
int sess_create(struct sessions *s, struct sess_info *in, uint64_t now,
		char *token);
/**
 * sess_get() - the session of token if it is alive and belongs to the
 * device (addr, mac); *out is a copy.  With take_flash its flash message
 * is handed over once.  1, or 0 (no such session: also when expired,
 * which removes it).
 */
int sess_get(struct sessions *s, const char *token,
	     const struct tq_addr *addr, const uint8_t *mac, uint64_t now,
	     bool take_flash, struct sess_info *out);
/* Leave a message for the session's next page. */
void sess_flash(struct sessions *s, const char *token, const char *msg);
/* End the session (log-out). */
void sess_drop(struct sessions *s, const char *token);
/* Sessions alive (for the log and tests). */
size_t sess_count(struct sessions *s);

#endif
