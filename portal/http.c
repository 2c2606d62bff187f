/* http.c - requests: listeners, limits, routing, cookies, CSRF, headers;
 * what a request asks for is done in handlers.c.
 *
 * Invariants:
 * - the device is the connection's source address, read from the socket
 *   (never a header or a form field), plus the MAC the neighbour table
 *   holds for it;
 * - every answer carries the security headers (add_security());
 * - every POST needs the CSRF token of its session (the login form: of
 *   its login cookie) and, when the browser sends an Origin, our own;
 * - a request body is at most BODY_MAX bytes (413 beyond), headers at
 *   most what MHD_OPTION_CONNECTION_MEMORY_LIMIT leaves;
 * - a request for a Host that is not the portal's is redirected to the
 *   portal (the captive redirect lands here);
 * - no value from the client reaches SQL but as a bound parameter
 *   (device.c, portaldb.c, tooldb.c).
 */
#include <errno.h>
#include <ifaddrs.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "handlers.h"
#include "http.h"
#include "log.h"
#include "ratelimit.h"
#include "tls.h"
#include "util.h"

#define BODY_MAX 4096
#define MAX_SESSIONS 1024
#define RL_SLOTS 4096

/* ---- binding ---- */

static int bind_one(struct httpd *h, const struct tq_addr *a, unsigned port,
		    bool tls, bool redirect_only, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct listener *l;
	socklen_t sl;
	int fd, one = 1;

	sl = addr_to_sockaddr(a, (uint16_t)port, &ss);
	h->ls = xrealloc(h->ls, (h->nls + 1) * sizeof(*h->ls));
	l = &h->ls[h->nls];
	memset(l, 0, sizeof(*l));
	l->h = h;
	l->addr = *a;
	addr_format(a, l->addrs, sizeof(l->addrs));
	l->port = port;
	l->tls = tls;
	l->redirect_only = redirect_only;
	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tq_err(err, errlen, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0) {
		tq_err(err, errlen, "cannot listen on %s%s%s port %u: %s",
		       a->family == AF_INET6 ? "[" : "", l->addrs,
		       a->family == AF_INET6 ? "]" : "", port,
		       strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	h->nls++;
	return 0;
}

/* The addresses to listen on: portal.listen, or network.lan's. */
static int listen_addrs(const struct tq_conf *c, struct tq_addr **out,
			size_t *n, char *err, size_t errlen)
{
	struct ifaddrs *ifa, *i;
	size_t k, cap = 0;

	*out = NULL;
	*n = 0;
	for (k = 0; k < c->n_portal_listen; k++) {
		xgrow(out, &cap, *n + 1, sizeof(**out));
		if (addr_parse(c->portal_listen[k], &(*out)[*n]) == 0)
			(*n)++;
	}
	if (c->n_portal_listen)
		return 0;
	if (getifaddrs(&ifa) < 0)
		return tq_err(err, errlen, "getifaddrs: %s", strerror(errno));
	for (i = ifa; i; i = i->ifa_next) {
		struct tq_addr a;

		if (!i->ifa_addr || !i->ifa_name)
			continue;
		for (k = 0; k < c->n_lan; k++)
			if (!strcmp(c->lan[k], i->ifa_name))
				break;
		if (k == c->n_lan)
			continue;
		if (addr_from_sockaddr(i->ifa_addr, &a) < 0)
			continue;
		/* A link-local address needs its interface to be
		 * reached; the LAN's routable ones serve. */
		if (!addr_is_host(&a) || addr_is_linklocal(&a))
			continue;
		xgrow(out, &cap, *n + 1, sizeof(**out));
		(*out)[(*n)++] = a;
	}
	freeifaddrs(ifa);
	if (!*n)
		return tq_err(err, errlen, "no address to listen on: the "
			      "interfaces of network.lan have none; set "
			      "portal.listen");
	return 0;
}

static void make_url(struct listener *l, const struct tq_conf *c,
		     unsigned https_port)
{
	bool v6 = l->addr.family == AF_INET6;
	bool tls = l->tls || l->redirect_only;
	unsigned port = l->redirect_only ? https_port : l->port;
	char pbuf[16] = "";

	if (*c->portal_url) {
		tq_strlcpy(l->url, c->portal_url, sizeof(l->url));
		return;
	}
	if (port != (tls ? 443u : 80u))
		snprintf(pbuf, sizeof(pbuf), ":%u", port);
	snprintf(l->url, sizeof(l->url), "%s://%s%s%s%s/",
		 tls ? "https" : "http", v6 ? "[" : "", l->addrs,
		 v6 ? "]" : "", pbuf);
}

struct httpd *httpd_bind(const struct tq_conf *c, char *err, size_t errlen)
{
	struct httpd *h = xcalloc(1, sizeof(*h));
	struct tq_addr *as = NULL;
	size_t n = 0, i;
	unsigned port;

	h->conf = c;
	h->https = *c->portal_cert != '\0';
	pthread_mutex_init(&h->rl_lock, NULL);
	if (h->https) {
		char warn[512];

		if (tls_load(c, &h->cert, &h->key, warn, sizeof(warn), err,
			     errlen) < 0)
			goto fail;
		if (*warn)
			log_warnx("%s", warn);
	}
	if (*c->portal_url && parse_url_host(c->portal_url, h->url_host,
					     sizeof(h->url_host),
					     &h->url_port) < 0) {
		tq_err(err, errlen, "portal.url %s: cannot read its host",
		       c->portal_url);
		goto fail;
	}
	if (listen_addrs(c, &as, &n, err, errlen) < 0)
		goto fail;
	port = c->portal_port ? (unsigned)c->portal_port :
	       h->https ? 443 : 80;
	for (i = 0; i < n; i++) {
		if (bind_one(h, &as[i], port, h->https, false, err,
			     errlen) < 0)
			goto fail;
		if (h->https && c->portal_redirect_port &&
		    (unsigned)c->portal_redirect_port != port &&
		    bind_one(h, &as[i], (unsigned)c->portal_redirect_port,
			     false, true, err, errlen) < 0)
			goto fail;
	}
	for (i = 0; i < h->nls; i++)
		make_url(&h->ls[i], c, port);
	free(as);
	return h;
fail:
	free(as);
	httpd_free(h);
	return NULL;
}

const char *httpd_url(const struct httpd *h)
{
	return h->nls ? h->ls[0].url : "";
}

/* ---- answers ---- */

static void add_security(struct MHD_Response *r, bool asset)
{
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; frame-ancestors 'none'; "
				"form-action 'self'; base-uri 'none'");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	MHD_add_response_header(r, "Cache-Control", asset ?
				"max-age=3600" : "no-store");
}

enum MHD_Result http_reply(struct MHD_Connection *c, struct answer *a,
			   struct sbuf *b)
{
	struct MHD_Response *r;
	enum MHD_Result rc;
	size_t len = 0;
	char *body = b ? sbuf_steal(b, &len) : xstrdup("");
	int i;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	add_security(r, a->asset);
	MHD_add_response_header(r, "Content-Type", a->type ? a->type :
				"text/html; charset=utf-8");
	if (a->location)
		MHD_add_response_header(r, "Location", a->location);
	if (a->retry_after)
		MHD_add_response_header(r, "Retry-After", a->retry_after);
	for (i = 0; i < 2; i++)
		if (a->cookie[i][0])
			MHD_add_response_header(r, "Set-Cookie",
						a->cookie[i]);
	rc = MHD_queue_response(c, a->status, r);
	MHD_destroy_response(r);
	return rc;
}

void http_set_cookie(const struct httpd *h, char *out, const char *name,
		     const char *value, int max_age)
{
	snprintf(out, 256, "%s=%s; Path=/; HttpOnly; SameSite=Strict; "
		 "Max-Age=%d%s", name, value, max_age,
		 h->https ? "; Secure" : "");
}

static enum MHD_Result redirect(struct MHD_Connection *c, const char *to,
				unsigned status)
{
	struct answer a = { .status = status, .location = to };

	return http_reply(c, &a, NULL);
}

enum MHD_Result http_message(struct MHD_Connection *c,
			     const struct page_ctx *pc, unsigned status,
			     const char *title, const char *msg)
{
	struct answer a = { .status = status };
	struct sbuf b;

	sbuf_init(&b);
	page_message(&b, pc, title, msg);
	return http_reply(c, &a, &b);
}

/* ---- the request's facts ---- */

static bool client_addr(struct MHD_Connection *c, struct tq_addr *a)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	/* An IPv4-mapped address comes out IPv4. */
	return ci && addr_from_sockaddr(ci->client_addr, a) == 0;
}

static bool host_ok(const struct listener *l, const char *host)
{
	const struct httpd *h = l->h;

	if (!host)
		return false;
	if (parse_host_matches(host, l->addrs, l->port))
		return true;
	return h->url_host[0] && parse_host_matches(host, h->url_host,
						    h->url_port);
}

/* An Origin header, when sent, must be ours. */
static bool origin_ok(const struct listener *l, struct MHD_Connection *c)
{
	const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    "Origin");
	char host[256];
	unsigned port;

	if (!o)
		return true;
	if (parse_url_host(o, host, sizeof(host), &port) < 0)
		return false;
	if (!strcmp(host, l->addrs) || (l->h->url_host[0] &&
					!strcasecmp(host, l->h->url_host)))
		return true;
	return false;
}

const char *http_cookie(struct MHD_Connection *c, const char *name,
			char *out)
{
	const char *hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      "Cookie");

	if (!hdr || parse_cookie_get(hdr, strlen(hdr), name, out,
				     PARSE_TOKEN_HEX) != 1 ||
	    !parse_token_ok(out))
		return NULL;
	return out;
}

bool http_form(const struct req *r, const char *name, char *out,
	       size_t len)
{
	return parse_form_get(r->body.s ? r->body.s : "", r->body.len, name,
			      out, len) == 1;
}

static enum MHD_Result route(struct listener *l, struct MHD_Connection *c,
			     const char *url, struct req *r)
{
	struct ctx x;
	const char *host;
	char csrf[PARSE_TOKEN_HEX];
	bool post = r->post;

	memset(&x, 0, sizeof(x));
	x.l = l;
	x.h = l->h;
	x.c = c;
	x.r = r;
	x.pc.conf = l->h->conf;
	x.pc.https = l->h->https;
	x.pc.url = l->url;
	if (l->redirect_only)
		return redirect(c, l->url, 302);
	host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	if (!host_ok(l, host))
		return redirect(c, l->url, 302);
	if (!strcmp(url, "/portal.css"))
		return hd_asset(c, "text/css; charset=utf-8", page_css);
	if (!strcmp(url, "/portal.js"))
		return hd_asset(c, "text/javascript; charset=utf-8", page_js);
	if (!client_addr(c, &x.dev.addr))
		return http_message(c, &x.pc, 400, "Error", "unknown client");
	device_of(&x.dev.addr, &x.dev);
	if (!strcmp(url, "/api/captive") && !post)
		return hd_api(&x, true);
	if (http_cookie(c, COOKIE, x.token))
		x.have_sess = sess_get(x.h->sess, x.token, &x.dev.addr,
				       x.dev.has_mac ? x.dev.mac : NULL,
				       tq_now_us() / 1000000, !post, &x.s);
	if (post && !origin_ok(l, c))
		return http_message(c, &x.pc, 403, "Refused",
				    "This form was sent from another site.");
	if (!strcmp(url, "/login") && post)
		return hd_login(&x);
	if (!strcmp(url, "/api/status") && !post)
		return hd_api(&x, false);
	if (!strcmp(url, "/") && !post)
		return x.have_sess ? hd_status_page(&x) :
		       hd_login_page(&x, 200, NULL, NULL, 0);
	if (post && (!strcmp(url, "/open") || !strcmp(url, "/close") ||
		     !strcmp(url, "/logout") || !strcmp(url, "/room"))) {
		if (!x.have_sess)
			return redirect(c, "/", 303);
		if (!http_form(r, "csrf", csrf, sizeof(csrf)) ||
		    !parse_token_equal(csrf, x.s.csrf)) {
			log_warnx("%s from %s for %s: refused, no valid CSRF "
				  "token", url, x.dev.host, x.s.user);
			return http_message(c, &x.pc, 403, "Refused",
					    "The form has expired or did not "
					    "come from this page; reload the "
					    "page and try again.");
		}
		if (!strcmp(url, "/room"))
			return hd_room_action(&x);
		return hd_action(&x, url + 1);
	}
	if (!strcmp(url, "/room") && !post)
		return x.have_sess ? hd_room_page(&x) : redirect(c, "/", 303);
	return http_message(c, &x.pc, 404, "Not found",
			    "There is no such page.");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	struct req *r = *con_cls;
	struct page_ctx pc = { l->h->conf, l->h->https, l->url };

	if (!r) {
		const char *cl;

		r = xcalloc(1, sizeof(*r));
		*con_cls = r;
		r->post = !strcmp(method, "POST");
		if (!r->post && strcmp(method, "GET") &&
		    strcmp(method, "HEAD"))
			return http_message(c, &pc, 405, "Not allowed",
					    "Only GET and POST are served "
					    "here.");
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						 "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > BODY_MAX)
			return http_message(c, &pc, 413, "Too large",
					    "The request is too large.");
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->body.len + *upload_size > BODY_MAX)
			r->too_big = true;
		else
			sbuf_addn(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->too_big)
		return http_message(c, &pc, 413, "Too large",
				    "The request is too large.");
	return route(l, c, url, r);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode why)
{
	struct req *r = *con_cls;

	if (!r)
		return;
	if (r->body.s)
		explicit_bzero(r->body.s, r->body.cap);
	sbuf_free(&r->body);
	free(r);
	*con_cls = NULL;
}

/* The last connection gone: what a burst of them left in malloc's
 * arenas goes back to the system (a thread per connection: their
 * buffers are freed in many places, rarely at an arena's top). */
static void on_conn(void *cls, struct MHD_Connection *c, void **socket_ctx,
		    enum MHD_ConnectionNotificationCode code)
{
	struct httpd *h = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&h->live, 1);
	else if (atomic_fetch_sub(&h->live, 1) == 1)
		malloc_trim(0);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_warnx("http: %s", buf);
}

int httpd_start(struct httpd *h, struct auth *a, struct dbpool *pool,
		char *err, size_t errlen)
{
	const struct tq_conf *c = h->conf;
	size_t i;

	h->auth = a;
	h->pool = pool;
	h->sess = sess_new(MAX_SESSIONS, (unsigned)c->portal_session_timeout);
	h->rl = rl_new((unsigned)c->portal_login_rate, RL_SLOTS);
	for (i = 0; i < h->nls; i++) {
		struct listener *l = &h->ls[i];
		unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
				 MHD_USE_INTERNAL_POLLING_THREAD |
				 MHD_USE_POLL | MHD_USE_ERROR_LOG;

		if (l->tls)
			flags |= MHD_USE_TLS;
		if (l->addr.family == AF_INET6)
			flags |= MHD_USE_IPv6;
		l->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l,
			MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			MHD_OPTION_LISTEN_SOCKET, l->fd,
			MHD_OPTION_CONNECTION_LIMIT,
			(unsigned)c->portal_max_connections,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			(unsigned)c->portal_per_address,
			MHD_OPTION_CONNECTION_TIMEOUT, 30u,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
			MHD_OPTION_THREAD_STACK_SIZE, (size_t)512 * 1024,
			MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
			l->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END,
			h->key,
			MHD_OPTION_HTTPS_MEM_CERT, h->cert,
			MHD_OPTION_END);
		if (!l->d)
			return tq_err(err, errlen, "cannot serve %s port %u "
				      "(libmicrohttpd refused; a bad "
				      "certificate or key?)", l->addrs,
				      l->port);
		log_info("serving %s on %s port %u%s", l->tls ? "HTTPS" :
			 l->redirect_only ? "redirects to HTTPS" : "HTTP",
			 l->addrs, l->port, l->tls || l->redirect_only ? "" :
			 " (plain HTTP: set portal.cert and portal.key)");
	}
	return 0;
}

void httpd_free(struct httpd *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->nls; i++) {
		if (h->ls[i].d)
			MHD_stop_daemon(h->ls[i].d);
		else
			close(h->ls[i].fd);
	}
	free(h->ls);
	sess_free(h->sess);
	rl_free(h->rl);
	tls_free_key(h->key);
	free(h->cert);
	pthread_mutex_destroy(&h->rl_lock);
	free(h);
}
