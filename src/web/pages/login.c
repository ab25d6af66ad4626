/* login.c — the sign-in form, signing in (throttled, audited) and signing out. */
#include "web/auth.h"
#include "web/pages/pages.h"
#include "web/render.h"
#include "store/accounts.h"
#include "lib/log.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <string.h>

#define THROTTLE_WINDOW_MS (15 * 60 * 1000LL)
#define MAX_FAILURES_PER_EMAIL 5
#define MAX_FAILURES_PER_ADDR 20

/* Only same-site relative paths are accepted as a post-login destination. */
static const char *safe_next(const char *zNext)
{
	if (!zNext || zNext[0] != '/' || zNext[1] == '/' || zNext[1] == '\\' || strchr(zNext, '\r') ||
	    strchr(zNext, '\n'))
		return "/runs";
	return zNext;
}

static void render_form(Request *r, Response *p, const char *zEmail, const char *zError)
{
	json_t *pView = json_object();
	json_object_set_new(pView, "email", json_string(zEmail ? zEmail : ""));
	json_object_set_new(pView, "next", json_string(safe_next(param_get(&r->query, "next") ?: param_get(&r->form, "next"))));
	if (zError)
		json_object_set_new(pView, "error", json_string(zError));
	web_render(r, p, "login", "Sign in", pView);
}

void page_login_form(Request *r, Response *p)
{
	if (r->hasUser) {
		response_redirect(p, "/runs");
		return;
	}
	render_form(r, p, NULL, NULL);
}

void page_login_submit(Request *r, Response *p)
{
	const char *zEmail = param_get(&r->form, "email");
	const char *zPassword = param_get(&r->form, "password");
	int64_t since = time_now_ms() - THROTTLE_WINDOW_MS;
	json_t *pUser = NULL;
	int ok = 0;
	if (!zEmail || !*zEmail || !zPassword || !*zPassword || strlen(zEmail) > 254 ||
	    strlen(zPassword) > 1024) {
		p->status = 400;
		render_form(r, p, zEmail, "Enter your email address and password.");
		return;
	}
	if (store_login_failures_for_email(r->db, zEmail, since) >= MAX_FAILURES_PER_EMAIL ||
	    store_login_failures_for_addr(r->db, r->zRemoteAddr, since) >= MAX_FAILURES_PER_ADDR) {
		log_event(LOG_WARN, "sign-in throttled", "email=\"%.80s\" addr=%s", zEmail, r->zRemoteAddr);
		store_audit(r->db, 0, 0, zEmail, "login.throttled", NULL, 0, NULL, r->zRemoteAddr);
		p->status = 429;
		render_form(r, p, zEmail,
			    "Too many failed sign-ins. Wait 15 minutes and try again.");
		return;
	}
	pUser = store_user_by_email(r->db, zEmail);
	if (pUser && !json_integer_value(json_object_get(pUser, "disabled")) &&
	    !json_integer_value(json_object_get(pUser, "tenant_disabled")))
		ok = auth_verify_password(json_string_value(json_object_get(pUser, "password_hash")), zPassword);
	else {
		/* Spend the same work whether or not the account exists. */
		char zThrowaway[160];
		auth_hash_password(zPassword, zThrowaway, sizeof(zThrowaway));
	}
	store_login_attempt(r->db, zEmail, r->zRemoteAddr, ok);
	if (!ok) {
		log_event(LOG_WARN, "sign-in failed", "email=\"%.80s\" addr=%s", zEmail, r->zRemoteAddr);
		store_audit(r->db, pUser ? json_integer_value(json_object_get(pUser, "tenant_id")) : 0,
			    pUser ? json_integer_value(json_object_get(pUser, "id")) : 0, zEmail,
			    "login.failed", NULL, 0, NULL, r->zRemoteAddr);
		json_decref(pUser);
		p->status = 401;
		render_form(r, p, zEmail, "The email address or password is not right.");
		return;
	}
	{
		int64_t userId = json_integer_value(json_object_get(pUser, "id"));
		int64_t tenantId = json_integer_value(json_object_get(pUser, "tenant_id"));
		if (auth_session_start(r, p, userId)) {
			json_decref(pUser);
			web_error(r, p, 500, "Could not start a session.");
			return;
		}
		store_user_touch_login(r->db, userId);
		store_audit(r->db, tenantId, userId, zEmail, "login", NULL, 0, NULL, r->zRemoteAddr);
		log_event(LOG_INFO, "signed in", "user=%lld", (long long)userId);
	}
	json_decref(pUser);
	response_redirect(p, safe_next(param_get(&r->form, "next")));
}

void page_logout(Request *r, Response *p)
{
	auth_audit(r, "logout", NULL, 0, NULL);
	auth_session_end(r, p);
	response_redirect(p, "/login");
}
