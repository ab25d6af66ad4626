/* results.c — SQL for the run, transcript and task pages: header extras, results, tasks, attempts. */
#include "store/results.h"

#include <stdlib.h>
#include <string.h>

#define NOW_ISO "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

static const char zRunHeader[] =
	"SELECT d.version AS definition_version, d.deleted_at IS NOT NULL AS definition_deleted,"
	" u.email AS created_by_email, p.id AS parent_id, p.name AS parent_name,"
	" p.status AS parent_status"
	" FROM runs r JOIN definitions d ON d.id = r.definition_id"
	" LEFT JOIN users u ON u.id = r.created_by"
	" LEFT JOIN runs p ON p.id = r.parent_run_id AND p.tenant_id = r.tenant_id"
	" WHERE r.id = ?1 AND r.tenant_id = ?2";
static const char zRunChildren[] =
	"SELECT id, name, status, created_at FROM runs"
	" WHERE parent_run_id = ?1 AND tenant_id = ?2 ORDER BY id";
/* Touch at most once a minute: a page that refreshes every 5 s must not queue for the
 * write lock (valuerankd writes constantly) just to store the same minute again. */
#define STALE_ISO "strftime('%Y-%m-%dT%H:%M:%SZ','now','-60 seconds')"
static const char zRunTouchNeeded[] =
	"SELECT count(*) FROM runs WHERE id = ?1 AND tenant_id = ?2"
	" AND (last_accessed_at IS NULL OR last_accessed_at < " STALE_ISO ")";
static const char zRunExists[] = "SELECT count(*) FROM runs WHERE id = ?1 AND tenant_id = ?2";
static const char zRunTouch[] =
	"UPDATE runs SET last_accessed_at = " NOW_ISO " WHERE id = ?1 AND tenant_id = ?2";
/* The scenarios a run's transcripts use, each once, by id (matches zScoreGroups' order). */
static const char zRunScenarios[] =
	"SELECT s.id, s.name, s.dimension_scores AS dims_json FROM scenarios s"
	" WHERE s.id IN (SELECT DISTINCT scenario_id FROM transcripts WHERE run_id = ?1)"
	" ORDER BY s.id";
static const char zScoreGroups[] =
	"SELECT scenario_id, model_id, decision, count(*) AS n FROM transcripts"
	" WHERE run_id = ?1 GROUP BY scenario_id, model_id, decision ORDER BY scenario_id, model_id, decision";
static const char zModelTotals[] =
	"SELECT provider, model_id,"
	" group_concat(DISTINCT coalesce(nullif(model_version, ''), 'unknown')) AS versions,"
	" count(*) AS n, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,"
	" sum(cost_usd) AS cost_usd,"
	" sum(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END) AS n_cost_unknown,"
	" sum(cache_hit) AS cache_hits, CAST(avg(duration_ms) AS INTEGER) AS mean_duration_ms"
	" FROM transcripts WHERE run_id = ?1 GROUP BY model_id, provider ORDER BY model_id, provider";
static const char zRateLimited[] =
	"SELECT provider, rate_limited_until FROM provider_status"
	" WHERE rate_limited_until IS NOT NULL AND rate_limited_until > " NOW_ISO
	" ORDER BY provider";
/* ?2/?3 NULL mean "any": one statement serves every filter combination. */
static const char zTaskPage[] =
	"SELECT j.id, j.scenario_id, s.name AS scenario, j.provider, j.model_id, j.model_version,"
	" j.sample_index, j.state, j.attempts, j.max_attempts, j.duration_ms, j.cache_hit,"
	" j.last_error, j.last_error_class, t.id AS transcript_id"
	" FROM jobs j JOIN scenarios s ON s.id = j.scenario_id"
	" LEFT JOIN transcripts t ON t.job_id = j.id"
	" WHERE j.run_id = ?1 AND (?2 IS NULL OR j.state = ?2) AND (?3 IS NULL OR j.model_id = ?3)"
	" ORDER BY j.id LIMIT ?4 OFFSET ?5";
static const char zTaskCount[] =
	"SELECT count(*) FROM jobs j WHERE j.run_id = ?1 AND (?2 IS NULL OR j.state = ?2)"
	" AND (?3 IS NULL OR j.model_id = ?3)";
static const char zTaskGet[] =
	"SELECT j.id, j.run_id, j.scenario_id, s.name AS scenario, j.provider, j.model_id,"
	" j.model_version, j.sample_index, j.state, j.attempts, j.max_attempts, j.last_error,"
	" j.last_error_class, j.started_at, j.finished_at, j.duration_ms, j.cache_hit,"
	" r.name AS run_name, t.id AS transcript_id, t.request, t.response, t.turns AS turns_json"
	" FROM jobs j JOIN runs r ON r.id = j.run_id JOIN scenarios s ON s.id = j.scenario_id"
	" LEFT JOIN transcripts t ON t.job_id = j.id"
	" WHERE j.id = ?1 AND j.run_id = ?2 AND r.tenant_id = ?3";
static const char zTaskAttempts[] =
	"SELECT attempt, worker_id, started_at, duration_ms, http_status, error_class, message"
	" FROM job_attempts WHERE job_id = ?1 ORDER BY id";
static const char zTranscriptGet[] =
	"SELECT t.id, t.run_id, t.job_id, t.scenario_id, t.provider, t.model_id, t.model_version,"
	" t.sample_index, t.turns AS turns_json, t.request, t.response, t.turn_count, t.word_count,"
	" t.input_tokens, t.output_tokens, t.cost_usd, t.decision, t.decision_value,"
	" t.decision_class, t.decision_details AS decision_details_json, t.duration_ms,"
	" t.cache_hit, t.temperature_dropped, t.created_at, t.last_accessed_at,"
	" s.name AS scenario, s.dimension_scores AS dimension_scores_json, s.preamble, s.prompt,"
	" r.name AS run_name, r.definition_id"
	" FROM transcripts t JOIN runs r ON r.id = t.run_id JOIN scenarios s ON s.id = t.scenario_id"
	" WHERE t.id = ?1 AND r.tenant_id = ?2";
static const char zTranscriptTouchNeeded[] =
	"SELECT count(*) FROM transcripts WHERE id = ?1"
	" AND run_id IN (SELECT id FROM runs WHERE tenant_id = ?2)"
	" AND (last_accessed_at IS NULL OR last_accessed_at < " STALE_ISO ")";
static const char zTranscriptExists[] =
	"SELECT count(*) FROM transcripts WHERE id = ?1"
	" AND run_id IN (SELECT id FROM runs WHERE tenant_id = ?2)";
static const char zTranscriptTouch[] =
	"UPDATE transcripts SET last_accessed_at = " NOW_ISO
	" WHERE id = ?1 AND run_id IN (SELECT id FROM runs WHERE tenant_id = ?2)";
static const char zFirstTranscripts[] =
	"SELECT scenario_id, model_id, min(id) AS transcript_id FROM transcripts"
	" WHERE run_id = ?1 AND scenario_id BETWEEN ?2 AND ?3 GROUP BY scenario_id, model_id";

json_t *store_run_header(Db *db, int64_t tenantId, int64_t runId)
{
	json_t *pHead = db_query_one(db, zRunHeader, "ii", runId, tenantId), *pChildren;
	if (!pHead)
		return NULL;
	json_object_set_new(pHead, "definition_deleted",
			    json_boolean(json_integer_value(json_object_get(pHead, "definition_deleted"))));
	pChildren = db_query(db, zRunChildren, "ii", runId, tenantId);
	json_object_set_new(pHead, "children", pChildren ? pChildren : json_array());
	return pHead;
}

DbRc store_run_touch(Db *db, int64_t tenantId, int64_t runId)
{
	DbRc rc;
	if (db_query_int(db, 0, zRunTouchNeeded, "ii", runId, tenantId) == 0)
		return db_query_int(db, 0, zRunExists, "ii", runId, tenantId) > 0 ? DB_OK : DB_NOTFOUND;
	rc = db_exec(db, zRunTouch, "ii", runId, tenantId);
	if (rc == DB_OK && db_changes(db) == 0)
		return DB_NOTFOUND;
	return rc;
}

DbRc store_run_feed_scores(Db *db, int64_t runId, ScoreAcc *pAcc)
{
	json_t *pScenarios = db_query(db, zRunScenarios, "i", runId), *pRow;
	DbCursor *pCur;
	size_t iScenario = 0, nScenario;
	int step;
	if (!pScenarios)
		return DB_ERROR;
	nScenario = json_array_size(pScenarios);
	pCur = db_cursor_open(db, zScoreGroups, "i", runId);
	if (!pCur) {
		json_decref(pScenarios);
		return DB_ERROR;
	}
	while ((step = db_cursor_next(pCur, &pRow)) == 1) {
		int64_t scenarioId = json_integer_value(json_object_get(pRow, "scenario_id"));
		int64_t n = json_integer_value(json_object_get(pRow, "n")), k;
		const char *zModel = json_string_value(json_object_get(pRow, "model_id"));
		const char *zCode = json_string_value(json_object_get(pRow, "decision"));
		json_t *pScenario = NULL;
		/* Both lists are ordered by scenario id: walk them together. */
		while (iScenario < nScenario &&
		       json_integer_value(json_object_get(json_array_get(pScenarios, iScenario), "id")) <
			       scenarioId)
			iScenario++;
		if (iScenario < nScenario &&
		    json_integer_value(json_object_get(json_array_get(pScenarios, iScenario), "id")) ==
			    scenarioId)
			pScenario = json_array_get(pScenarios, iScenario);
		for (k = 0; k < n; k++)
			scores_add_code(pAcc, zModel, json_string_value(json_object_get(pScenario, "name")),
					scenarioId, zCode, json_object_get(pScenario, "dims"));
	}
	db_cursor_close(pCur);
	json_decref(pScenarios);
	return step < 0 ? DB_ERROR : DB_OK;
}

json_t *store_run_model_totals(Db *db, int64_t runId)
{
	return db_query(db, zModelTotals, "i", runId);
}

json_t *store_rate_limited_providers(Db *db)
{
	return db_query(db, zRateLimited, "");
}

json_t *store_run_tasks(Db *db, int64_t runId, const char *zState, const char *zModel,
			int64_t limit, int64_t offset, int64_t *pnTotal)
{
	if (zState && !*zState)
		zState = NULL;
	if (zModel && !*zModel)
		zModel = NULL;
	*pnTotal = db_query_int(db, 0, zTaskCount, "itt", runId, zState, zModel);
	return db_query(db, zTaskPage, "ittii", runId, zState, zModel, limit, offset);
}

json_t *store_task_get(Db *db, int64_t tenantId, int64_t runId, int64_t jobId)
{
	json_t *pTask = db_query_one(db, zTaskGet, "iii", jobId, runId, tenantId), *pAttempts;
	if (!pTask)
		return NULL;
	pAttempts = db_query(db, zTaskAttempts, "i", jobId);
	json_object_set_new(pTask, "attempts_list", pAttempts ? pAttempts : json_array());
	return pTask;
}

json_t *store_transcript_get(Db *db, int64_t tenantId, int64_t transcriptId)
{
	return db_query_one(db, zTranscriptGet, "ii", transcriptId, tenantId);
}

DbRc store_transcript_touch(Db *db, int64_t tenantId, int64_t transcriptId)
{
	DbRc rc;
	if (db_query_int(db, 0, zTranscriptTouchNeeded, "ii", transcriptId, tenantId) == 0)
		return db_query_int(db, 0, zTranscriptExists, "ii", transcriptId, tenantId) > 0
			       ? DB_OK : DB_NOTFOUND;
	rc = db_exec(db, zTranscriptTouch, "ii", transcriptId, tenantId);
	if (rc == DB_OK && db_changes(db) == 0)
		return DB_NOTFOUND;
	return rc;
}

json_t *store_run_first_transcripts(Db *db, int64_t runId, int64_t fromId, int64_t toId)
{
	return db_query(db, zFirstTranscripts, "iii", runId, fromId, toId);
}
