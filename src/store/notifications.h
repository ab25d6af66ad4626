/* notifications.h — post-run summaries (written by a trigger, see schema.c), the banner, webhook delivery. */
#ifndef VR_STORE_NOTIFICATIONS_H
#define VR_STORE_NOTIFICATIONS_H

#include "store/db.h"

/* Webhook delivery: attempts before giving up, and how long a claim is held. */
#define WEBHOOK_MAX_ATTEMPTS 5
#define WEBHOOK_CLAIM_MS 60000

/*
 * The tenant's notifications, newest first, page by page: {id, run_id,
 * user_id, user_email, summary (parsed), created_at, dismissed_at,
 * webhook_state, webhook_attempts, webhook_next_ms, webhook_last_error}.
 * Caller decrefs; NULL on error.
 */
json_t *store_notifications_list(Db *db, int64_t tenantId, int64_t limit, int64_t offset);
int64_t store_notifications_count(Db *db, int64_t tenantId);

/* The user's undismissed notifications, newest first (at most limit): {id, run_id, summary}. */
json_t *store_notifications_undismissed(Db *db, int64_t userId, int64_t limit);

/*
 * Dismiss notification id of user userId (only the user it was written
 * for). DB_OK (also when already dismissed) or DB_NOTFOUND.
 */
DbRc store_notification_dismiss(Db *db, int64_t userId, int64_t id);

/* Set (or clear, with NULL) the tenant's webhook URL. The caller validates it. */
DbRc store_tenant_set_webhook(Db *db, int64_t tenantId, const char *zUrl);

/*
 * Claim the next webhook delivery that is due at nowMs: state pending or
 * retrying (or a "sending" claim older than WEBHOOK_CLAIM_MS, whose
 * deliverer died), next_ms <= nowMs. The row becomes "sending" until
 * nowMs + WEBHOOK_CLAIM_MS, so two daemons never send it at once. Returns
 * {id, run_id, summary (text), url, attempts} or NULL when nothing is due.
 * Caller decrefs. A notification whose tenant has no URL any more is
 * marked "skipped".
 */
json_t *store_webhook_claim(Db *db, int64_t nowMs);

/*
 * Record a delivery attempt of notification id: delivered when ok, else
 * "retrying" until nextMs, or "failed" when attempts reached
 * WEBHOOK_MAX_ATTEMPTS. zError is the reason (NULL when ok).
 */
DbRc store_webhook_result(Db *db, int64_t id, int ok, int64_t attempts, int64_t nextMs,
			  const char *zError);

#endif
