/* runs.h — runs: creation with their jobs, listing, status changes. */
#ifndef VR_STORE_RUNS_H
#define VR_STORE_RUNS_H

#include "store/db.h"

/* The tenant's most recent runs (id, name, status, counters, created_at, definition). */
json_t *store_run_list_recent(Db *db, int64_t tenantId, int64_t limit);

/* One model of a run: provider id, model id and the exact version to probe. */
typedef struct RunModel {
	const char *zProvider;
	const char *zModel;
	const char *zVersion;
} RunModel;

/*
 * Everything a new run is made from. Strings and JSON are borrowed.
 * tenantId 0 takes the definition's tenant (CLI); otherwise the definition
 * must belong to that tenant. cache: -1 default (on only at temperature 0),
 * 0 off, 1 on.
 */
typedef struct RunCreateSpec {
	int64_t tenantId;
	int64_t definitionId;
	const RunModel *aModel;
	int nModel;
	int samplePct;           /* 1..100 */
	int64_t sampleSeed;
	int samples;             /* 1..100 repeats per scenario */
	int hasTemperature;
	double temperature;      /* 0..2 */
	int maxTokens;           /* 0: each model's default */
	int cache;
	int maxAttempts;         /* 0: 5 */
	const char *zName;       /* NULL or "": "<definition name> <date>" */
	const char *zTriggerId;
	const char *zTriggerSource; /* web_form | api_client | cli_tool | test_run */
	int64_t createdBy;       /* user id, 0 none */
	json_t *pAdvisor;        /* advisor recommendation as shown, or NULL */
	int64_t parentRunId;     /* 0 none */
} RunCreateSpec;

/*
 * Create the run and all its jobs (one per sampled scenario × model version ×
 * sample) in ONE transaction. A trigger id already used returns DB_OK with the
 * existing run's id and *pExisting = 1 (a double submit creates one run).
 * DB_NOTFOUND: no such definition for the tenant; DB_CONFLICT: the spec is
 * invalid (no models, no scenarios, values out of range) — a sentence in
 * zErr says which. Other errors: DB_BUSY/DB_ERROR with the message in zErr.
 */
DbRc store_run_create(Db *db, const RunCreateSpec *pSpec, int64_t *pRunId, int *pExisting,
		      char *zErr, size_t nErr);

/*
 * One run with its counters and per-model progress: the runs row (config and
 * advisor_snapshot parsed as JSON; definition_snapshot left out) plus
 * "definition_name", "models": [{provider, model_id, model_version, total,
 * queued, leased, done, failed, cancelled}] and "cache_hits". tenantId 0
 * means any tenant. NULL when not found. Caller decrefs.
 */
json_t *store_run_get(Db *db, int64_t tenantId, int64_t runId);

/* Runs of a tenant (0: all tenants), newest first: the same columns as store_run_list_recent. */
json_t *store_run_list(Db *db, int64_t tenantId, int64_t limit);

/*
 * Status changes, each in one transaction and idempotent (asking for the
 * state a run is already in is DB_OK and changes nothing):
 *   pause:  pending|running -> paused (no new claims; in-flight jobs finish)
 *   resume: paused -> running (pending if nothing started yet)
 *   cancel: pending|running|paused -> cancelled; queued jobs become cancelled,
 *           finished results are kept
 *   retry_failed: failed jobs of a completed/failed/running/paused run are
 *           queued again with fresh attempts; the run becomes running again
 * Returns DB_OK, DB_NOTFOUND (no such run for the tenant; tenantId 0 = any)
 * or DB_CONFLICT when the run's status does not allow the change (e.g.
 * pausing a completed run); *pzStatus (if not NULL) gets the run's status
 * afterwards as a static string.
 */
DbRc store_run_pause(Db *db, int64_t tenantId, int64_t runId, const char **pzStatus);
DbRc store_run_resume(Db *db, int64_t tenantId, int64_t runId, const char **pzStatus);
DbRc store_run_cancel(Db *db, int64_t tenantId, int64_t runId, const char **pzStatus);
DbRc store_run_retry_failed(Db *db, int64_t tenantId, int64_t runId, const char **pzStatus);

#endif
