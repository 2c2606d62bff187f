/* openhost.c - open the link for the host the user is logged in from.
 *
 *   openhost [--config FILE] [--user USER] [--host ADDR]
 *
 * The host is the remote address of the user's login session: logind's
 * session of this process, or the utmp record of its terminal (fd 0).
 * --user and --host are for root and the admin group.
 * Protocol with tcpquotad (see masq.h): insert the masq row with open = 2,
 * poke the daemon, wait for open = 1; keep tic at heartbeat_tics while
 * open, each heartbeat on a connection of its own (a session holds no
 * database connection in between: the tools' account has few, see
 * tcpquota-setup-db --tool-connections); on Enter, end of session (HUP),
 * TERM or INT write open = 3, wait for 0, delete the row.
 *
 * Exit status: 0 closed on request, 1 refused or failed, 2 the daemon
 * closed the host (quota gone, denied, closed by an administrator).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logins.h"
#include "masq.h"
#include "request.h"
#include "tool.h"
#include "toolctx.h"
#include "tooldb.h"
#include "util.h"

#define STATUS_EVERY_US 2000000

struct oh {
	struct tool_ctx t;
	const char *name;		/* who pays */
	char host[TQ_ADDRSTRLEN];
	bool self;			/* name is the caller */
	bool tty;			/* stdout is a terminal */
	bool line_shown;		/* a \r status line is on screen */
};

static void usage(FILE *f)
{
	fputs("usage: openhost [--config FILE] [--user USER] [--host ADDR]\n"
	      "Opens the Internet link for the host you are logged in from,"
	      " until you\npress Enter or log out.  --user and --host are for"
	      " administrators.\n", f);
}

static void endline(struct oh *o)
{
	if (o->line_shown) {
		fputs("\n", stdout);
		o->line_shown = false;
	}
}

static void say(struct oh *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct oh *o, const char *fmt, ...)
{
	va_list ap;

	endline(o);
	fflush(stdout);
	fputs("openhost: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
}

static const char *who(const struct oh *o)
{
	return o->self ? "you" : o->name;
}

/* The host has a row m (in any spelling): say whose. */
static void already_opened(struct oh *o, const struct tooldb_masq *m)
{
	const char *holder;

	if (m->free != MASQ_PAID)
		holder = m->free == MASQ_FREE ? "openfw (free access)" :
						"openfw adm";
	else
		holder = strcmp(m->name, o->name) == 0 ? who(o) : m->name;
	if (strcmp(m->host, o->host) == 0)
		say(o, "%s is already opened by %s", o->host, holder);
	else
		say(o, "%s is already opened by %s (as %s)", o->host, holder,
		    m->host);
}

/* Find the host: --host, or the login session we run in. */
static int find_host(struct oh *o, const char *opt_host)
{
	struct login l;
	char err[512];
	int rc;

	if (opt_host) {
		if (addr_canon(opt_host, o->host, sizeof(o->host)) < 0) {
			say(o, "--host %s: not a numeric IPv4/IPv6 address",
			    opt_host);
			return -1;
		}
		return 0;
	}
	rc = logins_self(&l, err, sizeof(err));
	if (rc == LOGINS_NOTTY) {
		say(o, "standard input is not your login terminal; run "
		    "openhost from the session you logged in with");
		return -1;
	}
	if (rc < 0) {
		say(o, "cannot read the login records: %s", err);
		return -1;
	}
	if (rc == LOGINS_NONE) {
		say(o, "no login record for %s: you are not logged in over "
		    "the network", l.where);
		return -1;
	}
	if (rc == LOGINS_LOCAL) {
		say(o, "you are not logged in over the network (%s is a local"
		    " session)", l.where);
		return -1;
	}
	if (!o->t.admin && strcmp(l.user, o->t.user) != 0) {
		say(o, "the login on %s belongs to %s, not to you", l.where,
		    l.user);
		return -1;
	}
	addr_format(&l.addr, o->host, sizeof(o->host));
	return 0;
}

static void status_line(struct oh *o, const struct tooldb_masq *m)
{
	struct tooldb_user u;
	char mbuf[64];

	if (tooldb_user_get(o->t.db, o->name, &u) < 0)
		return;
	toolctx_money(&o->t, u.quota, mbuf, sizeof(mbuf));
	if (o->tty)
		fputs("\r\033[K", stdout);
	printf("balance %lld s (%s)  charged %lld poll%s  %d connection%s",
	       u.quota, mbuf, m->counter, m->counter == 1 ? "" : "s",
	       m->cnts, m->cnts == 1 ? "" : "s");
	if (o->tty) {
		fputs("  [Enter closes]", stdout);
		o->line_shown = true;
	} else {
		fputs("\n", stdout);
	}
	fflush(stdout);
}

/* A connection for one round of work: none is held between rounds.
 * 0, or -1 with the reason in err. */
static int connected(struct oh *o, char *err, size_t errlen)
{
	if (db_is_connected(o->t.db))
		return 0;
	return toolctx_reconnect(&o->t, err, errlen);
}

/* Ask the daemon to close, wait, remove the row.  0 / -1. */
static int close_host(struct oh *o)
{
	uint64_t end = tq_now_us() +
		       (uint64_t)toolctx_ack_timeout_ms(o->t.conf) * 1000;
	char err[1024];
	int rc;

	/* The tools' connections may all be in use for a moment (many
	 * sessions closing at once): try as long as an answer may take. */
	while (connected(o, err, sizeof(err)) < 0) {
		if (tq_now_us() >= end) {
			say(o, "database unavailable: %s; tcpquotad closes %s "
			    "when its heartbeat runs out", err, o->host);
			return -1;
		}
		toolctx_sleep_ms(100);
	}
	rc = rq_close(&o->t, o->host, o->name, err, sizeof(err));
	if (rc == RQ_TIMEOUT) {
		say(o, "tcpquotad did not confirm closing %s (is it running?);"
		    " the row is removed", o->host);
		return -1;
	}
	if (rc == RQ_DBERR) {
		say(o, "database error: %s", err);
		return -1;
	}
	endline(o);
	printf("%s closed\n", o->host);
	return 0;
}

/* Why did the daemon close our host? */
static void explain_closed(struct oh *o)
{
	char why[256];

	if (rq_refusal(&o->t, o->name, o->self, why, sizeof(why)) == 1)
		say(o, "tcpquotad closed %s: %s", o->host, why);
	else
		say(o, "tcpquotad closed %s (closed by an administrator or "
		    "the heartbeat expired)", o->host);
}

/*
 * One heartbeat round, on a connection of its own: a session holds none
 * between rounds, so however many sessions run they cannot take the
 * connections the tools' account may have (nor the daemon's).  0 to go
 * on, or the session's exit status (the daemon closed the host).
 */
static int beat(struct oh *o, uint64_t now, uint64_t tic_every,
		uint64_t *next_tic, uint64_t *next_status)
{
	const struct tq_conf *conf = o->t.conf;
	struct tooldb_masq m;
	char err[1024];
	int rc = -1;

	if (connected(o, err, sizeof(err)) < 0 ||
	    (rc = tooldb_masq_get(o->t.db, conf->gateway, o->host, &m)) < 0) {
		/* Keep trying (the daemon holds the host until tic runs
		 * out), but keep listening for Enter and signals. */
		endline(o);
		fprintf(stderr, "openhost: database unavailable: %s\n",
			rc < 0 && db_is_connected(o->t.db) ?
			db_error(o->t.db) : err);
		db_disconnect(o->t.db);
		*next_tic = *next_status = tq_now_us() + STATUS_EVERY_US;
		return 0;
	}
	if (rc == 0 || strcmp(m.name, o->name) != 0 ||
	    m.open == MASQ_CLOSED) {
		if (rc == 1 && strcmp(m.name, o->name) == 0)
			tooldb_masq_delete(o->t.db, conf->gateway, o->host,
					   o->name);
		explain_closed(o);
		return 2;
	}
	if (now >= *next_tic) {
		tooldb_masq_set_tic(o->t.db, conf->gateway, o->host, o->name,
				    conf->heartbeat_tics);
		*next_tic = now + tic_every;
	}
	if (now >= *next_status) {
		status_line(o, &m);
		*next_status = now + STATUS_EVERY_US;
	}
	db_disconnect(o->t.db);
	return 0;
}

/* While open: heartbeat, status, Enter/signals.  Exit status. */
static int session(struct oh *o)
{
	const struct tq_conf *conf = o->t.conf;
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	uint64_t now, due, next_tic = 0, next_status = 0;
	uint64_t tic_every = (uint64_t)conf->period * 1000000 / 2;
	char buf[256];
	ssize_t n;
	int rc, timeout;

	if (tic_every < 200000)
		tic_every = 200000;
	for (;;) {
		if (toolctx_signalled())
			return close_host(o) < 0 ? 1 : 0;
		now = tq_now_us();
		if ((now >= next_tic || now >= next_status) &&
		    (rc = beat(o, now, tic_every, &next_tic, &next_status)))
			return rc;
		now = tq_now_us();
		due = next_tic < next_status ? next_tic : next_status;
		timeout = due > now ? 1 + (int)((due - now) / 1000) : 1;
		rc = poll(&pfd, 1, timeout);
		if (rc > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0 || memchr(buf, '\n', n) ||
			    memchr(buf, '\r', n)) {
				/* Enter, or end of input / hang-up. */
				return close_host(o) < 0 ? 1 : 0;
			}
		}
	}
}

static const struct tool_prog prog = {
	.name = "openhost",
	.opts = TOOL_OPT_USER | TOOL_OPT_HOST,
	.min_args = 0,
	.max_args = 0,
	.usage = usage,
};

int main(int argc, char **argv)
{
	struct oh o = { 0 };
	struct tool_opts opt;
	struct tooldb_new n = { 0 };
	struct tooldb_masq m;
	char err[1024], why[1024];
	int rc;
	const struct tq_conf *conf;

	toolctx_start(&prog, argc, argv, &opt);
	toolctx_catch_signals();
	if (toolctx_init(&o.t, "openhost", opt.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "openhost: %s\n", err);
		return 1;
	}
	conf = o.t.conf;
	o.tty = isatty(1);
	if ((opt.user || opt.host) && !o.t.admin) {
		say(&o, "--user and --host are for root and members of group"
		    " %s only", conf->admin_group);
		goto fail;
	}
	o.name = opt.user ? opt.user : o.t.user;
	o.self = strcmp(o.name, o.t.user) == 0;
	if (db_check_name(o.name, err, sizeof(err)) < 0) {
		say(&o, "invalid user name: %s", err);
		goto fail;
	}
	if (find_host(&o, opt.host) < 0)
		goto fail;
	if (toolctx_connect(&o.t, DB_TOOL, true, err, sizeof(err)) < 0) {
		say(&o, "%s", err);
		goto fail;
	}

	n.host = o.host;
	n.name = o.name;
	n.free = MASQ_PAID;
	rc = rq_open(&o.t, &n, o.self, &m, why, sizeof(why));
	switch (rc) {
	case RQ_OK:
		break;
	case RQ_REFUSED:
		say(&o, "%s", why);
		goto fail;
	case RQ_HELD:
		already_opened(&o, &m);
		goto fail;
	case RQ_BUSY:
		say(&o, "%s is being opened or closed; try again", o.host);
		goto fail;
	case RQ_TIMEOUT:
		say(&o, "tcpquotad is not answering (is it running?)");
		goto fail;
	case RQ_DENIED:
		say(&o, "the daemon refused to open %s%s%s", o.host,
		    *why ? ": " : "", why);
		goto fail;
	default:
		say(&o, "database error: %s", why);
		goto fail;
	}
	if (!toolctx_signalled()) {
		printf("%s opened for %s.\n", o.host, o.name);
		fflush(stdout);
	}
	rc = session(&o);
	endline(&o);
	toolctx_free(&o.t);
	return rc;
fail:
	toolctx_free(&o.t);
	return 1;
}
