/* util.h - memory helpers and small string utilities shared by everyone. */
#ifndef TQ_UTIL_H
#define TQ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation never fails for the caller: out of memory aborts here, in one
 * place, with a message on stderr. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Grow *arr (element size elsz) so that it holds at least need elements;
 * *cap is updated.  Doubles, so appends are amortised O(1). */
void xgrow(void *arr, size_t *cap, size_t need, size_t elsz);
/* p from a library's own allocator (libnftnl's *_alloc()), or the same
 * out-of-memory abort if it is NULL. */
void *xcheck(void *p);

/* Copy with truncation and NUL termination; returns strlen(src). */
size_t tq_strlcpy(char *dst, const char *src, size_t size);
/* qsort/bsearch order of unsigned ints. */
int tq_uint_cmp(const void *x, const void *y);
/* snprintf into err/errlen if err != NULL; always returns -1, so callers can
 * write "return tq_err(err, errlen, "...", ...);". */
int tq_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Monotonic clock in microseconds. */
uint64_t tq_now_us(void);
/* Create the directories leading to path (not path itself), mode 0750
 * where new.  0, or -1 with errno set. */
int tq_mkdir_parent(const char *path);

/* Write a whole buffer (retrying on EINTR and short writes). 0 / -1. */
int tq_write_all(int fd, const void *buf, size_t len);

#endif
