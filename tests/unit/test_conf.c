/* test_conf.c - the configuration file: defaults, the shipped examples,
 * every validation rule with its exact message, days and time windows. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "tq_test.h"
#include "util.h"

static char err[1024];

static struct tq_conf *load(const char *text)
{
	err[0] = '\0';
	return conf_load_string(text, "t.conf", err, sizeof(err));
}

/* text must be rejected with exactly msg. */
static void expect_err_at(const char *text, const char *msg, int line)
{
	struct tq_conf *c = load(text);

	CU_ASSERT_PTR_NULL(c);
	conf_free(c);
	if (strcmp(err, msg))
		fprintf(stderr, "\n  line %d:\n  expected: %s\n  got:      %s\n",
			line, msg, err);
	CU_ASSERT_STRING_EQUAL(err, msg);
}
#define expect_err(text, msg) expect_err_at(text, msg, __LINE__)

/* text must load; the caller checks values and frees. */
static struct tq_conf *expect_ok_at(const char *text, int line)
{
	struct tq_conf *c = load(text);

	if (!c)
		fprintf(stderr, "\n  line %d: unexpected error: %s\n", line,
			err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}
#define expect_ok(text) expect_ok_at(text, __LINE__)

static struct tm tmat(int wday, int hour, int min)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_wday = wday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	return tm;
}

enum { SUN, MON, TUE, WED, THU, FRI, SAT };

static bool strv_eq(char **a, size_t na, char **b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

static bool window_eq(const struct tq_window *a, const struct tq_window *b)
{
	return a->days == b->days && a->from == b->from && a->to == b->to &&
	       a->rate == b->rate;
}

/* Name of the first setting in which a and b differ, or "" (path aside). */
static const char *conf_diff(const struct tq_conf *a, const struct tq_conf *b)
{
	size_t i;

#define NUM(f) if (a->f != b->f) return #f
#define STR(f) if (strcmp(a->f, b->f)) return #f
#define STRV(f) if (!strv_eq(a->f, a->n_##f, b->f, b->n_##f)) return #f
	NUM(period); NUM(heartbeat_tics); STR(gateway); STR(pidfile);
	STR(logfile); STR(journal); STR(wakeup); STR(tools_group);
	STR(db_socket); STR(db_host); NUM(db_port); STR(db_name);
	STR(db_user); STR(db_password_file); NUM(db_timeout);
	STR(db_tool_user); STR(db_tool_password_file); STR(db_admin_user);
	STR(db_admin_password_file);
	STRV(lan); STRV(wan);
	NUM(n_local_networks);
	for (i = 0; i < a->n_local_networks; i++)
		if (memcmp(&a->local_networks[i], &b->local_networks[i],
			   sizeof(struct tq_cidr)))
			return "local_networks";
	STR(link); STR(table); NUM(check_local); NUM(check_masq);
	NUM(conntrack_resync); NUM(bind_mac);
	NUM(min_quota); NUM(min_uid); STRV(free_users); NUM(kill_processes);
	STR(admin_group); STR(message_file);
	NUM(default_rate); STR(money_unit); NUM(money_per_minute);
	NUM(n_tariffs);
	for (i = 0; i < a->n_tariffs; i++)
		if (!window_eq(&a->tariffs[i], &b->tariffs[i]))
			return "tariffs";
	if (!window_eq(&a->free_access, &b->free_access))
		return "free_access";
	NUM(n_groups);
	for (i = 0; i < a->n_groups; i++) {
		if (strcmp(a->groups[i].name, b->groups[i].name) ||
		    !strv_eq(a->groups[i].members, a->groups[i].n_members,
			     b->groups[i].members, b->groups[i].n_members))
			return "groups";
	}
#undef NUM
#undef STR
#undef STRV
	return "";
}

/* ------------------------------------------------------------------ */

static void test_defaults(void)
{
	struct tq_conf *c = conf_defaults();
	char buf[64];

	CU_ASSERT_STRING_EQUAL(c->path, "(defaults)");
	CU_ASSERT_EQUAL(c->period, 5);
	CU_ASSERT_EQUAL(c->heartbeat_tics, 10);
	CU_ASSERT_STRING_EQUAL(c->gateway, "gw1");
	CU_ASSERT_STRING_EQUAL(c->pidfile, "/run/tcpquotad.pid");
	/* unset: the journal under systemd, else /var/log/tcpquotad.log */
	CU_ASSERT_STRING_EQUAL(c->logfile, "");
	CU_ASSERT_STRING_EQUAL(c->journal, "/var/lib/tcpquota/journal");
	CU_ASSERT_STRING_EQUAL(c->wakeup, "/run/tcpquota/wakeup.sock");
	CU_ASSERT_STRING_EQUAL(c->tools_group, "tcpquota");

	CU_ASSERT_STRING_EQUAL(c->db_socket, "/run/mysqld/mysqld.sock");
	CU_ASSERT_STRING_EQUAL(c->db_host, "localhost");
	CU_ASSERT_EQUAL(c->db_port, 3306);
	CU_ASSERT_STRING_EQUAL(c->db_name, "tcpquota");
	CU_ASSERT_STRING_EQUAL(c->db_user, "tcpquotad");
	CU_ASSERT_STRING_EQUAL(c->db_password_file, "/etc/tcpquota/db.secret");
	CU_ASSERT_EQUAL(c->db_timeout, 5);
	CU_ASSERT_STRING_EQUAL(c->db_tool_user, "tcpquota_tool");
	CU_ASSERT_STRING_EQUAL(c->db_tool_password_file,
			       "/etc/tcpquota/tool.secret");
	CU_ASSERT_STRING_EQUAL(c->db_admin_user, "tcpquota_admin");
	CU_ASSERT_STRING_EQUAL(c->db_admin_password_file,
			       "/etc/tcpquota/admin.secret");

	CU_ASSERT_EQUAL_FATAL(c->n_lan, 1);
	CU_ASSERT_STRING_EQUAL(c->lan[0], "eth1");
	CU_ASSERT_EQUAL_FATAL(c->n_wan, 1);
	CU_ASSERT_STRING_EQUAL(c->wan[0], "eth0");
	CU_ASSERT_EQUAL_FATAL(c->n_local_networks, 2);
	CU_ASSERT_STRING_EQUAL(cidr_format(&c->local_networks[0], buf,
					   sizeof(buf)), "192.168.0.0/16");
	CU_ASSERT_STRING_EQUAL(cidr_format(&c->local_networks[1], buf,
					   sizeof(buf)), "fd00::/8");
	CU_ASSERT_STRING_EQUAL(c->link, "always");
	CU_ASSERT_STRING_EQUAL(c->table, "tcpquota");
	CU_ASSERT_TRUE(c->check_local);
	CU_ASSERT_TRUE(c->check_masq);
	CU_ASSERT_EQUAL(c->conntrack_resync, 120);
	CU_ASSERT_FALSE(c->bind_mac);

	CU_ASSERT_EQUAL(c->min_quota, 0);
	CU_ASSERT_EQUAL(c->min_uid, 1000);
	CU_ASSERT_EQUAL_FATAL(c->n_free_users, 1);
	CU_ASSERT_STRING_EQUAL(c->free_users[0], "free");
	CU_ASSERT_FALSE(c->kill_processes);
	CU_ASSERT_STRING_EQUAL(c->admin_group, "tcpquota-admin");
	CU_ASSERT_STRING_EQUAL(c->message_file, "/etc/tcpquota/no-quota.txt");

	CU_ASSERT_DOUBLE_EQUAL(c->default_rate, 2.0, 0);
	CU_ASSERT_STRING_EQUAL(c->money_unit, "SEK");
	CU_ASSERT_DOUBLE_EQUAL(c->money_per_minute, 0.1, 0);
	CU_ASSERT_EQUAL(c->n_tariffs, 0);

	CU_ASSERT_EQUAL(c->free_access.days, TQ_DAYS_ALL);
	CU_ASSERT_EQUAL(c->free_access.from, 0);
	CU_ASSERT_EQUAL(c->free_access.to, 0);
	CU_ASSERT_EQUAL(c->n_groups, 0);
	conf_free(c);
}

static void test_empty_is_defaults(void)
{
	struct tq_conf *d = conf_defaults();
	struct tq_conf *c = expect_ok("# nothing but a comment\n");

	CU_ASSERT_STRING_EQUAL(conf_diff(c, d), "");
	CU_ASSERT_STRING_EQUAL(c->path, "t.conf");
	conf_free(c);
	c = expect_ok("");
	CU_ASSERT_STRING_EQUAL(conf_diff(c, d), "");
	conf_free(c);
	/* empty sections are fine too */
	c = expect_ok("daemon = { }; database = { }; network = { };\n"
		      "quota = { }; rates = { }; free_access = { };\n"
		      "groups = { };\n");
	CU_ASSERT_STRING_EQUAL(conf_diff(c, d), "");
	conf_free(c);
	conf_free(d);
}

/* The shipped example must load and equal the defaults exactly. */
static void test_example_file(void)
{
	struct tq_conf *d = conf_defaults();
	struct tq_conf *c;
	const char *path = tq_fixture("../../conf/tcpquota.conf");

	c = conf_load(path, err, sizeof(err));
	if (!c)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(conf_diff(c, d), "");
	CU_ASSERT_STRING_EQUAL(c->path, path);
	conf_free(c);
	conf_free(d);
}

/* The debug variant differs only where it says so. */
static void test_debug_file(void)
{
	struct tq_conf *d = conf_defaults();
	struct tq_conf *c;

	c = conf_load(tq_fixture("../../conf/tcpquota.conf.debug"), err,
		      sizeof(err));
	if (!c)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->period, 2);
	CU_ASSERT_EQUAL(c->heartbeat_tics, 5);
	CU_ASSERT_STRING_EQUAL(c->logfile, "-");
	c->period = d->period;
	c->heartbeat_tics = d->heartbeat_tics;
	free(c->logfile);
	c->logfile = xstrdup(d->logfile);
	CU_ASSERT_STRING_EQUAL(conf_diff(c, d), "");
	conf_free(c);
	conf_free(d);
}

/* A fixture with every setting changed: each value arrives. */
static void test_full_fixture(void)
{
	struct tq_conf *c = conf_load(tq_fixture("conf/full.conf"), err,
				      sizeof(err));
	const struct tq_group *g;
	char buf[64];

	if (!c)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->period, 30);
	CU_ASSERT_EQUAL(c->heartbeat_tics, 4);
	CU_ASSERT_STRING_EQUAL(c->gateway, "gw-2.lab");
	CU_ASSERT_STRING_EQUAL(c->pidfile, "/tmp/tq/tcpquotad.pid");
	CU_ASSERT_STRING_EQUAL(c->logfile, "syslog");
	CU_ASSERT_STRING_EQUAL(c->journal, "/tmp/tq/journal");
	CU_ASSERT_STRING_EQUAL(c->wakeup, "");
	CU_ASSERT_STRING_EQUAL(c->tools_group, "tq-tools");
	CU_ASSERT_STRING_EQUAL(c->db_socket, "");
	CU_ASSERT_STRING_EQUAL(c->db_host, "198.18.0.5");
	CU_ASSERT_EQUAL(c->db_port, 3307);
	CU_ASSERT_STRING_EQUAL(c->db_name, "tq_test");
	CU_ASSERT_STRING_EQUAL(c->db_user, "tqd");
	CU_ASSERT_STRING_EQUAL(c->db_password_file, "");
	CU_ASSERT_EQUAL(c->db_timeout, 300);
	CU_ASSERT_STRING_EQUAL(c->db_tool_user, "tq.tool");
	CU_ASSERT_STRING_EQUAL(c->db_tool_password_file,
			       "/tmp/tq/tool.secret");
	CU_ASSERT_STRING_EQUAL(c->db_admin_user, "tq-admin");
	CU_ASSERT_STRING_EQUAL(c->db_admin_password_file,
			       "/tmp/tq/admin.secret");
	CU_ASSERT_EQUAL_FATAL(c->n_lan, 2);
	CU_ASSERT_STRING_EQUAL(c->lan[0], "lan0");
	CU_ASSERT_STRING_EQUAL(c->lan[1], "lan1.10");
	CU_ASSERT_EQUAL_FATAL(c->n_wan, 1);
	CU_ASSERT_STRING_EQUAL(c->wan[0], "ppp0");
	CU_ASSERT_EQUAL_FATAL(c->n_local_networks, 3);
	CU_ASSERT_STRING_EQUAL(cidr_format(&c->local_networks[0], buf,
					   sizeof(buf)), "198.18.0.0/15");
	CU_ASSERT_STRING_EQUAL(cidr_format(&c->local_networks[1], buf,
					   sizeof(buf)), "2001:db8::/32");
	CU_ASSERT_STRING_EQUAL(cidr_format(&c->local_networks[2], buf,
					   sizeof(buf)), "10.0.0.1/32");
	CU_ASSERT_STRING_EQUAL(c->link, "ppp0");
	CU_ASSERT_STRING_EQUAL(c->table, "tq_lab-1");
	CU_ASSERT_FALSE(c->check_local);
	CU_ASSERT_FALSE(c->check_masq);
	CU_ASSERT_EQUAL(c->conntrack_resync, 30);
	CU_ASSERT_TRUE(c->bind_mac);
	CU_ASSERT_EQUAL(c->min_quota, -5000000000LL);
	CU_ASSERT_EQUAL(c->min_uid, 500);
	CU_ASSERT_EQUAL_FATAL(c->n_free_users, 2);
	CU_ASSERT_STRING_EQUAL(c->free_users[0], "gratis");
	CU_ASSERT_STRING_EQUAL(c->free_users[1], "teacher");
	CU_ASSERT_TRUE(c->kill_processes);
	CU_ASSERT_STRING_EQUAL(c->admin_group, "wheel");
	CU_ASSERT_STRING_EQUAL(c->message_file, "");
	CU_ASSERT_DOUBLE_EQUAL(c->default_rate, 1.5, 0);
	CU_ASSERT_STRING_EQUAL(c->money_unit, "EUR");
	CU_ASSERT_DOUBLE_EQUAL(c->money_per_minute, 0, 0);
	CU_ASSERT_EQUAL_FATAL(c->n_tariffs, 3);
	CU_ASSERT_EQUAL(c->tariffs[0].days, 0x1fu);
	CU_ASSERT_EQUAL(c->tariffs[0].from, 480);
	CU_ASSERT_EQUAL(c->tariffs[0].to, 1080);
	CU_ASSERT_DOUBLE_EQUAL(c->tariffs[0].rate, 4, 0);
	CU_ASSERT_EQUAL(c->tariffs[1].days, 0x30u);
	CU_ASSERT_EQUAL(c->tariffs[1].from, 1320);
	CU_ASSERT_EQUAL(c->tariffs[1].to, 360);
	CU_ASSERT_DOUBLE_EQUAL(c->tariffs[1].rate, 1, 0);
	CU_ASSERT_EQUAL(c->tariffs[2].days, 0x60u);
	CU_ASSERT_EQUAL(c->tariffs[2].from, 0);
	CU_ASSERT_EQUAL(c->tariffs[2].to, 0);
	CU_ASSERT_DOUBLE_EQUAL(c->tariffs[2].rate, 0.5, 0);
	CU_ASSERT_EQUAL(c->free_access.days, 0x1fu);
	CU_ASSERT_EQUAL(c->free_access.from, 480);
	CU_ASSERT_EQUAL(c->free_access.to, 1080);
	CU_ASSERT_EQUAL_FATAL(c->n_groups, 2);
	g = conf_group(c, "room1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL_FATAL(g->n_members, 4);
	/* numeric members in canonical form, names as written */
	CU_ASSERT_STRING_EQUAL(g->members[0], "198.18.1.10");
	CU_ASSERT_STRING_EQUAL(g->members[1], "198.18.1.11");
	CU_ASSERT_STRING_EQUAL(g->members[2], "2001:db8::10");
	CU_ASSERT_STRING_EQUAL(g->members[3], "pc12.lan");
	g = conf_group(c, "lab-2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(g->n_members, 0);
	CU_ASSERT_PTR_NULL(conf_group(c, "room2"));
	CU_ASSERT_PTR_NULL(conf_group(c, "ROOM1"));
	CU_ASSERT_PTR_NULL(conf_group(c, NULL));
	conf_free(c);
}

static void test_fixture_errors(void)
{
	char want[512];
	struct tq_conf *c;

	c = conf_load(tq_fixture("conf/typo.conf"), err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	snprintf(want, sizeof(want), "%s:4: daemon.heartbaet_tics: unknown "
		 "setting; check the spelling (known here: period, "
		 "heartbeat_tics, gateway, pidfile, logfile, journal, wakeup, "
		 "tools_group)",
		 tq_fixture("conf/typo.conf"));
	CU_ASSERT_STRING_EQUAL(err, want);

	c = conf_load(tq_fixture("conf/bad-tariff.conf"), err, sizeof(err));
	CU_ASSERT_PTR_NULL(c);
	snprintf(want, sizeof(want), "%s:8: rates.tariffs[1].to: \"25:00\" "
		 "is not a time; use \"HH:MM\" in 00:00..24:00, e.g. \"08:00\"",
		 tq_fixture("conf/bad-tariff.conf"));
	CU_ASSERT_STRING_EQUAL(err, want);
}

static void test_unreadable(void)
{
	CU_ASSERT_PTR_NULL(conf_load("/nonexistent/tcpquota.conf", err,
				     sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/tcpquota.conf: cannot "
			       "read: No such file or directory");
	CU_ASSERT_PTR_NULL(conf_load("/", err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "/: cannot read: Is a directory");
	CU_ASSERT_PTR_NULL(conf_load("/dev/null", err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "/dev/null: cannot read: not a regular "
			       "file");
	/* a NULL error buffer is allowed */
	CU_ASSERT_PTR_NULL(conf_load("/nonexistent/tcpquota.conf", NULL, 0));
	CU_ASSERT_PTR_NULL(conf_load_string("x = ", "t.conf", NULL, 0));
}

static void test_unknown(void)
{
	expect_err("daemon = {\n\tperiod = 5;\n\tperoid = 6;\n};\n",
		   "t.conf:3: daemon.peroid: unknown setting; check the "
		   "spelling (known here: period, heartbeat_tics, gateway, "
		   "pidfile, logfile, journal, wakeup, tools_group)");
	expect_err("\n\ndeamon = { period = 5; };\n",
		   "t.conf:3: deamon: unknown section; check the spelling "
		   "(sections: daemon, database, network, quota, rates, "
		   "free_access, groups, portal)");
	expect_err("period = 5;\n",
		   "t.conf:1: period: unknown section; check the spelling "
		   "(sections: daemon, database, network, quota, rates, "
		   "free_access, groups, portal)");
	expect_err("database = { pasword_file = \"\"; };\n",
		   "t.conf:1: database.pasword_file: unknown setting; check "
		   "the spelling (known here: socket, host, port, name, user, "
		   "password_file, timeout, tool_user, tool_password_file, "
		   "admin_user, admin_password_file)");
	expect_err("rates = {\n tariffs = ( { days = \"mon\"; rate = 1;\n"
		   " rte = 2; } );\n};\n",
		   "t.conf:3: rates.tariffs[0].rte: unknown setting; check "
		   "the spelling (known here: days, from, to, rate)");
	/* rate belongs to tariffs only */
	expect_err("free_access = { rate = 1; };\n",
		   "t.conf:1: free_access.rate: unknown setting; check the "
		   "spelling (known here: days, from, to)");
	expect_err("network = { lan = [ \"eth1\" ]; mac = true; };\n",
		   "t.conf:1: network.mac: unknown setting; check the "
		   "spelling (known here: lan, wan, local_networks, link, "
		   "table, check_local, check_masq, conntrack_resync, "
		   "bind_mac)");
	expect_err("quota = {\n free_user = [ \"free\" ];\n};\n",
		   "t.conf:2: quota.free_user: unknown setting; check the "
		   "spelling (known here: min_quota, min_uid, free_users, "
		   "kill_processes, admin_group, message_file)");
}

static void test_syntax(void)
{
	expect_err("daemon = {\n\tperiod = ;\n};\n",
		   "t.conf:2: syntax error; check the quotes, '=', ';' and "
		   "brackets on or before this line");
	/* an unclosed string is found before libconfig sees it */
	expect_err("daemon = {\n\tgateway = \"gw1;\n};\n",
		   "t.conf:2: string never closed; add the missing '\"'");
	expect_err("daemon = {\n\tgateway = \"gw1\\\"\n};\n",
		   "t.conf:2: string never closed; add the missing '\"'");
	/* a string where none may stand (libconfig 1.5 would leak it) */
	expect_err("\"\"",
		   "t.conf:1: syntax error; check the quotes, '=', ';' and "
		   "brackets on or before this line");
	expect_err("daemon = {\n period = 1\n \"x\";\n};",
		   "t.conf:3: syntax error; check the quotes, '=', ';' and "
		   "brackets on or before this line");
	expect_err("daemon = { \"gateway\" = \"x\"; };",
		   "t.conf:1: syntax error; check the quotes, '=', ';' and "
		   "brackets on or before this line");
	expect_err("network = { lan = [ \"eth1\" ] \"eth2\"; };",
		   "t.conf:1: syntax error; check the quotes, '=', ';' and "
		   "brackets on or before this line");
	expect_err("daemon = { period = 1, \"x\" };",
		   "t.conf:1: syntax error; check the quotes, '=', ';' and "
		   "brackets on or before this line");
	/* ...but in arrays, lists and concatenations it may */
	{
		struct tq_conf *c = expect_ok(
			"network = { lan = [ \"eth\" \"1\", \"eth2\" ];\n"
			"wan = ( \"eth\"\n\"0\" ); };\n"
			"daemon = { gateway = \"g\" \"w\"; };");

		CU_ASSERT_EQUAL_FATAL(c->n_lan, 2);
		CU_ASSERT_STRING_EQUAL(c->lan[0], "eth1");
		CU_ASSERT_STRING_EQUAL(c->lan[1], "eth2");
		CU_ASSERT_STRING_EQUAL(c->wan[0], "eth0");
		CU_ASSERT_STRING_EQUAL(c->gateway, "gw");
		conf_free(c);
	}
	/* quotes in comments do not count */
	conf_free(expect_ok("# \"\n// \"\n/* \"\n */ daemon = { };\n"));
	expect_err("daemon = { period = 5; };\n# x\ndaemon = { };\n",
		   "t.conf:3: duplicate setting; give each setting once");
	expect_err("groups = {\n room1 = [ \"pc1\",\n 5 ];\n};\n",
		   "t.conf:3: syntax error (mismatched element type in "
		   "array); check the quotes, '=', ';' and brackets on or "
		   "before this line");
	expect_err("# one\n@include \"/etc/passwd\"\n",
		   "t.conf:2: @include: not supported; put every setting in "
		   "this one file");
}

static void test_types(void)
{
	struct tq_conf *c;

	expect_err("daemon = { period = \"5\"; };",
		   "t.conf:1: daemon.period: is a string; use an integer in "
		   "1..3600");
	expect_err("daemon = { period = 5.0; };",
		   "t.conf:1: daemon.period: is a floating-point number; use "
		   "an integer in 1..3600");
	expect_err("daemon = { period = true; };",
		   "t.conf:1: daemon.period: is a boolean; use an integer in "
		   "1..3600");
	expect_err("daemon = { gateway = 1; };",
		   "t.conf:1: daemon.gateway: is an integer; use a string in "
		   "double quotes");
	expect_err("network = { check_local = 1; };",
		   "t.conf:1: network.check_local: is an integer; use true or "
		   "false");
	expect_err("network = { check_masq = \"yes\"; };",
		   "t.conf:1: network.check_masq: is a string; use true or "
		   "false");
	expect_err("network = { lan = \"eth1\"; };",
		   "t.conf:1: network.lan: is a string; use an array [ "
		   "interface, e.g. \"eth1\", ... ]");
	expect_err("network = { wan = [ 1, 2 ]; };",
		   "t.conf:1: network.wan[0]: is an integer; use a string in "
		   "double quotes");
	expect_err("rates = { default = \"2\"; };",
		   "t.conf:1: rates.default: is a string; use a number in "
		   "0..1000");
	expect_err("rates = { tariffs = { days = \"mon\"; rate = 1; }; };",
		   "t.conf:1: rates.tariffs: is a group { ... }; use a list "
		   "( { days = \"mon-fri\"; from = \"08:00\"; to = \"18:00\"; "
		   "rate = 4; }, ... )");
	expect_err("rates = { tariffs = ( \"mon\" ); };",
		   "t.conf:1: rates.tariffs[0]: is a string; use a group "
		   "{ ... }");
	expect_err("daemon = 5;",
		   "t.conf:1: daemon: is an integer; use a group { ... }");
	expect_err("daemon = ( );",
		   "t.conf:1: daemon: is a list ( ... ); use a group { ... }");
	expect_err("groups = [ ];",
		   "t.conf:1: groups: is an array [ ... ]; use a group "
		   "{ ... }");

	/* an integer where a number is expected is fine */
	c = expect_ok("rates = { default = 3; money_per_minute = 1;\n"
		      "tariffs = ( { rate = 7; } ); };");
	CU_ASSERT_DOUBLE_EQUAL(c->default_rate, 3.0, 0);
	CU_ASSERT_DOUBLE_EQUAL(c->money_per_minute, 1.0, 0);
	CU_ASSERT_DOUBLE_EQUAL(c->tariffs[0].rate, 7.0, 0);
	conf_free(c);
	/* lists ( ) of strings work as well as arrays [ ] */
	c = expect_ok("network = { lan = ( \"eth1\", \"eth2\" ); };");
	CU_ASSERT_EQUAL(c->n_lan, 2);
	CU_ASSERT_STRING_EQUAL(c->lan[1], "eth2");
	conf_free(c);
	/* hex integers are integers */
	c = expect_ok("daemon = { period = 0x10; };");
	CU_ASSERT_EQUAL(c->period, 16);
	conf_free(c);
}

struct range_case {
	const char *setting;	/* "daemon.period" */
	const char *ok_lo, *ok_hi, *bad_lo, *bad_hi;
	const char *range;	/* as the message prints it */
};

static void test_ranges(void)
{
	static const struct range_case cases[] = {
		{ "daemon.period", "1", "3600", "0", "3601", "1..3600" },
		{ "daemon.heartbeat_tics", "1", "1000000", "0", "1000001",
		  "1..1000000" },
		{ "database.port", "1", "65535", "0", "65536", "1..65535" },
		{ "database.timeout", "1", "300", "0", "301", "1..300" },
		{ "quota.min_uid", "0", "4294967294", "-1", "4294967295",
		  "0..4294967294" },
		{ "rates.default", "0", "1000", "-0.5", "1000.5", "0..1000" },
		{ "rates.money_per_minute", "0", "1000000", "-0.1",
		  "1000000.5", "0..1000000" },
	};
	char text[256], want[512], sec[32];
	const char *key;
	struct tq_conf *c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct range_case *r = &cases[i];

		key = strchr(r->setting, '.') + 1;
		snprintf(sec, sizeof(sec), "%.*s",
			 (int)(key - 1 - r->setting), r->setting);
		snprintf(text, sizeof(text), "%s = {\n %s = %s;\n};\n", sec,
			 key, r->ok_lo);
		c = expect_ok(text);
		conf_free(c);
		snprintf(text, sizeof(text), "%s = {\n %s = %s;\n};\n", sec,
			 key, r->ok_hi);
		c = expect_ok(text);
		conf_free(c);
		snprintf(text, sizeof(text), "%s = {\n %s = %s;\n};\n", sec,
			 key, r->bad_lo);
		snprintf(want, sizeof(want), "t.conf:2: %s: %s is out of "
			 "range; use %s", r->setting, r->bad_lo, r->range);
		expect_err(text, want);
		snprintf(text, sizeof(text), "%s = {\n %s = %s;\n};\n", sec,
			 key, r->bad_hi);
		snprintf(want, sizeof(want), "t.conf:2: %s: %s is out of "
			 "range; use %s", r->setting,
			 r->bad_hi,
			 r->range);
		expect_err(text, want);
	}
	/* values at the edges arrive unchanged */
	c = expect_ok("daemon = { period = 3600; heartbeat_tics = 1000000; };"
		      "quota = { min_uid = 4294967294; };");
	CU_ASSERT_EQUAL(c->period, 3600);
	CU_ASSERT_EQUAL(c->heartbeat_tics, 1000000);
	CU_ASSERT_EQUAL(c->min_uid, 4294967294u);
	conf_free(c);
	expect_err("rates = { default = 1e400; };",
		   "t.conf:1: rates.default: inf is out of range; use "
		   "0..1000");
}

/* libconfig 1.5 wraps an integer without "L" to 32 bits; conf must not. */
static void test_big_integers(void)
{
	struct tq_conf *c;

	c = expect_ok("quota = { min_quota = 5000000000; };");
	CU_ASSERT_EQUAL(c->min_quota, 5000000000LL);
	conf_free(c);
	c = expect_ok("quota = { min_quota = -5000000000; };");
	CU_ASSERT_EQUAL(c->min_quota, -5000000000LL);
	conf_free(c);
	c = expect_ok("quota = { min_quota = 7L; };");
	CU_ASSERT_EQUAL(c->min_quota, 7);
	conf_free(c);
	c = expect_ok("quota = { min_quota = -9223372036854775808; };");
	CU_ASSERT_EQUAL(c->min_quota, -9223372036854775807LL - 1);
	conf_free(c);
	c = expect_ok("quota = { min_quota = 9223372036854775807; };");
	CU_ASSERT_EQUAL(c->min_quota, 9223372036854775807LL);
	conf_free(c);
	expect_err("quota = {\n min_quota = 9223372036854775808;\n};",
		   "t.conf:2: quota.min_quota: integer 9223372036854775808 "
		   "is too large; use "
		   "-9223372036854775808..9223372036854775807");
	expect_err("rates = { tariffs = ( { days = \"daily\"; rate = 1; },\n"
		   "{ rate = 99999999999999999999; } ); };",
		   "t.conf:2: rates.tariffs[1].rate: integer "
		   "99999999999999999999 is too large; use "
		   "-9223372036854775808..9223372036854775807");
	expect_err("daemon = { period = 4294967297; };",
		   "t.conf:1: daemon.period: 4294967297 is out of range; use "
		   "1..3600");
	expect_err("network = { conntrack_resync = -1; };",
		   "t.conf:1: network.conntrack_resync: -1 is out of range; "
		   "use 0..1000000");
	expect_err("daemon = { period = 0x100000001; };",
		   "t.conf:1: daemon.period: 4294967297 is out of range; use "
		   "1..3600");
	/* numbers in strings, comments and names are left alone */
	c = expect_ok("# 5000000000\n/* 6000000000 */\n"
		      "// 7000000000\ndaemon = { gateway = \"5000000000\"; "
		      "journal = \"/x/\\\"9000000000\"; };");
	CU_ASSERT_STRING_EQUAL(c->gateway, "5000000000");
	CU_ASSERT_STRING_EQUAL(c->journal, "/x/\"9000000000");
	conf_free(c);
	/* floats keep their exponent */
	c = expect_ok("rates = { money_per_minute = 12345678901.0e-9; };");
	CU_ASSERT_DOUBLE_EQUAL(c->money_per_minute, 12.345678901, 1e-12);
	conf_free(c);
}

static char *repeat(const char *head, const char *item, size_t n,
		    const char *sep, const char *tail)
{
	size_t len = strlen(head) + n * (strlen(item) + strlen(sep)) +
		     strlen(tail) + 1;
	char *s = xmalloc(len), *p = s;
	size_t i;

	p = stpcpy(p, head);
	for (i = 0; i < n; i++) {
		p = stpcpy(p, item);
		if (i + 1 < n)
			p = stpcpy(p, sep);
	}
	strcpy(p, tail);
	return s;
}

static void test_strings(void)
{
	struct tq_conf *c;
	char *text;

	expect_err("daemon = { gateway = \"\"; };",
		   "t.conf:1: daemon.gateway: \"\" is not a gateway id; use "
		   "1..32 characters of A-Z a-z 0-9 . _ -");
	expect_err("daemon = { gateway = \"gw 1\"; };",
		   "t.conf:1: daemon.gateway: \"gw 1\" is not a gateway id; "
		   "use 1..32 characters of A-Z a-z 0-9 . _ -");
	expect_err("daemon = { gateway = "
		   "\"abcdefghijabcdefghijabcdefghijabc\"; };",
		   "t.conf:1: daemon.gateway: "
		   "\"abcdefghijabcdefghijabcdefghijabc\" is not a gateway id; "
		   "use 1..32 characters of A-Z a-z 0-9 . _ -");
	c = expect_ok("daemon = { gateway = "
		      "\"abcdefghijabcdefghijabcdefghijab\"; };");
	conf_free(c);
	expect_err("daemon = { pidfile = \"\"; };",
		   "t.conf:1: daemon.pidfile: \"\" is empty; give a file name");
	expect_err("daemon = { journal = \"/var/j\\n\"; };",
		   "t.conf:1: daemon.journal: \"/var/j?\" contains control "
		   "characters; give a plain file name");
	expect_err("daemon = { logfile = \"\"; };",
		   "t.conf:1: daemon.logfile: \"\" is empty; give a file name, "
		   "\"syslog\" or \"-\" for stderr");
	c = expect_ok("daemon = { logfile = \"-\"; wakeup = \"\"; };");
	CU_ASSERT_STRING_EQUAL(c->logfile, "-");
	CU_ASSERT_STRING_EQUAL(c->wakeup, "");
	conf_free(c);
	/* sun_path holds 107 characters and the NUL */
	text = repeat("daemon = { wakeup = \"/run/tcpquota/", "a", 94, "",
		      "\"; };");
	expect_err(text, "t.conf:1: daemon.wakeup: \"/run/tcpquota/aaaaaaaaaa"
		   "aaaaaaaaaaaaaaaa...\" is too long for a UNIX socket path; "
		   "use at most 107 characters");
	free(text);
	text = repeat("daemon = { wakeup = \"/run/tcpquota/", "a", 93, "",
		      "\"; };");
	c = expect_ok(text);
	CU_ASSERT_EQUAL(strlen(c->wakeup), 107);
	conf_free(c);
	free(text);
	expect_err("database = { host = \"\"; };",
		   "t.conf:1: database.host: \"\" is neither an address nor a "
		   "host name; use e.g. \"localhost\" or \"198.18.0.1\"");
	expect_err("database = { host = \"198.18.0.256\"; };",
		   "t.conf:1: database.host: \"198.18.0.256\" is neither an "
		   "address nor a host name; use e.g. \"localhost\" or "
		   "\"198.18.0.1\"");
	c = expect_ok("database = { host = \"db-1.example\"; };");
	conf_free(c);
	c = expect_ok("database = { host = \"2001:db8::5\"; };");
	conf_free(c);
	expect_err("database = { name = \"tcp-quota\"; };",
		   "t.conf:1: database.name: \"tcp-quota\" is not a database "
		   "name; use 1..64 characters of A-Z a-z 0-9 _ $");
	expect_err("database = { user = \"a b\"; };",
		   "t.conf:1: database.user: \"a b\" is not a database user "
		   "name; use 1..80 characters of A-Z a-z 0-9 . _ -");
	expect_err("database = { admin_user = \"x'y\"; };",
		   "t.conf:1: database.admin_user: \"x'y\" is not a database "
		   "user name; use 1..80 characters of A-Z a-z 0-9 . _ -");
	expect_err("network = { table = \"tcp.quota\"; };",
		   "t.conf:1: network.table: \"tcp.quota\" is not a table "
		   "name; use 1..32 characters of A-Z a-z 0-9 _ -");
	expect_err("network = { link = \"\"; };",
		   "t.conf:1: network.link: \"\" is neither \"always\" nor an "
		   "interface name; use \"always\" or e.g. \"ppp0\"");
	c = expect_ok("network = { link = \"ppp0\"; };");
	CU_ASSERT_STRING_EQUAL(c->link, "ppp0");
	conf_free(c);
	expect_err("quota = { admin_group = \"-wheel\"; };",
		   "t.conf:1: quota.admin_group: \"-wheel\" is not a user or "
		   "group name; use 1..32 characters of A-Z a-z 0-9 . _ - "
		   "(not starting with -)");
	expect_err("rates = { money_unit = \"SEK per minute each\"; };",
		   "t.conf:1: rates.money_unit: \"SEK per minute each\" is not a "
		   "money unit; use at most 16 printable characters, e.g. "
		   "\"SEK\"");
	/* UTF-8 is fine in the unit */
	c = expect_ok("rates = { money_unit = \"\xe2\x82\xac\"; };");
	CU_ASSERT_STRING_EQUAL(c->money_unit, "\xe2\x82\xac");
	conf_free(c);
}

static void test_interfaces(void)
{
	struct tq_conf *c;

	c = expect_ok("network = { lan = [ \"eth1\", \"br-lan.10\", "
		      "\"abcdefghijklmno\" ]; wan = [ \"wan0\" ]; };");
	CU_ASSERT_EQUAL_FATAL(c->n_lan, 3);
	CU_ASSERT_STRING_EQUAL(c->lan[0], "eth1");
	CU_ASSERT_STRING_EQUAL(c->lan[1], "br-lan.10");
	CU_ASSERT_STRING_EQUAL(c->lan[2], "abcdefghijklmno");
	CU_ASSERT_EQUAL_FATAL(c->n_wan, 1);
	CU_ASSERT_STRING_EQUAL(c->wan[0], "wan0");
	conf_free(c);
	expect_err("network = {\n lan = [ \"eth1\",\n "
		   "\"abcdefghijklmnop\" ];\n};",
		   "t.conf:3: network.lan[1]: \"abcdefghijklmnop\" is not an "
		   "interface name; use 1..15 characters without '/', ':' or "
		   "spaces, e.g. \"eth0\"");
	expect_err("network = { wan = [ \"eth/0\" ]; };",
		   "t.conf:1: network.wan[0]: \"eth/0\" is not an interface "
		   "name; use 1..15 characters without '/', ':' or spaces, "
		   "e.g. \"eth0\"");
	expect_err("network = { wan = [ \"eth0:1\" ]; };",
		   "t.conf:1: network.wan[0]: \"eth0:1\" is not an interface "
		   "name; use 1..15 characters without '/', ':' or spaces, "
		   "e.g. \"eth0\"");
	expect_err("network = { wan = [ \"\" ]; };",
		   "t.conf:1: network.wan[0]: \"\" is not an interface name; "
		   "use 1..15 characters without '/', ':' or spaces, e.g. "
		   "\"eth0\"");
	expect_err("network = { lan = [ \"..\" ]; };",
		   "t.conf:1: network.lan[0]: \"..\" is not an interface name; "
		   "use 1..15 characters without '/', ':' or spaces, e.g. "
		   "\"eth0\"");
	expect_err("network = { lan = [ ]; };",
		   "t.conf:1: network.lan: is empty; list at least one "
		   "interface, e.g. \"eth1\"");
	expect_err("network = { wan = ( ); };",
		   "t.conf:1: network.wan: is empty; list at least one "
		   "interface, e.g. \"eth0\"");
}

static void test_networks(void)
{
	struct tq_conf *c;
	struct tq_addr a;

	c = expect_ok("network = { local_networks = [ ]; };");
	CU_ASSERT_EQUAL(c->n_local_networks, 0);
	conf_free(c);
	c = expect_ok("network = { local_networks = [ \"198.18.0.0/15\", "
		      "\"::ffff:198.20.0.1\", \"2001:db8::/32\" ]; };");
	CU_ASSERT_EQUAL_FATAL(c->n_local_networks, 3);
	CU_ASSERT_EQUAL(addr_parse("198.19.1.1", &a), 0);
	CU_ASSERT_TRUE(cidr_match_any(c->local_networks, 3, &a));
	CU_ASSERT_EQUAL(addr_parse("198.20.0.1", &a), 0);
	CU_ASSERT_TRUE(cidr_match_any(c->local_networks, 3, &a));
	CU_ASSERT_EQUAL(addr_parse("198.20.0.2", &a), 0);
	CU_ASSERT_FALSE(cidr_match_any(c->local_networks, 3, &a));
	conf_free(c);
	expect_err("network = {\n local_networks = [\n \"198.18.0.0/15\",\n"
		   " \"198.18.0.1/15\" ];\n};",
		   "t.conf:4: network.local_networks[1]: \"198.18.0.1/15\" is "
		   "not a network; use ADDRESS/PREFIX with the host bits zero, "
		   "e.g. \"192.168.0.0/16\" or \"fd00::/8\"");
	expect_err("network = { local_networks = [ \"10.0.0.0/33\" ]; };",
		   "t.conf:1: network.local_networks[0]: \"10.0.0.0/33\" is "
		   "not a network; use ADDRESS/PREFIX with the host bits zero, "
		   "e.g. \"192.168.0.0/16\" or \"fd00::/8\"");
	expect_err("network = { local_networks = [ \"lan\" ]; };",
		   "t.conf:1: network.local_networks[0]: \"lan\" is not a "
		   "network; use ADDRESS/PREFIX with the host bits zero, e.g. "
		   "\"192.168.0.0/16\" or \"fd00::/8\"");
	expect_err("network = { local_networks = \"10.0.0.0/8\"; };",
		   "t.conf:1: network.local_networks: is a string; use an "
		   "array [ \"198.18.0.0/15\", ... ]");
}

static void test_free_users(void)
{
	struct tq_conf *c;

	c = expect_ok("quota = { free_users = [ \"free\", \"teacher\" ]; };");
	CU_ASSERT_TRUE(conf_is_free_user(c, "free"));
	CU_ASSERT_TRUE(conf_is_free_user(c, "teacher"));
	CU_ASSERT_FALSE(conf_is_free_user(c, "Free"));
	CU_ASSERT_FALSE(conf_is_free_user(c, "fre"));
	CU_ASSERT_FALSE(conf_is_free_user(c, ""));
	CU_ASSERT_FALSE(conf_is_free_user(c, NULL));
	conf_free(c);
	expect_err("quota = { free_users = [ ]; };",
		   "t.conf:1: quota.free_users: is empty; list at least one "
		   "user name, e.g. \"free\"");
	expect_err("quota = { free_users = [ \"free user\" ]; };",
		   "t.conf:1: quota.free_users[0]: \"free user\" is not a user "
		   "or group name; use 1..32 characters of A-Z a-z 0-9 . _ - "
		   "(not starting with -)");
}

static void test_parse_days(void)
{
	static const struct {
		const char *s;
		unsigned days;
	} good[] = {
		{ "mon", 0x01 }, { "tue", 0x02 }, { "wed", 0x04 },
		{ "thu", 0x08 }, { "fri", 0x10 }, { "sat", 0x20 },
		{ "sun", 0x40 }, { "mon-fri", 0x1f }, { "sat,sun", 0x60 },
		{ "daily", 0x7f }, { "DAILY", 0x7f }, { "Mon-Sun", 0x7f },
		{ "fri-mon", 0x71 }, { "sun-mon", 0x41 }, { "sat-fri", 0x7f },
		{ "mon-wed,fri", 0x17 }, { "wed-wed", 0x04 },
		{ "SAT, Sun", 0x60 },
		{ "mon,mon", 0x01 }, { "daily,mon", 0x7f },
	};
	static const char *const bad[] = {
		"", " ", "monday", "mo", "mon,", ",mon", "mon,,tue", "mon;tue",
		"mon-", "-fri", "mon-fri-sat", "mon fri", "weekdays", "1-5",
		"mon--fri", "mon - tue",
	};
	unsigned days;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		days = 0xdead;
		CU_ASSERT_EQUAL(conf_parse_days(good[i].s, &days), 0);
		if (days != good[i].days)
			fprintf(stderr, "\n  \"%s\": 0x%x\n", good[i].s, days);
		CU_ASSERT_EQUAL(days, good[i].days);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		days = 0xdead;
		CU_ASSERT_EQUAL(conf_parse_days(bad[i], &days), -1);
		CU_ASSERT_EQUAL(days, 0xdead);
	}
	CU_ASSERT_EQUAL(conf_parse_days(NULL, &days), -1);
	/* TQ_DAY() maps tm_wday (0 = Sunday) to these bits */
	CU_ASSERT_EQUAL(TQ_DAY(0), 0x40u);
	CU_ASSERT_EQUAL(TQ_DAY(1), 0x01u);
	CU_ASSERT_EQUAL(TQ_DAY(6), 0x20u);
}

static void test_parse_hhmm(void)
{
	static const struct {
		const char *s;
		int m;
	} good[] = {
		{ "00:00", 0 }, { "08:00", 480 }, { "18:30", 1110 },
		{ "23:59", 1439 }, { "24:00", 1440 }, { "12:05", 725 },
	};
	static const char *const bad[] = {
		"", "8:00", "08:0", "0800", "08.00", "24:01", "25:00",
		"12:60", "-1:00", "08:00 ", " 08:00", "+8:00", "08:00:00",
		"ab:cd", "1a:00",
	};
	size_t i;
	int m;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		m = -7;
		CU_ASSERT_EQUAL(conf_parse_hhmm(good[i].s, &m), 0);
		CU_ASSERT_EQUAL(m, good[i].m);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = -7;
		CU_ASSERT_EQUAL(conf_parse_hhmm(bad[i], &m), -1);
		CU_ASSERT_EQUAL(m, -7);
	}
	CU_ASSERT_EQUAL(conf_parse_hhmm(NULL, &m), -1);
}

static void test_window_errors(void)
{
	expect_err("free_access = {\n days = \"weekdays\";\n};",
		   "t.conf:2: free_access.days: \"weekdays\" is not a list of "
		   "days; use e.g. \"mon-fri\", \"sat,sun\", \"fri-mon\" or "
		   "\"daily\"");
	expect_err("free_access = {\n from = \"8:00\"; to = \"18:00\";\n};",
		   "t.conf:2: free_access.from: \"8:00\" is not a time; use "
		   "\"HH:MM\" in 00:00..24:00, e.g. \"08:00\"");
	expect_err("free_access = {\n days = \"mon\";\n to = \"18:00\";\n};",
		   "t.conf:3: free_access: \"to\" without \"from\"; give both, "
		   "or neither for the whole day");
	expect_err("free_access = { from = \"08:00\"; };",
		   "t.conf:1: free_access: \"from\" without \"to\"; give both, "
		   "or neither for the whole day");
	expect_err("free_access = { from = 8; to = 18; };",
		   "t.conf:1: free_access.from: is an integer; use a string in "
		   "double quotes");
	expect_err("rates = { tariffs = (\n { days = \"mon\"; },\n"
		   " { days = \"tue\"; }\n); };",
		   "t.conf:2: rates.tariffs[0]: no rate; add e.g. rate = 4;");
	expect_err("rates = { tariffs = ( { rate = -1; } ); };",
		   "t.conf:1: rates.tariffs[0].rate: -1 is out of range; use "
		   "0..1000");
}

static void test_tariffs(void)
{
	struct tq_conf *c;
	struct tm tm;

	c = expect_ok("rates = {\n default = 2;\n tariffs = (\n"
		      "  { days = \"mon-fri\"; from = \"08:00\"; to = \"18:00\";"
		      " rate = 4; },\n"
		      "  { days = \"fri,sat\"; from = \"22:00\"; to = \"06:00\";"
		      " rate = 1; },\n"
		      "  { days = \"sat,sun\"; rate = 0.5; }\n );\n};\n");
	CU_ASSERT_EQUAL_FATAL(c->n_tariffs, 3);
#define RATE(d, h, m) (tm = tmat(d, h, m), conf_rate_at(c, &tm))
	/* weekday hours */
	CU_ASSERT_DOUBLE_EQUAL(RATE(MON, 7, 59), 2, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(MON, 8, 0), 4, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(MON, 17, 59), 4, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(MON, 18, 0), 2, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(WED, 12, 0), 4, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(FRI, 10, 0), 4, 0);
	/* the night window: Friday and Saturday evenings, until Saturday
	 * and Sunday 06:00 */
	CU_ASSERT_DOUBLE_EQUAL(RATE(THU, 23, 0), 2, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(FRI, 3, 0), 2, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(FRI, 21, 59), 2, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(FRI, 22, 0), 1, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(FRI, 23, 59), 1, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(SAT, 0, 0), 1, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(SAT, 5, 59), 1, 0);
	/* weekend all day, where the night window does not match */
	CU_ASSERT_DOUBLE_EQUAL(RATE(SAT, 6, 0), 0.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(SAT, 21, 59), 0.5, 0);
	/* first match wins: Saturday night is the night rate */
	CU_ASSERT_DOUBLE_EQUAL(RATE(SAT, 23, 0), 1, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(SUN, 3, 0), 1, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(SUN, 6, 0), 0.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(SUN, 23, 59), 0.5, 0);
	/* Sunday is not in the night window, so Monday morning is default */
	CU_ASSERT_DOUBLE_EQUAL(RATE(MON, 3, 0), 2, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(MON, 0, 0), 2, 0);
	conf_free(c);

	/* no tariffs: always the default */
	c = conf_defaults();
	CU_ASSERT_DOUBLE_EQUAL(RATE(SUN, 12, 0), 2, 0);
	CU_ASSERT_DOUBLE_EQUAL(RATE(TUE, 9, 0), 2, 0);
	conf_free(c);
#undef RATE
}

static void test_windows(void)
{
	struct tq_window w;
	struct tm tm;

#define IN(d, h, m) (tm = tmat(d, h, m), conf_window_match(&w, &tm))
	/* from == to: the whole of each listed day */
	w = (struct tq_window){ .days = 0x40, .from = 600, .to = 600 };
	CU_ASSERT_TRUE(IN(SUN, 0, 0));
	CU_ASSERT_TRUE(IN(SUN, 23, 59));
	CU_ASSERT_FALSE(IN(MON, 0, 0));
	CU_ASSERT_FALSE(IN(SAT, 23, 59));
	/* until 24:00 */
	w = (struct tq_window){ .days = 0x01, .from = 1080, .to = 1440 };
	CU_ASSERT_FALSE(IN(MON, 17, 59));
	CU_ASSERT_TRUE(IN(MON, 18, 0));
	CU_ASSERT_TRUE(IN(MON, 23, 59));
	CU_ASSERT_FALSE(IN(TUE, 0, 0));
	/* 00:00 to 24:00 is the whole day, like from == to */
	w = (struct tq_window){ .days = 0x01, .from = 0, .to = 1440 };
	CU_ASSERT_TRUE(IN(MON, 0, 0));
	CU_ASSERT_TRUE(IN(MON, 23, 59));
	CU_ASSERT_FALSE(IN(TUE, 0, 0));
	/* Sunday 22:00 to 02:00 ends on Monday morning */
	w = (struct tq_window){ .days = 0x40, .from = 1320, .to = 120 };
	CU_ASSERT_FALSE(IN(SUN, 21, 59));
	CU_ASSERT_TRUE(IN(SUN, 22, 0));
	CU_ASSERT_TRUE(IN(MON, 0, 0));
	CU_ASSERT_TRUE(IN(MON, 1, 59));
	CU_ASSERT_FALSE(IN(MON, 2, 0));
	CU_ASSERT_FALSE(IN(SUN, 1, 0));
	CU_ASSERT_FALSE(IN(MON, 22, 0));
	/* from 24:00 to 06:00: only the morning after a listed day */
	w = (struct tq_window){ .days = 0x10, .from = 1440, .to = 360 };
	CU_ASSERT_FALSE(IN(FRI, 23, 59));
	CU_ASSERT_FALSE(IN(FRI, 3, 0));
	CU_ASSERT_TRUE(IN(SAT, 3, 0));
	CU_ASSERT_FALSE(IN(SAT, 6, 0));
	/* no days: never */
	w = (struct tq_window){ .days = 0, .from = 0, .to = 0 };
	CU_ASSERT_FALSE(IN(MON, 12, 0));
#undef IN
}

static void test_free_access(void)
{
	struct tq_conf *c = conf_defaults();
	struct tm tm;
	int d;

	/* default: every day, all day */
	for (d = 0; d < 7; d++) {
		tm = tmat(d, 0, 0);
		CU_ASSERT_TRUE(conf_free_access_at(c, &tm));
		tm = tmat(d, 23, 59);
		CU_ASSERT_TRUE(conf_free_access_at(c, &tm));
	}
	conf_free(c);

	c = expect_ok("free_access = { days = \"mon-fri\"; from = \"08:00\"; "
		      "to = \"18:00\"; };");
	tm = tmat(MON, 8, 0);
	CU_ASSERT_TRUE(conf_free_access_at(c, &tm));
	tm = tmat(FRI, 17, 59);
	CU_ASSERT_TRUE(conf_free_access_at(c, &tm));
	tm = tmat(MON, 7, 59);
	CU_ASSERT_FALSE(conf_free_access_at(c, &tm));
	tm = tmat(MON, 18, 0);
	CU_ASSERT_FALSE(conf_free_access_at(c, &tm));
	tm = tmat(SAT, 12, 0);
	CU_ASSERT_FALSE(conf_free_access_at(c, &tm));
	tm = tmat(SUN, 12, 0);
	CU_ASSERT_FALSE(conf_free_access_at(c, &tm));
	conf_free(c);

	/* only days: whole days */
	c = expect_ok("free_access = { days = \"sat,sun\"; };");
	CU_ASSERT_EQUAL(c->free_access.days, 0x60u);
	tm = tmat(SAT, 0, 0);
	CU_ASSERT_TRUE(conf_free_access_at(c, &tm));
	tm = tmat(FRI, 23, 59);
	CU_ASSERT_FALSE(conf_free_access_at(c, &tm));
	conf_free(c);
}

static void test_groups(void)
{
	const struct tq_group *g;
	struct tq_conf *c;

	c = expect_ok("groups = {\n room1 = [ \"198.18.1.10\", "
		      "\"::FFFF:198.18.1.11\" ];\n"
		      " room_2 = ( \"pc-1.lan\", \"PC2\", \"2001:db8:0::1\" );\n"
		      "};\n");
	CU_ASSERT_EQUAL_FATAL(c->n_groups, 2);
	CU_ASSERT_STRING_EQUAL(c->groups[0].name, "room1");
	CU_ASSERT_STRING_EQUAL(c->groups[1].name, "room_2");
	g = conf_group(c, "room_2");
	CU_ASSERT_PTR_EQUAL(g, &c->groups[1]);
	CU_ASSERT_EQUAL_FATAL(g->n_members, 3);
	CU_ASSERT_STRING_EQUAL(g->members[0], "pc-1.lan");
	CU_ASSERT_STRING_EQUAL(g->members[1], "PC2");
	CU_ASSERT_STRING_EQUAL(g->members[2], "2001:db8::1");
	g = conf_group(c, "room1");
	CU_ASSERT_EQUAL_FATAL(g->n_members, 2);
	CU_ASSERT_STRING_EQUAL(g->members[1], "198.18.1.11");
	conf_free(c);

	expect_err("groups = {\n room1 = [ \"198.18.1.10\",\n"
		   " \"198.18.1.300\" ];\n};",
		   "t.conf:3: groups.room1[1]: \"198.18.1.300\" is neither an "
		   "address nor a host name; use e.g. \"192.168.1.10\", "
		   "\"2001:db8::10\" or \"pc10.lan\"");
	expect_err("groups = { room1 = [ \"pc_1.lan\" ]; };",
		   "t.conf:1: groups.room1[0]: \"pc_1.lan\" is neither an "
		   "address nor a host name; use e.g. \"192.168.1.10\", "
		   "\"2001:db8::10\" or \"pc10.lan\"");
	expect_err("groups = { room1 = [ \"-pc.lan\" ]; };",
		   "t.conf:1: groups.room1[0]: \"-pc.lan\" is neither an "
		   "address nor a host name; use e.g. \"192.168.1.10\", "
		   "\"2001:db8::10\" or \"pc10.lan\"");
	expect_err("groups = { room1 = [ \"pc..lan\" ]; };",
		   "t.conf:1: groups.room1[0]: \"pc..lan\" is neither an "
		   "address nor a host name; use e.g. \"192.168.1.10\", "
		   "\"2001:db8::10\" or \"pc10.lan\"");
	expect_err("groups = { room1 = [ \"fe80::1%eth0\" ]; };",
		   "t.conf:1: groups.room1[0]: \"fe80::1%eth0\" is neither an "
		   "address nor a host name; use e.g. \"192.168.1.10\", "
		   "\"2001:db8::10\" or \"pc10.lan\"");
	expect_err("groups = { room1 = [ \"198.18.1.0/24\" ]; };",
		   "t.conf:1: groups.room1[0]: \"198.18.1.0/24\" is neither an "
		   "address nor a host name; use e.g. \"192.168.1.10\", "
		   "\"2001:db8::10\" or \"pc10.lan\"");
	expect_err("groups = {\n room*1 = [ \"198.18.1.1\" ];\n};",
		   "t.conf:2: groups.room*1: \"room*1\" is not a group name; "
		   "use 1..64 characters of A-Z a-z 0-9 _ -");
	expect_err("groups = { room1 = \"198.18.1.1\"; };",
		   "t.conf:1: groups.room1: is a string; use an array [ "
		   "\"192.168.1.10\", ... ]");
	expect_err("groups = { room1 = [ 1 ]; };",
		   "t.conf:1: groups.room1[0]: is an integer; use a string in "
		   "double quotes");
}

static void test_limits(void)
{
	struct tq_conf *c;
	char *text, *s;

	/* strings: 4096 characters pass, 4097 do not */
	s = repeat("", "a", 4096, "", "");
	text = repeat("daemon = { pidfile = \"/", s, 1, "", "\"; };");
	expect_err(text, "t.conf:1: daemon.pidfile: is longer than 4096 "
		   "characters; shorten it");
	free(text);
	text = repeat("daemon = { pidfile = \"", s, 1, "", "\"; };");
	c = expect_ok(text);
	CU_ASSERT_EQUAL(strlen(c->pidfile), 4096);
	conf_free(c);
	free(text);
	free(s);

	/* lists: 1024 entries pass, 1025 do not */
	text = repeat("network = { lan = [ ", "\"eth1\"", 1025, ", ", " ]; };");
	expect_err(text, "t.conf:1: network.lan: has 1025 entries; use at "
		   "most 1024");
	free(text);
	text = repeat("network = { lan = [ ", "\"eth1\"", 1024, ", ", " ]; };");
	c = expect_ok(text);
	CU_ASSERT_EQUAL(c->n_lan, 1024);
	conf_free(c);
	free(text);
	text = repeat("groups = { room = [ ", "\"pc\"", 1025, ", ", " ]; };");
	expect_err(text, "t.conf:1: groups.room: has 1025 entries; use at "
		   "most 1024");
	free(text);
	text = repeat("rates = { tariffs = ( ", "{ rate = 1; }", 1025, ", ",
		      " ); };");
	expect_err(text, "t.conf:1: rates.tariffs: has 1025 entries; use at "
		   "most 1024");
	free(text);

	/* nesting: libconfig recurses over it */
	text = repeat("rates = { tariffs = ", "(", 32, "", "");
	expect_err(text, "t.conf:1: nested too deeply; use at most 32 levels "
		   "of brackets");
	free(text);
	text = repeat("rates = { tariffs = ", "(", 31, "", "");
	expect_err(text, "t.conf:1: syntax error; check the quotes, '=', ';' "
		   "and brackets on or before this line");
	free(text);

	/* the file: 1 MiB passes, one byte more does not */
	text = xmalloc(TQ_CONF_MAX_BYTES + 2);
	memset(text, '\n', TQ_CONF_MAX_BYTES + 1);
	text[0] = '#';
	text[TQ_CONF_MAX_BYTES + 1] = '\0';
	expect_err(text, "t.conf: larger than 1048576 bytes; this is not a "
		   "tcpquota configuration file");
	text[TQ_CONF_MAX_BYTES] = '\0';
	c = expect_ok(text);
	conf_free(c);
	free(text);
}

/* Write data to a temporary file and load it with conf_load(). */
static struct tq_conf *load_file(const void *data, size_t len, char *path,
				 size_t pathlen)
{
	struct tq_conf *c;
	int fd;

	snprintf(path, pathlen, "/tmp/test_conf.XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(tq_write_all(fd, data, len) == 0);
	close(fd);
	c = conf_load(path, err, sizeof(err));
	unlink(path);
	return c;
}

static void test_load_file(void)
{
	static const char nul[] = "daemon = { period = 7; };\0# rest\n";
	char path[64], want[256];
	struct tq_conf *c;
	char *big;

	c = load_file("daemon = { period = 7; };\n", 26, path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->period, 7);
	CU_ASSERT_STRING_EQUAL(c->path, path);
	conf_free(c);

	/* a NUL byte would hide the rest of the file from libconfig */
	c = load_file(nul, sizeof(nul) - 1, path, sizeof(path));
	CU_ASSERT_PTR_NULL(c);
	snprintf(want, sizeof(want), "%s:1: contains a NUL byte; this is not "
		 "a text file", path);
	CU_ASSERT_STRING_EQUAL(err, want);

	big = xmalloc(TQ_CONF_MAX_BYTES + 1);
	memset(big, '\n', TQ_CONF_MAX_BYTES + 1);
	c = load_file(big, TQ_CONF_MAX_BYTES + 1, path, sizeof(path));
	CU_ASSERT_PTR_NULL(c);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes; this is "
		 "not a tcpquota configuration file", path);
	CU_ASSERT_STRING_EQUAL(err, want);
	c = load_file(big, TQ_CONF_MAX_BYTES, path, sizeof(path));
	CU_ASSERT_PTR_NOT_NULL(c);
	conf_free(c);
	free(big);
}

/* daemon.tools_group: the group the tools run setgid to, a plain name. */
static void test_tools_group(void)
{
	struct tq_conf *c;

	c = expect_ok("daemon = { tools_group = \"tq-tools\"; };");
	CU_ASSERT_STRING_EQUAL(c->tools_group, "tq-tools");
	conf_free(c);
	expect_err("daemon = { tools_group = \"\"; };",
		   "t.conf:1: daemon.tools_group: \"\" is not a user or group "
		   "name; use 1..32 characters of A-Z a-z 0-9 . _ - "
		   "(not starting with -)");
	expect_err("daemon = { tools_group = \"tcp quota\"; };",
		   "t.conf:1: daemon.tools_group: \"tcp quota\" is not a user "
		   "or group name; use 1..32 characters of A-Z a-z 0-9 . _ - "
		   "(not starting with -)");
	expect_err("daemon = { tools_group = 5; };",
		   "t.conf:1: daemon.tools_group: is an integer; use a string "
		   "in double quotes");
}

/* A failed reload returns NULL and leaves the running struct alone. */
static void test_reload(void)
{
	struct tq_conf *old, *copy, *bad;

	old = expect_ok("daemon = { period = 7; gateway = \"gw9\"; };\n"
			"groups = { room1 = [ \"198.18.1.1\" ]; };\n");
	copy = expect_ok("daemon = { period = 7; gateway = \"gw9\"; };\n"
			 "groups = { room1 = [ \"198.18.1.1\" ]; };\n");
	/* fails late, after several settings were already parsed */
	bad = load("daemon = { period = 9; gateway = \"gw8\"; };\n"
		   "groups = { room1 = [ \"198.18.1.2\" ]; };\n"
		   "quota = { min_uid = -1; };\n");
	CU_ASSERT_PTR_NULL(bad);
	CU_ASSERT_STRING_EQUAL(err, "t.conf:3: quota.min_uid: -1 is out of "
			       "range; use 0..4294967294");
	CU_ASSERT_STRING_EQUAL(conf_diff(old, copy), "");
	CU_ASSERT_EQUAL(old->period, 7);
	CU_ASSERT_STRING_EQUAL(old->gateway, "gw9");
	CU_ASSERT_STRING_EQUAL(old->groups[0].members[0], "198.18.1.1");
	conf_free(copy);
	conf_free(old);
	conf_free(NULL);
}

/* A long value is cut in messages and control characters are masked, so
 * a file cannot forge log lines. */
static void test_message_quoting(void)
{
	expect_err("daemon = { gateway = \"evil\\nJan 1 root: ok\"; };",
		   "t.conf:1: daemon.gateway: \"evil?Jan 1 root: ok\" is not a "
		   "gateway id; use 1..32 characters of A-Z a-z 0-9 . _ -");
	/* a tiny error buffer is truncated, not overrun */
	{
		char small[16];
		struct tq_conf *c;

		memset(small, 'x', sizeof(small));
		c = conf_load_string("daemon = { period = 0; };", "t.conf",
				     small, sizeof(small));
		CU_ASSERT_PTR_NULL(c);
		CU_ASSERT_STRING_EQUAL(small, "t.conf:1: daemo");
	}
}

static const struct tq_test tests[] = {
	{ "defaults", test_defaults },
	{ "empty file is the defaults", test_empty_is_defaults },
	{ "conf/tcpquota.conf equals the defaults", test_example_file },
	{ "conf/tcpquota.conf.debug", test_debug_file },
	{ "fixture with every setting", test_full_fixture },
	{ "fixture errors name file and line", test_fixture_errors },
	{ "unreadable files", test_unreadable },
	{ "unknown settings and sections", test_unknown },
	{ "syntax errors", test_syntax },
	{ "wrong types", test_types },
	{ "ranges", test_ranges },
	{ "integers beyond 32 bits", test_big_integers },
	{ "string settings", test_strings },
	{ "interface names", test_interfaces },
	{ "local networks", test_networks },
	{ "free users", test_free_users },
	{ "parse days", test_parse_days },
	{ "parse HH:MM", test_parse_hhmm },
	{ "window errors", test_window_errors },
	{ "tariffs across midnight and weekends", test_tariffs },
	{ "window matching", test_windows },
	{ "free access", test_free_access },
	{ "groups", test_groups },
	{ "size limits", test_limits },
	{ "conf_load from a file", test_load_file },
	{ "daemon.tools_group", test_tools_group },
	{ "failed reload keeps the old struct", test_reload },
	{ "values quoted safely in messages", test_message_quoting },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("conf", tests);
}
