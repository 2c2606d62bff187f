/* tq_test.c - CUnit runner shared by the unit test programs. */
#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

#include "tq_test.h"

const char *tq_fixture_dir(void)
{
	const char *d = getenv("TQ_FIXTURES");

	return d && *d ? d : "tests/fixtures";
}

const char *tq_fixture(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", tq_fixture_dir(), name);
	return buf;
}

int tq_test_main(const char *suite, const struct tq_test *tests)
{
	CU_pSuite s;
	unsigned run, failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite(suite, NULL, NULL);
	if (!s)
		return 2;
	for (; tests->name; tests++)
		if (!CU_add_test(s, tests->name, tests->fn))
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	run = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed();
	printf("\nRESULT %s passed=%u failed=%u\n", suite, run - failed,
	       failed);
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
