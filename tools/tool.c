/* tool.c - pure helpers of the tools: money, JSON, scripts, argv. */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "util.h"

/* ---- numbers and money ---- */

int tool_parse_ll(const char *s, long long *out)
{
	const char *p = s;
	char *end;
	long long v;

	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

const char *tool_money(long long seconds, double per_minute, const char *unit,
		       char *buf, size_t len)
{
	long long c = llround((double)seconds * per_minute * 100.0 / 60.0);
	unsigned long long a = c < 0 ? -(unsigned long long)c :
				       (unsigned long long)c;

	snprintf(buf, len, "%s%llu.%02llu%s%s", c < 0 ? "-" : "", a / 100,
		 a % 100, unit && *unit ? " " : "", unit ? unit : "");
	return buf;
}

/* ---- JSON ---- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static int utf8_len(const unsigned char *p)
{
	int n, i;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

json_t *tool_json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *buf;
	size_t o = 0;
	json_t *j;
	int n;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	/* Not UTF-8: each byte that starts no valid sequence becomes
	 * U+FFFD (3 bytes). */
	buf = xmalloc(strlen(s) * 3 + 1);
	while (*p) {
		n = utf8_len(p);
		if (n) {
			memcpy(buf + o, p, n);
			p += n;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			n = 3;
			p++;
		}
		o += n;
	}
	j = json_stringn(buf, o);
	free(buf);
	assert(j);
	return j;
}

/* Compact and in order, as the tools printed it by hand before; a rate
 * with %g's six digits. */
#define TOOL_JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | \
			 JSON_ENCODE_ANY | JSON_REAL_PRECISION(6))

void tool_json_print(FILE *f, json_t *v)
{
	assert(v);
	json_dumpf(v, f, TOOL_JSON_FLAGS);
	putc('\n', f);
	json_decref(v);
}

void tool_json_rows_begin(struct tool_json_rows *r, FILE *f)
{
	r->f = f;
	r->any = false;
	putc('[', f);
}

void tool_json_rows_add(struct tool_json_rows *r, json_t *row)
{
	assert(row);
	fputs(r->any ? ",\n  " : "\n  ", r->f);
	json_dumpf(row, r->f, TOOL_JSON_FLAGS);
	json_decref(row);
	r->any = true;
}

void tool_json_rows_end(struct tool_json_rows *r)
{
	fputs(r->any ? "\n]\n" : "]\n", r->f);
}

/* ---- listings ---- */

void tool_log_begin(struct tool_log *l, bool json)
{
	l->json = json;
	if (json)
		tool_json_rows_begin(&l->rows, stdout);
	else
		printf("%-19s  %-16s %s\n", "WHEN", "USER", "ACTION");
}

int tool_log_row(void *arg, unsigned ncols, char **v)
{
	struct tool_log *l = arg;

	if (ncols < 3)
		return 1;
	if (l->json)
		tool_json_rows_add(&l->rows, json_pack(
			"{s:o,s:o,s:o}", "when", tool_json_str(v[0]),
			"user", tool_json_str(v[1]),
			"action", tool_json_str(v[2])));
	else
		printf("%-19s  %-16s %s\n", v[0] ? v[0] : "", v[1] ? v[1] : "",
		       v[2] ? v[2] : "");
	return 0;
}

void tool_log_end(struct tool_log *l)
{
	if (l->json)
		tool_json_rows_end(&l->rows);
}

/* ---- command scripts ---- */

struct words {
	char **v;
	size_t n, cap;
};

static void words_add(struct words *w, char *s)
{
	xgrow(&w->v, &w->cap, w->n + 2, sizeof(*w->v));
	w->v[w->n++] = s;
	w->v[w->n] = NULL;
}

static void words_end(struct words *w, struct tool_script *s)
{
	if (!w->n) {
		free(w->v);
	} else {
		xgrow(&s->cmds, &s->cap, s->n + 1, sizeof(*s->cmds));
		s->cmds[s->n].v = w->v;
		s->cmds[s->n].n = (int)w->n;
		s->n++;
	}
	memset(w, 0, sizeof(*w));
}

static void words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
}

int tool_split(const char *text, struct tool_script *s, char *err,
	       size_t errlen)
{
	struct words w = { 0 };
	size_t len = strlen(text), o;
	const char *p = text;
	char *word;
	char q;

	word = xmalloc(len + 1);
	while (*p) {
		if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
			continue;
		}
		if (*p == ';' || *p == '\n') {
			words_end(&w, s);
			p++;
			continue;
		}
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		o = 0;
		while (*p && !strchr(" \t\r\n;", *p)) {
			if (*p != '\'' && *p != '"') {
				word[o++] = *p++;
				continue;
			}
			q = *p++;
			while (*p && *p != q) {
				if (q == '"' && *p == '\\' &&
				    (p[1] == '"' || p[1] == '\\'))
					p++;
				word[o++] = *p++;
			}
			if (!*p) {
				free(word);
				words_free(&w);
				return tq_err(err, errlen,
					      "unterminated %c quote", q);
			}
			p++;
		}
		word[o] = '\0';
		words_add(&w, xstrdup(word));
	}
	words_end(&w, s);
	free(word);
	return 0;
}

void tool_script_free(struct tool_script *s)
{
	size_t i;
	int j;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < s->cmds[i].n; j++)
			free(s->cmds[i].v[j]);
		free(s->cmds[i].v);
	}
	free(s->cmds);
	memset(s, 0, sizeof(*s));
}

/* ---- command lines ---- */

/* Long-only options have no short letter: values past any char. */
enum {
	OPT_JSON = 256,
	OPT_ONCE,
	OPT_USER,
	OPT_HOST,
};

static const struct {
	unsigned flag;		/* TOOL_OPT_*, 0 for every program's */
	struct option opt;
} tool_options[] = {
	{ 0, { "config", required_argument, NULL, 'c' } },
	{ 0, { "help", no_argument, NULL, 'h' } },
	{ 0, { "version", no_argument, NULL, 'V' } },
	{ TOOL_OPT_JSON, { "json", no_argument, NULL, OPT_JSON } },
	{ TOOL_OPT_ONCE, { "once", no_argument, NULL, OPT_ONCE } },
	{ TOOL_OPT_USER, { "user", required_argument, NULL, OPT_USER } },
	{ TOOL_OPT_HOST, { "host", required_argument, NULL, OPT_HOST } },
};

/* "option --config needs a value": the option as spelled in arg (a long
 * one without its "=value"), or -ch for a short one. */
static int no_value(const char *arg, int ch, char *err, size_t errlen)
{
	if (strncmp(arg, "--", 2) == 0)
		return tq_err(err, errlen, "option %.*s needs a value",
			      (int)strcspn(arg, "="), arg);
	return tq_err(err, errlen, "option -%c needs a value", ch);
}

int tool_parse_opts(int argc, char **argv, unsigned allowed,
		    struct tool_opts *o, char *err, size_t errlen)
{
	struct option lo[ARRAY_SIZE(tool_options) + 1];
	const char **val;
	size_t i, n = 0;
	int at, k;

	memset(o, 0, sizeof(*o));
	memset(lo, 0, sizeof(lo));
	for (i = 0; i < ARRAY_SIZE(tool_options); i++)
		if (!tool_options[i].flag || (allowed & tool_options[i].flag))
			lo[n++] = tool_options[i].opt;
	/* Messages are ours (getopt's own name the program from argv[0]);
	 * optind = 0 starts over, as the unit tests parse many argvs. */
	opterr = 0;
	optind = 0;
	for (;;) {
		/* The argument being read: getopt moves optind past it (and
		 * its value) only when done with it. */
		at = optind ? optind : 1;
		/* '+': stop at the first operand; ':': a missing value is
		 * told apart from an unknown option. */
		k = getopt_long(argc, argv, "+:c:hV", lo, NULL);
		if (k == -1)
			return optind;
		val = NULL;
		switch (k) {
		case 'c':
			val = &o->config;
			break;
		case 'h':
			o->help = true;
			break;
		case 'V':
			o->version = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_ONCE:
			o->once = true;
			break;
		case OPT_USER:
			val = &o->user;
			break;
		case OPT_HOST:
			val = &o->host;
			break;
		case ':':
			return no_value(argv[at], optopt, err, errlen);
		default:
			return tq_err(err, errlen, "unknown option %s",
				      argv[at]);
		}
		if (val && !*optarg)
			return no_value(argv[at], k, err, errlen);
		if (val)
			*val = optarg;
	}
}

static const struct {
	const char *word;
	const char *word2;	/* second word, or NULL */
	enum tool_verb verb;
	int min, max;		/* operands after the verb word(s) */
	bool admin, change;
	const char *usage;
} verbs[] = {
	{ "status", NULL, TV_STATUS, 0, 1, false, false, "status [USER]" },
	{ "allow", NULL, TV_ALLOW, 1, INT_MAX, true, true, "allow USER..." },
	{ "deny", NULL, TV_DENY, 1, INT_MAX, true, true, "deny USER..." },
	{ "set", NULL, TV_SET, 2, 2, true, true, "set USER SECONDS" },
	{ "add", NULL, TV_ADD, 2, 2, true, true, "add USER [+|-]SECONDS" },
	{ "list", NULL, TV_LIST, 0, 0, true, false, "list" },
	{ "log", NULL, TV_LOG, 0, 1, true, false, "log [USER]" },
	{ "period", "new", TV_PERIOD_NEW, 0, 0, true, true, "period new" },
	{ "period", "list", TV_PERIOD_LIST, 0, 0, true, false,
	  "period list" },
	{ "hosts", NULL, TV_HOSTS, 0, 0, true, false, "hosts" },
	{ "top", NULL, TV_TOP, 0, 0, true, false, "top" },
};

int tool_cmd_parse(int argc, char **argv, struct tool_cmd *c, char *err,
		   size_t errlen)
{
	size_t i;
	int skip, nops;

	memset(c, 0, sizeof(*c));
	c->usage = argc < 1;
	if (c->usage)
		return tq_err(err, errlen, "no command");
	snprintf(c->label, sizeof(c->label), "%s%s%s", argv[0],
		 argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	for (i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (strcmp(argv[0], verbs[i].word) != 0)
			continue;
		if (verbs[i].word2 && (argc < 2 ||
		    strcmp(argv[1], verbs[i].word2) != 0))
			continue;
		break;
	}
	if (i == ARRAY_SIZE(verbs)) {
		c->usage = strcmp(argv[0], "period") == 0;
		if (c->usage)
			return tq_err(err, errlen, "%s: usage: period new|list",
				      c->label);
		return tq_err(err, errlen, "%s: unknown command", argv[0]);
	}
	skip = verbs[i].word2 ? 2 : 1;
	nops = argc - skip;
	c->usage = nops < verbs[i].min || nops > verbs[i].max;
	if (c->usage)
		return tq_err(err, errlen, "%s: usage: %s", c->label,
			      verbs[i].usage);
	c->verb = verbs[i].verb;
	c->admin = verbs[i].admin;
	c->change = verbs[i].change;
	c->names = argv + skip;
	c->n_names = nops;
	if (c->verb == TV_SET || c->verb == TV_ADD) {
		c->n_names = 1;
		if (tool_parse_ll(argv[2], &c->seconds))
			return tq_err(err, errlen, "%s: not a number: %s",
				      c->label, argv[2]);
		if (c->verb == TV_SET && c->seconds < -1000000000000LL)
			return tq_err(err, errlen, "%s: out of range: %s",
				      c->label, argv[2]);
	}
	return 0;
}

int tool_fw_parse(int argc, char **argv, struct tool_fw_cmd *c, char *err,
		  size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->verb = TF_TOGGLE;
	if (argc == 0)
		return 0;
	if (strcmp(argv[0], "adm") == 0) {
		if (argc > 2)
			return tq_err(err, errlen, "adm: usage: adm [HOST]");
		c->verb = TF_ADM;
		c->arg = argc == 2 ? argv[1] : NULL;
	} else if (strcmp(argv[0], "cls") == 0) {
		if (argc != 2)
			return tq_err(err, errlen, "cls: usage: cls HOST");
		c->verb = TF_CLS;
		c->arg = argv[1];
	} else if (strcmp(argv[0], "lst") == 0) {
		if (argc != 1)
			return tq_err(err, errlen, "lst: usage: lst");
		c->verb = TF_LST;
	} else if (strcmp(argv[0], "log") == 0) {
		if (argc > 2)
			return tq_err(err, errlen, "log: usage: log [USER]");
		c->verb = TF_LOG;
		c->arg = argc == 2 ? argv[1] : NULL;
	} else {
		if (argc != 1)
			return tq_err(err, errlen,
				      "%s: usage: [GROUP|HOST]", argv[0]);
		c->arg = argv[0];
	}
	return 0;
}
