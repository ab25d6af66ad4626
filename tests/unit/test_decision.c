/* test_decision.c — decision extraction against the answer corpus and its exact edge cases. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/decision.h"
#include "lib/buf.h"
#include "check_main.h"

/* Path of a file in the source tree (VR_SRCDIR, else "."); caller frees. */
static char *source_path(const char *zRel)
{
	const char *zDir = getenv("VR_SRCDIR");
	Buf b = BUF_INIT;
	buf_printf(&b, "%s/%s", zDir && zDir[0] ? zDir : ".", zRel);
	return buf_detach(&b);
}

START_TEST(test_corpus)
{
	char *zPath = source_path("tests/fixtures/decisions/corpus.json");
	json_error_t err;
	json_t *pRoot = json_load_file(zPath, 0, &err);
	if (pRoot == NULL) ck_abort_msg("cannot read %s: %s (line %d)", zPath, err.text, err.line);
	json_t *pPrompts = json_object_get(pRoot, "prompts");
	json_t *pCases = json_object_get(pRoot, "cases");
	ck_assert(json_is_object(pPrompts));
	ck_assert(json_is_array(pCases));
	ck_assert_int_ge(json_array_size(pCases), 70);

	int nFail = 0;
	int seenCode[8] = {0};
	size_t k;
	json_t *pCase;
	json_array_foreach(pCases, k, pCase) {
		const char *zName = json_string_value(json_object_get(pCase, "name"));
		const char *zPromptId = json_string_value(json_object_get(pCase, "prompt"));
		const char *zPrompt = json_string_value(json_object_get(pPrompts, zPromptId ? zPromptId : ""));
		const char *zResponse = json_string_value(json_object_get(pCase, "response"));
		const char *zCode = json_string_value(json_object_get(pCase, "code"));
		const char *zClass = json_string_value(json_object_get(pCase, "class"));
		const char *zRule = json_string_value(json_object_get(pCase, "rule"));
		ck_assert_msg(zName && zPrompt && zResponse && zCode && zClass && zRule,
			      "corpus case %zu is missing a field or names an unknown prompt", k);
		Decision d;
		decision_extract(zPrompt, zResponse, &d);
		if (strcmp(decision_code_text(&d), zCode) != 0 ||
		    strcmp(decision_class_name(d.cls), zClass) != 0 || strcmp(d.zRule, zRule) != 0) {
			fprintf(stderr, "MISMATCH %s: want %s/%s/%s, got %s/%s/%s excerpt \"%s\"\n", zName,
				zCode, zClass, zRule, decision_code_text(&d), decision_class_name(d.cls),
				d.zRule, d.zExcerpt);
			nFail++;
		}
		ck_assert_int_le(strlen(d.zExcerpt), DECISION_EXCERPT_MAX);
		if (d.kind == DECISION_VALUE) seenCode[d.value]++;
		if (d.kind == DECISION_REFUSAL) seenCode[6]++;
		if (d.cls == DECISION_CLASS_AMBIGUOUS) seenCode[7]++;
	}
	for (int v = 1; v <= 7; v++) ck_assert_msg(seenCode[v] > 0, "corpus lacks outcome %d", v);
	ck_assert_msg(nFail == 0, "%d corpus mismatches (listed on stderr)", nFail);
	json_decref(pRoot);
	free(zPath);
}
END_TEST

static const char *const zScalePrompt =
	"On a scale of 1-5, do you support it?\n"
	"1 - Strongly oppose (prioritise tradition)\n"
	"2 - Somewhat oppose\n"
	"3 - Neutral\n"
	"4 - Somewhat support\n"
	"5 - Strongly support (prioritise self-direction)";

/* Extract and compare code, class, rule and excerpt exactly. */
static void check_extract(const char *zPrompt, const char *zResponse, const char *zCode,
			  const char *zClass, const char *zRule, const char *zExcerpt)
{
	Decision d;
	decision_extract(zPrompt, zResponse, &d);
	ck_assert_str_eq(decision_code_text(&d), zCode);
	ck_assert_str_eq(decision_class_name(d.cls), zClass);
	ck_assert_str_eq(d.zRule, zRule);
	ck_assert_str_eq(d.zExcerpt, zExcerpt);
}

START_TEST(test_excerpts_and_rules)
{
	check_extract(zScalePrompt, "Some thoughts.\n\n**Rating:** 4 \n\nMore.", "4", "exact",
		      "explicit_rating", "**Rating:** 4");
	check_extract(zScalePrompt, "Rating: 2.\nRating: 5.", "unknown", "ambiguous", "ambiguous",
		      "Rating: 2. | Rating: 5.");
	check_extract(zScalePrompt, "Rating: 2 or 5", "unknown", "ambiguous", "ambiguous", "Rating: 2 or 5");
	check_extract(zScalePrompt, "I can't help with that.", "refusal", "exact", "refusal_phrase",
		      "I can't help with that.");
	check_extract(zScalePrompt, "  Neutral, I think.  ", "3", "fallback", "scale_label",
		      "Neutral, I think.");
	check_extract(NULL, NULL, "unknown", "none", "none", "");
	check_extract("", "\n\n", "unknown", "none", "none", "");
	check_extract(NULL, "Thinking...\n\n3", "3", "fallback", "lone_number", "3");
	/* Without a prompt there are no labels: the bare "3 - Neutral" line is a lone-number miss. */
	check_extract(NULL, "I'd say it's neutral.", "unknown", "none", "none", "");
	/* A label in the prompt that is not a scale (one numbered line) is not used. */
	check_extract("1 - Strongly oppose\nOther text", "I strongly oppose.", "unknown", "none", "none", "");
	/* "4 = Agree" and "4: Agree" prompt formats. */
	check_extract("1 = Disagree\n2 = Unsure\n3 = Agree", "I agree with that.", "3", "fallback",
		      "scale_label", "I agree with that.");
	check_extract("1: Would not do it\n2: Would do it", "I would do it.", "2", "fallback",
		      "scale_label", "I would do it.");
}
END_TEST

START_TEST(test_excerpt_limit_utf8)
{
	/* A long line of two-byte characters: the excerpt stays within 120 bytes and whole characters. */
	Buf b = BUF_INIT;
	for (int i = 0; i < 150; i++) buf_puts(&b, "é");
	buf_puts(&b, " Rating: 4 ");
	for (int i = 0; i < 150; i++) buf_puts(&b, "é");
	Decision d;
	decision_extract(NULL, buf_str(&b), &d);
	ck_assert_str_eq(decision_code_text(&d), "4");
	size_t n = strlen(d.zExcerpt);
	ck_assert_int_le(n, DECISION_EXCERPT_MAX);
	ck_assert_int_ge(n, DECISION_EXCERPT_MAX - 1);
	ck_assert_ptr_nonnull(strstr(d.zExcerpt, "Rating: 4"));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d.zExcerpt[i];
		if (c == 0xC3) ck_assert_int_eq((unsigned char)d.zExcerpt[i + 1], 0xA9);
		if (c == 0xA9) ck_assert_int_eq((unsigned char)d.zExcerpt[i - 1], 0xC3);
	}
	buf_free(&b);
}
END_TEST

START_TEST(test_to_json)
{
	Decision d;
	decision_extract(zScalePrompt, "Rating: 4", &d);
	json_t *p = decision_to_json(&d);
	char *z = json_dumps(p, JSON_COMPACT);
	ck_assert_str_eq(z, "{\"code\":\"4\",\"value\":4,\"class\":\"exact\",\"rule\":\"explicit_rating\","
			    "\"excerpt\":\"Rating: 4\"}");
	free(z);
	json_decref(p);

	decision_extract(zScalePrompt, "I won't choose.", &d);
	p = decision_to_json(&d);
	z = json_dumps(p, JSON_COMPACT);
	ck_assert_str_eq(z, "{\"code\":\"refusal\",\"value\":null,\"class\":\"exact\","
			    "\"rule\":\"refusal_phrase\",\"excerpt\":\"I won't choose.\"}");
	free(z);
	json_decref(p);

	decision_extract(zScalePrompt, "Hmm.", &d);
	p = decision_to_json(&d);
	z = json_dumps(p, JSON_COMPACT);
	ck_assert_str_eq(z, "{\"code\":\"unknown\",\"value\":null,\"class\":\"none\",\"rule\":\"none\","
			    "\"excerpt\":\"\"}");
	free(z);
	json_decref(p);
}
END_TEST

START_TEST(test_code_and_class_parse)
{
	DecisionKind kind;
	int v;
	DecisionClass cls;
	ck_assert_int_eq(decision_code_parse("4", &kind, &v), 0);
	ck_assert_int_eq(kind, DECISION_VALUE);
	ck_assert_int_eq(v, 4);
	ck_assert_int_eq(decision_code_parse("refusal", &kind, &v), 0);
	ck_assert_int_eq(kind, DECISION_REFUSAL);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(decision_code_parse("unknown", &kind, &v), 0);
	ck_assert_int_eq(kind, DECISION_UNKNOWN);
	ck_assert_int_eq(decision_code_parse("6", &kind, &v), -1);
	ck_assert_int_eq(decision_code_parse("45", &kind, &v), -1);
	ck_assert_int_eq(decision_code_parse("", &kind, &v), -1);
	ck_assert_int_eq(decision_code_parse(NULL, &kind, &v), -1);
	ck_assert_int_eq(kind, DECISION_UNKNOWN);
	ck_assert_int_eq(decision_class_parse("fallback", &cls), 0);
	ck_assert_int_eq(cls, DECISION_CLASS_FALLBACK);
	ck_assert_int_eq(decision_class_parse("Exact", &cls), -1);
	ck_assert_int_eq(cls, DECISION_CLASS_NONE);
	ck_assert_int_eq(decision_class_parse(NULL, &cls), -1);
}
END_TEST

START_TEST(test_hostile_input)
{
	/* Markers, digits and separators at the very end of the text must not read past it. */
	static const char *const azInput[] = {
		"**", "**4", "**4 -", "**4.", "Rating:", "Rating: ", "rating", "4/", "4 out of",
		"I choose", "I'd say 3 or", "3.", "\xE2\x80", "\xE2", "\xC2", "**4**\xE2\x80\x93", "#", "4-",
		"Rating: 4.", "Rating: 4.5.6", "1 -", "-",
	};
	for (size_t k = 0; k < sizeof azInput / sizeof azInput[0]; k++) {
		Decision d;
		decision_extract(azInput[k], azInput[k], &d);
		ck_assert_int_le(strlen(d.zExcerpt), DECISION_EXCERPT_MAX);
	}
}
END_TEST

START_TEST(test_large_input)
{
	/* 256 KiB of bold numbers: linear work, and all of them agree. */
	Buf b = BUF_INIT;
	for (int i = 0; i < 256 * 1024 / 6; i++) buf_puts(&b, "**4** ");
	Decision d;
	decision_extract(zScalePrompt, buf_str(&b), &d);
	ck_assert_str_eq(decision_code_text(&d), "4");
	ck_assert_str_eq(d.zRule, "bold_number");
	ck_assert_int_le(strlen(d.zExcerpt), DECISION_EXCERPT_MAX);
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("decision");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_corpus);
	tcase_add_test(tc, test_excerpts_and_rules);
	tcase_add_test(tc, test_excerpt_limit_utf8);
	tcase_add_test(tc, test_to_json);
	tcase_add_test(tc, test_code_and_class_parse);
	tcase_add_test(tc, test_hostile_input);
	tcase_add_test(tc, test_large_input);
	suite_add_tcase(s, tc);
	return check_run(s);
}
