/* test_tools.c - the tools' pure helpers: money, JSON, command splitting
 * and argument parsing, masq names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "masq.h"
#include "tool.h"
#include "toolctx.h"
#include "tq_test.h"
#include "util.h"

/* ---- money and numbers ---- */

static void test_money(void)
{
	char b[64];

	CU_ASSERT_STRING_EQUAL(tool_money(3600, 0.1, "SEK", b, sizeof(b)),
			       "6.00 SEK");
	CU_ASSERT_STRING_EQUAL(tool_money(0, 0.1, "SEK", b, sizeof(b)),
			       "0.00 SEK");
	CU_ASSERT_STRING_EQUAL(tool_money(59, 0.1, "SEK", b, sizeof(b)),
			       "0.10 SEK");
	CU_ASSERT_STRING_EQUAL(tool_money(-90, 0.1, "SEK", b, sizeof(b)),
			       "-0.15 SEK");
	/* -0.0017 rounds to zero: no "-0.00". */
	CU_ASSERT_STRING_EQUAL(tool_money(-1, 0.1, "SEK", b, sizeof(b)),
			       "0.00 SEK");
	CU_ASSERT_STRING_EQUAL(tool_money(-1008888, 0.1, "SEK", b, sizeof(b)),
			       "-1681.48 SEK");
	CU_ASSERT_STRING_EQUAL(tool_money(7200, 0.5, "", b, sizeof(b)),
			       "60.00");
	CU_ASSERT_STRING_EQUAL(tool_money(7200, 0.5, NULL, b, sizeof(b)),
			       "60.00");
	CU_ASSERT_STRING_EQUAL(tool_money(60, 1.0, "EUR", b, sizeof(b)),
			       "1.00 EUR");
	CU_ASSERT_STRING_EQUAL(tool_money(1000000000000LL, 0.1, "SEK", b,
					  sizeof(b)),
			       "1666666666.67 SEK");
	/* Truncates safely. */
	CU_ASSERT_STRING_EQUAL(tool_money(3600, 0.1, "SEK", b, 4), "6.0");
}

static void test_parse_ll(void)
{
	long long v;

	CU_ASSERT_EQUAL(tool_parse_ll("3600", &v), 0);
	CU_ASSERT_EQUAL(v, 3600);
	CU_ASSERT_EQUAL(tool_parse_ll("-60", &v), 0);
	CU_ASSERT_EQUAL(v, -60);
	CU_ASSERT_EQUAL(tool_parse_ll("+60", &v), 0);
	CU_ASSERT_EQUAL(v, 60);
	CU_ASSERT_EQUAL(tool_parse_ll("12x", &v), -1);
	CU_ASSERT_EQUAL(tool_parse_ll("", &v), -1);
	CU_ASSERT_EQUAL(tool_parse_ll("-", &v), -1);
	CU_ASSERT_EQUAL(tool_parse_ll(" 5", &v), -1);
	CU_ASSERT_EQUAL(tool_parse_ll("5 ", &v), -1);
	CU_ASSERT_EQUAL(tool_parse_ll("0x10", &v), -1);
	CU_ASSERT_EQUAL(tool_parse_ll("99999999999999999999", &v), -1);
	CU_ASSERT_EQUAL(tool_parse_ll("9223372036854775807", &v), 0);
	CU_ASSERT_EQUAL(v, 9223372036854775807LL);
}

/* ---- JSON ---- */

/* What tool_json_print() prints for v, without the newline. */
static char *dump(json_t *v)
{
	static char out[256];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	tool_json_print(f, v);
	fclose(f);
	CU_ASSERT(len > 0 && buf[len - 1] == '\n');
	snprintf(out, sizeof(out), "%.*s", len ? (int)len - 1 : 0, buf);
	free(buf);
	return out;
}

static char *json(const char *s)
{
	return dump(tool_json_str(s));
}

#define U_FFFD "\xef\xbf\xbd"

static void test_json(void)
{
	CU_ASSERT_STRING_EQUAL(json("bob"), "\"bob\"");
	CU_ASSERT_STRING_EQUAL(json(NULL), "null");
	CU_ASSERT_STRING_EQUAL(json(""), "\"\"");
	CU_ASSERT_STRING_EQUAL(json("a\"b\\c"), "\"a\\\"b\\\\c\"");
	CU_ASSERT_STRING_EQUAL(json("l1\nl2\tx\r"), "\"l1\\nl2\\tx\\r\"");
	/* jansson escapes control characters in upper case and leaves DEL,
	 * which JSON allows, as it is. */
	CU_ASSERT_STRING_EQUAL(json("\x01\x1f\x7f"),
			       "\"\\u0001\\u001F\x7f\"");
	/* Valid UTF-8 passes through. */
	CU_ASSERT_STRING_EQUAL(json("\xc3\x85sa \xe2\x82\xac \xf0\x9f\x98\x80"),
			       "\"\xc3\x85sa \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* Invalid bytes, overlong forms, surrogates, truncation: each byte
	 * that starts no valid sequence is U+FFFD, in UTF-8. */
	CU_ASSERT_STRING_EQUAL(json("a\xffz"), "\"a" U_FFFD "z\"");
	CU_ASSERT_STRING_EQUAL(json("\xc0\xaf"), "\"" U_FFFD U_FFFD "\"");
	CU_ASSERT_STRING_EQUAL(json("\xed\xa0\x80"),
			       "\"" U_FFFD U_FFFD U_FFFD "\"");
	CU_ASSERT_STRING_EQUAL(json("x\xe2\x82"), "\"x" U_FFFD U_FFFD "\"");
	CU_ASSERT_STRING_EQUAL(json("</script>"), "\"</script>\"");
	/* Compact, keys in the order added; reals with six digits. */
	CU_ASSERT_STRING_EQUAL(dump(json_pack("{s:o,s:I,s:f,s:f,s:b,s:n,s:[]}",
					      "z", tool_json_str("\xff"),
					      "a", (json_int_t)-1, "rate", 2.0,
					      "r", 1.0 / 3, "ok", 1, "none",
					      "list")),
			       "{\"z\":\"" U_FFFD "\",\"a\":-1,\"rate\":2.0,"
			       "\"r\":0.333333,\"ok\":true,\"none\":null,"
			       "\"list\":[]}");
}

static char *rows(int n)
{
	static char out[256];
	struct tool_json_rows r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	tool_json_rows_begin(&r, f);
	for (i = 0; i < n; i++)
		tool_json_rows_add(&r, json_pack("{s:i,s:s}", "id", i,
						 "x", "y"));
	tool_json_rows_end(&r);
	fclose(f);
	snprintf(out, sizeof(out), "%s", buf);
	free(buf);
	return out;
}

static void test_json_rows(void)
{
	CU_ASSERT_STRING_EQUAL(rows(0), "[]\n");
	CU_ASSERT_STRING_EQUAL(rows(1), "[\n  {\"id\":0,\"x\":\"y\"}\n]\n");
	CU_ASSERT_STRING_EQUAL(rows(2), "[\n  {\"id\":0,\"x\":\"y\"},\n"
			       "  {\"id\":1,\"x\":\"y\"}\n]\n");
}

/* ---- splitting ---- */

static void test_split(void)
{
	struct tool_script s = { 0 };
	char err[128];

	CU_ASSERT_EQUAL(tool_split("allow bob; set bob 3600", &s, err,
				   sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(s.n, 2);
	CU_ASSERT_EQUAL(s.cmds[0].n, 2);
	CU_ASSERT_STRING_EQUAL(s.cmds[0].v[0], "allow");
	CU_ASSERT_STRING_EQUAL(s.cmds[0].v[1], "bob");
	CU_ASSERT_PTR_NULL(s.cmds[0].v[2]);
	CU_ASSERT_EQUAL(s.cmds[1].n, 3);
	CU_ASSERT_STRING_EQUAL(s.cmds[1].v[2], "3600");
	tool_script_free(&s);

	/* Newlines, comments, empty commands, quotes, appending. */
	CU_ASSERT_EQUAL(tool_split("# admin script\n\nadd 'Ann Lee' -60;;"
				   "  \n  status \"a\\\"b\\\\\" # trailing\n"
				   "list;x';'y", &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(tool_split("hosts", &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(s.n, 5);
	CU_ASSERT_EQUAL(s.cmds[0].n, 3);
	CU_ASSERT_STRING_EQUAL(s.cmds[0].v[1], "Ann Lee");
	CU_ASSERT_STRING_EQUAL(s.cmds[0].v[2], "-60");
	CU_ASSERT_EQUAL(s.cmds[1].n, 2);
	CU_ASSERT_STRING_EQUAL(s.cmds[1].v[1], "a\"b\\");
	CU_ASSERT_EQUAL(s.cmds[2].n, 1);
	CU_ASSERT_STRING_EQUAL(s.cmds[2].v[0], "list");
	CU_ASSERT_EQUAL(s.cmds[3].n, 1);
	CU_ASSERT_STRING_EQUAL(s.cmds[3].v[0], "x;y");
	CU_ASSERT_STRING_EQUAL(s.cmds[4].v[0], "hosts");
	tool_script_free(&s);
	CU_ASSERT_EQUAL(s.n, 0);

	CU_ASSERT_EQUAL(tool_split(" ; ;\n# nothing\n", &s, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(s.n, 0);
	tool_script_free(&s);

	CU_ASSERT_EQUAL(tool_split("set bob 'x", &s, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "unterminated ' quote");
	CU_ASSERT_EQUAL(tool_split("allow \"bob", &s, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "unterminated \" quote");
	tool_script_free(&s);
}

/* ---- argument parsing ---- */

static void test_parse_opts(void)
{
	struct tool_opts o;
	char err[128];
	char *a1[] = { "tcpquota", "--config", "/x.conf", "--json", "list",
		       "--json", NULL };
	char *a2[] = { "tcpquota", "--config=/y.conf", "--once", "top", NULL };
	char *a3[] = { "openhost", "--user", "bob", "--host=198.18.1.10",
		       NULL };
	char *a4[] = { "tcpquota", "-c", "/z", "--", "--json", NULL };
	char *a5[] = { "tcpquota", "--json", "-", NULL };
	char *a6[] = { "openhost", "--json", NULL };
	char *a7[] = { "openhost", "--user", NULL };
	char *a8[] = { "tcpquota", "--config=", "list", NULL };
	char *a9[] = { "tcpquota", "--help", "-V", NULL };
	char *a10[] = { "openhost", "--hostile", "x", NULL };
	char *a11[] = { "tcpquota", "-hx", NULL };
	char *a12[] = { "tcpquota", "--json=x", "list", NULL };
	char *a13[] = { "tcpquota", "-c", NULL };
	char *a14[] = { "tcpquota", "-c", "", "list", NULL };
	char *a15[] = { "openhost", "--us", "bob", "--ho=198.18.1.10", NULL };
	char *a16[] = { "openhost", "--h", NULL };
	char *a17[] = { "tcpquota", "-c/w", "-hV", "list", NULL };
	char *a18[] = { "tcpquota", "list", "--json", NULL };

	CU_ASSERT_EQUAL(tool_parse_opts(6, a1, TOOL_OPT_JSON | TOOL_OPT_ONCE,
					&o, err, sizeof(err)), 4);
	CU_ASSERT_STRING_EQUAL(o.config, "/x.conf");
	CU_ASSERT_TRUE(o.json);
	CU_ASSERT_FALSE(o.once);
	CU_ASSERT_EQUAL(tool_parse_opts(4, a2, TOOL_OPT_JSON | TOOL_OPT_ONCE,
					&o, err, sizeof(err)), 3);
	CU_ASSERT_STRING_EQUAL(o.config, "/y.conf");
	CU_ASSERT_TRUE(o.once);
	CU_ASSERT_FALSE(o.json);
	CU_ASSERT_EQUAL(tool_parse_opts(4, a3, TOOL_OPT_USER | TOOL_OPT_HOST,
					&o, err, sizeof(err)), 4);
	CU_ASSERT_STRING_EQUAL(o.user, "bob");
	CU_ASSERT_STRING_EQUAL(o.host, "198.18.1.10");
	CU_ASSERT_PTR_NULL(o.config);
	CU_ASSERT_EQUAL(tool_parse_opts(5, a4, TOOL_OPT_JSON, &o, err,
					sizeof(err)), 4);
	CU_ASSERT_STRING_EQUAL(o.config, "/z");
	CU_ASSERT_FALSE(o.json);
	CU_ASSERT_EQUAL(tool_parse_opts(3, a5, TOOL_OPT_JSON, &o, err,
					sizeof(err)), 2);
	CU_ASSERT_TRUE(o.json);
	CU_ASSERT_EQUAL(tool_parse_opts(2, a6, TOOL_OPT_USER | TOOL_OPT_HOST,
					&o, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "unknown option --json");
	CU_ASSERT_EQUAL(tool_parse_opts(2, a7, TOOL_OPT_USER, &o, err,
					sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "option --user needs a value");
	CU_ASSERT_EQUAL(tool_parse_opts(3, a8, 0, &o, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "option --config needs a value");
	CU_ASSERT_EQUAL(tool_parse_opts(3, a9, 0, &o, err, sizeof(err)), 3);
	CU_ASSERT_TRUE(o.help);
	CU_ASSERT_TRUE(o.version);
	CU_ASSERT_EQUAL(tool_parse_opts(3, a10, TOOL_OPT_HOST, &o, err,
					sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "unknown option --hostile");

	/* getopt_long's ways, with the messages above: a bad letter in a
	 * group names the group, a value given to a flag is refused. */
	CU_ASSERT_EQUAL(tool_parse_opts(2, a11, 0, &o, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "unknown option -hx");
	CU_ASSERT_EQUAL(tool_parse_opts(3, a12, TOOL_OPT_JSON, &o, err,
					sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "unknown option --json=x");
	CU_ASSERT_EQUAL(tool_parse_opts(2, a13, 0, &o, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "option -c needs a value");
	CU_ASSERT_EQUAL(tool_parse_opts(4, a14, 0, &o, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "option -c needs a value");
	/* Unambiguous abbreviations, grouped and attached short options. */
	CU_ASSERT_EQUAL(tool_parse_opts(4, a15, TOOL_OPT_USER | TOOL_OPT_HOST,
					&o, err, sizeof(err)), 4);
	CU_ASSERT_STRING_EQUAL(o.user, "bob");
	CU_ASSERT_STRING_EQUAL(o.host, "198.18.1.10");
	CU_ASSERT_EQUAL(tool_parse_opts(2, a16, TOOL_OPT_USER | TOOL_OPT_HOST,
					&o, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "unknown option --h");
	CU_ASSERT_EQUAL(tool_parse_opts(4, a17, 0, &o, err, sizeof(err)), 3);
	CU_ASSERT_STRING_EQUAL(o.config, "/w");
	CU_ASSERT_TRUE(o.help);
	CU_ASSERT_TRUE(o.version);
	/* Options end at the first operand (tcpquota takes flags after the
	 * verb itself). */
	CU_ASSERT_EQUAL(tool_parse_opts(3, a18, TOOL_OPT_JSON, &o, err,
					sizeof(err)), 1);
	CU_ASSERT_FALSE(o.json);
}

static int cmd(const char *line, struct tool_cmd *c, char *err,
	       size_t errlen)
{
	static struct tool_script s;
	char e2[64];

	tool_script_free(&s);
	if (tool_split(line, &s, e2, sizeof(e2)) < 0 || s.n != 1)
		return -2;
	return tool_cmd_parse(s.cmds[0].n, s.cmds[0].v, c, err, errlen);
}

static void test_cmd_parse(void)
{
	struct tool_cmd c;
	char err[256];

	CU_ASSERT_EQUAL(cmd("status", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TV_STATUS);
	CU_ASSERT_EQUAL(c.n_names, 0);
	CU_ASSERT_FALSE(c.admin);
	CU_ASSERT_EQUAL(cmd("status bob", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.n_names, 1);
	CU_ASSERT_STRING_EQUAL(c.names[0], "bob");
	CU_ASSERT_EQUAL(cmd("allow bob carol", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TV_ALLOW);
	CU_ASSERT_EQUAL(c.n_names, 2);
	CU_ASSERT_STRING_EQUAL(c.names[1], "carol");
	CU_ASSERT_TRUE(c.admin);
	CU_ASSERT_TRUE(c.change);
	CU_ASSERT_STRING_EQUAL(c.label, "allow bob");
	CU_ASSERT_EQUAL(cmd("deny bob", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TV_DENY);
	CU_ASSERT_EQUAL(cmd("set bob 3600", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TV_SET);
	CU_ASSERT_EQUAL(c.seconds, 3600);
	CU_ASSERT_EQUAL(c.n_names, 1);
	CU_ASSERT_EQUAL(cmd("add bob -60", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TV_ADD);
	CU_ASSERT_EQUAL(c.seconds, -60);
	CU_ASSERT_EQUAL(cmd("add bob +60", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.seconds, 60);
	CU_ASSERT_EQUAL(cmd("list", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TV_LIST);
	CU_ASSERT_TRUE(c.admin);
	CU_ASSERT_FALSE(c.change);
	CU_ASSERT_EQUAL(cmd("log", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TV_LOG);
	CU_ASSERT_EQUAL(cmd("log bob", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.n_names, 1);
	CU_ASSERT_EQUAL(cmd("period new", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TV_PERIOD_NEW);
	CU_ASSERT_EQUAL(c.n_names, 0);
	CU_ASSERT_EQUAL(cmd("period list", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TV_PERIOD_LIST);
	CU_ASSERT_EQUAL(cmd("hosts", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TV_HOSTS);
	CU_ASSERT_EQUAL(cmd("top", &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TV_TOP);

	CU_ASSERT_FALSE(c.usage);

	CU_ASSERT_EQUAL(cmd("set bob 12x", &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "set bob: not a number: 12x");
	CU_ASSERT_FALSE(c.usage);
	CU_ASSERT_EQUAL(cmd("add bob", &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "add bob: usage: add USER [+|-]SECONDS");
	CU_ASSERT_TRUE(c.usage);
	CU_ASSERT_EQUAL(cmd("set bob 1 2", &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "set bob: usage: set USER SECONDS");
	CU_ASSERT_EQUAL(cmd("allow", &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "allow: usage: allow USER...");
	CU_ASSERT_EQUAL(cmd("status a b", &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "status a: usage: status [USER]");
	CU_ASSERT_EQUAL(cmd("list x", &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "list x: usage: list");
	CU_ASSERT_EQUAL(cmd("period", &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "period: usage: period new|list");
	CU_ASSERT_TRUE(c.usage);
	CU_ASSERT_EQUAL(cmd("period old", &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "period old: usage: period new|list");
	CU_ASSERT_EQUAL(cmd("period new x", &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "period new: usage: period new");
	CU_ASSERT_EQUAL(cmd("frob bob", &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "frob: unknown command");
	CU_ASSERT_FALSE(c.usage);
	CU_ASSERT_EQUAL(tool_cmd_parse(0, NULL, &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "no command");
	CU_ASSERT_TRUE(c.usage);
}

static void test_fw_parse(void)
{
	struct tool_fw_cmd c;
	char err[128];
	char *toggle[] = { "room1" };
	char *adm0[] = { "adm" };
	char *adm1[] = { "adm", "198.18.1.10" };
	char *cls0[] = { "cls" };
	char *cls1[] = { "cls", "198.18.1.10" };
	char *lst[] = { "lst" };
	char *lst1[] = { "lst", "x" };
	char *log1[] = { "log", "bob" };
	char *two[] = { "room1", "room2" };

	CU_ASSERT_EQUAL(tool_fw_parse(0, NULL, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TF_TOGGLE);
	CU_ASSERT_PTR_NULL(c.arg);
	CU_ASSERT_EQUAL(tool_fw_parse(1, toggle, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TF_TOGGLE);
	CU_ASSERT_STRING_EQUAL(c.arg, "room1");
	CU_ASSERT_EQUAL(tool_fw_parse(1, adm0, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TF_ADM);
	CU_ASSERT_PTR_NULL(c.arg);
	CU_ASSERT_EQUAL(tool_fw_parse(2, adm1, &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.arg, "198.18.1.10");
	CU_ASSERT_EQUAL(tool_fw_parse(1, cls0, &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "cls: usage: cls HOST");
	CU_ASSERT_EQUAL(tool_fw_parse(2, cls1, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TF_CLS);
	CU_ASSERT_EQUAL(tool_fw_parse(1, lst, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TF_LST);
	CU_ASSERT_EQUAL(tool_fw_parse(2, lst1, &c, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(tool_fw_parse(2, log1, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.verb, TF_LOG);
	CU_ASSERT_STRING_EQUAL(c.arg, "bob");
	CU_ASSERT_EQUAL(tool_fw_parse(2, two, &c, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "room1: usage: [GROUP|HOST]");
}

/* ---- masq codes ---- */

static void test_masq_str(void)
{
	CU_ASSERT_STRING_EQUAL(masq_open_str(MASQ_CLOSED), "closed");
	CU_ASSERT_STRING_EQUAL(masq_open_str(MASQ_OPENED), "open");
	CU_ASSERT_STRING_EQUAL(masq_open_str(MASQ_REQ_OPEN), "opening");
	CU_ASSERT_STRING_EQUAL(masq_open_str(MASQ_REQ_CLOSE), "closing");
	CU_ASSERT_STRING_EQUAL(masq_open_str(4), "?");
	CU_ASSERT_STRING_EQUAL(masq_open_str(-1), "?");
	CU_ASSERT_STRING_EQUAL(masq_free_str(MASQ_PAID), "paid");
	CU_ASSERT_STRING_EQUAL(masq_free_str(MASQ_FREE), "free");
	CU_ASSERT_STRING_EQUAL(masq_free_str(MASQ_ADMIN), "adm");
	CU_ASSERT_STRING_EQUAL(masq_free_str(3), "?");
}

/* ---- process context ---- */

static void test_in_group(void)
{
	/* root is always an administrator. */
	CU_ASSERT_TRUE(toolctx_in_group(0, "root", 0, "no-such-group-x"));
	/* Membership through the primary group ... */
	CU_ASSERT_TRUE(toolctx_in_group(65534, "nobody", 65534, "nogroup"));
	/* ... and not otherwise. */
	CU_ASSERT_FALSE(toolctx_in_group(65534, "nobody", 65534, "root"));
	CU_ASSERT_FALSE(toolctx_in_group(65534, "nobody", 65534,
					 "no-such-group-x"));
	CU_ASSERT_FALSE(toolctx_in_group(65534, "nobody", 65534, ""));
	CU_ASSERT_FALSE(toolctx_in_group(65534, "nobody", 65534, NULL));
}

static void test_ack_timeout(void)
{
	struct tq_conf *c = conf_defaults();

	c->period = 1;
	CU_ASSERT_EQUAL(toolctx_ack_timeout_ms(c), 5000);
	c->period = 5;
	CU_ASSERT_EQUAL(toolctx_ack_timeout_ms(c), 15000);
	conf_free(c);
}

static void test_env_untouched(void)
{
	/* Not setgid: the environment is the caller's business. */
	setenv("TQ_TEST_KEEP", "1", 1);
	CU_ASSERT_FALSE(toolctx_sanitize_env());
	CU_ASSERT_STRING_EQUAL(getenv("TQ_TEST_KEEP"), "1");
	unsetenv("TQ_TEST_KEEP");
}

static int bind_dgram(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static void test_poke(void)
{
	struct tool_ctx t;
	char path[] = "/tmp/test_tools_wake.XXXXXX", buf[8], sock[64];
	int fd, fd2;

	CU_ASSERT_FATAL(mkdtemp(path) != NULL);
	memset(&t, 0, sizeof(t));
	t.wake_fd = -1;
	t.prog = "test";
	t.conf = conf_defaults();
	free(t.conf->wakeup);
	snprintf(sock, sizeof(sock), "%s/w.sock", path);
	t.conf->wakeup = xstrdup(sock);

	/* No daemon: nothing happens, nothing fails. */
	toolctx_poke(&t);
	CU_ASSERT_EQUAL(t.wake_fd, -1);

	fd = bind_dgram(t.conf->wakeup);
	CU_ASSERT_FATAL(fd >= 0);
	toolctx_poke(&t);
	CU_ASSERT_EQUAL(recv(fd, buf, sizeof(buf), 0), 1);
	CU_ASSERT_EQUAL(buf[0], 'w');
	CU_ASSERT(t.wake_fd >= 0);

	/* The daemon restarts: a new socket at the same path. */
	close(fd);
	fd2 = bind_dgram(t.conf->wakeup);
	CU_ASSERT_FATAL(fd2 >= 0);
	toolctx_poke(&t);
	CU_ASSERT_EQUAL(recv(fd2, buf, sizeof(buf), 0), 1);
	CU_ASSERT_EQUAL(recv(fd2, buf, sizeof(buf), 0), -1);
	CU_ASSERT_EQUAL(errno, EAGAIN);
	close(fd2);
	unlink(t.conf->wakeup);
	rmdir(path);
	close(t.wake_fd);
	conf_free(t.conf);
}

static const struct tq_test tests[] = {
	{ "money formatting", test_money },
	{ "strict numbers", test_parse_ll },
	{ "JSON escaping", test_json },
	{ "JSON rows", test_json_rows },
	{ ";-splitting", test_split },
	{ "common options", test_parse_opts },
	{ "tcpquota commands", test_cmd_parse },
	{ "openfw commands", test_fw_parse },
	{ "masq code names", test_masq_str },
	{ "admin group membership", test_in_group },
	{ "ack timeout", test_ack_timeout },
	{ "environment kept when not setgid", test_env_untouched },
	{ "wake-up poke, daemon restart", test_poke },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("tools", tests);
}
