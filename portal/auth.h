/* auth.h - password checks through PAM in a process of their own.
 *
 * The web server never sees a password hash: auth_start() forks a helper
 * before the server drops its privileges; the helper drops to the
 * portal's user too but keeps group "shadow" when that group exists, so
 * pam_unix can read /etc/shadow (LDAP/SSSD stacks need nothing), and
 * then only answers "user, password, remote host -> yes/no" over a
 * socketpair.  PAM's failure delay is switched off there: the portal
 * slows failed logins itself (ratelimit.h) without holding up everyone
 * else's login behind one wrong password.  Requests are serialised by a
 * lock; auth_check() may be called from any thread.
 */
#ifndef TQ_AUTH_H
#define TQ_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct auth;

/**
 * auth_start() - fork the helper for PAM service.  If drop, it runs as
 * uid/gid with groups (plus "shadow" if that group exists).  NULL with a
 * message in err.
 */
struct auth *auth_start(const char *service, bool drop, uid_t uid,
			gid_t gid, char *err, size_t errlen);
/* Stop the helper and wait for it. */
void auth_stop(struct auth *a);

enum {
	AUTH_OK = 0,
	AUTH_DENIED = 1,	/* wrong password, unknown user, expired */
};

/**
 * auth_check() - AUTH_OK or AUTH_DENIED (PAM's reason in why, which
 * never holds the password), or -1 if the helper is gone.
 */
int auth_check(struct auth *a, const char *user, const char *password,
	       const char *rhost, char *why, size_t whylen);

#endif
