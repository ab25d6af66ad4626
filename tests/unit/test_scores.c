/* test_scores.c — score tables from hand-computed observations, ordering, and the 10,000-row budget. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/scores.h"
#include "check_main.h"

/* Compact dump of p with sorted keys (caller frees). */
static char *dump(const json_t *p)
{
	return json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
}

#define CHECK_JSON(pValue, zWant)                  \
	do {                                       \
		char *zGot = dump(pValue);         \
		ck_assert_str_eq(zGot, zWant);     \
		free(zGot);                        \
	} while (0)

/* Add the hand-computed data set: model "b" is seen first so ordering is exercised. */
static void add_sample(ScoreAcc *pAcc)
{
	json_t *pS1 = json_pack("{s:i, s:i}", "A", 1, "B", 1);
	json_t *pS2 = json_pack("{s:i, s:i, s:s}", "A", 5, "B", 1, "note", "ignored");
	scores_add(pAcc, "b-model", "A_5 / B_1", 2, DECISION_VALUE, 3, pS2);
	scores_add_code(pAcc, "b-model", "A_1 / B_1", 1, NULL, pS1);
	scores_add_code(pAcc, "b-model", "A_1 / B_1", 1, "7", pS1);
	scores_add(pAcc, "a-model", "A_1 / B_1", 1, DECISION_VALUE, 2, pS1);
	scores_add_code(pAcc, "a-model", "A_5 / B_1 (renamed)", 2, "4", pS2);
	scores_add(pAcc, "a-model", "A_5 / B_1", 2, DECISION_VALUE, 5, pS2);
	scores_add_code(pAcc, "a-model", "A_1 / B_1", 1, "refusal", pS1);
	scores_add(pAcc, "a-model", "A_1 / B_1", 1, DECISION_UNKNOWN, 0, NULL);
	json_decref(pS1);
	json_decref(pS2);
}

START_TEST(test_model_summary)
{
	ScoreAcc *pAcc = scores_new();
	add_sample(pAcc);
	json_t *pRes = scores_result(pAcc);
	json_t *pModels = json_object_get(pRes, "models");
	ck_assert_int_eq(json_array_size(pModels), 2);
	CHECK_JSON(json_array_get(pModels, 0),
		   "{\"counts\":[{\"code\":1,\"count\":0},{\"code\":2,\"count\":1},{\"code\":3,\"count\":0},"
		   "{\"code\":4,\"count\":1},{\"code\":5,\"count\":1}],\"mean\":3.66667,\"mean_text\":\"3.67\","
		   "\"model\":\"a-model\",\"n\":5,\"n_numeric\":3,\"refusals\":1,\"sd\":1.52753,"
		   "\"sd_text\":\"1.53\",\"share_high\":0.666667,\"share_high_text\":\"67%\","
		   "\"share_low\":0.333333,\"share_low_text\":\"33%\",\"unknowns\":1}");
	CHECK_JSON(json_array_get(pModels, 1),
		   "{\"counts\":[{\"code\":1,\"count\":0},{\"code\":2,\"count\":0},{\"code\":3,\"count\":1},"
		   "{\"code\":4,\"count\":0},{\"code\":5,\"count\":0}],\"mean\":3.0,\"mean_text\":\"3.00\","
		   "\"model\":\"b-model\",\"n\":3,\"n_numeric\":1,\"refusals\":0,\"sd\":null,"
		   "\"sd_text\":\"\xE2\x80\x94\",\"share_high\":0.0,\"share_high_text\":\"0%\","
		   "\"share_low\":0.0,\"share_low_text\":\"0%\",\"unknowns\":2}");
	ck_assert_int_eq(json_integer_value(json_object_get(pRes, "n_observations")), 8);
	json_decref(pRes);
	scores_free(pAcc);
}
END_TEST

START_TEST(test_scenarios_and_dimensions)
{
	ScoreAcc *pAcc = scores_new();
	add_sample(pAcc);
	json_t *pRes = scores_result(pAcc);
	CHECK_JSON(json_object_get(pRes, "scenarios"),
		   "[{\"cells\":[{\"mean\":2.0,\"mean_text\":\"2.00\",\"model\":\"a-model\",\"n\":1},"
		   "{\"mean\":null,\"mean_text\":\"\xE2\x80\x94\",\"model\":\"b-model\",\"n\":0}],"
		   "\"scenario\":\"A_1 / B_1\",\"scenario_id\":1},"
		   "{\"cells\":[{\"mean\":4.5,\"mean_text\":\"4.50\",\"model\":\"a-model\",\"n\":2},"
		   "{\"mean\":3.0,\"mean_text\":\"3.00\",\"model\":\"b-model\",\"n\":1}],"
		   "\"scenario\":\"A_5 / B_1\",\"scenario_id\":2}]");
	json_t *pDims = json_object_get(pRes, "dimensions");
	ck_assert_int_eq(json_array_size(pDims), 2);
	/* A: a-model points (1,2) (5,4) (5,5): slope (3*47 - 11*11) / (3*51 - 11*11) = 20/32. */
	CHECK_JSON(json_array_get(pDims, 0),
		   "{\"dimension\":\"A\",\"levels\":["
		   "{\"cells\":[{\"mean\":2.0,\"mean_text\":\"2.00\",\"model\":\"a-model\",\"n\":1},"
		   "{\"mean\":null,\"mean_text\":\"\xE2\x80\x94\",\"model\":\"b-model\",\"n\":0}],\"score\":1},"
		   "{\"cells\":[{\"mean\":4.5,\"mean_text\":\"4.50\",\"model\":\"a-model\",\"n\":2},"
		   "{\"mean\":3.0,\"mean_text\":\"3.00\",\"model\":\"b-model\",\"n\":1}],\"score\":5}],"
		   "\"slopes\":[{\"model\":\"a-model\",\"n\":3,\"slope\":0.625,\"slope_text\":\"0.62\"},"
		   "{\"model\":\"b-model\",\"n\":1,\"slope\":null,\"slope_text\":\"\xE2\x80\x94\"}]}");
	/* B: every score is 1, so no slope can be fitted. */
	CHECK_JSON(json_object_get(json_array_get(pDims, 1), "slopes"),
		   "[{\"model\":\"a-model\",\"n\":3,\"slope\":null,\"slope_text\":\"\xE2\x80\x94\"},"
		   "{\"model\":\"b-model\",\"n\":1,\"slope\":null,\"slope_text\":\"\xE2\x80\x94\"}]");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pDims, 1), "dimension")), "B");
	json_decref(pRes);

	/* The accumulator keeps working after a result: a negative slope for b-model on A. */
	json_t *pS = json_pack("{s:i}", "A", 1);
	scores_add(pAcc, "b-model", "A_1", 3, DECISION_VALUE, 5, pS);
	json_decref(pS);
	pRes = scores_result(pAcc);
	json_t *pSlope = json_array_get(json_object_get(json_array_get(json_object_get(pRes, "dimensions"), 0),
							"slopes"), 1);
	ck_assert(fabs(json_real_value(json_object_get(pSlope, "slope")) + 0.5) < 1e-12);
	ck_assert_str_eq(json_string_value(json_object_get(pSlope, "slope_text")), "-0.50");
	json_decref(pRes);
	scores_free(pAcc);
}
END_TEST

START_TEST(test_empty)
{
	ScoreAcc *pAcc = scores_new();
	json_t *pRes = scores_result(pAcc);
	CHECK_JSON(pRes, "{\"dimensions\":[],\"models\":[],\"n_observations\":0,\"scenarios\":[]}");
	json_decref(pRes);
	scores_free(pAcc);
	scores_free(NULL);

	/* NULL keys and out-of-range values are counted, never crash. */
	pAcc = scores_new();
	json_t *pNotObject = json_string("not an object");
	scores_add(pAcc, NULL, NULL, 0, DECISION_VALUE, 9, pNotObject);
	json_decref(pNotObject);
	pRes = scores_result(pAcc);
	json_t *pModel = json_array_get(json_object_get(pRes, "models"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(pModel, "model")), "");
	ck_assert_int_eq(json_integer_value(json_object_get(pModel, "unknowns")), 1);
	json_decref(pRes);
	scores_free(pAcc);
}
END_TEST

/* This process's CPU time in milliseconds: other jobs on a busy build machine do not count. */
static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

START_TEST(test_ten_thousand_fast)
{
	enum { N_SCENARIO = 500, N_OBS = 10000 };
	static const char *const azModel[] = {"claude-sonnet", "gemini-pro", "gpt-4o", "grok-3"};
	json_t *apDims[N_SCENARIO];
	char azName[N_SCENARIO][32];
	for (int s = 0; s < N_SCENARIO; s++) {
		apDims[s] = json_pack("{s:i, s:i, s:i}", "Self_Direction", 1 + s % 5, "Tradition", 1 + (s / 5) % 5,
				      "Care", 1 + (s / 25) % 3);
		snprintf(azName[s], sizeof azName[s], "scenario %d", s);
	}
	/* Pass 0 warms the heap, as a long-lived FastCGI process has; pass 1 is timed. */
	double elapsed = 0;
	ScoreAcc *pAcc = NULL;
	json_t *pRes = NULL;
	for (int pass = 0; pass < 2; pass++) {
		json_decref(pRes);
		scores_free(pAcc);
		double t0 = now_ms();
		pAcc = scores_new();
		for (int i = 0; i < N_OBS; i++) {
			int s = i % N_SCENARIO;
			int m = (i / N_SCENARIO) % 4;
			int v = 1 + (s % 5 + m) % 5;
			if (i % 97 == 0) scores_add(pAcc, azModel[m], azName[s], s + 1, DECISION_REFUSAL, 0, apDims[s]);
			else scores_add(pAcc, azModel[m], azName[s], s + 1, DECISION_VALUE, v, apDims[s]);
		}
		pRes = scores_result(pAcc);
		elapsed = now_ms() - t0;
	}
#if defined(__SANITIZE_ADDRESS__)
	const double budget = 60; /* ASan slows allocation-heavy JSON building several times */
#else
	const double budget = 10;
#endif
	fprintf(stderr, "scores: 10,000 observations in %.2f ms (budget %.0f ms)\n", elapsed, budget);
	ck_assert_msg(elapsed < budget, "took %.2f ms", elapsed);
	ck_assert_int_eq(json_array_size(json_object_get(pRes, "scenarios")), N_SCENARIO);
	ck_assert_int_eq(json_array_size(json_object_get(pRes, "models")), 4);
	json_t *pFirst = json_array_get(json_object_get(pRes, "models"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(pFirst, "model")), "claude-sonnet");
	ck_assert_int_eq(json_integer_value(json_object_get(pFirst, "n")), 2500);
	json_decref(pRes);
	scores_free(pAcc);
	for (int s = 0; s < N_SCENARIO; s++) json_decref(apDims[s]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scores");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_model_summary);
	tcase_add_test(tc, test_scenarios_and_dimensions);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_ten_thousand_fast);
	suite_add_tcase(s, tc);
	return check_run(s);
}
