/* logins.h - who is logged in, where from, on which terminal: logind's
 * sessions where logind runs (sd-login), the utmp file where it does not.
 *
 * Debian 13's systemd keeps no utmp (/run/utmp does not exist); logind's
 * session files under /run/systemd/sessions say the same and more.  The
 * source is chosen per call by logins_logind(): both answer with the same
 * struct, so openhost, openfw and the daemon's cut-off message do not
 * care which one spoke.
 *
 * Trust: a logind session is found from the caller's own cgroup
 * (/proc/self/cgroup, which only root can move a process out of); a utmp
 * record from the terminal on fd 0 and a live ut_pid.  Neither reads the
 * environment.
 */
#ifndef TQ_LOGINS_H
#define TQ_LOGINS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "addr.h"

struct login {
	char user[33];		/* login name; the uid in decimal if it has
				   no passwd entry */
	char line[33];		/* terminal without "/dev/", "" if none */
	char host[257];		/* remote host as recorded, "" if local */
	char where[48];		/* for messages: "pts/3", "session 7", or
				   what had none: "/dev/pts/4", "process 9" */
	uid_t uid;		/* logind: the session's; utmp: (uid_t)-1 */
	pid_t pid;		/* utmp: ut_pid; logind: 0 */
	struct tq_addr addr;	/* valid if the lookup returned LOGINS_OK */
};

enum {
	LOGINS_OK = 0,		/* a live network login: addr is set */
	LOGINS_NONE = 1,		/* no live login there */
	LOGINS_LOCAL = 2,	/* a live login without a numeric remote
				   address (console, X, a host name) */
	LOGINS_NOTTY = 3,	/* utmp, and fd 0 is no terminal */
};

/* True where logind keeps the sessions: systemd booted the machine
 * (sd_booted) and /run/systemd/sessions exists. */
bool logins_logind(void);

/**
 * logins_self() - the login of the calling process: its logind session
 * (sd_pid_get_session), or the utmp record (_PATH_UTMP) of the terminal
 * on fd 0.  Returns LOGIN_*, or -1 with a message in err if the records
 * cannot be read.
 */
int logins_self(struct login *out, char *err, size_t errlen);

/**
 * logins_user() - every live login of user with a distinct terminal
 * (logind: its online sessions, not those closing; utmp: USER_PROCESS
 * records of a live process, read through getutxent so utmpxname()
 * applies).  *out is malloc'ed, the caller frees it (also when 0;
 * NULL after -1).
 * Returns how many, or -1 with a message in err.
 */
int logins_user(const char *user, struct login **out, char *err,
		size_t errlen);

/**
 * logins_session() - logind session id.  LOGINS_NONE if it is gone or
 * closing; LOGINS_LOCAL without a numeric REMOTE_HOST.  -1 with err on a
 * read error or an invalid id.
 */
int logins_session(const char *id, struct login *out, char *err,
		   size_t errlen);

/**
 * logins_utmp_line() - the login on terminal line ("pts/3" or
 * "/dev/pts/3") from the utmp file path.
 *
 * Only USER_PROCESS records whose process is alive count; the last one
 * wins.  The address comes from ut_addr_v6 (IPv4 when only the first word
 * is set, or IPv4-mapped); ut_host is used only if the address is empty
 * and ut_host is a numeric address.  Returns LOGINS_OK, _NONE or _LOCAL,
 * or -1 with a message in err if the file cannot be read.
 */
int logins_utmp_line(const char *path, const char *line, struct login *out,
		     char *err, size_t errlen);

#endif
