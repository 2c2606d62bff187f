/* pwcache.c - name <-> uid answers of NSS, remembered (see pwcache.h).
 *
 * Two open-addressing tables (linear probing, power-of-two sizes, at
 * most half full): one keyed by name, one by uid.  An entry keeps what
 * NSS said, an account or none.  Invariants: a table is never more than
 * half full (so a probe ends); every name in a table is the entry's own
 * malloc'ed copy; everything is forgotten together, never one entry.
 */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pwcache.h"
#include "util.h"

struct pwent {
	char *name;		/* NULL: an empty slot */
	unsigned uid;
	bool found;		/* NSS knew it */
};

struct pwtab {
	struct pwent *v;
	size_t cap, n;		/* cap: 0 or a power of two */
};

static struct pwtab by_name, by_uid;
static const char *watch_path = "/etc/passwd";
static long long (*clock_fn)(void);
static long long flushed_at = -1, looked_at = -1;
static struct stat watched;
static bool watched_ok;
static size_t asked;

static long long mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

static long long now_sec(void)
{
	return clock_fn ? clock_fn() : mono_sec();
}

static void tab_clear(struct pwtab *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->v[i].name);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void pwcache_flush(void)
{
	tab_clear(&by_name);
	tab_clear(&by_uid);
	flushed_at = -1;
}

static uint64_t hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t hash_uid(unsigned uid)
{
	return (uint64_t)uid * 0x9e3779b97f4a7c15ull;
}

/* The slot of name (or uid, when name is NULL) in t: the entry, or the
 * empty slot where it would go.  t->cap > 0. */
static struct pwent *slot(const struct pwtab *t, const char *name,
			  unsigned uid)
{
	size_t mask = t->cap - 1;
	size_t i = (size_t)(name ? hash_name(name) : hash_uid(uid)) & mask;

	for (;; i = (i + 1) & mask) {
		struct pwent *e = &t->v[i];

		if (!e->name || (name ? strcmp(e->name, name) == 0
				      : e->uid == uid))
			return e;
	}
}

static void tab_grow(struct pwtab *t, bool keyed_by_name)
{
	struct pwtab nt = { 0 };
	size_t i;

	nt.cap = t->cap ? t->cap * 2 : 64;
	nt.v = xcalloc(nt.cap, sizeof(*nt.v));
	for (i = 0; i < t->cap; i++) {
		struct pwent *e = &t->v[i];

		if (e->name)
			*slot(&nt, keyed_by_name ? e->name : NULL, e->uid) = *e;
	}
	nt.n = t->n;
	free(t->v);
	*t = nt;
}

/* Remember an answer; the table grows before it would be half full. */
static void tab_put(struct pwtab *t, bool keyed_by_name, const char *name,
		    unsigned uid, bool found)
{
	struct pwent *e;

	if ((t->n + 1) * 2 > t->cap)
		tab_grow(t, keyed_by_name);
	e = slot(t, keyed_by_name ? name : NULL, uid);
	e->name = xstrdup(name);
	e->uid = uid;
	e->found = found;
	t->n++;
}

/* Forget everything when the watched file changed (looked at no more than
 * once a second), when the answers are PWCACHE_MAX_AGE old, or when there
 * are too many of them. */
static void freshen(void)
{
	long long now = now_sec();
	struct stat st;
	bool ok;

	if (flushed_at >= 0 && now - flushed_at >= PWCACHE_MAX_AGE)
		pwcache_flush();
	if (by_name.n + by_uid.n >= PWCACHE_MAX)
		pwcache_flush();
	if (looked_at < 0 || now != looked_at) {
		looked_at = now;
		ok = stat(watch_path, &st) == 0;
		if (ok != watched_ok ||
		    (ok && (st.st_ino != watched.st_ino ||
			    st.st_dev != watched.st_dev ||
			    st.st_size != watched.st_size ||
			    st.st_mtim.tv_sec != watched.st_mtim.tv_sec ||
			    st.st_mtim.tv_nsec != watched.st_mtim.tv_nsec)))
			pwcache_flush();
		watched_ok = ok;
		if (ok)
			watched = st;
	}
	if (flushed_at < 0)
		flushed_at = now;
}

/* A failing source (ERANGE, an LDAP server away) is no answer to
 * remember; "no such account" is (getpwnam_r(3): 0 or one of these). */
static bool no_account(int rc)
{
	return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF ||
	       rc == EPERM;
}

int pwcache_uid(const char *name, unsigned *uid)
{
	struct passwd pw, *res = NULL;
	struct pwent *e = NULL;
	char tmp[4096];
	int rc;

	freshen();
	if (by_name.cap)
		e = slot(&by_name, name, 0);
	if (!e || !e->name) {
		asked++;
		rc = getpwnam_r(name, &pw, tmp, sizeof(tmp), &res);
		if (rc != 0 || !res) {
			if (no_account(rc))
				tab_put(&by_name, true, name, 0, false);
			return -1;
		}
		tab_put(&by_name, true, name, (unsigned)pw.pw_uid, true);
		e = slot(&by_name, name, 0);
	}
	if (!e->found)
		return -1;
	*uid = e->uid;
	return 0;
}

int pwcache_name(unsigned uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	struct pwent *e = NULL;
	char tmp[4096];
	int rc;

	freshen();
	if (by_uid.cap)
		e = slot(&by_uid, NULL, uid);
	if (!e || !e->name) {
		asked++;
		rc = getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res);
		if (rc != 0 || !res) {
			if (no_account(rc))
				tab_put(&by_uid, false, "", uid, false);
			return -1;
		}
		tab_put(&by_uid, false, pw.pw_name, uid, true);
		e = slot(&by_uid, NULL, uid);
	}
	if (!e->found || tq_strlcpy(buf, e->name, len) >= len)
		return -1;
	return 0;
}

void pwcache_watch(const char *path)
{
	watch_path = path ? path : "/etc/passwd";
	looked_at = -1;
	watched_ok = false;
	pwcache_flush();
}

void pwcache_clock(long long (*now)(void))
{
	clock_fn = now;
	looked_at = -1;
	pwcache_flush();
}

size_t pwcache_asked(void)
{
	return asked;
}
