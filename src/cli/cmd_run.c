/* cmd_run.c — valuerank run start|show|list|pause|resume|cancel|retry-failed: the headless path to a run. */
#include "cli/cli.h"
#include "lib/util.h"
#include "providers/models.h"
#include "store/runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value after option zName, or NULL. */
/* Reject options this command does not know; zValued and zFlags are space-separated lists. */
static int check_args(Cli *c, const char *zCmd, const char *zValued, const char *zFlags, int nPositional,
		      const char **pzPositional)
{
	int i, nPos = 0;
	for (i = 0; i < c->argc; i++) {
		const char *a = c->argv[i];
		char zPad[64];
		snprintf(zPad, sizeof(zPad), " %s ", a);
		if (a[0] == '-' && a[1] == '-') {
			char zList[512];
			snprintf(zList, sizeof(zList), " %s ", zValued);
			if (strstr(zList, zPad)) {
				if (i + 1 >= c->argc) {
					fprintf(stderr, "valuerank %s: %s needs a value\n", zCmd, a);
					return -1;
				}
				i++;
				continue;
			}
			snprintf(zList, sizeof(zList), " %s ", zFlags);
			if (strstr(zList, zPad))
				continue;
			fprintf(stderr, "valuerank %s: unknown option %s\n", zCmd, a);
			return -1;
		}
		if (nPos >= nPositional) {
			fprintf(stderr, "valuerank %s: unexpected argument %s\n", zCmd, a);
			return -1;
		}
		pzPositional[nPos++] = a;
	}
	if (nPos < nPositional) {
		fprintf(stderr, "valuerank %s: missing the run id\n", zCmd);
		return -1;
	}
	return 0;
}

/* Parse an optional integer option into *pOut (unchanged when absent); -1 with a message when bad. */
static int int_option(Cli *c, const char *zName, int64_t lo, int64_t hi, int64_t *pOut)
{
	const char *z = cli_arg(c, zName);
	if (!z)
		return 0;
	if (parse_int64(z, lo, hi, pOut)) {
		fprintf(stderr, "valuerank run start: %s must be a whole number from %lld to %lld, not \"%s\"\n",
			zName, (long long)lo, (long long)hi, z);
		return -1;
	}
	return 0;
}

/* Print the run's progress as one line (for --wait). */
static void print_progress(FILE *f, json_t *pRun)
{
	fprintf(f, "run %lld %s: %lld/%lld done, %lld failed, %lld cancelled\n",
		(long long)json_integer_value(json_object_get(pRun, "id")),
		json_string_value(json_object_get(pRun, "status")),
		(long long)json_integer_value(json_object_get(pRun, "completed_jobs")),
		(long long)json_integer_value(json_object_get(pRun, "total_jobs")),
		(long long)json_integer_value(json_object_get(pRun, "failed_jobs")),
		(long long)json_integer_value(json_object_get(pRun, "cancelled_jobs")));
}

/* Follow a run until it ends; exit code 0 when completed, 1 when failed or cancelled. */
static int wait_for_run(Db *db, int64_t runId, int64_t timeoutS)
{
	int64_t waited = 0, lastDone = -1;
	for (;;) {
		json_t *pRun = store_run_get(db, 0, runId);
		const char *zStatus;
		int64_t done;
		int rc = -1;
		if (!pRun) {
			fprintf(stderr, "valuerank: run %lld disappeared\n", (long long)runId);
			return 1;
		}
		zStatus = json_string_value(json_object_get(pRun, "status"));
		done = json_integer_value(json_object_get(pRun, "completed_jobs")) +
		       json_integer_value(json_object_get(pRun, "failed_jobs"));
		if (done != lastDone) {
			print_progress(stderr, pRun);
			lastDone = done;
		}
		if (!strcmp(zStatus, "completed")) {
			rc = 0;
		} else if (!strcmp(zStatus, "failed") || !strcmp(zStatus, "cancelled")) {
			rc = 1;
		}
		if (rc >= 0) {
			print_progress(stdout, pRun);
			json_decref(pRun);
			return rc;
		}
		json_decref(pRun);
		if (timeoutS > 0 && waited >= timeoutS * 1000) {
			fprintf(stderr, "valuerank: run %lld still %s after %lld s\n", (long long)runId, zStatus,
				(long long)timeoutS);
			return 1;
		}
		usleep(250000);
		waited += 250;
	}
}

/* Resolve the comma-separated --models list against the catalog; -1 with a message. */
static int resolve_models(const ModelCatalog *pCat, const char *zList, RunModel **paModel, int *pnModel)
{
	char *zCopy = xstrdup(zList), *zSave = NULL, *zRef;
	char zErr[300];
	int rc = 0;
	*paModel = NULL;
	*pnModel = 0;
	for (zRef = strtok_r(zCopy, ",", &zSave); zRef; zRef = strtok_r(NULL, ",", &zSave)) {
		const ModelConf *pModel;
		const char *zVersion;
		if (models_resolve_ref(pCat, zRef, &pModel, &zVersion, zErr, sizeof(zErr))) {
			fprintf(stderr, "valuerank run start: %s\n", zErr);
			rc = -1;
			break;
		}
		*paModel = xrealloc(*paModel, sizeof(RunModel) * (size_t)(*pnModel + 1));
		(*paModel)[*pnModel].zProvider = pModel->pProvider->zId;
		(*paModel)[*pnModel].zModel = pModel->zId;
		(*paModel)[*pnModel].zVersion = zVersion;
		(*pnModel)++;
	}
	free(zCopy);
	return rc;
}

int cmd_run_start(Cli *c)
{
	static const char zValued[] = "--definition --models --sample-pct --seed --samples --temperature "
				      "--max-tokens --cache --name --trigger-id --max-attempts --timeout";
	const char *zDef = cli_arg(c, "--definition"), *zModels = cli_arg(c, "--models");
	const char *zTemp = cli_arg(c, "--temperature"), *zCache = cli_arg(c, "--cache");
	const char *zTrigger = cli_arg(c, "--trigger-id");
	RunCreateSpec spec;
	RunModel *aModel = NULL;
	ModelCatalog *pCat = NULL;
	int64_t defId, pct = 100, seed = 0, samples = 1, maxTokens = 0, maxAttempts = 0, timeoutS = 0;
	int64_t runId = 0;
	int nModel = 0, existing = 0, rc = 1;
	char zErr[512], zTriggerBuf[40];
	Db *db;
	DbRc dbrc;
	if (check_args(c, "run start", zValued, "--wait", 0, NULL))
		return 2;
	if (!zDef || !zModels) {
		fprintf(stderr, "usage: valuerank run start --definition ID --models P:M[@V],... [--sample-pct P]"
				" [--seed S] [--samples N] [--temperature T] [--max-tokens N] [--cache on|off]"
				" [--name NAME] [--trigger-id ID] [--wait]\n");
		return 2;
	}
	if (parse_int64(zDef, 1, INT64_MAX, &defId)) {
		fprintf(stderr, "valuerank run start: --definition needs a definition id, not \"%s\"\n", zDef);
		return 2;
	}
	if (int_option(c, "--sample-pct", 1, 100, &pct) || int_option(c, "--seed", 0, INT64_MAX, &seed) ||
	    int_option(c, "--samples", 1, 100, &samples) ||
	    int_option(c, "--max-tokens", 1, 1000000, &maxTokens) ||
	    int_option(c, "--max-attempts", 1, 20, &maxAttempts) ||
	    int_option(c, "--timeout", 1, 86400 * 30, &timeoutS))
		return 2;
	memset(&spec, 0, sizeof(spec));
	if (zTemp) {
		if (parse_double(zTemp, 0, 2, &spec.temperature)) {
			fprintf(stderr, "valuerank run start: --temperature must be a number from 0 to 2, not \"%s\"\n",
				zTemp);
			return 2;
		}
		spec.hasTemperature = 1;
	}
	spec.cache = -1;
	if (zCache) {
		if (!strcmp(zCache, "on"))
			spec.cache = 1;
		else if (!strcmp(zCache, "off"))
			spec.cache = 0;
		else {
			fprintf(stderr, "valuerank run start: --cache must be on or off, not \"%s\"\n", zCache);
			return 2;
		}
	}
	pCat = models_load(c->config.zModels, zErr, sizeof(zErr));
	if (!pCat) {
		fprintf(stderr, "valuerank: %s\n", zErr);
		return 1;
	}
	if (resolve_models(pCat, zModels, &aModel, &nModel))
		goto out;
	if (!(db = cli_db(c, 0)))
		goto out;
	if (!zTrigger) {
		char zHex[17];
		random_hex(zHex, 8);
		snprintf(zTriggerBuf, sizeof(zTriggerBuf), "cli-%s", zHex);
		zTrigger = zTriggerBuf;
	}
	spec.definitionId = defId;
	spec.aModel = aModel;
	spec.nModel = nModel;
	spec.samplePct = (int)pct;
	spec.sampleSeed = seed;
	spec.samples = (int)samples;
	spec.maxTokens = (int)maxTokens;
	spec.maxAttempts = (int)maxAttempts;
	spec.zName = cli_arg(c, "--name");
	spec.zTriggerId = zTrigger;
	spec.zTriggerSource = "cli_tool";
	dbrc = store_run_create(db, &spec, &runId, &existing, zErr, sizeof(zErr));
	if (dbrc != DB_OK) {
		fprintf(stderr, "valuerank run start: %s\n", zErr);
		goto out;
	}
	printf("%lld\n", (long long)runId);
	fflush(stdout);
	if (!existing) {
		json_t *pDetails = json_pack("{s:s, s:s}", "trigger_id", zTrigger, "source", "cli_tool");
		char *zDetails = json_dumps(pDetails, JSON_COMPACT);
		cli_audit_run(c, runId, "run.start", zDetails);
		free(zDetails);
		json_decref(pDetails);
	}
	if (existing)
		fprintf(stderr, "valuerank: trigger id %s was already used: run %lld\n", zTrigger, (long long)runId);
	rc = cli_flag(c, "--wait") ? wait_for_run(db, runId, timeoutS) : 0;
out:
	free(aModel);
	models_free(pCat);
	return rc;
}

/* "completed with errors" for a completed run with failed jobs, else the status. */
static const char *status_label(json_t *pRun)
{
	const char *z = json_string_value(json_object_get(pRun, "status"));
	if (z && !strcmp(z, "completed") && json_integer_value(json_object_get(pRun, "failed_jobs")) > 0)
		return "completed with errors";
	return z ? z : "unknown";
}

static const char *text_or_dash(json_t *pObj, const char *zKey)
{
	const char *z = json_string_value(json_object_get(pObj, zKey));
	return z ? z : "-";
}

/* The run id positional argument; -1 with a message. */
static int64_t run_id_arg(Cli *c, const char *zCmd, const char *zFlags)
{
	const char *zId = NULL;
	int64_t id;
	if (check_args(c, zCmd, "", zFlags, 1, &zId))
		return -1;
	if (parse_int64(zId, 1, INT64_MAX, &id)) {
		fprintf(stderr, "valuerank %s: \"%s\" is not a run id\n", zCmd, zId);
		return -1;
	}
	return id;
}

int cmd_run_show(Cli *c)
{
	int64_t runId = run_id_arg(c, "run show", "--json");
	json_t *pRun, *pModel, *pConfig;
	size_t i;
	Db *db;
	if (runId < 0)
		return 2;
	if (!(db = cli_db(c, 0)))
		return 1;
	pRun = store_run_get(db, 0, runId);
	if (!pRun) {
		fprintf(stderr, "valuerank: run %lld not found\n", (long long)runId);
		return 1;
	}
	if (cli_flag(c, "--json")) {
		char *z = json_dumps(pRun, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", z);
		free(z);
		json_decref(pRun);
		return 0;
	}
	pConfig = json_object_get(pRun, "config");
	printf("run %lld: %s\n", (long long)runId, text_or_dash(pRun, "name"));
	printf("status: %s\n", status_label(pRun));
	printf("definition: %lld %s\n", (long long)json_integer_value(json_object_get(pRun, "definition_id")),
	       text_or_dash(pRun, "definition_name"));
	printf("jobs: %lld total, %lld done, %lld failed, %lld cancelled, %lld cache hits\n",
	       (long long)json_integer_value(json_object_get(pRun, "total_jobs")),
	       (long long)json_integer_value(json_object_get(pRun, "completed_jobs")),
	       (long long)json_integer_value(json_object_get(pRun, "failed_jobs")),
	       (long long)json_integer_value(json_object_get(pRun, "cancelled_jobs")),
	       (long long)json_integer_value(json_object_get(pRun, "cache_hits")));
	printf("sample: %lld%% seed %lld, %lld per scenario; temperature ",
	       (long long)json_integer_value(json_object_get(pConfig, "sample_pct")),
	       (long long)json_integer_value(json_object_get(pConfig, "sample_seed")),
	       (long long)json_integer_value(json_object_get(pConfig, "samples")));
	if (json_is_number(json_object_get(pConfig, "temperature")))
		printf("%g", json_number_value(json_object_get(pConfig, "temperature")));
	else
		printf("default");
	printf("; cache %s\n", json_is_true(json_object_get(pConfig, "cache")) ? "on" : "off");
	printf("created %s, started %s, completed %s, trigger %s (%s)\n", text_or_dash(pRun, "created_at"),
	       text_or_dash(pRun, "started_at"), text_or_dash(pRun, "completed_at"),
	       text_or_dash(pRun, "trigger_id"), text_or_dash(pRun, "trigger_source"));
	printf("models:\n");
	json_array_foreach(json_object_get(pRun, "models"), i, pModel)
		printf("  %s:%s@%s  %lld/%lld done, %lld failed, %lld queued, %lld in flight, %lld cancelled\n",
		       text_or_dash(pModel, "provider"), text_or_dash(pModel, "model_id"),
		       text_or_dash(pModel, "model_version"),
		       (long long)json_integer_value(json_object_get(pModel, "done")),
		       (long long)json_integer_value(json_object_get(pModel, "total")),
		       (long long)json_integer_value(json_object_get(pModel, "failed")),
		       (long long)json_integer_value(json_object_get(pModel, "queued")),
		       (long long)json_integer_value(json_object_get(pModel, "leased")),
		       (long long)json_integer_value(json_object_get(pModel, "cancelled")));
	json_decref(pRun);
	return 0;
}

int cmd_run_list(Cli *c)
{
	int64_t limit = 50;
	json_t *pRows, *pRow;
	size_t i;
	Db *db;
	if (check_args(c, "run list", "--limit", "", 0, NULL))
		return 2;
	if (cli_arg(c, "--limit") && parse_int64(cli_arg(c, "--limit"), 1, 100000, &limit)) {
		fprintf(stderr, "valuerank run list: --limit must be a whole number from 1 to 100000\n");
		return 2;
	}
	if (!(db = cli_db(c, 0)))
		return 1;
	pRows = store_run_list(db, 0, limit);
	if (!pRows) {
		fprintf(stderr, "valuerank: cannot list runs: %s\n", db_errmsg(db));
		return 1;
	}
	json_array_foreach(pRows, i, pRow)
		printf("%lld\t%s\t%lld/%lld\t%lld failed\t%s\t%s\n",
		       (long long)json_integer_value(json_object_get(pRow, "id")), status_label(pRow),
		       (long long)json_integer_value(json_object_get(pRow, "completed_jobs")),
		       (long long)json_integer_value(json_object_get(pRow, "total_jobs")),
		       (long long)json_integer_value(json_object_get(pRow, "failed_jobs")),
		       text_or_dash(pRow, "created_at"), text_or_dash(pRow, "name"));
	json_decref(pRows);
	return 0;
}

/* Shared body of pause/resume/cancel/retry-failed. */
static int run_status_command(Cli *c, const char *zCmd, const char *zAction,
			      DbRc (*xChange)(Db *, int64_t, int64_t, const char **))
{
	int64_t runId = run_id_arg(c, zCmd, "");
	const char *zStatus = NULL;
	Db *db;
	DbRc rc;
	if (runId < 0)
		return 2;
	if (!(db = cli_db(c, 0)))
		return 1;
	rc = xChange(db, 0, runId, &zStatus);
	if (rc == DB_NOTFOUND) {
		fprintf(stderr, "valuerank: run %lld not found\n", (long long)runId);
		return 1;
	}
	if (rc == DB_CONFLICT) {
		fprintf(stderr, "valuerank %s: run %lld is %s; it cannot be changed that way\n", zCmd,
			(long long)runId, zStatus ? zStatus : "in another state");
		return 1;
	}
	if (rc != DB_OK) {
		fprintf(stderr, "valuerank: cannot change run %lld: %s\n", (long long)runId, db_errmsg(db));
		return 1;
	}
	cli_audit_run(c, runId, zAction, NULL);
	printf("run %lld %s\n", (long long)runId, zStatus ? zStatus : "unknown");
	return 0;
}

int cmd_run_pause(Cli *c)
{
	return run_status_command(c, "run pause", "run.pause", store_run_pause);
}

int cmd_run_resume(Cli *c)
{
	return run_status_command(c, "run resume", "run.resume", store_run_resume);
}

int cmd_run_cancel(Cli *c)
{
	return run_status_command(c, "run cancel", "run.cancel", store_run_cancel);
}

int cmd_run_retry_failed(Cli *c)
{
	return run_status_command(c, "run retry-failed", "run.retry", store_run_retry_failed);
}
