# src/domain/advisor.mk — the run advisor (preflight) and its unit test.
libvaluerank_a_SOURCES += src/domain/advisor.c src/domain/advisor.h

check_PROGRAMS += tests/unit/test_advisor
tests_unit_test_advisor_SOURCES = tests/unit/test_advisor.c
tests_unit_test_advisor_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_advisor_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_advisor
