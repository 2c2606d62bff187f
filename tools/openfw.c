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
 * group (teachers belong there) only.
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
};

struct hostlist {
	char (*h)[TQ_ADDRSTRLEN];
	size_t n, cap;
};

static void usage(FILE *f)
{
	fputs("usage: openfw [--config FILE] [GROUP|HOST]\n"
	      "       openfw adm [HOST] | cls HOST | [--json] lst |"
	      " [--json] log [USER]\n"
	      "Without arguments, toggles free access for the group of the"
	      " host you sit at.\n", f);
}

static void hl_add(struct hostlist *l, const char *h)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->h[i], h) == 0)
			return;
	xgrow(&l->h, &l->cap, l->n + 1, sizeof(*l->h));
	tq_strlcpy(l->h[l->n++], h, TQ_ADDRSTRLEN);
}

/* Numeric addresses of s (a numeric address or a host name).  0 / -1. */
static int resolve(const char *s, struct hostlist *out, char *err,
		   size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char buf[TQ_ADDRSTRLEN], canon[TQ_ADDRSTRLEN];
	int rc;

	if (addr_canon(s, buf, sizeof(buf)) == 0) {
		hl_add(out, buf);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(s, NULL, &hints, &res);
	if (rc != 0)
		return tq_err(err, errlen, "%s: %s", s, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof(buf),
				NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		if (addr_canon(buf, canon, sizeof(canon)) == 0)
			hl_add(out, canon);
	}
	freeaddrinfo(res);
	if (!out->n)
		return tq_err(err, errlen, "%s: no address", s);
	return 0;
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
	struct hostlist l = { 0 };
	char err[256];
	size_t g, m, i;

	for (g = 0; g < c->n_groups; g++) {
		for (m = 0; m < c->groups[g].n_members; m++) {
			l.n = 0;
			if (resolve(c->groups[g].members[m], &l, err,
				    sizeof(err)) < 0)
				continue;
			for (i = 0; i < l.n; i++) {
				if (strcmp(l.h[i], host) == 0) {
					free(l.h);
					return &c->groups[g];
				}
			}
		}
	}
	free(l.h);
	return NULL;
}

static int db_fail(struct fw *f)
{
	return toolctx_db_fail(&f->t, NULL);
}

/* Wait for each host to reach want; print the outcome.  Returns the
 * number of hosts that did not. */
static int await(struct fw *f, const struct hostlist *l, const bool *mine,
		 int want, int kind)
{
	const char *gw = f->t.conf->gateway;
	uint64_t end = tq_now_us() +
		(uint64_t)toolctx_ack_timeout_ms(f->t.conf) * 1000;
	uint64_t now;
	int bad = 0, rc, left;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (!mine[i])
			continue;
		now = tq_now_us();
		left = now < end ? (int)((end - now) / 1000) : 0;
		rc = tooldb_wait(f->t.db, gw, l->h[i], want, left, NULL);
		if (want == MASQ_CLOSED)
			tooldb_masq_delete(f->t.db, gw, l->h[i], NULL);
		if (rc == TOOLDB_WAIT_OK) {
			printf("%s %s\n", l->h[i], want == MASQ_CLOSED ?
			       "closed" : kind == MASQ_ADMIN ? "opened (adm)" :
			       "opened (free)");
			continue;
		}
		bad++;
		if (rc == TOOLDB_WAIT_GONE) {
			printf("%s: refused by tcpquotad\n", l->h[i]);
			tooldb_masq_delete(f->t.db, gw, l->h[i], f->free_name);
		} else if (rc == TOOLDB_WAIT_TIMEOUT) {
			printf("%s: tcpquotad is not answering (is it "
			       "running?)\n", l->h[i]);
			if (want == MASQ_OPENED)
				tooldb_masq_delete(f->t.db, gw, l->h[i],
						   f->free_name);
		} else {
			printf("%s: database error: %s\n", l->h[i],
			       db_error(f->t.db));
		}
	}
	fflush(stdout);
	return bad;
}

static void join(const struct hostlist *l, const bool *sel, char *buf,
		 size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < l->n && o < len; i++) {
		if (sel && !sel[i])
			continue;
		o += snprintf(buf + o, len - o, "%s%s", o ? " " : "",
			      l->h[i]);
	}
}

static int toggle(struct fw *f, const struct tq_group *g)
{
	const struct tq_conf *c = f->t.conf;
	struct hostlist l = { 0 };
	struct tooldb_masq m;
	struct tooldb_new n = { .name = f->free_name, .free = MASQ_FREE };
	char err[256], action[2048], list[1800];
	bool *isfree, *sel;
	size_t i, nfree = 0, nnone = 0;
	int rc, bad = 0;
	time_t now = time(NULL);
	struct tm tm;

	for (i = 0; i < g->n_members; i++)
		if (resolve(g->members[i], &l, err, sizeof(err)) < 0)
			fprintf(stderr, "openfw: group %s: %s\n", g->name,
				err);
	if (!l.n) {
		fprintf(stderr, "openfw: group %s has no usable host\n",
			g->name);
		return -1;
	}
	isfree = xcalloc(l.n, sizeof(bool));
	sel = xcalloc(l.n, sizeof(bool));
	for (i = 0; i < l.n; i++) {
		rc = tooldb_masq_find(f->t.db, c->gateway, l.h[i], &m);
		if (rc < 0) {
			rc = db_fail(f);
			goto out;
		}
		if (rc == 0) {
			nnone++;
		} else if (m.free == MASQ_FREE) {
			/* (closed as spelled in its row) */
			tq_strlcpy(l.h[i], m.host, TQ_ADDRSTRLEN);
			isfree[i] = true;
			nfree++;
		} else {
			printf("%s: held by %s (%s), left as it is\n", l.h[i],
			       m.name, masq_free_str(m.free));
		}
	}
	if (nfree && !nnone) {
		/* All open: close the group. */
		for (i = 0; i < l.n; i++) {
			if (!isfree[i])
				continue;
			if (tooldb_masq_set_open(f->t.db, c->gateway, l.h[i],
						 NULL, MASQ_REQ_CLOSE) < 0) {
				rc = db_fail(f);
				goto out;
			}
		}
		join(&l, isfree, list, sizeof(list));
		snprintf(action, sizeof(action), "close group %s: %s",
			 g->name, list);
		tooldb_log(f->t.db, true, f->t.user, action);
		printf("closing group %s\n", g->name);
		toolctx_poke(&f->t);
		bad = await(f, &l, isfree, MASQ_CLOSED, MASQ_FREE);
		rc = bad ? -1 : 0;
		goto out;
	}
	if (!nnone) {
		fprintf(stderr, "openfw: group %s: no host to open\n",
			g->name);
		rc = -1;
		goto out;
	}
	localtime_r(&now, &tm);
	if (!conf_free_access_at(c, &tm)) {
		fprintf(stderr, "openfw: free access is not allowed at this "
			"time (see free_access in %s)\n", f->t.conf_path);
		rc = -1;
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		if (isfree[i] || tooldb_masq_find(f->t.db, c->gateway, l.h[i],
						  &m) != 0)
			continue;
		n.host = l.h[i];
		rc = tooldb_masq_insert(f->t.db, c->gateway, &n,
					MASQ_REQ_OPEN, c->heartbeat_tics);
		if (rc < 0) {
			rc = db_fail(f);
			goto out;
		}
		if (rc == 1)
			printf("%s: opened by someone else meanwhile\n",
			       l.h[i]);
		else
			sel[i] = true;
	}
	join(&l, sel, list, sizeof(list));
	snprintf(action, sizeof(action), "open group %s: %s", g->name, list);
	tooldb_log(f->t.db, true, f->t.user, action);
	printf("opening group %s for free access\n", g->name);
	toolctx_poke(&f->t);
	bad = await(f, &l, sel, MASQ_OPENED, MASQ_FREE);
	rc = bad ? -1 : 0;
out:
	free(isfree);
	free(sel);
	free(l.h);
	return rc;
}

static int adm(struct fw *f, const char *arg)
{
	const struct tq_conf *c = f->t.conf;
	struct hostlist l = { 0 };
	struct tooldb_masq m;
	struct tooldb_new n = { .name = f->free_name, .free = MASQ_ADMIN };
	char host[TQ_ADDRSTRLEN], err[256], action[256];
	bool *sel;
	size_t i;
	int rc = 0;

	if (!arg) {
		if (my_host(f, host, sizeof(host)) < 0)
			return -1;
		hl_add(&l, host);
	} else if (resolve(arg, &l, err, sizeof(err)) < 0) {
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
	free(l.h);
	return rc;
}

static int cls(struct fw *f, const char *arg)
{
	const struct tq_conf *c = f->t.conf;
	struct hostlist l = { 0 };
	struct tooldb_masq m;
	char err[256], action[512];
	bool *sel;
	size_t i;
	int rc = 0, n = 0;

	if (resolve(arg, &l, err, sizeof(err)) < 0) {
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
	free(l.h);
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
	struct hostlist l = { 0 };
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
	f.free_name = f.t.conf->n_free_users ? f.t.conf->free_users[0] :
					       "free";
	if (cmd.verb == TF_TOGGLE) {
		/* Find the group before connecting: no database needed. */
		if (cmd.arg)
			g = conf_group(f.t.conf, cmd.arg);
		if (!g) {
			if (cmd.arg) {
				if (resolve(cmd.arg, &l, err,
					    sizeof(err)) < 0) {
					fprintf(stderr, "openfw: %s is neither"
						" a group nor a host (%s)\n",
						cmd.arg, err);
					goto out;
				}
			} else {
				if (my_host(&f, host, sizeof(host)) < 0)
					goto out;
				hl_add(&l, host);
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
	free(l.h);
	toolctx_free(&f.t);
	return rc;
}
