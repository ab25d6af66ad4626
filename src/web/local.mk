# src/web: request parsing, routing, sessions/CSRF, template engine, responses, pages.
libvaluerank_a_SOURCES += \
	src/web/app.c src/web/app.h \
	src/web/auth.c src/web/auth.h \
	src/web/params.c src/web/params.h \
	src/web/render.c src/web/render.h \
	src/web/request.c \
	src/web/response.c \
	src/web/router.c src/web/router.h \
	src/web/web.h \
	src/web/pages/pages.h \
	src/web/pages/home.c \
	src/web/pages/login.c \
	src/web/pages/runs.c \
	src/web/pages/tokens.c
include src/web/template.mk
# definition pages (definitions helper)
libvaluerank_a_SOURCES += \
	src/web/pages/definitions.h \
	src/web/pages/definition_common.c \
	src/web/pages/definition_list.c \
	src/web/pages/definition_edit.c \
	src/web/pages/definition_view.c \
	src/web/pages/definition_actions.c \
	src/web/pages/definition_transfer.c \
	src/web/pages/scenario.c
# the run workflow: start with the advisor, run page, controls, transcripts, tasks (runs helper)
libvaluerank_a_SOURCES += \
	src/web/pages/runs_pages.h \
	src/web/pages/run_common.c \
	src/web/pages/run_form.c src/web/pages/run_form.h \
	src/web/pages/run_new.c \
	src/web/pages/run.c \
	src/web/pages/run_controls.c \
	src/web/pages/transcript.c \
	src/web/pages/tasks.c
# dashboard, CSV export, settings, notifications, admin, audit (dashboard helper)
libvaluerank_a_SOURCES += \
	src/web/pages/dashboard.h \
	src/web/pages/export.c \
	src/web/pages/settings.c \
	src/web/pages/settings_actions.c \
	src/web/pages/notifications.c \
	src/web/pages/admin.c \
	src/web/pages/audit.c

check_PROGRAMS += tests/unit/test_run_pages
tests_unit_test_run_pages_SOURCES = tests/unit/test_run_pages.c tests/unit/run_fixture.h
tests_unit_test_run_pages_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_run_pages_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_run_pages

# Built only on demand: make bench/bench_run_page && ./bench/bench_run_page
EXTRA_PROGRAMS += bench/bench_run_page
bench_bench_run_page_SOURCES = bench/bench_run_page.c tests/unit/run_fixture.h
bench_bench_run_page_LDADD = $(LDADD)
CLEANFILES += bench/bench_run_page
EXTRA_DIST += tests/browser/runs.test.js
