# tests: Check unit tests (tests/unit), integration and browser tests run by scripts/test.
check_PROGRAMS += tests/unit/test_lib
tests_unit_test_lib_SOURCES = tests/unit/test_lib.c
tests_unit_test_lib_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_lib_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_lib

EXTRA_DIST += tests/conformance/mustache-spec
