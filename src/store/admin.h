/* admin.h — superadmin statistics across tenants, and tenant creation/disabling. */
#ifndef VR_STORE_ADMIN_H
#define VR_STORE_ADMIN_H

#include "store/db.h"

/*
 * Statistics over runs created (and work done) since zSinceIso, every
 * tenant: {runs_per_day: [{day, runs, failed}], runs_total, runs_finished,
 * runs_failed, runs_with_errors, runs_cancelled, avg_duration_s,
 * p95_duration_s (null without finished runs), attempts_done,
 * attempts_failed, queue_depth, cost_by_provider: [{provider, cost_usd,
 * transcripts, unpriced}]}. Caller decrefs; NULL on error.
 */
json_t *store_admin_stats(Db *db, const char *zSinceIso);

/*
 * Create a tenant. Returns its id, or -1 with *pRc = DB_CONFLICT when the
 * slug exists (another error otherwise).
 */
int64_t store_tenant_create(Db *db, const char *zSlug, const char *zName, DbRc *pRc);

/* Disable (1) or enable (0) a tenant: its users cannot sign in. DB_NOTFOUND if none. */
DbRc store_tenant_set_disabled(Db *db, int64_t tenantId, int disabled);

/* End every session of a user (after a password reset by an admin). */
DbRc store_user_end_sessions(Db *db, int64_t userId);

#endif
