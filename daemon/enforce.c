/* enforce.c - what a cut-off means outside the host sets: messages to
 * the user's terminals, their uid blocked, their processes killed.
 *
 * Invariants: uid 0 and uids below quota.min_uid are never blocked or
 * signalled (checked here, whatever the caller); a cut-off is messaged
 * once while it lasts (the names told at the previous poll are kept);
 * a failing kill(2) is said once (a unit without CAP_KILL would repeat
 * it every poll); a message goes only to a terminal: a login record may
 * name any file below /dev, and nothing else is opened (open_tty).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <utmpx.h>

#include "enforce.h"
#include "log.h"
#include "logins.h"
#include "pwcache.h"
#include "util.h"

struct enforce {
	const struct tq_conf *conf;
	char *msg_text;
	char (*cut_names)[DB_NAME_BYTES];	/* messaged this cut-off */
	size_t n_cut;
	bool kill_said;		/* said kill(2) fails */
};

const char enforce_default_message[] =
	"\r\n*** tcpquota: your Internet access has been closed "
	"(no quota left or not allowed). ***\r\n"
	"*** Ask an administrator for more quota. ***\r\n";

char *enforce_message_text(const char *path)
{
	char *buf;
	ssize_t n;
	int fd;

	if (!path || !*path)
		return xstrdup(enforce_default_message);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return xstrdup(enforce_default_message);
	buf = xmalloc(4097);
	n = read(fd, buf, 4096);
	close(fd);
	if (n <= 0) {
		free(buf);
		return xstrdup(enforce_default_message);
	}
	buf[n] = '\0';
	return buf;
}

/* A utmp line is a terminal name relative to /dev; refuse anything that
 * could step outside it. */
static bool line_ok(const char *line, size_t max)
{
	size_t i;

	if (!line[0] || line[0] == '.' || line[0] == '/')
		return false;
	for (i = 0; i < max && line[i]; i++)
		if (line[i] == '.' && line[i + 1] == '.')
			return false;
	return true;
}

bool enforce_tty_major(unsigned major)
{
	/* Virtual consoles and serial lines (4), BSD pty slaves (3), Unix98
	 * pty slaves (136-143), USB ACM and serial (166, 188), AMBA serial
	 * (204), hypervisor consoles (229).  Not 5: /dev/tty, /dev/console
	 * and /dev/ptmx are no login lines. */
	return major == 3 || major == 4 || (major >= 136 && major <= 143) ||
	       major == 166 || major == 188 || major == 204 || major == 229;
}

/* The terminal /dev/LINE opened for writing, or -1.  Each component is
 * opened below the last with O_NOFOLLOW, so no symbolic link is followed
 * anywhere; the last must be a character device of a terminal's major
 * before it is opened (opening some devices does something: as root,
 * /dev/watchdog would start the watchdog), and the same device, a tty,
 * once open. */
static int open_tty(const char *line)
{
	char buf[sizeof(((struct utmpx *)0)->ut_line) + 1], *name, *slash;
	struct stat before, st;
	int dir, sub, fd = -1;

	if (tq_strlcpy(buf, line, sizeof(buf)) >= sizeof(buf))
		return -1;
	dir = open("/dev", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	name = buf;
	while (dir >= 0 && (slash = strchr(name, '/')) != NULL) {
		*slash = '\0';
		sub = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			     O_CLOEXEC);
		close(dir);
		dir = sub;
		name = slash + 1;
	}
	if (dir < 0 || !*name)
		goto out;
	if (fstatat(dir, name, &before, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISCHR(before.st_mode) ||
	    !enforce_tty_major(major(before.st_rdev)))
		goto out;
	fd = openat(dir, name, O_WRONLY | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0)
		goto out;
	/* Still the node looked at, and a terminal. */
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != before.st_rdev || st.st_ino != before.st_ino ||
	    !isatty(fd)) {
		close(fd);
		fd = -1;
	}
out:
	if (dir >= 0)
		close(dir);
	return fd;
}

static int write_tty(const char *line, const char *text)
{
	int fd, rc;

	fd = open_tty(line);
	if (fd < 0)
		return -1;
	rc = tq_write_all(fd, text, strlen(text));
	close(fd);
	return rc;
}

int enforce_message(const char *user, const char *text)
{
	struct login *l;
	int i, k, n = 0;

	k = logins_user(user, &l, NULL, 0);
	for (i = 0; i < k; i++)
		if (line_ok(l[i].line, sizeof(l[i].line)) &&
		    write_tty(l[i].line, text) == 0)
			n++;
	free(l);
	return n;
}

/* Real uid of a process from /proc/PID/status; -1 if gone. */
static long proc_uid(int dirfd, const char *pid)
{
	char path[64], buf[4096], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/status", pid);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nUid:");
	if (!p)
		return -1;
	return strtol(p + 5, NULL, 10);
}

int enforce_kill(unsigned uid, unsigned min_uid)
{
	struct dirent *de;
	DIR *d;
	int n = 0, err = 0;
	long pid;

	if (uid == 0 || uid < min_uid) {
		errno = EPERM;
		return -1;
	}
	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (proc_uid(dirfd(d), de->d_name) != (long)uid)
			continue;
		pid = strtol(de->d_name, NULL, 10);
		if (pid <= 1 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, SIGKILL) == 0)
			n++;
		else if (errno != ESRCH && !err)
			err = errno;	/* gone meanwhile is no failure */
	}
	closedir(d);
	if (err) {
		errno = err;
		return -1;
	}
	return n;
}

/* ---- cut-offs ---- */

struct enforce *enforce_new(const struct tq_conf *conf)
{
	struct enforce *e = xcalloc(1, sizeof(*e));

	e->conf = conf;
	e->msg_text = enforce_message_text(conf->message_file);
	return e;
}

void enforce_free(struct enforce *e)
{
	if (!e)
		return;
	free(e->msg_text);
	free(e->cut_names);
	free(e);
}

void enforce_set_conf(struct enforce *e, const struct tq_conf *conf)
{
	e->conf = conf;
	free(e->msg_text);
	e->msg_text = enforce_message_text(conf->message_file);
}

static bool cut_known(const struct enforce *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->n_cut; i++)
		if (strcmp(e->cut_names[i], name) == 0)
			return true;
	return false;
}

/* Say the cut-off and tell the user, once while it lasts. */
static void tell(struct enforce *e, const struct acct_cut *c, bool known)
{
	int k;

	if (cut_known(e, c->name))
		return;
	if (c->reason == ACCT_CUT_NO_QUOTA)
		log_info("cut off %s: %s (balance %lld)", c->name,
			 acct_cut_reason_str(c->reason), c->quota);
	else
		log_info("cut off %s: %s", c->name,
			 acct_cut_reason_str(c->reason));
	k = known ? enforce_message(c->name, e->msg_text) : 0;
	if (k > 0)
		log_info("told %s on %d terminal%s", c->name, k,
			 k == 1 ? "" : "s");
}

void enforce_cuts(struct enforce *e, struct fw *fw, const struct hosts *h,
		  const struct acct_out *o)
{
	char (*names)[DB_NAME_BYTES];
	unsigned *uids, uid;
	size_t i, nu = 0, nn = 0;
	int k;

	uids = xcalloc(o->n_cuts + 1, sizeof(*uids));
	names = xcalloc(o->n_cuts + 1, sizeof(*names));
	for (i = 0; i < o->n_cuts; i++) {
		const struct acct_cut *c = &o->cuts[i];
		bool known;

		uid = c->uid;
		known = c->has_uid || pwcache_uid(c->name, &uid) == 0;
		tq_strlcpy(names[nn++], c->name, sizeof(names[0]));
		tell(e, c, known);
		/* Never block or kill root or system accounts. */
		if (!known || uid == 0 || uid < e->conf->min_uid)
			continue;
		if (!hosts_uid_blocked(h, uid))
			uids[nu++] = uid;
		if (!e->conf->kill_processes)
			continue;
		k = enforce_kill(uid, e->conf->min_uid);
		if (k > 0)
			log_info("killed %d process%s of %s (uid %u)", k,
				 k == 1 ? "" : "es", c->name, uid);
		else if (k < 0)
			log_once_errno(&e->kill_said, "quota.kill_processes: "
				       "cannot kill the processes of %s (uid "
				       "%u)%s", c->name, uid, errno == EPERM ?
				       " (does the daemon have CAP_KILL?)" :
				       "");
	}
	fw_block(fw, uids, nu);
	/* Remember who was told, so each cut-off is messaged once. */
	free(e->cut_names);
	e->cut_names = names;
	e->n_cut = nn;
	free(uids);
}

void enforce_unblock(struct fw *fw, const struct acct_out *o)
{
	fw_unblock(fw, o->unblock, o->n_unblock);
}
