/* test_enforce.c - message text, the kill guard, proc scan. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utmpx.h>

#include "conf.h"
#include "enforce.h"
#include "procscan.h"
#include "tq_test.h"

static void test_message_text(void)
{
	char path[] = "/tmp/tq-enforce-XXXXXX";
	char *t;
	int fd;

	t = enforce_message_text("");
	CU_ASSERT_STRING_EQUAL(t, enforce_default_message);
	free(t);
	t = enforce_message_text("/nonexistent/tq-message");
	CU_ASSERT_STRING_EQUAL(t, enforce_default_message);
	free(t);
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "no quota\n", 9), 9);
	close(fd);
	t = enforce_message_text(path);
	CU_ASSERT_STRING_EQUAL(t, "no quota\n");
	free(t);
	unlink(path);
}

static void test_kill_guard(void)
{
	errno = 0;
	CU_ASSERT_EQUAL(enforce_kill(0, 0), -1);
	CU_ASSERT_EQUAL(errno, EPERM);
	errno = 0;
	CU_ASSERT_EQUAL(enforce_kill(999, 1000), -1);
	CU_ASSERT_EQUAL(errno, EPERM);
	/* a uid with no processes: nothing signalled */
	CU_ASSERT_EQUAL(enforce_kill(3999999999u, 1000), 0);
}

/*
 * A daemon without CAP_KILL (a systemd unit that bounds it away) must hear
 * that kill(2) failed: a victim runs as uid 4001, enforce_kill() runs in a
 * child that became uid 4002, so every kill is EPERM; then as root the
 * victim is killed and counted.  Needs root to change uids, as make check
 * runs; otherwise the test fails rather than pass unchecked.
 */
static void test_kill_eperm(void)
{
	pid_t victim, killer;
	int st = 0;

	CU_ASSERT_EQUAL_FATAL(geteuid(), 0);
	victim = fork();
	CU_ASSERT_FATAL(victim >= 0);
	if (victim == 0) {
		if (setresuid(4001, 4001, 4001) < 0)
			_exit(2);
		for (;;)
			pause();
	}
	usleep(50000);	/* the victim has its uid */
	killer = fork();
	CU_ASSERT_FATAL(killer >= 0);
	if (killer == 0) {
		int k;

		if (setresuid(4002, 4002, 4002) < 0)
			_exit(2);
		errno = 0;
		k = enforce_kill(4001, 1000);
		_exit(k == -1 && errno == EPERM ? 0 : 1);
	}
	CU_ASSERT_EQUAL(waitpid(killer, &st, 0), killer);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CU_ASSERT_EQUAL(kill(victim, 0), 0);	/* still alive */
	CU_ASSERT_EQUAL(enforce_kill(4001, 1000), 1);
	CU_ASSERT_EQUAL(waitpid(victim, &st, 0), victim);
	CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static void test_message_nobody(void)
{
	/* nobody by that name is logged in: no terminal written */
	CU_ASSERT_EQUAL(enforce_message("no-such-user-tq", "x\n"), 0);
}

/* Login records that name no terminal: /dev/null and other devices,
 * links, paths through a link (fd/1), a directory.  None is written (as
 * root, the unit tests' user, /dev/full would refuse a write and
 * /dev/null swallow it: the count tells).  A utmp file of the test's own,
 * through utmpxname(). */
static void test_message_no_tty(void)
{
	static const char *const lines[] = {
		"null", "zero", "full", "urandom", "fd/1", "stdout", "stderr",
		"pts", "shm", "net/tun",
	};
	char path[] = "/tmp/tq-utmp-XXXXXX";
	struct utmpx u;
	size_t i;
	int fd;

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(utmpxname(path), 0);
	setutxent();
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		memset(&u, 0, sizeof(u));
		u.ut_type = USER_PROCESS;
		u.ut_pid = getpid();
		snprintf(u.ut_id, sizeof(u.ut_id), "t%zu", i);
		snprintf(u.ut_user, sizeof(u.ut_user), "tq-unit-msg");
		snprintf(u.ut_line, sizeof(u.ut_line), "%s", lines[i]);
		CU_ASSERT_PTR_NOT_NULL(pututxline(&u));
	}
	endutxent();
	CU_ASSERT_EQUAL(enforce_message("tq-unit-msg", "x\n"), 0);
	utmpxname(_PATH_UTMPX);
	unlink(path);

	/* terminals' majors, and devices that are none */
	CU_ASSERT(enforce_tty_major(4));	/* tty1, ttyS0 */
	CU_ASSERT(enforce_tty_major(136));	/* pts/0 */
	CU_ASSERT(enforce_tty_major(143));
	CU_ASSERT(!enforce_tty_major(1));	/* null, zero, mem */
	CU_ASSERT(!enforce_tty_major(5));	/* tty, console, ptmx */
	CU_ASSERT(!enforce_tty_major(10));	/* watchdog (misc) */
	CU_ASSERT(!enforce_tty_major(144));
}

/* procscan reads the same as feeding the parsers by hand; a missing tcp6
 * (no IPv6) is fine, a missing tcp is not. */
static void test_procscan_files(void)
{
	struct tq_conf *c = conf_defaults();
	struct scan_agg *a = scan_agg_new(c), *b = scan_agg_new(c);
	const struct scan_user *ua, *ub;
	struct scan_stats st = { 0 };
	char tcp[4096], tcp6[4096], ct[4096];
	size_t na, nb, i;
	FILE *f;

	snprintf(tcp, sizeof(tcp), "%s", tq_fixture("proc/tcp"));
	snprintf(tcp6, sizeof(tcp6), "%s", tq_fixture("proc/tcp6"));
	snprintf(ct, sizeof(ct), "%s", tq_fixture("proc/nf_conntrack"));
	CU_ASSERT_EQUAL(procscan_local_files(a, tcp, tcp6, &st), 0);
	f = fopen(tcp, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	scan_tcp(f, AF_INET, scan_agg_sock, b, &st);
	fclose(f);
	f = fopen(tcp6, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	scan_tcp(f, AF_INET6, scan_agg_sock, b, &st);
	fclose(f);
	na = scan_agg_users(a, &ua);
	nb = scan_agg_users(b, &ub);
	CU_ASSERT(na > 0);
	CU_ASSERT_EQUAL_FATAL(na, nb);
	for (i = 0; i < na; i++) {
		CU_ASSERT_EQUAL(ua[i].uid, ub[i].uid);
		CU_ASSERT_EQUAL(ua[i].socks, ub[i].socks);
	}
	scan_agg_reset(a);
	CU_ASSERT_EQUAL(procscan_local_files(a, tcp, "/nonexistent/tcp6",
					     NULL), 0);
	CU_ASSERT_EQUAL(procscan_local_files(a, "/nonexistent/tcp", tcp6,
					     NULL), -1);
	scan_agg_reset(a);
	CU_ASSERT_EQUAL(procscan_conntrack_file(a, ct), 0);
	CU_ASSERT(scan_agg_nhosts(a) > 0);
	CU_ASSERT_EQUAL(procscan_conntrack_file(a, "/nonexistent/ct"), -1);
	/* no netlink handle: the file fallback */
	scan_agg_free(a);
	scan_agg_free(b);
	conf_free(c);
}

int main(void)
{
	static const struct tq_test tests[] = {
		{ "message file or default", test_message_text },
		{ "never kills root or system uids", test_kill_guard },
		{ "kill(2) refused is reported", test_kill_eperm },
		{ "message to a user not logged in", test_message_nobody },
		{ "messages only to terminals", test_message_no_tty },
		{ "procscan over fixture files", test_procscan_files },
		{ NULL, NULL }
	};

	return tq_test_main("enforce", tests);
}
