/* dashboard.h — the runs dashboard and the admin run list: filters, search, sort, pages. */
#ifndef VR_STORE_DASHBOARD_H
#define VR_STORE_DASHBOARD_H

#include "store/db.h"

/* How the run list is ordered. */
typedef enum RunSort { RUN_SORT_CREATED = 0, RUN_SORT_STATUS = 1, RUN_SORT_DURATION = 2 } RunSort;

/*
 * A dashboard query. Strings are borrowed; NULL means "no filter".
 * zStatus is one of pending, running, paused, completed (without failed
 * jobs), completed_with_errors, failed, cancelled. zFrom/zTo are
 * ISO-8601 bounds compared with runs.created_at: from inclusive, to
 * exclusive (the caller turns an inclusive end date into the next day).
 * zSearch matches a run id exactly when it is all digits, and any part of
 * the name (case-insensitive) in every case.
 */
typedef struct RunFilter {
	int64_t tenantId;     /* 0: every tenant (admin) */
	const char *zStatus;
	int64_t definitionId; /* 0: any */
	const char *zFrom;
	const char *zTo;
	const char *zSearch;
	RunSort sort;
	int descending;
	int64_t limit;
	int64_t offset;
} RunFilter;

/*
 * One page of runs matching the filter: a new JSON array (caller decrefs)
 * of {id, tenant_id, tenant_slug, name, status, display_status, total_jobs,
 * completed_jobs, failed_jobs, cancelled_jobs, created_at, started_at,
 * completed_at, definition_id, definition_name, definition_version,
 * models (array of {provider, model, version}), duration_s (null before
 * start)}. NULL on a database error.
 */
json_t *store_dashboard_runs(Db *db, const RunFilter *f);

/* Number of runs matching the filter (limit/offset ignored); -1 on error. */
int64_t store_dashboard_count(Db *db, const RunFilter *f);

/*
 * Definitions the filter's tenant has runs of (0: all tenants), for the
 * definition filter: array of {id, name, version}. Caller decrefs.
 */
json_t *store_dashboard_definitions(Db *db, int64_t tenantId);

#endif
