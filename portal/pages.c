/* pages.c - the portal's HTML pages, assets and JSON (pages.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "chart.h"
#include "masq.h"
#include "pages.h"
#include "request.h"
#include "tool.h"
#include "util.h"

const char page_css[] =
	"*{box-sizing:border-box}"
	"body{font-family:system-ui,sans-serif;margin:0 auto;max-width:36em;"
	"padding:1em;line-height:1.4;color:#222;background:#fafafa}"
	"h1{font-size:1.4em;margin:.2em 0 .6em}"
	"h2{font-size:1.1em;margin:1.2em 0 .4em}"
	"label{display:block;margin:.6em 0 .2em}"
	"input[type=text],input[type=password]{width:100%;padding:.6em;"
	"font-size:1em;border:1px solid #999;border-radius:4px}"
	"button{font-size:1em;padding:.6em 1.2em;margin:.6em .4em .2em 0;"
	"border:0;border-radius:4px;background:#2a7ab0;color:#fff}"
	"button.close{background:#b0412a}"
	"button.quiet{background:#666}"
	".banner{padding:.6em;border-radius:4px;margin:.6em 0}"
	".warn{background:#fde8c8;border:1px solid #e0a040}"
	".error{background:#f8d0d0;border:1px solid #c04040}"
	".note{background:#e0eef8;border:1px solid #80a8d0}"
	"table{border-collapse:collapse;width:100%}"
	"td,th{text-align:left;padding:.3em .4em;border-bottom:1px solid #ddd;"
	"vertical-align:top}"
	".big{font-size:1.6em;font-variant-numeric:tabular-nums}"
	".chart{width:100%;height:auto;max-width:28em}"
	"form.inline{display:inline}"
	"footer{margin-top:2em;font-size:.85em;color:#666}";

const char page_js[] =
	"(function(){'use strict';\n"
	"var left=document.getElementById('left');\n"
	"var bal=document.getElementById('balance');\n"
	"var money=document.getElementById('money');\n"
	"if(!left)return;\n"
	"var secs=parseInt(left.getAttribute('data-seconds'),10);\n"
	"var open=left.getAttribute('data-open')==='1';\n"
	"function hms(s){var n=s<0?-s:s,h=Math.floor(n/3600),"
	"m=Math.floor(n/60)%60,x=n%60;return (s<0?'-':'')+h+':'+"
	"(m<10?'0':'')+m+':'+(x<10?'0':'')+x;}\n"
	"function show(){left.textContent=secs<0?'unlimited':hms(secs);}\n"
	"setInterval(function(){if(open&&secs>0){secs--;show();}},1000);\n"
	"function refresh(){fetch('/api/status',{credentials:'same-origin',"
	"cache:'no-store'}).then(function(r){return r.ok?r.json():null;})"
	".then(function(j){if(!j)return;secs=j['seconds-left'];"
	"open=j.open;show();if(bal){bal.textContent=j['balance-hms'];"
	"bal.setAttribute('data-seconds',j.balance);}"
	"if(money)money.textContent=j.money;}).catch(function(){});}\n"
	"setInterval(refresh,5000);\n"
	"})();\n";

static void head(struct sbuf *b, const struct page_ctx *pc, const char *title)
{
	sbuf_add(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		 "<meta charset=\"utf-8\">"
		 "<meta name=\"viewport\" content=\"width=device-width, "
		 "initial-scale=1\">"
		 "<link rel=\"stylesheet\" href=\"/portal.css\">"
		 "<title>");
	sbuf_html(b, title);
	sbuf_add(b, " - tcpquota</title></head><body>\n");
	if (!pc->https)
		sbuf_add(b, "<p class=\"banner warn\" id=\"plain-http\">This "
			 "portal is served over plain HTTP: anyone on this "
			 "network can read what you send.  Ask the "
			 "administrator to set portal.cert and "
			 "portal.key.</p>\n");
}

static void foot(struct sbuf *b)
{
	sbuf_add(b, "<footer>tcpquota-portal " TQ_VERSION "</footer>"
		 "</body></html>\n");
}

static void csrf_field(struct sbuf *b, const char *csrf)
{
	sbuf_add(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
	sbuf_html(b, csrf);
	sbuf_add(b, "\">");
}

void page_login(struct sbuf *b, const struct page_ctx *pc, const char *csrf,
		const char *error, const char *user)
{
	head(b, pc, "Log in");
	sbuf_add(b, "<h1>Internet access</h1>\n");
	if (error) {
		sbuf_add(b, "<p class=\"banner error\" id=\"error\" "
			 "role=\"alert\">");
		sbuf_html(b, error);
		sbuf_add(b, "</p>\n");
	}
	sbuf_add(b, "<p>Log in with your account on this gateway to open "
		 "the Internet for this device.</p>\n"
		 "<form method=\"post\" action=\"/login\" id=\"login\">");
	csrf_field(b, csrf);
	sbuf_add(b, "<label for=\"user\">User name</label>"
		 "<input type=\"text\" id=\"user\" name=\"user\" "
		 "autocomplete=\"username\" autocapitalize=\"none\" "
		 "required value=\"");
	sbuf_html(b, user ? user : "");
	sbuf_add(b, "\"><label for=\"password\">Password</label>"
		 "<input type=\"password\" id=\"password\" name=\"password\" "
		 "autocomplete=\"current-password\" required>"
		 "<button type=\"submit\" id=\"submit\">Log in</button>"
		 "</form>\n");
	foot(b);
}

static void money(const struct tq_conf *c, long long s, char *buf, size_t n)
{
	tool_money(s, c->money_per_minute, c->money_unit, buf, n);
}

static void post_button(struct sbuf *b, const char *action, const char *id,
			const char *cls, const char *label, const char *csrf)
{
	sbuf_printf(b, "<form class=\"inline\" method=\"post\" "
		    "action=\"%s\">", action);
	csrf_field(b, csrf);
	sbuf_printf(b, "<button type=\"submit\" id=\"%s\"%s%s%s>%s</button>"
		    "</form>", id, cls ? " class=\"" : "", cls ? cls : "",
		    cls ? "\"" : "", label);
}

static const char *state_of(const struct dev_status *st, const char *user)
{
	const struct tooldb_masq *m = &st->row.m;

	if (!st->nrows)
		return "closed";
	if (strcmp(m->name, user))
		return m->free == MASQ_PAID ? "opened by another user" :
		       "open for free access";
	return masq_open_str(m->open);
}

/* The last 7 days, oldest first, labelled by weekday ("today" last). */
static void days_chart(struct sbuf *b, const struct dev_status *st)
{
	static const char *const wd[7] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	struct chart_day d[CHART_DAYS];
	time_t now = time(NULL);
	struct tm tm;
	int i;

	localtime_r(&now, &tm);
	for (i = 0; i < CHART_DAYS; i++) {
		int age = CHART_DAYS - 1 - i;

		snprintf(d[i].label, sizeof(d[i].label), "%s", age == 0 ?
			 "today" : wd[((tm.tm_wday - age) % 7 + 7) % 7]);
		d[i].seconds = st->days[age];
	}
	chart_svg(b, d, CHART_DAYS);
}

void page_status(struct sbuf *b, const struct page_ctx *pc,
		 const struct sess_info *s, const struct device *d,
		 const struct dev_status *st, const char *flash)
{
	const struct tq_conf *c = pc->conf;
	char hms[32], mbuf[64], tbuf[32];
	bool mine = st->nrows && !strcmp(st->row.m.name, s->user);

	head(b, pc, "Status");
	sbuf_add(b, "<h1>Internet access</h1>\n<p>Logged in as <b id=\"who\">");
	sbuf_html(b, s->user);
	sbuf_add(b, "</b>. ");
	post_button(b, "/logout", "logout", "quiet", "Log out", s->csrf);
	if (s->admin)
		sbuf_add(b, " <a href=\"/room\" id=\"room-link\">Rooms</a>");
	sbuf_add(b, "</p>\n");
	if (flash && *flash) {
		sbuf_add(b, "<p class=\"banner note\" id=\"flash\" "
			 "role=\"status\">");
		sbuf_html(b, flash);
		sbuf_add(b, "</p>\n");
	}
	if (st->left >= 0 && st->left < c->portal_warn_seconds)
		sbuf_printf(b, "<p class=\"banner warn\" id=\"low\" "
			    "role=\"alert\">Less than %s left at the current "
			    "rate.</p>\n", chart_hms(c->portal_warn_seconds,
						     tbuf, sizeof(tbuf)));

	sbuf_add(b, "<h2>This device</h2>\n<table>");
	sbuf_add(b, "<tr><th>Address</th><td id=\"host\">");
	sbuf_html(b, d->host);
	sbuf_add(b, "</td></tr>");
	if (d->has_mac)
		sbuf_printf(b, "<tr><th>MAC</th><td id=\"mac\">%s</td></tr>",
			    d->macs);
	sbuf_add(b, "<tr><th>State</th><td id=\"state\">");
	sbuf_html(b, state_of(st, s->user));
	sbuf_add(b, "</td></tr></table>\n<p>");
	if (mine && st->row.m.open == MASQ_OPENED)
		post_button(b, "/close", "close", "close", "Close", s->csrf);
	else if (!st->nrows)
		post_button(b, "/open", "open", NULL, "Open the Internet",
			    s->csrf);
	sbuf_add(b, "</p>\n");

	money(c, st->quota, mbuf, sizeof(mbuf));
	sbuf_printf(b, "<h2>Balance</h2>\n<p class=\"big\"><span "
		    "id=\"balance\" data-seconds=\"%lld\">%s</span> "
		    "(<span id=\"money\">", st->quota,
		    chart_hms(st->quota, hms, sizeof(hms)));
	sbuf_html(b, mbuf);
	sbuf_add(b, "</span>)</p>\n");
	sbuf_printf(b, "<p>Time left at the current rate: <b id=\"left\" "
		    "data-seconds=\"%lld\" data-open=\"%d\">%s</b></p>\n",
		    st->left, st->open ? 1 : 0, st->left < 0 ? "unlimited" :
		    chart_hms(st->left, hms, sizeof(hms)));
	sbuf_printf(b, "<p>Rate now: <span id=\"rate\">%g</span>, shared by "
		    "<span id=\"sharing\">%d</span> user%s online: <span "
		    "id=\"cost\">%lld</span> s of your balance every %d s "
		    "online.</p>\n", st->rate, st->sharing,
		    st->sharing == 1 ? "" : "s", st->cost, c->period);

	sbuf_printf(b, "<h2>Usage</h2>\n<p>Today: <span id=\"today\">%s"
		    "</span></p>\n", chart_hms(st->days[0], hms,
					       sizeof(hms)));
	days_chart(b, st);
	sbuf_add(b, "\n<script src=\"/portal.js\"></script>\n");
	foot(b);
}

/* A room member's row: "closed", "open, free", "open, paid by alice". */
static void member_state(struct sbuf *b, const struct tooldb_masq *m, int rc)
{
	if (rc < 0) {
		sbuf_add(b, "?");
		return;
	}
	if (rc == 0) {
		sbuf_add(b, "closed");
		return;
	}
	sbuf_html(b, masq_open_str(m->open));
	sbuf_add(b, m->free == MASQ_PAID ? ", paid by " : ", ");
	sbuf_html(b, m->free == MASQ_PAID ? m->name : masq_free_str(m->free));
}

/* One room: its state, its buttons, its hosts. */
static void room(struct sbuf *b, const struct page_ctx *pc,
		 const struct sess_info *s, struct tool_ctx *t,
		 const struct tq_group *g)
{
	struct rq_hosts l = { 0 };
	struct tooldb_masq m;
	char err[256];
	size_t i, nfree = 0, nheld = 0;
	struct sbuf rows;
	int rc;

	sbuf_init(&rows);
	for (i = 0; i < g->n_members; i++)
		if (rq_resolve(g->members[i], &l, err, sizeof(err)) < 0) {
			sbuf_add(&rows, "<tr><td>");
			sbuf_html(&rows, g->members[i]);
			sbuf_add(&rows, "</td><td>no address</td></tr>");
		}
	for (i = 0; i < l.n; i++) {
		rc = tooldb_masq_find(t->db, pc->conf->gateway, l.h[i], &m);
		if (rc == 1 && m.free == MASQ_FREE)
			nfree++;
		else if (rc == 1)
			nheld++;
		sbuf_add(&rows, "<tr><td>");
		sbuf_html(&rows, l.h[i]);
		sbuf_add(&rows, "</td><td>");
		member_state(&rows, &m, rc);
		sbuf_add(&rows, "</td></tr>");
	}
	sbuf_add(b, "<h2>");
	sbuf_html(b, g->name);
	sbuf_add(b, ": <span id=\"state-");
	sbuf_html(b, g->name);
	sbuf_printf(b, "\">%s</span></h2>\n", !nfree ? "closed" :
		    nfree + nheld == l.n ? "open" : "partly open");
	sbuf_add(b, "<form class=\"inline\" method=\"post\" "
		 "action=\"/room\">");
	csrf_field(b, s->csrf);
	sbuf_add(b, "<input type=\"hidden\" name=\"room\" value=\"");
	sbuf_html(b, g->name);
	sbuf_add(b, "\"><button type=\"submit\" name=\"do\" value=\"open\" "
		 "id=\"open-");
	sbuf_html(b, g->name);
	sbuf_add(b, "\">Open for free</button><button type=\"submit\" "
		 "name=\"do\" value=\"close\" class=\"close\" id=\"close-");
	sbuf_html(b, g->name);
	sbuf_add(b, "\">Close</button></form>\n<table id=\"hosts-");
	sbuf_html(b, g->name);
	sbuf_add(b, "\">");
	sbuf_addn(b, rows.s ? rows.s : "", rows.len);
	sbuf_add(b, "</table>\n");
	sbuf_free(&rows);
	rq_hosts_free(&l);
}

void page_room(struct sbuf *b, const struct page_ctx *pc,
	       const struct sess_info *s, struct tool_ctx *t,
	       const char *flash)
{
	const struct tq_conf *c = pc->conf;
	size_t i;

	head(b, pc, "Rooms");
	sbuf_add(b, "<h1>Rooms</h1>\n<p><a href=\"/\">Back to your "
		 "status</a></p>\n");
	if (flash && *flash) {
		sbuf_add(b, "<p class=\"banner note\" id=\"flash\" "
			 "role=\"status\">");
		sbuf_html(b, flash);
		sbuf_add(b, "</p>\n");
	}
	sbuf_add(b, "<p>Opening a room gives its hosts free Internet access "
		 "(no user's balance is charged; only within the "
		 "free-access hours) until it is closed; a host a user has "
		 "opened is left as it is.  The same as <code>openfw "
		 "ROOM</code> on the gateway.</p>\n");
	if (!c->n_groups)
		sbuf_add(b, "<p>No rooms are configured (groups in "
			 "tcpquota.conf).</p>\n");
	for (i = 0; i < c->n_groups; i++)
		room(b, pc, s, t, &c->groups[i]);
	foot(b);
}

void page_message(struct sbuf *b, const struct page_ctx *pc,
		  const char *title, const char *msg)
{
	head(b, pc, title);
	sbuf_add(b, "<h1>");
	sbuf_html(b, title);
	sbuf_add(b, "</h1>\n<p class=\"banner error\" id=\"error\">");
	sbuf_html(b, msg);
	sbuf_add(b, "</p>\n<p><a href=\"/\">Back</a></p>\n");
	foot(b);
}

static void json_out(struct sbuf *b, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	if (s) {
		sbuf_add(b, s);
		free(s);
	}
}

void page_api_status(struct sbuf *b, const struct page_ctx *pc,
		     const struct device *d, const struct dev_status *st)
{
	const struct tq_conf *c = pc->conf;
	char hms[32], mbuf[64];
	json_t *o = json_object();

	money(c, st->quota, mbuf, sizeof(mbuf));
	json_object_set_new(o, "user", tool_json_str(st->user));
	json_object_set_new(o, "device", json_string(d->host));
	json_object_set_new(o, "mac", d->has_mac ? json_string(d->macs) :
			    json_null());
	json_object_set_new(o, "state", json_string(st->user ?
					state_of(st, st->user) : "closed"));
	json_object_set_new(o, "open", json_boolean(st->open));
	json_object_set_new(o, "balance", json_integer(st->quota));
	json_object_set_new(o, "balance-hms", json_string(
				    chart_hms(st->quota, hms, sizeof(hms))));
	json_object_set_new(o, "money", tool_json_str(mbuf));
	json_object_set_new(o, "rate", json_real(st->rate));
	json_object_set_new(o, "sharing", json_integer(st->sharing));
	json_object_set_new(o, "cost", json_integer(st->cost));
	json_object_set_new(o, "seconds-left", json_integer(st->left));
	json_object_set_new(o, "warn", json_boolean(st->left >= 0 &&
				st->left < c->portal_warn_seconds));
	json_out(b, o);
}

void page_api_captive(struct sbuf *b, const struct page_ctx *pc,
		      const struct dev_status *st)
{
	json_t *o = json_object();

	json_object_set_new(o, "captive", json_boolean(!st->open));
	json_object_set_new(o, "user-portal-url", json_string(pc->url));
	if (st->open && st->left >= 0)
		json_object_set_new(o, "seconds-remaining",
				    json_integer(st->left));
	/* The balance is topped up by an administrator, not here. */
	if (st->open)
		json_object_set_new(o, "can-extend-session", json_false());
	json_out(b, o);
}
