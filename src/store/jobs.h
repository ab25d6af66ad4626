/* jobs.h — the executor's store: claiming jobs with leases, results, attempts, workers, provider status, cache. */
#ifndef VR_STORE_JOBS_H
#define VR_STORE_JOBS_H

#include "store/db.h"

/*
 * Lease rules. A job is claimed with one UPDATE … RETURNING that sets
 * lease_owner and lease_expires_ms and counts the attempt. Every later
 * change made by the holder (result, retry, failure, release) is guarded by
 * `id = ? AND lease_owner = ? AND state = 'leased'`, so a holder whose lease
 * expired and was taken over can no longer write, and transcripts.job_id is
 * unique besides. Lease owners must be unique per process incarnation.
 */

/*
 * Settings for the executor's write connection: no automatic checkpoints
 * (call store_wal_checkpoint() from another connection), a larger page cache,
 * statement journals in memory.
 */
DbRc store_jobs_tune(Db *db);
/* Copy the write-ahead log into the database without blocking writers (PASSIVE). */
DbRc store_wal_checkpoint(Db *db);

/*
 * Claim up to `limit` claimable jobs of provider zProvider for zOwner: queued,
 * not_before_ms <= nowMs, attempts < max_attempts, in a pending or running
 * run; oldest first. Sets the lease to nowMs + leaseMs, counts the attempt,
 * marks pending runs running. Runs inside its own (possibly nested)
 * transaction. Returns a new JSON array (caller decrefs) of objects
 * {id, run_id, scenario_id, provider, model_id, model_version, sample_index,
 * attempts, max_attempts, preamble, prompt}; NULL on a database error.
 */
json_t *store_jobs_claim(Db *db, const char *zOwner, const char *zProvider, int64_t nowMs,
			 int64_t leaseMs, int limit);

/* Push every lease held by zOwner out to expiresMs. Returns DB_OK or an error. */
/*
 * 1 if a claim for zProvider at nowMs could find a job (a queued job of an
 * active run), 0 if not, -1 on error. A read: no write lock.
 */
int store_jobs_claimable(Db *db, const char *zProvider, int64_t nowMs);
/* Extend zOwner's leases; with none held, nothing is written (no write lock taken). */
DbRc store_jobs_extend_leases(Db *db, const char *zOwner, int64_t expiresMs);

/*
 * Take back jobs whose lease expired before nowMs (their holder died): each
 * gets a job_attempts row saying so; it becomes queued again, not before
 * nowMs + xDelay(pArg, attempts) (the retry backoff of a network error), or
 * failed (class network) when it has no attempts left, with run counters
 * and status updated. Runs in its own transaction. Stores the number of
 * jobs taken back in *pnRequeued. Returns DB_OK or an error.
 */
DbRc store_jobs_requeue_expired(Db *db, int64_t nowMs, int64_t (*xDelay)(void *pArg, int64_t attempts), void *pArg,
				int *pnRequeued);

/*
 * SQLite's data_version for this connection: it changes whenever another
 * connection commits. A cheap read that lets an idle executor notice new
 * work without a write transaction. -1 on error.
 */
int64_t store_data_version(Db *db);

/*
 * Number of jobs still to do in active runs (queued or leased, in pending or
 * running runs). The executor's --once mode exits when it is 0.
 */
int64_t store_jobs_remaining(Db *db);

/*
 * Ids of runs that are no longer claimable (paused, cancelled, finished) yet
 * still have jobs leased by zOwner, as a new JSON array of integers (caller
 * decrefs), NULL on error. The executor releases those it has not started.
 */
json_t *store_jobs_inactive_runs(Db *db, const char *zOwner);

/* What happened to one leased job. */
typedef enum JobOutcomeKind {
	JOB_OUTCOME_DONE,    /* a transcript: the job is done */
	JOB_OUTCOME_RETRY,   /* a retryable failure: queued again after not_before_ms */
	JOB_OUTCOME_FAIL,    /* a final failure */
	JOB_OUTCOME_RELEASE  /* given back unstarted or interrupted (shutdown); the attempt is not counted */
} JobOutcomeKind;

/* The transcript of a done job. JSON values are borrowed. */
typedef struct TranscriptRow {
	int64_t scenarioId;
	const char *zProvider;
	const char *zModelId;
	const char *zModelVersion;
	int64_t sampleIndex;
	/*
	 * JSON text of the turns array: every turn's prompt, response, tokens,
	 * finish reason, request id, timing, request body and raw response. The
	 * executor writes it as text so that bodies are stored byte for byte
	 * without a parse and re-serialisation. transcripts.request/response are
	 * left NULL: the bodies of every turn are in turns.
	 */
	const char *zTurns;
	int64_t turnCount;
	int64_t wordCount;
	int64_t inputTokens;
	int64_t outputTokens;
	int hasCost;             /* 0: price unknown, cost_usd stays NULL */
	double costUsd;
	const char *zDecision;   /* "1".."5", "refusal", "unknown" */
	int64_t decisionValue;   /* 0 = NULL */
	const char *zDecisionClass;
	json_t *pDecisionDetails;
	int64_t durationMs;
	int cacheHit;
	int temperatureDropped;
} TranscriptRow;

/* A response-cache entry to store with a result. */
typedef struct CacheEntry {
	const char *zHash;     /* sha256 hex of provider, url and body */
	const char *zResponse; /* the raw response body */
} CacheEntry;

/* One result for store_job_finish(). Strings are borrowed. */
typedef struct JobOutcome {
	JobOutcomeKind kind;
	int64_t jobId;
	int64_t runId;
	const char *zOwner;
	/* the attempt (not written for JOB_OUTCOME_RELEASE) */
	int64_t attempt;
	int64_t startedMs;
	int64_t durationMs;
	int httpStatus;          /* 0: none */
	const char *zErrorClass; /* NULL on success */
	const char *zMessage;    /* NULL on success */
	int64_t notBeforeMs;     /* JOB_OUTCOME_RETRY */
	const TranscriptRow *pTranscript; /* JOB_OUTCOME_DONE */
	const CacheEntry *aCache;
	int nCache;
} JobOutcome;

/*
 * Record one outcome in its own savepoint: the job's state, the attempt, the
 * transcript, the cache entries, the run's counters and (when every job is
 * finished) its final status. Nothing is written unless zOwner still holds
 * the lease: then DB_NOTFOUND. Returns DB_OK, DB_NOTFOUND or an error.
 */
DbRc store_job_finish(Db *db, const JobOutcome *o);

/*
 * Record n outcomes in the caller's transaction (the executor's batched
 * commit), with aRc[i] each one's result as for store_job_finish(); then one
 * counter update and final-status check per run.
 *   safe = 1: each outcome in its own savepoint; returns DB_OK unless the
 *             whole batch failed (then nothing was written).
 *   safe = 0: no savepoints (they cost a journal copy of every page); a lost
 *             lease still writes nothing, but any other error returns at once
 *             with the transaction partly written: the caller must roll it
 *             back (and may retry with safe = 1).
 */
DbRc store_job_finish_batch(Db *db, const JobOutcome *aOut, int n, DbRc *aRc, int safe);

/*
 * What the executor needs to probe a run's jobs: {"config": {...},
 * "definition": {...}} (runs.config and runs.definition_snapshot parsed), or
 * NULL when there is no such run. Caller decrefs.
 */
json_t *store_run_exec_info(Db *db, int64_t runId);

/* The cached raw response for a request hash in a run, or NULL. Caller frees. */
char *store_cache_get(Db *db, int64_t runId, const char *zHash);

/* Heartbeat: upsert the workers row. */
DbRc store_worker_heartbeat(Db *db, const char *zId, const char *zHost, int64_t pid,
			    const char *zVersion, const char *zStartedAt, int64_t inFlight,
			    int64_t doneCount, int64_t failedCount, int64_t nowMs);
/* Mark a worker stopped (graceful exit). */
DbRc store_worker_stopped(Db *db, const char *zId);

/* provider_status: whether a key is configured (creates the row). */
DbRc store_provider_set_configured(Db *db, const char *zProvider, int configured);
/* A health check's outcome; clears check_requested_at. zError NULL when connected. */
DbRc store_provider_set_health(Db *db, const char *zProvider, int connected, int64_t latencyMs,
			       const char *zError);
/* Rate-limit state for the UI: waiting until zUntilIso, or NULL when not limited. */
DbRc store_provider_set_rate_limited(Db *db, const char *zProvider, const char *zUntilIso);
/* Providers whose check the web app asked for (check_requested_at set): JSON array of ids. */
json_t *store_provider_checks_requested(Db *db);
/* Ask for a health check of a provider (what the web app does). */
DbRc store_provider_request_check(Db *db, const char *zProvider);

#endif
