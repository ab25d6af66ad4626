/* runs.h — runs: creation with their jobs, listing, status changes. */
#ifndef VR_STORE_RUNS_H
#define VR_STORE_RUNS_H

#include "store/db.h"

/* The tenant's most recent runs (id, name, status, counters, created_at, definition). */
json_t *store_run_list_recent(Db *db, int64_t tenantId, int64_t limit);

#endif
