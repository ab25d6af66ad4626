/* auth.c — passwords (argon2id), sessions (hashed cookie tokens), API tokens and CSRF checks. */
#include "web/auth.h"
#include "store/accounts.h"
#include "lib/log.h"
#include "lib/sha256.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <argon2.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* argon2id cost: 64 MiB, 3 passes, 1 lane (OWASP's second recommended profile is close to this). */
#define ARGON2_T_COST 3
#define ARGON2_M_COST (64 * 1024)
#define ARGON2_LANES 1

int auth_hash_password(const char *zPassword, char *zOut, size_t nOut)
{
	unsigned char salt[16];
	if (random_bytes(salt, sizeof(salt)))
		return -1;
	return argon2id_hash_encoded(ARGON2_T_COST, ARGON2_M_COST, ARGON2_LANES, zPassword,
				     strlen(zPassword), salt, sizeof(salt), 32, zOut, nOut) == ARGON2_OK
		       ? 0
		       : -1;
}

int auth_verify_password(const char *zEncoded, const char *zPassword)
{
	if (!zEncoded || !zPassword || !str_starts_with(zEncoded, "$argon2id$"))
		return 0;
	return argon2id_verify(zEncoded, zPassword, strlen(zPassword)) == ARGON2_OK;
}

int auth_generate_password(char *zOut, size_t nOut)
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char raw[20];
	size_t i;
	if (nOut < sizeof(raw) + 1 || random_bytes(raw, sizeof(raw)))
		return -1;
	for (i = 0; i < sizeof(raw); i++)
		zOut[i] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
	zOut[sizeof(raw)] = 0;
	return 0;
}

int auth_role_rank(const char *zRole)
{
	if (!zRole)
		return 0;
	if (strcmp(zRole, "admin") == 0)
		return 3;
	if (strcmp(zRole, "researcher") == 0)
		return 2;
	if (strcmp(zRole, "viewer") == 0)
		return 1;
	return 0;
}

int auth_has_role(const Request *r, const char *zMinRole)
{
	if (!r->hasUser)
		return 0;
	if (r->user.isSuperadmin)
		return 1;
	return auth_role_rank(r->user.zRole) >= auth_role_rank(zMinRole);
}

/* Fill r->user from a joined session/token row. */
static void user_from_row(Request *r, json_t *pRow)
{
	User *u = &r->user;
	memset(u, 0, sizeof(*u));
	u->id = json_integer_value(json_object_get(pRow, "user_id"));
	u->tenantId = json_integer_value(json_object_get(pRow, "tenant_id"));
	u->sessionId = json_integer_value(json_object_get(pRow, "session_id"));
	str_copy(u->zEmail, sizeof(u->zEmail), json_string_value(json_object_get(pRow, "email")) ?: "");
	str_copy(u->zRole, sizeof(u->zRole), json_string_value(json_object_get(pRow, "role")) ?: "viewer");
	u->isSuperadmin = json_integer_value(json_object_get(pRow, "is_superadmin")) != 0;
	str_copy(u->zTenantSlug, sizeof(u->zTenantSlug),
		 json_string_value(json_object_get(pRow, "tenant_slug")) ?: "");
	str_copy(u->zTenantName, sizeof(u->zTenantName),
		 json_string_value(json_object_get(pRow, "tenant_name")) ?: "");
	str_copy(u->zCsrf, sizeof(u->zCsrf), json_string_value(json_object_get(pRow, "csrf_token")) ?: "");
	r->hasUser = 1;
}

static int row_disabled(json_t *pRow)
{
	return json_integer_value(json_object_get(pRow, "disabled")) != 0 ||
	       json_integer_value(json_object_get(pRow, "tenant_disabled")) != 0;
}

int auth_resolve_user(Request *r)
{
	const char *zToken;
	char zHash[65];
	json_t *pRow;
	if (r->zAuthorization && str_starts_with(r->zAuthorization, "Bearer ")) {
		zToken = r->zAuthorization + 7;
		if (!r->isApi || strlen(zToken) < 20)
			return -1;
		sha256_hex(zToken, strlen(zToken), zHash);
		pRow = store_token_lookup(r->db, zHash);
		if (!pRow || row_disabled(pRow)) {
			json_decref(pRow);
			return -1;
		}
		user_from_row(r, pRow);
		json_decref(pRow);
		return 0;
	}
	zToken = param_get(&r->cookies, SESSION_COOKIE);
	if (!zToken || strlen(zToken) != 64)
		return 0;
	sha256_hex(zToken, strlen(zToken), zHash);
	pRow = store_session_lookup(r->db, zHash);
	if (!pRow)
		return 0;
	{
		const Config *c = r->pApp->pConfig;
		time_t now = time(NULL), seen = 0, expires = 0;
		time_parse_iso(json_string_value(json_object_get(pRow, "last_seen_at")) ?: "", &seen);
		time_parse_iso(json_string_value(json_object_get(pRow, "expires_at")) ?: "", &expires);
		if (now > expires || now - seen > (time_t)c->sessionIdleMinutes * 60 || row_disabled(pRow)) {
			store_session_delete(r->db, json_integer_value(json_object_get(pRow, "session_id")));
			json_decref(pRow);
			return 0;
		}
		user_from_row(r, pRow);
		/* Touch at most once a minute: a page view should not always write. */
		if (now - seen >= 60)
			store_session_touch(r->db, r->user.sessionId);
	}
	json_decref(pRow);
	return 0;
}

/* 1 when zUrl's scheme://host[:port] part names zHost. */
static int url_same_host(const char *zUrl, const char *zHost)
{
	const char *z = strstr(zUrl, "://");
	size_t nHost;
	if (!z || !zHost || !*zHost)
		return 0;
	z += 3;
	nHost = strcspn(z, "/?#");
	return strlen(zHost) == nHost && strncasecmp(z, zHost, nHost) == 0;
}

int auth_csrf_ok(const Request *r)
{
	const char *zToken;
	if (r->hasUser && r->user.sessionId == 0)
		return 1; /* Bearer token: no cookie, nothing ambient to forge. */
	if (r->zOrigin && *r->zOrigin) {
		if (!url_same_host(r->zOrigin, r->zHost))
			return 0;
	} else if (r->zReferer && *r->zReferer) {
		if (!url_same_host(r->zReferer, r->zHost))
			return 0;
	} else {
		return 0;
	}
	if (!r->hasUser)
		return 1; /* The login form: no session yet; the same-origin check applies. */
	zToken = param_get(&r->form, "csrf_token");
	return zToken && strlen(zToken) == strlen(r->user.zCsrf) && strcmp(zToken, r->user.zCsrf) == 0;
}

static int secure_cookies(const Request *r)
{
	int s = r->pApp->pConfig->secureCookies;
	return s < 0 ? r->isHttps : s;
}

int auth_session_start(Request *r, Response *p, int64_t userId)
{
	char zToken[65], zHash[65], zCsrf[65], zExpires[TIME_ISO_LEN], zCookie[256];
	int64_t sessionId;
	if (r->hasUser && r->user.sessionId)
		store_session_delete(r->db, r->user.sessionId); /* a fresh session at login */
	if (random_hex(zToken, 32) || random_hex(zCsrf, 32))
		return -1;
	sha256_hex(zToken, 64, zHash);
	time_iso_from_epoch(zExpires, time(NULL) + (time_t)r->pApp->pConfig->sessionMaxHours * 3600);
	sessionId = store_session_create(r->db, userId, zHash, zCsrf, r->zRemoteAddr,
					 r->zUserAgent ? r->zUserAgent : "", zExpires);
	if (sessionId < 0)
		return -1;
	snprintf(zCookie, sizeof(zCookie), "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d%s",
		 SESSION_COOKIE, zToken, r->pApp->pConfig->sessionMaxHours * 3600,
		 secure_cookies(r) ? "; Secure" : "");
	response_header(p, "Set-Cookie", zCookie);
	return 0;
}

void auth_session_end(Request *r, Response *p)
{
	char zCookie[160];
	if (r->hasUser && r->user.sessionId)
		store_session_delete(r->db, r->user.sessionId);
	snprintf(zCookie, sizeof(zCookie), "%s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s",
		 SESSION_COOKIE, secure_cookies(r) ? "; Secure" : "");
	response_header(p, "Set-Cookie", zCookie);
}

void auth_audit(Request *r, const char *zAction, const char *zTargetType, int64_t targetId,
		const char *zDetails)
{
	store_audit(r->db, r->hasUser ? r->user.tenantId : 0, r->hasUser ? r->user.id : 0,
		    r->hasUser ? r->user.zEmail : NULL, zAction, zTargetType, targetId, zDetails,
		    r->zRemoteAddr);
}
