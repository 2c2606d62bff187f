/* sbuf.h - a growing text buffer for the portal's pages and headers.
 *
 * Appends never fail (util.h's out-of-memory abort); the text is always
 * NUL-terminated.  sbuf_html() escapes for HTML text and attribute values
 * alike, so every string that did not come from the program itself goes
 * through it on its way into a page.
 */
#ifndef TQ_SBUF_H
#define TQ_SBUF_H

#include <stddef.h>

struct sbuf {
	char *s;
	size_t len;
	size_t cap;
};

void sbuf_init(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_add(struct sbuf *b, const char *s);
void sbuf_addn(struct sbuf *b, const char *s, size_t n);
void sbuf_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* s with & < > " ' escaped; bytes below 0x20 but tab and newline are
 * dropped. */
void sbuf_html(struct sbuf *b, const char *s);
/* The text, now the caller's (free()); b is empty again. */
char *sbuf_steal(struct sbuf *b, size_t *len);

#endif
