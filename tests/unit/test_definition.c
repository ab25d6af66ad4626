/* test_definition.c — unit tests for definition parsing and validation (src/domain/definition.c). */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "domain/definition.h"
#include "lib/buf.h"
#include "lib/util.h"
#include "check_main.h"

/* Parse JSON written with ' for " (easier to read in C); caller frees with def_free(). */
static Definition *parse_q(const char *zName, const char *zQuoted)
{
	char *z = xstrdup(zQuoted);
	char *p;
	Definition *d;
	for (p = z; *p; p++)
		if (*p == '\'')
			*p = '"';
	d = def_parse(zName, z);
	free(z);
	return d;
}

/* All problems as "error|path|message\n" lines. Caller frees. */
static char *dump_problems(const Definition *d)
{
	Buf b = BUF_INIT;
	int i;
	for (i = 0; i < d->nProblem; i++)
		buf_printf(&b, "%s|%s|%s\n", d->aProblem[i].severity == DEF_ERROR ? "error" : "warning",
		           d->aProblem[i].zPath, d->aProblem[i].zMessage);
	return b.z ? buf_detach(&b) : xstrdup("");
}

/* Assert that parsing (zName, zQuoted) gives exactly the problem lines zExpected. */
#define ck_assert_problems(zName, zQuoted, zExpected)                                                               \
	do {                                                                                                            \
		Definition *d_ = parse_q(zName, zQuoted);                                                                   \
		char *z_ = dump_problems(d_);                                                                               \
		ck_assert_str_eq(z_, zExpected);                                                                            \
		free(z_);                                                                                                   \
		def_free(d_);                                                                                               \
	} while (0)

/* A dimension object {'name': zName, 'levels': [scores 1..nLevel]} appended to b as quoted JSON. */
static void put_dimension(Buf *b, const char *zName, int nLevel)
{
	int j;
	buf_printf(b, "{'name':'%s','levels':[", zName);
	for (j = 0; j < nLevel; j++)
		buf_printf(b, "%s{'score':%d,'label':'%s level %d'}", j ? "," : "", j % 5 + 1, zName, j + 1);
	buf_puts(b, "]}");
}

/* A quoted definition with one dimension per entry of aLevels, each used in the template. Caller frees. */
static char *make_definition(const int *aLevels, int nDim)
{
	Buf b = BUF_INIT;
	int i;
	buf_puts(&b, "{'template':'");
	for (i = 0; i < nDim; i++)
		buf_printf(&b, "[D%d] ", i);
	buf_puts(&b, "?','dimensions':[");
	for (i = 0; i < nDim; i++) {
		char zName[16];
		snprintf(zName, sizeof zName, "D%d", i);
		if (i)
			buf_putc(&b, ',');
		put_dimension(&b, zName, aLevels[i]);
	}
	buf_puts(&b, "]}");
	return buf_detach(&b);
}

static const char *zDomainExample =
	"{'schema_version': 1,"
	" 'preamble': 'I want your moral judgment.',"
	" 'template': 'Our teenager has [Self_Direction].\\n\\nThe ceremony is [Tradition] in our community.',"
	" 'dimensions': ["
	"  {'name': 'Self_Direction', 'levels': ["
	"    {'score': 1, 'label': 'no autonomy at stake', 'options': ['a preference that hardly matters to them']},"
	"    {'score': 3, 'label': 'a meaningful life choice'},"
	"    {'score': 5, 'label': 'core personal autonomy', 'options': ['a decision about who they are', 'a matter of conscience']}]},"
	"  {'name': 'Tradition', 'levels': ["
	"    {'score': 1, 'label': 'a recent custom'},"
	"    {'score': 5, 'label': 'a sacred rite'}]}],"
	" 'followups': [{'label': 'justify', 'prompt': 'In one sentence, which value decided it for you?'}],"
	" 'matching_rules': 'free text notes'}";

START_TEST(test_valid_definition_fields)
{
	Definition *d = parse_q("Ceremony", zDomainExample);
	ck_assert_int_eq(d->nProblem, 0);
	ck_assert_int_eq(d->nError, 0);
	ck_assert_int_eq(d->nWarning, 0);
	ck_assert_str_eq(d->zName, "Ceremony");
	ck_assert_str_eq(d->zPreamble, "I want your moral judgment.");
	ck_assert_str_eq(d->zTemplate, "Our teenager has [Self_Direction].\n\nThe ceremony is [Tradition] in our community.");
	ck_assert_int_eq(d->nDim, 2);
	ck_assert_str_eq(d->aDim[0].zName, "Self_Direction");
	ck_assert_int_eq(d->aDim[0].nLevel, 3);
	ck_assert_int_eq(d->aDim[0].aLevel[1].score, 3);
	ck_assert_str_eq(d->aDim[0].aLevel[1].zLabel, "a meaningful life choice");
	ck_assert_int_eq(d->aDim[0].aLevel[1].nOption, 0);
	ck_assert_int_eq(d->aDim[0].aLevel[2].nOption, 2);
	ck_assert_str_eq(d->aDim[0].aLevel[2].azOption[1], "a matter of conscience");
	ck_assert_int_eq(d->aDim[1].nLevel, 2);
	ck_assert_int_eq(d->aDim[1].aLevel[1].score, 5);
	ck_assert_int_eq(d->nFollowup, 1);
	ck_assert_str_eq(d->aFollowup[0].zLabel, "justify");
	ck_assert_str_eq(d->aFollowup[0].zPrompt, "In one sentence, which value decided it for you?");
	ck_assert_str_eq(d->zMatchingRules, "free text notes");
	ck_assert_int_eq(def_scenario_count(d), 6);
	def_free(d);
}
END_TEST

START_TEST(test_minimal_definition)
{
	Definition *d = parse_q("x", "{'template':'Just a question.'}");
	ck_assert_int_eq(d->nProblem, 0);
	ck_assert_ptr_null(d->zPreamble);
	ck_assert_ptr_null(d->zMatchingRules);
	ck_assert_int_eq(d->nDim, 0);
	ck_assert_int_eq(d->nFollowup, 0);
	ck_assert_int_eq(def_scenario_count(d), 1);
	def_free(d);
	/* null optional fields and an empty preamble are the same as absent. */
	d = parse_q("x", "{'template':'Q','preamble':'','dimensions':null,'followups':null,'matching_rules':null}");
	ck_assert_int_eq(d->nProblem, 0);
	ck_assert_ptr_null(d->zPreamble);
	def_free(d);
}
END_TEST

START_TEST(test_schema_version)
{
	ck_assert_problems("x", "{'schema_version':1,'template':'Q'}", "");
	ck_assert_problems("x", "{'schema_version':2,'template':'Q'}",
	                   "error|schema_version|This version of ValueRank reads only schema_version 1, not 2; write "
	                   "\"schema_version\": 1 or leave it out.\n");
	ck_assert_problems("x", "{'schema_version':'1','template':'Q'}",
	                   "error|schema_version|The schema_version must be the number 1, not text; write "
	                   "\"schema_version\": 1 or leave it out.\n");
}
END_TEST

START_TEST(test_name_limits)
{
	char zName[2 * 201 + 1];
	Definition *d;
	int i;

	ck_assert_problems(NULL, "{'template':'Q'}",
	                   "error|name|The definition needs a name; give it a short title of 1 to 200 characters.\n");
	ck_assert_problems("", "{'template':'Q'}",
	                   "error|name|The definition needs a name; give it a short title of 1 to 200 characters.\n");
	ck_assert_problems("  \t", "{'template':'Q'}",
	                   "error|name|The definition needs a name; give it a short title of 1 to 200 characters.\n");
	ck_assert_problems("a", "{'template':'Q'}", "");
	memset(zName, 'n', 200);
	zName[200] = 0;
	ck_assert_problems(zName, "{'template':'Q'}", "");
	zName[200] = 'n';
	zName[201] = 0;
	ck_assert_problems(zName, "{'template':'Q'}",
	                   "error|name|The name is 201 characters long; shorten it to at most 200.\n");
	/* Characters, not bytes: 200 two-byte characters are within the limit. */
	for (i = 0; i < 200; i++)
		memcpy(zName + 2 * i, "\xc3\xa9", 2);
	zName[400] = 0;
	d = parse_q(zName, "{'template':'Q'}");
	ck_assert_int_eq(d->nProblem, 0);
	ck_assert_str_eq(d->zName, zName);
	def_free(d);
	memcpy(zName + 400, "\xc3\xa9", 2);
	zName[402] = 0;
	ck_assert_problems(zName, "{'template':'Q'}",
	                   "error|name|The name is 201 characters long; shorten it to at most 200.\n");
	ck_assert_problems("bad \xff name", "{'template':'Q'}", "error|name|The name is not valid UTF-8 text; retype it.\n");
}
END_TEST

START_TEST(test_template_limits)
{
	Buf b = BUF_INIT;
	Definition *d;
	int i;

	ck_assert_problems("x", "{}",
	                   "error|template|The template is missing; add \"template\" with the dilemma text, using [Name] "
	                   "placeholders for the dimensions.\n");
	ck_assert_problems("x", "{'template':42}", "error|template|The template must be text in quotes, not a whole number.\n");
	ck_assert_problems("x", "{'template':''}",
	                   "error|template|The template is empty; write the dilemma text, using [Name] placeholders for "
	                   "the dimensions.\n");
	ck_assert_problems("x", "{'template':' \\n '}",
	                   "error|template|The template is empty; write the dilemma text, using [Name] placeholders for "
	                   "the dimensions.\n");
	ck_assert_problems("x", "{'template':'Q'}", "");

	buf_puts(&b, "{\"template\":\"");
	for (i = 0; i < 20000; i++)
		buf_putc(&b, 'q');
	buf_puts(&b, "\"}");
	d = def_parse("x", buf_str(&b));
	ck_assert_int_eq(d->nProblem, 0);
	ck_assert_int_eq((int)strlen(d->zTemplate), 20000);
	def_free(d);

	buf_reset(&b);
	buf_puts(&b, "{\"template\":\"");
	for (i = 0; i < 20001; i++)
		buf_putc(&b, 'q');
	buf_puts(&b, "\"}");
	d = def_parse("x", buf_str(&b));
	ck_assert_int_eq(d->nProblem, 1);
	ck_assert_str_eq(d->aProblem[0].zPath, "template");
	ck_assert_str_eq(d->aProblem[0].zMessage, "The template is 20,001 characters long; shorten it to at most 20,000.");
	def_free(d);

	/* 20,000 three-byte characters (60,000 bytes) are within the limit. */
	buf_reset(&b);
	buf_puts(&b, "{\"template\":\"");
	for (i = 0; i < 20000; i++)
		buf_puts(&b, "\xe2\x82\xac");
	buf_puts(&b, "\"}");
	d = def_parse("x", buf_str(&b));
	ck_assert_int_eq(d->nProblem, 0);
	def_free(d);
	buf_free(&b);
}
END_TEST

START_TEST(test_preamble_and_matching_rules_types)
{
	ck_assert_problems("x", "{'template':'Q','preamble':['a']}",
	                   "error|preamble|The preamble must be text in quotes, not a list.\n");
	ck_assert_problems("x", "{'template':'Q','matching_rules':{}}",
	                   "error|matching_rules|The matching_rules must be text in quotes, not an object.\n");
}
END_TEST

START_TEST(test_dimension_count_limits)
{
	int aLevels[11] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
	char *z;
	Definition *d;

	z = make_definition(aLevels, 10);
	d = parse_q("x", z);
	ck_assert_int_eq(d->nError, 0);
	ck_assert_int_eq(d->nDim, 10);
	ck_assert_int_eq(def_scenario_count(d), 1024);
	def_free(d);
	free(z);

	z = make_definition(aLevels, 11);
	d = parse_q("x", z);
	ck_assert_int_eq(d->nError, 1);
	ck_assert_str_eq(d->aProblem[0].zPath, "dimensions");
	ck_assert_str_eq(d->aProblem[0].zMessage,
	                 "A definition can have at most 10 dimensions, but this one has 11; remove or merge some.");
	def_free(d);
	free(z);

	ck_assert_problems("x", "{'template':'Q','dimensions':{}}",
	                   "error|dimensions|The dimensions must be a list of dimension objects, not an object.\n");
	ck_assert_problems("x", "{'template':'Q','dimensions':[]}", "");
	ck_assert_problems("x", "{'template':'Q','dimensions':['Tradition']}",
	                   "error|dimensions[0]|Each dimension must be an object with a \"name\" and \"levels\", not text.\n");
}
END_TEST

START_TEST(test_dimension_names)
{
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'levels':[{'score':1,'label':'a'},{'score':2,'label':'b'}]}]}",
	                   "error|dimensions[0].name|The dimension name is missing; add \"name\" with a name such as "
	                   "Tradition, written in the template as [Tradition].\n"
	                   "warning|template|The placeholder [A] does not match any dimension and will be left as "
	                   "written; add a dimension named A or correct the spelling.\n");
	ck_assert_problems("x", "{'template':'Q','dimensions':[{'name':'','levels':[{'score':1,'label':'a'},{'score':2,'label':'b'}]}]}",
	                   "error|dimensions[0].name|The dimension name is empty; write a name such as Tradition, "
	                   "written in the template as [Tradition].\n");
	ck_assert_problems("x", "{'template':'Q','dimensions':[{'name':7,'levels':[{'score':1,'label':'a'},{'score':2,'label':'b'}]}]}",
	                   "error|dimensions[0].name|The dimension name must be text in quotes, not a whole number.\n");
	ck_assert_problems("x", "{'template':'[Self Direction]','dimensions':[{'name':'Self Direction','levels':[{'score':1,'label':'a'},{'score':2,'label':'b'}]}]}",
	                   "error|dimensions[0].name|The dimension name \"Self Direction\" may contain only letters, "
	                   "digits and underscores (for example Self_Direction), because it is written as a [Name] "
	                   "placeholder.\n");
	ck_assert_problems("x", "{'template':'[Self_Direction2]','dimensions':[{'name':'Self_Direction2','levels':[{'score':1,'label':'a'},{'score':2,'label':'b'}]}]}",
	                   "");
	ck_assert_problems("x",
	                   "{'template':'[Tradition]','dimensions':["
	                   "{'name':'Tradition','levels':[{'score':1,'label':'a'},{'score':2,'label':'b'}]},"
	                   "{'name':'TRADITION','levels':[{'score':1,'label':'a'},{'score':2,'label':'b'}]}]}",
	                   "error|dimensions[1].name|The dimension name \"TRADITION\" is already used by dimensions[0] "
	                   "(names are compared ignoring case); give each dimension a different name.\n");
}
END_TEST

START_TEST(test_level_count_limits)
{
	Buf b = BUF_INIT;
	Definition *d;
	int j;

	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':[{'score':1,'label':'a'}]}]}",
	                   "error|dimensions[0].levels|The dimension A has 1 level; give it between 2 and 10 levels.\n");
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':[]}]}",
	                   "error|dimensions[0].levels|The dimension A has 0 levels; give it between 2 and 10 levels.\n");
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':[{'score':1,'label':'a'},{'score':2,'label':'b'}]}]}",
	                   "");
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A'}]}",
	                   "error|dimensions[0].levels|This dimension has no levels; add \"levels\" with 2 to 10 levels, "
	                   "each with a score and a label.\n");
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':'low, high'}]}",
	                   "error|dimensions[0].levels|The levels must be a list of levels like {\"score\": 1, \"label\": "
	                   "\"...\"}, not text.\n");

	/* 10 levels are within the level-count limit; the repeated scores are only warnings. */
	buf_puts(&b, "{'template':'[A]','dimensions':[");
	put_dimension(&b, "A", 10);
	buf_puts(&b, "]}");
	d = parse_q("x", buf_str(&b));
	ck_assert_int_eq(d->nError, 0);
	ck_assert_int_eq(d->nWarning, 5);
	for (j = 0; j < d->nProblem; j++)
		ck_assert_ptr_null(strstr(d->aProblem[j].zMessage, "between 2 and 10"));
	ck_assert_str_eq(d->aProblem[0].zPath, "dimensions[0].levels[5].score");
	ck_assert_int_eq(d->aDim[0].nLevel, 10);
	def_free(d);

	buf_reset(&b);
	buf_puts(&b, "{'template':'[A]','dimensions':[");
	put_dimension(&b, "A", 11);
	buf_puts(&b, "]}");
	d = parse_q("x", buf_str(&b));
	ck_assert_str_eq(d->aProblem[0].zPath, "dimensions[0].levels");
	ck_assert_str_eq(d->aProblem[0].zMessage, "The dimension A has 11 levels; give it between 2 and 10 levels.");
	def_free(d);
	buf_free(&b);
}
END_TEST

START_TEST(test_scores)
{
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':[{'score':1,'label':'a'},{'score':5,'label':'b'}]}]}", "");
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':[{'score':0,'label':'a'},{'score':6,'label':'b'}]}]}",
	                   "error|dimensions[0].levels[0].score|The score 0 is out of range; use a whole number from 1 to 5.\n"
	                   "error|dimensions[0].levels[1].score|The score 6 is out of range; use a whole number from 1 to 5.\n");
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':[{'score':'1','label':'a'},{'score':2.5,'label':'b'}]}]}",
	                   "error|dimensions[0].levels[0].score|The score must be a whole number from 1 to 5, not text.\n"
	                   "error|dimensions[0].levels[1].score|The score must be a whole number from 1 to 5, not a decimal number.\n");
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':[{'label':'a'},{'score':2,'label':'b'}]}]}",
	                   "error|dimensions[0].levels[0].score|This level has no score; add \"score\" with a whole number from 1 to 5.\n");
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':[{'score':3,'label':'a'},{'score':1,'label':'b'},{'score':3,'label':'c'}]}]}",
	                   "warning|dimensions[0].levels[2].score|The score 3 is also used by levels[0] of this dimension, "
	                   "so the two levels count as the same intensity in the per-level scores; give them different "
	                   "scores from 1 to 5 if they should differ.\n");
	/* The same score in two different dimensions is fine. */
	ck_assert_problems("x", "{'template':'[A][B]','dimensions':["
	                   "{'name':'A','levels':[{'score':1,'label':'a'},{'score':2,'label':'b'}]},"
	                   "{'name':'B','levels':[{'score':1,'label':'a'},{'score':2,'label':'b'}]}]}", "");
}
END_TEST

START_TEST(test_labels_and_options)
{
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':[{'score':1},{'score':2,'label':''},{'score':3,'label':false}]}]}",
	                   "error|dimensions[0].levels[0].label|The label is missing; add \"label\" with a short "
	                   "description of this level (it fills the placeholder when the level has no options).\n"
	                   "error|dimensions[0].levels[1].label|The label is empty; write a short description of this "
	                   "level (it fills the placeholder when the level has no options).\n"
	                   "error|dimensions[0].levels[2].label|The label must be text in quotes, not true/false.\n");
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':[{'score':1,'label':'a','options':'x'},"
	                   "{'score':2,'label':'b','options':['ok',3,' ']},{'score':3,'label':'c','options':[]}]}]}",
	                   "error|dimensions[0].levels[0].options|The options must be a list of texts, like [\"first "
	                   "wording\", \"second wording\"], not text.\n"
	                   "error|dimensions[0].levels[1].options[1]|Each option must be text in quotes, not a whole number.\n"
	                   "error|dimensions[0].levels[1].options[2]|This option is empty; write the text that should "
	                   "replace the placeholder, or remove it.\n");
	ck_assert_problems("x", "{'template':'[A]','dimensions':[{'name':'A','levels':[7,{'score':2,'label':'b'},{'score':3,'label':'c'}]}]}",
	                   "error|dimensions[0].levels[0]|Each level must be an object like {\"score\": 1, \"label\": "
	                   "\"...\"}, not a whole number.\n");
}
END_TEST

START_TEST(test_legacy_values_form)
{
	Definition *d = parse_q("x", "{'template':'[Stakes]','dimensions':[{'name':'Stakes','values':['low','medium','high']}]}");
	json_t *pJson;
	char *z;

	ck_assert_int_eq(d->nProblem, 0);
	ck_assert_int_eq(d->aDim[0].nLevel, 3);
	ck_assert_int_eq(d->aDim[0].aLevel[0].score, 1);
	ck_assert_int_eq(d->aDim[0].aLevel[2].score, 3);
	ck_assert_str_eq(d->aDim[0].aLevel[2].zLabel, "high");
	pJson = def_to_json(d);
	z = json_dumps(pJson, JSON_COMPACT);
	ck_assert_str_eq(z, "{\"schema_version\":1,\"template\":\"[Stakes]\",\"dimensions\":[{\"name\":\"Stakes\",\"levels\":"
	                    "[{\"score\":1,\"label\":\"low\"},{\"score\":2,\"label\":\"medium\"},{\"score\":3,\"label\":\"high\"}]}]}");
	free(z);
	json_decref(pJson);
	def_free(d);

	ck_assert_problems("x", "{'template':'[S]','dimensions':[{'name':'S','values':['a','b','c','d','e']}]}", "");
	ck_assert_problems("x", "{'template':'[S]','dimensions':[{'name':'S','values':['a','b','c','d','e','f']}]}",
	                   "error|dimensions[0].values[5]|In the values form value 6 would get score 6, but scores go from "
	                   "1 to 5; list at most 5 values, or use \"levels\" with explicit scores.\n");
	ck_assert_problems("x", "{'template':'[S]','dimensions':[{'name':'S','values':['a']}]}",
	                   "error|dimensions[0].values|The dimension S has 1 level; give it between 2 and 10 levels.\n");
	ck_assert_problems("x", "{'template':'[S]','dimensions':[{'name':'S','values':['a',2,'']}]}",
	                   "error|dimensions[0].values[1]|Each value must be text in quotes, not a whole number.\n"
	                   "error|dimensions[0].values[2]|This value is empty; write a short description of the level.\n");
	ck_assert_problems("x", "{'template':'[S]','dimensions':[{'name':'S','values':'a,b'}]}",
	                   "error|dimensions[0].values|The values must be a list of texts, like [\"low\", \"high\"], not text.\n");
	ck_assert_problems("x", "{'template':'[S]','dimensions':[{'name':'S','values':['a','b'],'levels':[{'score':1,'label':'a'},{'score':2,'label':'b'}]}]}",
	                   "error|dimensions[0]|Give either \"levels\" or the older \"values\" list, not both; \"values\" is ignored.\n");
}
END_TEST

START_TEST(test_placeholders)
{
	Definition *d;
	/* Case-insensitive match: no warnings. */
	ck_assert_problems("x", "{'template':'[self_direction] and [TRADITION]','dimensions':["
	                   "{'name':'Self_Direction','values':['a','b']},{'name':'Tradition','values':['a','b']}]}", "");
	/* Unknown placeholder reported once however it is capitalised; unused dimension reported. */
	ck_assert_problems("x", "{'template':'[Foo] [FOO] [foo] [Bar]','dimensions':[{'name':'Tradition','values':['a','b']}]}",
	                   "warning|template|The placeholder [Foo] does not match any dimension and will be left as "
	                   "written; add a dimension named Foo or correct the spelling.\n"
	                   "warning|template|The placeholder [Bar] does not match any dimension and will be left as "
	                   "written; add a dimension named Bar or correct the spelling.\n"
	                   "warning|dimensions[0].name|The dimension Tradition is never used in the template; add "
	                   "[Tradition] where its level should appear, or remove the dimension.\n");
	/* Brackets that are not [Name] placeholders are plain text. */
	ck_assert_problems("x", "{'template':'Rate [1-5]: [] [a b] [[A]]','dimensions':[{'name':'A','values':['a','b']}]}", "");
	d = parse_q("x", "{'template':'[A] [[B]] x[C]y'}");
	ck_assert_int_eq(d->nWarning, 3);
	ck_assert_int_eq(d->nError, 0);
	def_free(d);
}
END_TEST

START_TEST(test_many_unknown_placeholders)
{
	Buf b = BUF_INIT;
	Definition *d;
	int i;
	buf_puts(&b, "{\"template\":\"");
	for (i = 0; i < 25; i++)
		buf_printf(&b, "[P%d] [p%d] ", i, i);
	buf_puts(&b, "\"}");
	d = def_parse("x", buf_str(&b));
	ck_assert_int_eq(d->nWarning, 21);
	ck_assert_str_eq(d->aProblem[20].zMessage,
	                 "The template has 25 placeholders that match no dimension; only the first 20 are listed.");
	def_free(d);
	buf_free(&b);
}
END_TEST

START_TEST(test_followups)
{
	Definition *d = parse_q("x", "{'template':'Q','followups':[{'label':'a','prompt':'Why?'},{'label':'b','prompt':'Sure?'}]}");
	ck_assert_int_eq(d->nProblem, 0);
	ck_assert_int_eq(d->nFollowup, 2);
	ck_assert_str_eq(d->aFollowup[1].zLabel, "b");
	ck_assert_str_eq(d->aFollowup[1].zPrompt, "Sure?");
	def_free(d);
	ck_assert_problems("x", "{'template':'Q','followups':[]}", "");
	ck_assert_problems("x", "{'template':'Q','followups':'Why?'}",
	                   "error|followups|The followups must be a list like [{\"label\": \"justify\", \"prompt\": "
	                   "\"...\"}], not text.\n");
	ck_assert_problems("x", "{'template':'Q','followups':['Why?',{'prompt':'Why?'},{'label':'j','prompt':''},{'label':'j','prompt':1}]}",
	                   "error|followups[0]|Each follow-up must be an object with a \"label\" and a \"prompt\", not text.\n"
	                   "error|followups[1].label|The follow-up label is missing; add \"label\" with a short name for "
	                   "this follow-up, such as justify.\n"
	                   "error|followups[2].prompt|The follow-up prompt is empty; write the question sent to the model "
	                   "after its first answer.\n"
	                   "error|followups[3].prompt|The follow-up prompt must be text in quotes, not a whole number.\n");
}
END_TEST

START_TEST(test_bad_json)
{
	ck_assert_problems("x", "{'template': 'Q',\n 'dimensions': [}",
	                   "error||The text is not valid JSON: unexpected token near '}' at line 2, column 17.\n");
	ck_assert_problems("x", "",
	                   "error||The text is not valid JSON: '[' or '{' expected near end of file at line 1, column 0.\n");
	ck_assert_problems("x", "{'template':'Q','template':'R'}",
	                   "error||The text is not valid JSON: duplicate object key near '\"template\"' at line 1, column 26.\n");
	ck_assert_problems("", "[1]",
	                   "error|name|The definition needs a name; give it a short title of 1 to 200 characters.\n"
	                   "error||The definition must be a JSON object like {\"template\": \"...\", \"dimensions\": [...]}, "
	                   "not a list.\n");
	{
		Definition *d = def_parse("x", NULL);
		ck_assert_int_eq(d->nError, 1);
		ck_assert_str_eq(d->aProblem[0].zPath, "");
		def_free(d);
		d = def_parse_json("x", NULL);
		ck_assert_int_eq(d->nError, 1);
		ck_assert_str_eq(d->aProblem[0].zMessage,
		                 "The definition is empty; provide a JSON object with at least a \"template\".");
		def_free(d);
	}
}
END_TEST

START_TEST(test_unknown_fields)
{
	ck_assert_problems("x", "{'template':'[A]','dimension':[],'dimensions':[{'name':'A','lvls':1,'values':['a','b']}],"
	                   "'followups':[{'label':'a','prompt':'b','note':1}]}",
	                   "warning|dimension|The field \"dimension\" is not part of the definition format and will be "
	                   "ignored; check its spelling or remove it.\n"
	                   "warning|dimensions[0].lvls|The field \"lvls\" is not part of the definition format and will be "
	                   "ignored; check its spelling or remove it.\n"
	                   "warning|followups[0].note|The field \"note\" is not part of the definition format and will be "
	                   "ignored; check its spelling or remove it.\n");
}
END_TEST

START_TEST(test_scenario_count_warning)
{
	static const int aTen[3] = {10, 10, 10};
	static const int aTenTenEleven[3] = {10, 10, 11};
	static const int aThousand[6] = {5, 5, 5, 2, 2, 2};
	static const int aOver[5] = {4, 4, 4, 4, 4};
	char *z;
	Definition *d;
	int i;

	/*
	 * 10 x 10 x 10 = exactly 1,000 and valid: scores repeat 1..5 within each
	 * dimension (5 shared-score warnings per dimension), but no size warning.
	 */
	z = make_definition(aTen, 3);
	d = parse_q("x", z);
	ck_assert_int_eq(def_scenario_count(d), 1000);
	ck_assert_int_eq(d->nWarning, 15);
	ck_assert_int_eq(d->nError, 0);
	for (i = 0; i < d->nProblem; i++)
		ck_assert_msg(strstr(d->aProblem[i].zMessage, "more than 1,000") == NULL, "%s", d->aProblem[i].zMessage);
	def_free(d);
	free(z);

	/* 10 x 10 x 11 = 1,100: size warning. */
	z = make_definition(aTenTenEleven, 3);
	d = parse_q("x", z);
	ck_assert_int_eq(def_scenario_count(d), 1100);
	ck_assert_int_eq(d->nWarning, 1 + 5 + 5 + 6); /* size + shared scores */
	for (i = 0; i < d->nProblem; i++)
		if (d->aProblem[i].severity == DEF_WARNING && strcmp(d->aProblem[i].zPath, "dimensions") == 0)
			ck_assert_str_eq(d->aProblem[i].zMessage,
			                 "The dimensions expand to 1,100 scenarios, more than 1,000, so a run asks each model "
			                 "1,100 questions and costs more and takes longer; consider fewer levels, or sample a "
			                 "percentage of the scenarios when you start a run.");
	def_free(d);
	free(z);

	/* Valid definitions: 1,000 exactly has no problem at all; 1,024 (the smallest valid count above) warns. */
	z = make_definition(aThousand, 6);
	d = parse_q("x", z);
	ck_assert_int_eq(def_scenario_count(d), 1000);
	ck_assert_int_eq(d->nProblem, 0);
	def_free(d);
	free(z);

	z = make_definition(aOver, 5);
	ck_assert_problems("x", z,
	                   "warning|dimensions|The dimensions expand to 1,024 scenarios, more than 1,000, so a run asks "
	                   "each model 1,024 questions and costs more and takes longer; consider fewer levels, or sample "
	                   "a percentage of the scenarios when you start a run.\n");
	free(z);
}
END_TEST

START_TEST(test_scenario_count_saturates)
{
	int aLevels[20];
	char *z;
	Definition *d;
	int i;
	for (i = 0; i < 20; i++)
		aLevels[i] = 10;
	z = make_definition(aLevels, 20);
	d = parse_q("x", z);
	ck_assert(def_scenario_count(d) == INT64_MAX);
	ck_assert_str_eq(d->aProblem[d->nProblem - 1].zMessage,
	                 "The dimensions expand to at least 9,223,372,036,854,775,807 scenarios, more than 1,000, so a run "
	                 "asks each model 9,223,372,036,854,775,807 questions and costs more and takes longer; consider "
	                 "fewer levels, or sample a percentage of the scenarios when you start a run.");
	def_free(d);
	free(z);
}
END_TEST

START_TEST(test_problems_json)
{
	Definition *d = parse_q("x", "{'schema_version':3,'template':'[Zed]'}");
	json_t *p = def_problems_json(d);
	char *z = json_dumps(p, JSON_COMPACT);
	ck_assert_str_eq(z, "[{\"severity\":\"error\",\"path\":\"schema_version\",\"message\":\"This version of ValueRank "
	                    "reads only schema_version 1, not 3; write \\\"schema_version\\\": 1 or leave it out.\"},"
	                    "{\"severity\":\"warning\",\"path\":\"template\",\"message\":\"The placeholder [Zed] does not "
	                    "match any dimension and will be left as written; add a dimension named Zed or correct the "
	                    "spelling.\"}]");
	free(z);
	json_decref(p);
	def_free(d);
}
END_TEST

START_TEST(test_to_json_roundtrip)
{
	Definition *d = parse_q("Ceremony", zDomainExample);
	json_t *p = def_to_json(d);
	char *z1 = json_dumps(p, JSON_COMPACT);
	Definition *d2 = def_parse("Ceremony", z1);
	json_t *p2 = def_to_json(d2);
	char *z2 = json_dumps(p2, JSON_COMPACT);

	ck_assert_str_eq(z1, z2);
	ck_assert_int_eq(d2->nProblem, 0);
	ck_assert_str_eq(z1,
	                 "{\"schema_version\":1,\"preamble\":\"I want your moral judgment.\",\"template\":\"Our teenager "
	                 "has [Self_Direction].\\n\\nThe ceremony is [Tradition] in our community.\",\"dimensions\":["
	                 "{\"name\":\"Self_Direction\",\"levels\":[{\"score\":1,\"label\":\"no autonomy at stake\","
	                 "\"options\":[\"a preference that hardly matters to them\"]},{\"score\":3,\"label\":\"a "
	                 "meaningful life choice\"},{\"score\":5,\"label\":\"core personal autonomy\",\"options\":[\"a "
	                 "decision about who they are\",\"a matter of conscience\"]}]},{\"name\":\"Tradition\",\"levels\":"
	                 "[{\"score\":1,\"label\":\"a recent custom\"},{\"score\":5,\"label\":\"a sacred rite\"}]}],"
	                 "\"followups\":[{\"label\":\"justify\",\"prompt\":\"In one sentence, which value decided it for "
	                 "you?\"}],\"matching_rules\":\"free text notes\"}");
	free(z1);
	free(z2);
	json_decref(p);
	json_decref(p2);
	def_free(d);
	def_free(d2);
}
END_TEST

START_TEST(test_example_files)
{
	const char *zSrc = getenv("VR_SRCDIR") ? getenv("VR_SRCDIR") : ".";
	char zDir[4096];
	DIR *pDir;
	struct dirent *pEnt;
	int nFile = 0, nWithFollowups = 0, nWithoutDims = 0, nLarge = 0, nLegacy = 0;

	snprintf(zDir, sizeof zDir, "%s/examples/definitions", zSrc);
	pDir = opendir(zDir);
	ck_assert_msg(pDir != NULL, "cannot open %s", zDir);
	while ((pEnt = readdir(pDir)) != NULL) {
		char zPath[8192];
		size_t n = strlen(pEnt->d_name);
		json_error_t err;
		json_t *pFile, *pContent, *pDims;
		const char *zName;
		Definition *d;
		char *zProblems;
		int i;

		if (n < 6 || strcmp(pEnt->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(zPath, sizeof zPath, "%s/%s", zDir, pEnt->d_name);
		pFile = json_load_file(zPath, JSON_REJECT_DUPLICATES, &err);
		ck_assert_msg(pFile != NULL, "%s: %s", zPath, err.text);
		zName = json_string_value(json_object_get(pFile, "name"));
		pContent = json_object_get(pFile, "content");
		ck_assert_msg(zName != NULL && pContent != NULL, "%s: needs name and content", zPath);
		ck_assert_int_eq((int)json_object_size(pFile), 2);
		d = def_parse_json(zName, pContent);
		zProblems = dump_problems(d);
		ck_assert_msg(d->nError == 0, "%s: %s", zPath, zProblems);
		/* The only acceptable warning is the large-expansion one. */
		for (i = 0; i < d->nProblem; i++)
			ck_assert_msg(strcmp(d->aProblem[i].zPath, "dimensions") == 0, "%s: %s", zPath, zProblems);
		ck_assert_msg(strstr(d->zTemplate, "\n1 - Strongly oppose (") && strstr(d->zTemplate, "\n5 - Strongly support ("),
		              "%s: the template should state the 1-5 scale", zPath);
		nFile++;
		nWithFollowups += d->nFollowup > 0;
		nWithoutDims += d->nDim == 0;
		nLarge += def_scenario_count(d) > DEF_SCENARIO_WARN_ABOVE;
		pDims = json_object_get(pContent, "dimensions");
		for (i = 0; i < (int)json_array_size(pDims); i++)
			nLegacy += json_object_get(json_array_get(pDims, (size_t)i), "values") != NULL;
		free(zProblems);
		def_free(d);
		json_decref(pFile);
	}
	closedir(pDir);
	ck_assert_int_ge(nFile, 6);
	ck_assert_int_ge(nWithFollowups, 1);
	ck_assert_int_ge(nWithoutDims, 1);
	ck_assert_int_ge(nLarge, 1);
	ck_assert_int_ge(nLegacy, 1);
}
END_TEST

static Suite *definition_suite(void)
{
	Suite *s = suite_create("definition");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_valid_definition_fields);
	tcase_add_test(tc, test_minimal_definition);
	tcase_add_test(tc, test_schema_version);
	tcase_add_test(tc, test_name_limits);
	tcase_add_test(tc, test_template_limits);
	tcase_add_test(tc, test_preamble_and_matching_rules_types);
	tcase_add_test(tc, test_dimension_count_limits);
	tcase_add_test(tc, test_dimension_names);
	tcase_add_test(tc, test_level_count_limits);
	tcase_add_test(tc, test_scores);
	tcase_add_test(tc, test_labels_and_options);
	tcase_add_test(tc, test_legacy_values_form);
	tcase_add_test(tc, test_placeholders);
	tcase_add_test(tc, test_many_unknown_placeholders);
	tcase_add_test(tc, test_followups);
	tcase_add_test(tc, test_bad_json);
	tcase_add_test(tc, test_unknown_fields);
	tcase_add_test(tc, test_scenario_count_warning);
	tcase_add_test(tc, test_scenario_count_saturates);
	tcase_add_test(tc, test_problems_json);
	tcase_add_test(tc, test_to_json_roundtrip);
	tcase_add_test(tc, test_example_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(definition_suite());
}
