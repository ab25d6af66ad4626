# src/web/template.mk — the mustache template engine and its tests (included from src/web/local.mk).
libvaluerank_a_SOURCES += src/web/template.c src/web/template.h

check_PROGRAMS += tests/unit/test_template
tests_unit_test_template_SOURCES = tests/unit/test_template.c
tests_unit_test_template_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_template_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_template

# libFuzzer target, built by the fuzz scripts with clang, not by automake.
EXTRA_DIST += tests/fuzz/fuzz_template.c
