/* notifications.c — SQL for post-run summaries: listing, the banner, dismissing, webhook delivery state. */
#include "store/notifications.h"
#include "lib/util.h"

#include <string.h>

#define NOW_ISO "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

static const char zNotificationList[] =
	"SELECT n.id, n.run_id, n.user_id, u.email AS user_email, n.summary AS summary_json,"
	" n.created_at, n.dismissed_at, n.webhook_state, n.webhook_attempts, n.webhook_next_ms,"
	" n.webhook_last_error"
	" FROM notifications n LEFT JOIN users u ON u.id = n.user_id"
	" WHERE n.tenant_id = ?1 ORDER BY n.id DESC LIMIT ?2 OFFSET ?3";
static const char zNotificationCount[] =
	"SELECT count(*) FROM notifications WHERE tenant_id = ?1";
static const char zNotificationUndismissed[] =
	"SELECT id, run_id, summary AS summary_json FROM notifications"
	" WHERE user_id = ?1 AND dismissed_at IS NULL ORDER BY id DESC LIMIT ?2";
static const char zNotificationExists[] =
	"SELECT count(*) FROM notifications WHERE id = ?1 AND user_id = ?2";
static const char zNotificationDismiss[] =
	"UPDATE notifications SET dismissed_at = " NOW_ISO
	" WHERE id = ?1 AND user_id = ?2 AND dismissed_at IS NULL";
static const char zTenantSetWebhook[] = "UPDATE tenants SET webhook_url = ?2 WHERE id = ?1";
static const char zWebhookDue[] =
	"SELECT n.id, n.run_id, n.summary, n.webhook_attempts AS attempts, t.webhook_url AS url"
	" FROM notifications n JOIN tenants t ON t.id = n.tenant_id"
	" WHERE n.webhook_state IN ('pending','retrying','sending') AND n.webhook_next_ms <= ?1"
	" ORDER BY n.webhook_next_ms, n.id LIMIT 1";
static const char zWebhookClaim[] =
	"UPDATE notifications SET webhook_state = 'sending', webhook_next_ms = ?2"
	" WHERE id = ?1 AND webhook_state IN ('pending','retrying','sending')"
	" AND webhook_next_ms <= ?3";
static const char zWebhookSkip[] =
	"UPDATE notifications SET webhook_state = 'skipped',"
	" webhook_last_error = 'the tenant has no webhook URL any more' WHERE id = ?1";
static const char zWebhookResult[] =
	"UPDATE notifications SET webhook_state = ?2, webhook_attempts = ?3, webhook_next_ms = ?4,"
	" webhook_last_error = ?5 WHERE id = ?1";

json_t *store_notifications_list(Db *db, int64_t tenantId, int64_t limit, int64_t offset)
{
	return db_query(db, zNotificationList, "iii", tenantId, limit, offset);
}

int64_t store_notifications_count(Db *db, int64_t tenantId)
{
	return db_query_int(db, 0, zNotificationCount, "i", tenantId);
}

json_t *store_notifications_undismissed(Db *db, int64_t userId, int64_t limit)
{
	return db_query(db, zNotificationUndismissed, "ii", userId, limit);
}

DbRc store_notification_dismiss(Db *db, int64_t userId, int64_t id)
{
	if (db_query_int(db, 0, zNotificationExists, "ii", id, userId) == 0)
		return DB_NOTFOUND;
	return db_exec(db, zNotificationDismiss, "ii", id, userId);
}

DbRc store_tenant_set_webhook(Db *db, int64_t tenantId, const char *zUrl)
{
	return db_exec(db, zTenantSetWebhook, "it", tenantId, zUrl && *zUrl ? zUrl : NULL);
}

json_t *store_webhook_claim(Db *db, int64_t nowMs)
{
	json_t *pRow = NULL;
	const char *zUrl;
	/* Look before taking the write lock: almost every second there is nothing due. */
	pRow = db_query_one(db, zWebhookDue, "i", nowMs);
	if (!pRow)
		return NULL;
	json_decref(pRow);
	if (db_begin(db) != DB_OK)
		return NULL;
	pRow = db_query_one(db, zWebhookDue, "i", nowMs);
	if (!pRow)
		goto out;
	zUrl = json_string_value(json_object_get(pRow, "url"));
	if (!zUrl || !*zUrl) {
		db_exec(db, zWebhookSkip, "i", json_integer_value(json_object_get(pRow, "id")));
		json_decref(pRow);
		pRow = NULL;
		goto out;
	}
	if (db_exec(db, zWebhookClaim, "iii", json_integer_value(json_object_get(pRow, "id")),
		    nowMs + WEBHOOK_CLAIM_MS, nowMs) != DB_OK ||
	    db_changes(db) != 1) {
		json_decref(pRow);
		pRow = NULL;
	}
out:
	if (db_commit(db) != DB_OK) {
		db_rollback(db);
		json_decref(pRow);
		return NULL;
	}
	return pRow;
}

DbRc store_webhook_result(Db *db, int64_t id, int ok, int64_t attempts, int64_t nextMs,
			  const char *zError)
{
	const char *zState = ok ? "delivered" : attempts >= WEBHOOK_MAX_ATTEMPTS ? "failed" : "retrying";
	return db_exec(db, zWebhookResult, "itiit", id, zState, attempts, nextMs, ok ? NULL : zError);
}
