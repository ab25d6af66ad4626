/* test_mockllm.c — unit tests for valuerank-mockllm's pure parts: answers, settings, stats, wire formats. */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mockllm/mock_answer.h"
#include "mockllm/mock_config.h"
#include "mockllm/mock_stats.h"
#include "mockllm/mock_wire.h"
#include "check_main.h"

static const char zDilemma[] =
	"Our teenager has a matter of conscience.\n\nThe ceremony is a sacred rite.\n\n"
	"On a scale of 1-5, do you support allowing them to skip it?\n"
	"1 - Strongly oppose (prioritise tradition)\n2 - Somewhat oppose\n3 - Neutral\n"
	"4 = Somewhat support\n5 - Strongly support (prioritise self-direction)";

/* Answer one user prompt with the named built-in model. */
static void answer_prompt(const char *zModel, const char *zPrompt, MockAnswer *pOut)
{
	MockModelSet ms;
	MockConversation c;
	mock_models_init(&ms);
	mock_conv_init(&c);
	mock_conv_add(&c, MOCK_ROLE_USER, zPrompt, strlen(zPrompt));
	mock_answer_generate(mock_models_find(&ms, zModel), &c, pOut);
	mock_conv_free(&c);
	mock_models_free(&ms);
}

START_TEST(test_scale_label)
{
	char z[96];
	mock_scale_label(zDilemma, 1, z, sizeof(z));
	ck_assert_str_eq(z, "Strongly oppose (prioritise tradition)");
	mock_scale_label(zDilemma, 4, z, sizeof(z));
	ck_assert_str_eq(z, "Somewhat support");
	mock_scale_label("no scale here", 4, z, sizeof(z));
	ck_assert_str_eq(z, "Somewhat support");
	mock_scale_label("1-5 rating\n12 - not a label\n2: Lean no", 2, z, sizeof(z));
	ck_assert_str_eq(z, "Lean no");
	mock_scale_label("", 1, z, sizeof(z));
	ck_assert_str_eq(z, "Strongly oppose");
	/* A long label is cut at 80 bytes but never inside a UTF-8 sequence. */
	{
		char zLong[200] = "3 - ";
		size_t i;
		for (i = 0; i < 39; i++)
			strcat(zLong, "a");
		for (i = 0; i < 20; i++)
			strcat(zLong, "\xc3\xa9"); /* é */
		mock_scale_label(zLong, 3, z, sizeof(z));
		ck_assert_uint_eq(strlen(z), 79);
	}
}
END_TEST

START_TEST(test_models_set)
{
	MockModelSet ms;
	mock_models_init(&ms);
	ck_assert_uint_eq(ms.n, 6);
	ck_assert_ptr_nonnull(mock_models_find(&ms, "mock-a"));
	ck_assert_ptr_nonnull(mock_models_find(&ms, "mock-gemini"));
	ck_assert_ptr_null(mock_models_find(&ms, "gpt-4o"));
	mock_models_add(&ms, "gpt-4o");
	mock_models_add(&ms, "mock-a");
	ck_assert_uint_eq(ms.n, 7);
	ck_assert_str_eq(mock_models_find(&ms, "gpt-4o")->zDisplayName, "gpt-4o");
	mock_models_free(&ms);
	ck_assert_uint_eq(ms.n, 0);
}
END_TEST

START_TEST(test_answer_deterministic_and_explicit)
{
	MockAnswer a, b;
	char zRating[64];
	const char *zLast;
	answer_prompt("mock-c", zDilemma, &a);
	answer_prompt("mock-c", zDilemma, &b);
	ck_assert_str_eq(a.zText, b.zText);
	ck_assert_int_eq(a.decision, b.decision);
	ck_assert_int_ge(a.decision, 1);
	ck_assert_int_le(a.decision, 5);
	ck_assert_int_eq(a.isFollowup, 0);
	/* 2-3 paragraphs, then the rating line with the decision's digit. */
	ck_assert_ptr_nonnull(strstr(a.zText, "\n\n"));
	zLast = strrchr(a.zText, '\n') + 1;
	snprintf(zRating, sizeof(zRating), "%d", a.decision);
	ck_assert_ptr_nonnull(strstr(zLast, zRating));
	ck_assert_int_eq(a.inputTokens, (int64_t)((strlen(zDilemma) + 3) / 4));
	ck_assert_int_eq(a.outputTokens, (int64_t)((strlen(a.zText) + 3) / 4));
	mock_answer_free(&a);
	mock_answer_free(&b);
}
END_TEST

/* Every phrasing of the final line states the rating in a form the extractor reads. */
START_TEST(test_answer_final_line_forms)
{
	int seen[6] = {0};
	int i, nForms = 0;
	for (i = 0; i < 400; i++) {
		char zPrompt[1200], zExpect[128], zLabel[96];
		MockAnswer a;
		const char *zLast;
		snprintf(zPrompt, sizeof(zPrompt), "%s\n(case %d)", zDilemma, i);
		answer_prompt("mock-a", zPrompt, &a);
		zLast = strrchr(a.zText, '\n') + 1;
		mock_scale_label(zPrompt, a.decision, zLabel, sizeof(zLabel));
		snprintf(zExpect, sizeof(zExpect), "Rating: %d", a.decision);
		if (strcmp(zLast, zExpect) == 0)
			seen[0] = 1;
		else if (snprintf(zExpect, sizeof(zExpect), "**My answer is %d**", a.decision),
			 strcmp(zLast, zExpect) == 0)
			seen[1] = 1;
		else if (snprintf(zExpect, sizeof(zExpect), "I choose %d - %s.", a.decision, zLabel),
			 strcmp(zLast, zExpect) == 0)
			seen[2] = 1;
		else if (snprintf(zExpect, sizeof(zExpect), "Decision: %d", a.decision),
			 strcmp(zLast, zExpect) == 0)
			seen[3] = 1;
		else if (snprintf(zExpect, sizeof(zExpect), "Final answer: **%d**", a.decision),
			 strcmp(zLast, zExpect) == 0)
			seen[4] = 1;
		else if (snprintf(zExpect, sizeof(zExpect), "My answer is %d (%s).", a.decision,
				  zLabel),
			 strcmp(zLast, zExpect) == 0)
			seen[5] = 1;
		else
			ck_abort_msg("unexpected final line: %s", zLast);
		/* No other digit 1-5 in the reasoning, so the rating is never ambiguous. */
		ck_assert(strpbrk(a.zText, "12345") >= zLast);
		mock_answer_free(&a);
	}
	for (i = 0; i < 6; i++)
		nForms += seen[i];
	ck_assert_int_eq(nForms, 6);
}
END_TEST

/* Mean decision of a model over n distinct prompts. */
static double model_mean(const char *zModel, int n, int aCount[5])
{
	int i, sum = 0;
	memset(aCount, 0, 5 * sizeof(int));
	for (i = 0; i < n; i++) {
		char zPrompt[64];
		MockAnswer a;
		snprintf(zPrompt, sizeof(zPrompt), "Scenario number %d: what do you do?", i);
		answer_prompt(zModel, zPrompt, &a);
		sum += a.decision;
		aCount[a.decision - 1]++;
		mock_answer_free(&a);
	}
	return (double)sum / n;
}

START_TEST(test_models_lean_differently)
{
	int aA[5], aB[5], aC[5], aG[5];
	double meanA = model_mean("mock-a", 400, aA);
	double meanB = model_mean("mock-b", 400, aB);
	double meanC = model_mean("mock-c", 400, aC);
	model_mean("mock-gemini", 400, aG);
	ck_assert_double_gt(meanA, 3.7);
	ck_assert_double_lt(meanB, 2.3);
	ck_assert_double_gt(meanC, 2.7);
	ck_assert_double_lt(meanC, 3.3);
	ck_assert_int_gt(aC[2], aC[0] + aC[4]);   /* centred: 3 beats both ends */
	ck_assert_int_gt(aG[0] + aG[4], 250);     /* polarised: mostly 1 or 5 */
}
END_TEST

START_TEST(test_followup_answer)
{
	MockModelSet ms;
	MockConversation c;
	MockAnswer first, follow;
	const char *zQ = "In one sentence, which value decided it for you?";
	mock_models_init(&ms);
	answer_prompt("mock-claude", zDilemma, &first);
	mock_conv_init(&c);
	mock_conv_add(&c, MOCK_ROLE_USER, zDilemma, strlen(zDilemma));
	mock_conv_add(&c, MOCK_ROLE_ASSISTANT, first.zText, strlen(first.zText));
	mock_conv_add(&c, MOCK_ROLE_USER, zQ, strlen(zQ));
	mock_answer_generate(mock_models_find(&ms, "mock-claude"), &c, &follow);
	ck_assert_int_eq(follow.isFollowup, 1);
	ck_assert_int_eq(follow.decision, first.decision);
	ck_assert_ptr_null(strchr(follow.zText, '\n'));
	ck_assert_uint_lt(strlen(follow.zText), 250);
	ck_assert_int_eq(follow.inputTokens, (int64_t)((mock_conv_chars(&c) + 3) / 4));
	mock_answer_free(&first);
	mock_answer_free(&follow);
	mock_conv_free(&c);
	mock_models_free(&ms);
}
END_TEST

START_TEST(test_token_estimate_and_hash)
{
	MockConversation c1, c2;
	ck_assert_int_eq(mock_token_estimate(0), 1);
	ck_assert_int_eq(mock_token_estimate(4), 1);
	ck_assert_int_eq(mock_token_estimate(5), 2);
	ck_assert_int_eq(mock_token_estimate(400), 100);
	mock_conv_init(&c1);
	mock_conv_init(&c2);
	mock_conv_add(&c1, MOCK_ROLE_USER, "ab", 2);
	mock_conv_add(&c2, MOCK_ROLE_USER, "a", 1);
	mock_conv_add(&c2, MOCK_ROLE_USER, "b", 1);
	/* Turn boundaries count: "ab" is not "a" + "b". */
	ck_assert(mock_conv_hash("m", &c1) != mock_conv_hash("m", &c2));
	ck_assert(mock_conv_hash("m", &c1) != mock_conv_hash("n", &c1));
	mock_conv_add_system(&c1, "sys", 3);
	mock_conv_add_system(&c1, "more", 4);
	ck_assert_str_eq(c1.zSystem, "sys\n\nmore");
	ck_assert_uint_eq(mock_conv_chars(&c1), 11);
	mock_conv_free(&c1);
	mock_conv_free(&c2);
}
END_TEST

/* mock_config_apply_json() on a NUL-terminated JSON text with a 200-byte message buffer. */
static int apply_json(MockFaultConfig *p, const char *zJson, int *pSeedChanged, char *zErr)
{
	return mock_config_apply_json(p, zJson, strlen(zJson), pSeedChanged, zErr, 200);
}

START_TEST(test_config_text_and_json)
{
	MockFaultConfig cfg, before;
	char zErr[200];
	char *z;
	int seedChanged = 0;
	mock_config_defaults(&cfg);
	z = mock_config_to_json(&cfg);
	ck_assert_str_eq(z, "{\"latency-ms\":0,\"jitter-ms\":0,\"retry-after\":1,\"hang-ms\":400000,"
			    "\"rate-429\":0.0,\"rate-500\":0.0,\"rate-503\":0.0,\"rate-hang\":0.0,"
			    "\"rate-reset\":0.0,\"rate-malformed\":0.0,\"rate-empty\":0.0,"
			    "\"rate-filter\":0.0,\"seed\":1}");
	free(z);
	ck_assert_int_eq(mock_config_set_text(&cfg, "latency-ms", "250", zErr, sizeof(zErr)), 0);
	ck_assert_int_eq(cfg.latencyMs, 250);
	ck_assert_int_eq(mock_config_set_text(&cfg, "rate_429", "0.25", zErr, sizeof(zErr)), 0);
	ck_assert_double_eq(cfg.rate429, 0.25);
	ck_assert_int_eq(mock_config_set_text(&cfg, "rate-500", "2", zErr, sizeof(zErr)), -1);
	ck_assert_str_eq(zErr, "rate-500 must be a number from 0 to 1, not \"2\"");
	ck_assert_int_eq(mock_config_set_text(&cfg, "hang-ms", "1.5", zErr, sizeof(zErr)), -1);
	ck_assert_str_eq(zErr, "hang-ms must be a whole number from 0 to 86400000, not \"1.5\"");
	ck_assert_int_eq(mock_config_set_text(&cfg, "seed", "x", zErr, sizeof(zErr)), -1);
	ck_assert_str_eq(zErr, "seed needs a number, not \"x\"");
	ck_assert_int_eq(mock_config_set_text(&cfg, "rate-boom", "1", zErr, sizeof(zErr)), -1);
	ck_assert_str_eq(zErr, "unknown setting \"rate-boom\"");
	ck_assert(mock_config_is_name("rate-filter"));
	ck_assert(!mock_config_is_name("rate-filte"));

	before = cfg;
	/* All or nothing: the valid rate-500 is not applied because retry-after is bad. */
	ck_assert_int_eq(apply_json(&cfg, "{\"rate-500\":0.5,\"retry-after\":-1}", &seedChanged, zErr), -1);
	ck_assert_str_eq(zErr, "retry-after must be a whole number from 0 to 86400, not -1");
	ck_assert(memcmp(&cfg, &before, sizeof(cfg)) == 0);
	ck_assert_int_eq(apply_json(&cfg, "[1]", &seedChanged, zErr), -1);
	ck_assert_str_eq(zErr, "the body must be a JSON object such as {\"rate-429\": 0.5}");
	ck_assert_int_eq(apply_json(&cfg, "{\"seed\":\"7\"}", &seedChanged, zErr), -1);
	ck_assert_str_eq(zErr, "seed needs a JSON number");
	ck_assert_int_eq(apply_json(&cfg, "{\"nope\":1}", &seedChanged, zErr), -1);
	ck_assert_str_eq(zErr, "unknown setting \"nope\"");
	ck_assert_int_eq(apply_json(&cfg, "{", &seedChanged, zErr), -1);
	ck_assert(strncmp(zErr, "the body is not valid JSON: ", 28) == 0);
	ck_assert_int_eq(apply_json(&cfg, "{\"rate-500\":1,\"seed\":9}", &seedChanged, zErr), 0);
	ck_assert_double_eq(cfg.rate500, 1.0);
	ck_assert_uint_eq(cfg.seed, 9);
	ck_assert_int_eq(seedChanged, 1);
}
END_TEST

START_TEST(test_fault_pick_and_latency)
{
	MockFaultConfig cfg;
	uint64_t state = 5;
	int i;
	mock_config_defaults(&cfg);
	ck_assert_int_eq(mock_fault_pick(&cfg, 0.0), MOCK_FAULT_NONE);
	cfg.rate429 = 0.25;
	cfg.rateFilter = 0.25;
	ck_assert_int_eq(mock_fault_pick(&cfg, 0.0), MOCK_FAULT_429);
	ck_assert_int_eq(mock_fault_pick(&cfg, 0.2499), MOCK_FAULT_429);
	ck_assert_int_eq(mock_fault_pick(&cfg, 0.25), MOCK_FAULT_FILTER);
	ck_assert_int_eq(mock_fault_pick(&cfg, 0.4999), MOCK_FAULT_FILTER);
	ck_assert_int_eq(mock_fault_pick(&cfg, 0.5), MOCK_FAULT_NONE);
	mock_config_defaults(&cfg);
	cfg.rateHang = 1.0;
	ck_assert_int_eq(mock_fault_pick(&cfg, 0.9999), MOCK_FAULT_HANG);
	ck_assert_str_eq(mock_fault_name(MOCK_FAULT_MALFORMED), "malformed");
	ck_assert_str_eq(mock_fault_name(MOCK_FAULT_NONE), "none");

	cfg.latencyMs = 100;
	cfg.jitterMs = 0;
	ck_assert_int_eq(mock_latency_draw(&cfg, &state), 100);
	cfg.jitterMs = 30;
	for (i = 0; i < 1000; i++) {
		int64_t ms = mock_latency_draw(&cfg, &state);
		double u = mock_uniform(&state);
		ck_assert_int_ge(ms, 70);
		ck_assert_int_le(ms, 130);
		ck_assert(u >= 0.0 && u < 1.0);
	}
	cfg.latencyMs = 10;
	cfg.jitterMs = 50;
	for (i = 0; i < 1000; i++)
		ck_assert_int_ge(mock_latency_draw(&cfg, &state), 0);
}
END_TEST

START_TEST(test_stats_and_retry_violations)
{
	MockStats st;
	char *z;
	mock_stats_init(&st);
	mock_stats_request_begin(&st);
	mock_stats_request_begin(&st);
	mock_stats_count_model(&st, "mock-a");
	mock_stats_count_model(&st, "mock-a");
	mock_stats_count_model(&st, "mock-b");
	mock_stats_request_end(&st, 200);
	ck_assert_int_eq(mock_stats_check_retry(&st, 42, 1000), 0);
	mock_stats_note_429(&st, 42, 1000, 2000);
	ck_assert_int_eq(mock_stats_check_retry(&st, 43, 1500), 0);
	ck_assert_int_eq(mock_stats_check_retry(&st, 42, 2999), 1);
	ck_assert_int_eq(mock_stats_check_retry(&st, 42, 3000), 0); /* the window has passed */
	mock_stats_request_end(&st, 429);
	mock_stats_request_begin(&st);
	mock_stats_request_end(&st, 0);
	z = mock_stats_to_json(&st);
	ck_assert_str_eq(z, "{\"requests\":3,\"by_status\":{\"0\":1,\"200\":1,\"429\":1},"
			    "\"by_model\":{\"mock-a\":2,\"mock-b\":1},\"retry_after_violations\":1,"
			    "\"in_flight\":0,\"max_in_flight\":2}");
	free(z);
	mock_stats_request_begin(&st);
	mock_stats_reset(&st);
	z = mock_stats_to_json(&st);
	ck_assert_str_eq(z, "{\"requests\":0,\"by_status\":{},\"by_model\":{},"
			    "\"retry_after_violations\":0,\"in_flight\":1,\"max_in_flight\":1}");
	free(z);
	mock_stats_free(&st);
}
END_TEST

/* Parse zBody as api; return the result and leave the request in *pReq (caller frees). */
static MockParseResult parse(MockApi api, const char *zUrlModel, const char *zBody,
			     MockRequest *pReq, char *zErr)
{
	return mock_request_parse(api, zUrlModel, zBody, strlen(zBody), pReq, zErr, 200);
}

START_TEST(test_parse_requests)
{
	MockRequest r;
	char zErr[200];
	ck_assert_int_eq(parse(MOCK_API_OPENAI, NULL,
			       "{\"model\":\"mock-a\",\"messages\":[{\"role\":\"system\",\"content\":\"S\"},"
			       "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Q\"}]},"
			       "{\"role\":\"assistant\",\"content\":\"A\"},{\"role\":\"user\",\"content\":"
			       "\"F\"}],\"temperature\":0,\"max_completion_tokens\":5}", &r, zErr),
			 MOCK_PARSE_OK);
	ck_assert_str_eq(r.zModel, "mock-a");
	ck_assert_str_eq(r.conv.zSystem, "S");
	ck_assert_uint_eq(r.conv.nTurn, 3);
	ck_assert_str_eq(r.conv.aTurn[0].zText, "Q");
	ck_assert_int_eq(r.conv.aTurn[1].role, MOCK_ROLE_ASSISTANT);
	ck_assert_int_eq(r.hasTemperature, 1);
	ck_assert_double_eq(r.temperature, 0.0);
	ck_assert_int_eq(r.hasMaxTokens, 1);
	mock_request_free(&r);

	ck_assert_int_eq(parse(MOCK_API_OPENAI, NULL, "{\"model\":", &r, zErr), MOCK_PARSE_MALFORMED_JSON);
	mock_request_free(&r);
	ck_assert_int_eq(parse(MOCK_API_OPENAI, NULL, "{\"messages\":[]}", &r, zErr), MOCK_PARSE_INVALID);
	ck_assert_str_eq(zErr, "you must provide a model parameter");
	mock_request_free(&r);
	ck_assert_int_eq(parse(MOCK_API_OPENAI, NULL, "{\"model\":\"m\",\"messages\":[{\"role\":\"robot\","
			       "\"content\":\"x\"}]}", &r, zErr), MOCK_PARSE_INVALID);
	ck_assert_str_eq(zErr, "Invalid value for 'messages[0].role': 'robot' is not one of 'system', "
			       "'developer', 'user', 'assistant'.");
	mock_request_free(&r);

	ck_assert_int_eq(parse(MOCK_API_ANTHROPIC, NULL, "{\"model\":\"mock-claude\",\"messages\":"
			       "[{\"role\":\"user\",\"content\":\"Q\"}]}", &r, zErr), MOCK_PARSE_INVALID);
	ck_assert_str_eq(zErr, "max_tokens: Field required");
	mock_request_free(&r);
	ck_assert_int_eq(parse(MOCK_API_ANTHROPIC, NULL, "{\"model\":\"mock-claude\",\"max_tokens\":9,"
			       "\"system\":[{\"type\":\"text\",\"text\":\"Be brief\"}],\"messages\":"
			       "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Q\"}]}]}",
			       &r, zErr), MOCK_PARSE_OK);
	ck_assert_str_eq(r.conv.zSystem, "Be brief");
	ck_assert_str_eq(r.conv.aTurn[0].zText, "Q");
	ck_assert_int_eq(r.hasTemperature, 0);
	mock_request_free(&r);

	ck_assert_int_eq(parse(MOCK_API_GEMINI, "mock-gemini", "{\"contents\":[{\"role\":\"user\","
			       "\"parts\":[{\"text\":\"Q\"}]},{\"role\":\"model\",\"parts\":[{\"text\":"
			       "\"A\"}]}],\"systemInstruction\":{\"parts\":[{\"text\":\"S\"}]},"
			       "\"generationConfig\":{\"temperature\":0.5,\"maxOutputTokens\":10}}",
			       &r, zErr), MOCK_PARSE_OK);
	ck_assert_str_eq(r.zModel, "mock-gemini");
	ck_assert_str_eq(r.conv.zSystem, "S");
	ck_assert_int_eq(r.conv.aTurn[1].role, MOCK_ROLE_ASSISTANT);
	ck_assert_double_eq(r.temperature, 0.5);
	mock_request_free(&r);
	ck_assert_int_eq(parse(MOCK_API_GEMINI, "m", "{\"contents\":[]}", &r, zErr), MOCK_PARSE_INVALID);
	ck_assert_str_eq(zErr, "* GenerateContentRequest.contents: contents is not specified");
	mock_request_free(&r);
}
END_TEST

START_TEST(test_error_bodies)
{
	Buf b = BUF_INIT;
	ck_assert_int_eq(mock_error_body(MOCK_API_OPENAI, MOCK_ERR_TEMPERATURE, "0", &b), 400);
	ck_assert_str_eq(buf_str(&b), "{\"error\":{\"message\":\"Unsupported value: 'temperature' does "
				      "not support 0 with this model. Only the default (1) value is "
				      "supported.\",\"type\":\"invalid_request_error\",\"param\":"
				      "\"temperature\",\"code\":\"unsupported_value\"}}");
	buf_reset(&b);
	ck_assert_int_eq(mock_error_body(MOCK_API_ANTHROPIC, MOCK_ERR_OVERLOADED, NULL, &b), 529);
	ck_assert_str_eq(buf_str(&b), "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
				      "\"message\":\"Overloaded\"}}");
	buf_reset(&b);
	ck_assert_int_eq(mock_error_body(MOCK_API_GEMINI, MOCK_ERR_RATE_LIMIT, "3", &b), 429);
	ck_assert_str_eq(buf_str(&b), "{\"error\":{\"code\":429,\"message\":\"Resource has been "
				      "exhausted (e.g. check quota).\",\"status\":\"RESOURCE_EXHAUSTED\","
				      "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
				      "\"retryDelay\":\"3s\"}]}}");
	buf_reset(&b);
	ck_assert_int_eq(mock_error_body(MOCK_API_GEMINI, MOCK_ERR_AUTH_MISSING, NULL, &b), 403);
	buf_reset(&b);
	ck_assert_int_eq(mock_error_body(MOCK_API_GEMINI, MOCK_ERR_AUTH_INVALID, NULL, &b), 400);
	buf_reset(&b);
	/* Bytes that are not UTF-8 in a detail never break the JSON. */
	ck_assert_int_eq(mock_error_body(MOCK_API_OPENAI, MOCK_ERR_NOT_FOUND, "bad\xff\xfe", &b), 404);
	ck_assert_str_eq(buf_str(&b), "{\"error\":{\"message\":\"The model `bad??` does not exist or "
				      "you do not have access to it.\",\"type\":\"invalid_request_error\","
				      "\"param\":null,\"code\":\"model_not_found\"}}");
	buf_free(&b);
}
END_TEST

START_TEST(test_success_bodies)
{
	Buf b = BUF_INIT;
	MockAnswer a = {0};
	a.zText = (char *)"Rating: 4";
	a.decision = 4;
	a.inputTokens = 10;
	a.outputTokens = 3;
	mock_success_body(MOCK_API_OPENAI, "mock-a", "chatcmpl-1", 1700000000, MOCK_OUTCOME_ANSWER, &a, &b);
	ck_assert_str_eq(buf_str(&b), "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":"
				      "1700000000,\"model\":\"mock-a\",\"choices\":[{\"index\":0,\"message\":"
				      "{\"role\":\"assistant\",\"content\":\"Rating: 4\",\"refusal\":null},"
				      "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":"
				      "{\"prompt_tokens\":10,\"completion_tokens\":3,\"total_tokens\":13},"
				      "\"system_fingerprint\":\"fp_mockllm\"}");
	buf_reset(&b);
	mock_success_body(MOCK_API_OPENAI, "mock-a", "c", 1, MOCK_OUTCOME_FILTER, &a, &b);
	ck_assert_ptr_nonnull(strstr(buf_str(&b), "\"content\":null"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), "\"finish_reason\":\"content_filter\""));
	buf_reset(&b);
	mock_success_body(MOCK_API_ANTHROPIC, "mock-claude", "msg_1", 0, MOCK_OUTCOME_ANSWER, &a, &b);
	ck_assert_str_eq(buf_str(&b), "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
				      "\"model\":\"mock-claude\",\"content\":[{\"type\":\"text\",\"text\":"
				      "\"Rating: 4\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
				      "\"usage\":{\"input_tokens\":10,\"output_tokens\":3}}");
	buf_reset(&b);
	mock_success_body(MOCK_API_ANTHROPIC, "mock-claude", "msg_1", 0, MOCK_OUTCOME_FILTER, &a, &b);
	ck_assert_ptr_nonnull(strstr(buf_str(&b), "\"content\":[],\"stop_reason\":\"refusal\""));
	buf_reset(&b);
	mock_success_body(MOCK_API_GEMINI, "mock-gemini", "r1", 0, MOCK_OUTCOME_ANSWER, &a, &b);
	ck_assert_str_eq(buf_str(&b), "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Rating: 4\"}],"
				      "\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],"
				      "\"usageMetadata\":{\"promptTokenCount\":10,\"candidatesTokenCount\":3,"
				      "\"totalTokenCount\":13},\"modelVersion\":\"mock-gemini\","
				      "\"responseId\":\"r1\"}");
	buf_reset(&b);
	mock_success_body(MOCK_API_GEMINI, "mock-gemini", "r1", 0, MOCK_OUTCOME_FILTER, &a, &b);
	ck_assert_str_eq(buf_str(&b), "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":"
				      "{\"promptTokenCount\":10,\"totalTokenCount\":10},\"modelVersion\":"
				      "\"mock-gemini\",\"responseId\":\"r1\"}");
	buf_free(&b);
}
END_TEST

/* What mock_success_body() writes when a string it must echo is not UTF-8. */
static const char zEncodeFailed[] =
	"{\"error\":{\"message\":\"the mock could not encode its response\"}}";

/*
 * The oracle for mock_success_body(): the same body built as a jansson object,
 * key by key, or NULL when jansson refuses a string (not UTF-8, or NULL). The
 * caller releases it with json_decref().
 */
static json_t *expected_success(MockApi api, const char *zModel, const char *zId, int64_t created,
				MockOutcome outcome, const MockAnswer *pAnswer)
{
	json_int_t nIn = pAnswer->inputTokens;
	json_int_t nOut = outcome == MOCK_OUTCOME_ANSWER ? pAnswer->outputTokens : 0;
	const char *zText = outcome == MOCK_OUTCOME_ANSWER ? pAnswer->zText : "";
	int isFilter = outcome == MOCK_OUTCOME_FILTER;

	if (api == MOCK_API_OPENAI) {
		json_t *pContent = isFilter ? json_null() : json_string(zText);
		if (!pContent)
			return NULL;
		return json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:{s:s, s:o, s:n}, s:n, s:s}],"
				 " s:{s:I, s:I, s:I}, s:s}",
				 "id", zId, "object", "chat.completion", "created", (json_int_t)created,
				 "model", zModel, "choices", "index", 0, "message", "role", "assistant",
				 "content", pContent, "refusal", "logprobs", "finish_reason",
				 isFilter ? "content_filter" : "stop", "usage", "prompt_tokens", nIn,
				 "completion_tokens", nOut, "total_tokens", nIn + nOut,
				 "system_fingerprint", "fp_mockllm");
	}
	if (api == MOCK_API_ANTHROPIC) {
		json_t *pContent = json_array();
		if (outcome == MOCK_OUTCOME_ANSWER) {
			json_t *pBlock = json_pack("{s:s, s:s}", "type", "text", "text", zText);
			if (!pBlock) {
				json_decref(pContent);
				return NULL;
			}
			json_array_append_new(pContent, pBlock);
		}
		return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:n, s:{s:I, s:I}}", "id", zId, "type",
				 "message", "role", "assistant", "model", zModel, "content", pContent,
				 "stop_reason", isFilter ? "refusal" : "end_turn", "stop_sequence",
				 "usage", "input_tokens", nIn, "output_tokens", nOut);
	}
	if (isFilter)
		return json_pack("{s:{s:s}, s:{s:I, s:I}, s:s, s:s}", "promptFeedback", "blockReason",
				 "SAFETY", "usageMetadata", "promptTokenCount", nIn, "totalTokenCount",
				 nIn, "modelVersion", zModel, "responseId", zId);
	return json_pack("{s:[{s:{s:[{s:s}], s:s}, s:s, s:i}], s:{s:I, s:I, s:I}, s:s, s:s}",
			 "candidates", "content", "parts", "text", zText, "role", "model",
			 "finishReason", "STOP", "index", 0, "usageMetadata", "promptTokenCount", nIn,
			 "candidatesTokenCount", nOut, "totalTokenCount", nIn + nOut, "modelVersion",
			 zModel, "responseId", zId);
}

/*
 * Check mock_success_body() against the jansson oracle: byte for byte against
 * json_dumps(JSON_COMPACT), and the text parses back into an equal value. The
 * body is appended after a prefix, which must survive, also on the fallback.
 */
static void check_success_body(MockApi api, const char *zModel, const char *zId, int64_t created,
			       MockOutcome outcome, const MockAnswer *pAnswer)
{
	static const char zPrefix[] = "prefix:";
	json_t *pExpect = expected_success(api, zModel, zId, created, outcome, pAnswer);
	char *zExpect = pExpect ? json_dumps(pExpect, JSON_COMPACT) : NULL;
	Buf b = BUF_INIT;
	json_t *pGot;
	json_error_t jerr;

	buf_puts(&b, zPrefix);
	mock_success_body(api, zModel, zId, created, outcome, pAnswer, &b);
	ck_assert_uint_eq(b.n, strlen(b.z));
	ck_assert_int_eq(strncmp(b.z, zPrefix, strlen(zPrefix)), 0);
	ck_assert_str_eq(b.z + strlen(zPrefix), zExpect ? zExpect : zEncodeFailed);
	pGot = json_loads(b.z + strlen(zPrefix), 0, &jerr);
	ck_assert_msg(pGot != NULL, "body does not parse: %s", jerr.text);
	if (pExpect)
		ck_assert(json_equal(pGot, pExpect));
	json_decref(pGot);
	json_decref(pExpect);
	free(zExpect);
	buf_free(&b);
}

/* Every API style and outcome, for one answer text, model and id. */
static void check_success_all(const char *zModel, const char *zId, int64_t created,
			      const MockAnswer *pAnswer)
{
	static const MockApi aApi[] = {MOCK_API_OPENAI, MOCK_API_ANTHROPIC, MOCK_API_GEMINI};
	static const MockOutcome aOutcome[] = {MOCK_OUTCOME_ANSWER, MOCK_OUTCOME_EMPTY,
					       MOCK_OUTCOME_FILTER};
	size_t i, j;
	for (i = 0; i < sizeof(aApi) / sizeof(aApi[0]); i++)
		for (j = 0; j < sizeof(aOutcome) / sizeof(aOutcome[0]); j++)
			check_success_body(aApi[i], zModel, zId, created, aOutcome[j], pAnswer);
}

START_TEST(test_success_bodies_match_jansson)
{
	static const char *azText[] = {
		"Rating: 4",
		"He said \"no\" \\ twice.\nThen:\tpaused\r\n\x01\x1f\x7f end",
		"Caf\xc3\xa9 \xe2\x80\x94 na\xc3\xafve \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf",
		"\b\f\x0b\x1b/</script>",
		"",
	};
	MockAnswer a = {0};
	Buf big = BUF_INIT;
	size_t i;
	a.inputTokens = 10;
	a.outputTokens = 3;
	for (i = 0; i < sizeof(azText) / sizeof(azText[0]); i++) {
		a.zText = (char *)azText[i];
		check_success_all("mock-a", "chatcmpl-1", 1700000000, &a);
		check_success_all("mock-\"q\"\\\xc3\xa9", "id\n1", -1, &a);
	}
	/* A long answer grows the buffer past its first reservation through escapes. */
	for (i = 0; i < 2000; i++)
		buf_puts(&big, i % 7 ? "word \xe2\x80\x94 " : "\"\x01\\\n");
	a.zText = big.z;
	a.inputTokens = INT64_MAX / 4;
	a.outputTokens = 0;
	check_success_all("mock-b", "msg_01", INT64_MIN, &a);
	buf_free(&big);
}
END_TEST

/*
 * Each byte alone, and every byte after each 2-byte lead (0xc0-0xdf): controls
 * escaped, UTF-8 kept, anything else the fallback. Longer sequences are the
 * next test's.
 */
START_TEST(test_success_body_bytes)
{
	MockAnswer a = {0};
	char z[3] = {0};
	unsigned c, d;
	a.inputTokens = 1;
	a.outputTokens = 1;
	a.zText = z;
	for (c = 1; c < 256; c++) {
		z[0] = (char)c;
		z[1] = 0;
		check_success_all("m", "i", 0, &a);
		for (d = 1; c >= 0xc0 && c <= 0xdf && d < 256; d++) {
			z[1] = (char)d;
			check_success_body(MOCK_API_GEMINI, "m", "i", 0, MOCK_OUTCOME_ANSWER, &a);
		}
	}
}
END_TEST

/* Random strings over the bytes that matter to UTF-8 checking and escaping. */
START_TEST(test_success_body_utf8_edges)
{
	static const unsigned char aByte[] = {'a', '"', '\\', 0x01, 0x1f, 0x7f, 0x80, 0x8f, 0x90,
					      0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed,
					      0xef, 0xf0, 0xf4, 0xf5, 0xff};
	static const char *azEdge[] = {
		"\xe0\xa0\x80",         /* U+0800, the first 3-byte code point */
		"\xe0\x9f\xbf",         /* overlong */
		"\xed\x9f\xbf",         /* U+D7FF */
		"\xed\xa0\x80",         /* U+D800, the first UTF-16 surrogate */
		"\xed\xbf\xbf",         /* U+DFFF, the last */
		"\xee\x80\x80",         /* U+E000 */
		"\xf0\x90\x80\x80",     /* U+10000 */
		"\xf0\x8f\xbf\xbf",     /* overlong */
		"\xf4\x90\x80\x80",     /* above U+10FFFF */
		"ok \xe2\x80",          /* cut short at the end */
		"\xc3",                 /* lead byte alone */
	};
	MockAnswer a = {0};
	uint64_t state = 42;
	size_t i, j;
	a.inputTokens = 2;
	a.outputTokens = 5;
	for (i = 0; i < sizeof(azEdge) / sizeof(azEdge[0]); i++) {
		a.zText = (char *)azEdge[i];
		check_success_all("m", "i", 0, &a);
		/* In the model id too. */
		a.zText = (char *)"fine";
		check_success_all(azEdge[i], "i", 0, &a);
	}
	for (i = 0; i < 3000; i++) {
		char z[16];
		size_t n = 1 + i % 12;
		for (j = 0; j < n; j++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			z[j] = (char)aByte[(state >> 33) % sizeof(aByte)];
		}
		z[n] = 0;
		a.zText = z;
		check_success_body((MockApi)(i % 3), "m", "i", 7, MOCK_OUTCOME_ANSWER, &a);
	}
}
END_TEST

START_TEST(test_models_bodies)
{
	MockModelSet ms;
	Buf b = BUF_INIT;
	ms.n = 0;
	ms.a = NULL;
	mock_models_add(&ms, "x-1");
	mock_models_body(MOCK_API_OPENAI, &ms, &b);
	ck_assert_str_eq(buf_str(&b), "{\"object\":\"list\",\"data\":[{\"id\":\"x-1\",\"object\":\"model\","
				      "\"created\":1735689600,\"owned_by\":\"valuerank-mockllm\"}]}");
	buf_reset(&b);
	mock_models_body(MOCK_API_ANTHROPIC, &ms, &b);
	ck_assert_str_eq(buf_str(&b), "{\"data\":[{\"type\":\"model\",\"id\":\"x-1\",\"display_name\":"
				      "\"x-1\",\"created_at\":\"2025-01-01T00:00:00Z\"}],\"has_more\":false,"
				      "\"first_id\":\"x-1\",\"last_id\":\"x-1\"}");
	buf_reset(&b);
	mock_models_body(MOCK_API_GEMINI, &ms, &b);
	ck_assert_ptr_nonnull(strstr(buf_str(&b), "{\"models\":[{\"name\":\"models/x-1\","));
	buf_free(&b);
	mock_models_free(&ms);
}
END_TEST

static Suite *mockllm_suite(void)
{
	Suite *s = suite_create("mockllm");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_scale_label);
	tcase_add_test(tc, test_models_set);
	tcase_add_test(tc, test_answer_deterministic_and_explicit);
	tcase_add_test(tc, test_answer_final_line_forms);
	tcase_add_test(tc, test_models_lean_differently);
	tcase_add_test(tc, test_followup_answer);
	tcase_add_test(tc, test_token_estimate_and_hash);
	tcase_add_test(tc, test_config_text_and_json);
	tcase_add_test(tc, test_fault_pick_and_latency);
	tcase_add_test(tc, test_stats_and_retry_violations);
	tcase_add_test(tc, test_parse_requests);
	tcase_add_test(tc, test_error_bodies);
	tcase_add_test(tc, test_success_bodies);
	tcase_add_test(tc, test_success_bodies_match_jansson);
	tcase_add_test(tc, test_success_body_bytes);
	tcase_add_test(tc, test_success_body_utf8_edges);
	tcase_add_test(tc, test_models_bodies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(mockllm_suite());
}
