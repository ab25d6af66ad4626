# src/store: every SQL statement lives here; migrations; transactions.
libvaluerank_a_SOURCES += \
	src/store/db.c src/store/db.h src/store/db_internal.h \
	src/store/schema.c \
	src/store/accounts.c src/store/accounts.h \
	src/store/runs.c src/store/runs.h \
	src/store/jobs.c src/store/jobs.h
# definitions and scenarios (definitions helper)
libvaluerank_a_SOURCES += \
	src/store/definitions.c src/store/definitions.h \
	src/store/definition_file.c src/store/definition_file.h
check_PROGRAMS += tests/unit/test_definitions_store
tests_unit_test_definitions_store_SOURCES = tests/unit/test_definitions_store.c
tests_unit_test_definitions_store_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_definitions_store_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_definitions_store
# run pages: results, tasks, transcripts and the advisor's inputs (runs helper)
libvaluerank_a_SOURCES += \
	src/store/results.c src/store/results.h \
	src/store/advisor_data.c src/store/advisor_data.h
# dashboard, export, system health, notifications, admin (issue 6)
libvaluerank_a_SOURCES += \
	src/store/dashboard.c src/store/dashboard.h \
	src/store/export.c src/store/export.h \
	src/store/health.c src/store/health.h \
	src/store/notifications.c src/store/notifications.h \
	src/store/admin.c src/store/admin.h
check_PROGRAMS += tests/unit/test_dashboard_store
tests_unit_test_dashboard_store_SOURCES = tests/unit/test_dashboard_store.c
tests_unit_test_dashboard_store_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_dashboard_store_LDADD = $(TEST_LDADD) -lpthread
TESTS += tests/unit/test_dashboard_store
EXTRA_DIST += bench/bench_export.py bench/bench_web.py tests/browser/dashboard.test.js
