/* sbuf.c - a growing text buffer (sbuf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "util.h"

void sbuf_init(struct sbuf *b)
{
	b->cap = 256;
	b->len = 0;
	b->s = xmalloc(b->cap);
	b->s[0] = '\0';
}

void sbuf_free(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

static void need(struct sbuf *b, size_t n)
{
	if (!b->s)
		sbuf_init(b);
	if (b->len + n + 1 > b->cap)
		xgrow(&b->s, &b->cap, b->len + n + 1, 1);
}

void sbuf_addn(struct sbuf *b, const char *s, size_t n)
{
	need(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sbuf_add(struct sbuf *b, const char *s)
{
	sbuf_addn(b, s, strlen(s));
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	need(b, 0);
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		need(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void sbuf_html(struct sbuf *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t' ||
			    *s == '\n')
				continue;
			rep = "";
		}
		sbuf_addn(b, run, (size_t)(s - run));
		sbuf_add(b, rep);
		run = s + 1;
	}
	sbuf_addn(b, run, (size_t)(s - run));
}

char *sbuf_steal(struct sbuf *b, size_t *len)
{
	char *s;

	need(b, 0);
	s = b->s;
	if (len)
		*len = b->len;
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}
