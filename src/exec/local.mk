# src/exec: valuerankd — claims jobs with leases, probes providers over curl_multi, writes results in batches.
libvaluerank_a_SOURCES += \
	src/exec/exec.h src/exec/exec_internal.h \
	src/exec/ratelimit.c src/exec/ratelimit.h \
	src/exec/dbthread.c \
	src/exec/results.c \
	src/exec/probe.c \
	src/exec/health.c \
	src/exec/transfer.c \
	src/exec/schedule.c \
	src/exec/walwatch.c \
	src/exec/preconnect.c src/exec/preconnect.h \
	src/exec/loop.c

sbin_PROGRAMS += valuerankd
valuerankd_SOURCES = src/exec/main.c
valuerankd_LDADD = $(LDADD) -lpthread

check_PROGRAMS += tests/unit/test_exec_ratelimit
tests_unit_test_exec_ratelimit_SOURCES = tests/unit/test_exec_ratelimit.c
tests_unit_test_exec_ratelimit_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_exec_ratelimit_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_exec_ratelimit

check_PROGRAMS += tests/unit/test_exec_preconnect
tests_unit_test_exec_preconnect_SOURCES = tests/unit/test_exec_preconnect.c
tests_unit_test_exec_preconnect_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_exec_preconnect_LDADD = $(TEST_LDADD) -lpthread
TESTS += tests/unit/test_exec_preconnect

EXTRA_DIST += tests/integration/test_executor.py bench/bench_executor.py bench/README.md
# the webhook deliverer (dashboard helper): valuerankd's main calls webhook_thread_start/stop
libvaluerank_a_SOURCES += src/exec/webhook.c src/exec/webhook.h
