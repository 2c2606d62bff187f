/* test_logins.c - login sessions: utmp records on crafted files, logind's
 * session and user files in a private /run (a mount namespace of the test
 * program's own, so the machine's sessions are neither read nor touched).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utmpx.h>

#include "logins.h"
#include "tq_test.h"

/* ---- utmp ---- */

static char utmp_path[64];

static void rec(FILE *f, short type, const char *line, pid_t pid,
		const char *user, const char *host, const char *addr)
{
	struct utmpx u;

	memset(&u, 0, sizeof(u));
	u.ut_type = type;
	u.ut_pid = pid;
	strncpy(u.ut_line, line, sizeof(u.ut_line));
	strncpy(u.ut_user, user, sizeof(u.ut_user));
	strncpy(u.ut_host, host, sizeof(u.ut_host));
	if (addr && strchr(addr, ':')) {
		CU_ASSERT_FATAL(inet_pton(AF_INET6, addr, u.ut_addr_v6) == 1);
	} else if (addr) {
		CU_ASSERT_FATAL(inet_pton(AF_INET, addr, u.ut_addr_v6) == 1);
	}
	CU_ASSERT_FATAL(fwrite(&u, sizeof(u), 1, f) == 1);
}

static FILE *utmp_new(void)
{
	int fd;

	strcpy(utmp_path, "/tmp/test_logins_utmp.XXXXXX");
	fd = mkstemp(utmp_path);
	CU_ASSERT_FATAL(fd >= 0);
	return fdopen(fd, "w");
}

static pid_t dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return p;
}

static int lookup(const char *line, struct login *l, char *buf)
{
	char err[256];
	int rc = logins_utmp_line(utmp_path, line, l, err, sizeof(err));

	if (rc == LOGINS_OK)
		addr_format(&l->addr, buf, TQ_ADDRSTRLEN);
	else
		buf[0] = '\0';
	return rc;
}

static void test_utmp_ssh_v4(void)
{
	struct login l;
	char a[TQ_ADDRSTRLEN];
	FILE *f = utmp_new();

	rec(f, LOGIN_PROCESS, "tty1", getpid(), "LOGIN", "", NULL);
	rec(f, USER_PROCESS, "pts/7", getpid(), "alice", "198.18.1.10",
	    "198.18.1.10");
	fclose(f);
	CU_ASSERT_EQUAL(lookup("pts/7", &l, a), LOGINS_OK);
	CU_ASSERT_STRING_EQUAL(a, "198.18.1.10");
	CU_ASSERT_STRING_EQUAL(l.user, "alice");
	CU_ASSERT_STRING_EQUAL(l.line, "pts/7");
	CU_ASSERT_EQUAL(l.pid, getpid());
	/* ttyname() gives the /dev/ form. */
	CU_ASSERT_EQUAL(lookup("/dev/pts/7", &l, a), LOGINS_OK);
	CU_ASSERT_STRING_EQUAL(a, "198.18.1.10");
	unlink(utmp_path);
}

static void test_utmp_ssh_v6(void)
{
	struct login l;
	char a[TQ_ADDRSTRLEN];
	FILE *f = utmp_new();

	rec(f, USER_PROCESS, "pts/2", getpid(), "bob", "lan-pc.example",
	    "2001:db8:1::10");
	rec(f, USER_PROCESS, "pts/3", getpid(), "carol", "",
	    "::ffff:198.18.1.11");
	fclose(f);
	CU_ASSERT_EQUAL(lookup("pts/2", &l, a), LOGINS_OK);
	CU_ASSERT_STRING_EQUAL(a, "2001:db8:1::10");
	CU_ASSERT_STRING_EQUAL(l.user, "bob");
	/* An IPv4-mapped address is the IPv4 host. */
	CU_ASSERT_EQUAL(lookup("pts/3", &l, a), LOGINS_OK);
	CU_ASSERT_STRING_EQUAL(a, "198.18.1.11");
	CU_ASSERT_EQUAL(l.addr.family, AF_INET);
	unlink(utmp_path);
}

static void test_utmp_host_fallback(void)
{
	struct login l;
	char a[TQ_ADDRSTRLEN];
	FILE *f = utmp_new();

	/* No ut_addr_v6: a numeric ut_host is used ... */
	rec(f, USER_PROCESS, "pts/4", getpid(), "dave", "2001:db8:1::20",
	    NULL);
	/* ... a host name never is (it could be anything). */
	rec(f, USER_PROCESS, "pts/5", getpid(), "erin", "lan-pc.example",
	    NULL);
	/* An X display is not an address either. */
	rec(f, USER_PROCESS, "pts/6", getpid(), "erin", ":0", NULL);
	fclose(f);
	CU_ASSERT_EQUAL(lookup("pts/4", &l, a), LOGINS_OK);
	CU_ASSERT_STRING_EQUAL(a, "2001:db8:1::20");
	CU_ASSERT_EQUAL(lookup("pts/5", &l, a), LOGINS_LOCAL);
	CU_ASSERT_STRING_EQUAL(l.user, "erin");
	CU_ASSERT_EQUAL(lookup("pts/6", &l, a), LOGINS_LOCAL);
	unlink(utmp_path);
}

static void test_utmp_console(void)
{
	struct login l;
	char a[TQ_ADDRSTRLEN];
	FILE *f = utmp_new();

	rec(f, USER_PROCESS, "tty1", getpid(), "frank", "", NULL);
	fclose(f);
	CU_ASSERT_EQUAL(lookup("/dev/tty1", &l, a), LOGINS_LOCAL);
	CU_ASSERT_STRING_EQUAL(l.user, "frank");
	CU_ASSERT_STRING_EQUAL(l.line, "tty1");
	unlink(utmp_path);
}

static void test_utmp_stale(void)
{
	struct login l;
	char a[TQ_ADDRSTRLEN];
	pid_t dead = dead_pid();
	FILE *f = utmp_new();

	/* The dead session's record must not be used ... */
	rec(f, USER_PROCESS, "pts/9", dead, "mallory", "198.18.1.66",
	    "198.18.1.66");
	/* ... nor a logged-out one ... */
	rec(f, DEAD_PROCESS, "pts/10", getpid(), "", "198.18.1.67",
	    "198.18.1.67");
	/* ... and a stale record before the live one loses to it. */
	rec(f, USER_PROCESS, "pts/11", dead, "mallory", "198.18.1.68",
	    "198.18.1.68");
	rec(f, USER_PROCESS, "pts/11", getpid(), "grace", "198.18.1.12",
	    "198.18.1.12");
	rec(f, USER_PROCESS, "pts/12", getpid(), "heidi", "198.18.1.13",
	    "198.18.1.13");
	rec(f, USER_PROCESS, "pts/12", dead, "mallory", "198.18.1.69",
	    "198.18.1.69");
	fclose(f);
	CU_ASSERT_EQUAL(lookup("pts/9", &l, a), LOGINS_NONE);
	CU_ASSERT_EQUAL(lookup("pts/10", &l, a), LOGINS_NONE);
	CU_ASSERT_EQUAL(lookup("pts/11", &l, a), LOGINS_OK);
	CU_ASSERT_STRING_EQUAL(a, "198.18.1.12");
	CU_ASSERT_STRING_EQUAL(l.user, "grace");
	CU_ASSERT_EQUAL(lookup("pts/12", &l, a), LOGINS_OK);
	CU_ASSERT_STRING_EQUAL(a, "198.18.1.13");
	CU_ASSERT_STRING_EQUAL(l.user, "heidi");
	unlink(utmp_path);
}

static void test_utmp_wrong_tty(void)
{
	struct login l;
	char a[TQ_ADDRSTRLEN], err[256];
	FILE *f = utmp_new();

	rec(f, USER_PROCESS, "pts/1", getpid(), "ivan", "198.18.1.14",
	    "198.18.1.14");
	/* A 32-character line fills ut_line without a NUL. */
	rec(f, USER_PROCESS, "pts/1234567890123456789012345678",
	    getpid(), "judy", "198.18.1.15", "198.18.1.15");
	fclose(f);
	CU_ASSERT_EQUAL(lookup("pts/2", &l, a), LOGINS_NONE);
	CU_ASSERT_EQUAL(lookup("pts/10", &l, a), LOGINS_NONE);
	CU_ASSERT_EQUAL(lookup("pts/", &l, a), LOGINS_NONE);
	CU_ASSERT_EQUAL(lookup("pts/1234567890123456789012345678", &l, a),
			LOGINS_OK);
	CU_ASSERT_STRING_EQUAL(a, "198.18.1.15");
	CU_ASSERT_EQUAL(lookup("pts/12345678901234567890123456789", &l, a),
			LOGINS_NONE);
	CU_ASSERT_EQUAL(lookup("pts/123456789012345678901234567", &l, a),
			LOGINS_NONE);
	unlink(utmp_path);
	CU_ASSERT_EQUAL(logins_utmp_line(utmp_path, "pts/1", &l, err,
					 sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
}

/* ---- logind ---- */

/*
 * A tmpfs on /run in a mount namespace of this program alone: logind's
 * files are written there as logind writes them.  That takes root and a
 * "/" whose propagation can be made private, so that nothing reaches the
 * machine's /run: make check has both.  A package build may have
 * neither (a build as a plain user; a chroot, whose "/" is no mount
 * point): false, and the tests that need it say they were skipped.
 */
static bool private_run(void)
{
	static int state;	/* 1 ready, -1 impossible here */
	static char why[128];

	if (state < 0)
		printf("skipped: %s ... ", why);
	if (state)
		return state > 0;
	state = -1;
	if (geteuid() != 0) {
		snprintf(why, sizeof(why), "not root, no private /run");
		return private_run();
	}
	CU_ASSERT_EQUAL_FATAL(unshare(CLONE_NEWNS), 0);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(why, sizeof(why), "\"/\" cannot be made private "
			 "(%s: a chroot?), no private /run", strerror(errno));
		return private_run();
	}
	CU_ASSERT_EQUAL_FATAL(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"),
			      0);
	CU_ASSERT_EQUAL_FATAL(mkdir("/run/systemd", 0755), 0);
	state = 1;
	return true;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
}

/* A session file as logind's session_save() writes it. */
static void session(const char *id, unsigned uid, const char *state,
		    const char *extra)
{
	char path[128], text[1024];

	snprintf(path, sizeof(path), "/run/systemd/sessions/%s", id);
	snprintf(text, sizeof(text),
		 "# This is private data. Do not parse.\n"
		 "UID=%u\nUSER=x\nACTIVE=1\nIS_DISPLAY=0\nSTATE=%s\n"
		 "REMOTE=1\nTYPE=tty\nORIGINAL_TYPE=tty\nCLASS=user\n"
		 "SCOPE=session-%s.scope\nFIFO=/run/systemd/sessions/%s.ref\n"
		 "%sSERVICE=sshd\nLEADER=1\nREALTIME=1\nMONOTONIC=1\n",
		 uid, state, id, id, extra);
	put(path, text);
}

/* logind's directories as asked; false if there is no private /run. */
static bool logind_up(bool booted, bool sessions)
{
	if (!private_run())
		return false;
	if (booted) {
		CU_ASSERT(mkdir("/run/systemd/system", 0755) == 0 ||
			  errno == EEXIST);
	} else {
		rmdir("/run/systemd/system");
	}
	if (sessions) {
		CU_ASSERT(mkdir("/run/systemd/sessions", 0755) == 0 ||
			  errno == EEXIST);
		CU_ASSERT(mkdir("/run/systemd/users", 0755) == 0 ||
			  errno == EEXIST);
	}
	return true;
}

static void logind_down(void)
{
	CU_ASSERT_EQUAL(system("rm -rf /run/systemd/system "
			       "/run/systemd/sessions /run/systemd/users"), 0);
}

static void test_logind_detect(void)
{
	if (!logind_up(true, true))
		return;
	CU_ASSERT(logins_logind());
	/* systemd but no logind: no sessions directory */
	CU_ASSERT_EQUAL(rmdir("/run/systemd/sessions"), 0);
	CU_ASSERT(!logins_logind());
	/* a sessions directory without systemd (its marker) */
	logind_up(false, true);
	CU_ASSERT(!logins_logind());
	logind_down();
}

static void test_logind_session(void)
{
	struct login l;
	char a[TQ_ADDRSTRLEN], err[256];

	if (!logind_up(true, true))
		return;
	session("7", 0, "active", "TTY=pts/3\nREMOTE_HOST=198.18.1.10\n");
	CU_ASSERT_EQUAL(logins_session("7", &l, err, sizeof(err)), LOGINS_OK);
	CU_ASSERT_STRING_EQUAL(addr_format(&l.addr, a, sizeof(a)),
			       "198.18.1.10");
	CU_ASSERT_STRING_EQUAL(l.user, "root");
	CU_ASSERT_EQUAL(l.uid, 0);
	CU_ASSERT_STRING_EQUAL(l.line, "pts/3");
	CU_ASSERT_STRING_EQUAL(l.host, "198.18.1.10");
	CU_ASSERT_STRING_EQUAL(l.where, "session 7");

	/* IPv6, a TTY given as a path, a session merely online */
	session("8", 0, "online", "TTY=/dev/pts/4\n"
		"REMOTE_HOST=2001:db8:1::10\n");
	CU_ASSERT_EQUAL(logins_session("8", &l, err, sizeof(err)), LOGINS_OK);
	CU_ASSERT_STRING_EQUAL(addr_format(&l.addr, a, sizeof(a)),
			       "2001:db8:1::10");
	CU_ASSERT_STRING_EQUAL(l.line, "pts/4");

	/* the console: no remote host */
	session("9", 0, "active", "TTY=tty1\n");
	CU_ASSERT_EQUAL(logins_session("9", &l, err, sizeof(err)),
			LOGINS_LOCAL);
	CU_ASSERT_STRING_EQUAL(l.line, "tty1");
	CU_ASSERT_STRING_EQUAL(l.host, "");

	/* a host name is never resolved */
	session("10", 0, "active", "TTY=pts/5\nREMOTE_HOST=lan-pc.example\n");
	CU_ASSERT_EQUAL(logins_session("10", &l, err, sizeof(err)),
			LOGINS_LOCAL);
	CU_ASSERT_STRING_EQUAL(l.host, "lan-pc.example");

	/* logged out, processes lingering; a session that is gone */
	session("11", 0, "closing", "TTY=pts/6\nREMOTE_HOST=198.18.1.11\n");
	CU_ASSERT_EQUAL(logins_session("11", &l, err, sizeof(err)),
			LOGINS_NONE);
	CU_ASSERT_EQUAL(logins_session("12", &l, err, sizeof(err)),
			LOGINS_NONE);
	CU_ASSERT_STRING_EQUAL(l.where, "session 12");

	/* a uid without a passwd entry; a TTY too long is dropped, not cut */
	session("c1", 4000000123u, "active",
		"TTY=pts/12345678901234567890123456789\n"
		"REMOTE_HOST=198.18.1.12\n");
	CU_ASSERT_EQUAL(logins_session("c1", &l, err, sizeof(err)),
			LOGINS_OK);
	CU_ASSERT_STRING_EQUAL(l.user, "4000000123");
	CU_ASSERT_EQUAL(l.uid, 4000000123u);
	CU_ASSERT_STRING_EQUAL(l.line, "");

	/* a broken file, an id that is none */
	put("/run/systemd/sessions/13", "UID=root\nSTATE=active\n");
	CU_ASSERT_EQUAL(logins_session("13", &l, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "logind session 13: Invalid argument");
	CU_ASSERT_EQUAL(logins_session("../users/0", &l, err, sizeof(err)),
			-1);
	logind_down();
}

static void test_logind_user(void)
{
	struct login *l;
	char err[256];
	int n;

	if (!logind_up(true, true))
		return;
	session("7", 0, "active", "TTY=pts/3\nREMOTE_HOST=198.18.1.10\n");
	session("8", 0, "online", "TTY=pts/4\n");
	session("9", 0, "active", "TTY=pts/3\n");	/* same terminal */
	session("11", 0, "closing", "TTY=pts/6\n");
	session("13", 1, "active", "TTY=pts/7\n");	/* not root's */
	session("14", 0, "closing", "TTY=pts/8\n");
	/* as logind's user_save() lists them; 11 closed after it wrote */
	put("/run/systemd/users/0",
	    "# This is private data. Do not parse.\nNAME=root\n"
	    "STATE=active\nSTOPPING=no\nRUNTIME=/run/user/0\n"
	    "SERVICE=user@0.service\nSLICE=user-0.slice\n"
	    "SESSIONS=7 8 9 11 13 14\nSEATS=\nACTIVE_SESSIONS=7\n"
	    "ONLINE_SESSIONS=7 8 9 11 13\nACTIVE_SEATS=\nONLINE_SEATS=\n");
	n = logins_user("root", &l, err, sizeof(err));
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(l[0].line, "pts/3");
	CU_ASSERT_STRING_EQUAL(l[0].where, "session 7");
	CU_ASSERT_STRING_EQUAL(l[1].line, "pts/4");
	free(l);

	CU_ASSERT_EQUAL(logins_user("no-such-user-tq", &l, err, sizeof(err)),
			0);
	free(l);
	/* logged in nowhere: no user file */
	CU_ASSERT_EQUAL(unlink("/run/systemd/users/0"), 0);
	CU_ASSERT_EQUAL(logins_user("root", &l, err, sizeof(err)), 0);
	free(l);
	logind_down();
}

/* The process is in no session's cgroup here (or in the machine's, whose
 * file this /run does not have): no login. */
static void test_logind_self(void)
{
	struct login l;
	char err[256];

	if (!logind_up(true, true))
		return;
	CU_ASSERT_EQUAL(logins_self(&l, err, sizeof(err)), LOGINS_NONE);
	logind_down();
}

/* Without logind the daemon's look-up reads utmp through getutxent(), so
 * utmpxname() selects the file: live records of the user, one per
 * terminal. */
static void test_utmp_user(void)
{
	struct login *l;
	char err[256];
	pid_t dead;
	FILE *f;
	int n;

	if (!logind_up(false, false))
		return;
	dead = dead_pid();
	f = utmp_new();
	rec(f, USER_PROCESS, "pts/5", getpid(), "tq-unit-a", "198.18.1.20",
	    "198.18.1.20");
	rec(f, USER_PROCESS, "pts/6", dead, "tq-unit-a", "", NULL);
	rec(f, USER_PROCESS, "pts/5", getpid(), "tq-unit-a", "", NULL);
	rec(f, USER_PROCESS, "pts/7", getpid(), "tq-unit-b", "", NULL);
	rec(f, DEAD_PROCESS, "pts/8", getpid(), "tq-unit-a", "", NULL);
	rec(f, USER_PROCESS, "tty2", getpid(), "tq-unit-a", "", NULL);
	/* a longer name sharing the prefix is somebody else */
	rec(f, USER_PROCESS, "pts/9", getpid(), "tq-unit-ab", "", NULL);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(utmpxname(utmp_path), 0);
	n = logins_user("tq-unit-a", &l, err, sizeof(err));
	utmpxname(_PATH_UTMPX);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(l[0].line, "pts/5");
	CU_ASSERT_STRING_EQUAL(l[0].host, "198.18.1.20");
	CU_ASSERT_EQUAL(l[0].uid, (uid_t)-1);
	CU_ASSERT_STRING_EQUAL(l[1].line, "tty2");
	free(l);
	unlink(utmp_path);
}

static const struct tq_test tests[] = {
	{ "utmp ssh v4", test_utmp_ssh_v4 },
	{ "utmp ssh v6 and mapped", test_utmp_ssh_v6 },
	{ "utmp ut_host fallback", test_utmp_host_fallback },
	{ "utmp local console", test_utmp_console },
	{ "utmp stale records", test_utmp_stale },
	{ "utmp wrong tty, missing file", test_utmp_wrong_tty },
	{ "utmp: a user's terminals", test_utmp_user },
	{ "logind or utmp", test_logind_detect },
	{ "logind session files", test_logind_session },
	{ "logind: a user's sessions", test_logind_user },
	{ "logind: a process in no session", test_logind_self },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("logins", tests);
}
