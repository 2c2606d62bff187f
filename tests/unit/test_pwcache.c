/* test_pwcache.c - name <-> uid answers, remembered and forgotten. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pwcache.h"
#include "tq_test.h"

static long long fake_now;
static size_t asked0;

/* Questions to NSS since setup(). */
static size_t asked(void)
{
	return pwcache_asked() - asked0;
}

static long long fake_clock(void)
{
	return fake_now;
}

/* A watched file of our own, so a "change of /etc/passwd" is ours. */
static char watched[] = "/tmp/tq-pwcache-XXXXXX";

static void setup(void)
{
	int fd = mkstemp(watched);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "a\n", 2), 2);
	close(fd);
	fake_now = 1000;
	pwcache_clock(fake_clock);
	pwcache_watch(watched);
	asked0 = pwcache_asked();
}

static void teardown(void)
{
	unlink(watched);
	strcpy(watched, "/tmp/tq-pwcache-XXXXXX");
	pwcache_clock(NULL);
	pwcache_watch(NULL);
}

static void test_answers(void)
{
	char name[64];
	unsigned uid = 12345;

	setup();
	CU_ASSERT_EQUAL(pwcache_name(0, name, sizeof(name)), 0);
	CU_ASSERT_STRING_EQUAL(name, "root");
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(uid, 0);
	uid = 12345;
	CU_ASSERT_EQUAL(pwcache_uid("no-such-user-tq", &uid), -1);
	CU_ASSERT_EQUAL(uid, 12345);
	CU_ASSERT_EQUAL(pwcache_name(4000000000u, name, sizeof(name)), -1);
	/* too small a buffer is an error, not a truncated name, also when
	 * the answer is remembered */
	CU_ASSERT_EQUAL(pwcache_name(0, name, 3), -1);
	CU_ASSERT_EQUAL(asked(), 4);
	teardown();
}

static void test_remembered(void)
{
	char name[64];
	unsigned uid;
	int i;

	setup();
	for (i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
		CU_ASSERT_EQUAL(uid, 0);
		CU_ASSERT_EQUAL(pwcache_uid("no-such-user-tq", &uid), -1);
		CU_ASSERT_EQUAL(pwcache_name(0, name, sizeof(name)), 0);
		CU_ASSERT_EQUAL(pwcache_name(4000000000u, name, sizeof(name)),
				-1);
	}
	/* four questions to NSS for 400 answers, found or not */
	CU_ASSERT_EQUAL(asked(), 4);
	/* just before the age limit: still remembered */
	fake_now += PWCACHE_MAX_AGE - 1;
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(asked(), 4);
	/* at it: asked again */
	fake_now += 1;
	CU_ASSERT_EQUAL(pwcache_uid("no-such-user-tq", &uid), -1);
	CU_ASSERT_EQUAL(asked(), 5);
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(asked(), 6);
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(asked(), 6);
	/* a reload forgets */
	pwcache_flush();
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(asked(), 7);
	teardown();
}

static void test_many(void)
{
	char n[32];
	unsigned uid;
	int i;

	setup();
	/* more names than the first tables hold: every one still answered,
	 * and asked once */
	for (i = 0; i < 3000; i++) {
		snprintf(n, sizeof(n), "tq-nobody-%d", i);
		CU_ASSERT_EQUAL(pwcache_uid(n, &uid), -1);
	}
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(uid, 0);
	for (i = 0; i < 3000; i++) {
		snprintf(n, sizeof(n), "tq-nobody-%d", i);
		CU_ASSERT_EQUAL(pwcache_uid(n, &uid), -1);
	}
	CU_ASSERT_EQUAL(asked(), 3001);
	teardown();
}

static void test_file_changed(void)
{
	unsigned uid;
	FILE *f;

	setup();
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(asked(), 1);
	f = fopen(watched, "a");
	CU_ASSERT_FATAL(f != NULL);
	fputs("b\n", f);
	fclose(f);
	/* looked at no more than once a second: the same second keeps it */
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(asked(), 1);
	/* the next second sees the change and asks again, once */
	fake_now += 1;
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(asked(), 2);
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(asked(), 2);
	/* unchanged: remembered across seconds */
	fake_now += 5;
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(asked(), 2);
	/* the file gone is a change too */
	unlink(watched);
	fake_now += 1;
	CU_ASSERT_EQUAL(pwcache_uid("root", &uid), 0);
	CU_ASSERT_EQUAL(asked(), 3);
	teardown();
}

int main(void)
{
	static const struct tq_test tests[] = {
		{ "answers, found or not", test_answers },
		{ "remembered until the age limit or a flush",
		  test_remembered },
		{ "thousands of names", test_many },
		{ "forgotten when the watched file changes",
		  test_file_changed },
		{ NULL, NULL }
	};

	return tq_test_main("pwcache", tests);
}
