/* logins.c - login sessions from logind (sd-login) or from utmp.
 *
 * Invariants: a login counts only while it lives (a logind session not
 * closing, a utmp record whose process exists); an address is only ever
 * a numeric one (a host name is never resolved: anyone's DNS could say
 * anything); a terminal name that does not fit is dropped, never cut
 * (a cut name could be another terminal).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmp.h>
#include <utmpx.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-login.h>

#include "logins.h"
#include "util.h"

#define SESSIONS_DIR "/run/systemd/sessions"

bool logins_logind(void)
{
	struct stat st;

	return sd_booted() > 0 && stat(SESSIONS_DIR, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

static void login_init(struct login *l, const char *where)
{
	memset(l, 0, sizeof(*l));
	l->uid = (uid_t)-1;
	tq_strlcpy(l->where, where, sizeof(l->where));
}

/* LOGINS_OK if host is a numeric address (set in l->addr), else
 * LOGINS_LOCAL. */
static int login_host(struct login *l)
{
	return addr_parse(l->host, &l->addr) == 0 ? LOGINS_OK : LOGINS_LOCAL;
}

/* ---- utmp ---- */

static bool pid_alive(pid_t pid)
{
	if (pid <= 0)
		return false;
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Copy a fixed-size, maybe unterminated utmp field. */
static void field(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t n = strnlen(src, slen);

	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool v6_addr(const int32_t w[4], struct tq_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!w[0] && !w[1] && !w[2] && !w[3])
		return false;
	if (!w[1] && !w[2] && !w[3]) {
		/* sshd/login store IPv4 in the first word. */
		a->family = AF_INET;
		memcpy(a->a, &w[0], 4);
		return true;
	}
	a->family = AF_INET6;
	memcpy(a->a, w, 16);
	if (!w[0] && !w[1] && ntohl((uint32_t)w[2]) == 0xffff) {
		a->family = AF_INET;
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
	}
	return true;
}

/* A live USER_PROCESS record into l.  Returns LOGINS_OK or LOGINS_LOCAL. */
static int from_utmp(const struct utmpx *u, struct login *l)
{
	login_init(l, "");
	field(l->user, sizeof(l->user), u->ut_user, sizeof(u->ut_user));
	field(l->line, sizeof(l->line), u->ut_line, sizeof(u->ut_line));
	field(l->host, sizeof(l->host), u->ut_host, sizeof(u->ut_host));
	tq_strlcpy(l->where, l->line, sizeof(l->where));
	l->pid = u->ut_pid;
	/* ut_host only when no binary address was recorded. */
	if (v6_addr(u->ut_addr_v6, &l->addr))
		return LOGINS_OK;
	return login_host(l);
}

static bool utmp_live(const struct utmpx *u)
{
	return u->ut_type == USER_PROCESS && pid_alive(u->ut_pid);
}

int logins_utmp_line(const char *path, const char *line, struct login *out,
		     char *err, size_t errlen)
{
	struct utmpx u;
	FILE *f;
	int rc = LOGINS_NONE;

	login_init(out, line);
	if (strncmp(line, "/dev/", 5) == 0)
		line += 5;
	f = fopen(path, "re");
	if (!f)
		return tq_err(err, errlen, "%s: %s", path, strerror(errno));
	while (fread(&u, sizeof(u), 1, f) == 1) {
		if (u.ut_type != USER_PROCESS)
			continue;
		if (strnlen(u.ut_line, sizeof(u.ut_line)) != strlen(line) ||
		    strncmp(u.ut_line, line, sizeof(u.ut_line)) != 0)
			continue;
		if (utmp_live(&u))
			rc = from_utmp(&u, out);
	}
	if (ferror(f)) {
		fclose(f);
		return tq_err(err, errlen, "%s: read error", path);
	}
	fclose(f);
	return rc;
}

/* ---- logind ---- */

/* The login name of uid, or the uid in decimal. */
static void uid_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) != 0 || !res ||
	    tq_strlcpy(buf, pw.pw_name, len) >= len)
		snprintf(buf, len, "%u", (unsigned)uid);
}

/* A session's string field into buf ("" if it has none or it does not
 * fit).  0, or a negative errno of sd-login. */
static int session_str(int (*get)(const char *, char **), const char *id,
		       char *buf, size_t len)
{
	char *s = NULL;
	int r;

	buf[0] = '\0';
	r = get(id, &s);
	if (r == -ENODATA)
		return 0;
	if (r < 0)
		return r;
	if (strlen(s) < len)
		strcpy(buf, s);
	free(s);
	return 0;
}

int logins_session(const char *id, struct login *out, char *err,
		   size_t errlen)
{
	char where[48], state[16];
	uid_t uid;
	int r;

	snprintf(where, sizeof(where), "session %s", id);
	login_init(out, where);
	r = sd_session_get_uid(id, &uid);
	if (r >= 0)
		r = session_str(sd_session_get_state, id, state,
				sizeof(state));
	if (r >= 0)
		r = session_str(sd_session_get_tty, id, out->line,
				sizeof(out->line));
	if (r >= 0)
		r = session_str(sd_session_get_remote_host, id, out->host,
				sizeof(out->host));
	if (r == -ENXIO || r == -ENOENT)
		return LOGINS_NONE;	/* ended meanwhile */
	if (r < 0)
		return tq_err(err, errlen, "logind %s: %s", where,
			      strerror(-r));
	if (strcmp(state, "closing") == 0)
		return LOGINS_NONE;	/* logged out; processes linger */
	/* pam_systemd records PAM_TTY, which some services give as a path. */
	if (strncmp(out->line, "/dev/", 5) == 0)
		memmove(out->line, out->line + 5, strlen(out->line + 5) + 1);
	out->uid = uid;
	uid_name(uid, out->user, sizeof(out->user));
	return login_host(out);
}

int logins_self(struct login *out, char *err, size_t errlen)
{
	char where[48], *id = NULL;
	const char *tty;
	int r;

	if (!logins_logind()) {
		tty = ttyname(0);
		if (!tty) {
			login_init(out, "");
			return LOGINS_NOTTY;
		}
		return logins_utmp_line(_PATH_UTMP, tty, out, err, errlen);
	}
	snprintf(where, sizeof(where), "process %ld", (long)getpid());
	login_init(out, where);
	r = sd_pid_get_session(0, &id);
	if (r == -ENODATA || r == -ENXIO || r == -ENOENT)
		return LOGINS_NONE;	/* in no session's cgroup */
	if (r < 0)
		return tq_err(err, errlen, "logind session of %s: %s", where,
			      strerror(-r));
	r = logins_session(id, out, err, errlen);
	free(id);
	return r;
}

/* Append l to the list unless its terminal is there already. */
static void add_login(struct login **v, size_t *n, size_t *cap,
		      const struct login *l)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].line, l->line) == 0)
			return;
	xgrow(v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = *l;
}

static int user_logind(const char *user, struct login **v, size_t *n,
		       char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	struct login l;
	char tmp[4096], **ids = NULL;
	size_t cap = 0;
	int i, k, rc = 0;

	if (getpwnam_r(user, &pw, tmp, sizeof(tmp), &res) != 0 || !res)
		return 0;	/* no such user: nobody logged in */
	/* 0: the online sessions (active or not), not the closing ones. */
	k = sd_uid_get_sessions(pw.pw_uid, 0, &ids);
	if (k < 0)
		return tq_err(err, errlen, "logind sessions of %s: %s", user,
			      strerror(-k));
	for (i = 0; i < k; i++) {
		if (rc == 0 && logins_session(ids[i], &l, err, errlen) < 0)
			rc = -1;
		else if (rc == 0 && l.uid == pw.pw_uid)
			add_login(v, n, &cap, &l);
		free(ids[i]);
	}
	free(ids);
	return rc;
}

static void user_utmp(const char *user, struct login **v, size_t *n)
{
	struct utmpx *u;
	struct login l;
	size_t cap = 0;

	setutxent();
	while ((u = getutxent()) != NULL) {
		if (!utmp_live(u) ||
		    strnlen(u->ut_user, sizeof(u->ut_user)) != strlen(user) ||
		    strncmp(u->ut_user, user, sizeof(u->ut_user)) != 0)
			continue;
		from_utmp(u, &l);
		add_login(v, n, &cap, &l);
	}
	endutxent();
}

int logins_user(const char *user, struct login **out, char *err,
		size_t errlen)
{
	size_t n = 0;

	*out = NULL;
	if (!logins_logind())
		user_utmp(user, out, &n);
	else if (user_logind(user, out, &n, err, errlen) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return (int)n;
}
