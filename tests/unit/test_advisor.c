/* test_advisor.c — unit tests for the run advisor: blockers, warnings, recommendation, estimate. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "domain/advisor.h"
#include "check_main.h"

/* A priced mock model with history, on a fast provider. */
static AdvisorModel model_a(void)
{
	AdvisorModel m;
	memset(&m, 0, sizeof(m));
	m.zRef = "mock:mock-a";
	m.zProvider = "mock";
	m.zModel = "mock-a";
	m.zDisplayName = "Mock A";
	m.zVersion = "mock-a-2026-06";
	m.zDefaultVersion = "mock-a-2026-06";
	m.needsKey = 1;
	m.keyConfigured = 1;
	m.hasPrice = 1;
	m.priceIn = 1.0;
	m.priceOut = 2.0;
	m.avgOutputTokens = 100;
	m.avgLatencyMs = 50;
	m.maxParallel = 20;
	m.requestsPerMinute = 6000;
	return m;
}

/* An unpriced model with no output history. */
static AdvisorModel model_b(void)
{
	AdvisorModel m = model_a();
	m.zRef = "mock:mock-b@mock-b-2026-01";
	m.zModel = "mock-b";
	m.zDisplayName = "Mock B";
	m.zVersion = "mock-b-2026-01";
	m.zDefaultVersion = "mock-b-2026-06";
	m.hasPrice = 0;
	m.avgOutputTokens = -1;
	m.avgLatencyMs = 150;
	return m;
}

static AdvisorInput base_input(const AdvisorModel *aModel, int nModel)
{
	static const int64_t aFollow[] = {40};
	AdvisorInput in;
	memset(&in, 0, sizeof(in));
	in.definitionId = 7;
	in.nScenario = 10;
	in.meanFirstTurnChars = 400;
	in.aFollowupChars = aFollow;
	in.nFollowup = 1;
	in.aModel = aModel;
	in.nModel = nModel;
	in.samplePct = 100;
	in.sampleSeed = 42;
	in.samples = 1;
	in.executorAlive = 1;
	in.dbWritable = 1;
	return in;
}

/* The codes of a problem list joined by ",". */
static void codes(const json_t *pList, char *zOut, size_t n)
{
	size_t i;
	zOut[0] = 0;
	for (i = 0; i < json_array_size(pList); i++) {
		if (i)
			strncat(zOut, ",", n - strlen(zOut) - 1);
		strncat(zOut, json_string_value(json_object_get(json_array_get(pList, i), "code")),
			n - strlen(zOut) - 1);
	}
}

START_TEST(test_recommend_pct)
{
	ck_assert_int_eq(advisor_recommend_pct(100, 1, 2, 2000), 100);
	ck_assert_int_eq(advisor_recommend_pct(1000, 1, 2, 2000), 100);
	ck_assert_int_eq(advisor_recommend_pct(1001, 1, 2, 2000), 99);
	ck_assert_int_eq(advisor_recommend_pct(10000, 1, 2, 2000), 10);
	ck_assert_int_eq(advisor_recommend_pct(10000, 2, 2, 2000), 5);
	ck_assert_int_eq(advisor_recommend_pct(100000, 1, 3, 2000), 1); /* still over at 1 % */
	ck_assert_int_eq(advisor_recommend_pct(0, 1, 1, 2000), 100);
	ck_assert_int_eq(advisor_recommend_pct(10000, 1, 1, 0), 20); /* 0 → default target */
	ck_assert_int_eq(advisor_recommend_pct(INT64_MAX / 2, 100, 100, 2000), 1);
}
END_TEST

START_TEST(test_default_seed_and_duration)
{
	char z[32];
	int64_t s = advisor_default_seed(7);
	ck_assert_int_eq(s, advisor_default_seed(7));
	ck_assert(s >= 1 && s <= 999999);
	ck_assert(advisor_default_seed(8) != s);
	advisor_format_duration(z, sizeof(z), 0.4);
	ck_assert_str_eq(z, "1 s");
	advisor_format_duration(z, sizeof(z), 59);
	ck_assert_str_eq(z, "59 s");
	advisor_format_duration(z, sizeof(z), 61);
	ck_assert_str_eq(z, "about 2 min");
	advisor_format_duration(z, sizeof(z), 9000);
	ck_assert_str_eq(z, "about 2.5 h");
	advisor_format_duration(z, sizeof(z), -3);
	ck_assert_str_eq(z, "0 s");
}
END_TEST

START_TEST(test_estimate_exact)
{
	AdvisorModel a[2];
	AdvisorInput in;
	json_t *pOut, *pEst, *pA, *pB, *pProv;
	char z[256];
	a[0] = model_a();
	a[1] = model_b();
	in = base_input(a, 2);
	pOut = advisor_run(&in);
	ck_assert(json_is_true(json_object_get(pOut, "ok")));
	codes(json_object_get(pOut, "blockers"), z, sizeof(z));
	ck_assert_str_eq(z, "");
	codes(json_object_get(pOut, "warnings"), z, sizeof(z));
	ck_assert_str_eq(z, "price_unknown");
	pEst = json_object_get(pOut, "estimate");
	ck_assert_int_eq(json_integer_value(json_object_get(pEst, "jobs")), 20);
	ck_assert_int_eq(json_integer_value(json_object_get(pEst, "turns")), 2);
	pA = json_array_get(json_object_get(pEst, "models"), 0);
	pB = json_array_get(json_object_get(pEst, "models"), 1);
	/* turn 1: 400/4 = 100; turn 2: 440/4 = 110 + 100 history = 210; 310 per job × 10 jobs */
	ck_assert_int_eq(json_integer_value(json_object_get(pA, "input_tokens")), 3100);
	ck_assert_int_eq(json_integer_value(json_object_get(pA, "output_tokens")), 2000);
	ck_assert_str_eq(json_string_value(json_object_get(pA, "output_source")), "history");
	/* 3100 × $1/M + 2000 × $2/M = $0.0071 */
	ck_assert_str_eq(json_string_value(json_object_get(pA, "cost_text")), "$0.0071");
	ck_assert_str_eq(json_string_value(json_object_get(pA, "version")), "mock-a-2026-06");
	/* no history: 500 output tokens per turn; input 100 + (110 + 500) = 710 per job */
	ck_assert_int_eq(json_integer_value(json_object_get(pB, "input_tokens")), 7100);
	ck_assert_int_eq(json_integer_value(json_object_get(pB, "output_tokens")), 10000);
	ck_assert_str_eq(json_string_value(json_object_get(pB, "output_source")), "default");
	ck_assert_str_eq(json_string_value(json_object_get(pB, "cost_text")), "price unknown");
	ck_assert(json_is_null(json_object_get(pB, "cost_usd")));
	ck_assert_str_eq(json_string_value(json_object_get(pB, "version")), "mock-b-2026-01");
	ck_assert_str_eq(json_string_value(json_object_get(pEst, "cost_text")), "$0.0071 + price unknown");
	ck_assert(json_is_null(json_object_get(pEst, "cost_usd")));
	ck_assert(json_is_true(json_object_get(pEst, "price_unknown")));
	ck_assert_int_eq(json_integer_value(json_object_get(pEst, "input_tokens")), 10200);
	/* 40 requests at 6000/min = 0.4 s; busy (20×50 + 20×150) ms / 20 parallel = 0.2 s */
	pProv = json_array_get(json_object_get(pEst, "providers"), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(pEst, "providers")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(pProv, "requests")), 40);
	ck_assert_int_eq(json_integer_value(json_object_get(pProv, "jobs")), 20);
	ck_assert(json_real_value(json_object_get(pEst, "duration_s")) == 0.4);
	ck_assert_str_eq(json_string_value(json_object_get(pEst, "duration_text")), "1 s");
	/* The recommendation: default versions, no sampling needed, the asked seed. */
	{
		json_t *pRec = json_object_get(pOut, "recommendation");
		json_t *pRb = json_array_get(json_object_get(pRec, "models"), 1);
		ck_assert_int_eq(json_integer_value(json_object_get(pRec, "sample_pct")), 100);
		ck_assert_int_eq(json_integer_value(json_object_get(pRec, "sample_seed")), 42);
		ck_assert(json_is_false(json_object_get(pRec, "changes_sampling")));
		ck_assert_str_eq(json_string_value(json_object_get(pRb, "ref")), "mock:mock-b@mock-b-2026-06");
		ck_assert_str_eq(json_string_value(json_object_get(pRb, "chosen_version")), "mock-b-2026-01");
		ck_assert_ptr_null(json_object_get(json_array_get(json_object_get(pRec, "models"), 0),
						   "chosen_version"));
	}
	/* Same inputs, byte-identical output (the run records what was shown). */
	{
		json_t *pAgain = advisor_run(&in);
		char *z1 = json_dumps(pOut, JSON_SORT_KEYS), *z2 = json_dumps(pAgain, JSON_SORT_KEYS);
		ck_assert_str_eq(z1, z2);
		free(z1);
		free(z2);
		json_decref(pAgain);
	}
	json_decref(pOut);
}
END_TEST

START_TEST(test_default_latency_and_rate_limit)
{
	AdvisorModel a[1];
	AdvisorInput in;
	json_t *pOut, *pEst;
	a[0] = model_a();
	a[0].avgLatencyMs = -1;   /* 1000 + 20 × 100 = 3000 ms per request */
	a[0].avgOutputTokens = 100;
	a[0].maxParallel = 2;
	a[0].requestsPerMinute = 60;
	in = base_input(a, 1);
	in.nFollowup = 0;
	in.nScenario = 100;
	pOut = advisor_run(&in);
	pEst = json_object_get(pOut, "estimate");
	/* 100 requests: by rate 100 s; by parallel 100 × 3 s / 2 = 150 s */
	ck_assert(json_real_value(json_object_get(pEst, "duration_s")) == 150.0);
	ck_assert_str_eq(json_string_value(json_object_get(pEst, "duration_text")), "about 3 min");
	ck_assert_str_eq(json_string_value(json_object_get(pEst, "cost_text")), "$0.0300");
	json_decref(pOut);
	a[0].maxParallel = 100; /* now the rate limit decides: 100 s */
	pOut = advisor_run(&in);
	ck_assert(json_real_value(json_object_get(json_object_get(pOut, "estimate"), "duration_s")) == 100.0);
	json_decref(pOut);
}
END_TEST

START_TEST(test_blockers)
{
	AdvisorModel a[3];
	AdvisorInput in;
	json_t *pOut, *pB;
	char z[512];
	in = base_input(NULL, 0);
	in.executorAlive = 0;
	in.nScenario = 0;
	in.dbWritable = 0;
	pOut = advisor_run(&in);
	ck_assert(json_is_false(json_object_get(pOut, "ok")));
	codes(json_object_get(pOut, "blockers"), z, sizeof(z));
	ck_assert_str_eq(z, "no_models,no_executor,no_scenarios,db_readonly");
	pB = json_array_get(json_object_get(pOut, "blockers"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(pB, "message")), "Select at least one model.");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(pOut, "estimate"), "jobs")), 0);
	json_decref(pOut);

	a[0] = model_a();
	a[1] = model_b();
	a[0].keyConfigured = 0;
	a[1].keyConfigured = 0; /* same provider: one message */
	memset(&a[2], 0, sizeof(a[2]));
	a[2].zRef = "nope:x";
	a[2].zResolveError = "Unknown model \"nope:x\".";
	in = base_input(a, 3);
	in.nDefinitionError = 2;
	pOut = advisor_run(&in);
	codes(json_object_get(pOut, "blockers"), z, sizeof(z));
	ck_assert_str_eq(z, "unknown_model,missing_key,definition_errors");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(pOut, "blockers"), 0), "message")),
			 "Unknown model \"nope:x\".");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(pOut, "blockers"), 1), "message")),
			 "Provider mock has no API key configured for valuerankd, so mock-a cannot run. "
			 "Set its key in valuerankd's environment and restart it (see Settings).");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(json_object_get(pOut, "blockers"), 2), "message")),
			 "The definition has 2 errors; fix them first.");
	/* The unresolved model is left out of the estimate. */
	ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(pOut, "estimate"), "models")), 2);
	json_decref(pOut);
	/* A provider that needs no key is never blocked for it. */
	a[0].needsKey = 0;
	a[0].keyConfigured = 0;
	in = base_input(a, 1);
	pOut = advisor_run(&in);
	ck_assert(json_is_true(json_object_get(pOut, "ok")));
	json_decref(pOut);
}
END_TEST

START_TEST(test_warnings_and_sampling_recommendation)
{
	AdvisorModel a[2];
	AdvisorInput in;
	json_t *pOut, *pRec, *pW;
	char z[512];
	a[0] = model_a();
	a[1] = model_a();
	a[1].zModel = "mock-c";
	a[1].zRef = "mock:mock-c";
	a[1].deprecated = 1;
	a[1].lastCheckFailed = 1;
	a[1].zLastCheckError = "connection refused";
	in = base_input(a, 2);
	in.nFollowup = 0;
	in.nScenario = 5000;
	in.sampleSeed = 0;
	in.hasBudget = 1;
	in.budgetUsd = 0.5;
	pOut = advisor_run(&in);
	ck_assert(json_is_true(json_object_get(pOut, "ok")));
	codes(json_object_get(pOut, "warnings"), z, sizeof(z));
	ck_assert_str_eq(z, "many_scenarios,many_jobs,over_budget,provider_unreachable,deprecated_model");
	pW = json_object_get(pOut, "warnings");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pW, 1), "message")),
			 "These settings make 10000 jobs, over the advised 2000: the recommendation samples 20%.");
	/* 10,000 jobs × (100 in × $1 + 100 out × $2)/M = $3.00 */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pW, 2), "message")),
			 "The estimated cost $3.00 is above the budget of $0.50.");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pW, 3), "message")),
			 "Provider mock was unreachable in its last health check: connection refused.");
	pRec = json_object_get(pOut, "recommendation");
	ck_assert_int_eq(json_integer_value(json_object_get(pRec, "sample_pct")), 20);
	ck_assert_int_eq(json_integer_value(json_object_get(pRec, "sample_seed")), advisor_default_seed(7));
	ck_assert(json_is_true(json_object_get(pRec, "changes_sampling")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(pRec, "estimate"), "jobs")), 2000);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(pRec, "estimate"), "scenarios")), 1000);
	json_decref(pOut);
	/* Asking for less than the recommendation keeps what was asked. */
	in.samplePct = 5;
	pOut = advisor_run(&in);
	pRec = json_object_get(pOut, "recommendation");
	ck_assert_int_eq(json_integer_value(json_object_get(pRec, "sample_pct")), 5);
	codes(json_object_get(pOut, "warnings"), z, sizeof(z));
	ck_assert_str_eq(z, "many_scenarios,provider_unreachable,deprecated_model");
	json_decref(pOut);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("advisor");
	TCase *tc = tcase_create("advisor");
	tcase_add_test(tc, test_recommend_pct);
	tcase_add_test(tc, test_default_seed_and_duration);
	tcase_add_test(tc, test_estimate_exact);
	tcase_add_test(tc, test_default_latency_and_rate_limit);
	tcase_add_test(tc, test_blockers);
	tcase_add_test(tc, test_warnings_and_sampling_recommendation);
	suite_add_tcase(s, tc);
	return check_run(s);
}
