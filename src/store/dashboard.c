/* dashboard.c — SQL for the runs dashboard and the admin run list (filters, search, sort, pages). */
#include "store/dashboard.h"
#include "lib/buf.h"
#include "lib/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Seconds from start to end (or now while active); NULL before the run started. */
#define RUN_DURATION_S \
	"CASE WHEN r.started_at IS NULL THEN NULL ELSE CAST(round((julianday(" \
	"coalesce(r.completed_at, 'now')) - julianday(r.started_at)) * 86400) AS INTEGER) END"
#define RUN_DISPLAY_STATUS \
	"CASE WHEN r.status = 'completed' AND r.failed_jobs > 0 THEN 'completed_with_errors'" \
	" ELSE r.status END"
#define RUN_FROM_WHERE \
	" FROM runs r JOIN definitions d ON d.id = r.definition_id" \
	" JOIN tenants t ON t.id = r.tenant_id" \
	" WHERE (?1 = 0 OR r.tenant_id = ?1)" \
	" AND (?2 IS NULL OR (" RUN_DISPLAY_STATUS ") = ?2)" \
	" AND (?3 = 0 OR r.definition_id = ?3)" \
	" AND (?4 IS NULL OR r.created_at >= ?4)" \
	" AND (?5 IS NULL OR r.created_at < ?5)" \
	" AND (?6 IS NULL OR r.id = ?7 OR r.name LIKE ?6 ESCAPE '\\')"
#define RUN_SELECT \
	"SELECT r.id, r.tenant_id, t.slug AS tenant_slug, r.name, r.status," \
	" " RUN_DISPLAY_STATUS " AS display_status, r.total_jobs, r.completed_jobs," \
	" r.failed_jobs, r.cancelled_jobs, r.created_at, r.started_at, r.completed_at," \
	" r.definition_id, d.name AS definition_name, d.version AS definition_version," \
	" json_extract(r.config, '$.models') AS models_json, " RUN_DURATION_S " AS duration_s" \
	RUN_FROM_WHERE
#define RUN_PAGE " LIMIT ?8 OFFSET ?9"

/* One statement per sort order and direction: ORDER BY is never assembled at run time. */
static const char *const azRunList[3][2] = {
	{RUN_SELECT " ORDER BY r.created_at ASC, r.id ASC" RUN_PAGE,
	 RUN_SELECT " ORDER BY r.created_at DESC, r.id DESC" RUN_PAGE},
	{RUN_SELECT " ORDER BY display_status ASC, r.id DESC" RUN_PAGE,
	 RUN_SELECT " ORDER BY display_status DESC, r.id DESC" RUN_PAGE},
	{RUN_SELECT " ORDER BY duration_s IS NULL, duration_s ASC, r.id DESC" RUN_PAGE,
	 RUN_SELECT " ORDER BY duration_s IS NULL, duration_s DESC, r.id DESC" RUN_PAGE},
};
static const char zRunCount[] = "SELECT count(*)" RUN_FROM_WHERE;
static const char zRunDefinitions[] =
	"SELECT d.id, d.name, d.version FROM definitions d"
	" WHERE d.id IN (SELECT DISTINCT definition_id FROM runs WHERE ?1 = 0 OR tenant_id = ?1)"
	" ORDER BY d.name, d.version, d.id";

/* The run id the search names, or -1 when it is not a plain number. */
static int64_t search_id(const char *zSearch)
{
	int64_t id;
	if (zSearch && parse_int64(zSearch, 1, INT64_MAX, &id) == 0)
		return id;
	return -1;
}

json_t *store_dashboard_runs(Db *db, const RunFilter *f)
{
	char *zLike = db_like_pattern(f->zSearch);
	int sort = f->sort >= RUN_SORT_CREATED && f->sort <= RUN_SORT_DURATION ? (int)f->sort : 0;
	json_t *pRows = db_query(db, azRunList[sort][f->descending ? 1 : 0], "itittti" "ii",
				 f->tenantId, f->zStatus, f->definitionId, f->zFrom, f->zTo, zLike,
				 search_id(f->zSearch), f->limit > 0 ? f->limit : (int64_t)50,
				 f->offset > 0 ? f->offset : (int64_t)0);
	free(zLike);
	return pRows;
}

int64_t store_dashboard_count(Db *db, const RunFilter *f)
{
	char *zLike = db_like_pattern(f->zSearch);
	int64_t n = db_query_int(db, -1, zRunCount, "itittti", f->tenantId, f->zStatus,
				 f->definitionId, f->zFrom, f->zTo, zLike, search_id(f->zSearch));
	free(zLike);
	return n;
}

json_t *store_dashboard_definitions(Db *db, int64_t tenantId)
{
	return db_query(db, zRunDefinitions, "i", tenantId);
}
