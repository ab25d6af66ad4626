# tests: Check unit tests (tests/unit), the lint, integration and browser tests run by scripts/test.
check_PROGRAMS += tests/unit/test_lib tests/unit/test_store tests/unit/test_web
tests_unit_test_lib_SOURCES = tests/unit/test_lib.c
tests_unit_test_lib_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_lib_LDADD = $(TEST_LDADD)
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_store_LDADD = $(TEST_LDADD)
tests_unit_test_web_SOURCES = tests/unit/test_web.c
tests_unit_test_web_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_web_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_lib tests/unit/test_store tests/unit/test_web \
	tests/lint.sh tests/lint_selftest.sh

EXTRA_DIST += tests/conformance/mustache-spec tests/lint.sh tests/lint_selftest.sh tests/unit/fixture.h \
	tests/unit/check_main.h tests/integration tests/browser/run.js tests/browser/package.json \
	tests/browser/package-lock.json tests/fuzz scripts templates/raw-allowlist.txt \
	etc/nginx docs README.md examples
