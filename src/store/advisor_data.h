/* advisor_data.h — what the run advisor reads from the database: providers, executors, history, prompts. */
#ifndef VR_STORE_ADVISOR_DATA_H
#define VR_STORE_ADVISOR_DATA_H

#include "store/db.h"

/*
 * Every provider_status row by provider: [{provider, configured, connected,
 * checked_at, latency_ms, error, rate_limited_until}]. valuerankd maintains
 * it (the web app never reads API keys). New array; NULL on error.
 */
json_t *store_provider_status_all(Db *db);

/* Number of running executors whose last heartbeat is at or after sinceMs. */
int64_t store_executors_alive(Db *db, int64_t sinceMs);

/*
 * Per model, the tenant's past transcripts: [{provider, model_id, n,
 * output_per_turn, ms_per_turn}] (averages per turn; rows only for models
 * with at least one transcript that has token counts). New array.
 */
json_t *store_model_history(Db *db, int64_t tenantId);

/*
 * Characters of turn 1 over a definition's scenarios (preamble + "\n\n" +
 * prompt, or the prompt alone): {n, total_chars}. New object; NULL on error.
 */
json_t *store_definition_prompt_stats(Db *db, int64_t definitionId);

/* Number of the tenant's runs created at or after zSinceIso (for default names like "Nov 21-B"). */
int64_t store_runs_created_since(Db *db, int64_t tenantId, const char *zSinceIso);

/* 1 when the database connection is writable (not opened read-only), else 0. */
int store_db_writable(Db *db);

#endif
