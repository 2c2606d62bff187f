/* ratelimit.c - failures per key in a sliding minute (ratelimit.h).
 *
 * Invariants: a slot's times[] is a ring of its last `limit` failures,
 * next the index the next one overwrites; n <= limit counts the valid
 * ones.  The oldest valid failure is times[next] once n == limit.
 */
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "util.h"

#define RL_MAX_LIMIT 64

struct rl_slot {
	char key[RL_KEY_BYTES];
	uint64_t times[RL_MAX_LIMIT];
	unsigned n, next;
	uint64_t last;
};

struct rl {
	unsigned limit;
	size_t nslots;
	struct rl_slot *slots;
};

struct rl *rl_new(unsigned limit, size_t slots)
{
	struct rl *r = xcalloc(1, sizeof(*r));

	if (limit < 1)
		limit = 1;
	if (limit > RL_MAX_LIMIT)
		limit = RL_MAX_LIMIT;
	r->limit = limit;
	r->nslots = slots ? slots : 1;
	r->slots = xcalloc(r->nslots, sizeof(*r->slots));
	return r;
}

void rl_free(struct rl *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r);
}

static void key_copy(char *dst, const char *key)
{
	tq_strlcpy(dst, key, RL_KEY_BYTES);
}

static const struct rl_slot *find(const struct rl *r, const char *key)
{
	char k[RL_KEY_BYTES];
	size_t i;

	key_copy(k, key);
	for (i = 0; i < r->nslots; i++)
		if (r->slots[i].n && !strcmp(r->slots[i].key, k))
			return &r->slots[i];
	return NULL;
}

unsigned rl_wait(const struct rl *r, const char *key, uint64_t now)
{
	const struct rl_slot *s = find(r, key);
	uint64_t oldest;

	if (!s || s->n < r->limit)
		return 0;
	oldest = s->times[s->next];
	if (now >= oldest + RL_WINDOW)
		return 0;
	return (unsigned)(oldest + RL_WINDOW - now);
}

void rl_fail(struct rl *r, const char *key, uint64_t now)
{
	struct rl_slot *s = (struct rl_slot *)find(r, key), *lru = NULL;
	size_t i;

	if (!s) {
		for (i = 0; i < r->nslots; i++) {
			struct rl_slot *c = &r->slots[i];

			if (!c->n || c->last + RL_WINDOW <= now) {
				lru = c;
				break;
			}
			if (!lru || c->last < lru->last)
				lru = c;
		}
		s = lru;
		memset(s, 0, sizeof(*s));
		key_copy(s->key, key);
	}
	s->times[s->next] = now;
	s->next = (s->next + 1) % r->limit;
	if (s->n < r->limit)
		s->n++;
	s->last = now;
}
