/* enforce.h - what the daemon does to a cut-off user outside the host
 * sets: a message to their terminals, their uid
 * blocked, killing processes; and the cut-offs of a poll carried out.
 *
 * Safety rules live here, not in the callers: uid 0 and uids below the
 * configured minimum are never signalled.
 */
#ifndef TQ_ENFORCE_H
#define TQ_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "acct.h"
#include "conf.h"
#include "fw.h"
#include "hosts.h"

/* The built-in message when no message file is readable. */
extern const char enforce_default_message[];

/**
 * enforce_message_text() - the text sent to cut-off users: the contents of
 * path (at most 4 KiB), or the built-in default if path is empty or
 * unreadable.  Returns a malloc'ed string.
 */
char *enforce_message_text(const char *path);

/**
 * enforce_message() - write text to every terminal where user is logged in
 * (logins_user: logind's online sessions, or live utmp records).  Only
 * terminals are opened and written: a line is walked below /dev without
 * following any symbolic link (O_NOFOLLOW on each component), must name a
 * character device with a terminal's major number (enforce_tty_major)
 * before it is opened, and be that same device and a tty (isatty) once
 * opened O_NOCTTY|O_NONBLOCK.
 * /dev/null, /dev/watchdog, a FIFO or a link named as a line are never
 * opened.  Returns the number of terminals written.
 */
int enforce_message(const char *user, const char *text);
/* Is major the major number of a login terminal (console, serial, pty)? */
bool enforce_tty_major(unsigned major);

/**
 * enforce_kill() - send SIGKILL to every process whose real uid is uid.
 * Refuses (returns -1, errno EPERM) for uid 0 and uid < min_uid.
 * Returns the number of processes signalled, or -1 with errno set if
 * any of them could not be (EPERM: the daemon lacks CAP_KILL); the others
 * were signalled all the same.  A process that ended meanwhile is no
 * failure.
 */
int enforce_kill(unsigned uid, unsigned min_uid);

struct enforce;

/* The cut-offs for conf (kept; enforce_set_conf on reload), with its
 * message text read now. */
struct enforce *enforce_new(const struct tq_conf *conf);
void enforce_free(struct enforce *e);
/* Reload: the message file is read again. */
void enforce_set_conf(struct enforce *e, const struct tq_conf *conf);
/**
 * enforce_cuts() - carry out a poll's cut-offs: say each one (and message
 * the user) once while it lasts, block the uids of local users not yet
 * blocked (h: what is blocked), and with quota.kill_processes kill their
 * processes.  Never root or uids below quota.min_uid.
 */
void enforce_cuts(struct enforce *e, struct fw *fw, const struct hosts *h,
		  const struct acct_out *o);
/* Unblock the uids the poll lets out again. */
void enforce_unblock(struct fw *fw, const struct acct_out *o);

#endif
