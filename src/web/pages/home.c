/* home.c — the front door (/ → dashboard or sign-in), health check and /api/v1/me. */
#include "web/pages/pages.h"
#include "web/render.h"
#include "store/db.h"
#include "lib/util.h"

void page_home(Request *r, Response *p)
{
	response_redirect(p, r->hasUser ? "/runs" : "/login");
}

void page_healthz(Request *r, Response *p)
{
	json_t *pView = json_object();
	char zErr[256];
	int ok = db_schema_check(r->db, zErr, sizeof(zErr)) == 0;
	json_object_set_new(pView, "status", json_string(ok ? "ok" : "unavailable"));
	json_object_set_new(pView, "database", json_string(ok ? "reachable" : zErr));
	json_object_set_new(pView, "schema_version", json_integer(db_schema_current(r->db)));
	web_json(p, ok ? 200 : 503, pView);
}

void page_me(Request *r, Response *p)
{
	json_t *pView = json_object();
	json_object_set_new(pView, "id", json_integer(r->user.id));
	json_object_set_new(pView, "email", json_string(r->user.zEmail));
	json_object_set_new(pView, "role", json_string(r->user.zRole));
	json_object_set_new(pView, "is_superadmin", json_boolean(r->user.isSuperadmin));
	json_object_set_new(pView, "tenant", json_string(r->user.zTenantSlug));
	json_object_set_new(pView, "auth", json_string(r->user.sessionId ? "session" : "token"));
	web_json(p, 200, pView);
}
