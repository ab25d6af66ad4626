/* test_template.c — unit tests for src/web/template.c: the mustache spec suites and our own cases. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "web/template.h"
#include "check_main.h"

/* The source tree (VR_SRCDIR, set by make check), or "." when unset. */
static const char *src_dir(void)
{
	const char *z = getenv("VR_SRCDIR");
	return z && z[0] ? z : ".";
}

/*
 * Run every test of one mustache-spec JSON file: parse the template and its
 * partials into a fresh set, render the data, compare exactly. Each failure
 * is printed with its name, template, expected and actual output.
 */
static void run_spec_file(const char *zFile)
{
	char zPath[1024], zErr[256];
	json_error_t jerr;
	json_t *pRoot, *pTests;
	size_t i;
	int nFailed = 0, nRun = 0;

	snprintf(zPath, sizeof(zPath), "%s/tests/conformance/mustache-spec/%s", src_dir(), zFile);
	pRoot = json_load_file(zPath, 0, &jerr);
	ck_assert_msg(pRoot != NULL, "cannot load %s: %s", zPath, jerr.text);
	pTests = json_object_get(pRoot, "tests");
	ck_assert_msg(json_is_array(pTests) && json_array_size(pTests) > 0, "%s has no tests",
		      zPath);
	for (i = 0; i < json_array_size(pTests); i++) {
		json_t *pTest = json_array_get(pTests, i);
		const char *zName = json_string_value(json_object_get(pTest, "name"));
		const char *zTemplate = json_string_value(json_object_get(pTest, "template"));
		const char *zExpected = json_string_value(json_object_get(pTest, "expected"));
		json_t *pPartials = json_object_get(pTest, "partials");
		TplSet *pSet = tpl_set_new();
		Buf out = BUF_INIT;
		const char *zKey;
		json_t *pVal;
		int rc = 0;

		ck_assert(zName && zTemplate && zExpected);
		nRun++;
		zErr[0] = 0;
		json_object_foreach(pPartials, zKey, pVal)
		{
			if (rc == 0)
				rc = tpl_set_add(pSet, zKey, json_string_value(pVal), zErr,
						 sizeof(zErr));
		}
		if (rc == 0)
			rc = tpl_set_add(pSet, "(spec test)", zTemplate, zErr, sizeof(zErr));
		if (rc == 0)
			rc = tpl_render(pSet, "(spec test)", json_object_get(pTest, "data"), &out,
					zErr, sizeof(zErr));
		if (rc != 0 || strcmp(buf_str(&out), zExpected) != 0) {
			nFailed++;
			fprintf(stderr,
				"FAIL %s / %s\n  template: [%s]\n  expected: [%s]\n  actual:   "
				"[%s]\n  error: %s\n",
				zFile, zName, zTemplate, zExpected, buf_str(&out), zErr);
		}
		buf_free(&out);
		tpl_set_free(pSet);
	}
	json_decref(pRoot);
	ck_assert_msg(nFailed == 0, "%d of %d tests in %s failed (details on stderr)", nFailed,
		      nRun, zFile);
}

START_TEST(test_spec_comments)
{
	run_spec_file("comments.json");
}
END_TEST

START_TEST(test_spec_delimiters)
{
	run_spec_file("delimiters.json");
}
END_TEST

START_TEST(test_spec_interpolation)
{
	run_spec_file("interpolation.json");
}
END_TEST

START_TEST(test_spec_inverted)
{
	run_spec_file("inverted.json");
}
END_TEST

START_TEST(test_spec_partials)
{
	run_spec_file("partials.json");
}
END_TEST

START_TEST(test_spec_sections)
{
	run_spec_file("sections.json");
}
END_TEST

/* Parse zSource as "t", render it with the JSON text zData; return the output (caller frees). */
static char *render_one(const char *zSource, const char *zData)
{
	TplSet *pSet = tpl_set_new();
	json_t *pData = json_loads(zData, JSON_DECODE_ANY, NULL);
	Buf out = BUF_INIT;
	char zErr[256];
	ck_assert_msg(pData != NULL, "bad test JSON %s", zData);
	ck_assert_msg(tpl_set_add(pSet, "t", zSource, zErr, sizeof(zErr)) == 0, "%s", zErr);
	ck_assert_msg(tpl_render(pSet, "t", pData, &out, zErr, sizeof(zErr)) == 0, "%s", zErr);
	json_decref(pData);
	tpl_set_free(pSet);
	return buf_detach(&out);
}

/* Assert that rendering zSource with zData gives exactly zExpected. */
static void check_render(const char *zSource, const char *zData, const char *zExpected)
{
	char *zOut = render_one(zSource, zData);
	ck_assert_msg(strcmp(zOut, zExpected) == 0, "template [%s] gave [%s], expected [%s]",
		      zSource, zOut, zExpected);
	free(zOut);
}

START_TEST(test_escapes_script_payloads)
{
	const char *zData = "{\"x\": \"<script>alert('x')</script>\","
			    " \"a\": \"\\\" onmouseover=\\\"alert(1)\","
			    " \"amp\": \"&lt;already&gt;\"}";
	check_render("<p>{{x}}</p>", zData,
		     "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>");
	check_render("<a title=\"{{a}}\">", zData, "<a title=\"&quot; onmouseover=&quot;alert(1)\">");
	/* Escaping is not idempotent: an already-escaped entity is escaped again. */
	check_render("{{amp}}", zData, "&amp;lt;already&amp;gt;");
	/* Raw output is the long, visible road. */
	check_render("{{{x}}}|{{& x}}", zData,
		     "<script>alert('x')</script>|<script>alert('x')</script>");
	/* Values inside sections, lists and dotted names are escaped too. */
	check_render("{{#l}}{{.}}{{/l}}|{{o.k}}", "{\"l\": [\"<b>\", \"&\"], \"o\": {\"k\": \"'\"}}",
		     "&lt;b&gt;&amp;|&#39;");
	/* A value that looks like a tag is never re-parsed. */
	check_render("{{x}}", "{\"x\": \"{{y}}\", \"y\": \"no\"}", "{{y}}");
}
END_TEST

START_TEST(test_value_rendering)
{
	check_render("{{i}} {{r}} {{h}} {{big}} {{neg}} {{t}} {{f}} {{n}} {{o}} {{a}}",
		     "{\"i\": 42, \"r\": 1.5, \"h\": 0.1, \"big\": 1e21, \"neg\": -2.0,"
		     " \"t\": true, \"f\": false, \"n\": null, \"o\": {\"k\": 1}, \"a\": [1]}",
		     "42 1.5 0.1 1e+21 -2 true false   ");
	/* Truthiness: "" and [] are falsey, every number (0 too) is truthy. */
	check_render("{{#s}}S{{/s}}{{^s}}s{{/s}}{{#z}}Z{{/z}}{{#e}}E{{/e}}{{^e}}e{{/e}}",
		     "{\"s\": \"\", \"z\": 0, \"e\": []}", "sZe");
	/* A NULL context renders like an empty one. */
	{
		TplSet *pSet = tpl_set_new();
		Buf out = BUF_INIT;
		char zErr[128];
		ck_assert_int_eq(tpl_set_add(pSet, "t", "[{{x}}{{.}}]", zErr, sizeof(zErr)), 0);
		ck_assert_int_eq(tpl_render(pSet, "t", NULL, &out, zErr, sizeof(zErr)), 0);
		ck_assert_str_eq(buf_str(&out), "[]");
		buf_free(&out);
		tpl_set_free(pSet);
	}
}
END_TEST

/* Assert that adding zSource fails with exactly zMessage. */
static void check_parse_error(const char *zSource, const char *zMessage)
{
	TplSet *pSet = tpl_set_new();
	char zErr[256] = "";
	Buf out = BUF_INIT;
	ck_assert_msg(tpl_set_add(pSet, "page", zSource, zErr, sizeof(zErr)) == -1,
		      "template [%s] parsed without error", zSource);
	ck_assert_str_eq(zErr, zMessage);
	/* The set is unchanged: the template was not added. */
	ck_assert_int_eq(tpl_render(pSet, "page", NULL, &out, zErr, sizeof(zErr)), -1);
	ck_assert_str_eq(zErr, "unknown template 'page'");
	ck_assert_str_eq(buf_str(&out), "");
	tpl_set_free(pSet);
}

START_TEST(test_parse_errors)
{
	check_parse_error("a\nb\n{{#items}}\n<li>{{name}}</li>\n",
			  "template 'page' line 3: section 'items' is never closed");
	check_parse_error("{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}",
			  "template 'page' line 3: closing tag 'a' does not match section 'b' "
			  "opened on line 2");
	check_parse_error("x\n{{/a}}", "template 'page' line 2: closing tag 'a' without an open "
					"section");
	check_parse_error("one\ntwo {{name", "template 'page' line 2: tag opened with '{{' is "
					     "never closed");
	check_parse_error("{{{name}}", "template 'page' line 1: tag opened with '{{{' is never "
				       "closed");
	check_parse_error("{{=<% %>=}}\n<%name", "template 'page' line 2: tag opened with '<%' is "
						  "never closed");
	check_parse_error("{{}}", "template 'page' line 1: tag without a name");
	/* Found by fuzzing: a sigil that is the closing delimiter itself is no sigil. */
	check_parse_error("{{=<% >=}}<%>", "template 'page' line 1: tag without a name");
	check_parse_error("{{ # x }}", "template 'page' line 1: invalid character '#' in tag name "
				       "'# x'");
	check_parse_error("{{first name}}", "template 'page' line 1: invalid character ' ' in tag "
					    "name 'first name'");
	check_parse_error("{{a..b}}", "template 'page' line 1: empty part in dotted name 'a..b'");
	check_parse_error("{{=<%=}}", "template 'page' line 1: a set-delimiter tag must look like "
				      "{{=<% %>=}}: two delimiters without spaces or '='");
	check_parse_error("{{=a b}}", "template 'page' line 1: a set-delimiter tag must look like "
				      "{{=<% %>=}}: two delimiters without spaces or '='");
	check_parse_error("{{=<<<<<<<<<<<<<<<<<< >>=}}",
			  "template 'page' line 1: delimiters longer than 16 characters");
	{
		/* Too deep nesting is an error, not a stack overflow. */
		Buf src = BUF_INIT;
		int i;
		for (i = 0; i <= TPL_MAX_NESTING; i++)
			buf_puts(&src, "{{#a}}");
		check_parse_error(buf_str(&src),
				  "template 'page' line 1: sections nested deeper than 100");
		buf_free(&src);
	}
	{
		TplSet *pSet = tpl_set_new();
		char zErr[128];
		ck_assert_int_eq(tpl_set_add(pSet, "", "x", zErr, sizeof(zErr)), -1);
		ck_assert_str_eq(zErr, "template name is empty");
		ck_assert_int_eq(tpl_set_add(pSet, "a", "x", zErr, sizeof(zErr)), 0);
		ck_assert_int_eq(tpl_set_add(pSet, "a", "y", zErr, sizeof(zErr)), -1);
		ck_assert_str_eq(zErr, "template 'a' is already defined");
		/* A NULL message buffer is allowed. */
		ck_assert_int_eq(tpl_set_add(pSet, "b", "{{#x}}", NULL, 0), -1);
		tpl_set_free(pSet);
	}
}
END_TEST

/* Write zText to zDir/zFile. */
static void write_file(const char *zDir, const char *zFile, const char *zText)
{
	char zPath[512];
	FILE *f;
	snprintf(zPath, sizeof(zPath), "%s/%s", zDir, zFile);
	f = fopen(zPath, "wb");
	ck_assert_msg(f != NULL, "cannot write %s", zPath);
	fputs(zText, f);
	fclose(f);
}

/* Remove zDir/zFile (if it exists). */
static void remove_file(const char *zDir, const char *zFile)
{
	char zPath[512];
	snprintf(zPath, sizeof(zPath), "%s/%s", zDir, zFile);
	unlink(zPath);
}

START_TEST(test_load_dir)
{
	char zDir[256], zErr[512], zExpected[512];
	const char *zTmp = getenv("TMPDIR");
	TplSet *pSet = tpl_set_new();
	json_t *pCtx = json_pack("{s:s, s:[s,s]}", "title", "Runs & <more>", "runs", "r1", "r2");
	Buf out = BUF_INIT;

	snprintf(zDir, sizeof(zDir), "%s/test_template.XXXXXX", zTmp && zTmp[0] ? zTmp : "/tmp");
	ck_assert(mkdtemp(zDir) != NULL);
	write_file(zDir, "layout.mustache", "<title>{{title}}</title>\n<main>\n  {{>runs}}\n</main>\n");
	write_file(zDir, "runs.mustache", "<ul>\n{{#runs}}\n  <li>{{.}}</li>\n{{/runs}}\n</ul>\n");
	write_file(zDir, "notes.txt", "{{#broken");
	write_file(zDir, ".hidden.mustache", "{{#broken");
	ck_assert_int_eq(mkdir(strcat(strcpy(zExpected, zDir), "/sub.mustache"), 0700), 0);

	ck_assert_int_eq(tpl_set_load_dir(pSet, zDir, zErr, sizeof(zErr)), 0);
	ck_assert_int_eq(tpl_set_check_partials(pSet, zErr, sizeof(zErr)), 0);
	ck_assert_int_eq(tpl_render(pSet, "layout", pCtx, &out, zErr, sizeof(zErr)), 0);
	ck_assert_str_eq(buf_str(&out), "<title>Runs &amp; &lt;more&gt;</title>\n<main>\n"
					"  <ul>\n    <li>r1</li>\n    <li>r2</li>\n  </ul>\n</main>\n");
	ck_assert_int_eq(tpl_render(pSet, "notes", pCtx, &out, zErr, sizeof(zErr)), -1);
	ck_assert_str_eq(zErr, "unknown template 'notes'");
	tpl_set_free(pSet);

	/* A broken file is reported with its path and line. */
	write_file(zDir, "bad.mustache", "ok\n{{#x}}\n");
	pSet = tpl_set_new();
	ck_assert_int_eq(tpl_set_load_dir(pSet, zDir, zErr, sizeof(zErr)), -1);
	snprintf(zExpected, sizeof(zExpected),
		 "%s/bad.mustache: template 'bad' line 2: section 'x' is never closed", zDir);
	ck_assert_str_eq(zErr, zExpected);
	tpl_set_free(pSet);
	remove_file(zDir, "bad.mustache");

	/* A partial that does not exist is caught by the start-up check. */
	write_file(zDir, "page.mustache", "a\n{{>layout}}\n{{> missing}}\n");
	pSet = tpl_set_new();
	ck_assert_int_eq(tpl_set_load_dir(pSet, zDir, zErr, sizeof(zErr)), 0);
	ck_assert_int_eq(tpl_set_check_partials(pSet, zErr, sizeof(zErr)), -1);
	ck_assert_str_eq(zErr, "template 'page' line 3: partial 'missing' does not exist");
	tpl_set_free(pSet);

	pSet = tpl_set_new();
	snprintf(zExpected, sizeof(zExpected), "%s/none", zDir);
	ck_assert_int_eq(tpl_set_load_dir(pSet, zExpected, zErr, sizeof(zErr)), -1);
	ck_assert(strstr(zErr, "cannot open template folder") != NULL);
	tpl_set_free(pSet);

	remove_file(zDir, "page.mustache");
	remove_file(zDir, "layout.mustache");
	remove_file(zDir, "runs.mustache");
	remove_file(zDir, "notes.txt");
	remove_file(zDir, ".hidden.mustache");
	rmdir(strcat(strcpy(zExpected, zDir), "/sub.mustache"));
	ck_assert_int_eq(rmdir(zDir), 0);
	json_decref(pCtx);
	buf_free(&out);
}
END_TEST

START_TEST(test_recursion_guard)
{
	TplSet *pSet = tpl_set_new();
	json_t *pCtx = json_object();
	Buf out = BUF_INIT;
	char zErr[256];

	/* A partial that includes itself unconditionally stops at the depth limit. */
	ck_assert_int_eq(tpl_set_add(pSet, "loop", "x{{>loop}}", zErr, sizeof(zErr)), 0);
	ck_assert_int_eq(tpl_render(pSet, "loop", pCtx, &out, zErr, sizeof(zErr)), -1);
	ck_assert_str_eq(zErr, "partials nested deeper than 64 (at partial 'loop' on line 1)");
	buf_reset(&out);

	/* Mutual recursion too. */
	ck_assert_int_eq(tpl_set_add(pSet, "ping", "{{>pong}}", zErr, sizeof(zErr)), 0);
	ck_assert_int_eq(tpl_set_add(pSet, "pong", "\n{{>ping}}", zErr, sizeof(zErr)), 0);
	ck_assert_int_eq(tpl_render(pSet, "ping", pCtx, &out, zErr, sizeof(zErr)), -1);
	ck_assert_str_eq(zErr, "partials nested deeper than 64 (at partial 'pong' on line 1)");
	buf_reset(&out);

	/* Sections times partials are bounded as well. */
	{
		Buf src = BUF_INIT;
		int i;
		for (i = 0; i < 90; i++)
			buf_puts(&src, "{{#t}}");
		buf_puts(&src, "{{>deep}}");
		for (i = 0; i < 90; i++)
			buf_puts(&src, "{{/t}}");
		ck_assert_int_eq(tpl_set_add(pSet, "deep", buf_str(&src), zErr, sizeof(zErr)), 0);
		json_object_set_new(pCtx, "t", json_true());
		ck_assert_int_eq(tpl_render(pSet, "deep", pCtx, &out, zErr, sizeof(zErr)), -1);
		ck_assert_str_eq(zErr, "sections and partials nested deeper than 256");
		buf_free(&src);
	}

	/* Bounded recursion over data works. */
	buf_reset(&out);
	ck_assert_int_eq(tpl_set_add(pSet, "tree", "({{name}}{{#kids}}{{>tree}}{{/kids}})", zErr,
				     sizeof(zErr)), 0);
	json_decref(pCtx);
	/* Leaves say "kids": [] — a missing key would resolve to the parent's list. */
	pCtx = json_loads("{\"name\":\"a\",\"kids\":[{\"name\":\"b\",\"kids\":[{\"name\":\"c\","
			  "\"kids\":[]}]},{\"name\":\"d\",\"kids\":[]}]}", 0, NULL);
	ck_assert_int_eq(tpl_render(pSet, "tree", pCtx, &out, zErr, sizeof(zErr)), 0);
	ck_assert_str_eq(buf_str(&out), "(a(b(c))(d))");

	buf_free(&out);
	json_decref(pCtx);
	tpl_set_free(pSet);
}
END_TEST

START_TEST(test_render_many_times)
{
	TplSet *pSet = tpl_set_new();
	Buf out = BUF_INIT;
	char zErr[128], zExpected[64];
	int i;

	ck_assert_int_eq(tpl_set_add(pSet, "row", "<tr><td>{{n}}</td><td>{{#ok}}yes{{/ok}}"
						  "{{^ok}}no{{/ok}}</td></tr>\n",
				     zErr, sizeof(zErr)), 0);
	for (i = 0; i < 1000; i++) {
		json_t *pCtx = json_pack("{s:i, s:b}", "n", i, "ok", i % 2);
		buf_reset(&out);
		ck_assert_int_eq(tpl_render(pSet, "row", pCtx, &out, zErr, sizeof(zErr)), 0);
		snprintf(zExpected, sizeof(zExpected), "<tr><td>%d</td><td>%s</td></tr>\n", i,
			 i % 2 ? "yes" : "no");
		ck_assert_str_eq(buf_str(&out), zExpected);
		json_decref(pCtx);
	}
	/* tpl_render appends: two renders in one buffer. */
	buf_reset(&out);
	{
		json_t *pCtx = json_pack("{s:i, s:b}", "n", 7, "ok", 1);
		ck_assert_int_eq(tpl_render(pSet, "row", pCtx, &out, zErr, sizeof(zErr)), 0);
		ck_assert_int_eq(tpl_render(pSet, "row", pCtx, &out, zErr, sizeof(zErr)), 0);
		ck_assert_str_eq(buf_str(&out), "<tr><td>7</td><td>yes</td></tr>\n"
						"<tr><td>7</td><td>yes</td></tr>\n");
		json_decref(pCtx);
	}
	buf_free(&out);
	tpl_set_free(pSet);
}
END_TEST

START_TEST(test_nested_partial_indentation)
{
	TplSet *pSet = tpl_set_new();
	Buf out = BUF_INIT;
	char zErr[128];
	json_t *pCtx = json_pack("{s:[s,s], s:s}", "items", "a", "b", "v", "x\ny");

	ck_assert_int_eq(tpl_set_add(pSet, "outer", "<div>\n  {{>list}}\n</div>\n", zErr,
				     sizeof(zErr)), 0);
	ck_assert_int_eq(tpl_set_add(pSet, "list", "<ul>\n{{#items}}\n  {{>item}}\n{{/items}}\n"
						   "</ul>\n", zErr, sizeof(zErr)), 0);
	/* An inline partial is not indented; interpolated newlines never are. */
	ck_assert_int_eq(tpl_set_add(pSet, "item", "<li>{{.}}</li> {{>v}}\n", zErr, sizeof(zErr)),
			 0);
	ck_assert_int_eq(tpl_set_add(pSet, "v", "[{{v}}\n]", zErr, sizeof(zErr)), 0);
	ck_assert_int_eq(tpl_render(pSet, "outer", pCtx, &out, zErr, sizeof(zErr)), 0);
	ck_assert_str_eq(buf_str(&out), "<div>\n  <ul>\n"
					"    <li>a</li> [x\ny\n]\n"
					"    <li>b</li> [x\ny\n]\n"
					"  </ul>\n</div>\n");
	buf_free(&out);
	json_decref(pCtx);
	tpl_set_free(pSet);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("template");
	TCase *tcSpec = tcase_create("spec");
	TCase *tc = tcase_create("core");
	tcase_add_test(tcSpec, test_spec_comments);
	tcase_add_test(tcSpec, test_spec_delimiters);
	tcase_add_test(tcSpec, test_spec_interpolation);
	tcase_add_test(tcSpec, test_spec_inverted);
	tcase_add_test(tcSpec, test_spec_partials);
	tcase_add_test(tcSpec, test_spec_sections);
	tcase_add_test(tc, test_escapes_script_payloads);
	tcase_add_test(tc, test_value_rendering);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_load_dir);
	tcase_add_test(tc, test_recursion_guard);
	tcase_add_test(tc, test_render_many_times);
	tcase_add_test(tc, test_nested_partial_indentation);
	suite_add_tcase(s, tcSpec);
	suite_add_tcase(s, tc);
	return check_run(s);
}
