/* handlers.h - between http.c and handlers.c (internal to the two).
 *
 * http.c takes a request in (listeners, limits, the Host, Origin and CSRF
 * checks of route()) and builds the answer (security headers, cookies);
 * handlers.c does what a checked request asks: the login, the status and
 * room pages, the JSON answers, open, close, log-out and a room's open
 * and close.  A handler sees the request through struct ctx and answers
 * with http_reply() or http_message().
 */
#ifndef TQ_HANDLERS_H
#define TQ_HANDLERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <microhttpd.h>

#include "pages.h"
#include "parse.h"
#include "portal.h"
#include "sbuf.h"
#include "session.h"

#define COOKIE "tqp"
#define LOGIN_COOKIE "tqp_login"
#define URL_BYTES 600

struct listener {
	struct httpd *h;
	struct MHD_Daemon *d;
	int fd;
	struct tq_addr addr;
	char addrs[TQ_ADDRSTRLEN];
	unsigned port;
	bool tls;
	bool redirect_only;	/* plain HTTP beside HTTPS */
	char url[URL_BYTES];	/* the portal's URL as seen from here */
};

struct httpd {
	const struct tq_conf *conf;
	struct sessions *sess;
	struct rl *rl;
	pthread_mutex_t rl_lock;
	struct auth *auth;
	struct dbpool *pool;
	bool https;
	char *cert, *key;
	char url_host[256];	/* portal.url's host, "" if unset */
	unsigned url_port;
	struct listener *ls;
	size_t nls;
	atomic_uint live;	/* connections open, all listeners */
};

struct req {
	struct sbuf body;
	bool post;
	bool too_big;
};

/* An answer's status and headers (the body is an sbuf beside it). */
struct answer {
	unsigned status;
	const char *type;	/* NULL: HTML */
	const char *location;
	char cookie[2][256];
	const char *retry_after;
	bool asset;
};

/* One request, once route() has read its facts. */
struct ctx {
	struct listener *l;
	struct httpd *h;
	struct MHD_Connection *c;
	struct req *r;
	struct page_ctx pc;
	struct device dev;
	char token[PARSE_TOKEN_HEX];
	bool have_sess;
	struct sess_info s;
};

/* ---- http.c, for the handlers ---- */

/* Queue the answer with b's text as its body (b may be NULL). */
enum MHD_Result http_reply(struct MHD_Connection *c, struct answer *a,
			   struct sbuf *b);
/* A short page with a title and a message. */
enum MHD_Result http_message(struct MHD_Connection *c,
			     const struct page_ctx *pc, unsigned status,
			     const char *title, const char *msg);
/* A Set-Cookie value into out (256 bytes): HttpOnly, SameSite=Strict,
 * Secure under HTTPS; max_age 0 deletes it. */
void http_set_cookie(const struct httpd *h, char *out, const char *name,
		     const char *value, int max_age);
/* The request's cookie name if it is a well-formed token, else NULL. */
const char *http_cookie(struct MHD_Connection *c, const char *name,
			char *out);
/* The form field name of the request's body.  true if present. */
bool http_form(const struct req *r, const char *name, char *out,
	       size_t len);

/* ---- handlers.c ---- */

/* The login form (with its login cookie), an error and a Retry-After. */
enum MHD_Result hd_login_page(struct ctx *x, unsigned status,
			      const char *error, const char *user,
			      unsigned retry);
/* POST /login: the CSRF token of the login cookie, the rate limits,
 * PAM, allowed; then a session. */
enum MHD_Result hd_login(struct ctx *x);
enum MHD_Result hd_status_page(struct ctx *x);
/* /api/captive (RFC 8908, no session needed) or /api/status. */
enum MHD_Result hd_api(struct ctx *x, bool captive);
/* POST /open, /close, /logout ("open", ...); CSRF checked by route(). */
enum MHD_Result hd_action(struct ctx *x, const char *what);
/* GET /room, and POST /room (room=NAME, do=open|close; CSRF checked by
 * route()): teachers only, 403 for anyone else.  A room's step is
 * rq_room(), openfw's own. */
enum MHD_Result hd_room_page(struct ctx *x);
enum MHD_Result hd_room_action(struct ctx *x);
/* A static asset (CSS, script). */
enum MHD_Result hd_asset(struct MHD_Connection *c, const char *type,
			 const char *text);

#endif
