/* health.h — system health for /settings: executors, queue, providers, the database file, test runs. */
#ifndef VR_STORE_HEALTH_H
#define VR_STORE_HEALTH_H

#include "store/db.h"
#include "store/runs.h"

/*
 * Every executor that has sent a heartbeat, newest first: the workers row
 * plus "offline" (1 when running and no heartbeat since nowMs - offlineMs),
 * "stopped" (1 after a graceful exit), "heartbeat_age_s", and "done_hour" /
 * "failed_hour": its job attempts that succeeded / failed in the last hour.
 * Caller decrefs; NULL on error.
 */
json_t *store_health_workers(Db *db, int64_t nowMs, int64_t offlineMs);

/*
 * Work per provider: {provider, queued, leased, done_hour, failed_hour}
 * (queued and leased jobs now; attempts that succeeded or failed in the
 * last hour). Caller decrefs; NULL on error.
 */
json_t *store_health_queue(Db *db);

/* The provider_status rows (one per provider valuerankd knows). Caller decrefs. */
json_t *store_health_providers(Db *db);

/*
 * The database file: {path, size_bytes, wal_bytes, journal_mode,
 * page_size, page_count, freelist_count}. Caller decrefs.
 */
json_t *store_health_database(Db *db);

/*
 * Create a "test run": the run of spec (trigger source test_run) cut down
 * to ONE job — the first scenario of the definition for the first model —
 * in one transaction, so valuerankd never sees the other jobs. Same
 * return values as store_run_create().
 */
DbRc store_test_run_create(Db *db, const RunCreateSpec *pSpec, int64_t *pRunId, char *zErr,
			   size_t nErr);

/*
 * The tenant's newest test run with its job and transcript: {id, name,
 * status, created_at, provider, model_id, model_version, job_state,
 * attempts, last_error, last_error_class, transcript_id, decision,
 * decision_class, duration_ms, input_tokens, output_tokens, cost_usd,
 * turns (parsed)}; NULL when it has none. Caller decrefs.
 */
json_t *store_test_run_latest(Db *db, int64_t tenantId);

/* Definitions of the tenant with at least one scenario, fewest scenarios first: {id, name, version, scenario_count}. */
json_t *store_health_test_definitions(Db *db, int64_t tenantId);

#endif
