/* check_main.h — the end of every unit test's main(): run a suite, exit 0 only if every test passed. */
#ifndef VR_TEST_CHECK_MAIN_H
#define VR_TEST_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Run every test of s (each in its own process, Check's default) and free the runner. */
static inline int check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int nFailed;
	srunner_run_all(sr, CK_NORMAL);
	nFailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nFailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
