/* main.c - tcpquota-portal: options, start-up, privileges, signals.
 *
 *   tcpquota-portal [--config FILE] [--debug] [-n] [--version] [--help]
 *
 * The order of its life: read the configuration; open the log; fork the
 * PAM helper (auth.c), which drops to portal.user with group shadow;
 * read and check the certificate and key (tls.c) and bind the
 * listeners (http.c) while still root; drop to portal.user with daemon.tools_group as its one
 * supplementary group (the tools' database password and the daemon's
 * wake-up socket are that group's); serve until TERM, INT or QUIT.  HUP
 * reopens the log; USR1/USR2 turn debug logging on/off.  It stays in the
 * foreground (systemd supervises it; the SysV script backgrounds it).
 * Signals are blocked in every thread and taken by sigwait() here.
 */
#include <errno.h>
#include <malloc.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <jansson.h>

#include "auth.h"
#include "http.h"
#include "log.h"
#include "portal.h"
#include "tls.h"
#include "util.h"

static const char usage_text[] =
	"usage: tcpquota-portal [--config FILE] [--debug] [-n]\n"
	"The web login of tcpquota: users open the Internet for the device\n"
	"they browse from.\n"
	"  -c, --config FILE  configuration (default " TQ_DEFAULT_CONF ")\n"
	"  -d, --debug        debug logging, to standard error\n"
	"  -n                 check the configuration and exit\n"
	"  -V, --version      print the version and exit\n"
	"  -h, --help         print this help and exit\n";

struct opts {
	const char *config;
	bool debug;
	bool check;
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->config = TQ_DEFAULT_CONF;
	while ((ch = getopt_long(argc, argv, "c:dnVh", longs, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			o->debug = true;
			break;
		case 'n':
			o->check = true;
			break;
		case 'V':
			printf("tcpquota-portal %s\n", TQ_VERSION);
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
		fprintf(stderr, "tcpquota-portal: unexpected argument %s\n",
			argv[optind]);
		fputs(usage_text, stderr);
		exit(2);
	}
}

/* -n: the file, and under HTTPS its certificate and key. */
static int check(struct tq_conf *conf, const char *path)
{
	char *cert, *key, warn[512], err[1024];
	int rc = 0;

	if (*conf->portal_cert) {
		if (tls_load(conf, &cert, &key, warn, sizeof(warn), err,
			     sizeof(err)) < 0) {
			fprintf(stderr, "tcpquota-portal: %s\n", err);
			rc = 1;
		} else {
			if (*warn)
				fprintf(stderr, "tcpquota-portal: warning: "
					"%s\n", warn);
			free(cert);
			tls_free_key(key);
		}
	}
	if (!rc)
		printf("%s: OK\n", path);
	conf_free(conf);
	return rc;
}

/* A start-up failure: logged, and on stderr too when the log is
 * elsewhere (whoever started the portal by hand reads why). */
static void __attribute__((noreturn)) startfail(const char *what,
						const char *err)
{
	if (!log_to_stderr())
		fprintf(stderr, "tcpquota-portal: %s%s\n", what, err);
	fatalx("%s%s", what, err);
}

/* portal.user's ids; fatal if it does not exist. */
static void portal_user(const struct tq_conf *c, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(c->portal_user);

	if (!pw)
		fatalx("portal.user %s does not exist; create it (adduser "
		       "--system --group --no-create-home %s) or set "
		       "portal.user", c->portal_user, c->portal_user);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
}

/* Become portal.user with daemon.tools_group as the one supplementary
 * group; make sure root cannot be had back. */
static void drop(const struct tq_conf *c, uid_t uid, gid_t gid)
{
	struct group *g = getgrnam(c->tools_group);
	gid_t groups[1];

	if (!g)
		log_warnx("group %s (daemon.tools_group) does not exist: the "
			  "portal cannot read the tools' database password "
			  "or poke tcpquotad", c->tools_group);
	groups[0] = g ? g->gr_gid : gid;
	if (setgroups(1, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		fatal("dropping privileges to %s", c->portal_user);
	if (setuid(0) == 0)
		fatalx("could regain root after dropping it");
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	struct tq_conf *conf;
	struct httpd *h;
	struct auth *a;
	struct dbpool *pool;
	struct opts o;
	sigset_t set;
	char err[1024];
	bool root = geteuid() == 0;
	uid_t uid = 0;
	gid_t gid = 0;
	int sig;

	parse_opts(argc, argv, &o);
	json_set_alloc_funcs(xmalloc, free);
	conf = conf_load(o.config, err, sizeof(err));
	if (!conf) {
		fprintf(stderr, "tcpquota-portal: %s\n", err);
		return 1;
	}
	if (o.check)
		return check(conf, o.config);
	if (log_open("tcpquota-portal", o.debug ? "-" :
		     conf->portal_logfile) < 0) {
		fprintf(stderr, "tcpquota-portal: log %s: %s\n",
			conf->portal_logfile, strerror(errno));
		return 1;
	}
	log_set_debug(o.debug);
	/* Every thread (MHD's) inherits the blocked set. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (root)
		portal_user(conf, &uid, &gid);
	else
		log_warnx("not started as root: running as uid %u without "
			  "dropping privileges", (unsigned)getuid());
	a = auth_start(conf->portal_pam_service, root, uid, gid, err,
		       sizeof(err));
	if (!a)
		startfail("PAM helper: ", err);
	h = httpd_bind(conf, err, sizeof(err));
	if (!h) {
		auth_stop(a);
		startfail("", err);
	}
	if (root)
		drop(conf, uid, gid);
	pool = dbpool_new(conf, conf->portal_db_connections);
	/* A thread per connection, and glibc gives each thread an arena
	 * of its own (up to 8 per core), kept after the thread ends: two
	 * shared ones hold what a burst of connections used. */
	mallopt(M_ARENA_MAX, 2);
	if (httpd_start(h, a, pool, err, sizeof(err)) < 0) {
		httpd_free(h);
		auth_stop(a);
		startfail("", err);
	}
	log_info("tcpquota-portal %s started: %s", TQ_VERSION, httpd_url(h));

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (log_reopen() < 0)
				log_warn("reopening the log");
			log_info("SIGHUP: log reopened (a new configuration "
				 "needs a restart)");
		} else if (sig == SIGUSR1) {
			log_set_debug(true);
			log_info("SIGUSR1: debug logging on");
		} else if (sig == SIGUSR2) {
			log_info("SIGUSR2: debug logging off");
			log_set_debug(false);
		} else {
			break;
		}
	}
	log_info("signal %d: stopping", sig);
	httpd_free(h);
	dbpool_free(pool);
	auth_stop(a);
	conf_free(conf);
	log_close();
	return 0;
}
