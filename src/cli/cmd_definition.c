/* cmd_definition.c — valuerank definition import, export, list and scenarios. */
#include "cli/cli.h"
#include "domain/expand.h"
#include "store/accounts.h"
#include "store/definition_file.h"
#include "store/definitions.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_TENANT "demo"

/*
 * Split the arguments into the --tenant option and the positional words.
 * Returns the tenant slug ("demo" by default), or NULL after a usage
 * message when --tenant has no value. *pazArg / *pnArg get the positional
 * arguments (a new array the caller frees; the strings are borrowed).
 */
static const char *split_args(Cli *c, char ***pazArg, int *pnArg)
{
	const char *zTenant = DEFAULT_TENANT;
	int i;
	*pazArg = xcalloc((size_t)c->argc + 1, sizeof(char *));
	*pnArg = 0;
	for (i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--tenant") == 0) {
			if (i + 1 >= c->argc) {
				fprintf(stderr, "valuerank: --tenant needs a tenant name\n");
				return NULL;
			}
			zTenant = c->argv[++i];
		} else {
			(*pazArg)[(*pnArg)++] = c->argv[i];
		}
	}
	return zTenant;
}

/* The id of tenant zSlug, or -1 after printing why. */
static int64_t tenant_id(Db *db, const char *zSlug)
{
	json_t *pTenant = store_tenant_by_slug(db, zSlug);
	int64_t id;
	if (!pTenant) {
		fprintf(stderr, "valuerank: there is no tenant \"%s\" (create it with `valuerank user add`)\n", zSlug);
		return -1;
	}
	id = json_integer_value(json_object_get(pTenant, "id"));
	json_decref(pTenant);
	return id;
}

/*
 * Import one file as a new definition. Prints the new id on success (0);
 * on failure prints the file name and its problems to stderr and stores
 * nothing (1).
 */
static int import_one(Db *db, int64_t tenantId, const char *zPath)
{
	size_t n;
	char *pData = cli_read_file(zPath, &n), *zName = NULL, *zText;
	json_t *pContent = NULL, *pProblems = NULL;
	Definition *d = NULL;
	char zErr[400];
	int64_t id;
	int rc = 1;
	if (!pData)
		return 1;
	if (definition_file_parse(pData, n, &zName, &pContent, zErr, sizeof(zErr))) {
		fprintf(stderr, "%s: %s\n", zPath, zErr);
		goto out;
	}
	d = def_parse_json(zName, pContent);
	pProblems = definition_problems(d);
	if (definition_problem_errors(pProblems) > 0) {
		zText = definition_problems_text(pProblems);
		fprintf(stderr, "%s: the definition has errors, so it was not imported:\n%s", zPath, zText);
		free(zText);
		goto out;
	}
	id = store_definition_create(db, tenantId, 0, 0, 1, zName, pContent, d, zErr, sizeof(zErr));
	if (id < 0) {
		fprintf(stderr, "%s: %s\n", zPath, zErr);
		goto out;
	}
	store_audit(db, tenantId, 0, "cli", "definition.import", "definition", id, NULL, "cli");
	printf("%lld\n", (long long)id);
	if (json_array_size(pProblems) > 0) {
		zText = definition_problems_text(pProblems);
		fprintf(stderr, "%s: imported as %lld with warnings:\n%s", zPath, (long long)id, zText);
		free(zText);
	}
	rc = 0;
out:
	json_decref(pProblems);
	def_free(d);
	json_decref(pContent);
	free(zName);
	free(pData);
	return rc;
}

int cmd_definition_import(Cli *c)
{
	char **azArg;
	int nArg, i, rc = 0;
	const char *zTenant = split_args(c, &azArg, &nArg);
	int64_t tenantId;
	Db *db;
	if (!zTenant || nArg == 0) {
		fprintf(stderr, "usage: valuerank definition import [--tenant T] FILE...\n");
		free(azArg);
		return 2;
	}
	if (!(db = cli_db(c, 0)) || (tenantId = tenant_id(db, zTenant)) < 0) {
		free(azArg);
		return 1;
	}
	for (i = 0; i < nArg; i++)
		if (import_one(db, tenantId, azArg[i]))
			rc = 1;
	free(azArg);
	return rc;
}

/*
 * Common start of the commands that take one definition ID: parse it, open
 * the database and load the definition. Returns the row (caller decrefs) or
 * NULL with *pRc set to the exit code.
 */
static json_t *load_one(Cli *c, const char *zUsage, int *pRc)
{
	char **azArg;
	int nArg;
	const char *zTenant = split_args(c, &azArg, &nArg);
	int64_t id, tenantId;
	json_t *pRow = NULL;
	Db *db;
	*pRc = 2;
	if (!zTenant || nArg != 1 || parse_int64(azArg[0], 1, INT64_MAX, &id)) {
		fprintf(stderr, "usage: %s\n", zUsage);
		goto out;
	}
	*pRc = 1;
	if (!(db = cli_db(c, 0)) || (tenantId = tenant_id(db, zTenant)) < 0)
		goto out;
	pRow = store_definition_get(db, tenantId, id);
	if (!pRow)
		fprintf(stderr, "valuerank: tenant %s has no definition %lld\n", zTenant, (long long)id);
out:
	free(azArg);
	return pRow;
}

int cmd_definition_export(Cli *c)
{
	int rc;
	json_t *pRow = load_one(c, "valuerank definition export [--tenant T] ID", &rc);
	char *zText;
	if (!pRow)
		return rc;
	zText = definition_file_text(json_string_value(json_object_get(pRow, "name")) ?: "",
				     json_object_get(pRow, "content"));
	fputs(zText, stdout);
	free(zText);
	json_decref(pRow);
	return 0;
}

int cmd_definition_list(Cli *c)
{
	char **azArg;
	int nArg;
	const char *zTenant = split_args(c, &azArg, &nArg);
	int64_t tenantId, nTotal = 0;
	json_t *pRows, *pRow;
	size_t i;
	Db *db;
	free(azArg);
	if (!zTenant || nArg != 0) {
		fprintf(stderr, "usage: valuerank definition list [--tenant T]\n");
		return 2;
	}
	if (!(db = cli_db(c, 0)) || (tenantId = tenant_id(db, zTenant)) < 0)
		return 1;
	pRows = store_definition_list(db, tenantId, NULL, INT64_MAX, 0, &nTotal);
	if (!pRows) {
		fprintf(stderr, "valuerank: cannot list definitions: %s\n", db_errmsg(db));
		return 1;
	}
	json_array_foreach(pRows, i, pRow) {
		char *zName = xstrdup(json_string_value(json_object_get(pRow, "name")) ?: ""), *z;
		/* A tab or newline in a name would break the columns. */
		for (z = zName; *z; z++)
			if (*z == '\t' || *z == '\n' || *z == '\r')
				*z = ' ';
		printf("%lld\t%s\t%lld\t%lld\n", (long long)json_integer_value(json_object_get(pRow, "id")), zName,
		       (long long)json_integer_value(json_object_get(pRow, "version")),
		       (long long)json_integer_value(json_object_get(pRow, "scenario_count")));
		free(zName);
	}
	json_decref(pRows);
	return 0;
}

/* expand_each() callback: one JSON line {name, scores, prompt} per scenario on stdout. */
static int print_scenario(void *pArg, const Scenario *s)
{
	json_t *pLine = json_object();
	char *zPrompt = scenario_full_prompt(s->zPreamble, s->zPrompt), *zLine;
	(void)pArg;
	json_object_set_new(pLine, "index", json_integer(s->index));
	json_object_set_new(pLine, "name", json_string(s->zName));
	json_object_set(pLine, "scores", s->pScores);
	json_object_set_new(pLine, "prompt", json_string(zPrompt));
	zLine = json_dumps(pLine, JSON_COMPACT | JSON_PRESERVE_ORDER);
	puts(zLine ? zLine : "{}");
	free(zLine);
	free(zPrompt);
	json_decref(pLine);
	return ferror(stdout) ? 1 : 0;
}

/*
 * Expand the stored definition again (seeded by its id, so the output equals
 * the stored scenarios and every run of this command prints the same bytes).
 */
int cmd_definition_scenarios(Cli *c)
{
	int rc;
	json_t *pRow = load_one(c, "valuerank definition scenarios [--tenant T] ID", &rc);
	Definition *d;
	if (!pRow)
		return rc;
	d = def_parse_json(json_string_value(json_object_get(pRow, "name")), json_object_get(pRow, "content"));
	rc = expand_each(d, json_integer_value(json_object_get(pRow, "id")), print_scenario, NULL) ? 1 : 0;
	if (rc)
		fprintf(stderr, "valuerank: cannot write the scenarios\n");
	def_free(d);
	json_decref(pRow);
	return rc;
}
