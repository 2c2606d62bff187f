/* handlers.c - what a checked request asks for (handlers.h): the login,
 * the status and room pages, the JSON answers, open, close, log-out,
 * a room's open and close (teachers only: quota.admin_group).
 *
 * Invariants: a handler runs only after route() (http.c) has checked the
 * Host, the Origin of a POST and, for a session's POST, its CSRF token;
 * a database connection is taken from the pool and given back within
 * the handler; a password lives on the stack only, and is wiped before
 * the handler answers.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "handlers.h"
#include "log.h"
#include "masq.h"
#include "ratelimit.h"
#include "request.h"
#include "util.h"

enum MHD_Result hd_login_page(struct ctx *x, unsigned status,
			      const char *error, const char *user,
			      unsigned retry)
{
	struct answer a = { .status = status };
	char pre[PARSE_TOKEN_HEX], retry_s[16];
	struct sbuf b;

	if (!http_cookie(x->c, LOGIN_COOKIE, pre)) {
		if (sess_random_token(pre) < 0)
			return http_message(x->c, &x->pc, 500, "Error",
					    "no randomness available");
		http_set_cookie(x->h, a.cookie[0], LOGIN_COOKIE, pre, 3600);
	}
	if (retry) {
		snprintf(retry_s, sizeof(retry_s), "%u", retry);
		a.retry_after = retry_s;
	}
	sbuf_init(&b);
	page_login(&b, &x->pc, pre, error, user);
	return http_reply(x->c, &a, &b);
}

static int with_db(struct ctx *x, struct tool_ctx **t)
{
	char err[256];

	*t = dbpool_get(x->h->pool, err, sizeof(err));
	if (!*t) {
		log_warnx("database: %s", err);
		return -1;
	}
	return 0;
}

static enum MHD_Result db_down(struct ctx *x)
{
	return http_message(x->c, &x->pc, 503, "Try again later",
			    "The gateway's database cannot be reached.");
}

enum MHD_Result hd_login(struct ctx *x)
{
	struct httpd *h = x->h;
	char pre[PARSE_TOKEN_HEX], csrf[PARSE_TOKEN_HEX], user[DB_NAME_BYTES];
	char pw[512], why[256], ka[RL_KEY_BYTES], ku[RL_KEY_BYTES];
	char nerr[128], pwbuf[4096];
	struct passwd pwd, *pwp = NULL;
	struct tooldb_user u;
	struct tool_ctx *t;
	struct answer a = { .status = 303, .location = "/" };
	uint64_t now = tq_now_us() / 1000000;
	unsigned wait, wu;
	int rc;

	if (!http_cookie(x->c, LOGIN_COOKIE, pre) ||
	    !http_form(x->r, "csrf", csrf, sizeof(csrf)) ||
	    !parse_token_equal(pre, csrf))
		return hd_login_page(x, 403, "The form has expired; please log "
				     "in again.", NULL, 0);
	if (!http_form(x->r, "user", user, sizeof(user)))
		user[0] = '\0';
	if (!http_form(x->r, "password", pw, sizeof(pw)))
		pw[0] = '\0';
	snprintf(ka, sizeof(ka), "a:%s", x->dev.host);
	snprintf(ku, sizeof(ku), "u:%s", user);
	pthread_mutex_lock(&h->rl_lock);
	wait = rl_wait(h->rl, ka, now);
	wu = rl_wait(h->rl, ku, now);
	pthread_mutex_unlock(&h->rl_lock);
	if (wu > wait)
		wait = wu;
	if (wait) {
		char msg[128];

		explicit_bzero(pw, sizeof(pw));
		log_warnx("login of %s from %s held back: too many failures "
			  "(%u s to wait)", user, x->dev.host, wait);
		snprintf(msg, sizeof(msg), "Too many failed logins; wait %u "
			 "seconds and try again.", wait);
		return hd_login_page(x, 429, msg, user, wait);
	}
	if (db_check_name(user, nerr, sizeof(nerr)) < 0) {
		rc = AUTH_DENIED;
		snprintf(why, sizeof(why), "invalid user name: %s", nerr);
	} else {
		rc = auth_check(h->auth, user, pw, x->dev.host, why,
				sizeof(why));
	}
	explicit_bzero(pw, sizeof(pw));
	if (rc != AUTH_OK) {
		pthread_mutex_lock(&h->rl_lock);
		rl_fail(h->rl, ka, now);
		rl_fail(h->rl, ku, now);
		pthread_mutex_unlock(&h->rl_lock);
		log_warnx("failed login of %s from %s: %s", user, x->dev.host,
			  why);
		if (rc < 0)
			return http_message(x->c, &x->pc, 503,
					    "Try again later",
					    "Passwords cannot be checked now.");
		return hd_login_page(x, 403, "Wrong user name or password.",
				     user, 0);
	}
	if (with_db(x, &t) < 0)
		return db_down(x);
	rc = tooldb_user_get(t->db, user, &u);
	dbpool_put(h->pool, t);
	if (rc < 0)
		return db_down(x);
	if (!u.allowed) {
		log_info("login of %s from %s: not in allowed", user,
			 x->dev.host);
		return hd_login_page(x, 403, "You are not allowed to use the "
				     "Internet link; ask an administrator.",
				     user, 0);
	}
	memset(&x->s, 0, sizeof(x->s));
	tq_strlcpy(x->s.user, user, sizeof(x->s.user));
	if (getpwnam_r(user, &pwd, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
		x->s.admin = toolctx_in_group(pwd.pw_uid, user, pwd.pw_gid,
					      h->conf->admin_group);
	x->s.addr = x->dev.addr;
	x->s.has_mac = x->dev.has_mac;
	memcpy(x->s.mac, x->dev.mac, 6);
	if (sess_create(h->sess, &x->s, now, x->token) < 0)
		return http_message(x->c, &x->pc, 500, "Error",
				    "no randomness available");
	log_info("login of %s from %s%s%s%s", user, x->dev.host,
		 x->dev.has_mac ? " (" : "", x->dev.macs,
		 x->dev.has_mac ? ")" : "");
	http_set_cookie(h, a.cookie[0], COOKIE, x->token,
			h->conf->portal_session_timeout);
	http_set_cookie(h, a.cookie[1], LOGIN_COOKIE, "", 0);
	return http_reply(x->c, &a, NULL);
}

/* device_status() on a connection of the pool.  0 / -1 (logged). */
static int status_of(struct ctx *x, const char *user, bool days,
		     struct dev_status *st)
{
	struct tool_ctx *t;
	char msg[256];
	int rc;

	if (with_db(x, &t) < 0)
		return -1;
	rc = device_status(t, &x->dev, user, days, st, msg, sizeof(msg));
	dbpool_put(x->h->pool, t);
	if (rc < 0)
		log_warnx("%s", msg);
	return rc;
}

enum MHD_Result hd_status_page(struct ctx *x)
{
	struct answer a = { .status = 200 };
	struct dev_status st;
	struct sbuf b;

	if (status_of(x, x->s.user, true, &st) < 0)
		return db_down(x);
	sbuf_init(&b);
	page_status(&b, &x->pc, &x->s, &x->dev, &st, x->s.flash);
	return http_reply(x->c, &a, &b);
}

enum MHD_Result hd_api(struct ctx *x, bool captive)
{
	struct answer a = { .status = 200 };
	struct dev_status st;
	struct sbuf b;

	a.type = captive ? "application/captive+json" : "application/json";
	if (!captive && !x->have_sess) {
		a.status = 401;
		sbuf_init(&b);
		sbuf_add(&b, "{\"error\":\"not logged in\"}");
		return http_reply(x->c, &a, &b);
	}
	if (status_of(x, captive ? NULL : x->s.user, false, &st) < 0)
		return db_down(x);
	sbuf_init(&b);
	if (captive)
		page_api_captive(&b, &x->pc, &st);
	else
		page_api_status(&b, &x->pc, &x->dev, &st);
	return http_reply(x->c, &a, &b);
}

/* POST /open, /close, /logout; a log-out closes this device too. */
enum MHD_Result hd_action(struct ctx *x, const char *what)
{
	struct answer a = { .status = 303, .location = "/" };
	struct tool_ctx *t;
	char msg[256] = "";
	int rc;

	if (with_db(x, &t) < 0)
		return db_down(x);
	if (!strcmp(what, "open")) {
		rc = device_open(t, &x->dev, x->s.user, msg, sizeof(msg));
		if (rc == 0)
			tq_strlcpy(msg, "This device is open.", sizeof(msg));
	} else {
		rc = device_close(t, &x->dev, x->s.user, msg, sizeof(msg));
		if (rc == 0)
			tq_strlcpy(msg, "This device is closed.",
				   sizeof(msg));
	}
	dbpool_put(x->h->pool, t);
	if (!strcmp(what, "logout")) {
		sess_drop(x->h->sess, x->token);
		http_set_cookie(x->h, a.cookie[0], COOKIE, "", 0);
		log_info("logout of %s from %s", x->s.user, x->dev.host);
		return http_reply(x->c, &a, NULL);
	}
	sess_flash(x->h->sess, x->token, msg);
	return http_reply(x->c, &a, NULL);
}

enum MHD_Result hd_room_page(struct ctx *x)
{
	struct answer a = { .status = 200 };
	struct tool_ctx *t;
	struct sbuf b;

	if (!x->s.admin)
		return http_message(x->c, &x->pc, 403, "Not allowed",
				    "The room page is for members of the "
				    "administrators' group.");
	if (with_db(x, &t) < 0)
		return db_down(x);
	sbuf_init(&b);
	page_room(&b, &x->pc, &x->s, t, x->s.flash);
	dbpool_put(x->h->pool, t);
	return http_reply(x->c, &a, &b);
}

enum MHD_Result hd_asset(struct MHD_Connection *c, const char *type,
			 const char *text)
{
	struct answer a = { .status = 200, .type = type, .asset = true };
	struct sbuf b;

	sbuf_init(&b);
	sbuf_add(&b, text);
	return http_reply(c, &a, &b);
}

/* What a room's step did, gathered for the teacher's page. */
struct room_tally {
	int done, failed, held;
	bool open;
	char first_held[TQ_ADDRSTRLEN + DB_NAME_BYTES + 8];
	char first_failed[TQ_ADDRSTRLEN + 64];
};

static void room_event(void *arg, const struct rq_event *ev)
{
	struct room_tally *r = arg;

	switch (ev->kind) {
	case RQ_EV_HELD:
		if (!r->held++)
			snprintf(r->first_held, sizeof(r->first_held),
				 "%s (%s)", ev->host, ev->m->free == MASQ_PAID ?
				 ev->m->name : masq_free_str(ev->m->free));
		break;
	case RQ_EV_UNLOGGED:
		log_warnx("room: cannot write logging_openfw: %s", ev->text);
		break;
	case RQ_EV_START:
		r->open = ev->open;
		break;
	case RQ_EV_HOST:
		if (ev->result == RQ_OK) {
			r->done++;
		} else if (!r->failed++) {
			snprintf(r->first_failed, sizeof(r->first_failed),
				 "%s: %s", ev->host,
				 ev->result == RQ_DENIED ? "refused by the "
				 "gateway" : ev->result == RQ_TIMEOUT ?
				 "the gateway is not answering" :
				 "database error");
		}
		break;
	default:
		break;
	}
}

/* The flash message of a room's step. */
static void room_said(struct sbuf *b, const char *room, bool open, int rc,
		      const struct room_tally *r, const char *why)
{
	switch (rc) {
	case RQ_OK:
	case RQ_FAILED:
		sbuf_printf(b, "Room %s %s: %d host%s %s.", room, r->open ?
			    "opened for free access" : "closed", r->done,
			    r->done == 1 ? "" : "s",
			    r->open ? "opened" : "closed");
		if (r->failed)
			sbuf_printf(b, " %d did not answer as asked (%s).",
				    r->failed, r->first_failed);
		if (r->held)
			sbuf_printf(b, " %d held by users, left as %s "
				    "(%s%s).", r->held, r->held == 1 ?
				    "it is" : "they are", r->first_held,
				    r->held > 1 ? ", ..." : "");
		break;
	case RQ_EMPTY:
		sbuf_printf(b, "Room %s has no host with an address.", room);
		break;
	case RQ_NOTHING:
		sbuf_printf(b, "Room %s: no host to %s.", room,
			    open ? "open" : "close");
		break;
	case RQ_HOURS:
		sbuf_printf(b, "Room %s: free access is not allowed at this "
			    "time (free_access in the configuration).", room);
		break;
	default:
		sbuf_printf(b, "Room %s: database error: %s", room, why);
	}
}

enum MHD_Result hd_room_action(struct ctx *x)
{
	struct answer a = { .status = 303, .location = "/room" };
	struct room_tally tally = { 0 };
	struct rq_room rr = { .who = x->s.user, .cb = room_event,
			      .arg = &tally };
	char room[64], what[8], note[TQ_ADDRSTRLEN + 24], why[256];
	struct sbuf msg;
	struct tool_ctx *t;
	int rc;

	if (!x->s.admin) {
		log_warnx("room action of %s from %s refused: not in group %s",
			  x->s.user, x->dev.host, x->h->conf->admin_group);
		return http_message(x->c, &x->pc, 403, "Not allowed",
				    "Rooms are opened and closed by members "
				    "of the administrators' group only.");
	}
	if (!http_form(x->r, "room", room, sizeof(room)) ||
	    !(rr.g = conf_group(x->h->conf, room)))
		return http_message(x->c, &x->pc, 400, "No such room",
				    "There is no such room; reload the room "
				    "page.");
	if (!http_form(x->r, "do", what, sizeof(what)) ||
	    (strcmp(what, "open") && strcmp(what, "close")))
		return http_message(x->c, &x->pc, 400, "Error",
				    "Open or close?  Use the room page's "
				    "buttons.");
	rr.mode = !strcmp(what, "open") ? RQ_ROOM_OPEN : RQ_ROOM_CLOSE;
	tally.open = rr.mode == RQ_ROOM_OPEN;
	snprintf(note, sizeof(note), "(portal, from %s)", x->dev.host);
	rr.note = note;
	if (with_db(x, &t) < 0)
		return db_down(x);
	rc = rq_room(t, &rr, why, sizeof(why));
	dbpool_put(x->h->pool, t);
	sbuf_init(&msg);
	room_said(&msg, rr.g->name, tally.open, rc, &tally, why);
	log_info("room %s: %s by %s from %s: %s", rr.g->name, what,
		 x->s.user, x->dev.host, msg.s);
	sess_flash(x->h->sess, x->token, msg.s);
	sbuf_free(&msg);
	return http_reply(x->c, &a, NULL);
}
