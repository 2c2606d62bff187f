/* toolctx.c - identity, privileges, configuration, database connection. */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dblimit.h"
#include "toolctx.h"
#include "util.h"

extern char **environ;

static int wake_connect(const struct tq_conf *conf);

static bool env_keep(const char *e)
{
	return strncmp(e, "TERM=", 5) == 0 || strncmp(e, "LANG=", 5) == 0 ||
	       strncmp(e, "LC_", 3) == 0 || strncmp(e, "COLUMNS=", 8) == 0;
}

bool toolctx_sanitize_env(void)
{
	char **keep;
	size_t n = 0, i;
	char **e;

	if ((getegid() == getgid() && geteuid() == getuid()) || getuid() == 0)
		return false;
	for (e = environ; e && *e; e++)
		n++;
	keep = xcalloc(n + 1, sizeof(*keep));
	n = 0;
	for (e = environ; e && *e; e++)
		if (env_keep(*e) && strchr(*e, '='))
			keep[n++] = xstrdup(*e);
	clearenv();
	for (i = 0; i < n; i++) {
		putenv(keep[i]);	/* the environment owns them now */
	}
	free(keep);
	setenv("PATH", TOOL_SAFE_PATH, 1);
	return true;
}

int toolctx_start(const struct tool_prog *p, int argc, char **argv,
		  struct tool_opts *o)
{
	char err[512];
	int first, n;

	toolctx_sanitize_env();
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* jansson's out of memory aborts in xmalloc, as everywhere. */
	json_set_alloc_funcs(xmalloc, free);
	first = tool_parse_opts(argc, argv, p->opts, o, err, sizeof(err));
	n = first < 0 ? 0 : argc - first;
	if (first < 0 || n > p->max_args) {
		fprintf(stderr, "%s: %s\n", p->name, first < 0 ? err :
			"unexpected argument");
		p->usage(stderr);
		exit(TOOL_EXIT_USAGE);
	}
	if (o->help) {
		p->usage(stdout);
		exit(0);
	}
	if (o->version) {
		printf("%s %s\n", p->name, TQ_VERSION);
		exit(0);
	}
	if (n < p->min_args) {
		p->usage(stderr);
		exit(TOOL_EXIT_USAGE);
	}
	return first;
}

bool toolctx_in_group(uid_t uid, const char *user, gid_t pw_gid,
		      const char *group)
{
	struct group gr, *grp = NULL;
	char buf[16384];
	gid_t *groups;
	int ng = 64, i;
	bool found = false;

	if (uid == 0)
		return true;
	if (!group || !*group)
		return false;
	if (getgrnam_r(group, &gr, buf, sizeof(buf), &grp) != 0 || !grp)
		return false;
	groups = xmalloc(ng * sizeof(*groups));
	if (getgrouplist(user, pw_gid, groups, &ng) < 0) {
		groups = xrealloc(groups, ng * sizeof(*groups));
		if (getgrouplist(user, pw_gid, groups, &ng) < 0)
			ng = 0;
	}
	for (i = 0; i < ng; i++)
		if (groups[i] == grp->gr_gid)
			found = true;
	free(groups);
	return found;
}

int toolctx_init(struct tool_ctx *t, const char *prog, const char *config,
		 char *err, size_t errlen)
{
	struct passwd pw, *pwp = NULL;
	char buf[16384];
	char cerr[512];
	const char *path = TQ_DEFAULT_CONF;
	const char *env;

	memset(t, 0, sizeof(*t));
	t->wake_fd = -1;
	t->prog = prog;
	t->uid = getuid();
	t->gid = getgid();
	t->sgid = getegid();
	t->setgid = t->sgid != t->gid || geteuid() != t->uid;
	t->restricted = t->setgid && t->uid != 0;

	if (getpwuid_r(t->uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
		return tq_err(err, errlen, "uid %u has no passwd entry",
			      (unsigned)t->uid);
	if (tq_strlcpy(t->user, pw.pw_name, sizeof(t->user)) >=
	    sizeof(t->user))
		return tq_err(err, errlen, "user name too long");
	t->pw_gid = pw.pw_gid;

	if (config && t->restricted)
		return tq_err(err, errlen, "--config is refused: %s runs "
			      "setgid and only root may choose its "
			      "configuration", prog);
	env = t->restricted ? NULL : getenv("TQ_CONFIG");
	if (config)
		path = config;
	else if (env && *env)
		path = env;
	t->conf_path = xstrdup(path);
	t->conf = conf_load(path, cerr, sizeof(cerr));
	if (!t->conf)
		return tq_err(err, errlen, "%s", cerr);
	t->admin = toolctx_in_group(t->uid, t->user, t->pw_gid,
				    t->conf->admin_group);
	return 0;
}

void toolctx_free(struct tool_ctx *t)
{
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	if (t->db)
		db_free(t->db);
	if (t->conf)
		conf_free(t->conf);
	free(t->conf_path);
	memset(t, 0, sizeof(*t));
	t->wake_fd = -1;
}

void toolctx_drop(struct tool_ctx *t, bool keep_saved)
{
	int rc;

	if (!t->setgid || t->dropped)
		return;
	if (keep_saved)
		rc = setegid(t->gid);
	else
		rc = setresgid(t->gid, t->gid, t->gid);
	if (rc != 0) {
		/* Never run on with the group when we meant to drop it. */
		fprintf(stderr, "%s: cannot drop group privileges: %s\n",
			t->prog, strerror(errno));
		exit(1);
	}
	t->keep_saved = keep_saved;
	t->dropped = true;
}

/* The connect's failure into err, after pre; a refusal for want of
 * connections says which limit and what to do.  Returns -1. */
static int connect_err(const struct tool_ctx *t, const char *pre, char *err,
		       size_t errlen)
{
	unsigned e = db_last_errno(t->db);
	const char *adv = dblimit_advice(e, t->acct);

	if (adv)
		return tq_err(err, errlen, "%s%s (error %u: %s)", pre,
			      db_error(t->db), e, adv);
	return tq_err(err, errlen, "%s%s", pre, db_error(t->db));
}

int toolctx_connect(struct tool_ctx *t, enum db_account acct,
		    bool keep_saved, char *err, size_t errlen)
{
	int rc;

	if (t->db)
		return 0;
	t->acct = acct;
	t->db = db_new(t->conf, acct);
	rc = db_connect(t->db);
	if (t->wake_fd < 0)
		t->wake_fd = wake_connect(t->conf);
	toolctx_drop(t, keep_saved);
	if (rc != 0)
		return connect_err(t, "cannot connect to the database: ", err,
				   errlen);
	return 0;
}

int toolctx_reconnect(struct tool_ctx *t, char *err, size_t errlen)
{
	int rc;

	if (!t->db)
		return tq_err(err, errlen, "not connected");
	if (t->setgid && t->dropped && !t->keep_saved)
		return tq_err(err, errlen, "connection lost");
	if (t->setgid && t->dropped && setegid(t->sgid) != 0)
		return tq_err(err, errlen, "setegid: %s", strerror(errno));
	rc = db_connect(t->db);
	if (t->setgid && t->dropped && setegid(t->gid) != 0) {
		fprintf(stderr, "%s: cannot drop group privileges: %s\n",
			t->prog, strerror(errno));
		exit(1);
	}
	if (rc != 0)
		return connect_err(t, "", err, errlen);
	return 0;
}

const char *toolctx_money(const struct tool_ctx *t, long long seconds,
			  char *buf, size_t len)
{
	return tool_money(seconds, t->conf->money_per_minute,
			  t->conf->money_unit, buf, len);
}

int toolctx_db_fail(const struct tool_ctx *t, const char *label)
{
	fprintf(stderr, "%s: %s%sdatabase error: %s\n", t->prog,
		label ? label : "", label ? ": " : "", db_error(t->db));
	return -1;
}

/* A datagram socket connected to the wake-up socket, or -1.  The path's
 * permissions are checked at connect(), so this runs with the group. */
static int wake_connect(const struct tq_conf *conf)
{
	struct sockaddr_un sa;
	int fd;

	if (!conf->wakeup || !*conf->wakeup ||
	    strlen(conf->wakeup) >= sizeof(sa.sun_path))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, conf->wakeup, strlen(conf->wakeup));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* (Re)connect, with the group if we still may take it back. */
static void wake_reconnect(struct tool_ctx *t)
{
	bool regain = t->setgid && t->dropped && t->keep_saved;

	if (t->wake_fd >= 0)
		close(t->wake_fd);
	t->wake_fd = -1;
	if (t->setgid && t->dropped && !regain)
		return;
	if (regain && setegid(t->sgid) != 0)
		return;
	t->wake_fd = wake_connect(t->conf);
	if (regain && setegid(t->gid) != 0) {
		fprintf(stderr, "%s: cannot drop group privileges: %s\n",
			t->prog, strerror(errno));
		exit(1);
	}
}

void toolctx_poke(struct tool_ctx *t)
{
	if (t->wake_fd < 0)
		wake_reconnect(t);
	if (t->wake_fd < 0)
		return;
	if (send(t->wake_fd, "w", 1, MSG_DONTWAIT) < 0 && errno != EAGAIN) {
		/* The daemon restarted: its socket is a new one. */
		wake_reconnect(t);
		if (t->wake_fd >= 0)
			(void)send(t->wake_fd, "w", 1, MSG_DONTWAIT);
	}
}

int toolctx_ack_timeout_ms(const struct tq_conf *conf)
{
	int s = conf->period * 3;

	return (s < 5 ? 5 : s) * 1000;
}

void toolctx_sleep_ms(int ms)
{
	(void)poll(NULL, 0, ms);
}

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

void toolctx_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int toolctx_signalled(void)
{
	return caught;
}

#if defined(__SANITIZE_ADDRESS__)
/* make SANITIZE=1: LeakSanitizer needs ptrace and /proc/self access, which
 * a setgid (non-dumpable) process does not have, and it cannot read
 * ASAN_OPTIONS there either.  Leaks are still checked in every run that
 * is not setgid. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return getegid() != getgid() ? "detect_leaks=0" : "";
}
#endif
