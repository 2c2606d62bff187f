/* conf_lex.c - a pre-scan of the text before libconfig parses it.
 *
 * Why: libconfig 1.5 (what Debian 12 ships) would otherwise be trusted
 * where it fails:
 *  - an integer without an "L" suffix is read into an int and silently
 *    wraps ("min_quota = 5000000000;" became 705032704), so every integer
 *    literal that does not fit in 32 bits gets its "L", and one that does
 *    not fit in 64 bits is rejected;
 *  - a syntax error whose offending token is a string leaks the string
 *    (the grammar has no %destructor), so a string where none may stand
 *    is reported here, as is a string never closed;
 *  - nesting is bounded (libconfig recurses over it);
 *  - "@include" would read other files behind our back, past the size
 *    limit and with another file's line numbers.
 * It knows just enough of libconfig's syntax to tell literals from
 * strings, comments and names, and which tokens may precede a string.
 * The text it returns differs from its input only by those "L"s, so
 * libconfig's line numbers are the file's.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "util.h"

/* libconfig would read "@include" files behind our back, past the size
 * limit and with line numbers of another file.  One file is enough. */
int conf_lex_include(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int line = 1;

	while (p < end) {
		const char *q = p;

		while (q < end && conf_is_blank(*q))
			q++;
		if ((size_t)(end - q) >= 8 && !memcmp(q, "@include", 8))
			return line;
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			break;
		p++;
		line++;
	}
	return 0;
}

#define TQ_CONF_MAX_DEPTH 32

enum prev_tok {
	T_START,		/* nothing yet */
	T_EQUALS,		/* '=' or ':' */
	T_STRING,
	T_OPEN,			/* '[', '(' or '{' */
	T_COMMA,
	T_OTHER,		/* a name, a scalar, a closing bracket, ';' */
};

struct prescan {
	const char *name;
	char *err;
	size_t errlen;
	const char *p, *end;
	char *out;
	size_t o;
	int line;
	char stack[TQ_CONF_MAX_DEPTH];	/* the open brackets */
	int depth;
	enum prev_tok prev;
	/* Enough of the setting's path to name it in a message: the last
	 * name read, and per open bracket its name ("rates") or its index
	 * in the enclosing list ("[1]"), and its element count so far. */
	char setting[48];
	char label[TQ_CONF_MAX_DEPTH][52];
	int idx[TQ_CONF_MAX_DEPTH];
};

/* The path of the value about to be read ("quota.min_quota",
 * "network.local_networks[1]"), as conf's own messages name settings. */
static void ps_path(const struct prescan *ps, char *buf, size_t len)
{
	size_t o = 0;
	int i;
	char top = ps->depth ? ps->stack[ps->depth - 1] : '{';

	buf[0] = '\0';
	for (i = 0; i < ps->depth && o < len; i++) {
		const char *l = ps->label[i];

		if (!*l)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
				      o && *l != '[' ? "." : "", l);
	}
	if (o >= len)
		return;
	if (ps->prev == T_EQUALS)
		snprintf(buf + o, len - o, "%s%s", o ? "." : "", ps->setting);
	else if (top == '[' || top == '(')
		snprintf(buf + o, len - o, "[%d]", ps->idx[ps->depth - 1]);
}

static int ps_err(struct prescan *ps, int line, const char *msg)
{
	return tq_err(ps->err, ps->errlen, "%s:%d: %s", ps->name, line, msg);
}

static void ps_copy(struct prescan *ps, const char *from)
{
	memcpy(ps->out + ps->o, from, (size_t)(ps->p - from));
	ps->o += (size_t)(ps->p - from);
}

/* Where a string may stand: a value after '=', the next piece of a
 * concatenation, an element of an array or a list. */
static bool string_allowed(const struct prescan *ps)
{
	char top = ps->depth ? ps->stack[ps->depth - 1] : '{';

	switch (ps->prev) {
	case T_EQUALS:
	case T_STRING:
		return true;
	case T_OPEN:
	case T_COMMA:
		return top == '[' || top == '(';
	default:
		return false;
	}
}

static bool digits_exceed(const char *d, size_t n, const char *max)
{
	size_t mlen = strlen(max);

	while (n > 1 && *d == '0') {
		d++;
		n--;
	}
	if (n != mlen)
		return n > mlen;
	return memcmp(d, max, n) > 0;
}

static int ps_string(struct prescan *ps)
{
	const char *from = ps->p;
	int open_line = ps->line;

	if (!string_allowed(ps))
		return ps_err(ps, open_line, "syntax error; check the quotes, "
			      "'=', ';' and brackets on or before this line");
	ps->p++;
	while (ps->p < ps->end && *ps->p != '"') {
		if (*ps->p == '\\' && ps->p + 1 < ps->end)
			ps->p++;
		if (*ps->p == '\n')
			ps->line++;
		ps->p++;
	}
	if (ps->p == ps->end)
		return ps_err(ps, open_line, "string never closed; add the "
			      "missing '\"'");
	ps->p++;
	ps_copy(ps, from);
	ps->prev = T_STRING;
	return 0;
}

static int ps_number(struct prescan *ps)
{
	const char *from = ps->p, *d;
	bool hex = false, neg = false;
	enum prev_tok prev = ps->prev;
	char path[256];
	size_t n;

	if (*ps->p == '-' || *ps->p == '+')
		neg = *ps->p++ == '-';
	if (*ps->p == '0' && ps->p + 1 < ps->end &&
	    (ps->p[1] == 'x' || ps->p[1] == 'X')) {
		hex = true;
		ps->p += 2;
	}
	d = ps->p;
	while (ps->p < ps->end && (hex ? isxdigit((unsigned char)*ps->p) :
				   isdigit((unsigned char)*ps->p)))
		ps->p++;
	n = (size_t)(ps->p - d);
	ps->prev = T_OTHER;
	if (!hex && ps->p < ps->end &&
	    (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E')) {
		/* a float: copied as it is */
		while (ps->p < ps->end && (isdigit((unsigned char)*ps->p) ||
					   strchr(".eE+-", *ps->p)))
			ps->p++;
		ps_copy(ps, from);
		return 0;
	}
	if (hex ? digits_exceed(d, n, "7fffffffffffffff") :
	    digits_exceed(d, n, neg ? "9223372036854775808" :
			  "9223372036854775807")) {
		ps->prev = prev;	/* what the value followed */
		ps_path(ps, path, sizeof(path));
		return tq_err(ps->err, ps->errlen, "%s:%d: %s%sinteger %.*s "
			      "is too large; use -9223372036854775808.."
			      "9223372036854775807", ps->name, ps->line,
			      path, *path ? ": " : "",
			      (int)((ps->p - from) > 40 ? 40 : ps->p - from),
			      from);
	}
	ps_copy(ps, from);
	if ((ps->p == ps->end || *ps->p != 'L') &&
	    digits_exceed(d, n, hex ? "7fffffff" : "2147483647"))
		ps->out[ps->o++] = 'L';
	return 0;
}

static void ps_comment(struct prescan *ps)
{
	const char *from = ps->p;

	if (*ps->p == '/' && ps->p[1] == '*') {
		ps->p += 2;
		while (ps->p < ps->end &&
		       !(*ps->p == '*' && ps->p + 1 < ps->end &&
			 ps->p[1] == '/')) {
			if (*ps->p == '\n')
				ps->line++;
			ps->p++;
		}
		ps->p = ps->p < ps->end ? ps->p + 2 : ps->end;
	} else {
		while (ps->p < ps->end && *ps->p != '\n')
			ps->p++;
	}
	ps_copy(ps, from);
}

/* Returns the text to give libconfig (the caller frees it), or NULL. */
char *conf_lex(const char *text, size_t len, const char *name,
	       char *err, size_t errlen)
{
	struct prescan ps = {
		.name = name, .err = err, .errlen = errlen,
		.p = text, .end = text + len, .line = 1, .prev = T_START,
	};

	/* Each "L" follows a literal of at least 10 characters. */
	ps.out = xmalloc(len + len / 10 + 2);
	while (ps.p < ps.end) {
		const char *from = ps.p;
		char ch = *ps.p;

		if (ch == '\n') {
			ps.line++;
			ps.out[ps.o++] = *ps.p++;
		} else if (isspace((unsigned char)ch)) {
			ps.out[ps.o++] = *ps.p++;
		} else if (ch == '"') {
			if (ps_string(&ps) < 0)
				goto err;
		} else if (ch == '#' || (ch == '/' && ps.p + 1 < ps.end &&
					 (ps.p[1] == '/' || ps.p[1] == '*'))) {
			ps_comment(&ps);
		} else if (isalpha((unsigned char)ch) || ch == '*') {
			while (ps.p < ps.end &&
			       (isalnum((unsigned char)*ps.p) || *ps.p == '*' ||
				*ps.p == '_' || *ps.p == '-'))
				ps.p++;
			ps_copy(&ps, from);
			snprintf(ps.setting, sizeof(ps.setting), "%.*s",
				 (int)(ps.p - from), from);
			ps.prev = T_OTHER;
		} else if (isdigit((unsigned char)ch) ||
			   ((ch == '-' || ch == '+') && ps.p + 1 < ps.end &&
			    isdigit((unsigned char)ps.p[1]))) {
			if (ps_number(&ps) < 0)
				goto err;
		} else {
			if (ch == '[' || ch == '(' || ch == '{') {
				if (ps.depth == TQ_CONF_MAX_DEPTH) {
					ps_err(&ps, ps.line, "nested too "
					       "deeply; use at most 32 levels "
					       "of brackets");
					goto err;
				}
				if (ps.prev == T_EQUALS)
					snprintf(ps.label[ps.depth],
						 sizeof(ps.label[0]), "%s",
						 ps.setting);
				else if (ps.depth &&
					 ps.stack[ps.depth - 1] != '{')
					snprintf(ps.label[ps.depth],
						 sizeof(ps.label[0]), "[%d]",
						 ps.idx[ps.depth - 1]);
				else
					ps.label[ps.depth][0] = '\0';
				ps.idx[ps.depth] = 0;
				ps.stack[ps.depth++] = ch;
				ps.prev = T_OPEN;
			} else if (ch == ']' || ch == ')' || ch == '}') {
				if (ps.depth)
					ps.depth--;
				ps.prev = T_OTHER;
			} else if (ch == '=' || ch == ':') {
				ps.prev = T_EQUALS;
			} else if (ch == ',') {
				if (ps.depth)
					ps.idx[ps.depth - 1]++;
				ps.prev = T_COMMA;
			} else {
				ps.prev = T_OTHER;
			}
			ps.out[ps.o++] = *ps.p++;
		}
	}
	ps.out[ps.o] = '\0';
	return ps.out;
err:
	free(ps.out);
	return NULL;
}
