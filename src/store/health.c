/* health.c — SQL behind /settings: executors, queue depth, throughput, provider status, database file, test runs. */
#include "store/health.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define HOUR_AGO_ISO "strftime('%Y-%m-%dT%H:%M:%SZ','now','-1 hour')"

static const char zHealthWorkers[] =
	"SELECT w.id, w.host, w.pid, w.version, w.started_at, w.heartbeat_at, w.heartbeat_ms,"
	" w.in_flight, w.done_count, w.failed_count, w.stopped_at,"
	" (w.stopped_at IS NULL AND w.heartbeat_ms < ?1 - ?2) AS offline,"
	" (w.stopped_at IS NOT NULL) AS stopped,"
	" max(0, (?1 - w.heartbeat_ms) / 1000) AS heartbeat_age_s,"
	" (SELECT count(*) FROM job_attempts a WHERE a.started_at >= " HOUR_AGO_ISO
	"  AND a.worker_id = w.id AND a.error_class IS NULL) AS done_hour,"
	" (SELECT count(*) FROM job_attempts a WHERE a.started_at >= " HOUR_AGO_ISO
	"  AND a.worker_id = w.id AND a.error_class IS NOT NULL) AS failed_hour"
	" FROM workers w WHERE w.heartbeat_ms >= ?1 - 86400000"
	" ORDER BY w.stopped_at IS NOT NULL, w.heartbeat_ms DESC, w.id";
static const char zHealthQueue[] =
	"SELECT provider, sum(state = 'queued') AS queued, sum(state = 'leased') AS leased"
	" FROM jobs WHERE state IN ('queued','leased') GROUP BY provider ORDER BY provider";
static const char zHealthThroughput[] =
	"SELECT j.provider, sum(a.error_class IS NULL) AS done_hour,"
	" sum(a.error_class IS NOT NULL) AS failed_hour"
	" FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
	" WHERE a.started_at >= " HOUR_AGO_ISO " GROUP BY j.provider ORDER BY j.provider";
static const char zHealthProviders[] =
	"SELECT provider, configured, connected, checked_at, latency_ms, error, check_requested_at,"
	" rate_limited_until FROM provider_status ORDER BY provider";
static const char zPragmaJournalMode[] = "PRAGMA journal_mode";
static const char zPragmaPageSize[] = "PRAGMA page_size";
static const char zPragmaPageCount[] = "PRAGMA page_count";
static const char zPragmaFreelist[] = "PRAGMA freelist_count";
static const char zTestRunTrim[] =
	"DELETE FROM jobs WHERE run_id = ?1 AND id <> (SELECT j.id FROM jobs j"
	" JOIN scenarios s ON s.id = j.scenario_id WHERE j.run_id = ?1 ORDER BY s.idx, j.id LIMIT 1)";
static const char zTestRunTotal[] = "UPDATE runs SET total_jobs = 1 WHERE id = ?1";
static const char zTestRunLatest[] =
	"SELECT r.id, r.name, r.status, r.created_at, r.completed_at, j.provider, j.model_id,"
	" j.model_version, j.state AS job_state, j.attempts, j.last_error, j.last_error_class,"
	" x.id AS transcript_id, x.decision, x.decision_class, x.duration_ms, x.input_tokens,"
	" x.output_tokens, x.cost_usd, x.turns AS turns_json"
	" FROM runs r LEFT JOIN jobs j ON j.run_id = r.id LEFT JOIN transcripts x ON x.job_id = j.id"
	" WHERE r.tenant_id = ?1 AND r.trigger_source = 'test_run' ORDER BY r.id DESC LIMIT 1";
static const char zTestDefinitions[] =
	"SELECT id, name, version, scenario_count FROM definitions"
	" WHERE tenant_id = ?1 AND deleted_at IS NULL AND scenario_count > 0 AND error_count = 0"
	" ORDER BY scenario_count, id LIMIT 200";

json_t *store_health_workers(Db *db, int64_t nowMs, int64_t offlineMs)
{
	return db_query(db, zHealthWorkers, "ii", nowMs, offlineMs);
}

/* The row of pRows whose "provider" is zProvider, or NULL (borrowed). */
static json_t *row_for_provider(json_t *pRows, const char *zProvider)
{
	json_t *pRow;
	size_t i;
	json_array_foreach(pRows, i, pRow) {
		const char *z = json_string_value(json_object_get(pRow, "provider"));
		if (z && !strcmp(z, zProvider))
			return pRow;
	}
	return NULL;
}

json_t *store_health_queue(Db *db)
{
	json_t *pQueue = db_query(db, zHealthQueue, ""), *pDone = db_query(db, zHealthThroughput, "");
	json_t *pRow;
	size_t i;
	if (!pQueue || !pDone) {
		json_decref(pQueue);
		json_decref(pDone);
		return NULL;
	}
	json_array_foreach(pQueue, i, pRow) {
		json_object_set_new(pRow, "done_hour", json_integer(0));
		json_object_set_new(pRow, "failed_hour", json_integer(0));
	}
	json_array_foreach(pDone, i, pRow) {
		const char *zProvider = json_string_value(json_object_get(pRow, "provider"));
		json_t *pTarget = zProvider ? row_for_provider(pQueue, zProvider) : NULL;
		if (!zProvider)
			continue;
		if (!pTarget) {
			pTarget = json_pack("{s:s, s:i, s:i}", "provider", zProvider, "queued", 0, "leased", 0);
			json_array_append_new(pQueue, pTarget);
		}
		json_object_set(pTarget, "done_hour", json_object_get(pRow, "done_hour"));
		json_object_set(pTarget, "failed_hour", json_object_get(pRow, "failed_hour"));
	}
	json_decref(pDone);
	return pQueue;
}

json_t *store_health_providers(Db *db)
{
	return db_query(db, zHealthProviders, "");
}

/* Size in bytes of the file at zPath, or 0 when it does not exist. */
static int64_t file_size(const char *zPath)
{
	struct stat st;
	return stat(zPath, &st) == 0 ? (int64_t)st.st_size : 0;
}

json_t *store_health_database(Db *db)
{
	json_t *pOut = json_object(), *pMode = db_query_one(db, zPragmaJournalMode, "");
	const char *zPath = db_path(db);
	char zWal[4200];
	snprintf(zWal, sizeof(zWal), "%s-wal", zPath);
	json_object_set_new(pOut, "path", json_string(zPath));
	json_object_set_new(pOut, "size_bytes", json_integer(file_size(zPath)));
	json_object_set_new(pOut, "wal_bytes", json_integer(file_size(zWal)));
	json_object_set(pOut, "journal_mode",
			pMode && json_object_get(pMode, "journal_mode") ? json_object_get(pMode, "journal_mode")
									: json_null());
	json_object_set_new(pOut, "page_size", json_integer(db_query_int(db, 0, zPragmaPageSize, "")));
	json_object_set_new(pOut, "page_count", json_integer(db_query_int(db, 0, zPragmaPageCount, "")));
	json_object_set_new(pOut, "freelist_count",
			    json_integer(db_query_int(db, 0, zPragmaFreelist, "")));
	json_decref(pMode);
	return pOut;
}

DbRc store_test_run_create(Db *db, const RunCreateSpec *pSpec, int64_t *pRunId, char *zErr,
			   size_t nErr)
{
	int existing = 0;
	DbRc rc = db_begin(db);
	*pRunId = 0;
	if (rc != DB_OK) {
		snprintf(zErr, nErr, "cannot start a transaction: %s", db_errmsg(db));
		return rc;
	}
	rc = store_run_create(db, pSpec, pRunId, &existing, zErr, nErr);
	if (rc == DB_OK && !existing) {
		if ((rc = db_exec(db, zTestRunTrim, "i", *pRunId)) == DB_OK)
			rc = db_exec(db, zTestRunTotal, "i", *pRunId);
		if (rc != DB_OK)
			snprintf(zErr, nErr, "cannot trim the test run to one job: %s", db_errmsg(db));
	}
	if (rc == DB_OK && (rc = db_commit(db)) == DB_OK)
		return DB_OK;
	db_rollback(db);
	*pRunId = 0;
	return rc;
}

json_t *store_test_run_latest(Db *db, int64_t tenantId)
{
	return db_query_one(db, zTestRunLatest, "i", tenantId);
}

json_t *store_health_test_definitions(Db *db, int64_t tenantId)
{
	return db_query(db, zTestDefinitions, "i", tenantId);
}
