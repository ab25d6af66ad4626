/* auth.h — argon2id password hashing, session and API tokens, the signed-in user, CSRF. */
#ifndef VR_AUTH_H
#define VR_AUTH_H

#include "web/web.h"

#define SESSION_COOKIE "vr_session"

/* argon2id hash of zPassword in encoded form into zOut (≥ 128 bytes). 0 or -1. */
int auth_hash_password(const char *zPassword, char *zOut, size_t nOut);
/* 1 when zPassword matches the encoded hash, else 0. */
int auth_verify_password(const char *zEncoded, const char *zPassword);
/* Generate a random password of 20 characters into zOut (≥ 21 bytes). */
int auth_generate_password(char *zOut, size_t nOut);

/*
 * Resolve the user from the session cookie or an `Authorization: Bearer`
 * token (API paths only). Sets r->hasUser and r->user. Expired sessions
 * are deleted. Returns 0; -1 when a Bearer token was sent but is invalid.
 */
int auth_resolve_user(Request *r);

/*
 * Check a state-changing request: the form's csrf_token must equal the
 * session's, and Origin (or Referer) must name this host. Bearer-token API
 * calls are exempt (no ambient credentials). 0 when safe, else -1.
 */
int auth_csrf_ok(const Request *r);

/* Start a session for userId: sets the cookie on p. 0 or -1. */
int auth_session_start(Request *r, Response *p, int64_t userId);
/* End the current session and clear the cookie. */
void auth_session_end(Request *r, Response *p);

/* Role order viewer < researcher < admin; superadmins pass every check. */
int auth_role_rank(const char *zRole);
int auth_has_role(const Request *r, const char *zMinRole);

/* Record an audit entry for the signed-in user (or none). */
void auth_audit(Request *r, const char *zAction, const char *zTargetType, int64_t targetId,
		const char *zDetails);

#endif
