# src/domain/definition.mk — definition parsing/validation, expansion into scenarios, sampling.
libvaluerank_a_SOURCES += \
	src/domain/definition.c src/domain/definition.h \
	src/domain/expand.c src/domain/expand.h \
	src/domain/sampling.c src/domain/sampling.h

check_PROGRAMS += tests/unit/test_definition
tests_unit_test_definition_SOURCES = tests/unit/test_definition.c
tests_unit_test_definition_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_definition_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_definition

check_PROGRAMS += tests/unit/test_expand
tests_unit_test_expand_SOURCES = tests/unit/test_expand.c
tests_unit_test_expand_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_expand_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_expand

# Built only on demand: make bench/bench_expand && ./bench/bench_expand
EXTRA_PROGRAMS += bench/bench_expand
bench_bench_expand_SOURCES = bench/bench_expand.c
bench_bench_expand_LDADD = $(LDADD)
CLEANFILES += bench/bench_expand

EXTRA_DIST += \
	examples/definitions/tradition_self_direction.json \
	examples/definitions/security_benevolence.json \
	examples/definitions/achievement_universalism.json \
	examples/definitions/conformity_stimulation.json \
	examples/definitions/power_benevolence.json \
	examples/definitions/hedonism_conformity.json \
	examples/definitions/baseline_no_dimensions.json
