/* jobs.c — SQL for the executor: leases, results, attempts, workers, provider status and the response cache. */
#include "store/jobs.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <string.h>

#define NOW_ISO "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

/*
 * The executor's write connection writes a lot: it leaves checkpoints to a
 * separate connection (store_wal_checkpoint) so that a commit never waits for
 * one, caches more pages, and keeps the statement journals of the per-result
 * savepoints in memory (on disk they cost one write per page touched).
 *
 * It also skips CHECK constraints. SQLite evaluates `state IN ('queued',
 * 'leased', 'done', 'failed', 'cancelled')` by building a temporary b-tree
 * each time a row's state changes, which cost about 6% of the executor's CPU.
 * Every state and status this connection writes is a literal in the
 * statements of this file; the web app and the CLI keep the constraints.
 */
static const char zTuneChecks[] = "PRAGMA ignore_check_constraints = ON";
static const char zTuneCheckpoint[] = "PRAGMA wal_autocheckpoint = 0";
static const char zWalCheckpoint[] = "PRAGMA wal_checkpoint(PASSIVE)";
static const char zTuneCache[] = "PRAGMA cache_size = -32768";
static const char zTuneTemp[] = "PRAGMA temp_store = MEMORY";

/*
 * Claims go run by run, oldest run first (runs_status finds the active ones).
 * Within a run, jobs_run_claim (run_id, state, provider, not_before_ms, then
 * rowid) is walked in order and the walk stops after ?5 rows: oldest first,
 * without sorting the queue. The jobs of a paused run are never visited, so
 * however large it is, it costs the claims of other runs nothing.
 */
static const char zClaimRuns[] =
	"SELECT id FROM runs WHERE status IN ('pending','running') ORDER BY id";
static const char zJobClaim[] =
	"UPDATE jobs SET state = 'leased', lease_owner = ?1, lease_expires_ms = ?2,"
	" attempts = attempts + 1, started_at = COALESCE(started_at, " NOW_ISO ")"
	" WHERE id IN (SELECT id FROM jobs WHERE run_id = ?6 AND state = 'queued' AND provider = ?3"
	"  AND not_before_ms <= ?4 AND attempts < max_attempts ORDER BY not_before_ms, id LIMIT ?5)"
	" RETURNING id, run_id, scenario_id, provider, model_id, model_version, sample_index,"
	" attempts, max_attempts,"
	" (SELECT preamble FROM scenarios s WHERE s.id = scenario_id) AS preamble,"
	" (SELECT prompt FROM scenarios s WHERE s.id = scenario_id) AS prompt";
static const char zRunMarkRunning[] =
	"UPDATE runs SET status = 'running', started_at = COALESCE(started_at, " NOW_ISO ")"
	" WHERE id = ?1 AND status = 'pending'";

/*
 * Read first, write only when there is something to write: an idle executor's
 * periodic work and a provider's empty asks then never take the write lock
 * that the web app, the CLI and other executors wait for.
 */
static const char zJobClaimable[] =
	"SELECT EXISTS(SELECT 1 FROM runs r JOIN jobs j ON j.run_id = r.id"
	" WHERE r.status IN ('pending','running') AND j.state = 'queued' AND j.provider = ?1"
	" AND j.not_before_ms <= ?2)";
static const char zJobHasLeases[] =
	"SELECT EXISTS(SELECT 1 FROM jobs WHERE state = 'leased' AND lease_owner = ?1)";
static const char zJobAnyExpired[] =
	"SELECT EXISTS(SELECT 1 FROM jobs WHERE state = 'leased' AND lease_expires_ms < ?1)";
static const char zJobExtendLeases[] =
	"UPDATE jobs SET lease_expires_ms = ?2 WHERE lease_owner = ?1 AND state = 'leased'";
static const char zJobExpired[] =
	"SELECT id, run_id, attempts, max_attempts, lease_owner FROM jobs"
	" WHERE state = 'leased' AND lease_expires_ms < ?1";
static const char zAttemptExpired[] =
	"INSERT INTO job_attempts(job_id, attempt, worker_id, started_at, error_class, message, started_ms)"
	" VALUES(?1, ?2, ?3, " NOW_ISO ", 'network',"
	" 'lease expired: the executor holding this job stopped before it finished', ?4)";
static const char zJobRequeueExpired[] =
	"UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_ms = NULL, not_before_ms = ?3,"
	" last_error = 'lease expired: the executor holding this job stopped', last_error_class = 'network'"
	" WHERE id = ?1 AND state = 'leased' AND lease_expires_ms < ?2";
static const char zJobFailExpired[] =
	"UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires_ms = NULL,"
	" finished_at = " NOW_ISO ","
	" last_error = 'lease expired on the last attempt: the executor holding this job stopped',"
	" last_error_class = 'network'"
	" WHERE id = ?1 AND state = 'leased' AND lease_expires_ms < ?2";

static const char zDataVersion[] = "PRAGMA data_version";
static const char zJobsRemaining[] =
	"SELECT count(*) FROM runs r JOIN jobs j ON j.run_id = r.id AND j.state IN ('queued','leased')"
	" WHERE r.status IN ('pending','running')";
static const char zJobsInactiveRuns[] =
	"SELECT DISTINCT j.run_id AS id FROM jobs j JOIN runs r ON r.id = j.run_id"
	" WHERE j.lease_owner = ?1 AND j.state = 'leased' AND r.status NOT IN ('pending','running')";

static const char zJobDone[] =
	"UPDATE jobs SET state = 'done', lease_owner = NULL, lease_expires_ms = NULL,"
	" finished_at = " NOW_ISO ", duration_ms = ?3, cache_hit = ?4, last_error = NULL,"
	" last_error_class = NULL"
	" WHERE id = ?1 AND lease_owner = ?2 AND state = 'leased'";
static const char zJobRetry[] =
	"UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_ms = NULL,"
	" not_before_ms = ?3, last_error = ?4, last_error_class = ?5"
	" WHERE id = ?1 AND lease_owner = ?2 AND state = 'leased'";
static const char zJobFail[] =
	"UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires_ms = NULL,"
	" finished_at = " NOW_ISO ", duration_ms = ?3, last_error = ?4, last_error_class = ?5"
	" WHERE id = ?1 AND lease_owner = ?2 AND state = 'leased'";
static const char zJobRelease[] =
	"UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_ms = NULL,"
	" attempts = max(attempts - 1, 0)"
	" WHERE id = ?1 AND lease_owner = ?2 AND state = 'leased'";
/* A job put back in the queue of a run cancelled meanwhile is cancelled instead. */
static const char zJobCancelIfRunCancelled[] =
	"UPDATE jobs SET state = 'cancelled', finished_at = " NOW_ISO
	" WHERE id = ?1 AND state = 'queued'"
	" AND run_id IN (SELECT id FROM runs WHERE status = 'cancelled')";
static const char zAttemptInsert[] =
	"INSERT INTO job_attempts(job_id, attempt, worker_id, started_at, duration_ms, http_status,"
	" error_class, message, started_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char zTranscriptInsert[] =
	"INSERT INTO transcripts(run_id, job_id, scenario_id, provider, model_id, model_version,"
	" sample_index, turns, request, response, turn_count, word_count, input_tokens,"
	" output_tokens, cost_usd, decision, decision_value, decision_class, decision_details,"
	" duration_ms, cache_hit, temperature_dropped, created_at)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
	" ?19, ?20, ?21, ?22, " NOW_ISO ")";
static const char zCachePut[] =
	"INSERT OR IGNORE INTO response_cache(run_id, request_hash, response, created_at)"
	" VALUES(?1, ?2, ?3, " NOW_ISO ")";
static const char zCacheGet[] =
	"SELECT response FROM response_cache WHERE run_id = ?1 AND request_hash = ?2";
static const char zRunExecInfo[] =
	"SELECT config AS config_json, definition_snapshot AS definition_json FROM runs WHERE id = ?1";
static const char zRunAddCounts[] =
	"UPDATE runs SET completed_jobs = completed_jobs + ?2, failed_jobs = failed_jobs + ?3,"
	" cancelled_jobs = cancelled_jobs + ?4 WHERE id = ?1";
static const char zRunCountFailed[] = "UPDATE runs SET failed_jobs = failed_jobs + 1 WHERE id = ?1";
static const char zRunCountCancelled[] =
	"UPDATE runs SET cancelled_jobs = cancelled_jobs + 1 WHERE id = ?1";
/* Every job finished: completed (possibly with errors), or failed when none succeeded. */
static const char zRunFinalize[] =
	"UPDATE runs SET status = CASE WHEN completed_jobs = 0 AND failed_jobs > 0 THEN 'failed'"
	" ELSE 'completed' END, completed_at = " NOW_ISO
	" WHERE id = ?1 AND status IN ('pending','running','paused')"
	" AND completed_jobs + failed_jobs + cancelled_jobs >= total_jobs";

static const char zWorkerHeartbeat[] =
	"INSERT INTO workers(id, host, pid, version, started_at, heartbeat_at, heartbeat_ms,"
	" in_flight, done_count, failed_count, stopped_at)"
	" VALUES(?1, ?2, ?3, ?4, ?5, " NOW_ISO ", ?6, ?7, ?8, ?9, NULL)"
	" ON CONFLICT(id) DO UPDATE SET host = excluded.host, pid = excluded.pid,"
	" version = excluded.version, started_at = excluded.started_at,"
	" heartbeat_at = excluded.heartbeat_at, heartbeat_ms = excluded.heartbeat_ms,"
	" in_flight = excluded.in_flight, done_count = excluded.done_count,"
	" failed_count = excluded.failed_count, stopped_at = NULL";
static const char zWorkerStopped[] =
	"UPDATE workers SET stopped_at = " NOW_ISO ", in_flight = 0 WHERE id = ?1";

static const char zProviderConfigured[] =
	"INSERT INTO provider_status(provider, configured) VALUES(?1, ?2)"
	" ON CONFLICT(provider) DO UPDATE SET configured = excluded.configured";
static const char zProviderHealth[] =
	"INSERT INTO provider_status(provider, connected, checked_at, latency_ms, error)"
	" VALUES(?1, ?2, " NOW_ISO ", ?3, ?4)"
	" ON CONFLICT(provider) DO UPDATE SET connected = excluded.connected,"
	" checked_at = excluded.checked_at, latency_ms = excluded.latency_ms,"
	" error = excluded.error, check_requested_at = NULL";
static const char zProviderRateLimited[] =
	"INSERT INTO provider_status(provider, rate_limited_until) VALUES(?1, ?2)"
	" ON CONFLICT(provider) DO UPDATE SET rate_limited_until = excluded.rate_limited_until";
static const char zProviderChecksRequested[] =
	"SELECT provider FROM provider_status WHERE check_requested_at IS NOT NULL ORDER BY provider";
static const char zProviderRequestCheck[] =
	"INSERT INTO provider_status(provider, check_requested_at) VALUES(?1, " NOW_ISO ")"
	" ON CONFLICT(provider) DO UPDATE SET check_requested_at = excluded.check_requested_at";

DbRc store_jobs_tune(Db *db)
{
	DbRc rc = db_exec(db, zTuneCheckpoint, "");
	if (rc == DB_OK)
		rc = db_exec(db, zTuneCache, "");
	if (rc == DB_OK)
		rc = db_exec(db, zTuneTemp, "");
	if (rc == DB_OK)
		rc = db_exec(db, zTuneChecks, "");
	return rc;
}

DbRc store_wal_checkpoint(Db *db)
{
	return db_exec(db, zWalCheckpoint, "");
}

json_t *store_jobs_claim(Db *db, const char *zOwner, const char *zProvider, int64_t nowMs,
			 int64_t leaseMs, int limit)
{
	json_t *pRows = json_array(), *pRuns = NULL, *pRun;
	size_t i;
	if (db_begin(db) != DB_OK) {
		json_decref(pRows);
		return NULL;
	}
	pRuns = db_query(db, zClaimRuns, "");
	if (!pRuns)
		goto fail;
	json_array_foreach(pRuns, i, pRun) {
		int64_t runId = json_integer_value(json_object_get(pRun, "id"));
		int64_t want = (int64_t)limit - (int64_t)json_array_size(pRows);
		json_t *pGot;
		if (want <= 0)
			break;
		pGot = db_query(db, zJobClaim, "titiii", zOwner, nowMs + leaseMs, zProvider, nowMs, want, runId);
		if (!pGot)
			goto fail;
		if (json_array_size(pGot) > 0 && db_exec(db, zRunMarkRunning, "i", runId) != DB_OK) {
			json_decref(pGot);
			goto fail;
		}
		json_array_extend(pRows, pGot);
		json_decref(pGot);
	}
	if (db_commit(db) != DB_OK)
		goto fail;
	json_decref(pRuns);
	return pRows;
fail:
	json_decref(pRuns);
	json_decref(pRows);
	db_rollback(db);
	return NULL;
}

int store_jobs_claimable(Db *db, const char *zProvider, int64_t nowMs)
{
	return (int)db_query_int(db, -1, zJobClaimable, "ti", zProvider, nowMs);
}

DbRc store_jobs_extend_leases(Db *db, const char *zOwner, int64_t expiresMs)
{
	int64_t has = db_query_int(db, -1, zJobHasLeases, "t", zOwner);
	if (has == 0)
		return DB_OK;
	return db_exec(db, zJobExtendLeases, "ti", zOwner, expiresMs);
}

/* Count one more job of a run as failed/done/cancelled and finish the run when nothing is left. */
static DbRc run_count(Db *db, const char *zCountSql, int64_t runId)
{
	DbRc rc = db_exec(db, zCountSql, "i", runId);
	if (rc == DB_OK)
		rc = db_exec(db, zRunFinalize, "i", runId);
	return rc;
}

/* A job just put back in the queue: cancel it if its run was cancelled meanwhile. */
static DbRc cancel_if_run_cancelled(Db *db, int64_t jobId, int64_t runId)
{
	DbRc rc = db_exec(db, zJobCancelIfRunCancelled, "i", jobId);
	if (rc == DB_OK && db_changes(db) > 0)
		rc = run_count(db, zRunCountCancelled, runId);
	return rc;
}

DbRc store_jobs_requeue_expired(Db *db, int64_t nowMs, int64_t (*xDelay)(void *pArg, int64_t attempts), void *pArg,
				int *pnRequeued)
{
	json_t *pRows = NULL, *pRow;
	size_t i;
	DbRc rc = DB_OK;
	*pnRequeued = 0;
	if (db_query_int(db, -1, zJobAnyExpired, "i", nowMs) == 0)
		return DB_OK;
	if ((rc = db_begin(db)) != DB_OK)
		return rc;
	pRows = db_query(db, zJobExpired, "i", nowMs);
	if (!pRows) {
		rc = DB_ERROR;
		goto out;
	}
	json_array_foreach(pRows, i, pRow) {
		int64_t jobId = json_integer_value(json_object_get(pRow, "id"));
		int64_t runId = json_integer_value(json_object_get(pRow, "run_id"));
		int64_t attempts = json_integer_value(json_object_get(pRow, "attempts"));
		int64_t maxAttempts = json_integer_value(json_object_get(pRow, "max_attempts"));
		const char *zOwner = json_string_value(json_object_get(pRow, "lease_owner"));
		if ((rc = db_exec(db, zAttemptExpired, "iiti", jobId, attempts, zOwner, nowMs)) != DB_OK)
			goto out;
		if (attempts >= maxAttempts) {
			if ((rc = db_exec(db, zJobFailExpired, "ii", jobId, nowMs)) != DB_OK)
				goto out;
			if (db_changes(db) > 0 && (rc = run_count(db, zRunCountFailed, runId)) != DB_OK)
				goto out;
		} else {
			/*
			 * Back off as after any network error: the jobs of an executor
			 * that keeps dying are not all claimed again first, by the next
			 * one to die, until their attempts run out.
			 */
			if ((rc = db_exec(db, zJobRequeueExpired, "iii", jobId, nowMs, nowMs + xDelay(pArg, attempts))) !=
			    DB_OK)
				goto out;
			if ((rc = cancel_if_run_cancelled(db, jobId, runId)) != DB_OK)
				goto out;
		}
		(*pnRequeued)++;
	}
out:
	json_decref(pRows);
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		db_rollback(db);
		*pnRequeued = 0;
	}
	return rc;
}

int64_t store_data_version(Db *db)
{
	return db_query_int(db, -1, zDataVersion, "");
}

int64_t store_jobs_remaining(Db *db)
{
	return db_query_int(db, -1, zJobsRemaining, "");
}

json_t *store_jobs_inactive_runs(Db *db, const char *zOwner)
{
	json_t *pRows = db_query(db, zJobsInactiveRuns, "t", zOwner), *pRow, *pOut;
	size_t i;
	if (!pRows)
		return NULL;
	pOut = json_array();
	json_array_foreach(pRows, i, pRow)
		json_array_append(pOut, json_object_get(pRow, "id"));
	json_decref(pRows);
	return pOut;
}

/* Insert the attempt row of an outcome (http_status NULL when there was no response). */
static DbRc insert_attempt(Db *db, const JobOutcome *o)
{
	char zStarted[TIME_ISO_LEN];
	time_iso_from_epoch(zStarted, (time_t)(o->startedMs / 1000));
	if (o->httpStatus > 0)
		return db_exec(db, zAttemptInsert, "iittiitti", o->jobId, o->attempt, o->zOwner,
			       zStarted, o->durationMs, (int64_t)o->httpStatus, o->zErrorClass,
			       o->zMessage, o->startedMs);
	return db_exec(db, zAttemptInsert, "iittintti", o->jobId, o->attempt, o->zOwner, zStarted,
		       o->durationMs, o->zErrorClass, o->zMessage, o->startedMs);
}

/* Insert the transcript of a done job. */
static DbRc insert_transcript(Db *db, const JobOutcome *o)
{
	const TranscriptRow *t = o->pTranscript;
	/* cost_usd (15th) and decision_value (17th) are NULL when unknown. */
	char zTypes[] = "iiitttitnniiiidtitjiii";
	if (!t->hasCost)
		zTypes[14] = 'n';
	if (t->decisionValue <= 0)
		zTypes[16] = 'n';
	if (t->hasCost && t->decisionValue > 0)
		return db_exec(db, zTranscriptInsert, zTypes, o->runId, o->jobId, t->scenarioId,
			       t->zProvider, t->zModelId, t->zModelVersion, t->sampleIndex, t->zTurns,
			       t->turnCount, t->wordCount, t->inputTokens,
			       t->outputTokens, t->costUsd, t->zDecision, t->decisionValue,
			       t->zDecisionClass, t->pDecisionDetails, t->durationMs,
			       (int64_t)t->cacheHit, (int64_t)t->temperatureDropped);
	if (t->hasCost)
		return db_exec(db, zTranscriptInsert, zTypes, o->runId, o->jobId, t->scenarioId,
			       t->zProvider, t->zModelId, t->zModelVersion, t->sampleIndex, t->zTurns,
			       t->turnCount, t->wordCount, t->inputTokens,
			       t->outputTokens, t->costUsd, t->zDecision, t->zDecisionClass,
			       t->pDecisionDetails, t->durationMs, (int64_t)t->cacheHit,
			       (int64_t)t->temperatureDropped);
	if (t->decisionValue > 0)
		return db_exec(db, zTranscriptInsert, zTypes, o->runId, o->jobId, t->scenarioId,
			       t->zProvider, t->zModelId, t->zModelVersion, t->sampleIndex, t->zTurns,
			       t->turnCount, t->wordCount, t->inputTokens,
			       t->outputTokens, t->zDecision, t->decisionValue, t->zDecisionClass,
			       t->pDecisionDetails, t->durationMs, (int64_t)t->cacheHit,
			       (int64_t)t->temperatureDropped);
	return db_exec(db, zTranscriptInsert, zTypes, o->runId, o->jobId, t->scenarioId, t->zProvider,
		       t->zModelId, t->zModelVersion, t->sampleIndex, t->zTurns,
		       t->turnCount, t->wordCount, t->inputTokens, t->outputTokens,
		       t->zDecision, t->zDecisionClass, t->pDecisionDetails, t->durationMs,
		       (int64_t)t->cacheHit, (int64_t)t->temperatureDropped);
}

/* How one outcome changes its run's counters. */
typedef struct CountDelta {
	int64_t done, failed, cancelled;
} CountDelta;

/* A job just put back in the queue: cancel it if its run was cancelled meanwhile (counted in *pd). */
static DbRc cancel_if_run_cancelled_delta(Db *db, int64_t jobId, CountDelta *pd)
{
	DbRc rc = db_exec(db, zJobCancelIfRunCancelled, "i", jobId);
	if (rc == DB_OK && db_changes(db) > 0)
		pd->cancelled++;
	return rc;
}

/* The writes of one outcome, inside the caller's savepoint; run counters go to *pd. */
static DbRc finish_writes(Db *db, const JobOutcome *o, CountDelta *pd)
{
	DbRc rc;
	int i;
	switch (o->kind) {
	case JOB_OUTCOME_DONE:
		rc = db_exec(db, zJobDone, "itii", o->jobId, o->zOwner, o->durationMs,
			     (int64_t)(o->pTranscript && o->pTranscript->cacheHit));
		break;
	case JOB_OUTCOME_RETRY:
		rc = db_exec(db, zJobRetry, "ititt", o->jobId, o->zOwner, o->notBeforeMs, o->zMessage,
			     o->zErrorClass);
		break;
	case JOB_OUTCOME_FAIL:
		rc = db_exec(db, zJobFail, "ititt", o->jobId, o->zOwner, o->durationMs, o->zMessage,
			     o->zErrorClass);
		break;
	default:
		rc = db_exec(db, zJobRelease, "it", o->jobId, o->zOwner);
		break;
	}
	if (rc != DB_OK)
		return rc;
	if (db_changes(db) == 0)
		return DB_NOTFOUND; /* the lease was lost: write nothing */
	if (o->kind == JOB_OUTCOME_RELEASE)
		return cancel_if_run_cancelled_delta(db, o->jobId, pd);
	if ((rc = insert_attempt(db, o)) != DB_OK)
		return rc;
	switch (o->kind) {
	case JOB_OUTCOME_DONE:
		if (!o->pTranscript)
			return DB_ERROR;
		if ((rc = insert_transcript(db, o)) != DB_OK)
			return rc;
		for (i = 0; i < o->nCache; i++)
			if ((rc = db_exec(db, zCachePut, "itt", o->runId, o->aCache[i].zHash,
					  o->aCache[i].zResponse)) != DB_OK)
				return rc;
		pd->done++;
		return DB_OK;
	case JOB_OUTCOME_FAIL:
		pd->failed++;
		return DB_OK;
	default:
		return cancel_if_run_cancelled_delta(db, o->jobId, pd);
	}
}

/* Per-run counter changes collected over a batch. */
typedef struct RunDelta {
	int64_t runId;
	CountDelta d;
} RunDelta;

DbRc store_job_finish_batch(Db *db, const JobOutcome *aOut, int n, DbRc *aRc, int safe)
{
	RunDelta *aRun = NULL;
	int nRun = 0, i, j;
	DbRc rc = safe ? db_begin(db) : DB_OK;
	if (rc != DB_OK)
		return rc;
	for (i = 0; i < n; i++) {
		CountDelta d = {0, 0, 0};
		if (safe && (aRc[i] = db_begin(db)) != DB_OK)
			continue;
		aRc[i] = finish_writes(db, &aOut[i], &d);
		if (safe) {
			if (aRc[i] != DB_OK) {
				db_rollback(db);
				continue;
			}
			if ((aRc[i] = db_commit(db)) != DB_OK) {
				db_rollback(db);
				continue;
			}
		} else if (aRc[i] == DB_NOTFOUND) {
			continue; /* nothing was written */
		} else if (aRc[i] != DB_OK) {
			rc = aRc[i]; /* partly written: the caller rolls the transaction back */
			break;
		}
		for (j = 0; j < nRun && aRun[j].runId != aOut[i].runId; j++) {
		}
		if (j == nRun) {
			aRun = xrealloc(aRun, sizeof(*aRun) * (size_t)(nRun + 1));
			memset(&aRun[nRun], 0, sizeof(*aRun));
			aRun[nRun++].runId = aOut[i].runId;
		}
		aRun[j].d.done += d.done;
		aRun[j].d.failed += d.failed;
		aRun[j].d.cancelled += d.cancelled;
	}
	/* One counter update per run, in the same transaction as the results. */
	for (j = 0; j < nRun && rc == DB_OK; j++) {
		if (aRun[j].d.done + aRun[j].d.failed + aRun[j].d.cancelled == 0)
			continue;
		rc = db_exec(db, zRunAddCounts, "iiii", aRun[j].runId, aRun[j].d.done, aRun[j].d.failed,
			     aRun[j].d.cancelled);
		if (rc == DB_OK)
			rc = db_exec(db, zRunFinalize, "i", aRun[j].runId);
	}
	free(aRun);
	if (!safe)
		return rc;
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK)
		db_rollback(db);
	return rc;
}

DbRc store_job_finish(Db *db, const JobOutcome *o)
{
	DbRc rcOne = DB_ERROR;
	DbRc rc = store_job_finish_batch(db, o, 1, &rcOne, 1);
	return rc != DB_OK ? rc : rcOne;
}

json_t *store_run_exec_info(Db *db, int64_t runId)
{
	return db_query_one(db, zRunExecInfo, "i", runId);
}

char *store_cache_get(Db *db, int64_t runId, const char *zHash)
{
	json_t *pRow = db_query_one(db, zCacheGet, "it", runId, zHash);
	char *z = NULL;
	if (pRow && json_is_string(json_object_get(pRow, "response")))
		z = xstrdup(json_string_value(json_object_get(pRow, "response")));
	json_decref(pRow);
	return z;
}

DbRc store_worker_heartbeat(Db *db, const char *zId, const char *zHost, int64_t pid,
			    const char *zVersion, const char *zStartedAt, int64_t inFlight,
			    int64_t doneCount, int64_t failedCount, int64_t nowMs)
{
	return db_exec(db, zWorkerHeartbeat, "ttittiiii", zId, zHost, pid, zVersion, zStartedAt, nowMs,
		       inFlight, doneCount, failedCount);
}

DbRc store_worker_stopped(Db *db, const char *zId)
{
	return db_exec(db, zWorkerStopped, "t", zId);
}

DbRc store_provider_set_configured(Db *db, const char *zProvider, int configured)
{
	return db_exec(db, zProviderConfigured, "ti", zProvider, (int64_t)(configured ? 1 : 0));
}

DbRc store_provider_set_health(Db *db, const char *zProvider, int connected, int64_t latencyMs,
			       const char *zError)
{
	return db_exec(db, zProviderHealth, "tiit", zProvider, (int64_t)(connected ? 1 : 0), latencyMs,
		       zError);
}

DbRc store_provider_set_rate_limited(Db *db, const char *zProvider, const char *zUntilIso)
{
	return db_exec(db, zProviderRateLimited, "tt", zProvider, zUntilIso);
}

json_t *store_provider_checks_requested(Db *db)
{
	json_t *pRows = db_query(db, zProviderChecksRequested, ""), *pRow, *pOut;
	size_t i;
	if (!pRows)
		return NULL;
	pOut = json_array();
	json_array_foreach(pRows, i, pRow)
		json_array_append(pOut, json_object_get(pRow, "provider"));
	json_decref(pRows);
	return pOut;
}

DbRc store_provider_request_check(Db *db, const char *zProvider)
{
	return db_exec(db, zProviderRequestCheck, "t", zProvider);
}
