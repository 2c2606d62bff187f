/* test_log.c - log lines: prefix, one line per message, no forged lines. */
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "tq_test.h"

static char path[64];

/* The log file's contents. */
static char *slurp(void)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void fresh(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/tq-test-log.XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL_FATAL(log_open("tqtest", path), 0);
}

static void done(void)
{
	log_close();
	unlink(path);
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_prefix(void)
{
	regex_t re;
	char *s;

	fresh();
	log_info("hello %d", 42);
	log_warnx("careful");
	s = slurp();
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(lines(s), 2);
	CU_ASSERT_EQUAL_FATAL(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2} "
				      "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "
				      "tqtest\\[[0-9]+\\] info: hello 42\n"
				      "[^\n]* warning: careful\n$",
				      REG_EXTENDED), 0);
	CU_ASSERT_EQUAL(regexec(&re, s, 0, NULL, 0), 0);
	regfree(&re);
	done();
}

/* A user name from the database with a newline cannot start a line. */
static void test_control_chars(void)
{
	char *s;

	fresh();
	log_info("deleted row of %s", "eve\n2026-01-01 00:00:00.000 "
		 "tcpquotad[1] info: forged\r\t\x7f!");
	s = slurp();
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(lines(s), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "info: deleted row of eve\\x0a"
				      "2026-01-01 00:00:00.000 tcpquotad[1] "
				      "info: forged\\x0d\\x09\\x7f!\n"));
	done();
}

/* An overlong message is cut, still as one whole line. */
static void test_overlong(void)
{
	char big[5000], *s;
	size_t n;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	fresh();
	log_info("%s", big);
	log_info("next");
	s = slurp();
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(lines(s), 2);
	n = strcspn(s, "\n");
	CU_ASSERT(n > 2000 && n < 2300);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "] info: next\n"));
	done();
}

/* Said once per spell: a warning the first time, nothing while it lasts,
 * an info line (or nothing, fmt NULL) when it is over; errno kept. */
static void test_once(void)
{
	bool said = false;
	char *s;

	fresh();
	CU_ASSERT(log_once(&said, "link %s down", "wan0"));
	CU_ASSERT(said);
	CU_ASSERT(!log_once(&said, "link %s down", "wan0"));
	errno = ENOENT;
	CU_ASSERT(!log_once_errno(&said, "again"));
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT(log_recovered(&said, "link %s up", "wan0"));
	CU_ASSERT(!said);
	CU_ASSERT(!log_recovered(&said, "link %s up", "wan0"));
	errno = ENOENT;
	CU_ASSERT(log_once_errno(&said, "sysctl"));
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT(log_recovered(&said, NULL));	/* silently */
	CU_ASSERT(!said);
	s = slurp();
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(lines(s), 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "warning: link wan0 down\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "info: link wan0 up\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "warning: sysctl: No such file or "
				      "directory\n"));
	done();
}

/* stderr into the file at path (a fresh one); returns the saved fd 2. */
static int stderr_to_file(void)
{
	int fd, saved;

	snprintf(path, sizeof(path), "/tmp/tq-test-log.XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	saved = dup(2);
	CU_ASSERT_FATAL(saved >= 0);
	CU_ASSERT_FATAL(dup2(fd, 2) == 2);
	close(fd);
	return saved;
}

static void stderr_back(int saved)
{
	log_close();
	dup2(saved, 2);
	close(saved);
	unlink(path);
}

static void test_journal(void)
{
	int saved = stderr_to_file();

	CU_ASSERT_EQUAL(log_open("tqtest", "journal"), 0);
	log_set_debug(true);
	log_info("link wan0 up");
	errno = ENOENT;
	log_warn("sysctl");
	log_warnx("a\nforged line");
	log_debug("poll %d", 7);
	log_set_debug(false);
	log_debug("not shown");
	CU_ASSERT_STRING_EQUAL(slurp(), "<6>link wan0 up\n"
			       "<4>sysctl: No such file or directory\n"
			       "<4>a\\x0aforged line\n"
			       "<7>poll 7\n");
	stderr_back(saved);
}

/* "-" is the journal's format when JOURNAL_STREAM names stderr. */
static void test_journal_stream(void)
{
	int saved = stderr_to_file();
	char env[64];
	struct stat st;

	CU_ASSERT_FATAL(fstat(2, &st) == 0);
	snprintf(env, sizeof(env), "%llu:%llu",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	CU_ASSERT_TRUE(log_stderr_is_journal());
	CU_ASSERT_EQUAL(log_open("tqtest", "-"), 0);
	log_info("to the journal");
	/* another stream (stderr redirected by hand): the plain format */
	snprintf(env, sizeof(env), "%llu:%llu",
		 (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", env, 1);
	CU_ASSERT_FALSE(log_stderr_is_journal());
	CU_ASSERT_EQUAL(log_open("tqtest", "-"), 0);
	log_info("plain");
	setenv("JOURNAL_STREAM", "12:34x", 1);
	CU_ASSERT_FALSE(log_stderr_is_journal());
	unsetenv("JOURNAL_STREAM");
	CU_ASSERT_FALSE(log_stderr_is_journal());
	CU_ASSERT_EQUAL(strncmp(slurp(), "<6>to the journal\n", 18), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(slurp() + 18, "] info: plain\n"));
	CU_ASSERT_EQUAL(lines(slurp()), 2);
	stderr_back(saved);
}

/* No target configured (""): the journal when stderr is its stream,
 * else /var/log/IDENT.log. */
static void test_default_target(void)
{
	int saved = stderr_to_file();
	char env[64];
	struct stat st;

	CU_ASSERT_FATAL(fstat(2, &st) == 0);
	snprintf(env, sizeof(env), "%llu:%llu",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	CU_ASSERT_EQUAL(log_open("tqtest", ""), 0);
	CU_ASSERT_TRUE(log_to_stderr());
	log_warnx("unset: the journal");
	CU_ASSERT_STRING_EQUAL(log_resolve(""), "journal");
	CU_ASSERT_STRING_EQUAL(log_resolve("/x/y.log"), "/x/y.log");
	CU_ASSERT_STRING_EQUAL(log_resolve("-"), "-");
	unsetenv("JOURNAL_STREAM");
	CU_ASSERT_STRING_EQUAL(log_resolve(""), "/var/log/tqtest.log");
	CU_ASSERT_STRING_EQUAL(slurp(), "<4>unset: the journal\n");
	log_close();
	stderr_back(saved);
	fresh();
	CU_ASSERT_FALSE(log_to_stderr());
	done();
}

static const struct tq_test tests[] = {
	{ "time, ident, pid, level prefix", test_prefix },
	{ "control characters escaped", test_control_chars },
	{ "overlong message: one line", test_overlong },
	{ "said once, and when it is over", test_once },
	{ "journal: priority prefixes on stderr", test_journal },
	{ "\"-\" with JOURNAL_STREAM: the journal", test_journal_stream },
	{ "no target: the journal or /var/log/IDENT.log", test_default_target },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("log", tests);
}
