# src/providers: models.json catalog and the pure provider adapters (no I/O; src/exec sends the requests).
libvaluerank_a_SOURCES += \
	src/providers/models.c src/providers/models.h \
	src/providers/models_query.c \
	src/providers/provider.c src/providers/provider.h \
	src/providers/adapter.h src/providers/adapter_util.c \
	src/providers/http_meta.c \
	src/providers/openai.c \
	src/providers/anthropic.c \
	src/providers/gemini.c

check_PROGRAMS += tests/unit/test_models tests/unit/test_providers
tests_unit_test_models_SOURCES = tests/unit/test_models.c
tests_unit_test_models_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_models_LDADD = $(TEST_LDADD)
tests_unit_test_providers_SOURCES = tests/unit/test_providers.c
tests_unit_test_providers_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_providers_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_models tests/unit/test_providers

EXTRA_DIST += etc/models.json tests/fixtures/providers
