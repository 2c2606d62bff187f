/* tq_test.h - a thin layer over CUnit: one program per module.
 *
 * A test file lists its tests and calls tq_test_main() from main():
 *
 *	static const struct tq_test tests[] = {
 *		{ "period range", test_period_range },
 *		{ NULL, NULL }
 *	};
 *	int main(void) { return tq_test_main("conf", tests); }
 *
 * The program prints CUnit's report and a line
 * "RESULT <suite> passed=N failed=M" that tests/run.sh adds up.
 */
#ifndef TQ_TEST_H
#define TQ_TEST_H

#include <CUnit/CUnit.h>

struct tq_test {
	const char *name;
	CU_TestFunc fn;
};

int tq_test_main(const char *suite, const struct tq_test *tests);
/* Directory holding the fixtures (tests/fixtures), from TQ_FIXTURES or the
 * default relative to the source tree. */
const char *tq_fixture_dir(void);
/* Full path of a fixture into a static buffer. */
const char *tq_fixture(const char *name);

#endif
