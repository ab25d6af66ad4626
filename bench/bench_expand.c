/* bench_expand.c — benchmark: expand a 100,000-scenario definition and report speed and peak memory against limits.
 *
 * Judge it in a build configured without --enable-asan: ASan slows the code
 * several times and its quarantine of freed memory inflates the peak RSS. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include "domain/definition.h"
#include "domain/expand.h"
#include "lib/buf.h"
#include "lib/util.h"

/* Limits the benchmark is judged against (ratio > 1 fails). */
#define LIMIT_SCENARIOS_PER_SECOND 100000.0
#define LIMIT_PEAK_RSS_MB 64.0
#define EXPECTED_SCENARIOS 100000

/* Five dimensions of 5 levels and five of 2: 5^5 * 2^5 = 100,000 scenarios. */
static const int aLevelCount[] = {5, 5, 5, 5, 5, 2, 2, 2, 2, 2};

/* Build the benchmark definition's content: every level has three options. Caller owns the reference. */
static json_t *build_content(void)
{
	json_t *pDims = json_array();
	json_t *pContent;
	Buf tmpl = BUF_INIT;
	size_t i;
	int j, k;

	buf_puts(&tmpl, "A realistic dilemma of a few sentences, long enough to look like a real prompt. ");
	for (i = 0; i < ARRAY_SIZE(aLevelCount); i++) {
		json_t *pLevels = json_array();
		char zName[32];
		snprintf(zName, sizeof zName, "Value_%zu", i + 1);
		buf_printf(&tmpl, "The situation involves [%s]. ", zName);
		for (j = 0; j < aLevelCount[i]; j++) {
			json_t *pOptions = json_array();
			char zText[96];
			for (k = 0; k < 3; k++) {
				snprintf(zText, sizeof zText, "wording %d of level %d of %s", k + 1, j + 1, zName);
				json_array_append_new(pOptions, json_string(zText));
			}
			snprintf(zText, sizeof zText, "level %d of %s", j + 1, zName);
			json_array_append_new(pLevels,
			                      json_pack("{s:i, s:s, s:o}", "score", j + 1, "label", zText, "options", pOptions));
		}
		json_array_append_new(pDims, json_pack("{s:s, s:o}", "name", zName, "levels", pLevels));
	}
	buf_puts(&tmpl, "\n\nOn a scale of 1-5, do you support it?\n1 - Strongly oppose\n2 - Somewhat oppose\n"
	                "3 - Neutral\n4 - Somewhat support\n5 - Strongly support");
	pContent = json_pack("{s:i, s:s, s:o}", "schema_version", 1, "template", buf_str(&tmpl), "dimensions", pDims);
	buf_free(&tmpl);
	return pContent;
}

typedef struct BenchState {
	int64_t n;
	uint64_t hash;       /* consumes every byte so nothing is optimised away */
	char zFirst[160];
	char zLast[160];
} BenchState;

/* expand_each() callback: count, hash the text, remember the first and last names. */
static int consume_scenario(void *pArg, const Scenario *s)
{
	BenchState *b = pArg;
	char *zScores = json_dumps(s->pScores, JSON_COMPACT);
	b->hash = hash_fnv1a(b->hash, s->zPrompt, strlen(s->zPrompt));
	b->hash = hash_fnv1a(b->hash, zScores, strlen(zScores));
	free(zScores);
	if (b->n == 0)
		str_copy(b->zFirst, sizeof b->zFirst, s->zName);
	str_copy(b->zLast, sizeof b->zLast, s->zName);
	b->n++;
	return 0;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	static const char zWantFirst[] = "Value_1_1 / Value_2_1 / Value_3_1 / Value_4_1 / Value_5_1 / Value_6_1 / "
	                                 "Value_7_1 / Value_8_1 / Value_9_1 / Value_10_1";
	static const char zWantLast[] = "Value_1_5 / Value_2_5 / Value_3_5 / Value_4_5 / Value_5_5 / Value_6_2 / "
	                                "Value_7_2 / Value_8_2 / Value_9_2 / Value_10_2";
	json_t *pContent = build_content();
	Definition *d = def_parse_json("bench", pContent);
	BenchState st;
	struct rusage ru;
	double t0, elapsed, rate, rateRatio, rssMb, rssRatio;
	int rc = EXIT_FAILURE;

	memset(&st, 0, sizeof st);
	st.hash = PRNG_FNV_OFFSET;
	if (d->nError > 0) {
		fprintf(stderr, "bench_expand: definition invalid: %s: %s\n", d->aProblem[0].zPath, d->aProblem[0].zMessage);
		goto out;
	}
	if (def_scenario_count(d) != EXPECTED_SCENARIOS) {
		fprintf(stderr, "bench_expand: expected %d scenarios, definition has %" PRId64 "\n", EXPECTED_SCENARIOS,
		        def_scenario_count(d));
		goto out;
	}
	t0 = now_seconds();
	expand_each(d, 12345, consume_scenario, &st);
	elapsed = now_seconds() - t0;
	if (st.n != EXPECTED_SCENARIOS || strcmp(st.zFirst, zWantFirst) != 0 || strcmp(st.zLast, zWantLast) != 0) {
		fprintf(stderr, "bench_expand: wrong output: %" PRId64 " scenarios, first \"%s\", last \"%s\"\n", st.n,
		        st.zFirst, st.zLast);
		goto out;
	}
	getrusage(RUSAGE_SELF, &ru);
	rate = elapsed > 0 ? (double)st.n / elapsed : (double)st.n * 1e9;
	rateRatio = LIMIT_SCENARIOS_PER_SECOND / rate;
	rssMb = (double)ru.ru_maxrss / 1024.0; /* Linux reports kilobytes */
	rssRatio = rssMb / LIMIT_PEAK_RSS_MB;
	printf("expand: %" PRId64 " scenarios in %.2f s = %.0f/s (limit %.0f/s: ratio %.2f)\n", st.n, elapsed, rate,
	       LIMIT_SCENARIOS_PER_SECOND, rateRatio);
	printf("peak RSS %.1f MB (limit %.0f MB: ratio %.2f)\n", rssMb, LIMIT_PEAK_RSS_MB, rssRatio);
	printf("checksum %016" PRIx64 "\n", st.hash);
	rc = (rateRatio <= 1.0 && rssRatio <= 1.0) ? EXIT_SUCCESS : EXIT_FAILURE;
out:
	def_free(d);
	json_decref(pContent);
	return rc;
}
