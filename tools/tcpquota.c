/* tcpquota.c - the admin and user CLI.
 *
 *   tcpquota [--config F] [--json] [--once] COMMAND [; COMMAND ...]
 *   tcpquota [options] -        (commands from stdin)
 *
 * Every command is parsed and checked (names, numbers, permissions)
 * before the first one runs, so a typo in line 5 of a script changes
 * nothing.  Commands then run in order; the first failure stops the run.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "masq.h"
#include "tool.h"
#include "toolctx.h"
#include "tooldb.h"
#include "top.h"
#include "util.h"

struct cli {
	struct tool_ctx t;
	bool json;
	bool once;
	const struct tool_cmd *cmd;	/* running now, for messages */
	bool first;			/* status: first host */
	json_t *hosts;			/* status --json: the hosts */
	struct tool_json_rows rows;	/* listings --json */
};

static void usage(FILE *f)
{
	fputs("usage: tcpquota [--config FILE] [--json] [--once] COMMAND"
	      " [; COMMAND ...]\n"
	      "       tcpquota top [--once]\n"
	      "       tcpquota [options] -    (commands from stdin)\n"
	      "commands:\n"
	      "  status [USER]          balance, allowed, open hosts\n"
	      "  allow USER...          allow users to use the link\n"
	      "  deny USER...           turn users off (balance kept)\n"
	      "  set USER SECONDS       set a balance\n"
	      "  add USER [+|-]SECONDS  add to a balance\n"
	      "  list                   all users\n"
	      "  log [USER]             who changed what\n"
	      "  period new|list        accounting periods\n"
	      "  hosts                  opened hosts (masq)\n"
	      "  top                    live view (q to quit)\n"
	      "All commands but 'status' (own balance) are for root and"
	      " the admin group.\n", f);
}

static int fail_db(struct cli *c)
{
	return toolctx_db_fail(&c->t, c->cmd->label);
}

/* ---- status ---- */

static int status_host_cb(void *arg, const struct tooldb_masq *m)
{
	struct cli *c = arg;

	if (c->hosts) {
		json_array_append_new(c->hosts, json_pack(
			"{s:o,s:o,s:i,s:i,s:i,s:I}",
			"host", tool_json_str(m->host),
			"gateway", tool_json_str(m->gateway), "open", m->open,
			"free", m->free, "cnts", m->cnts,
			"counter", (json_int_t)m->counter));
		return 0;
	}
	printf("%s%s", c->first ? ", hosts: " : ", ", m->host);
	if (strcmp(m->gateway, c->t.conf->gateway) != 0)
		printf("@%s", m->gateway);
	c->first = false;
	return 0;
}

static int do_status(struct cli *c, const char *name)
{
	struct tooldb_user u;
	char mbuf[64];
	json_t *hosts;
	long long n;

	if (tooldb_user_get(c->t.db, name, &u) < 0)
		return fail_db(c);
	if (!u.in_tcptab && !u.allowed && strcmp(name, c->t.user) != 0) {
		fprintf(stderr, "tcpquota: %s: unknown user\n", c->cmd->label);
		return -1;
	}
	toolctx_money(&c->t, u.quota, mbuf, sizeof(mbuf));
	c->first = true;
	if (c->json) {
		hosts = c->hosts = json_array();
		n = tooldb_masq_list(c->t.db, NULL, name, status_host_cb, c);
		c->hosts = NULL;
		if (n < 0) {
			json_decref(hosts);
			return fail_db(c);
		}
		tool_json_print(stdout, json_pack(
			"{s:o,s:I,s:o,s:b,s:b,s:I,s:o}",
			"user", tool_json_str(name),
			"quota", (json_int_t)u.quota,
			"money", tool_json_str(mbuf), "allowed", u.allowed,
			"free", conf_is_free_user(c->t.conf, name),
			"min_quota", (json_int_t)c->t.conf->min_quota,
			"hosts", hosts));
		return 0;
	}
	/* "alice: 3540 s (5.90 SEK), allowed, hosts: 198.18.1.10" */
	printf("%s: %lld s (%s), %s", name, u.quota, mbuf,
	       u.allowed ? "allowed" : "not allowed");
	if (tooldb_masq_list(c->t.db, NULL, name, status_host_cb, c) < 0) {
		putchar('\n');
		return fail_db(c);
	}
	putchar('\n');
	return 0;
}

/* ---- changes ---- */

static void json_change(const char *verb, const char *name, bool changed,
			const char *key, long long v, const char *key2,
			long long v2)
{
	json_t *o = json_pack("{s:s,s:o,s:b}", "command", verb,
			      "user", tool_json_str(name), "changed", changed);

	if (key)
		json_object_set_new(o, key, json_integer(v));
	if (key2)
		json_object_set_new(o, key2, json_integer(v2));
	tool_json_print(stdout, o);
}

static int do_allow_deny(struct cli *c, bool allow)
{
	int i, rc;
	const char *name;

	for (i = 0; i < c->cmd->n_names; i++) {
		name = c->cmd->names[i];
		rc = allow ? tooldb_allow(c->t.db, c->t.user, name) :
			     tooldb_deny(c->t.db, c->t.user, name);
		if (rc < 0)
			return fail_db(c);
		if (c->json)
			json_change(allow ? "allow" : "deny", name, rc == 1,
				    NULL, 0, NULL, 0);
		else if (allow)
			printf(rc ? "allowed %s\n" : "%s was already allowed\n",
			       name);
		else
			printf(rc ? "denied %s\n" : "%s was not allowed\n",
			       name);
	}
	return 0;
}

static int do_set(struct cli *c)
{
	const char *name = c->cmd->names[0];
	long long old;

	if (tooldb_set(c->t.db, c->t.user, name, c->cmd->seconds, &old) < 0)
		return fail_db(c);
	if (c->json)
		json_change("set", name, true, "quota", c->cmd->seconds, "was",
			    old);
	else
		printf("%s: %lld s (was %lld s)\n", name, c->cmd->seconds, old);
	return 0;
}

static int do_add(struct cli *c)
{
	const char *name = c->cmd->names[0];
	long long now;

	if (tooldb_add(c->t.db, c->t.user, name, c->cmd->seconds, &now) < 0)
		return fail_db(c);
	if (c->json)
		json_change("add", name, true, "quota", now, "delta",
			    c->cmd->seconds);
	else
		printf("%s: %lld s (%+lld s)\n", name, now, c->cmd->seconds);
	return 0;
}

static int do_period_new(struct cli *c)
{
	long long id;

	if (tooldb_period_new(c->t.db, c->t.user, &id) < 0)
		return fail_db(c);
	if (c->json)
		tool_json_print(stdout, json_pack("{s:s,s:I}", "command",
						  "period new", "id",
						  (json_int_t)id));
	else
		printf("period %lld started\n", id);
	return 0;
}

/* ---- listings ---- */

static int list_cb(void *arg, unsigned ncols, char **v)
{
	struct cli *c = arg;
	char mbuf[64];
	long long q;

	if (ncols < 4)
		return 1;
	q = strtoll(v[1] ? v[1] : "0", NULL, 10);
	toolctx_money(&c->t, q, mbuf, sizeof(mbuf));
	if (c->json) {
		tool_json_rows_add(&c->rows, json_pack(
			"{s:o,s:I,s:o,s:b,s:b}", "name", tool_json_str(v[0]),
			"quota", (json_int_t)q, "money", tool_json_str(mbuf),
			"in_tcptab", v[2] && !strcmp(v[2], "1"),
			"allowed", v[3] && !strcmp(v[3], "1")));
	} else {
		printf("%-20s %12lld %14s  %s\n", v[0] ? v[0] : "", q, mbuf,
		       v[3] && !strcmp(v[3], "1") ? "yes" : "no");
	}
	return 0;
}

static int period_cb(void *arg, unsigned ncols, char **v)
{
	struct cli *c = arg;

	if (ncols < 3)
		return 1;
	if (c->json) {
		tool_json_rows_add(&c->rows, json_pack(
			"{s:I,s:o,s:I}",
			"id", (json_int_t)strtoll(v[0] ? v[0] : "0", NULL, 10),
			"period", tool_json_str(v[1]),
			"quota", (json_int_t)strtoll(v[2] ? v[2] : "0", NULL,
						     10)));
	} else {
		printf("%6s  %-19s %12s\n", v[0] ? v[0] : "",
		       v[1] ? v[1] : "", v[2] ? v[2] : "");
	}
	return 0;
}

static int hosts_cb(void *arg, const struct tooldb_masq *m)
{
	struct cli *c = arg;

	if (c->json) {
		tool_json_rows_add(&c->rows, json_pack(
			"{s:o,s:o,s:o,s:i,s:s,s:i,s:s,s:i,s:I,s:I,s:o}",
			"gateway", tool_json_str(m->gateway),
			"host", tool_json_str(m->host),
			"name", tool_json_str(m->name), "open", m->open,
			"state", masq_open_str(m->open), "free", m->free,
			"kind", masq_free_str(m->free), "cnts", m->cnts,
			"counter", (json_int_t)m->counter,
			"tic", (json_int_t)m->tic,
			"opened_at", tool_json_str(m->opened_at)));
	} else {
		printf("%-8s %-39s %-16s %-7s %-4s %5d %7lld %4lld  %s\n",
		       m->gateway, m->host, m->name, masq_open_str(m->open),
		       masq_free_str(m->free), m->cnts, m->counter, m->tic,
		       m->opened_at);
	}
	return 0;
}

static int do_log(struct cli *c)
{
	struct tool_log l;
	long long n;

	tool_log_begin(&l, c->json);
	n = tooldb_logs(c->t.db, false, c->cmd->n_names ? c->cmd->names[0] :
			NULL, tool_log_row, &l);
	tool_log_end(&l);
	return n < 0 ? fail_db(c) : 0;
}

static int do_listing(struct cli *c)
{
	long long n = 0;

	if (c->json)
		tool_json_rows_begin(&c->rows, stdout);
	switch (c->cmd->verb) {
	case TV_LIST:
		if (!c->json)
			printf("%-20s %12s %14s  %s\n", "NAME", "BALANCE",
			       "MONEY", "ALLOWED");
		n = tooldb_users(c->t.db, list_cb, c);
		break;
	case TV_PERIOD_LIST:
		if (!c->json)
			printf("%6s  %-19s %12s\n", "ID", "PERIOD", "QUOTA");
		n = tooldb_periods(c->t.db, period_cb, c);
		break;
	case TV_HOSTS:
		if (!c->json)
			printf("%-8s %-39s %-16s %-7s %-4s %5s %7s %4s  %s\n",
			       "GATEWAY", "HOST", "USER", "STATE", "KIND",
			       "CONNS", "POLLS", "TIC", "OPENED");
		n = tooldb_masq_list(c->t.db, NULL, NULL, hosts_cb, c);
		break;
	default:
		break;
	}
	if (c->json)
		tool_json_rows_end(&c->rows);
	return n < 0 ? fail_db(c) : 0;
}

/* ---- driver ---- */

static int run(struct cli *c, const struct tool_cmd *cmd)
{
	c->cmd = cmd;
	switch (cmd->verb) {
	case TV_STATUS:
		return do_status(c, cmd->n_names ? cmd->names[0] : c->t.user);
	case TV_ALLOW:
		return do_allow_deny(c, true);
	case TV_DENY:
		return do_allow_deny(c, false);
	case TV_SET:
		return do_set(c);
	case TV_ADD:
		return do_add(c);
	case TV_PERIOD_NEW:
		return do_period_new(c);
	case TV_LOG:
		return do_log(c);
	case TV_TOP:
		return top_run(&c->t, c->json, c->once);
	default:
		return do_listing(c);
	}
}

/* Parse and check one command; 0 / -1 (message printed). */
static int check_cmd(struct cli *c, const struct tool_argv *a,
		     struct tool_cmd *cmd)
{
	char err[512], nerr[256];
	int i;

	if (tool_cmd_parse(a->n, a->v, cmd, err, sizeof(err)) < 0) {
		fprintf(stderr, "tcpquota: %s\n", err);
		return -1;
	}
	for (i = 0; i < cmd->n_names; i++) {
		if (db_check_name(cmd->names[i], nerr, sizeof(nerr)) < 0) {
			fprintf(stderr, "tcpquota: %s: invalid user name: "
				"%s\n", cmd->label, nerr);
			return -1;
		}
	}
	if (cmd->verb == TV_STATUS && cmd->n_names &&
	    strcmp(cmd->names[0], c->t.user) != 0)
		cmd->admin = true;
	if (cmd->admin && !c->t.admin) {
		fprintf(stderr, "tcpquota: %s: permission denied (root and "
			"members of group %s only)\n", cmd->label,
			c->t.conf->admin_group);
		return -1;
	}
	return 0;
}

/* "--json" and "--once" may also follow the verb ("top --once"). */
static void take_flags(struct cli *c, struct tool_script *s)
{
	size_t k;
	int i, o;
	struct tool_argv *a;

	for (k = 0; k < s->n; k++) {
		a = &s->cmds[k];
		for (i = o = 0; i < a->n; i++) {
			if (i > 0 && strcmp(a->v[i], "--json") == 0) {
				c->json = true;
			} else if (i > 0 && strcmp(a->v[i], "--once") == 0) {
				c->once = true;
			} else {
				a->v[o++] = a->v[i];
				continue;
			}
			free(a->v[i]);
		}
		a->v[o] = NULL;
		a->n = o;
	}
}

static char *read_all(FILE *f)
{
	size_t cap = 4096, n = 0, r;
	char *buf = xmalloc(cap);

	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[n] = '\0';
	return buf;
}

static const struct tool_prog prog = {
	.name = "tcpquota",
	.opts = TOOL_OPT_JSON | TOOL_OPT_ONCE,
	.min_args = 1,
	.max_args = INT_MAX,
	.usage = usage,
};

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	struct tool_opts o;
	struct tool_script s = { 0 };
	struct tool_cmd *cmds = NULL;
	char err[1024];
	char *text;
	int first, i, rc = 1;
	size_t k;

	first = toolctx_start(&prog, argc, argv, &o);
	c.json = o.json;
	c.once = o.once;
	if (toolctx_init(&c.t, "tcpquota", o.config, err, sizeof(err)) < 0) {
		fprintf(stderr, "tcpquota: %s\n", err);
		goto out;
	}

	if (argc - first == 1 && strcmp(argv[first], "-") == 0) {
		text = read_all(stdin);
		i = tool_split(text, &s, err, sizeof(err));
		free(text);
		if (i < 0) {
			fprintf(stderr, "tcpquota: stdin: %s\n", err);
			goto out;
		}
	} else if (argc - first == 1) {
		if (tool_split(argv[first], &s, err, sizeof(err)) < 0) {
			fprintf(stderr, "tcpquota: %s\n", err);
			goto out;
		}
	} else {
		/* Words as the shell gave them; a lone ";" separates. */
		struct tool_script one = { 0 };
		int j;

		for (i = first; i < argc; i = j + 1) {
			for (j = i; j < argc && strcmp(argv[j], ";"); j++)
				;
			if (j == i)
				continue;
			xgrow(&one.cmds, &one.cap, one.n + 1,
			      sizeof(*one.cmds));
			one.cmds[one.n].n = j - i;
			one.cmds[one.n].v = xcalloc(j - i + 1, sizeof(char *));
			for (int w = 0; w < j - i; w++)
				one.cmds[one.n].v[w] = xstrdup(argv[i + w]);
			one.n++;
		}
		s = one;
	}
	take_flags(&c, &s);
	if (!s.n) {
		fprintf(stderr, "tcpquota: no command\n");
		rc = TOOL_EXIT_USAGE;
		goto out;
	}
	cmds = xcalloc(s.n, sizeof(*cmds));
	for (k = 0; k < s.n; k++) {
		if (check_cmd(&c, &s.cmds[k], &cmds[k]) < 0) {
			if (cmds[k].usage)
				rc = TOOL_EXIT_USAGE;
			goto out;
		}
	}

	if (toolctx_connect(&c.t, c.t.admin ? DB_ADMIN : DB_TOOL, false, err,
			    sizeof(err)) < 0) {
		fprintf(stderr, "tcpquota: %s\n", err);
		goto out;
	}
	for (k = 0; k < s.n; k++) {
		if (run(&c, &cmds[k]) < 0)
			goto out;
		fflush(stdout);
	}
	rc = 0;
out:
	fflush(stdout);
	free(cmds);
	tool_script_free(&s);
	toolctx_free(&c.t);
	return rc;
}
