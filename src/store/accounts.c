/* accounts.c — SQL for tenants, users, sessions, API tokens, login attempts and the audit log. */
#include "store/accounts.h"
#include "lib/timeutil.h"

#include <stddef.h>

#define NOW_ISO "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

static const char zTenantInsert[] =
	"INSERT INTO tenants(slug, name, created_at) VALUES(?1, ?2, " NOW_ISO ") "
	"ON CONFLICT(slug) DO NOTHING";
static const char zTenantIdBySlug[] = "SELECT id FROM tenants WHERE slug = ?1";
static const char zTenantGet[] =
	"SELECT id, slug, name, webhook_url, budget_usd, disabled, created_at FROM tenants WHERE id = ?1";
static const char zTenantBySlug[] =
	"SELECT id, slug, name, webhook_url, budget_usd, disabled, created_at FROM tenants WHERE slug = ?1";
static const char zTenantList[] =
	"SELECT t.id, t.slug, t.name, t.disabled, t.created_at,"
	" (SELECT count(*) FROM users u WHERE u.tenant_id = t.id) AS user_count"
	" FROM tenants t ORDER BY t.slug";

int64_t store_tenant_ensure(Db *db, const char *zSlug, const char *zName)
{
	if (db_exec(db, zTenantInsert, "tt", zSlug, zName) != DB_OK)
		return -1;
	return db_query_int(db, -1, zTenantIdBySlug, "t", zSlug);
}

json_t *store_tenant_get(Db *db, int64_t tenantId)
{
	return db_query_one(db, zTenantGet, "i", tenantId);
}

json_t *store_tenant_by_slug(Db *db, const char *zSlug)
{
	return db_query_one(db, zTenantBySlug, "t", zSlug);
}

json_t *store_tenant_list(Db *db)
{
	return db_query(db, zTenantList, "");
}

static const char zUserInsert[] =
	"INSERT INTO users(tenant_id, email, password_hash, role, is_superadmin, created_at)"
	" VALUES(?1, ?2, ?3, ?4, ?5, " NOW_ISO ")";
static const char zUserSetPassword[] = "UPDATE users SET password_hash = ?2 WHERE id = ?1";
static const char zUserSetDisabled[] = "UPDATE users SET disabled = ?2 WHERE id = ?1";
static const char zUserColumns[] =
	"SELECT u.id, u.tenant_id, u.email, u.password_hash, u.role, u.is_superadmin, u.disabled,"
	" u.created_at, u.last_login_at, t.slug AS tenant_slug, t.name AS tenant_name"
	" FROM users u JOIN tenants t ON t.id = u.tenant_id";
static const char zUserByEmail[] =
	"SELECT u.id, u.tenant_id, u.email, u.password_hash, u.role, u.is_superadmin, u.disabled,"
	" u.created_at, u.last_login_at, t.slug AS tenant_slug, t.name AS tenant_name,"
	" t.disabled AS tenant_disabled"
	" FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.email = ?1";
static const char zUserGet[] =
	"SELECT u.id, u.tenant_id, u.email, u.role, u.is_superadmin, u.disabled,"
	" u.created_at, u.last_login_at, t.slug AS tenant_slug, t.name AS tenant_name"
	" FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = ?1";
static const char zUserList[] =
	"SELECT u.id, u.tenant_id, u.email, u.role, u.is_superadmin, u.disabled,"
	" u.created_at, u.last_login_at, t.slug AS tenant_slug"
	" FROM users u JOIN tenants t ON t.id = u.tenant_id"
	" WHERE ?1 = 0 OR u.tenant_id = ?1 ORDER BY t.slug, u.email";
static const char zUserTouchLogin[] = "UPDATE users SET last_login_at = " NOW_ISO " WHERE id = ?1";

int64_t store_user_add(Db *db, int64_t tenantId, const char *zEmail, const char *zHash,
		       const char *zRole, int isSuperadmin, DbRc *pRc)
{
	DbRc rc = db_exec(db, zUserInsert, "ittti", tenantId, zEmail, zHash, zRole,
			  (int64_t)(isSuperadmin ? 1 : 0));
	(void)zUserColumns;
	if (pRc)
		*pRc = rc;
	return rc == DB_OK ? db_last_insert_id(db) : -1;
}

DbRc store_user_set_password(Db *db, int64_t userId, const char *zHash)
{
	DbRc rc = db_exec(db, zUserSetPassword, "it", userId, zHash);
	return rc == DB_OK && db_changes(db) == 0 ? DB_NOTFOUND : rc;
}

DbRc store_user_set_disabled(Db *db, int64_t userId, int disabled)
{
	DbRc rc = db_exec(db, zUserSetDisabled, "ii", userId, (int64_t)(disabled ? 1 : 0));
	return rc == DB_OK && db_changes(db) == 0 ? DB_NOTFOUND : rc;
}

json_t *store_user_by_email(Db *db, const char *zEmail)
{
	return db_query_one(db, zUserByEmail, "t", zEmail);
}

json_t *store_user_get(Db *db, int64_t userId)
{
	return db_query_one(db, zUserGet, "i", userId);
}

json_t *store_user_list(Db *db, int64_t tenantId)
{
	return db_query(db, zUserList, "i", tenantId);
}

DbRc store_user_touch_login(Db *db, int64_t userId)
{
	return db_exec(db, zUserTouchLogin, "i", userId);
}

static const char zSessionInsert[] =
	"INSERT INTO sessions(user_id, token_hash, csrf_token, client_addr, user_agent,"
	" created_at, last_seen_at, expires_at)"
	" VALUES(?1, ?2, ?3, ?4, ?5, " NOW_ISO ", " NOW_ISO ", ?6)";
static const char zSessionLookup[] =
	"SELECT s.id AS session_id, s.csrf_token, s.last_seen_at, s.expires_at, s.created_at,"
	" u.id AS user_id, u.email, u.role, u.is_superadmin, u.disabled,"
	" t.id AS tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,"
	" t.disabled AS tenant_disabled"
	" FROM sessions s JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = u.tenant_id"
	" WHERE s.token_hash = ?1";
static const char zSessionTouch[] = "UPDATE sessions SET last_seen_at = " NOW_ISO " WHERE id = ?1";
static const char zSessionDelete[] = "DELETE FROM sessions WHERE id = ?1";
static const char zSessionDeleteExpired[] = "DELETE FROM sessions WHERE expires_at < ?1";

int64_t store_session_create(Db *db, int64_t userId, const char *zTokenHash, const char *zCsrf,
			     const char *zClientAddr, const char *zUserAgent, const char *zExpiresAt)
{
	if (db_exec(db, zSessionInsert, "itttt" "t", userId, zTokenHash, zCsrf, zClientAddr,
		    zUserAgent, zExpiresAt) != DB_OK)
		return -1;
	return db_last_insert_id(db);
}

json_t *store_session_lookup(Db *db, const char *zTokenHash)
{
	return db_query_one(db, zSessionLookup, "t", zTokenHash);
}

DbRc store_session_touch(Db *db, int64_t sessionId)
{
	return db_exec(db, zSessionTouch, "i", sessionId);
}

DbRc store_session_delete(Db *db, int64_t sessionId)
{
	return db_exec(db, zSessionDelete, "i", sessionId);
}

DbRc store_session_delete_expired(Db *db, const char *zNowIso)
{
	return db_exec(db, zSessionDeleteExpired, "t", zNowIso);
}

static const char zTokenInsert[] =
	"INSERT INTO api_tokens(user_id, name, token_hash, token_prefix, created_at)"
	" VALUES(?1, ?2, ?3, ?4, " NOW_ISO ")";
static const char zTokenList[] =
	"SELECT id, name, token_prefix, created_at, last_used_at, revoked_at FROM api_tokens"
	" WHERE user_id = ?1 ORDER BY id DESC";
static const char zTokenRevoke[] =
	"UPDATE api_tokens SET revoked_at = " NOW_ISO
	" WHERE id = ?2 AND user_id = ?1 AND revoked_at IS NULL";
static const char zTokenExists[] = "SELECT count(*) FROM api_tokens WHERE id = ?2 AND user_id = ?1";
static const char zTokenLookup[] =
	"SELECT NULL AS session_id, NULL AS csrf_token, k.id AS token_id,"
	" u.id AS user_id, u.email, u.role, u.is_superadmin, u.disabled,"
	" t.id AS tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,"
	" t.disabled AS tenant_disabled"
	" FROM api_tokens k JOIN users u ON u.id = k.user_id JOIN tenants t ON t.id = u.tenant_id"
	" WHERE k.token_hash = ?1 AND k.revoked_at IS NULL";
static const char zTokenTouch[] = "UPDATE api_tokens SET last_used_at = " NOW_ISO " WHERE token_hash = ?1";

int64_t store_token_create(Db *db, int64_t userId, const char *zName, const char *zHash,
			   const char *zPrefix)
{
	if (db_exec(db, zTokenInsert, "itt" "t", userId, zName, zHash, zPrefix) != DB_OK)
		return -1;
	return db_last_insert_id(db);
}

json_t *store_token_list(Db *db, int64_t userId)
{
	return db_query(db, zTokenList, "i", userId);
}

DbRc store_token_revoke(Db *db, int64_t userId, int64_t tokenId)
{
	DbRc rc = db_exec(db, zTokenRevoke, "ii", userId, tokenId);
	if (rc != DB_OK)
		return rc;
	/* Revoking twice is harmless; revoking someone else's token is not found. */
	return db_query_int(db, 0, zTokenExists, "ii", userId, tokenId) ? DB_OK : DB_NOTFOUND;
}

json_t *store_token_lookup(Db *db, const char *zHash)
{
	json_t *p = db_query_one(db, zTokenLookup, "t", zHash);
	if (p)
		db_exec(db, zTokenTouch, "t", zHash);
	return p;
}

static const char zAttemptInsert[] =
	"INSERT INTO login_attempts(email, client_addr, succeeded, at_ms) VALUES(?1, ?2, ?3, ?4)";
static const char zAttemptPrune[] = "DELETE FROM login_attempts WHERE at_ms < ?1";
static const char zFailuresEmail[] =
	"SELECT count(*) FROM login_attempts WHERE email = ?1 AND succeeded = 0 AND at_ms >= ?2";
static const char zFailuresAddr[] =
	"SELECT count(*) FROM login_attempts WHERE client_addr = ?1 AND succeeded = 0 AND at_ms >= ?2";

DbRc store_login_attempt(Db *db, const char *zEmail, const char *zClientAddr, int succeeded)
{
	int64_t now = time_now_ms();
	db_exec(db, zAttemptPrune, "i", now - 86400000LL);
	return db_exec(db, zAttemptInsert, "tti" "i", zEmail, zClientAddr,
		       (int64_t)(succeeded ? 1 : 0), now);
}

int64_t store_login_failures_for_email(Db *db, const char *zEmail, int64_t sinceMs)
{
	return db_query_int(db, 0, zFailuresEmail, "ti", zEmail, sinceMs);
}

int64_t store_login_failures_for_addr(Db *db, const char *zClientAddr, int64_t sinceMs)
{
	return db_query_int(db, 0, zFailuresAddr, "ti", zClientAddr, sinceMs);
}

static const char zAuditInsert[] =
	"INSERT INTO audit_log(tenant_id, user_id, actor_email, action, target_type, target_id,"
	" details, client_addr, created_at)"
	" VALUES(nullif(?1, 0), nullif(?2, 0), ?3, ?4, ?5, nullif(?6, 0), ?7, ?8, " NOW_ISO ")";
static const char zAuditList[] =
	"SELECT a.id, a.tenant_id, t.slug AS tenant_slug, a.actor_email, a.action, a.target_type,"
	" a.target_id, a.details, a.client_addr, a.created_at"
	" FROM audit_log a LEFT JOIN tenants t ON t.id = a.tenant_id"
	" WHERE (?1 = 0 OR a.tenant_id = ?1)"
	" AND (?2 IS NULL OR a.actor_email = ?2)"
	" AND (?3 IS NULL OR a.action = ?3)"
	" AND (?4 IS NULL OR a.created_at >= ?4)"
	" AND (?5 IS NULL OR a.created_at < ?5)"
	" ORDER BY a.id DESC LIMIT ?6 OFFSET ?7";

DbRc store_audit(Db *db, int64_t tenantId, int64_t userId, const char *zActorEmail,
		 const char *zAction, const char *zTargetType, int64_t targetId,
		 const char *zDetails, const char *zClientAddr)
{
	return db_exec(db, zAuditInsert, "iitttitt", tenantId, userId, zActorEmail, zAction,
		       zTargetType, targetId, zDetails, zClientAddr);
}

json_t *store_audit_list(Db *db, int64_t tenantId, const char *zUserEmail, const char *zAction,
			 const char *zFrom, const char *zTo, int64_t limit, int64_t offset)
{
	return db_query(db, zAuditList, "itttt" "ii", tenantId, zUserEmail, zAction, zFrom, zTo,
			limit, offset);
}
