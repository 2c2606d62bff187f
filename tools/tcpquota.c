/* tcpquota.c - the admin and user CLI.
 *
 *   tcpquota [--config F] [--json] [--once] COMMAND [; COMMAND ...]
 *   tcpquota [options] -        (commands from stdin)
 *
 * Every command is parsed and checked (names, numbers, permissions)
 * before the first one runs, so a typo in line 5 of a script changes
 * nothing.  Commands then run in order; the first failure stops the run.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "masq.h"
#include "tool.h"
#include "toolctx.h"
#include "tooldb.h"
#include "util.h"

struct cli {
	struct tool_ctx t;
	bool json;
	bool once;
	const struct tool_cmd *cmd;	/* running now, for messages */
	bool first;			/* JSON: first element of an array */
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
	fprintf(stderr, "tcpquota: %s: database error: %s\n", c->cmd->label,
		db_error(c->t.db));
	return -1;
}

static const char *money(struct cli *c, long long q, char *buf, size_t len)
{
	return tool_money(q, c->t.conf->money_per_minute,
			  c->t.conf->money_unit, buf, len);
}

/* ---- status ---- */

static int status_host_cb(void *arg, const struct tooldb_masq *m)
{
	struct cli *c = arg;

	if (c->json) {
		fputs(c->first ? "" : ",", stdout);
		fputs("{\"host\":", stdout);
		tool_json_str(stdout, m->host);
		fputs(",\"gateway\":", stdout);
		tool_json_str(stdout, m->gateway);
		printf(",\"open\":%d,\"free\":%d,\"cnts\":%d,\"counter\":%lld}",
		       m->open, m->free, m->cnts, m->counter);
	} else {
		printf("%s%s", c->first ? ", hosts: " : ", ", m->host);
		if (strcmp(m->gateway, c->t.conf->gateway) != 0)
			printf("@%s", m->gateway);
	}
	c->first = false;
	return 0;
}

static int do_status(struct cli *c, const char *name)
{
	struct tooldb_user u;
	char mbuf[64];

	if (tooldb_user_get(c->t.db, name, &u) < 0)
		return fail_db(c);
	if (!u.in_tcptab && !u.allowed && strcmp(name, c->t.user) != 0) {
		fprintf(stderr, "tcpquota: %s: unknown user\n", c->cmd->label);
		return -1;
	}
	money(c, u.quota, mbuf, sizeof(mbuf));
	c->first = true;
	if (c->json) {
		fputs("{\"user\":", stdout);
		tool_json_str(stdout, name);
		printf(",\"quota\":%lld,\"money\":", u.quota);
		tool_json_str(stdout, mbuf);
		printf(",\"allowed\":%s,\"free\":%s,\"min_quota\":%lld,"
		       "\"hosts\":[", u.allowed ? "true" : "false",
		       conf_is_free_user(c->t.conf, name) ? "true" : "false",
		       c->t.conf->min_quota);
		if (tooldb_masq_list(c->t.db, NULL, name, status_host_cb,
				     c) < 0)
			return fail_db(c);
		fputs("]}\n", stdout);
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
	fputs("{\"command\":", stdout);
	tool_json_str(stdout, verb);
	fputs(",\"user\":", stdout);
	tool_json_str(stdout, name);
	printf(",\"changed\":%s", changed ? "true" : "false");
	if (key)
		printf(",\"%s\":%lld", key, v);
	if (key2)
		printf(",\"%s\":%lld", key2, v2);
	fputs("}\n", stdout);
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
		printf("{\"command\":\"period new\",\"id\":%lld}\n", id);
	else
		printf("period %lld started\n", id);
	return 0;
}

/* ---- listings ---- */

static void json_sep(struct cli *c)
{
	fputs(c->first ? "\n  " : ",\n  ", stdout);
	c->first = false;
}

static int list_cb(void *arg, unsigned ncols, char **v)
{
	struct cli *c = arg;
	char mbuf[64];
	long long q;

	if (ncols < 4)
		return 1;
	q = strtoll(v[1] ? v[1] : "0", NULL, 10);
	money(c, q, mbuf, sizeof(mbuf));
	if (c->json) {
		json_sep(c);
		fputs("{\"name\":", stdout);
		tool_json_str(stdout, v[0]);
		printf(",\"quota\":%lld,\"money\":", q);
		tool_json_str(stdout, mbuf);
		printf(",\"in_tcptab\":%s,\"allowed\":%s}",
		       v[2] && !strcmp(v[2], "1") ? "true" : "false",
		       v[3] && !strcmp(v[3], "1") ? "true" : "false");
	} else {
		printf("%-20s %12lld %14s  %s\n", v[0] ? v[0] : "", q, mbuf,
		       v[3] && !strcmp(v[3], "1") ? "yes" : "no");
	}
	return 0;
}

static int log_cb(void *arg, unsigned ncols, char **v)
{
	struct cli *c = arg;

	if (ncols < 3)
		return 1;
	if (c->json) {
		json_sep(c);
		fputs("{\"when\":", stdout);
		tool_json_str(stdout, v[0]);
		fputs(",\"user\":", stdout);
		tool_json_str(stdout, v[1]);
		fputs(",\"action\":", stdout);
		tool_json_str(stdout, v[2]);
		fputs("}", stdout);
	} else {
		printf("%-19s  %-16s %s\n", v[0] ? v[0] : "",
		       v[1] ? v[1] : "", v[2] ? v[2] : "");
	}
	return 0;
}

static int period_cb(void *arg, unsigned ncols, char **v)
{
	struct cli *c = arg;

	if (ncols < 3)
		return 1;
	if (c->json) {
		json_sep(c);
		printf("{\"id\":%s,\"period\":", v[0] ? v[0] : "0");
		tool_json_str(stdout, v[1]);
		printf(",\"quota\":%s}", v[2] ? v[2] : "0");
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
		json_sep(c);
		fputs("{\"gateway\":", stdout);
		tool_json_str(stdout, m->gateway);
		fputs(",\"host\":", stdout);
		tool_json_str(stdout, m->host);
		fputs(",\"name\":", stdout);
		tool_json_str(stdout, m->name);
		printf(",\"open\":%d,\"state\":\"%s\",\"free\":%d,"
		       "\"kind\":\"%s\",\"cnts\":%d,\"counter\":%lld,"
		       "\"tic\":%lld,\"opened_at\":", m->open,
		       masq_open_str(m->open), m->free, masq_free_str(m->free),
		       m->cnts, m->counter, m->tic);
		tool_json_str(stdout, m->opened_at);
		fputs("}", stdout);
	} else {
		printf("%-8s %-39s %-16s %-7s %-4s %5d %7lld %4lld  %s\n",
		       m->gateway, m->host, m->name, masq_open_str(m->open),
		       masq_free_str(m->free), m->cnts, m->counter, m->tic,
		       m->opened_at);
	}
	return 0;
}

static int do_listing(struct cli *c)
{
	long long n = 0;

	c->first = true;
	if (c->json)
		fputs("[", stdout);
	switch (c->cmd->verb) {
	case TV_LIST:
		if (!c->json)
			printf("%-20s %12s %14s  %s\n", "NAME", "BALANCE",
			       "MONEY", "ALLOWED");
		n = tooldb_users(c->t.db, list_cb, c);
		break;
	case TV_LOG:
		if (!c->json)
			printf("%-19s  %-16s %s\n", "WHEN", "USER", "ACTION");
		n = tooldb_logs(c->t.db, false, c->cmd->n_names ?
				c->cmd->names[0] : NULL, log_cb, c);
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
	if (n < 0) {
		if (c->json)
			fputs("]\n", stdout);
		return fail_db(c);
	}
	if (c->json)
		fputs(c->first ? "]\n" : "\n]\n", stdout);
	return 0;
}

/* ---- top ---- */

/*
 * Who was charged comes from the daemon's own record, the debits table,
 * not from masq.cnts: the daemon charges a host for its traffic since the
 * last poll, not for open connections, and it also charges local users
 * (sockets on the gateway), who have no masq row.  debits holds per user
 * and day the seconds and the number of polls charged, but not when or on
 * which gateway.  A poll commits all its debits in one transaction, so top
 * reads the table every quarter period (at least every second, at most
 * ten times a second), closer than two polls of a gateway can be: the
 * users whose polls went up between two reads are the ones one poll
 * charged, by the seconds it added.  Gateways sharing the database may
 * commit between the same two reads: their polls are then seen as one.
 */
#define TOP_SAMPLE_MIN_US 100000
#define TOP_SAMPLE_MAX_US 1000000
#define TOP_REDRAW_US 2000000

static uint64_t top_sample_us(const struct cli *c)
{
	uint64_t us = (uint64_t)c->t.conf->period * 1000000 / 4;

	return us < TOP_SAMPLE_MIN_US ? TOP_SAMPLE_MIN_US :
	       us > TOP_SAMPLE_MAX_US ? TOP_SAMPLE_MAX_US : us;
}

struct top_row {
	char gateway[TOOLDB_GW_BYTES];
	char host[DB_HOST_BYTES];
	char name[DB_NAME_BYTES];
	int open, free, cnts;
	long long counter, quota;
};

struct top {
	struct top_row *rows;
	size_t n, cap;
};

/* One debits row. */
struct top_debit {
	char name[DB_NAME_BYTES];
	char day[16];
	long long seconds, polls, quota;
	bool today;
	int hosts;
};

struct top_debits {
	struct top_debit *d;
	size_t n, cap;
};

/* What top has seen of one user's charges. */
struct top_seen {
	char name[DB_NAME_BYTES];
	long long last;			/* seconds per poll, latest charge */
	unsigned long long poll;	/* number of the poll it was seen in */
};

struct top_watch {
	struct top_debits prev, cur;	/* prev: the latest read */
	bool have_prev;
	struct top_seen *seen;
	size_t nseen, capseen;
	unsigned long long polls;	/* polls seen charging someone */
	time_t latest;			/* when the latest one was seen */
	uint64_t start_us;
};

static int top_cb(void *arg, unsigned ncols, char **v)
{
	struct top *t = arg;
	struct top_row *r;

	if (ncols < 8)
		return 1;
	xgrow(&t->rows, &t->cap, t->n + 1, sizeof(*t->rows));
	r = &t->rows[t->n++];
	tq_strlcpy(r->gateway, v[0] ? v[0] : "", sizeof(r->gateway));
	tq_strlcpy(r->host, v[1] ? v[1] : "", sizeof(r->host));
	tq_strlcpy(r->name, v[2] ? v[2] : "", sizeof(r->name));
	r->open = atoi(v[3] ? v[3] : "0");
	r->free = atoi(v[4] ? v[4] : "0");
	r->cnts = atoi(v[5] ? v[5] : "0");
	r->counter = strtoll(v[6] ? v[6] : "0", NULL, 10);
	r->quota = strtoll(v[7] ? v[7] : "0", NULL, 10);
	return 0;
}

static int top_debit_cb(void *arg, unsigned ncols, char **v)
{
	struct top_debits *t = arg;
	struct top_debit *d;

	if (ncols < 7)
		return 1;
	xgrow(&t->d, &t->cap, t->n + 1, sizeof(*t->d));
	d = &t->d[t->n++];
	tq_strlcpy(d->name, v[0] ? v[0] : "", sizeof(d->name));
	tq_strlcpy(d->day, v[1] ? v[1] : "", sizeof(d->day));
	d->seconds = strtoll(v[2] ? v[2] : "0", NULL, 10);
	d->polls = strtoll(v[3] ? v[3] : "0", NULL, 10);
	d->quota = strtoll(v[4] ? v[4] : "0", NULL, 10);
	d->today = v[5] && strcmp(v[5], "1") == 0;
	d->hosts = atoi(v[6] ? v[6] : "0");
	return 0;
}

/* The order of the query: name, then day (names compare byte by byte,
 * as their utf8mb4_nopad_bin collation does). */
static int debit_cmp(const struct top_debit *a, const struct top_debit *b)
{
	int k = strcmp(a->name, b->name);

	return k ? k : strcmp(a->day, b->day);
}

static struct top_seen *seen_find(const struct top_watch *w,
				  const char *name)
{
	size_t i;

	for (i = 0; i < w->nseen; i++)
		if (strcmp(w->seen[i].name, name) == 0)
			return &w->seen[i];
	return NULL;
}

static struct top_seen *seen_get(struct top_watch *w, const char *name)
{
	struct top_seen *s = seen_find(w, name);

	if (s)
		return s;
	xgrow(&w->seen, &w->capseen, w->nseen + 1, sizeof(*w->seen));
	s = &w->seen[w->nseen++];
	tq_strlcpy(s->name, name, sizeof(s->name));
	s->last = 0;
	s->poll = 0;
	return s;
}

/* Charged in the latest poll seen? */
static bool top_charged(const struct top_watch *w, const char *name,
			long long *last)
{
	const struct top_seen *s = seen_find(w, name);

	if (last)
		*last = s ? s->last : -1;
	return s && w->polls && s->poll == w->polls;
}

/* Read debits and compare with the previous read.  1 if a poll charged
 * someone in between, 0 if not, -1 on a database error. */
static int top_sample(struct cli *c, struct top_watch *w)
{
	struct top_debits t;
	const struct top_debit *d, *p;
	struct top_seen *s;
	long long dp;
	size_t i, j = 0;
	int seen = 0;

	w->cur.n = 0;
	if (tooldb_top_debits(c->t.db, top_debit_cb, &w->cur) < 0)
		return -1;
	for (i = 0; w->have_prev && i < w->cur.n; i++) {
		d = &w->cur.d[i];
		while (j < w->prev.n && debit_cmp(&w->prev.d[j], d) < 0)
			j++;
		p = j < w->prev.n && debit_cmp(&w->prev.d[j], d) == 0 ?
		    &w->prev.d[j] : NULL;
		/* A row new since the last read is a first charge that day. */
		dp = d->polls - (p ? p->polls : 0);
		if (dp <= 0)
			continue;
		if (!seen) {
			w->polls++;
			w->latest = time(NULL);
			seen = 1;
		}
		s = seen_get(w, d->name);
		s->last = (d->seconds - (p ? p->seconds : 0)) / dp;
		s->poll = w->polls;
	}
	t = w->prev;
	w->prev = w->cur;
	w->cur = t;
	w->have_prev = true;
	return seen;
}

static void top_watch_free(struct top_watch *w)
{
	free(w->prev.d);
	free(w->cur.d);
	free(w->seen);
}

/* Users charged in the latest poll seen, and the most one paid. */
static unsigned top_online(const struct top_watch *w, long long *charge)
{
	unsigned n = 0;
	size_t i;

	*charge = 0;
	for (i = 0; w->polls && i < w->nseen; i++) {
		if (w->seen[i].poll != w->polls)
			continue;
		n++;
		if (w->seen[i].last > *charge)
			*charge = w->seen[i].last;
	}
	return n;
}

static int top_frame(struct cli *c, const struct top_watch *w, bool tty)
{
	struct top t = { 0 };
	char when[32], latest[32] = "", mbuf[64];
	struct tm tm;
	time_t now = time(NULL);
	double rate;
	unsigned online;
	long long each, last, watched;
	bool charged, first;
	size_t i;
	struct top_row *r;
	const struct top_debit *d;

	if (tooldb_top(c->t.db, top_cb, &t) < 0) {
		free(t.rows);
		return fail_db(c);
	}
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	rate = conf_rate_at(c->t.conf, &tm);
	if (w->polls) {
		localtime_r(&w->latest, &tm);
		strftime(latest, sizeof(latest), "%H:%M:%S", &tm);
	}
	watched = (long long)((tq_now_us() - w->start_us + 500000) / 1000000);
	online = top_online(w, &each);
	if (c->json) {
		fputs("{\"time\":", stdout);
		tool_json_str(stdout, when);
		printf(",\"rate\":%g,\"period\":%d,\"online\":%u,"
		       "\"charge\":%lld,\"latest\":", rate, c->t.conf->period,
		       online, each);
		if (w->polls)
			tool_json_str(stdout, latest);
		else
			fputs("null", stdout);
		printf(",\"watched\":%lld,\"hosts\":[", watched);
		for (i = 0; i < t.n; i++) {
			r = &t.rows[i];
			charged = top_charged(w, r->name, &last);
			fputs(i ? ",{\"gateway\":" : "{\"gateway\":", stdout);
			tool_json_str(stdout, r->gateway);
			fputs(",\"host\":", stdout);
			tool_json_str(stdout, r->host);
			fputs(",\"name\":", stdout);
			tool_json_str(stdout, r->name);
			printf(",\"state\":\"%s\",\"kind\":\"%s\",\"cnts\":%d,"
			       "\"counter\":%lld,\"quota\":%lld,"
			       "\"charge\":%lld}",
			       masq_open_str(r->open), masq_free_str(r->free),
			       r->cnts, r->counter, r->quota,
			       charged ? last : 0);
		}
		fputs("],\"users\":[", stdout);
		for (i = 0, first = true; i < w->prev.n; i++) {
			d = &w->prev.d[i];
			if (!d->today)
				continue;
			charged = top_charged(w, d->name, &last);
			fputs(first ? "{\"name\":" : ",{\"name\":", stdout);
			first = false;
			tool_json_str(stdout, d->name);
			printf(",\"quota\":%lld,\"money\":", d->quota);
			tool_json_str(stdout, money(c, d->quota, mbuf,
						    sizeof(mbuf)));
			printf(",\"today\":%lld,\"polls\":%lld,\"last\":",
			       d->seconds, d->polls);
			if (last >= 0)
				printf("%lld", last);
			else
				fputs("null", stdout);
			printf(",\"charged\":%s,\"hosts\":%d}",
			       charged ? "true" : "false", d->hosts);
		}
		fputs("]}\n", stdout);
		free(t.rows);
		return 0;
	}
	if (tty)
		fputs("\033[H\033[2J", stdout);
	printf("tcpquota top  %s  rate %g  online %u  charge %lld s/poll"
	       " (every %d s)", when, rate, online, each, c->t.conf->period);
	if (w->polls)
		printf("  latest poll %s", latest);
	else
		printf("  no charge in %lld s", watched);
	printf("%s\n\n", tty ? "  [q quits]" : "");
	printf("%-8s %-39s %-16s %-7s %-4s %5s %7s %12s %14s %7s\n",
	       "GATEWAY", "HOST", "USER", "STATE", "KIND", "CONNS", "POLLS",
	       "BALANCE", "MONEY", "CHARGE");
	for (i = 0; i < t.n; i++) {
		r = &t.rows[i];
		charged = top_charged(w, r->name, &last);
		money(c, r->quota, mbuf, sizeof(mbuf));
		printf("%-8s %-39s %-16s %-7s %-4s %5d %7lld %12lld %14s %7lld"
		       "\n", r->gateway, r->host, r->name,
		       masq_open_str(r->open), masq_free_str(r->free), r->cnts,
		       r->counter, r->quota, mbuf, charged ? last : 0);
	}
	printf("\n%-16s %12s %14s %7s %7s %7s %-7s %5s\n", "USER", "BALANCE",
	       "MONEY", "TODAY", "POLLS", "LAST", "CHARGED", "HOSTS");
	for (i = 0; i < w->prev.n; i++) {
		char lbuf[24] = "-";

		d = &w->prev.d[i];
		if (!d->today)
			continue;
		charged = top_charged(w, d->name, &last);
		if (last >= 0)
			snprintf(lbuf, sizeof(lbuf), "%lld", last);
		money(c, d->quota, mbuf, sizeof(mbuf));
		printf("%-16s %12lld %14s %7lld %7lld %7s %-7s %5d\n",
		       d->name, d->quota, mbuf, d->seconds, d->polls, lbuf,
		       charged ? "yes" : "no", d->hosts);
	}
	fflush(stdout);
	free(t.rows);
	return 0;
}

/* One frame after watching for one poll: until a poll charges someone,
 * or period + 1 s (every poll of this gateway in between charged
 * nobody). */
static int top_once(struct cli *c, struct top_watch *w)
{
	uint64_t end = w->start_us +
		       ((uint64_t)c->t.conf->period + 1) * 1000000;
	int r;

	if (top_sample(c, w) < 0)
		return fail_db(c);
	while (tq_now_us() < end) {
		poll(NULL, 0, (int)(top_sample_us(c) / 1000));
		r = top_sample(c, w);
		if (r < 0)
			return fail_db(c);
		if (r > 0)
			break;
	}
	return top_frame(c, w, false);
}

static int do_top(struct cli *c)
{
	struct termios saved, raw;
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	struct top_watch w = { .start_us = tq_now_us() };
	bool tty = isatty(1) && isatty(0), draw = true;
	uint64_t next_draw = 0, next_sample = 0, now, wake;
	int rc = 0, n, k;
	char ch;

	if (c->once || !tty || c->json) {
		rc = top_once(c, &w);
		top_watch_free(&w);
		return rc;
	}
	if (tcgetattr(0, &saved) < 0) {
		rc = top_once(c, &w);
		top_watch_free(&w);
		return rc;
	}
	raw = saved;
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	toolctx_catch_signals();
	tcsetattr(0, TCSANOW, &raw);
	while (!toolctx_signalled()) {
		now = tq_now_us();
		if (now >= next_sample) {
			k = top_sample(c, &w);
			if (k < 0) {
				rc = fail_db(c);
				break;
			}
			draw |= k > 0;
			next_sample = now + top_sample_us(c);
		}
		if (draw || now >= next_draw) {
			if (top_frame(c, &w, true) < 0) {
				rc = -1;
				break;
			}
			draw = false;
			next_draw = now + TOP_REDRAW_US;
		}
		wake = next_sample < next_draw ? next_sample : next_draw;
		n = poll(&pfd, 1, wake > now ? (int)((wake - now) / 1000) + 1
					     : 0);
		if (n > 0) {
			if (read(0, &ch, 1) <= 0)
				break;
			if (ch == 'q' || ch == 'Q')
				break;
			if (ch == ' ')
				draw = true;
		}
	}
	tcsetattr(0, TCSANOW, &saved);
	fputs("\n", stdout);
	top_watch_free(&w);
	return rc;
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
	case TV_TOP:
		return do_top(c);
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

	toolctx_sanitize_env();
	/* Results and errors interleave in order, also in a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	first = tool_parse_opts(argc, argv, TOOL_OPT_JSON | TOOL_OPT_ONCE, &o,
				err, sizeof(err));
	if (first < 0) {
		fprintf(stderr, "tcpquota: %s\n", err);
		usage(stderr);
		return 2;
	}
	if (o.help) {
		usage(stdout);
		return 0;
	}
	if (o.version) {
		printf("tcpquota %s\n", TQ_VERSION);
		return 0;
	}
	if (first >= argc) {
		usage(stderr);
		return 2;
	}
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
		goto out;
	}
	cmds = xcalloc(s.n, sizeof(*cmds));
	for (k = 0; k < s.n; k++)
		if (check_cmd(&c, &s.cmds[k], &cmds[k]) < 0)
			goto out;

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
