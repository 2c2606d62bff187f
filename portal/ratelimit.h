/* ratelimit.h - failed logins slowed per key (an address, a user name).
 *
 * A key may fail at most `limit` times in any 60 seconds; the next try
 * waits until the oldest of those failures is a minute old.  The table
 * has a fixed number of slots: when it is full the key that failed least
 * recently is forgotten, so a flood of made-up user names costs memory
 * once, never more (the per-address key still holds the flooder back).
 * Pure: the caller passes the time (seconds, monotonic).  Not locked.
 */
#ifndef TQ_RATELIMIT_H
#define TQ_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RL_KEY_BYTES 80		/* longer keys are cut */
#define RL_WINDOW 60		/* seconds */

struct rl;

/* A table for limit failures a minute (1..64) and slots keys. */
struct rl *rl_new(unsigned limit, size_t slots);
void rl_free(struct rl *r);
/* Seconds key must wait before it may try again; 0: it may now. */
unsigned rl_wait(const struct rl *r, const char *key, uint64_t now);
/* Record a failure of key at now. */
void rl_fail(struct rl *r, const char *key, uint64_t now);

#endif
