/* openfw.c - free access for a room, admin access for a host.
 *
 *   openfw [--config FILE] [--json] [GROUP|HOST]   toggle a group
 *   openfw adm [HOST]     open one host for admin access (free = 2)
 *   openfw cls HOST       force-close a host (any row of this gateway)
 *   openfw lst            this gateway's masq rows
 *   openfw log [USER]     logging_openfw
 *
 * Without an argument the group is the one holding the host the caller is
 * logged in from.  A group is open when every member that is not held by
 * someone else has a free row: then the toggle closes them, otherwise it
 * opens the missing ones.  Every host's acknowledgement is awaited and
 * printed; every action goes to logging_openfw.  For root and the admin
 * group (teachers belong there) only.  The room's step is rq_room()
 * (request.h), which the portal's room page shares.
 */
#include <netdb.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "logins.h"
#include "masq.h"
#include "request.h"
#include "tool.h"
#include "toolctx.h"
#include "tooldb.h"
#include "util.h"

#define MAX_ADDRS 1024

struct fw {
	struct tool_ctx t;
	bool json;
	struct tool_json_rows rows;	/* lst --json */
	const char *free_name;
	int kind;			/* what an open makes: MASQ_FREE or
					   MASQ_ADMIN (for the messages) */
	const char *group;		/* the room being toggled */
};

static void usage(FILE *f)
{
	fputs("usage: openfw [--config FILE] [GROUP|HOST]\n"
	      "       openfw adm [HOST] | cls HOST | [--json] lst |"
	      " [--json] log [USER]\n"
	      "Without arguments, toggles free access for the group of the"
	      " host you sit at.\n", f);
}

/* The address the caller is logged in from. */
static int my_host(struct fw *f, char *host, size_t len)
{
	struct login l;
	char err[512];
	int rc;

	rc = logins_self(&l, err, sizeof(err));
	if (rc == LOGINS_NOTTY) {
		fprintf(stderr, "openfw: standard input is not your login "
			"terminal; name a group or host\n");
		return -1;
	}
	if (rc < 0) {
		fprintf(stderr, "openfw: cannot read the login records: %s\n",
			err);
		return -1;
	}
	if (rc != LOGINS_OK) {
		fprintf(stderr, "openfw: you are not logged in over the "
			"network; name a group or host\n");
		return -1;
	}
	addr_format(&l.addr, host, len);
	return 0;
}

/* The group containing host (resolving its members), or NULL. */
static const struct tq_group *group_of(struct fw *f, const char *host)
{
	const struct tq_conf *c = f->t.conf;
	struct rq_hosts l = { 0 };
	char err[256];
	size_t g, m, i;

	for (g = 0; g < c->n_groups; g++) {
		for (m = 0; m < c->groups[g].n_members; m++) {
			l.n = 0;
			if (rq_resolve(c->groups[g].members[m], &l, err,
				    sizeof(err)) < 0)
				continue;
			for (i = 0; i < l.n; i++) {
				if (strcmp(l.h[i], host) == 0) {
					rq_hosts_free(&l);
					return &c->groups[g];
				}
			}
		}
	}
	rq_hosts_free(&l);
	return NULL;
}

static int db_fail(struct fw *f)
{
	return toolctx_db_fail(&f->t, NULL);
}

/* What a room's step or a wait tells: printed as it happens. */
static void on_event(void *arg, const struct rq_event *ev)
{
	struct fw *f = arg;

	switch (ev->kind) {
	case RQ_EV_UNRESOLVED:
		fprintf(stderr, "openfw: group %s: %s\n", f->group, ev->text);
		break;
	case RQ_EV_HELD:
		printf("%s: held by %s (%s), left as it is\n", ev->host,
		       ev->m->name, masq_free_str(ev->m->free));
		break;
	case RQ_EV_MEANWHILE:
		printf("%s: opened by someone else meanwhile\n", ev->host);
		break;
	case RQ_EV_UNLOGGED:
		fprintf(stderr, "openfw: cannot write logging_openfw: %s\n",
			ev->text);
		break;
	case RQ_EV_START:
		if (ev->open)
			printf("opening group %s for free access\n",
			       f->group);
		else
			printf("closing group %s\n", f->group);
		break;
	case RQ_EV_HOST:
		if (ev->result == RQ_OK)
			printf("%s %s\n", ev->host, !ev->open ? "closed" :
			       f->kind == MASQ_ADMIN ? "opened (adm)" :
			       "opened (free)");
		else if (ev->result == RQ_DENIED)
			printf("%s: refused by tcpquotad\n", ev->host);
		else if (ev->result == RQ_TIMEOUT)
			printf("%s: tcpquotad is not answering (is it "
			       "running?)\n", ev->host);
		else
			printf("%s: database error: %s\n", ev->host,
			       ev->text);
		fflush(stdout);
		break;
	}
}

/* Wait for the selected hosts; print each outcome.  The number that did
 * not reach want. */
static int await(struct fw *f, const struct rq_hosts *l, const bool *sel,
		 int want, int kind)
{
	int bad;

	f->kind = kind;
	bad = rq_await(&f->t, l, sel, want, f->free_name, on_event, f);
	fflush(stdout);
	return bad;
}

static int toggle(struct fw *f, const struct tq_group *g)
{
	struct rq_room r = {
		.g = g, .mode = RQ_ROOM_TOGGLE, .who = f->t.user,
		.cb = on_event, .arg = f,
	};
	char why[512];
	int rc;

	f->group = g->name;
	f->kind = MASQ_FREE;
	rc = rq_room(&f->t, &r, why, sizeof(why));
	fflush(stdout);
	switch (rc) {
	case RQ_OK:
		return 0;
	case RQ_EMPTY:
		fprintf(stderr, "openfw: group %s has no usable host\n",
			g->name);
		break;
	case RQ_NOTHING:
		fprintf(stderr, "openfw: group %s: no host to open\n",
			g->name);
		break;
	case RQ_HOURS:
		fprintf(stderr, "openfw: free access is not allowed at this "
			"time (see free_access in %s)\n", f->t.conf_path);
		break;
	case RQ_DBERR:
		fprintf(stderr, "openfw: database error: %s\n", why);
		break;
	}
	return -1;
}

static int adm(struct fw *f, const char *arg)
{
	const struct tq_conf *c = f->t.conf;
	struct rq_hosts l = { 0 };
	struct tooldb_masq m;
	struct tooldb_new n = { .name = f->free_name, .free = MASQ_ADMIN };
	char host[TQ_ADDRSTRLEN], err[256], action[256];
	bool *sel;
	size_t i;
	int rc = 0;

	if (!arg) {
		if (my_host(f, host, sizeof(host)) < 0)
			return -1;
		rq_hosts_add(&l, host);
	} else if (rq_resolve(arg, &l, err, sizeof(err)) < 0) {
		fprintf(stderr, "openfw: adm %s\n", err);
		return -1;
	}
	sel = xcalloc(l.n, sizeof(bool));
	for (i = 0; i < l.n; i++) {
		n.host = l.h[i];
		rc = tooldb_masq_insert(f->t.db, c->gateway, &n,
					MASQ_REQ_OPEN, c->heartbeat_tics);
		if (rc < 0) {
			rc = db_fail(f);
			goto out;
		}
		if (rc == 1) {
			rc = tooldb_masq_find(f->t.db, c->gateway, l.h[i], &m);
			if (rc == 1 && strcmp(m.host, l.h[i]) != 0)
				printf("%s: already opened by %s (%s, as %s)\n",
				       l.h[i], m.name, masq_free_str(m.free),
				       m.host);
			else if (rc == 1)
				printf("%s: already opened by %s (%s)\n",
				       l.h[i], m.name, masq_free_str(m.free));
			else
				printf("%s: busy, try again\n", l.h[i]);
			rc = -1;
			continue;
		}
		sel[i] = true;
		snprintf(action, sizeof(action), "adm %s", l.h[i]);
		tooldb_log(f->t.db, true, f->t.user, action);
	}
	toolctx_poke(&f->t);
	if (await(f, &l, sel, MASQ_OPENED, MASQ_ADMIN))
		rc = -1;
out:
	free(sel);
	rq_hosts_free(&l);
	return rc;
}

static int cls(struct fw *f, const char *arg)
{
	const struct tq_conf *c = f->t.conf;
	struct rq_hosts l = { 0 };
	struct tooldb_masq m;
	char err[256], action[512];
	bool *sel;
	size_t i;
	int rc = 0, n = 0;

	if (rq_resolve(arg, &l, err, sizeof(err)) < 0) {
		fprintf(stderr, "openfw: cls %s\n", err);
		return -1;
	}
	sel = xcalloc(l.n, sizeof(bool));
	for (i = 0; i < l.n; i++) {
		rc = tooldb_masq_find(f->t.db, c->gateway, l.h[i], &m);
		if (rc < 0) {
			rc = db_fail(f);
			goto out;
		}
		if (rc == 0) {
			printf("%s: not open\n", l.h[i]);
			continue;
		}
		rc = 0;
		tq_strlcpy(l.h[i], m.host, TQ_ADDRSTRLEN);
		if (tooldb_masq_set_open(f->t.db, c->gateway, l.h[i], NULL,
					 MASQ_REQ_CLOSE) < 0) {
			rc = db_fail(f);
			goto out;
		}
		sel[i] = true;
		n++;
		snprintf(action, sizeof(action), "cls %s (opened by %s)",
			 l.h[i], m.name);
		tooldb_log(f->t.db, true, f->t.user, action);
	}
	if (!n) {
		rc = -1;
		goto out;
	}
	toolctx_poke(&f->t);
	if (await(f, &l, sel, MASQ_CLOSED, MASQ_PAID))
		rc = -1;
out:
	free(sel);
	rq_hosts_free(&l);
	return rc;
}

static int lst_cb(void *arg, const struct tooldb_masq *m)
{
	struct fw *f = arg;

	if (f->json)
		tool_json_rows_add(&f->rows, json_pack(
			"{s:o,s:o,s:s,s:s,s:i,s:I,s:o}",
			"host", tool_json_str(m->host),
			"name", tool_json_str(m->name),
			"state", masq_open_str(m->open),
			"kind", masq_free_str(m->free), "cnts", m->cnts,
			"counter", (json_int_t)m->counter,
			"opened_at", tool_json_str(m->opened_at)));
	else
		printf("%-39s %-16s %-7s %-4s %5d %7lld  %s\n", m->host,
		       m->name, masq_open_str(m->open), masq_free_str(m->free),
		       m->cnts, m->counter, m->opened_at);
	return 0;
}

static int lst(struct fw *f)
{
	long long n;

	if (f->json)
		tool_json_rows_begin(&f->rows, stdout);
	else
		printf("%-39s %-16s %-7s %-4s %5s %7s  %s\n", "HOST", "USER",
		       "STATE", "KIND", "CONNS", "POLLS", "OPENED");
	n = tooldb_masq_list(f->t.db, f->t.conf->gateway, NULL, lst_cb, f);
	if (f->json)
		tool_json_rows_end(&f->rows);
	return n < 0 ? db_fail(f) : 0;
}

static int show_log(struct fw *f, const char *user)
{
	struct tool_log l;
	char err[256];
	long long n;

	if (user && db_check_name(user, err, sizeof(err)) < 0) {
		fprintf(stderr, "openfw: log %s: invalid user name: %s\n",
			user, err);
		return -1;
	}
	tool_log_begin(&l, f->json);
	n = tooldb_logs(f->t.db, true, user, tool_log_row, &l);
	tool_log_end(&l);
	return n < 0 ? db_fail(f) : 0;
}

static const struct tool_prog prog = {
	.name = "openfw",
	.opts = TOOL_OPT_JSON,
	.min_args = 0,
	.max_args = INT_MAX,
	.usage = usage,
};

int main(int argc, char **argv)
{
	struct fw f = { 0 };
	struct tool_opts o;
	struct tool_fw_cmd cmd;
	const struct tq_group *g = NULL;
	struct rq_hosts l = { 0 };
	char err[1024], host[TQ_ADDRSTRLEN];
	int first, rc = 1;
	size_t i;

	first = toolctx_start(&prog, argc, argv, &o);
	if (tool_fw_parse(argc - first, argv + first, &cmd, err,
			  sizeof(err)) < 0) {
		fprintf(stderr, "openfw: %s\n", err);
		return TOOL_EXIT_USAGE;
	}
	f.json = o.json;
	if (toolctx_init(&f.t, "openfw", o.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "openfw: %s\n", err);
		return 1;
	}
	if (!f.t.admin) {
		fprintf(stderr, "openfw: permission denied (root and members "
			"of group %s only)\n", f.t.conf->admin_group);
		goto out;
	}
	f.free_name = rq_free_name(f.t.conf);
	if (cmd.verb == TF_TOGGLE) {
		/* Find the group before connecting: no database needed. */
		if (cmd.arg)
			g = conf_group(f.t.conf, cmd.arg);
		if (!g) {
			if (cmd.arg) {
				if (rq_resolve(cmd.arg, &l, err,
					    sizeof(err)) < 0) {
					fprintf(stderr, "openfw: %s is neither"
						" a group nor a host (%s)\n",
						cmd.arg, err);
					goto out;
				}
			} else {
				if (my_host(&f, host, sizeof(host)) < 0)
					goto out;
				rq_hosts_add(&l, host);
			}
			for (i = 0; i < l.n && !g; i++)
				g = group_of(&f, l.h[i]);
			if (!g) {
				fprintf(stderr, "openfw: %s is in no group\n",
					cmd.arg ? cmd.arg : host);
				goto out;
			}
		}
	}
	if (toolctx_connect(&f.t, DB_ADMIN, false, err, sizeof(err)) < 0) {
		fprintf(stderr, "openfw: %s\n", err);
		goto out;
	}
	switch (cmd.verb) {
	case TF_TOGGLE:
		rc = toggle(&f, g) < 0;
		break;
	case TF_ADM:
		rc = adm(&f, cmd.arg) < 0;
		break;
	case TF_CLS:
		rc = cls(&f, cmd.arg) < 0;
		break;
	case TF_LST:
		rc = lst(&f) < 0;
		break;
	case TF_LOG:
		rc = show_log(&f, cmd.arg) < 0;
		break;
	}
out:
	fflush(stdout);
	rq_hosts_free(&l);
	toolctx_free(&f.t);
	return rc;
}
