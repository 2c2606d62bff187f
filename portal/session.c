/* session.c - the in-memory session table (session.h).
 *
 * Invariants: a slot is in use iff token[0] != '\0'; tokens are unique
 * (256 random bits); lookups compare every slot in use with
 * parse_token_equal(), so the time taken does not depend on how much of
 * a guessed token is right.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "session.h"
#include "util.h"

struct slot {
	char token[PARSE_TOKEN_HEX];
	struct sess_info info;
};

struct sessions {
	pthread_mutex_t lock;
	size_t max;
	unsigned timeout;
	struct slot *slots;
};

struct sessions *sess_new(size_t max, unsigned timeout)
{
	struct sessions *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	s->max = max ? max : 1;
	s->timeout = timeout;
	s->slots = xcalloc(s->max, sizeof(*s->slots));
	return s;
}

void sess_free(struct sessions *s)
{
	if (!s)
		return;
	explicit_bzero(s->slots, s->max * sizeof(*s->slots));
	free(s->slots);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int sess_random_token(char *out)
{
	uint8_t raw[PARSE_TOKEN_BYTES];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(raw)) {
		n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	parse_hex(raw, sizeof(raw), out);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

static struct slot *lookup(struct sessions *s, const char *token)
{
	struct slot *hit = NULL;
	size_t i;

	if (!parse_token_ok(token))
		return NULL;
	for (i = 0; i < s->max; i++)
		if (s->slots[i].token[0] &&
		    parse_token_equal(s->slots[i].token, token))
			hit = &s->slots[i];
	return hit;
}

int sess_create(struct sessions *s, struct sess_info *in, uint64_t now,
		char *token)
{
	struct slot *free_slot = NULL, *oldest = NULL;
	size_t i;

	if (sess_random_token(token) < 0 || sess_random_token(in->csrf) < 0)
		return -1;
	in->created = now;
	in->flash[0] = '\0';
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->max && !free_slot; i++) {
		struct slot *c = &s->slots[i];

		if (!c->token[0] || c->info.created + s->timeout <= now)
			free_slot = c;
		else if (!oldest || c->info.created < oldest->info.created)
			oldest = c;
	}
	if (!free_slot)
		free_slot = oldest;
	memcpy(free_slot->token, token, PARSE_TOKEN_HEX);
	free_slot->info = *in;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static bool same_device(const struct sess_info *i, const struct tq_addr *a,
			const uint8_t *mac)
{
	if (i->has_mac && mac)
		return memcmp(i->mac, mac, 6) == 0;
	return addr_equal(&i->addr, a);
}

int sess_get(struct sessions *s, const char *token,
	     const struct tq_addr *addr, const uint8_t *mac, uint64_t now,
	     bool take_flash, struct sess_info *out)
{
	struct slot *c;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	c = lookup(s, token);
	if (c && c->info.created + s->timeout <= now) {
		explicit_bzero(c, sizeof(*c));
		c = NULL;
	}
	if (c && same_device(&c->info, addr, mac)) {
		*out = c->info;
		if (take_flash)
			c->info.flash[0] = '\0';
		else
			out->flash[0] = '\0';
		rc = 1;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void sess_flash(struct sessions *s, const char *token, const char *msg)
{
	struct slot *c;

	pthread_mutex_lock(&s->lock);
	c = lookup(s, token);
	if (c)
		tq_strlcpy(c->info.flash, msg, sizeof(c->info.flash));
	pthread_mutex_unlock(&s->lock);
}

void sess_drop(struct sessions *s, const char *token)
{
	struct slot *c;

	pthread_mutex_lock(&s->lock);
	c = lookup(s, token);
	if (c)
		explicit_bzero(c, sizeof(*c));
	pthread_mutex_unlock(&s->lock);
}

size_t sess_count(struct sessions *s)
{
	size_t i, n = 0;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->max; i++)
		if (s->slots[i].token[0])
			n++;
	pthread_mutex_unlock(&s->lock);
	return n;
}
