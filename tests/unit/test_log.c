/* test_log.c - log lines: prefix, one line per message, no forged lines. */
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static const struct tq_test tests[] = {
	{ "time, ident, pid, level prefix", test_prefix },
	{ "control characters escaped", test_control_chars },
	{ "overlong message: one line", test_overlong },
	{ "said once, and when it is over", test_once },
	{ NULL, NULL }
};

int main(void)
{
	return tq_test_main("log", tests);
}
