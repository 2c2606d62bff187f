/* tool.c - pure helpers of the tools: utmp, money, JSON, scripts, argv. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utmpx.h>

#include "tool.h"
#include "util.h"

/* ---- utmp ---- */

static bool pid_alive(pid_t pid)
{
	if (pid <= 0)
		return false;
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Copy a fixed-size, maybe unterminated utmp field. */
static void field(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t n = strnlen(src, slen);

	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool v6_addr(const int32_t w[4], struct tq_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!w[0] && !w[1] && !w[2] && !w[3])
		return false;
	if (!w[1] && !w[2] && !w[3]) {
		/* sshd/login store IPv4 in the first word. */
		a->family = AF_INET;
		memcpy(a->a, &w[0], 4);
		return true;
	}
	a->family = AF_INET6;
	memcpy(a->a, w, 16);
	if (!w[0] && !w[1] && ntohl((uint32_t)w[2]) == 0xffff) {
		a->family = AF_INET;
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
	}
	return true;
}

int tool_utmp_lookup(const char *path, const char *line,
		     struct tool_login *out, char *err, size_t errlen)
{
	struct utmpx u;
	FILE *f;
	int rc = TOOL_LOGIN_NONE;

	if (strncmp(line, "/dev/", 5) == 0)
		line += 5;
	memset(out, 0, sizeof(*out));
	f = fopen(path, "re");
	if (!f)
		return tq_err(err, errlen, "%s: %s", path, strerror(errno));
	while (fread(&u, sizeof(u), 1, f) == 1) {
		if (u.ut_type != USER_PROCESS)
			continue;
		if (strnlen(u.ut_line, sizeof(u.ut_line)) != strlen(line) ||
		    strncmp(u.ut_line, line, sizeof(u.ut_line)) != 0)
			continue;
		if (!pid_alive(u.ut_pid))
			continue;
		memset(out, 0, sizeof(*out));
		field(out->user, sizeof(out->user), u.ut_user,
		      sizeof(u.ut_user));
		field(out->line, sizeof(out->line), u.ut_line,
		      sizeof(u.ut_line));
		field(out->host, sizeof(out->host), u.ut_host,
		      sizeof(u.ut_host));
		out->pid = u.ut_pid;
		if (v6_addr(u.ut_addr_v6, &out->addr) ||
		    addr_parse(out->host, &out->addr) == 0)
			rc = TOOL_LOGIN_OK;
		else
			rc = TOOL_LOGIN_LOCAL;
	}
	if (ferror(f)) {
		fclose(f);
		return tq_err(err, errlen, "%s: read error", path);
	}
	fclose(f);
	return rc;
}

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

void tool_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	if (!s) {
		fputs("null", f);
		return;
	}
	putc('"', f);
	while (*p) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(f, "\\u%04x", *p);
				break;
			}
			n = utf8_len(p);
			if (!n) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		p++;
	}
	putc('"', f);
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

/* "--name value" or "--name=value"; *i is advanced past what was used. */
static int opt_value(int argc, char **argv, int *i, const char *name,
		     const char **val, char *err, size_t errlen)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (a[n] == '=') {
		*val = a + n + 1;
	} else if (*i + 1 < argc) {
		*val = argv[++*i];
	} else {
		return tq_err(err, errlen, "option %s needs a value", name);
	}
	if (!**val)
		return tq_err(err, errlen, "option %s needs a value", name);
	return 0;
}

static bool opt_is(const char *a, const char *name)
{
	size_t n = strlen(name);

	return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

int tool_parse_opts(int argc, char **argv, unsigned allowed,
		    struct tool_opts *o, char *err, size_t errlen)
{
	int i;
	const char *a;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0)
			return i + 1;
		if (opt_is(a, "--config") || strcmp(a, "-c") == 0) {
			if (opt_value(argc, argv, &i, a[1] == 'c' ? "-c" :
				      "--config", &o->config, err, errlen))
				return -1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
		} else if (strcmp(a, "--version") == 0 ||
			   strcmp(a, "-V") == 0) {
			o->version = true;
		} else if ((allowed & TOOL_OPT_JSON) &&
			   strcmp(a, "--json") == 0) {
			o->json = true;
		} else if ((allowed & TOOL_OPT_ONCE) &&
			   strcmp(a, "--once") == 0) {
			o->once = true;
		} else if ((allowed & TOOL_OPT_USER) && opt_is(a, "--user")) {
			if (opt_value(argc, argv, &i, "--user", &o->user, err,
				      errlen))
				return -1;
		} else if ((allowed & TOOL_OPT_HOST) && opt_is(a, "--host")) {
			if (opt_value(argc, argv, &i, "--host", &o->host, err,
				      errlen))
				return -1;
		} else {
			return tq_err(err, errlen, "unknown option %s", a);
		}
	}
	return i;
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
	if (argc < 1)
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
		if (strcmp(argv[0], "period") == 0)
			return tq_err(err, errlen, "%s: usage: period new|list",
				      c->label);
		return tq_err(err, errlen, "%s: unknown command", argv[0]);
	}
	skip = verbs[i].word2 ? 2 : 1;
	nops = argc - skip;
	if (nops < verbs[i].min || nops > verbs[i].max)
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
