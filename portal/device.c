/* device.c - this device: which it is, its state, open and close, and
 * the keeper of the portal's rows.
 *
 * A request's device is its source address, never anything the client
 * sends; its MAC comes from the gateway's neighbour table.  Opening and
 * closing are openhost's own steps (request.h: rq_open(), rq_close():
 * the checks, the request row, the poke, the wait, the clean-up); what
 * is the portal's is the wording and the row's mac and via = 'portal'
 * (migration 003).
 *
 * The keeper (one thread) stands in for openhost's heartbeat: a portal
 * row's tic is kept up while its masq.counter (polls in which it was
 * charged: it carried traffic) keeps moving, and a row idle for
 * portal.idle_timeout is asked to close, so a phone that left is not
 * held open.  Invariant: the keeper touches only rows with via =
 * 'portal' of its own gateway, and only with the owner's name in the
 * WHERE clause (a row someone re-created meanwhile is left alone).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "masq.h"
#include "portal.h"
#include "request.h"
#include "util.h"

void device_of(const struct tq_addr *a, struct device *d)
{
	struct tq_addr addr = *a;	/* a may be &d->addr */

	memset(d, 0, sizeof(*d));
	d->addr = addr;
	addr_format(&addr, d->host, sizeof(d->host));
	if (nbr_mac_of(&addr, d->mac) == 1) {
		d->has_mac = true;
		nbr_mac_format(d->mac, d->macs);
	}
}

/* Share and cost of a poll for a user: the original formula,
 * floor(period * rate / n) + 1 with n the users online (counting user). */
static void cost_of(const struct tq_conf *c, struct dev_status *st)
{
	long long room;

	if (st->sharing < 1)
		st->sharing = 1;
	st->cost = (long long)floor(c->period * st->rate / st->sharing) + 1;
	if (st->free_user) {
		st->left = -1;
		return;
	}
	room = st->quota - c->min_quota;
	st->left = room <= 0 ? 0 : room / st->cost * c->period;
}

int device_status(struct tool_ctx *t, const struct device *d,
		  const char *user, bool days, struct dev_status *st,
		  char *msg, size_t len)
{
	const struct tq_conf *c = t->conf;
	struct tooldb_user u;
	struct pdb_row rows[4];
	time_t now = time(NULL);
	struct tm tm;
	bool self = false;
	int n;

	memset(st, 0, sizeof(*st));
	n = pdb_device(t->db, c->gateway, d->host,
		       d->has_mac ? d->macs : NULL, rows, 4);
	if (n < 0)
		goto fail;
	st->nrows = n;
	if (n)
		st->row = rows[0];
	if (!user && n)
		user = rows[0].m.name;
	st->user = user;
	st->open = n && rows[0].m.open == MASQ_OPENED &&
		   (!user || !strcmp(rows[0].m.name, user));
	localtime_r(&now, &tm);
	st->rate = conf_rate_at(c, &tm);
	if (!user)
		return 0;
	if (tooldb_user_get(t->db, user, &u) < 0 ||
	    pdb_online(t->db, c->gateway, user, &st->sharing, &self) < 0)
		goto fail;
	st->quota = u.quota;
	st->allowed = u.allowed;
	st->free_user = conf_is_free_user(c, user);
	if (!self)
		st->sharing++;		/* the cost once this user is on */
	cost_of(c, st);
	if (days && pdb_days(t->db, user, st->days, 7) < 0)
		goto fail;
	return 0;
fail:
	tq_err(msg, len, "database error: %s", db_error(t->db));
	return -1;
}

int device_open(struct tool_ctx *t, const struct device *d,
		const char *user, char *msg, size_t len)
{
	struct tooldb_new n = {
		.host = d->host, .name = user, .free = MASQ_PAID,
		.mac = d->has_mac ? d->macs : NULL, .via = PDB_VIA,
	};
	struct tooldb_masq m;
	char why[256];

	switch (rq_open(t, &n, true, &m, why, sizeof(why))) {
	case RQ_OK:
		log_info("opened %s%s%s for %s", d->host,
			 d->has_mac ? " " : "", d->macs, user);
		return 0;
	case RQ_REFUSED:
		tq_strlcpy(msg, why, len);
		break;
	case RQ_HELD:
		if (!strcmp(m.name, user) && m.open == MASQ_OPENED)
			tq_strlcpy(msg, "this device is open already", len);
		else if (!strcmp(m.name, user))
			tq_strlcpy(msg, "this device is being opened or "
				   "closed; try again", len);
		else
			snprintf(msg, len, "this device is opened by %s",
				 m.free == MASQ_PAID ? "another user" :
				 "a teacher (free access)");
		break;
	case RQ_BUSY:
		tq_strlcpy(msg, "this device is being opened or closed; try "
			   "again", len);
		break;
	case RQ_TIMEOUT:
		tq_strlcpy(msg, "the gateway is not answering; try again in "
			   "a minute", len);
		break;
	case RQ_DENIED:
		snprintf(msg, len, "the gateway refused to open this "
			 "device%s%s", *why ? ": " : "", why);
		break;
	default:
		snprintf(msg, len, "database error: %s", why);
		break;
	}
	return 1;
}

int device_close(struct tool_ctx *t, const struct device *d,
		 const char *user, char *msg, size_t len)
{
	char why[256];
	int rc = rq_close(t, d->host, user, why, sizeof(why));

	switch (rc) {
	case RQ_OK:
	case RQ_TIMEOUT:
		log_info("closed %s for %s%s", d->host, user,
			 rc == RQ_TIMEOUT ? " (not confirmed by tcpquotad)" :
			 "");
		return 0;
	case RQ_NONE:
		tq_strlcpy(msg, "this device is not open for you", len);
		return 1;
	default:
		snprintf(msg, len, "database error: %s", why);
		return 1;
	}
}

/* ---- the keeper ---- */

struct seen {
	char host[DB_HOST_BYTES];
	long long counter;
	uint64_t since;		/* when counter last moved (us) */
	bool live;		/* seen in this round */
};

struct keeper {
	const struct tq_conf *conf;
	struct dbpool *pool;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	struct seen *seen;
	size_t n, cap;
	struct tool_ctx *t;	/* during a round */
	bool poke;
};

static struct seen *seen_of(struct keeper *k, const char *host,
			    long long counter, uint64_t now)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->seen[i].host, host))
			return &k->seen[i];
	xgrow(&k->seen, &k->cap, k->n + 1, sizeof(*k->seen));
	memset(&k->seen[k->n], 0, sizeof(*k->seen));
	tq_strlcpy(k->seen[k->n].host, host, sizeof(k->seen[k->n].host));
	k->seen[k->n].counter = counter;
	k->seen[k->n].since = now;
	return &k->seen[k->n++];
}

static int keep_row(void *arg, const struct pdb_row *r)
{
	struct keeper *k = arg;
	const struct tq_conf *c = k->conf;
	uint64_t now = tq_now_us();
	struct seen *s = seen_of(k, r->m.host, r->m.counter, now);

	s->live = true;
	if (r->m.counter != s->counter) {
		s->counter = r->m.counter;
		s->since = now;
	}
	if (r->m.open == MASQ_CLOSED) {
		/* Answered close (ours, or the daemon's cut-off). */
		tooldb_masq_delete(k->t->db, c->gateway, r->m.host,
				   r->m.name);
		return 0;
	}
	if (r->m.open != MASQ_OPENED)
		return 0;
	if (now - s->since >= (uint64_t)c->portal_idle_timeout * 1000000) {
		log_info("closing %s of %s: no traffic for %d s", r->m.host,
			 r->m.name, c->portal_idle_timeout);
		tooldb_masq_set_open(k->t->db, c->gateway, r->m.host,
				     r->m.name, MASQ_REQ_CLOSE);
		k->poke = true;
		return 0;
	}
	tooldb_masq_set_tic(k->t->db, c->gateway, r->m.host, r->m.name,
			    c->heartbeat_tics);
	return 0;
}

static void keeper_round(struct keeper *k)
{
	char err[256];
	size_t i, o;

	k->t = dbpool_get(k->pool, err, sizeof(err));
	if (!k->t)
		return;		/* the requests log it; try next round */
	k->poke = false;
	for (i = 0; i < k->n; i++)
		k->seen[i].live = false;
	if (pdb_portal_rows(k->t->db, k->conf->gateway, keep_row, k) >= 0) {
		for (i = o = 0; i < k->n; i++)
			if (k->seen[i].live)
				k->seen[o++] = k->seen[i];
		k->n = o;
	}
	if (k->poke)
		toolctx_poke(k->t);
	dbpool_put(k->pool, k->t);
	k->t = NULL;
}

static void *keeper_main(void *arg)
{
	struct keeper *k = arg;
	struct timespec ts;
	long every_ms = k->conf->period * 1000L;

	if (every_ms > 5000)
		every_ms = 5000;
	pthread_mutex_lock(&k->lock);
	while (!k->stop) {
		pthread_mutex_unlock(&k->lock);
		keeper_round(k);
		pthread_mutex_lock(&k->lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += every_ms / 1000;
		ts.tv_nsec += (every_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!k->stop)
			pthread_cond_timedwait(&k->wake, &k->lock, &ts);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

struct keeper *keeper_start(const struct tq_conf *conf, struct dbpool *pool)
{
	struct keeper *k = xcalloc(1, sizeof(*k));

	k->conf = conf;
	k->pool = pool;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->wake, NULL);
	if (pthread_create(&k->thread, NULL, keeper_main, k) != 0) {
		log_warn("cannot start the keeper thread");
		pthread_cond_destroy(&k->wake);
		pthread_mutex_destroy(&k->lock);
		free(k);
		return NULL;
	}
	return k;
}

void keeper_stop(struct keeper *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	k->stop = true;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	pthread_cond_destroy(&k->wake);
	pthread_mutex_destroy(&k->lock);
	free(k->seen);
	free(k);
}
