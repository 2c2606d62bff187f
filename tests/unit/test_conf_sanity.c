/* test_conf_sanity.c - what conf_load() cannot see: lan/wan overlap,
 * local networks covering the Internet, missing groups and password
 * files (conf_sanity). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_sanity.h"
#include "tq_test.h"

#define MAXF 16

struct found {
	char msg[MAXF][1024];
	bool error[MAXF];
	bool daemon[MAXF];	/* concerns the daemon (a start logs it) */
	int n;
};

static void collect(void *arg, unsigned flags, const char *msg)
{
	struct found *f = arg;

	if (f->n == MAXF)
		return;
	snprintf(f->msg[f->n], sizeof(f->msg[0]), "%s", msg);
	f->daemon[f->n] = flags & CONF_SANITY_DAEMON;
	f->error[f->n++] = flags & CONF_SANITY_ERROR;
}

/* Groups that exist and no password files: nothing to warn about. */
#define QUIET "daemon = { tools_group = \"root\"; };\n" \
	"quota = { admin_group = \"root\"; };\n" \
	"database = { password_file = \"\"; tool_password_file = \"\";\n" \
	"  admin_password_file = \"\"; };\n"

/* conf_sanity of text (loaded as t.conf) into *f; its return value. */
static int run(const char *text, struct found *f)
{
	struct tq_conf *c;
	char err[512];
	int n;

	memset(f, 0, sizeof(*f));
	c = conf_load_string(text, "t.conf", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	n = conf_sanity(c, text, collect, f);
	conf_free(c);
	return n;
}

static void test_quiet(void)
{
	struct found f;

	CU_ASSERT_EQUAL(run(QUIET, &f), 0);
	CU_ASSERT_EQUAL(f.n, 0);
	/* the lab's network section too */
	CU_ASSERT_EQUAL(run(QUIET "network = { lan = [ \"lan0\" ];\n"
			    "  wan = [ \"wan0\", \"ppp*\" ];\n"
			    "  local_networks = [ \"198.18.1.0/24\", "
			    "\"2001:db8:1::/64\", \"10.0.0.0/8\" ]; };\n", &f),
			0);
	CU_ASSERT_EQUAL(f.n, 0);
}

static const char sides[] = "is also in network.lan%s; an interface is "
	"the LAN's (the users' side, lan) or the Internet's (wan), never "
	"both: name each in one list";

/* The message for wan[i] at line, with " (as LAN)" when the lan entry is
 * another spelling. */
static const char *side_msg(int line, int i, const char *wan,
			    const char *as)
{
	static char buf[512];
	char tail[256], as_text[64] = "";

	if (as)
		snprintf(as_text, sizeof(as_text), " (as \"%s\")", as);
	snprintf(tail, sizeof(tail), sides, as_text);
	snprintf(buf, sizeof(buf), "t.conf:%d: network.wan[%d]: \"%s\" %s",
		 line, i, wan, tail);
	return buf;
}

static void test_sides(void)
{
	struct found f;

	CU_ASSERT_EQUAL(run(QUIET "network = {\n  lan = [ \"lan0\" ];\n"
			    "  wan = [ \"lan0\" ]; };\n", &f), 1);
	CU_ASSERT_EQUAL_FATAL(f.n, 1);
	CU_ASSERT_TRUE(f.error[0]);
	CU_ASSERT_TRUE(f.daemon[0]);
	CU_ASSERT_STRING_EQUAL(f.msg[0], side_msg(7, 0, "lan0", NULL));

	/* one of several shared; each wan entry said once */
	CU_ASSERT_EQUAL(run(QUIET "network = { lan = [ \"eth1\", \"eth2\" ];\n"
			    "  wan = [ \"eth0\",\n \"eth2\", \"eth1\" ]; };\n",
			    &f), 2);
	CU_ASSERT_EQUAL_FATAL(f.n, 2);
	CU_ASSERT_STRING_EQUAL(f.msg[0], side_msg(7, 1, "eth2", NULL));
	CU_ASSERT_STRING_EQUAL(f.msg[1], side_msg(7, 2, "eth1", NULL));

	/* patterns: "eth*" names eth0 too */
	CU_ASSERT_EQUAL(run(QUIET "network = { lan = [ \"eth*\" ];\n"
			    "  wan = [ \"eth0\" ]; };\n", &f), 1);
	CU_ASSERT_STRING_EQUAL(f.msg[0], side_msg(6, 0, "eth0", "eth*"));
	CU_ASSERT_EQUAL(run(QUIET "network = { lan = [ \"eth1\" ];\n"
			    "  wan = [ \"e*\" ]; };\n", &f), 1);
	CU_ASSERT_STRING_EQUAL(f.msg[0], side_msg(6, 0, "e*", "eth1"));
	CU_ASSERT_EQUAL(run(QUIET "network = { lan = [ \"eth*\" ];\n"
			    "  wan = [ \"e*\" ]; };\n", &f), 1);
	CU_ASSERT_STRING_EQUAL(f.msg[0], side_msg(6, 0, "e*", "eth*"));
	/* and not what only looks alike */
	CU_ASSERT_EQUAL(run(QUIET "network = { lan = [ \"eth*\", \"lan0\" ];\n"
			    "  wan = [ \"ppp*\", \"lan01\", \"et\" ]; };\n",
			    &f), 0);
	CU_ASSERT_EQUAL(f.n, 0);
}

static void test_ifname_match(void)
{
	CU_ASSERT_TRUE(conf_ifname_match("eth0", "eth0"));
	CU_ASSERT_FALSE(conf_ifname_match("eth0", "eth01"));
	CU_ASSERT_FALSE(conf_ifname_match("eth0", "eth"));
	CU_ASSERT_TRUE(conf_ifname_match("eth*", "eth0"));
	CU_ASSERT_TRUE(conf_ifname_match("eth*", "eth"));
	CU_ASSERT_FALSE(conf_ifname_match("eth*", "et"));
	CU_ASSERT_TRUE(conf_ifname_match("*", "lan0"));
}

/* Each network alone as local_networks[0]: the message, or "" if none. */
static const char *local_net(const char *net)
{
	static char buf[1024];
	char text[1024];
	struct found f;

	snprintf(text, sizeof(text), QUIET "network = {\n"
		 "  local_networks = [ \"%s\" ]; };\n", net);
	run(text, &f);
	CU_ASSERT(f.n <= 1);
	if (!f.n)
		return "";
	CU_ASSERT_TRUE(f.error[0]);
	snprintf(buf, sizeof(buf), "%s", f.msg[0]);
	return buf;
}

/* The message local_net() expects. */
static const char *covers(const char *net, const char *share, bool v4)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "t.conf:6: network.local_networks[0]: "
		 "\"%s\" covers %s %s Internet, so traffic to it is never "
		 "charged; list only the networks of your own site, e.g. "
		 "\"%s\"", net, share, v4 ? "IPv4" : "IPv6",
		 v4 ? "192.168.0.0/16" : "fd00::/8");
	return buf;
}

static void test_local_networks(void)
{
	static const struct {
		const char *net, *share;	/* share NULL: accepted */
	} v4[] = {
		{ "0.0.0.0/0", "the whole" }, { "0.0.0.0/1", "half of the" },
		{ "128.0.0.0/1", "half of the" },
		{ "64.0.0.0/2", "a quarter of the" },
		{ "192.0.0.0/3", "1/8 of the" }, { "8.0.0.0/7", "1/128 of the" },
		{ "10.0.0.0/8", NULL }, { "100.64.0.0/10", NULL },
		{ "192.168.0.0/16", NULL }, { "224.0.0.0/3", NULL },
		{ "240.0.0.0/4", NULL }, { "198.18.0.0/15", NULL },
	}, v6[] = {
		{ "::/0", "the whole" }, { "::/1", "the whole" },
		{ "::/2", "the whole" }, { "2000::/3", "the whole" },
		{ "2000::/4", "half of the" }, { "3000::/4", "half of the" },
		{ "2000::/15", "1/4096 of the" },
		{ "8000::/1", NULL }, { "4000::/2", NULL }, { "fc00::/7", NULL },
		{ "fd00::/8", NULL }, { "2001::/16", NULL },
		{ "2001:db8::/32", NULL }, { "::ffff:0.0.0.0/96", "the whole" },
	};
	size_t i;

	for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		CU_ASSERT_STRING_EQUAL(local_net(v4[i].net), v4[i].share ?
				       covers(v4[i].net, v4[i].share, true) :
				       "");
	/* (a mapped network is an IPv4 one) */
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
		CU_ASSERT_STRING_EQUAL(local_net(v6[i].net), !v6[i].share ?
				       "" : i == 13 ?
				       covers("0.0.0.0/0", v6[i].share, true) :
				       covers(v6[i].net, v6[i].share, false));
}

static void test_groups(void)
{
	struct found f;

	CU_ASSERT_EQUAL(run("daemon = { tools_group = \"tq-no-such-2\"; };\n"
			    "quota = {\n  admin_group = \"tq-no-such-1\"; };\n"
			    "database = { password_file = \"\";\n"
			    "  tool_password_file = \"\";\n"
			    "  admin_password_file = \"\"; };\n", &f), 0);
	CU_ASSERT_EQUAL_FATAL(f.n, 2);
	CU_ASSERT_FALSE(f.error[0]);
	CU_ASSERT_FALSE(f.error[1]);
	/* the tools' concern: -n says it, a start does not */
	CU_ASSERT_FALSE(f.daemon[0]);
	CU_ASSERT_FALSE(f.daemon[1]);
	CU_ASSERT_STRING_EQUAL(f.msg[0], "t.conf:3: quota.admin_group: group "
			       "\"tq-no-such-1\" does not exist; only root can "
			       "use the admin commands of tcpquota and openfw: "
			       "create it (tcpquota-setup-db does) or name an "
			       "existing group");
	CU_ASSERT_STRING_EQUAL(f.msg[1], "t.conf:1: daemon.tools_group: group "
			       "\"tq-no-such-2\" does not exist; the setgid "
			       "tools cannot read their database password and "
			       "the wake-up socket is open to everyone: create "
			       "it (tcpquota-setup-db does) or name the tools' "
			       "group");
}

static void test_passwords(void)
{
	char dir[] = "/tmp/tq-sanity.XXXXXX", text[2048], want[1024];
	char ok[256], empty[256], nl[256], crlf[256], missing[256];
	const char *daemon = "the daemon cannot log in to the database (it "
		"runs on and holds its debits until it can)";
	const char *tools = "openhost and the users' commands cannot log in "
		"to the database";
	const char *admin = "the admin commands cannot log in to the database";
	const char *fix = "run tcpquota-setup-db, or name the file it wrote";
	struct found f;
	FILE *fp;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(ok, sizeof(ok), "%s/ok", dir);
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	snprintf(nl, sizeof(nl), "%s/nl", dir);
	snprintf(crlf, sizeof(crlf), "%s/crlf", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	fp = fopen(ok, "w");
	fputs("s3cret \n", fp);		/* a blank belongs to it */
	fclose(fp);
	fclose(fopen(empty, "w"));
	fp = fopen(nl, "w");
	fputs("\n", fp);
	fclose(fp);
	fp = fopen(crlf, "w");
	fputs("\r\nsecond line\n", fp);
	fclose(fp);

	snprintf(text, sizeof(text), "daemon = { tools_group = \"root\"; };\n"
		 "quota = { admin_group = \"root\"; };\n"
		 "database = { password_file = \"%s\";\n"
		 "  tool_password_file = \"%s\";\n"
		 "  admin_password_file = \"%s\"; };\n", ok, ok, ok);
	CU_ASSERT_EQUAL(run(text, &f), 0);
	CU_ASSERT_EQUAL(f.n, 0);

	snprintf(text, sizeof(text), "daemon = { tools_group = \"root\"; };\n"
		 "quota = { admin_group = \"root\"; };\n"
		 "database = { password_file = \"%s\";\n"
		 "  tool_password_file = \"%s\";\n"
		 "  admin_password_file = \"%s\"; };\n", missing, empty, dir);
	CU_ASSERT_EQUAL(run(text, &f), 0);
	CU_ASSERT_EQUAL_FATAL(f.n, 3);
	snprintf(want, sizeof(want), "t.conf:3: database.password_file: "
		 "\"%s\": No such file or directory; %s: %s", missing, daemon,
		 fix);
	CU_ASSERT_STRING_EQUAL(f.msg[0], want);
	snprintf(want, sizeof(want), "t.conf:4: database.tool_password_file: "
		 "\"%s\": empty; %s: %s", empty, tools, fix);
	CU_ASSERT_STRING_EQUAL(f.msg[1], want);
	snprintf(want, sizeof(want), "t.conf:5: database.admin_password_file:"
		 " \"%s\": not a regular file; %s: %s", dir, admin, fix);
	CU_ASSERT_STRING_EQUAL(f.msg[2], want);
	CU_ASSERT_FALSE(f.error[0] || f.error[1] || f.error[2]);
	/* only the daemon's own file concerns a start */
	CU_ASSERT_TRUE(f.daemon[0]);
	CU_ASSERT_FALSE(f.daemon[1] || f.daemon[2]);

	/* an empty first line is an empty password, as db.c reads it */
	snprintf(text, sizeof(text), "daemon = { tools_group = \"root\"; };\n"
		 "quota = { admin_group = \"root\"; };\n"
		 "database = { password_file = \"%s\";\n"
		 "  tool_password_file = \"%s\";\n"
		 "  admin_password_file = \"\"; };\n", nl, crlf);
	CU_ASSERT_EQUAL(run(text, &f), 0);
	CU_ASSERT_EQUAL_FATAL(f.n, 2);
	snprintf(want, sizeof(want), "t.conf:3: database.password_file: "
		 "\"%s\": empty; %s: %s", nl, daemon, fix);
	CU_ASSERT_STRING_EQUAL(f.msg[0], want);
	snprintf(want, sizeof(want), "t.conf:4: database.tool_password_file: "
		 "\"%s\": empty; %s: %s", crlf, tools, fix);
	CU_ASSERT_STRING_EQUAL(f.msg[1], want);

	unlink(ok);
	unlink(empty);
	unlink(nl);
	unlink(crlf);
	rmdir(dir);
}

/* Without the text (and no file at c->path) the messages have no line;
 * errors and warnings come in the documented order. */
static void test_no_lines_and_order(void)
{
	static const char text[] =
		"quota = { admin_group = \"tq-no-such-1\"; };\n"
		"daemon = { tools_group = \"root\"; };\n"
		"database = { password_file = \"\"; tool_password_file = \"\";\n"
		"  admin_password_file = \"\"; };\n"
		"network = { local_networks = [ \"0.0.0.0/0\" ];\n"
		"  lan = [ \"x0\" ]; wan = [ \"x0\" ]; };\n";
	struct found f;
	struct tq_conf *c;
	char err[512];

	memset(&f, 0, sizeof(f));
	c = conf_load_string(text, "/nonexistent/t.conf", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(conf_sanity(c, NULL, collect, &f), 2);
	conf_free(c);
	CU_ASSERT_EQUAL_FATAL(f.n, 3);
	CU_ASSERT_TRUE(f.error[0]);
	CU_ASSERT_TRUE(f.error[1]);
	CU_ASSERT_FALSE(f.error[2]);
	CU_ASSERT_EQUAL(strncmp(f.msg[0], "/nonexistent/t.conf: network.wan[0]: "
				"\"x0\" is also in network.lan;", 64), 0);
	CU_ASSERT_EQUAL(strncmp(f.msg[1], "/nonexistent/t.conf: "
				"network.local_networks[0]: \"0.0.0.0/0\" "
				"covers the whole IPv4 Internet,", 81), 0);
	CU_ASSERT_EQUAL(strncmp(f.msg[2], "/nonexistent/t.conf: "
				"quota.admin_group: group \"tq-no-such-1\"",
				60), 0);
}

static const struct tq_test tests[] = {
	{ "a sane file: nothing said", test_quiet },
	{ "an interface on both sides", test_sides },
	{ "interface names and patterns", test_ifname_match },
	{ "local networks covering the Internet", test_local_networks },
	{ "groups that do not exist", test_groups },
	{ "password files missing, empty, not a file", test_passwords },
	{ "no lines without the text; the order", test_no_lines_and_order },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("conf_sanity", tests);
}
