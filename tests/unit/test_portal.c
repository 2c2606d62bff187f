/* test_portal.c - the portal's pure parts: form bodies, cookies, Host
 * headers and URLs, tokens and CSRF comparison, the failed-login limiter,
 * the session table, the SVG chart, HTML escaping, the portal section of
 * the configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "conf.h"
#include "pages.h"
#include "parse.h"
#include "ratelimit.h"
#include "sbuf.h"
#include "session.h"
#include "tq_test.h"

static int form(const char *body, const char *name, char *out, size_t len)
{
	return parse_form_get(body, strlen(body), name, out, len);
}

static void test_form(void)
{
	char v[32];

	CU_ASSERT_EQUAL(form("user=alice&password=s%20e+cret%21", "password",
			     v, sizeof(v)), 1);
	CU_ASSERT_STRING_EQUAL(v, "s e cret!");
	CU_ASSERT_EQUAL(form("user=alice&password=x", "user", v, sizeof(v)),
			1);
	CU_ASSERT_STRING_EQUAL(v, "alice");
	/* absent, empty, a prefix of another name */
	CU_ASSERT_EQUAL(form("user=alice", "csrf", v, sizeof(v)), 0);
	CU_ASSERT_EQUAL(form("csrf=&user=a", "csrf", v, sizeof(v)), 1);
	CU_ASSERT_STRING_EQUAL(v, "");
	CU_ASSERT_EQUAL(form("csrf", "csrf", v, sizeof(v)), 1);
	CU_ASSERT_STRING_EQUAL(v, "");
	CU_ASSERT_EQUAL(form("csrfx=1", "csrf", v, sizeof(v)), 0);
	CU_ASSERT_EQUAL(form("", "csrf", v, sizeof(v)), 0);
	/* refused: twice, bad escapes, NUL, too long */
	CU_ASSERT_EQUAL(form("csrf=a&csrf=b", "csrf", v, sizeof(v)), -1);
	CU_ASSERT_EQUAL(form("user=%4", "user", v, sizeof(v)), -1);
	CU_ASSERT_EQUAL(form("user=%", "user", v, sizeof(v)), -1);
	CU_ASSERT_EQUAL(form("user=%zz", "user", v, sizeof(v)), -1);
	CU_ASSERT_EQUAL(form("user=a%00b", "user", v, sizeof(v)), -1);
	CU_ASSERT_EQUAL(form("user=0123456789012345678901234567890123",
			     "user", v, sizeof(v)), -1);
	/* exactly fits: 31 characters and the NUL */
	CU_ASSERT_EQUAL(form("user=0123456789012345678901234567890", "user",
			     v, sizeof(v)), 1);
	/* a body without its NUL: only len bytes count */
	CU_ASSERT_EQUAL(parse_form_get("user=abcdef", 8, "user", v,
				       sizeof(v)), 1);
	CU_ASSERT_STRING_EQUAL(v, "abc");
}

static void test_urldecode(void)
{
	char v[8];

	CU_ASSERT_EQUAL(parse_urldecode("%C3%A5+x", 8, v, sizeof(v)), 4);
	CU_ASSERT_STRING_EQUAL(v, "\xc3\xa5 x");
	CU_ASSERT_EQUAL(parse_urldecode("abc", 3, v, 0), -1);
	CU_ASSERT_EQUAL(parse_urldecode("abcdefgh", 8, v, sizeof(v)), -1);
}

static int cookie(const char *hdr, const char *name, char *out, size_t len)
{
	return parse_cookie_get(hdr, strlen(hdr), name, out, len);
}

static void test_cookie(void)
{
	char v[80];

	CU_ASSERT_EQUAL(cookie("a=1; tqp=abc; b=2", "tqp", v, sizeof(v)), 1);
	CU_ASSERT_STRING_EQUAL(v, "abc");
	CU_ASSERT_EQUAL(cookie("tqp_login=xyz;tqp=q", "tqp", v, sizeof(v)),
			1);
	CU_ASSERT_STRING_EQUAL(v, "q");
	CU_ASSERT_EQUAL(cookie("tqp_login=xyz", "tqp", v, sizeof(v)), 0);
	CU_ASSERT_EQUAL(cookie("  tqp=z  ", "tqp", v, sizeof(v)), 1);
	CU_ASSERT_STRING_EQUAL(v, "z");
	CU_ASSERT_EQUAL(cookie("tqp=1; tqp=2", "tqp", v, sizeof(v)), -1);
	CU_ASSERT_EQUAL(cookie("tqp=a\x01", "tqp", v, sizeof(v)), -1);
	CU_ASSERT_EQUAL(cookie("tqp=abcdef", "tqp", v, 4), -1);
	CU_ASSERT_EQUAL(cookie("", "tqp", v, sizeof(v)), 0);
}

static void test_tokens(void)
{
	char a[PARSE_TOKEN_HEX], b[PARSE_TOKEN_HEX];
	uint8_t raw[3] = { 0x00, 0xab, 0xff };
	char hex[7];

	parse_hex(raw, 3, hex);
	CU_ASSERT_STRING_EQUAL(hex, "00abff");
	CU_ASSERT_EQUAL(sess_random_token(a), 0);
	CU_ASSERT_EQUAL(sess_random_token(b), 0);
	CU_ASSERT(parse_token_ok(a));
	CU_ASSERT(strcmp(a, b) != 0);
	CU_ASSERT(parse_token_equal(a, a));
	CU_ASSERT(!parse_token_equal(a, b));
	strcpy(b, a);
	b[63] = b[63] == '0' ? '1' : '0';
	CU_ASSERT(!parse_token_equal(a, b));
	/* CSRF: an empty or short token never matches */
	CU_ASSERT(!parse_token_equal(a, ""));
	CU_ASSERT(!parse_token_equal("", ""));
	b[10] = '\0';
	CU_ASSERT(!parse_token_equal(b, b));
	strcpy(b, a);
	b[0] = 'A';		/* upper case is not ours */
	CU_ASSERT(!parse_token_ok(b));
}

static void test_host(void)
{
	char h[64];
	unsigned port;

	CU_ASSERT(parse_host_matches("198.18.1.1", "198.18.1.1", 80));
	CU_ASSERT(parse_host_matches("198.18.1.1:80", "198.18.1.1", 80));
	CU_ASSERT(!parse_host_matches("198.18.1.1:81", "198.18.1.1", 80));
	CU_ASSERT(parse_host_matches("[2001:db8:1::1]:80", "2001:db8:1::1",
				     80));
	CU_ASSERT(parse_host_matches("[2001:db8:1::1]", "2001:db8:1::1",
				     80));
	CU_ASSERT(parse_host_matches("Portal.LAN.", "portal.lan", 0));
	CU_ASSERT(!parse_host_matches("example.com", "198.18.1.1", 80));
	CU_ASSERT(!parse_host_matches("198.18.1.10", "198.18.1.1", 80));
	CU_ASSERT(!parse_host_matches("198.18.1.1:", "198.18.1.1", 80));
	CU_ASSERT(!parse_host_matches("198.18.1.1:99999", "198.18.1.1", 0));
	CU_ASSERT(!parse_host_matches("[::1", "::1", 0));
	CU_ASSERT(!parse_host_matches("", "198.18.1.1", 80));
	CU_ASSERT(!parse_host_matches(NULL, "198.18.1.1", 80));

	CU_ASSERT_EQUAL(parse_url_host("https://portal.lan/x", h, sizeof(h),
				       &port), 0);
	CU_ASSERT_STRING_EQUAL(h, "portal.lan");
	CU_ASSERT_EQUAL(port, 0);
	CU_ASSERT_EQUAL(parse_url_host("http://[2001:db8::1]:8080", h,
				       sizeof(h), &port), 0);
	CU_ASSERT_STRING_EQUAL(h, "2001:db8::1");
	CU_ASSERT_EQUAL(port, 8080);
	CU_ASSERT_EQUAL(parse_url_host("ftp://x/", h, sizeof(h), &port), -1);
	CU_ASSERT_EQUAL(parse_url_host("http://u@evil/", h, sizeof(h),
				       &port), -1);
	CU_ASSERT_EQUAL(parse_url_host("http:///", h, sizeof(h), &port), -1);
}

static void test_ratelimit(void)
{
	struct rl *r = rl_new(5, 4);
	int i;

	for (i = 0; i < 4; i++)
		rl_fail(r, "a:198.18.1.10", 1000 + i);
	CU_ASSERT_EQUAL(rl_wait(r, "a:198.18.1.10", 1004), 0);
	rl_fail(r, "a:198.18.1.10", 1010);
	/* five in a minute: wait until the first is a minute old */
	CU_ASSERT_EQUAL(rl_wait(r, "a:198.18.1.10", 1010), 50);
	CU_ASSERT_EQUAL(rl_wait(r, "a:198.18.1.10", 1059), 1);
	CU_ASSERT_EQUAL(rl_wait(r, "a:198.18.1.10", 1060), 0);
	/* the sixth failure moves the window on: the last five are
	 * 1001, 1002, 1003, 1010, 1060 */
	rl_fail(r, "a:198.18.1.10", 1060);
	CU_ASSERT_EQUAL(rl_wait(r, "a:198.18.1.10", 1060), 1);
	CU_ASSERT_EQUAL(rl_wait(r, "a:198.18.1.10", 1061), 0);
	/* other keys are not held */
	CU_ASSERT_EQUAL(rl_wait(r, "u:alice", 1010), 0);
	/* a flood of keys: the table stays bounded, the oldest goes */
	for (i = 0; i < 5; i++)
		rl_fail(r, "u:mallory", 2000);
	CU_ASSERT_EQUAL(rl_wait(r, "u:mallory", 2000), 60);
	for (i = 0; i < 100; i++) {
		char k[32];

		snprintf(k, sizeof(k), "u:x%d", i);
		rl_fail(r, k, 2001);
	}
	CU_ASSERT_EQUAL(rl_wait(r, "u:x99", 2001), 0);
	rl_free(r);

	/* a limit of one */
	r = rl_new(1, 8);
	rl_fail(r, "k", 10);
	CU_ASSERT_EQUAL(rl_wait(r, "k", 10), 60);
	CU_ASSERT_EQUAL(rl_wait(r, "k", 70), 0);
	rl_free(r);
}

static void test_sessions(void)
{
	struct sessions *s = sess_new(2, 100);
	struct sess_info in, out, in2;
	struct tq_addr a, b;
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 }, other[6] = { 2, 0, 0, 0, 0, 2 };
	char t1[PARSE_TOKEN_HEX], t2[PARSE_TOKEN_HEX], t3[PARSE_TOKEN_HEX];

	addr_parse("198.18.1.10", &a);
	addr_parse("198.18.1.11", &b);
	memset(&in, 0, sizeof(in));
	strcpy(in.user, "alice");
	in.addr = a;
	memcpy(in.mac, mac, 6);
	in.has_mac = true;
	CU_ASSERT_EQUAL(sess_create(s, &in, 1000, t1), 0);
	CU_ASSERT(parse_token_ok(in.csrf));
	CU_ASSERT_EQUAL(sess_get(s, t1, &a, mac, 1001, true, &out), 1);
	CU_ASSERT_STRING_EQUAL(out.user, "alice");
	CU_ASSERT(parse_token_equal(out.csrf, in.csrf));
	/* the same device under another address (its MAC) */
	CU_ASSERT_EQUAL(sess_get(s, t1, &b, mac, 1001, true, &out), 1);
	/* another device: no session */
	CU_ASSERT_EQUAL(sess_get(s, t1, &b, other, 1001, true, &out), 0);
	CU_ASSERT_EQUAL(sess_get(s, t1, &b, NULL, 1001, true, &out), 0);
	CU_ASSERT_EQUAL(sess_get(s, t1, &a, NULL, 1001, true, &out), 1);
	/* a flash is handed over once */
	sess_flash(s, t1, "This device is open.");
	CU_ASSERT_EQUAL(sess_get(s, t1, &a, mac, 1002, false, &out), 1);
	CU_ASSERT_STRING_EQUAL(out.flash, "");
	CU_ASSERT_EQUAL(sess_get(s, t1, &a, mac, 1002, true, &out), 1);
	CU_ASSERT_STRING_EQUAL(out.flash, "This device is open.");
	CU_ASSERT_EQUAL(sess_get(s, t1, &a, mac, 1002, true, &out), 1);
	CU_ASSERT_STRING_EQUAL(out.flash, "");
	/* unknown and malformed tokens */
	CU_ASSERT_EQUAL(sess_random_token(t3), 0);
	CU_ASSERT_EQUAL(sess_get(s, t3, &a, mac, 1002, true, &out), 0);
	CU_ASSERT_EQUAL(sess_get(s, "", &a, mac, 1002, true, &out), 0);
	/* full: the oldest goes */
	in2 = in;
	in2.has_mac = false;
	CU_ASSERT_EQUAL(sess_create(s, &in2, 1010, t2), 0);
	CU_ASSERT_EQUAL(sess_create(s, &in2, 1020, t3), 0);
	CU_ASSERT_EQUAL(sess_get(s, t1, &a, mac, 1020, true, &out), 0);
	CU_ASSERT_EQUAL(sess_get(s, t2, &a, NULL, 1020, true, &out), 1);
	CU_ASSERT_EQUAL(sess_count(s), 2);
	/* expiry, and log-out */
	CU_ASSERT_EQUAL(sess_get(s, t2, &a, NULL, 1110, true, &out), 0);
	CU_ASSERT_EQUAL(sess_count(s), 1);
	sess_drop(s, t3);
	CU_ASSERT_EQUAL(sess_get(s, t3, &a, NULL, 1021, true, &out), 0);
	CU_ASSERT_EQUAL(sess_count(s), 0);
	sess_free(s);
}

static void test_chart(void)
{
	struct chart_day d[3] = {
		{ "Mon", 0 }, { "<b>", 600 }, { "today", 1200 },
	};
	struct sbuf b;
	char hms[32];

	sbuf_init(&b);
	chart_svg(&b, d, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s, "<svg class=\"chart\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s, "30 minutes in all"));
	/* scaled to the largest: 120 px of bar for 1200 s */
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s, "y=\"22\" width=\"67\" "
				      "height=\"122\" fill=\"#2a7ab0\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s, "height=\"61\" fill=\"#7fb3d5\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s, "height=\"0\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s, ">20</text>"));
	/* labels are escaped, nothing of them runs as markup */
	CU_ASSERT_PTR_NOT_NULL(strstr(b.s, "&lt;b&gt;"));
	CU_ASSERT_PTR_NULL(strstr(b.s, "<b>"));
	CU_ASSERT_PTR_NULL(strstr(b.s, "style="));
	CU_ASSERT_PTR_NULL(strstr(b.s, "<script"));
	CU_ASSERT_STRING_EQUAL(b.s + b.len - 6, "</svg>");
	sbuf_free(&b);

	CU_ASSERT_STRING_EQUAL(chart_hms(3723, hms, sizeof(hms)), "1:02:03");
	CU_ASSERT_STRING_EQUAL(chart_hms(-61, hms, sizeof(hms)), "-0:01:01");
	CU_ASSERT_STRING_EQUAL(chart_hms(0, hms, sizeof(hms)), "0:00:00");
	CU_ASSERT_STRING_EQUAL(chart_hms(360000, hms, sizeof(hms)),
			       "100:00:00");
}

static void test_html(void)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_html(&b, "a<b>&\"c'\x01\n");
	CU_ASSERT_STRING_EQUAL(b.s, "a&lt;b&gt;&amp;&quot;c&#39;\n");
	sbuf_printf(&b, "%0300d", 7);
	CU_ASSERT_EQUAL(b.len, strlen(b.s));
	CU_ASSERT_EQUAL(b.len, 28 + 300);
	sbuf_free(&b);
}

static void expect_conf_err(const char *text, const char *want)
{
	char err[512] = "";
	struct tq_conf *c = conf_load_string(text, "t.conf", err,
					     sizeof(err));

	CU_ASSERT_PTR_NULL(c);
	conf_free(c);
	if (strcmp(err, want))
		printf("\n  got:  %s\n  want: %s\n", err, want);
	CU_ASSERT_STRING_EQUAL(err, want);
}

static void test_conf(void)
{
	char err[512];
	struct tq_conf *c = conf_defaults();

	CU_ASSERT_EQUAL(c->n_portal_listen, 0);
	CU_ASSERT_EQUAL(c->portal_port, 0);
	CU_ASSERT_STRING_EQUAL(c->portal_user, "tcpquota-portal");
	CU_ASSERT_EQUAL(c->portal_login_rate, 5);
	CU_ASSERT_EQUAL(c->portal_warn_seconds, 300);
	conf_free(c);
	c = conf_load_string("portal = { listen = [ \"198.18.1.1\", "
			     "\"2001:db8:1::1\" ]; port = 8080; "
			     "url = \"https://portal.lan/\"; "
			     "idle_timeout = 60; };\n", "t.conf", err,
			     sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->n_portal_listen, 2);
	CU_ASSERT_STRING_EQUAL(c->portal_listen[1], "2001:db8:1::1");
	CU_ASSERT_EQUAL(c->portal_port, 8080);
	CU_ASSERT_EQUAL(c->portal_idle_timeout, 60);
	conf_free(c);
	expect_conf_err("portal = { cert = \"/etc/c.pem\"; };\n",
			"t.conf:1: portal: cert without key; give both for "
			"HTTPS, or neither for plain HTTP");
	expect_conf_err("portal = {\n listen = [ \"198.18.1.300\" ]; };\n",
			"t.conf:2: portal.listen[0]: \"198.18.1.300\" is not "
			"a numeric address; use e.g. \"192.168.1.1\" or "
			"\"fd00::1\"");
	expect_conf_err("portal = { url = \"portal.lan\"; };\n",
			"t.conf:1: portal.url: \"portal.lan\" is not an "
			"http:// or https:// URL; use e.g. "
			"\"https://portal.example.org/\"");
	expect_conf_err("portal = { idle_timeout = 5; };\n",
			"t.conf:1: portal.idle_timeout: 5 is out of range; "
			"use 10..2678400");
}

/* The status page of a user with left seconds to go, warn_seconds 300:
 * whether it has the banner, which is then exactly this. */
static bool low_banner(long long left, const char *want)
{
	struct tq_conf *c = conf_defaults();
	struct page_ctx pc = { c, true, "https://portal.lan/" };
	struct sess_info s = { .user = "alice" };
	struct device d = { .host = "198.18.1.10" };
	struct dev_status st = { .user = "alice", .quota = 1000, .cost = 3,
				 .sharing = 1, .left = left };
	struct sbuf b;
	bool has;

	sbuf_init(&b);
	page_status(&b, &pc, &s, &d, &st, NULL);
	has = strstr(b.s, "id=\"low\"") != NULL;
	if (want)
		CU_ASSERT_PTR_NOT_NULL(strstr(b.s, want));
	sbuf_free(&b);
	conf_free(c);
	return has;
}

static void test_low_banner(void)
{
	const char *want = "<p class=\"banner warn\" id=\"low\" "
		"role=\"alert\">Less than 0:05:00 left at the current "
		"rate.</p>";

	CU_ASSERT_TRUE(low_banner(299, want));
	CU_ASSERT_TRUE(low_banner(0, want));
	CU_ASSERT_FALSE(low_banner(300, NULL));
	CU_ASSERT_FALSE(low_banner(100000, NULL));
	CU_ASSERT_FALSE(low_banner(-1, NULL));	/* unlimited (free user) */
}

static const struct tq_test tests[] = {
	{ "form bodies", test_form },
	{ "URL decoding", test_urldecode },
	{ "cookies", test_cookie },
	{ "tokens and CSRF comparison", test_tokens },
	{ "Host headers and URLs", test_host },
	{ "failed-login limiter", test_ratelimit },
	{ "sessions", test_sessions },
	{ "SVG chart", test_chart },
	{ "HTML escaping", test_html },
	{ "portal configuration", test_conf },
	{ "the low-balance banner (portal.warn_seconds)", test_low_banner },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("portal", tests);
}
