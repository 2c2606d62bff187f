/* dbpool.c - database connections for the portal's request threads.
 *
 * Each slot is a struct tool_ctx set up as a tool's would be after
 * toolctx_init() (the configuration, no setgid: the portal reads the
 * tools' password file through its supplementary group), so the tools'
 * own toolctx_connect(), toolctx_reconnect() and toolctx_poke() serve it
 * unchanged.  Invariants: a slot is handed to one thread at a time; a
 * slot's connection is (re)made lazily by dbpool_get().
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portal.h"
#include "util.h"

struct dbpool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	int n;
	struct tool_ctx *slots;
	bool *busy;
};

struct dbpool *dbpool_new(const struct tq_conf *conf, int n)
{
	struct dbpool *p = xcalloc(1, sizeof(*p));
	int i;

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	p->n = n > 0 ? n : 1;
	p->slots = xcalloc((size_t)p->n, sizeof(*p->slots));
	p->busy = xcalloc((size_t)p->n, sizeof(*p->busy));
	for (i = 0; i < p->n; i++) {
		struct tool_ctx *t = &p->slots[i];

		t->prog = "tcpquota-portal";
		t->uid = getuid();
		t->gid = t->sgid = getgid();
		t->conf = (struct tq_conf *)conf;
		t->wake_fd = -1;
	}
	return p;
}

void dbpool_free(struct dbpool *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		p->slots[i].conf = NULL;	/* the caller's */
		toolctx_free(&p->slots[i]);
	}
	free(p->slots);
	free(p->busy);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

struct tool_ctx *dbpool_get(struct dbpool *p, char *err, size_t errlen)
{
	struct tool_ctx *t = NULL;
	int i;

	pthread_mutex_lock(&p->lock);
	while (!t) {
		for (i = 0; i < p->n && !t; i++)
			if (!p->busy[i]) {
				p->busy[i] = true;
				t = &p->slots[i];
			}
		if (!t)
			pthread_cond_wait(&p->freed, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	if (!t->db) {
		if (toolctx_connect(t, DB_TOOL, false, err, errlen) == 0)
			return t;
	} else if (db_is_connected(t->db) ||
		   toolctx_reconnect(t, err, errlen) == 0) {
		return t;
	}
	dbpool_put(p, t);
	return NULL;
}

void dbpool_put(struct dbpool *p, struct tool_ctx *t)
{
	pthread_mutex_lock(&p->lock);
	p->busy[t - p->slots] = false;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}
