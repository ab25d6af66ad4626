# src/domain analysis: decision extraction, scores, cost and CSV cells (pure logic) and their tests.
libvaluerank_a_SOURCES += \
	src/domain/decision.c src/domain/decision.h \
	src/domain/cost.c src/domain/cost.h \
	src/domain/csv.c src/domain/csv.h \
	src/domain/scores.c src/domain/scores.h

check_PROGRAMS += tests/unit/test_decision
tests_unit_test_decision_SOURCES = tests/unit/test_decision.c
tests_unit_test_decision_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_decision_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_decision

EXTRA_DIST += tests/fixtures/decisions/corpus.json

check_PROGRAMS += tests/unit/test_csv
tests_unit_test_csv_SOURCES = tests/unit/test_csv.c
tests_unit_test_csv_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_csv_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_csv

check_PROGRAMS += tests/unit/test_scores
tests_unit_test_scores_SOURCES = tests/unit/test_scores.c
tests_unit_test_scores_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_scores_LDADD = $(TEST_LDADD)
TESTS += tests/unit/test_scores
