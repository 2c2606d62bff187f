/* enforce.c - messages to terminals and process killing for cut-offs. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmpx.h>

#include "enforce.h"
#include "util.h"

const char enforce_default_message[] =
	"\r\n*** tcpquota: your Internet access has been closed "
	"(no quota left or not allowed). ***\r\n"
	"*** Ask an administrator for more quota. ***\r\n";

int enforce_uid_name(unsigned uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) != 0 || !res)
		return -1;
	if (tq_strlcpy(buf, pw.pw_name, len) >= len)
		return -1;
	return 0;
}

int enforce_name_uid(const char *name, unsigned *uid)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwnam_r(name, &pw, tmp, sizeof(tmp), &res) != 0 || !res)
		return -1;
	*uid = (unsigned)pw.pw_uid;
	return 0;
}

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

static int write_tty(const char *line, const char *text)
{
	char path[64 + sizeof(((struct utmpx *)0)->ut_line)];
	struct stat st;
	int fd, rc;

	snprintf(path, sizeof(path), "/dev/%s", line);
	fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
		close(fd);
		return -1;
	}
	rc = tq_write_all(fd, text, strlen(text));
	close(fd);
	return rc;
}

int enforce_message(const char *user, const char *text)
{
	char name[sizeof(((struct utmpx *)0)->ut_user) + 1];
	char line[sizeof(((struct utmpx *)0)->ut_line) + 1];
	struct utmpx *u;
	int n = 0;

	setutxent();
	while ((u = getutxent()) != NULL) {
		if (u->ut_type != USER_PROCESS)
			continue;
		memcpy(name, u->ut_user, sizeof(u->ut_user));
		name[sizeof(u->ut_user)] = '\0';
		if (strcmp(name, user) != 0)
			continue;
		memcpy(line, u->ut_line, sizeof(u->ut_line));
		line[sizeof(u->ut_line)] = '\0';
		if (!line_ok(line, sizeof(line)))
			continue;
		if (write_tty(line, text) == 0)
			n++;
	}
	endutxent();
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
