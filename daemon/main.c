/* main.c - tcpquotad: options, daemonizing, the pid file, signals. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "conf_sanity.h"
#include "forward.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "tqd.h"
#include "util.h"

static const char usage_text[] =
	"usage: tcpquotad [--debug] [--nofork|-f] [--config FILE] [-n]\n"
	"                 [--get KEY] [--version] [--help]\n"
	"  -d, --debug     foreground, debug logging, use tcpquota.conf.debug\n"
	"                  next to the configuration file if present\n"
	"  -f, --nofork    stay in the foreground\n"
	"  -c, --config FILE  configuration file (default " TQ_DEFAULT_CONF
	")\n"
	"  -n, --check     check the configuration and exit\n"
	"      --get KEY   print a setting's effective value (e.g.\n"
	"                  database.name) and exit\n"
	"  -V, --version   print the version\n"
	"  -h, --help      this text\n";

struct opts {
	bool debug;
	bool nofork;
	bool check;
	const char *config;
	const char *get;	/* --get KEY */
};

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "debug", no_argument, NULL, 'd' },
		{ "nofork", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "get", required_argument, NULL, 'g' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->config = TQ_DEFAULT_CONF;
	while ((c = getopt_long(argc, argv, "dfc:nVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->debug = true;
			o->nofork = true;
			break;
		case 'f':
			o->nofork = true;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'n':
			o->check = true;
			break;
		case 'g':
			o->get = optarg;
			break;
		case 'V':
			printf("tcpquotad %s\n", TQ_VERSION);
			exit(0);
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs(usage_text, stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tcpquotad: unexpected argument: %s\n",
			argv[optind]);
		fputs(usage_text, stderr);
		exit(2);
	}
}

/* An absolute path, so that a reload after chdir("/") finds the file. */
static char *absolute(char *p)
{
	char *r = realpath(p, NULL);

	if (!r)
		return p;
	free(p);
	p = xstrdup(r);
	free(r);
	return p;
}

/* --debug prefers tcpquota.conf.debug beside the configuration file. */
static char *config_path(const struct opts *o)
{
	char *p;
	size_t n;

	if (!o->debug)
		return absolute(xstrdup(o->config));
	n = strlen(o->config) + sizeof(".debug");
	p = xmalloc(n);
	snprintf(p, n, "%s.debug", o->config);
	if (access(p, R_OK) == 0)
		return absolute(p);
	free(p);
	return absolute(xstrdup(o->config));
}

/* Lock the pid file; a second instance learns who holds it.  The file
 * stays open (and locked) for the life of the process. */
static int pidfile_lock(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "tcpquotad: pid file %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			fprintf(stderr, "tcpquotad: already running (pid %s, "
				"pidfile %s)\n", *buf ? buf : "?", path);
		} else {
			fprintf(stderr, "tcpquotad: locking %s: %s\n", path,
				strerror(errno));
		}
		close(fd);
		return -1;
	}
	return fd;
}

static int pidfile_write(int fd)
{
	char buf[32];
	int len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		return -1;
	return 0;
}

/* Double fork; the grandchild carries on.  The parent waits for a byte
 * on a pipe so that its exit status says whether start-up worked, and
 * prints the reason that follows a failure's byte (start_failed). */
static int daemonize(int *notify)
{
	char c = 1, why[1280];
	int p[2], fd;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		/* Reap the session leader (it exits once it has forked the
		 * daemon) so no zombie is left for an init that may not. */
		waitpid(pid, NULL, 0);
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		if (c != 0 && (n = read(p[0], why, sizeof(why))) > 0 &&
		    write(2, why, (size_t)n) < 0)
			_exit(1);
		_exit(c == 0 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);	/* the first parent still waits on the pipe */
	if (chdir("/") < 0)
		_exit(1);
	umask(022);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	*notify = p[1];
	return 0;
}

static void notify_parent(int *fd, char status)
{
	if (*fd < 0)
		return;
	if (write(*fd, &status, 1) < 0) {
		/* the parent is gone: nothing to tell */
	}
	close(*fd);
	*fd = -1;
}

/* A start that failed after the pid file: the reason on stderr once.
 * Forked, ours is /dev/null: it goes to the waiting parent's.  Already
 * logged (logged) to a log that is stderr (the journal): not again. */
static void start_failed(int *notify, bool logged, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void start_failed(int *notify, bool logged, const char *fmt, ...)
{
	char why[1280];
	va_list ap;
	int n;

	n = snprintf(why, sizeof(why), "%ctcpquotad: ", 1);
	va_start(ap, fmt);
	vsnprintf(why + n, sizeof(why) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(why, "\n");
	if (*notify >= 0) {
		(void)tq_write_all(*notify, why, strlen(why));
		close(*notify);
		*notify = -1;
	} else if (!(logged && log_to_stderr())) {
		fputs(why + 1, stderr);
	}
}

static void warn_stderr(const char *msg, void *arg)
{
	fprintf(stderr, "tcpquotad: warning: %s\n", msg);
}

static void warn_log(const char *msg, void *arg)
{
	log_warnx("%s", msg);
}

/* conf_sanity's findings: all on stderr (-n); at a start the errors on
 * stderr, and once the log is open the warnings that concern the daemon
 * (the others are the tools', for -n). */
static void sanity_stderr(void *arg, unsigned flags, const char *msg)
{
	fprintf(stderr, "tcpquotad: %s%s\n",
		flags & CONF_SANITY_ERROR ? "" : "warning: ", msg);
}

static void sanity_errors(void *arg, unsigned flags, const char *msg)
{
	if (flags & CONF_SANITY_ERROR)
		fprintf(stderr, "tcpquotad: %s\n", msg);
}

static void sanity_log(void *arg, unsigned flags, const char *msg)
{
	if (!(flags & CONF_SANITY_ERROR) && (flags & CONF_SANITY_DAEMON))
		log_warnx("%s", msg);
}

/* --get: the value on stdout, 0; an unknown key: 2 with what to do. */
static int print_value(struct tq_conf *conf, const char *key, char *path)
{
	char err[1024], *v;
	int rc = 0;

	v = conf_value(conf, key, err, sizeof(err));
	if (v) {
		printf("%s\n", v);
	} else {
		fprintf(stderr, "tcpquotad: %s\n", err);
		rc = 2;
	}
	free(v);
	conf_free(conf);
	free(path);
	return rc;
}

/* WatchdogSec: fed from the loop, so a stuck handler stops it. */
static void on_watchdog(struct loop_timer *t, void *arg)
{
	notify_watchdog();
}

struct main_ctx {
	struct loop *loop;
	struct tqd *tqd;
	int exit_sig;
};

static void on_signal(int signo, void *arg)
{
	struct main_ctx *m = arg;

	switch (signo) {
	case SIGHUP:
		/* The log first, whatever the new file holds: after a
		 * rotation this line and the verdict on the file (a
		 * rejection keeps the old logfile too) go to the new file
		 * at the path in force. */
		if (log_reopen() < 0)
			log_warn("reopening the log");
		log_info("SIGHUP: reloading the configuration");
		notify_reloading();
		tqd_reload(m->tqd);
		notify_ready();
		break;
	case SIGUSR1:
		log_set_debug(true);
		log_info("SIGUSR1: debug logging on");
		break;
	case SIGUSR2:
		log_info("SIGUSR2: debug logging off");
		log_set_debug(false);
		break;
	default:
		notify_stopping();
		m->exit_sig = signo;
		loop_stop(m->loop);
		break;
	}
}

int main(int argc, char **argv)
{
	struct main_ctx m;
	struct tq_conf *conf;
	struct opts o;
	sigset_t set;
	char err[1024], *path, *pidpath;
	int pidfd, notify = -1;
	unsigned wd_ms;
	struct loop_timer *wd = NULL;

	parse_args(argc, argv, &o);
	path = config_path(&o);
	conf = conf_load(path, err, sizeof(err));
	if (!conf) {
		fprintf(stderr, "tcpquotad: %s\n", err);
		free(path);
		return 1;
	}
	if (o.get)
		return print_value(conf, o.get, path);
	if (conf_sanity(conf, NULL, o.check ? sanity_stderr : sanity_errors,
			NULL) > 0) {
		conf_free(conf);
		free(path);
		return 1;
	}
	if (o.check) {
		forward_check("/proc/sys", warn_stderr, NULL);
		printf("tcpquotad: %s: configuration OK\n", path);
		conf_free(conf);
		free(path);
		return 0;
	}

	pidfd = pidfile_lock(conf->pidfile);
	if (pidfd < 0) {
		conf_free(conf);
		free(path);
		return 1;
	}
	pidpath = xstrdup(conf->pidfile);
	if (!o.nofork) {
		/* flock() locks belong to the open file description, which
		 * the children share: the lock survives the parents' exit. */
		if (daemonize(&notify) < 0) {
			fprintf(stderr, "tcpquotad: fork: %s\n",
				strerror(errno));
			return 1;
		}
	}
	if (pidfile_write(pidfd) < 0) {
		start_failed(&notify, false, "writing %s: %s", conf->pidfile,
			     strerror(errno));
		goto err_conf;
	}
	if (log_open("tcpquotad", conf->logfile) < 0) {
		start_failed(&notify, false, "log %s: %s",
			     log_resolve(conf->logfile), strerror(errno));
		goto err_conf;
	}
	log_set_debug(o.debug);
	log_info("tcpquotad %s starting (pid %ld, gateway %s, config %s)",
		 TQ_VERSION, (long)getpid(), conf->gateway, path);
	forward_check("/proc/sys", warn_log, NULL);
	conf_sanity(conf, NULL, sanity_log, NULL);

	memset(&m, 0, sizeof(m));
	m.loop = loop_new();
	if (!m.loop)
		fatal("epoll");
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (loop_signals(m.loop, &set, on_signal, &m) < 0)
		fatal("signalfd");
	signal(SIGPIPE, SIG_IGN);

	m.tqd = tqd_new(conf, path, m.loop);
	if (tqd_start(m.tqd, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		start_failed(&notify, true, "%s", err);
		tqd_free(m.tqd);
		loop_free(m.loop);
		unlink(pidpath);
		goto err_path;
	}
	notify_parent(&notify, 0);
	notify_ready();
	wd_ms = notify_watchdog_ms();
	if (wd_ms && !(wd = loop_timer_add(m.loop, wd_ms, wd_ms, on_watchdog,
					   NULL)))
		fatal("watchdog timer");

	if (loop_run(m.loop) < 0)
		log_warn("event loop");
	log_info("signal %d (%s): cleaning up", m.exit_sig,
		 strsignal(m.exit_sig));
	tqd_shutdown(m.tqd);
	unlink(pidpath);
	log_info("exiting");
	tqd_free(m.tqd);
	if (wd)
		loop_timer_del(m.loop, wd);
	loop_free(m.loop);
	free(path);
	free(pidpath);
	close(pidfd);
	log_close();
	return 0;

err_conf:
	conf_free(conf);
err_path:
	free(pidpath);
	free(path);
	return 1;
}
