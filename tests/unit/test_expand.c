/* test_expand.c — unit tests for expansion into scenarios (src/domain/expand.c) and sampling (sampling.c). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "domain/definition.h"
#include "domain/expand.h"
#include "domain/sampling.h"
#include "lib/buf.h"
#include "lib/util.h"
#include "check_main.h"

/* Parse JSON written with ' for "; the test fails if it has errors. Caller frees with def_free(). */
static Definition *parse_ok(const char *zQuoted)
{
	char *z = xstrdup(zQuoted);
	char *p;
	Definition *d;
	for (p = z; *p; p++)
		if (*p == '\'')
			*p = '"';
	d = def_parse("test", z);
	free(z);
	ck_assert_msg(d->nError == 0, "definition has errors: %s", d->nProblem ? d->aProblem[0].zMessage : "");
	return d;
}

static const char *zDomainExample =
	"{'preamble': 'I want your moral judgment.',"
	" 'template': 'Our teenager has [Self_Direction].\\n\\nThe ceremony is [tradition] in our community.',"
	" 'dimensions': ["
	"  {'name': 'Self_Direction', 'levels': ["
	"    {'score': 1, 'label': 'no autonomy at stake', 'options': ['a preference that hardly matters to them']},"
	"    {'score': 3, 'label': 'a meaningful life choice'},"
	"    {'score': 5, 'label': 'core personal autonomy', 'options': ['a decision about who they are', 'a matter of conscience']}]},"
	"  {'name': 'Tradition', 'levels': ["
	"    {'score': 1, 'label': 'a recent custom'},"
	"    {'score': 5, 'label': 'a sacred rite'}]}]}";

/* Callback that appends "index|name|prompt|preamble|scores\n" to the Buf in pArg. */
static int collect_scenario(void *pArg, const Scenario *s)
{
	Buf *b = pArg;
	char *zScores = json_dumps(s->pScores, JSON_COMPACT);
	buf_printf(b, "%lld|%s|%s|%s|%s\n", (long long)s->index, s->zName, s->zPrompt, s->zPreamble ? s->zPreamble : "(none)",
	           zScores);
	free(zScores);
	return 0;
}

/* Expand d completely into one string (see collect_scenario). Caller frees. */
static char *expand_to_string(const Definition *d, int64_t definitionId)
{
	Buf b = BUF_INIT;
	ck_assert_int_eq(expand_each(d, definitionId, collect_scenario, &b), 0);
	return b.z ? buf_detach(&b) : xstrdup("");
}

START_TEST(test_expansion_order_names_prompts_scores)
{
	Definition *d = parse_ok(zDomainExample);
	char *z = expand_to_string(d, 1);
	ck_assert_str_eq(z,
	                 "0|Self_Direction_1 / Tradition_1|Our teenager has a preference that hardly matters to them.\n\n"
	                 "The ceremony is a recent custom in our community.|I want your moral judgment.|"
	                 "{\"Self_Direction\":1,\"Tradition\":1}\n"
	                 "1|Self_Direction_1 / Tradition_5|Our teenager has a preference that hardly matters to them.\n\n"
	                 "The ceremony is a sacred rite in our community.|I want your moral judgment.|"
	                 "{\"Self_Direction\":1,\"Tradition\":5}\n"
	                 "2|Self_Direction_3 / Tradition_1|Our teenager has a meaningful life choice.\n\n"
	                 "The ceremony is a recent custom in our community.|I want your moral judgment.|"
	                 "{\"Self_Direction\":3,\"Tradition\":1}\n"
	                 "3|Self_Direction_3 / Tradition_5|Our teenager has a meaningful life choice.\n\n"
	                 "The ceremony is a sacred rite in our community.|I want your moral judgment.|"
	                 "{\"Self_Direction\":3,\"Tradition\":5}\n"
	                 "4|Self_Direction_5 / Tradition_1|Our teenager has a matter of conscience.\n\n"
	                 "The ceremony is a recent custom in our community.|I want your moral judgment.|"
	                 "{\"Self_Direction\":5,\"Tradition\":1}\n"
	                 "5|Self_Direction_5 / Tradition_5|Our teenager has a decision about who they are.\n\n"
	                 "The ceremony is a sacred rite in our community.|I want your moral judgment.|"
	                 "{\"Self_Direction\":5,\"Tradition\":5}\n");
	free(z);
	def_free(d);
}
END_TEST

START_TEST(test_expansion_is_byte_identical)
{
	Definition *d = parse_ok(zDomainExample);
	Definition *d2 = parse_ok(zDomainExample);
	char *z1 = expand_to_string(d, 77);
	char *z2 = expand_to_string(d, 77);
	char *z3 = expand_to_string(d2, 77);
	Buf b = BUF_INIT;
	int64_t i;

	ck_assert_str_eq(z1, z2);
	ck_assert_str_eq(z1, z3);
	/* expand_one() gives exactly what expand_each() gives. */
	for (i = 0; i < def_scenario_count(d); i++) {
		Scenario *s = expand_one(d, 77, i);
		ck_assert_ptr_eq(s->zPreamble, d->zPreamble);
		collect_scenario(&b, s);
		scenario_free(s);
	}
	ck_assert_str_eq(buf_str(&b), z1);
	buf_free(&b);
	free(z1);
	free(z2);
	free(z3);
	def_free(d);
	def_free(d2);
}
END_TEST

static const char *zOptions =
	"{'template':'[Mood] and again [MOOD] then [Place]','dimensions':["
	"{'name':'Mood','levels':[{'score':1,'label':'calm','options':['o0','o1','o2','o3','o4']},{'score':2,'label':'tense'}]},"
	"{'name':'Place','levels':[{'score':1,'label':'home','options':['p0','p1','p2']},{'score':4,'label':'work'}]}]}";

START_TEST(test_option_choice_depends_on_definition_id)
{
	Definition *d = parse_ok(zOptions);
	int aSeen[5] = {0, 0, 0, 0, 0};
	int64_t id;
	int nDistinct = 0, k;
	Scenario *s;

	for (id = 1; id <= 50; id++) {
		char zMood[3];
		s = expand_one(d, id, 0);
		/* Every occurrence of one dimension's placeholder gets the same option. */
		ck_assert_int_eq(sscanf(s->zPrompt, "%2s and again", zMood), 1);
		ck_assert_int_eq(zMood[0], 'o');
		ck_assert_int_eq(s->zPrompt[13], zMood[0]);
		ck_assert_int_eq(s->zPrompt[14], zMood[1]);
		aSeen[zMood[1] - '0'] = 1;
		scenario_free(s);
	}
	for (k = 0; k < 5; k++)
		nDistinct += aSeen[k];
	ck_assert_int_ge(nDistinct, 2);

	/* Pinned values: a change here changes stored prompts and breaks reproducibility. */
	s = expand_one(d, 1, 0);
	ck_assert_str_eq(s->zName, "Mood_1 / Place_1");
	ck_assert_str_eq(s->zPrompt, "o3 and again o3 then p1");
	scenario_free(s);
	s = expand_one(d, 2, 0);
	ck_assert_str_eq(s->zPrompt, "o4 and again o4 then p0");
	scenario_free(s);
	s = expand_one(d, 1, 3);
	ck_assert_str_eq(s->zName, "Mood_2 / Place_4");
	ck_assert_str_eq(s->zPrompt, "tense and again tense then work");
	scenario_free(s);
	def_free(d);
}
END_TEST

/* The documented seed: splitmix64 over FNV-1a of (id, index, dimension) as 8-byte little-endian values. */
static int expected_option(int64_t id, int64_t index, int iDim, int nOption)
{
	unsigned char a[24];
	uint64_t aV[3], state;
	int i, k;
	aV[0] = (uint64_t)id;
	aV[1] = (uint64_t)index;
	aV[2] = (uint64_t)iDim;
	for (k = 0; k < 3; k++)
		for (i = 0; i < 8; i++)
			a[8 * k + i] = (unsigned char)(aV[k] >> (8 * i));
	state = hash_fnv1a(PRNG_FNV_OFFSET, a, sizeof a);
	return (int)(prng_splitmix64(&state) % (uint64_t)nOption);
}

START_TEST(test_option_choice_follows_documented_seed)
{
	Definition *d = parse_ok(zOptions);
	int64_t id;
	for (id = -3; id <= 40; id++) {
		Scenario *s = expand_one(d, id, 0);
		char zWant[64];
		snprintf(zWant, sizeof zWant, "o%d and again o%d then p%d", expected_option(id, 0, 0, 5),
		         expected_option(id, 0, 0, 5), expected_option(id, 0, 1, 3));
		ck_assert_str_eq(s->zPrompt, zWant);
		scenario_free(s);
		s = expand_one(d, id, 1);
		snprintf(zWant, sizeof zWant, "o%d and again o%d then work", expected_option(id, 1, 0, 5),
		         expected_option(id, 1, 0, 5));
		ck_assert_str_eq(s->zPrompt, zWant);
		scenario_free(s);
	}
	def_free(d);
}
END_TEST

START_TEST(test_unknown_placeholder_left_as_written)
{
	Definition *d = def_parse("x", "{\"template\":\"[A] meets [Unknown] at [a] [1-5]\",\"dimensions\":"
	                               "[{\"name\":\"A\",\"values\":[\"Ann\",\"Bob\"]}]}");
	Scenario *s = expand_one(d, 1, 1);
	ck_assert_int_eq(d->nWarning, 1);
	ck_assert_str_eq(s->zPrompt, "Bob meets [Unknown] at Bob [1-5]");
	ck_assert_str_eq(s->zName, "A_2");
	scenario_free(s);
	def_free(d);
}
END_TEST

START_TEST(test_default_scenario)
{
	Definition *d = parse_ok("{'template':'Should they [stay]?','preamble':'Be honest.'}");
	char *z = expand_to_string(d, 5);
	ck_assert_int_eq(def_scenario_count(d), 1);
	ck_assert_str_eq(z, "0|Default Scenario|Should they [stay]?|Be honest.|{}\n");
	free(z);
	ck_assert_ptr_null(expand_one(d, 5, 1));
	ck_assert_ptr_null(expand_one(d, 5, -1));
	def_free(d);
}
END_TEST

/* Counts scenarios and remembers the first and last names. */
typedef struct CountState {
	int64_t n;
	char zFirst[128];
	char zLast[128];
	int nStopAfter; /* 0: never stop */
} CountState;

static int count_scenario(void *pArg, const Scenario *s)
{
	CountState *c = pArg;
	ck_assert_int_eq(s->index, c->n);
	if (c->n == 0)
		str_copy(c->zFirst, sizeof c->zFirst, s->zName);
	str_copy(c->zLast, sizeof c->zLast, s->zName);
	c->n++;
	if (c->nStopAfter && c->n == c->nStopAfter)
		return 7;
	return 0;
}

START_TEST(test_thousand_scenarios)
{
	Definition *d = parse_ok("{'template':'[A][B][C][D][E][F]','dimensions':["
	                         "{'name':'A','values':['1','2','3','4','5']},"
	                         "{'name':'B','values':['1','2','3','4','5']},"
	                         "{'name':'C','values':['1','2','3','4','5']},"
	                         "{'name':'D','values':['1','2']},"
	                         "{'name':'E','values':['1','2']},"
	                         "{'name':'F','values':['1','2']}]}");
	CountState c;
	Scenario *s;

	memset(&c, 0, sizeof c);
	ck_assert_int_eq(d->nWarning, 0);
	ck_assert_int_eq(expand_each(d, 9, count_scenario, &c), 0);
	ck_assert_int_eq(c.n, 1000);
	ck_assert_str_eq(c.zFirst, "A_1 / B_1 / C_1 / D_1 / E_1 / F_1");
	ck_assert_str_eq(c.zLast, "A_5 / B_5 / C_5 / D_2 / E_2 / F_2");
	/* Mixed radix, first dimension slowest: 1 + 2*2*2*5*5... index 1 flips the last dimension. */
	s = expand_one(d, 9, 1);
	ck_assert_str_eq(s->zName, "A_1 / B_1 / C_1 / D_1 / E_1 / F_2");
	ck_assert_str_eq(s->zPrompt, "111112");
	scenario_free(s);
	s = expand_one(d, 9, 200);
	ck_assert_str_eq(s->zName, "A_2 / B_1 / C_1 / D_1 / E_1 / F_1");
	scenario_free(s);
	def_free(d);
}
END_TEST

START_TEST(test_callback_stops_expansion)
{
	Definition *d = parse_ok(zDomainExample);
	CountState c;
	memset(&c, 0, sizeof c);
	c.nStopAfter = 3;
	ck_assert_int_eq(expand_each(d, 1, count_scenario, &c), 7);
	ck_assert_int_eq(c.n, 3);
	ck_assert_str_eq(c.zLast, "Self_Direction_3 / Tradition_1");
	def_free(d);
}
END_TEST

START_TEST(test_dimension_without_levels_gives_no_scenarios)
{
	Definition *d = def_parse("x", "{\"template\":\"[A]\",\"dimensions\":[{\"name\":\"A\",\"levels\":[]}]}");
	CountState c;
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(d->nError, 1);
	ck_assert_int_eq(def_scenario_count(d), 0);
	ck_assert_int_eq(expand_each(d, 1, count_scenario, &c), 0);
	ck_assert_int_eq(c.n, 0);
	ck_assert_ptr_null(expand_one(d, 1, 0));
	def_free(d);
}
END_TEST

START_TEST(test_full_prompt)
{
	char *z = scenario_full_prompt("Preamble.", "Prompt?");
	ck_assert_str_eq(z, "Preamble.\n\nPrompt?");
	free(z);
	z = scenario_full_prompt(NULL, "Prompt?");
	ck_assert_str_eq(z, "Prompt?");
	free(z);
	z = scenario_full_prompt("", "Prompt?");
	ck_assert_str_eq(z, "Prompt?");
	free(z);
	z = scenario_full_prompt(NULL, "");
	ck_assert_str_eq(z, "");
	free(z);
}
END_TEST

START_TEST(test_sample_size)
{
	ck_assert_int_eq(sample_size(10, 10), 1);
	ck_assert_int_eq(sample_size(10, 5), 1);
	ck_assert_int_eq(sample_size(1, 1), 1);
	ck_assert_int_eq(sample_size(7, 50), 3);
	ck_assert_int_eq(sample_size(1000, 15), 150);
	ck_assert_int_eq(sample_size(1296, 33), 427);
	ck_assert_int_eq(sample_size(1296, 100), 1296);
	ck_assert_int_eq(sample_size(0, 50), 0);
	ck_assert(sample_size(INT64_MAX, 100) == INT64_MAX);
	ck_assert(sample_size(INT64_MAX, 50) == INT64_MAX / 2);
}
END_TEST

START_TEST(test_sample_pick_deterministic)
{
	int64_t n1, n2, n3, i;
	int64_t *a1 = sample_pick(1000, 10, 42, &n1);
	int64_t *a2 = sample_pick(1000, 10, 42, &n2);
	int64_t *a3 = sample_pick(1000, 10, 43, &n3);

	ck_assert_int_eq(n1, 100);
	ck_assert_int_eq(n2, 100);
	ck_assert_int_eq(n3, 100);
	ck_assert_int_eq(memcmp(a1, a2, 100 * sizeof(int64_t)), 0);
	ck_assert_int_ne(memcmp(a1, a3, 100 * sizeof(int64_t)), 0);
	for (i = 0; i < n1; i++) {
		ck_assert_int_ge(a1[i], 0);
		ck_assert_int_lt(a1[i], 1000);
		if (i > 0)
			ck_assert_int_lt(a1[i - 1], a1[i]); /* sorted and distinct */
	}
	free(a1);
	free(a2);
	free(a3);

	/* Pinned: the subset for a seed must never change between versions. */
	a1 = sample_pick(10, 30, 42, &n1);
	ck_assert_int_eq(n1, 3);
	ck_assert_int_eq(a1[0], 2);
	ck_assert_int_eq(a1[1], 3);
	ck_assert_int_eq(a1[2], 4);
	free(a1);
}
END_TEST

START_TEST(test_sample_pick_sizes)
{
	int64_t n, i;
	int64_t *a = sample_pick(5, 100, 1, &n);
	ck_assert_int_eq(n, 5);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(a[i], i);
	free(a);

	a = sample_pick(3, 1, 99, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_int_ge(a[0], 0);
	ck_assert_int_lt(a[0], 3);
	free(a);

	a = sample_pick(1, 50, 7, &n);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(a[0], 0);
	free(a);

	ck_assert_ptr_null(sample_pick(0, 50, 1, &n));
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_null(sample_pick(10, 0, 1, &n));
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_null(sample_pick(10, 101, 1, &n));
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_null(sample_pick(-5, 50, 1, &n));
}
END_TEST

START_TEST(test_sample_pick_is_roughly_uniform)
{
	/* Over many seeds each of 10 indexes is picked about 30% of the time. */
	int aCount[10] = {0};
	uint64_t seed;
	int64_t n, i;
	for (seed = 0; seed < 2000; seed++) {
		int64_t *a = sample_pick(10, 30, seed, &n);
		for (i = 0; i < n; i++)
			aCount[a[i]]++;
		free(a);
	}
	for (i = 0; i < 10; i++) {
		ck_assert_int_gt(aCount[i], 500);
		ck_assert_int_lt(aCount[i], 700);
	}
}
END_TEST

static Suite *expand_suite(void)
{
	Suite *s = suite_create("expand");
	TCase *tc = tcase_create("expand");
	TCase *tcSample = tcase_create("sampling");
	tcase_add_test(tc, test_expansion_order_names_prompts_scores);
	tcase_add_test(tc, test_expansion_is_byte_identical);
	tcase_add_test(tc, test_option_choice_depends_on_definition_id);
	tcase_add_test(tc, test_option_choice_follows_documented_seed);
	tcase_add_test(tc, test_unknown_placeholder_left_as_written);
	tcase_add_test(tc, test_default_scenario);
	tcase_add_test(tc, test_thousand_scenarios);
	tcase_add_test(tc, test_callback_stops_expansion);
	tcase_add_test(tc, test_dimension_without_levels_gives_no_scenarios);
	tcase_add_test(tc, test_full_prompt);
	tcase_add_test(tcSample, test_sample_size);
	tcase_add_test(tcSample, test_sample_pick_deterministic);
	tcase_add_test(tcSample, test_sample_pick_sizes);
	tcase_add_test(tcSample, test_sample_pick_is_roughly_uniform);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tcSample);
	return s;
}

int main(void)
{
	return check_run(expand_suite());
}
