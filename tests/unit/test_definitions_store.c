/* test_definitions_store.c — unit tests for the definitions store and the definition file format. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/definition.h"
#include "store/accounts.h"
#include "store/definition_file.h"
#include "store/definitions.h"
#include "check_main.h"

static const char zContent[] =
	"{\"preamble\":\"P\",\"template\":\"[A] and [B]\",\"dimensions\":["
	"{\"name\":\"A\",\"levels\":[{\"score\":1,\"label\":\"a1\"},{\"score\":2,\"label\":\"a2\",\"options\":[\"x\",\"y\"]}]},"
	"{\"name\":\"B\",\"values\":[\"b1\",\"b2\",\"b3\"]}]}";

static char zDbPath[64];
static Db *db;
static int64_t tenantA, tenantB;

static void setup(void)
{
	char zErr[256];
	int fd;
	snprintf(zDbPath, sizeof(zDbPath), "/tmp/vr-defstore-XXXXXX");
	fd = mkstemp(zDbPath);
	ck_assert_int_ge(fd, 0);
	close(fd);
	db = db_open(zDbPath, zErr, sizeof(zErr));
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_migrate(db, zErr, sizeof(zErr)), DB_OK);
	tenantA = store_tenant_ensure(db, "a", "A");
	tenantB = store_tenant_ensure(db, "b", "B");
}

static void teardown(void)
{
	char zPath[80];
	db_close(db);
	unlink(zDbPath);
	snprintf(zPath, sizeof(zPath), "%s-wal", zDbPath);
	unlink(zPath);
	snprintf(zPath, sizeof(zPath), "%s-shm", zDbPath);
	unlink(zPath);
}

/* Store zContent as a definition of tenant A; returns its id. */
static int64_t create(const char *zName, int64_t parentId)
{
	char zErr[256];
	json_t *pContent = json_loads(zContent, 0, NULL);
	Definition *d = def_parse_json(zName, pContent);
	int64_t id;
	ck_assert_int_eq(d->nError, 0);
	id = store_definition_create(db, tenantA, 0, parentId, 1, zName, pContent, d, zErr, sizeof(zErr));
	ck_assert_int_gt(id, 0);
	def_free(d);
	json_decref(pContent);
	return id;
}

START_TEST(test_create_expands_scenarios)
{
	int64_t id = create("First", 0);
	json_t *pRow = store_definition_get(db, tenantA, id);
	json_t *pPage = store_scenario_page(db, id, 10, 0), *pOne;
	ck_assert_ptr_nonnull(pRow);
	ck_assert_int_eq(json_integer_value(json_object_get(pRow, "scenario_count")), 6);
	ck_assert_int_eq(json_integer_value(json_object_get(pRow, "run_count")), 0);
	ck_assert(json_is_null(json_object_get(pRow, "parent_id")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(pRow, "content"), "template")), "[A] and [B]");
	ck_assert_int_eq(json_array_size(pPage), 6);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pPage, 5), "name")), "A_2 / B_3");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_array_get(pPage, 5), "dimension_scores"), "B")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pPage, 0), "prompt")), "a1 and b1");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pPage, 0), "preamble")), "P");
	/* Another tenant sees nothing. */
	pOne = store_scenario_get(db, tenantB, id, json_integer_value(json_object_get(json_array_get(pPage, 0), "id")));
	ck_assert_ptr_null(pOne);
	ck_assert_ptr_null(store_definition_get(db, tenantB, id));
	ck_assert_int_eq(store_definition_delete(db, tenantB, id), DB_NOTFOUND);
	ck_assert_int_eq(store_definition_touch(db, tenantB, id), DB_OK);
	json_decref(pRow);
	pRow = store_definition_get(db, tenantA, id);
	ck_assert(json_is_null(json_object_get(pRow, "last_accessed_at")));
	json_decref(pRow);
	json_decref(pPage);
}
END_TEST

START_TEST(test_update_and_delete)
{
	char zErr[256];
	int64_t id = create("First", 0), child;
	json_t *pContent = json_loads("{\"template\":\"no dims\"}", 0, NULL), *pRow, *pPage;
	Definition *d = def_parse_json("Renamed", pContent);
	ck_assert_int_eq(store_definition_update(db, tenantA, id, "Renamed", pContent, d, zErr, sizeof(zErr)), DB_OK);
	ck_assert_int_eq(store_definition_update(db, tenantB, id, "X", pContent, d, zErr, sizeof(zErr)), DB_NOTFOUND);
	pRow = store_definition_get(db, tenantA, id);
	ck_assert_str_eq(json_string_value(json_object_get(pRow, "name")), "Renamed");
	ck_assert_int_eq(json_integer_value(json_object_get(pRow, "scenario_count")), 1);
	pPage = store_scenario_page(db, id, 10, 0);
	ck_assert_int_eq(json_array_size(pPage), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pPage, 0), "name")), "Default Scenario");
	json_decref(pPage);
	json_decref(pRow);
	def_free(d);
	json_decref(pContent);

	child = create("Child", id);
	pRow = store_definition_get(db, tenantA, child);
	ck_assert_int_eq(json_integer_value(json_object_get(pRow, "parent_id")), id);
	ck_assert_str_eq(json_string_value(json_object_get(pRow, "parent_name")), "Renamed");
	json_decref(pRow);
	ck_assert_int_eq(store_definition_delete(db, tenantA, id), DB_OK);
	ck_assert_int_eq(store_definition_delete(db, tenantA, id), DB_NOTFOUND);
	ck_assert_ptr_null(store_definition_get(db, tenantA, id));
	pRow = store_definition_get(db, tenantA, child);
	ck_assert(json_is_null(json_object_get(pRow, "parent_name")));
	json_decref(pRow);
}
END_TEST

START_TEST(test_list_search_and_paging)
{
	int64_t nTotal = -1;
	json_t *pList;
	create("alpha 100%", 0);
	create("alpha_two", 0);
	create("Beta", 0);
	pList = store_definition_list(db, tenantA, NULL, 2, 0, &nTotal);
	ck_assert_int_eq(nTotal, 3);
	ck_assert_int_eq(json_array_size(pList), 2);
	json_decref(pList);
	pList = store_definition_list(db, tenantA, "ALPHA", 25, 0, &nTotal);
	ck_assert_int_eq(nTotal, 2);
	json_decref(pList);
	pList = store_definition_list(db, tenantA, "%", 25, 0, &nTotal);
	ck_assert_int_eq(nTotal, 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pList, 0), "name")), "alpha 100%");
	json_decref(pList);
	pList = store_definition_list(db, tenantA, "a_t", 25, 0, &nTotal);
	ck_assert_int_eq(nTotal, 1);
	json_decref(pList);
	pList = store_definition_list(db, tenantB, NULL, 25, 0, &nTotal);
	ck_assert_int_eq(nTotal, 0);
	ck_assert_int_eq(json_array_size(pList), 0);
	json_decref(pList);
}
END_TEST

/* definition_file_parse() on zText gives exactly zError (or succeeds when zError is NULL). */
static void check_file(const char *zText, size_t n, const char *zError)
{
	char zErr[400] = "", *zName = NULL;
	json_t *pContent = NULL;
	int rc = definition_file_parse(zText, n, &zName, &pContent, zErr, sizeof(zErr));
	if (zError) {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(zErr, zError);
		ck_assert_ptr_null(zName);
		ck_assert_ptr_null(pContent);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_ptr_nonnull(zName);
		ck_assert(json_is_object(pContent));
	}
	free(zName);
	json_decref(pContent);
}

/* check_file() on a NUL-terminated text. */
static void check_text(const char *zText, const char *zError)
{
	check_file(zText, strlen(zText), zError);
}

START_TEST(test_file_format)
{
	static const char zShape[] = "The file must be a JSON object with a text \"name\" and an object \"content\" "
				     "holding the definition, as the export writes: {\"name\": \"...\", \"content\": {...}}.";
	char *zText, *zName = NULL, zErr[100];
	json_t *pContent = json_loads("{\"template\":\"t\",\"dimensions\":[]}", 0, NULL), *pBack = NULL;
	check_text("", "The file is empty; export a definition to see the expected format.");
	check_text(" \r\n\t", "The file is empty; export a definition to see the expected format.");
	check_file("{\"a\":\0}", 7, "The file contains NUL bytes, so it is not a JSON text file.");
	check_text("{\"name\":\"\xc3\x28\"}", "The file is not UTF-8 text; save it as UTF-8 and upload it again.");
	check_text("{\"name\":\"\xed\xa0\x80\"}", "The file is not UTF-8 text; save it as UTF-8 and upload it again.");
	check_text("{\"name\":\"\xe2\x82\"}", "The file is not UTF-8 text; save it as UTF-8 and upload it again.");
	check_text("{\"name\": 1,\n \"content\": }",
		   "The file is not valid JSON: unexpected token near '}' (line 2, column 13).");
	check_text("[]", zShape);
	check_text("{\"name\": 1, \"content\": {}}", zShape);
	check_text("{\"name\": \"x\", \"content\": []}", zShape);
	check_text("{\"name\": \"x\", \"content\": {}}", NULL);
	check_text("{\"name\": \"caf\xc3\xa9 \xe2\x9c\x93\", \"content\": {}}", NULL);

	zText = definition_file_text("N\xc3\xa9", pContent);
	ck_assert_str_eq(zText, "{\n  \"name\": \"N\xc3\xa9\",\n  \"content\": {\n    \"template\": \"t\",\n"
				"    \"dimensions\": []\n  }\n}\n");
	ck_assert_int_eq(definition_file_parse(zText, strlen(zText), &zName, &pBack, zErr, sizeof(zErr)), 0);
	ck_assert_str_eq(zName, "N\xc3\xa9");
	ck_assert(json_equal(pBack, pContent));
	free(zText);
	free(zName);
	json_decref(pBack);
	json_decref(pContent);
}
END_TEST

START_TEST(test_storage_limit)
{
	/* 5^7 = 78,125 is stored; 5^7 * 2 = 156,250 exceeds the limit and is an error. */
	static const char zDim[] = "{\"name\":\"D%d\",\"values\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}";
	char zJson[2048], zOne[128];
	json_t *pProblems;
	Definition *d;
	int i;
	strcpy(zJson, "{\"template\":\"[D0][D1][D2][D3][D4][D5][D6][D7]\",\"dimensions\":[");
	for (i = 0; i < 7; i++) {
		snprintf(zOne, sizeof(zOne), zDim, i);
		strcat(zJson, zOne);
		strcat(zJson, ",");
	}
	strcat(zJson, "{\"name\":\"D7\",\"values\":[\"a\",\"b\"]}]}");
	d = def_parse("big", zJson);
	pProblems = definition_problems(d);
	ck_assert_int_eq(definition_problem_errors(pProblems), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pProblems, json_array_size(pProblems) - 1),
							   "message")),
			 "The dimensions expand to 156,250 scenarios, but a definition can store at most 100,000; "
			 "use fewer dimensions or levels.");
	json_decref(pProblems);
	def_free(d);
}
END_TEST

START_TEST(test_problems_text)
{
	json_t *p = json_loads("[{\"severity\":\"error\",\"path\":\"name\",\"message\":\"Give a name.\"},"
			       "{\"severity\":\"warning\",\"path\":\"\",\"message\":\"Hm.\"}]",
			       0, NULL);
	char *z = definition_problems_text(p);
	ck_assert_str_eq(z, "  error at name: Give a name.\n  warning: Hm.\n");
	ck_assert_int_eq(definition_problem_errors(p), 1);
	free(z);
	json_decref(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("definitions_store");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_expands_scenarios);
	tcase_add_test(tc, test_update_and_delete);
	tcase_add_test(tc, test_list_search_and_paging);
	suite_add_tcase(s, tc);
	tc = tcase_create("file");
	tcase_add_test(tc, test_file_format);
	tcase_add_test(tc, test_storage_limit);
	tcase_add_test(tc, test_problems_text);
	suite_add_tcase(s, tc);
	return check_run(s);
}
