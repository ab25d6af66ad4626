/* runs.c — SQL for runs: creation with all their jobs, reading, listing and status changes. */
#include "store/runs.h"
#include "domain/sampling.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW_ISO "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

static const char zRunListRecent[] =
	"SELECT r.id, r.name, r.status, r.total_jobs, r.completed_jobs, r.failed_jobs,"
	" r.created_at, r.definition_id, d.name AS definition_name"
	" FROM runs r JOIN definitions d ON d.id = r.definition_id"
	" WHERE r.tenant_id = ?1 ORDER BY r.id DESC LIMIT ?2";

json_t *store_run_list_recent(Db *db, int64_t tenantId, int64_t limit)
{
	return db_query(db, zRunListRecent, "ii", tenantId, limit);
}

static const char zRunList[] =
	"SELECT r.id, r.name, r.status, r.total_jobs, r.completed_jobs, r.failed_jobs,"
	" r.cancelled_jobs, r.created_at, r.definition_id, d.name AS definition_name"
	" FROM runs r JOIN definitions d ON d.id = r.definition_id"
	" WHERE ?1 = 0 OR r.tenant_id = ?1 ORDER BY r.id DESC LIMIT ?2";
static const char zRunByTrigger[] = "SELECT id FROM runs WHERE trigger_id = ?1";
static const char zDefinitionForRun[] =
	"SELECT id, tenant_id, name, content FROM definitions"
	" WHERE id = ?1 AND deleted_at IS NULL AND (?2 = 0 OR tenant_id = ?2)";
static const char zScenarioIds[] =
	"SELECT id FROM scenarios WHERE definition_id = ?1 ORDER BY idx";
static const char zRunInsert[] =
	"INSERT INTO runs(tenant_id, definition_id, parent_run_id, name, status, run_type, config,"
	" definition_snapshot, trigger_id, trigger_source, created_by, advisor_snapshot,"
	" created_at, queued_at)"
	" VALUES(?1, ?2, ?3, ?4, 'pending', 'standard', ?5, ?6, ?7, ?8, ?9, ?10, "
	NOW_ISO ", " NOW_ISO ")";
static const char zJobInsert[] =
	"INSERT INTO jobs(run_id, scenario_id, provider, model_id, model_version, sample_index,"
	" max_attempts) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char zRunSetTotal[] = "UPDATE runs SET total_jobs = ?2 WHERE id = ?1";
static const char zRunGet[] =
	"SELECT r.id, r.tenant_id, r.definition_id, r.parent_run_id, r.name, r.status, r.run_type,"
	" r.config AS config_json, r.trigger_id, r.trigger_source, r.created_by,"
	" r.advisor_snapshot AS advisor_snapshot_json, r.total_jobs, r.completed_jobs,"
	" r.failed_jobs, r.cancelled_jobs, r.created_at, r.queued_at, r.started_at,"
	" r.completed_at, r.summary, d.name AS definition_name"
	" FROM runs r JOIN definitions d ON d.id = r.definition_id"
	" WHERE r.id = ?1 AND (?2 = 0 OR r.tenant_id = ?2)";
static const char zRunModelProgress[] =
	"SELECT provider, model_id, model_version, count(*) AS total,"
	" SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END) AS queued,"
	" SUM(CASE WHEN state = 'leased' THEN 1 ELSE 0 END) AS leased,"
	" SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END) AS done,"
	" SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed,"
	" SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END) AS cancelled"
	" FROM jobs WHERE run_id = ?1 GROUP BY provider, model_id, model_version"
	" ORDER BY provider, model_id, model_version";
static const char zRunCacheHits[] =
	"SELECT count(*) FROM transcripts WHERE run_id = ?1 AND cache_hit = 1";
static const char zRunStatus[] =
	"SELECT status FROM runs WHERE id = ?1 AND (?2 = 0 OR tenant_id = ?2)";
static const char zRunPause[] =
	"UPDATE runs SET status = 'paused' WHERE id = ?1 AND status IN ('pending','running')";
static const char zRunResume[] =
	"UPDATE runs SET status = CASE WHEN started_at IS NULL THEN 'pending' ELSE 'running' END"
	" WHERE id = ?1 AND status = 'paused'";
static const char zJobsCancelQueued[] =
	"UPDATE jobs SET state = 'cancelled', finished_at = " NOW_ISO
	" WHERE run_id = ?1 AND state = 'queued'";
static const char zRunCancel[] =
	"UPDATE runs SET status = 'cancelled', cancelled_jobs = cancelled_jobs + ?2,"
	" completed_at = " NOW_ISO " WHERE id = ?1";
/* Attempts keep counting (so job_attempts numbers stay unique); the job gets a fresh allowance. */
static const char zJobsRetryFailed[] =
	"UPDATE jobs SET state = 'queued', max_attempts = attempts + ?2, not_before_ms = 0,"
	" finished_at = NULL WHERE run_id = ?1 AND state = 'failed'";
static const char zRunConfig[] = "SELECT config AS config_json FROM runs WHERE id = ?1";
static const char zRunRetryFailed[] =
	"UPDATE runs SET failed_jobs = failed_jobs - ?2, completed_at = NULL,"
	" status = CASE WHEN status IN ('completed','failed') THEN 'running' ELSE status END"
	" WHERE id = ?1";
/* Same rule as the executor's (jobs.c): every job finished ends the run. */
static const char zRunFinalize[] =
	"UPDATE runs SET status = CASE WHEN completed_jobs = 0 AND failed_jobs > 0 THEN 'failed'"
	" ELSE 'completed' END, completed_at = " NOW_ISO
	" WHERE id = ?1 AND status IN ('pending','running','paused')"
	" AND completed_jobs + failed_jobs + cancelled_jobs >= total_jobs";

json_t *store_run_list(Db *db, int64_t tenantId, int64_t limit)
{
	return db_query(db, zRunList, "ii", tenantId, limit);
}

/* The run config JSON stored in runs.config. New reference. */
static json_t *run_config_json(const RunCreateSpec *s, int cacheOn, int maxAttempts)
{
	json_t *pModels = json_array();
	int i;
	for (i = 0; i < s->nModel; i++)
		json_array_append_new(pModels, json_pack("{s:s, s:s, s:s}", "provider",
							 s->aModel[i].zProvider, "model",
							 s->aModel[i].zModel, "version",
							 s->aModel[i].zVersion));
	return json_pack("{s:o, s:i, s:I, s:i, s:o, s:o, s:b, s:i}", "models", pModels, "sample_pct",
			 s->samplePct, "sample_seed", (json_int_t)s->sampleSeed, "samples", s->samples,
			 "temperature", s->hasTemperature ? json_real(s->temperature) : json_null(),
			 "max_tokens", s->maxTokens > 0 ? json_integer(s->maxTokens) : json_null(),
			 "cache", cacheOn, "max_attempts", maxAttempts);
}

/* Check the parts of a spec that need no database; 0, or -1 with a sentence in zErr. */
static int spec_validate(const RunCreateSpec *s, char *zErr, size_t nErr)
{
	int i, j;
	if (!s->zTriggerId || !*s->zTriggerId || strlen(s->zTriggerId) > 200) {
		snprintf(zErr, nErr, "a run needs a trigger id of 1 to 200 characters");
		return -1;
	}
	if (!s->zTriggerSource ||
	    (strcmp(s->zTriggerSource, "web_form") && strcmp(s->zTriggerSource, "api_client") &&
	     strcmp(s->zTriggerSource, "cli_tool") && strcmp(s->zTriggerSource, "test_run"))) {
		snprintf(zErr, nErr, "trigger source must be web_form, api_client, cli_tool or test_run");
		return -1;
	}
	if (s->nModel < 1) {
		snprintf(zErr, nErr, "select at least one model");
		return -1;
	}
	for (i = 0; i < s->nModel; i++) {
		const RunModel *m = &s->aModel[i];
		if (!m->zProvider || !*m->zProvider || !m->zModel || !*m->zModel || !m->zVersion ||
		    !*m->zVersion) {
			snprintf(zErr, nErr, "model %d needs a provider, a model id and a version", i + 1);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(m->zProvider, s->aModel[j].zProvider) &&
			    !strcmp(m->zModel, s->aModel[j].zModel) &&
			    !strcmp(m->zVersion, s->aModel[j].zVersion)) {
				snprintf(zErr, nErr, "model %s:%s@%s is selected twice", m->zProvider,
					 m->zModel, m->zVersion);
				return -1;
			}
	}
	if (s->samplePct < SAMPLE_MIN_PCT || s->samplePct > SAMPLE_MAX_PCT) {
		snprintf(zErr, nErr, "sample percentage must be from 1 to 100, not %d", s->samplePct);
		return -1;
	}
	if (s->samples < 1 || s->samples > 100) {
		snprintf(zErr, nErr, "samples per scenario must be from 1 to 100, not %d", s->samples);
		return -1;
	}
	if (s->hasTemperature && !(s->temperature >= 0 && s->temperature <= 2)) {
		snprintf(zErr, nErr, "temperature must be from 0 to 2");
		return -1;
	}
	if (s->maxTokens < 0 || s->maxTokens > 1000000) {
		snprintf(zErr, nErr, "max tokens must be from 1 to 1000000");
		return -1;
	}
	if (s->maxAttempts < 0 || s->maxAttempts > 20) {
		snprintf(zErr, nErr, "max attempts must be from 1 to 20");
		return -1;
	}
	return 0;
}

/* Insert the jobs of a new run; returns DB_OK and the count in *pnJobs. */
static DbRc insert_jobs(Db *db, int64_t runId, const RunCreateSpec *s, json_t *pScenarioIds,
			int maxAttempts, int64_t *pnJobs)
{
	int64_t nScenario = (int64_t)json_array_size(pScenarioIds), nPicked = 0, k;
	int64_t *aPick = sample_pick(nScenario, s->samplePct, (uint64_t)s->sampleSeed, &nPicked);
	DbRc rc = DB_OK;
	int m, sample;
	*pnJobs = 0;
	for (k = 0; k < nPicked && rc == DB_OK; k++) {
		json_t *pRow = json_array_get(pScenarioIds, (size_t)aPick[k]);
		int64_t scenarioId = json_integer_value(json_object_get(pRow, "id"));
		for (m = 0; m < s->nModel && rc == DB_OK; m++)
			for (sample = 0; sample < s->samples && rc == DB_OK; sample++) {
				rc = db_exec(db, zJobInsert, "iitttii", runId, scenarioId,
					     s->aModel[m].zProvider, s->aModel[m].zModel,
					     s->aModel[m].zVersion, (int64_t)sample, (int64_t)maxAttempts);
				(*pnJobs)++;
			}
	}
	free(aPick);
	return rc;
}

DbRc store_run_create(Db *db, const RunCreateSpec *s, int64_t *pRunId, int *pExisting,
		      char *zErr, size_t nErr)
{
	json_t *pDef = NULL, *pScenarioIds = NULL, *pConfig = NULL;
	int64_t runId, nJobs = 0;
	int maxAttempts = s->maxAttempts > 0 ? s->maxAttempts : 5;
	int cacheOn;
	char zName[512];
	DbRc rc;
	*pRunId = 0;
	*pExisting = 0;
	if (spec_validate(s, zErr, nErr))
		return DB_CONFLICT;
	cacheOn = s->cache >= 0 ? s->cache : (s->hasTemperature && s->temperature == 0);
	if ((rc = db_begin(db)) != DB_OK) {
		snprintf(zErr, nErr, "cannot start a transaction: %s", db_errmsg(db));
		return rc;
	}
	/* Inside the write lock, so two submits of one trigger id cannot both miss. */
	runId = db_query_int(db, 0, zRunByTrigger, "t", s->zTriggerId);
	if (runId > 0) {
		*pRunId = runId;
		*pExisting = 1;
		goto out;
	}
	pDef = db_query_one(db, zDefinitionForRun, "ii", s->definitionId, s->tenantId);
	if (!pDef) {
		snprintf(zErr, nErr, "definition %lld not found", (long long)s->definitionId);
		rc = DB_NOTFOUND;
		goto out;
	}
	pScenarioIds = db_query(db, zScenarioIds, "i", s->definitionId);
	if (!pScenarioIds) {
		rc = DB_ERROR;
		snprintf(zErr, nErr, "cannot read scenarios: %s", db_errmsg(db));
		goto out;
	}
	if (json_array_size(pScenarioIds) == 0) {
		snprintf(zErr, nErr, "definition %lld has no scenarios", (long long)s->definitionId);
		rc = DB_CONFLICT;
		goto out;
	}
	if (s->zName && *s->zName) {
		str_copy(zName, sizeof(zName), s->zName);
	} else {
		char zNow[TIME_ISO_LEN];
		time_iso_now(zNow);
		snprintf(zName, sizeof(zName), "%.200s %.10s",
			 json_string_value(json_object_get(pDef, "name")), zNow);
	}
	pConfig = run_config_json(s, cacheOn, maxAttempts);
	{
		char zTypes[] = "iiitjttt" "ij";
		int64_t tenantId = json_integer_value(json_object_get(pDef, "tenant_id"));
		if (s->parentRunId <= 0)
			zTypes[2] = 'n';
		if (s->createdBy <= 0)
			zTypes[8] = 'n';
		/* 'n' takes no argument, so the variants bind different argument lists. */
		if (s->parentRunId > 0 && s->createdBy > 0)
			rc = db_exec(db, zRunInsert, zTypes, tenantId, s->definitionId, s->parentRunId,
				     zName, pConfig, json_string_value(json_object_get(pDef, "content")),
				     s->zTriggerId, s->zTriggerSource, s->createdBy, s->pAdvisor);
		else if (s->parentRunId > 0)
			rc = db_exec(db, zRunInsert, zTypes, tenantId, s->definitionId, s->parentRunId,
				     zName, pConfig, json_string_value(json_object_get(pDef, "content")),
				     s->zTriggerId, s->zTriggerSource, s->pAdvisor);
		else if (s->createdBy > 0)
			rc = db_exec(db, zRunInsert, zTypes, tenantId, s->definitionId, zName, pConfig,
				     json_string_value(json_object_get(pDef, "content")), s->zTriggerId,
				     s->zTriggerSource, s->createdBy, s->pAdvisor);
		else
			rc = db_exec(db, zRunInsert, zTypes, tenantId, s->definitionId, zName, pConfig,
				     json_string_value(json_object_get(pDef, "content")), s->zTriggerId,
				     s->zTriggerSource, s->pAdvisor);
	}
	if (rc != DB_OK) {
		snprintf(zErr, nErr, "cannot create the run: %s", db_errmsg(db));
		goto out;
	}
	runId = db_last_insert_id(db);
	if ((rc = insert_jobs(db, runId, s, pScenarioIds, maxAttempts, &nJobs)) != DB_OK ||
	    (rc = db_exec(db, zRunSetTotal, "ii", runId, nJobs)) != DB_OK) {
		snprintf(zErr, nErr, "cannot create the run's jobs: %s", db_errmsg(db));
		goto out;
	}
	*pRunId = runId;
out:
	json_decref(pDef);
	json_decref(pScenarioIds);
	json_decref(pConfig);
	if (rc == DB_OK && (rc = db_commit(db)) == DB_OK)
		return DB_OK;
	db_rollback(db);
	*pRunId = 0;
	*pExisting = 0;
	return rc;
}

json_t *store_run_get(Db *db, int64_t tenantId, int64_t runId)
{
	json_t *pRun = db_query_one(db, zRunGet, "ii", runId, tenantId), *pModels;
	if (!pRun)
		return NULL;
	pModels = db_query(db, zRunModelProgress, "i", runId);
	json_object_set_new(pRun, "models", pModels ? pModels : json_array());
	json_object_set_new(pRun, "cache_hits", json_integer(db_query_int(db, 0, zRunCacheHits, "i", runId)));
	return pRun;
}

/* The static spelling of a status text (so callers need not free it). */
static const char *status_static(const char *z)
{
	static const char *const azStatus[] = {"pending", "running", "paused", "completed", "failed",
					       "cancelled"};
	size_t i;
	for (i = 0; z && i < ARRAY_SIZE(azStatus); i++)
		if (strcmp(z, azStatus[i]) == 0)
			return azStatus[i];
	return "unknown";
}

/* The run's current status (static), or NULL when there is no such run for the tenant. */
static const char *run_status(Db *db, int64_t tenantId, int64_t runId)
{
	json_t *pRow = db_query_one(db, zRunStatus, "ii", runId, tenantId);
	const char *z;
	if (!pRow)
		return NULL;
	z = status_static(json_string_value(json_object_get(pRow, "status")));
	json_decref(pRow);
	return z;
}

/* Which change a status function makes. */
typedef enum RunChange { RUN_PAUSE, RUN_RESUME, RUN_CANCEL, RUN_RETRY_FAILED } RunChange;

/* The writes of one change given the current status; DB_CONFLICT when not allowed. */
static DbRc run_change_writes(Db *db, int64_t runId, RunChange change, const char *zStatus)
{
	int active = !strcmp(zStatus, "pending") || !strcmp(zStatus, "running");
	DbRc rc;
	int n;
	switch (change) {
	case RUN_PAUSE:
		if (!strcmp(zStatus, "paused"))
			return DB_OK;
		return active ? db_exec(db, zRunPause, "i", runId) : DB_CONFLICT;
	case RUN_RESUME:
		if (active)
			return DB_OK;
		if (strcmp(zStatus, "paused"))
			return DB_CONFLICT;
		if ((rc = db_exec(db, zRunResume, "i", runId)) != DB_OK)
			return rc;
		return db_exec(db, zRunFinalize, "i", runId);
	case RUN_CANCEL:
		if (!strcmp(zStatus, "cancelled"))
			return DB_OK;
		if (!active && strcmp(zStatus, "paused"))
			return DB_CONFLICT;
		if ((rc = db_exec(db, zJobsCancelQueued, "i", runId)) != DB_OK)
			return rc;
		n = db_changes(db);
		return db_exec(db, zRunCancel, "ii", runId, (int64_t)n);
	case RUN_RETRY_FAILED: {
		json_t *pRow;
		int64_t maxAttempts = 5;
		if (!strcmp(zStatus, "cancelled"))
			return DB_CONFLICT;
		pRow = db_query_one(db, zRunConfig, "i", runId);
		if (pRow && json_integer_value(json_object_get(json_object_get(pRow, "config"), "max_attempts")) > 0)
			maxAttempts = json_integer_value(json_object_get(json_object_get(pRow, "config"), "max_attempts"));
		json_decref(pRow);
		if ((rc = db_exec(db, zJobsRetryFailed, "ii", runId, maxAttempts)) != DB_OK)
			return rc;
		n = db_changes(db);
		return n > 0 ? db_exec(db, zRunRetryFailed, "ii", runId, (int64_t)n) : DB_OK;
	}
	}
	return DB_ERROR;
}

/* Apply one status change in a transaction (see runs.h). */
static DbRc run_change(Db *db, int64_t tenantId, int64_t runId, RunChange change, const char **pzStatus)
{
	const char *zStatus;
	DbRc rc = db_begin(db);
	if (pzStatus)
		*pzStatus = NULL;
	if (rc != DB_OK)
		return rc;
	zStatus = run_status(db, tenantId, runId);
	if (!zStatus) {
		db_rollback(db);
		return DB_NOTFOUND;
	}
	rc = run_change_writes(db, runId, change, zStatus);
	if (rc == DB_OK)
		zStatus = run_status(db, tenantId, runId);
	if (rc == DB_OK && (rc = db_commit(db)) == DB_OK) {
		if (pzStatus)
			*pzStatus = zStatus;
		return DB_OK;
	}
	if (pzStatus)
		*pzStatus = zStatus;
	db_rollback(db);
	return rc;
}

DbRc store_run_pause(Db *db, int64_t tenantId, int64_t runId, const char **pzStatus)
{
	return run_change(db, tenantId, runId, RUN_PAUSE, pzStatus);
}

DbRc store_run_resume(Db *db, int64_t tenantId, int64_t runId, const char **pzStatus)
{
	return run_change(db, tenantId, runId, RUN_RESUME, pzStatus);
}

DbRc store_run_cancel(Db *db, int64_t tenantId, int64_t runId, const char **pzStatus)
{
	return run_change(db, tenantId, runId, RUN_CANCEL, pzStatus);
}

DbRc store_run_retry_failed(Db *db, int64_t tenantId, int64_t runId, const char **pzStatus)
{
	return run_change(db, tenantId, runId, RUN_RETRY_FAILED, pzStatus);
}
