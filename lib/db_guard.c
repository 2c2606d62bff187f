/* db_guard.c - a database call that hangs gives way to a signal.
 *
 * Connector/C's calls block until the server answers or database.timeout
 * ends (seconds).  The daemon's loop must handle a signal within 100 ms
 * whatever the server does (issue 20, item 3), so a thread of its own
 * watches each call: once a call has lasted DB_GUARD_MS and the loop's
 * signalfd is readable (a signal waits; the fd is only polled, never
 * read), it shuts the call's socket down.  The call then fails at once as
 * a lost connection, which the daemon already survives (the poll is held
 * in the journal, applied once later), and db_fail() names the cause.
 * With db_guard_hurry() (a stopping daemon) every call is cut after that
 * many milliseconds, signal or not.
 *
 * A connect has no socket to shut down until Connector/C returns: with a
 * guard, db_connect() first waits for the server's greeting on a probe
 * connection of its own (db_guard_probe), watching the same fd.
 *
 * Invariants: the guard thread blocks every signal; it shuts down only
 * the socket of the call in progress (mu held, the call's generation
 * unchanged), never closes anything; the loop thread enters and leaves
 * each call under mu.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <errmsg.h>

#include "db_int.h"
#include "util.h"

struct db_guard {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;			/* readable: a signal waits */
	int sock;		/* the call's socket; -1: no call */
	uint64_t since;		/* the call's start, us */
	unsigned long gen;	/* calls entered */
	unsigned hurry_ms;	/* cut every call after this; 0: off */
	bool cut;		/* the current call was cut */
	bool stop;
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0 && (p.revents & POLLIN);
}

static void wait_until(struct db_guard *g, uint64_t us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(us / 1000000u),
		.tv_nsec = (long)(us % 1000000u) * 1000,
	};

	pthread_cond_timedwait(&g->cv, &g->mu, &ts);
}

static void *guard_main(void *arg)
{
	struct db_guard *g = arg;
	unsigned long gen;
	unsigned ms;
	bool sig;

	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		if (g->sock < 0 || g->cut) {
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		ms = g->hurry_ms ? g->hurry_ms : DB_GUARD_MS;
		if (mono_us() < g->since + ms * 1000u) {
			wait_until(g, g->since + ms * 1000u);
			continue;
		}
		gen = g->gen;
		pthread_mutex_unlock(&g->mu);
		/* Looked at every 10 ms while the call lasts. */
		sig = g->hurry_ms || readable(g->fd, 10);
		pthread_mutex_lock(&g->mu);
		if (sig && !g->stop && g->gen == gen && g->sock >= 0) {
			shutdown(g->sock, SHUT_RDWR);
			g->cut = true;
		}
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int db_guard(struct db *db, int fd)
{
	struct db_guard *g;
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if (db->guard)
		return 0;
	g = xcalloc(1, sizeof(*g));
	g->fd = fd;
	g->sock = -1;
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* The thread blocks every signal: they are the loop's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&g->th, NULL, guard_main, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		free(g);
		errno = rc;
		return -1;
	}
	db->guard = g;
	return 0;
}

void db_guard_free(struct db *db)
{
	struct db_guard *g = db->guard;

	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = true;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->th, NULL);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
	db->guard = NULL;
}

void db_guard_hurry(struct db *db, unsigned ms)
{
	if (!db->guard)
		return;
	pthread_mutex_lock(&db->guard->mu);
	db->guard->hurry_ms = ms;
	pthread_cond_signal(&db->guard->cv);
	pthread_mutex_unlock(&db->guard->mu);
}

void db_trip_begin(struct db *db)
{
	struct db_guard *g = db->guard;

	db->round_trips++;
	db->cut_ms = 0;
	if (!g || !db->my)
		return;
	pthread_mutex_lock(&g->mu);
	g->sock = (int)mysql_get_socket(db->my);
	g->since = mono_us();
	g->gen++;
	g->cut = false;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

void db_trip_end(struct db *db)
{
	struct db_guard *g = db->guard;

	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	if (g->sock >= 0 && g->cut)
		db->cut_ms = (unsigned)((mono_us() - g->since) / 1000u) + 1;
	g->sock = -1;
	g->cut = false;
	pthread_mutex_unlock(&g->mu);
}

/* A socket to the server of db, connecting (non-blocking), or -1. */
static int probe_socket(const struct db *db)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV }, *ai, *a;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char port[16];
	int s = -1;

	if (*db->socket) {
		if (strlen(db->socket) >= sizeof(sun.sun_path))
			return -1;
		memcpy(sun.sun_path, db->socket, strlen(db->socket));
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   0);
		if (s >= 0 && connect(s, (struct sockaddr *)&sun,
				      sizeof(sun)) < 0 && errno != EINPROGRESS &&
		    errno != EAGAIN) {
			close(s);
			s = -1;
		}
		return s;
	}
	snprintf(port, sizeof(port), "%d", db->port);
	if (getaddrinfo(db->host, port, &hints, &ai) != 0)
		return -1;
	for (a = ai; a && s < 0; a = a->ai_next) {
		s = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
			   SOCK_CLOEXEC, a->ai_protocol);
		if (s >= 0 && connect(s, a->ai_addr, a->ai_addrlen) < 0 &&
		    errno != EINPROGRESS) {
			close(s);
			s = -1;
		}
	}
	freeaddrinfo(ai);
	return s;
}

int db_guard_probe(struct db *db)
{
	struct db_guard *g = db->guard;
	uint64_t start = mono_us(), now, end;
	struct pollfd p[2];
	unsigned hurry;
	int s, n, ms;

	if (!g)
		return 0;
	s = probe_socket(db);
	if (s < 0)
		return 0;	/* the real connect says why */
	pthread_mutex_lock(&g->mu);
	hurry = g->hurry_ms;
	pthread_mutex_unlock(&g->mu);
	end = start + (uint64_t)db->timeout * 1000000u;
	if (hurry && start + hurry * 1000u < end) {
		end = start + hurry * 1000u;
		db->cut_ms = hurry;
	}
	for (;;) {
		now = mono_us();
		if (now >= end)
			break;
		/* The signal fd only once the wait has lasted DB_GUARD_MS,
		 * as for a call. */
		p[0] = (struct pollfd){ .fd = s, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = g->fd, .events = POLLIN };
		n = now - start >= DB_GUARD_MS * 1000u ? 2 : 1;
		ms = (int)((end - now + 999) / 1000u);
		if (n == 1 && ms > (int)DB_GUARD_MS)
			ms = (int)DB_GUARD_MS;
		if (poll(p, (nfds_t)n, ms) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			/* A greeting, or the server refused or closed:
			 * the real connect follows at once. */
			close(s);
			return 0;
		}
		if (n == 2 && (p[1].revents & POLLIN)) {
			close(s);
			db->cut_ms = (unsigned)((mono_us() - start) /
						1000u) + 1;
			return -1;
		}
	}
	close(s);
	return hurry ? -1 : -2;
}
