# src/mockllm: valuerank-mockllm, a local stand-in for the providers' HTTP APIs.
# Pure logic (answers, settings, stats, wire formats) lives in the library so unit tests can link it;
# the HTTP server and main() belong to the program only.
libvaluerank_a_SOURCES += \
	src/mockllm/mock_answer.c src/mockllm/mock_answer.h \
	src/mockllm/mock_config.c src/mockllm/mock_config.h \
	src/mockllm/mock_due.c src/mockllm/mock_due.h \
	src/mockllm/mock_stats.c src/mockllm/mock_stats.h \
	src/mockllm/mock_wire.c src/mockllm/mock_wire.h

bin_PROGRAMS += valuerank-mockllm
valuerank_mockllm_SOURCES = src/mockllm/main.c \
	src/mockllm/mock_server.c src/mockllm/mock_server.h \
	src/mockllm/mock_routes.c src/mockllm/mock_server_internal.h
valuerank_mockllm_LDADD = $(LDADD) $(MHD_LIBS)

check_PROGRAMS += tests/unit/test_mockllm
tests_unit_test_mockllm_SOURCES = tests/unit/test_mockllm.c
tests_unit_test_mockllm_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mockllm_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_mockllm

EXTRA_DIST += tests/integration/test_mockllm.py

check_PROGRAMS += tests/unit/test_mock_due
tests_unit_test_mock_due_SOURCES = tests/unit/test_mock_due.c
tests_unit_test_mock_due_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mock_due_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_mock_due
