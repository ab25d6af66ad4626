/* accounts.h — tenants, users, sessions, API tokens, login throttling and the audit log. */
#ifndef VR_STORE_ACCOUNTS_H
#define VR_STORE_ACCOUNTS_H

#include "store/db.h"

/* Tenant by slug, created when missing; returns its id or -1. */
int64_t store_tenant_ensure(Db *db, const char *zSlug, const char *zName);
/* Tenant row {id, slug, name, webhook_url, ...} or NULL. Caller decrefs. */
json_t *store_tenant_get(Db *db, int64_t tenantId);
json_t *store_tenant_by_slug(Db *db, const char *zSlug);
json_t *store_tenant_list(Db *db);

/*
 * Create a user. zHash is the argon2id encoded hash. Returns the new id,
 * or -1 (DB_CONFLICT in *pRc when the email exists).
 */
int64_t store_user_add(Db *db, int64_t tenantId, const char *zEmail, const char *zHash,
		       const char *zRole, int isSuperadmin, DbRc *pRc);
DbRc store_user_set_password(Db *db, int64_t userId, const char *zHash);
DbRc store_user_set_disabled(Db *db, int64_t userId, int disabled);
/* User row with tenant slug, including password_hash. Caller decrefs; NULL if none. */
json_t *store_user_by_email(Db *db, const char *zEmail);
json_t *store_user_get(Db *db, int64_t userId);
json_t *store_user_list(Db *db, int64_t tenantId); /* tenantId 0: all tenants */
DbRc store_user_touch_login(Db *db, int64_t userId);

/* Sessions: only the SHA-256 of the token is stored. */
int64_t store_session_create(Db *db, int64_t userId, const char *zTokenHash, const char *zCsrf,
			     const char *zClientAddr, const char *zUserAgent, const char *zExpiresAt);
/*
 * Resolve a session by token hash: the joined user and session fields
 * {session_id, csrf_token, last_seen_at, expires_at, user_id, email, role,
 * is_superadmin, tenant_id, tenant_slug, tenant_name, disabled}. NULL if
 * unknown. Caller decrefs. Expiry is checked by the caller.
 */
json_t *store_session_lookup(Db *db, const char *zTokenHash);
DbRc store_session_touch(Db *db, int64_t sessionId);
DbRc store_session_delete(Db *db, int64_t sessionId);
DbRc store_session_delete_expired(Db *db, const char *zNowIso);

/* API tokens. */
int64_t store_token_create(Db *db, int64_t userId, const char *zName, const char *zHash,
			   const char *zPrefix);
json_t *store_token_list(Db *db, int64_t userId);
DbRc store_token_revoke(Db *db, int64_t userId, int64_t tokenId);
/* Same shape as store_session_lookup (session_id is null) for a live token. */
json_t *store_token_lookup(Db *db, const char *zHash);

/* Login throttling: failures in the last windowMs for an email and an address. */
DbRc store_login_attempt(Db *db, const char *zEmail, const char *zClientAddr, int succeeded);
int64_t store_login_failures_for_email(Db *db, const char *zEmail, int64_t sinceMs);
int64_t store_login_failures_for_addr(Db *db, const char *zClientAddr, int64_t sinceMs);

/*
 * Append to the audit log. userId/tenantId 0 mean none. zDetails is a
 * short JSON text or NULL.
 */
DbRc store_audit(Db *db, int64_t tenantId, int64_t userId, const char *zActorEmail,
		 const char *zAction, const char *zTargetType, int64_t targetId,
		 const char *zDetails, const char *zClientAddr);
/* Audit entries newest first; tenantId 0 for all; filters may be NULL. */
json_t *store_audit_list(Db *db, int64_t tenantId, const char *zUserEmail, const char *zAction,
			 const char *zFrom, const char *zTo, int64_t limit, int64_t offset);

#endif
