/* admin.c — SQL for the superadmin page: statistics across tenants, tenants created and disabled. */
#include "store/admin.h"
#include "lib/util.h"

#include <math.h>
#include <string.h>

#define RUN_SECONDS "(julianday(completed_at) - julianday(started_at)) * 86400"

static const char zStatsRunsPerDay[] =
	"SELECT substr(created_at, 1, 10) AS day, count(*) AS runs,"
	" sum(status = 'failed' OR (status = 'completed' AND failed_jobs > 0)) AS failed"
	" FROM runs WHERE created_at >= ?1 GROUP BY day ORDER BY day";
static const char zStatsRuns[] =
	"SELECT count(*) AS runs_total,"
	" coalesce(sum(status IN ('completed','failed','cancelled')), 0) AS runs_finished,"
	" coalesce(sum(status = 'failed'), 0) AS runs_failed,"
	" coalesce(sum(status = 'completed' AND failed_jobs > 0), 0) AS runs_with_errors,"
	" coalesce(sum(status = 'cancelled'), 0) AS runs_cancelled,"
	" avg(CASE WHEN status IN ('completed','failed') AND started_at IS NOT NULL"
	"  AND completed_at IS NOT NULL THEN " RUN_SECONDS " END) AS avg_duration_s,"
	" sum(status IN ('completed','failed') AND started_at IS NOT NULL"
	"  AND completed_at IS NOT NULL) AS n_durations"
	" FROM runs WHERE created_at >= ?1";
static const char zStatsDurationAt[] =
	"SELECT " RUN_SECONDS " AS s FROM runs WHERE created_at >= ?1"
	" AND status IN ('completed','failed') AND started_at IS NOT NULL AND completed_at IS NOT NULL"
	" ORDER BY s LIMIT 1 OFFSET ?2";
static const char zStatsAttempts[] =
	"SELECT coalesce(sum(error_class IS NULL), 0) AS attempts_done,"
	" coalesce(sum(error_class IS NOT NULL), 0) AS attempts_failed"
	" FROM job_attempts WHERE started_at >= ?1";
static const char zStatsQueue[] = "SELECT count(*) FROM jobs WHERE state = 'queued'";
static const char zStatsCost[] =
	"SELECT provider, round(coalesce(sum(cost_usd), 0), 6) AS cost_usd, count(*) AS transcripts,"
	" sum(cost_usd IS NULL) AS unpriced"
	" FROM transcripts WHERE created_at >= ?1 GROUP BY provider ORDER BY provider";
static const char zTenantCreate[] =
	"INSERT INTO tenants(slug, name, created_at)"
	" VALUES(?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ','now'))";
static const char zUserEndSessions[] = "DELETE FROM sessions WHERE user_id = ?1";
static const char zTenantSetDisabled[] = "UPDATE tenants SET disabled = ?2 WHERE id = ?1";

json_t *store_admin_stats(Db *db, const char *zSinceIso)
{
	json_t *pOut = db_query_one(db, zStatsRuns, "t", zSinceIso), *pAttempts, *pDays, *pCost;
	int64_t nDur;
	if (!pOut)
		return NULL;
	nDur = json_integer_value(json_object_get(pOut, "n_durations"));
	json_object_del(pOut, "n_durations");
	if (nDur > 0) {
		/* The nearest-rank 95th percentile: the ceil(0.95 n)-th smallest duration. */
		int64_t rank = (int64_t)ceil(0.95 * (double)nDur) - 1;
		json_t *pRow = db_query_one(db, zStatsDurationAt, "ti", zSinceIso, rank);
		json_object_set(pOut, "p95_duration_s", pRow ? json_object_get(pRow, "s") : json_null());
		json_decref(pRow);
	} else {
		json_object_set_new(pOut, "p95_duration_s", json_null());
	}
	pAttempts = db_query_one(db, zStatsAttempts, "t", zSinceIso);
	if (pAttempts)
		json_object_update(pOut, pAttempts);
	json_decref(pAttempts);
	json_object_set_new(pOut, "queue_depth", json_integer(db_query_int(db, 0, zStatsQueue, "")));
	pDays = db_query(db, zStatsRunsPerDay, "t", zSinceIso);
	pCost = db_query(db, zStatsCost, "t", zSinceIso);
	json_object_set_new(pOut, "runs_per_day", pDays ? pDays : json_array());
	json_object_set_new(pOut, "cost_by_provider", pCost ? pCost : json_array());
	return pOut;
}

int64_t store_tenant_create(Db *db, const char *zSlug, const char *zName, DbRc *pRc)
{
	DbRc rc = db_exec(db, zTenantCreate, "tt", zSlug, zName);
	if (pRc)
		*pRc = rc;
	return rc == DB_OK ? db_last_insert_id(db) : -1;
}

DbRc store_tenant_set_disabled(Db *db, int64_t tenantId, int disabled)
{
	DbRc rc = db_exec(db, zTenantSetDisabled, "ii", tenantId, (int64_t)(disabled ? 1 : 0));
	if (rc == DB_OK && db_changes(db) == 0)
		return DB_NOTFOUND;
	return rc;
}

DbRc store_user_end_sessions(Db *db, int64_t userId)
{
	return db_exec(db, zUserEndSessions, "i", userId);
}
