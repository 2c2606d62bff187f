/* pwcache.h - the account database (NSS) as the daemon asks it every
 * poll: a login name's uid and a uid's login name, remembered.
 *
 * Every poll wants the uid of each allowed user (the users chain) and the
 * name of each local socket's uid.  Through NSS each answer is a scan of
 * /etc/passwd, and with nss-systemd several directory opens for a name no
 * source knows: 114 ms of CPU a poll at 1,000 users (bench, 2026-12-04).
 * Answers, found or not, are remembered until /etc/passwd changes (its
 * inode, size or mtime; looked at no more than once a second), for at
 * most PWCACHE_MAX_AGE seconds (sources beyond files, LDAP or SSSD, are
 * seen within that), and until pwcache_flush() (a reload).
 *
 * The cache is this module's own and the daemon is one thread: nothing
 * else reads or writes it.
 */
#ifndef TQ_PWCACHE_H
#define TQ_PWCACHE_H

#include <stddef.h>

#define PWCACHE_MAX_AGE 600	/* seconds */
#define PWCACHE_MAX 65536	/* entries; over it, everything is forgotten */

/* The uid of login name; 0, or -1 if no account has that name. */
int pwcache_uid(const char *name, unsigned *uid);
/* The login name of uid into buf; 0, or -1 if the uid has no account or
 * the name does not fit in len bytes. */
int pwcache_name(unsigned uid, char *buf, size_t len);
/* Forget every answer (a reload; the tests). */
void pwcache_flush(void);

/* For the tests: the file watched (default /etc/passwd; NULL restores it),
 * the clock in seconds (NULL: CLOCK_MONOTONIC), and how many questions
 * went to NSS since the start. */
void pwcache_watch(const char *path);
void pwcache_clock(long long (*now)(void));
size_t pwcache_asked(void);

#endif
