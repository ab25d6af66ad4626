/* results.h — read side of a run for its pages: header extras, results, tasks, attempts, transcripts. */
#ifndef VR_STORE_RESULTS_H
#define VR_STORE_RESULTS_H

#include "domain/scores.h"
#include "store/db.h"

/*
 * Every function that takes a tenantId returns NULL / DB_NOTFOUND for a row
 * of another tenant, exactly as for a row that does not exist. Functions
 * that take only a runId expect the caller to have checked the run's tenant
 * (with store_run_get). JSON results are new references the caller decrefs.
 */

/*
 * What the run page shows beside store_run_get(): {definition_version,
 * definition_deleted (bool), created_by_email|null, parent_id|null,
 * parent_name|null, parent_status|null, children: [{id, name, status,
 * created_at}]}. NULL when the run is not the tenant's.
 */
json_t *store_run_header(Db *db, int64_t tenantId, int64_t runId);

/* Set the run's last_accessed_at to now (skipped when it is under a minute old, so a
 * refreshing page rarely needs the write lock). DB_OK or DB_NOTFOUND. */
DbRc store_run_touch(Db *db, int64_t tenantId, int64_t runId);

/*
 * Feed every transcript of the run into pAcc, keyed by model id, with its
 * scenario (id, name, dimension scores) and decision code. Aggregates in SQL
 * (one row per model × scenario × decision) and reads each scenario's
 * dimension scores once, so 10,000 transcripts cost a few milliseconds.
 * Returns DB_OK or DB_ERROR.
 */
DbRc store_run_feed_scores(Db *db, int64_t runId, ScoreAcc *pAcc);

/*
 * Per-model totals of the run's transcripts, ordered by model id:
 * [{provider, model_id, versions: "v1, v2" ("unknown" for a missing
 * version), n, input_tokens, output_tokens, cost_usd (sum of known costs or
 * null), n_cost_unknown, cache_hits, mean_duration_ms}]. NULL on error.
 */
json_t *store_run_model_totals(Db *db, int64_t runId);

/* Providers waiting on a rate limit now: [{provider, rate_limited_until}]. */
json_t *store_rate_limited_providers(Db *db);

/*
 * One page of the run's jobs, by id, optionally only those in state zState
 * and of model zModel (NULL or "" for any): [{id, scenario_id, scenario,
 * provider, model_id, model_version, sample_index, state, attempts,
 * max_attempts, duration_ms, cache_hit, last_error, last_error_class,
 * transcript_id|null}]. *pnTotal gets the number of matching jobs.
 */
json_t *store_run_tasks(Db *db, int64_t runId, const char *zState, const char *zModel,
			int64_t limit, int64_t offset, int64_t *pnTotal);

/*
 * One job of one of the tenant's runs, with everything the task page shows:
 * the job row plus scenario, run_name, transcript_id|null, request and
 * response (the transcript's first-turn request JSON and raw response, as
 * stored text, or null), turns (parsed JSON or null) and attempts_list: [{attempt, worker_id,
 * started_at, duration_ms, http_status, error_class, message}] in order.
 * NULL when not found (or the job is not in that run).
 */
json_t *store_task_get(Db *db, int64_t tenantId, int64_t runId, int64_t jobId);

/*
 * One transcript of the tenant: every column (turns and decision_details
 * parsed as JSON; request and response as stored text) plus scenario, dimension_scores, prompt,
 * preamble, run_name, definition_id. NULL when not found.
 */
json_t *store_transcript_get(Db *db, int64_t tenantId, int64_t transcriptId);

/* Set the transcript's last_accessed_at to now (at most once a minute). DB_OK or DB_NOTFOUND. */
DbRc store_transcript_touch(Db *db, int64_t tenantId, int64_t transcriptId);

/* The run's transcript ids by scenario and model for scenario ids fromId..toId, for
 * linking a page of the per-scenario table: [{scenario_id, model_id, transcript_id}]
 * (the first transcript of each pair). */
json_t *store_run_first_transcripts(Db *db, int64_t runId, int64_t fromId, int64_t toId);

#endif
