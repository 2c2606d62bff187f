/* pages.h - what the portal sends: HTML pages, assets, JSON.
 *
 * Every page is complete in one answer: no external asset, no inline
 * script or style (the Content-Security-Policy is default-src 'self'),
 * readable on a phone (viewport, one column).  Text from the database or
 * the client is escaped (sbuf_html()); numbers are formatted here.
 */
#ifndef TQ_PAGES_H
#define TQ_PAGES_H

#include <stdbool.h>

#include "portal.h"
#include "sbuf.h"
#include "session.h"

struct page_ctx {
	const struct tq_conf *conf;
	bool https;
	const char *url;	/* the portal's own URL */
};

extern const char page_css[];
extern const char page_js[];

/* The login form; error and user (pre-filled) may be NULL. */
void page_login(struct sbuf *b, const struct page_ctx *pc, const char *csrf,
		const char *error, const char *user);
/* The status page of s's user on device d. */
void page_status(struct sbuf *b, const struct page_ctx *pc,
		 const struct sess_info *s, const struct device *d,
		 const struct dev_status *st, const char *flash);
/* The teachers' room page: every group and its hosts' rows. */
void page_room(struct sbuf *b, const struct page_ctx *pc,
	       const struct sess_info *s, struct tool_ctx *t,
	       const char *flash);
/* A short page with a title and a message (errors). */
void page_message(struct sbuf *b, const struct page_ctx *pc,
		  const char *title, const char *msg);

/* /api/status for s's device: its state and the countdown's numbers. */
void page_api_status(struct sbuf *b, const struct page_ctx *pc,
		     const struct device *d, const struct dev_status *st);
/* RFC 8908 /api/captive for device state st (st->nrows 0: captive). */
void page_api_captive(struct sbuf *b, const struct page_ctx *pc,
		      const struct dev_status *st);

#endif
