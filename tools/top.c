/* top.c - tcpquota top: the live view of whom the daemon charges.
 *
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
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "masq.h"
#include "tool.h"
#include "tooldb.h"
#include "top.h"
#include "util.h"

#define TOP_SAMPLE_MIN_US 100000
#define TOP_SAMPLE_MAX_US 1000000
#define TOP_REDRAW_US 2000000

static uint64_t top_sample_us(const struct tq_conf *conf)
{
	uint64_t us = (uint64_t)conf->period * 1000000 / 4;

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
static int top_sample(struct tool_ctx *t, struct top_watch *w)
{
	struct top_debits tmp;
	const struct top_debit *d, *p;
	struct top_seen *s;
	long long dp;
	size_t i, j = 0;
	int seen = 0;

	w->cur.n = 0;
	if (tooldb_top_debits(t->db, top_debit_cb, &w->cur) < 0)
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
	tmp = w->prev;
	w->prev = w->cur;
	w->cur = tmp;
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

/* A frame's header. */
struct top_head {
	char when[32];		/* now, local time */
	char latest[32];	/* the latest poll seen, "" if none */
	double rate;
	unsigned online;	/* users charged in the latest poll seen */
	long long each;		/* the most one of them paid */
	long long watched;	/* seconds */
};

static void top_json(struct tool_ctx *t, const struct top_watch *w,
		     const struct top *rows, const struct top_head *h)
{
	json_t *hosts = json_array(), *users = json_array();
	char mbuf[64];
	const struct top_row *r;
	const struct top_debit *d;
	long long last;
	bool charged;
	size_t i;

	for (i = 0; i < rows->n; i++) {
		r = &rows->rows[i];
		charged = top_charged(w, r->name, &last);
		json_array_append_new(hosts, json_pack(
			"{s:o,s:o,s:o,s:s,s:s,s:i,s:I,s:I,s:I}",
			"gateway", tool_json_str(r->gateway),
			"host", tool_json_str(r->host),
			"name", tool_json_str(r->name),
			"state", masq_open_str(r->open),
			"kind", masq_free_str(r->free), "cnts", r->cnts,
			"counter", (json_int_t)r->counter,
			"quota", (json_int_t)r->quota,
			"charge", (json_int_t)(charged ? last : 0)));
	}
	for (i = 0; i < w->prev.n; i++) {
		d = &w->prev.d[i];
		if (!d->today)
			continue;
		charged = top_charged(w, d->name, &last);
		toolctx_money(t, d->quota, mbuf, sizeof(mbuf));
		json_array_append_new(users, json_pack(
			"{s:o,s:I,s:o,s:I,s:I,s:o,s:b,s:i}",
			"name", tool_json_str(d->name),
			"quota", (json_int_t)d->quota,
			"money", tool_json_str(mbuf),
			"today", (json_int_t)d->seconds,
			"polls", (json_int_t)d->polls,
			"last", last >= 0 ? json_integer(last) : json_null(),
			"charged", charged, "hosts", d->hosts));
	}
	tool_json_print(stdout, json_pack(
		"{s:s,s:f,s:i,s:I,s:I,s:o,s:I,s:o,s:o}", "time", h->when,
		"rate", h->rate, "period", t->conf->period,
		"online", (json_int_t)h->online, "charge", (json_int_t)h->each,
		"latest", w->polls ? json_string(h->latest) : json_null(),
		"watched", (json_int_t)h->watched, "hosts", hosts,
		"users", users));
}

static void top_text(struct tool_ctx *t, const struct top_watch *w,
		     const struct top *rows, const struct top_head *h,
		     bool tty)
{
	char mbuf[64], lbuf[24];
	const struct top_row *r;
	const struct top_debit *d;
	long long last;
	bool charged;
	size_t i;

	if (tty)
		fputs("\033[H\033[2J", stdout);
	printf("tcpquota top  %s  rate %g  online %u  charge %lld s/poll"
	       " (every %d s)", h->when, h->rate, h->online, h->each,
	       t->conf->period);
	if (w->polls)
		printf("  latest poll %s", h->latest);
	else
		printf("  no charge in %lld s", h->watched);
	printf("%s\n\n", tty ? "  [q quits]" : "");
	printf("%-8s %-39s %-16s %-7s %-4s %5s %7s %12s %14s %7s\n",
	       "GATEWAY", "HOST", "USER", "STATE", "KIND", "CONNS", "POLLS",
	       "BALANCE", "MONEY", "CHARGE");
	for (i = 0; i < rows->n; i++) {
		r = &rows->rows[i];
		charged = top_charged(w, r->name, &last);
		toolctx_money(t, r->quota, mbuf, sizeof(mbuf));
		printf("%-8s %-39s %-16s %-7s %-4s %5d %7lld %12lld %14s %7lld"
		       "\n", r->gateway, r->host, r->name,
		       masq_open_str(r->open), masq_free_str(r->free), r->cnts,
		       r->counter, r->quota, mbuf, charged ? last : 0);
	}
	printf("\n%-16s %12s %14s %7s %7s %7s %-7s %5s\n", "USER", "BALANCE",
	       "MONEY", "TODAY", "POLLS", "LAST", "CHARGED", "HOSTS");
	for (i = 0; i < w->prev.n; i++) {
		d = &w->prev.d[i];
		if (!d->today)
			continue;
		charged = top_charged(w, d->name, &last);
		if (last >= 0)
			snprintf(lbuf, sizeof(lbuf), "%lld", last);
		else
			tq_strlcpy(lbuf, "-", sizeof(lbuf));
		toolctx_money(t, d->quota, mbuf, sizeof(mbuf));
		printf("%-16s %12lld %14s %7lld %7lld %7s %-7s %5d\n",
		       d->name, d->quota, mbuf, d->seconds, d->polls, lbuf,
		       charged ? "yes" : "no", d->hosts);
	}
	fflush(stdout);
}

static int top_frame(struct tool_ctx *t, const struct top_watch *w, bool tty,
		     bool json)
{
	struct top rows = { 0 };
	struct top_head h = { .latest = "" };
	struct tm tm;
	time_t now = time(NULL);

	if (tooldb_top(t->db, top_cb, &rows) < 0) {
		free(rows.rows);
		return toolctx_db_fail(t, "top");
	}
	localtime_r(&now, &tm);
	strftime(h.when, sizeof(h.when), "%Y-%m-%d %H:%M:%S", &tm);
	h.rate = conf_rate_at(t->conf, &tm);
	if (w->polls) {
		localtime_r(&w->latest, &tm);
		strftime(h.latest, sizeof(h.latest), "%H:%M:%S", &tm);
	}
	h.watched = (long long)((tq_now_us() - w->start_us + 500000) /
				1000000);
	h.online = top_online(w, &h.each);
	if (json)
		top_json(t, w, &rows, &h);
	else
		top_text(t, w, &rows, &h, tty);
	free(rows.rows);
	return 0;
}

/* One frame after watching for one poll: until a poll charges someone,
 * or period + 1 s (every poll of this gateway in between charged
 * nobody). */
static int top_once(struct tool_ctx *t, struct top_watch *w, bool json)
{
	uint64_t end = w->start_us +
		       ((uint64_t)t->conf->period + 1) * 1000000;
	int r;

	if (top_sample(t, w) < 0)
		return toolctx_db_fail(t, "top");
	while (tq_now_us() < end) {
		poll(NULL, 0, (int)(top_sample_us(t->conf) / 1000));
		r = top_sample(t, w);
		if (r < 0)
			return toolctx_db_fail(t, "top");
		if (r > 0)
			break;
	}
	return top_frame(t, w, false, json);
}

int top_run(struct tool_ctx *t, bool json, bool once)
{
	struct termios saved, raw;
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	struct top_watch w = { .start_us = tq_now_us() };
	bool tty = isatty(1) && isatty(0), draw = true;
	uint64_t next_draw = 0, next_sample = 0, now, wake;
	int rc = 0, n, k;
	char ch;

	if (once || !tty || json || tcgetattr(0, &saved) < 0) {
		rc = top_once(t, &w, json);
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
			k = top_sample(t, &w);
			if (k < 0) {
				rc = toolctx_db_fail(t, "top");
				break;
			}
			draw |= k > 0;
			next_sample = now + top_sample_us(t->conf);
		}
		if (draw || now >= next_draw) {
			if (top_frame(t, &w, true, false) < 0) {
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
