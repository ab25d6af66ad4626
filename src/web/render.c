/* render.c — view models to HTML (templates) or JSON; the site's error pages. */
#include "config.h"
#include "web/render.h"
#include "web/template.h"
#include "lib/log.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

json_t *json_str_or_null(const char *z)
{
	return z ? json_string(z) : json_null();
}

void web_json(Response *p, int status, json_t *pView)
{
	char *z = json_dumps(pView, JSON_INDENT(1) | JSON_ENCODE_ANY);
	p->status = status;
	str_copy(p->zContentType, sizeof(p->zContentType), "application/json");
	buf_reset(&p->body);
	buf_puts(&p->body, z ? z : "null");
	buf_putc(&p->body, '\n');
	free(z);
	json_decref(pView);
}

/* Fields shared by every page: who is signed in, the CSRF token and the navigation. */
static json_t *page_frame(Request *r, const char *zTitle)
{
	json_t *pFrame = json_object();
	json_object_set_new(pFrame, "title", json_string(zTitle ? zTitle : "ValueRank"));
	/* Versioned static URLs: nginx may cache them for a year, a new release changes the path. */
	json_object_set_new(pFrame, "static", json_string("/static/v" PACKAGE_VERSION));
	if (r->hasUser) {
		json_t *pUser = json_object();
		json_object_set_new(pUser, "id", json_integer(r->user.id));
		json_object_set_new(pUser, "email", json_string(r->user.zEmail));
		json_object_set_new(pUser, "role", json_string(r->user.zRole));
		json_object_set_new(pUser, "tenant", json_string(r->user.zTenantSlug));
		json_object_set_new(pUser, "is_superadmin", json_boolean(r->user.isSuperadmin));
		json_object_set_new(pUser, "is_admin",
				    json_boolean(strcmp(r->user.zRole, "admin") == 0 || r->user.isSuperadmin));
		json_object_set_new(pFrame, "user", pUser);
		json_object_set_new(pFrame, "csrf_token", json_string(r->user.zCsrf));
	}
	if (r->pBanner)
		json_object_set(pFrame, "banner", r->pBanner);
	if (r->zPath)
		json_object_set_new(pFrame, "here", json_string(r->zPath));
	if (r->zPath) {
		json_t *pNav = json_object();
		if (str_starts_with(r->zPath, "/runs"))
			json_object_set_new(pNav, "runs", json_true());
		else if (str_starts_with(r->zPath, "/definitions"))
			json_object_set_new(pNav, "definitions", json_true());
		else if (str_starts_with(r->zPath, "/settings"))
			json_object_set_new(pNav, "settings", json_true());
		else if (str_starts_with(r->zPath, "/admin"))
			json_object_set_new(pNav, "admin", json_true());
		json_object_set_new(pFrame, "nav", pNav);
	}
	return pFrame;
}

void web_render(Request *r, Response *p, const char *zTemplate, const char *zTitle, json_t *pView)
{
	char zErr[256];
	json_t *pFrame;
	if (r->isApi) {
		web_json(p, p->status ? p->status : 200, pView);
		return;
	}
	/* Page templates see their view model at the top level and the frame beside it. */
	pFrame = page_frame(r, zTitle);
	json_object_update_missing(pView, pFrame);
	json_decref(pFrame);
	buf_reset(&p->body);
	if (tpl_render(r->pApp->pTemplates, zTemplate, pView, &p->body, zErr, sizeof(zErr))) {
		log_event(LOG_ERROR, "template failed", "template=%s error=\"%s\"", zTemplate, zErr);
		json_decref(pView);
		web_error(r, p, 500, "This page could not be rendered. The error has been logged.");
		return;
	}
	json_decref(pView);
	str_copy(p->zContentType, sizeof(p->zContentType), "text/html; charset=utf-8");
}

void web_error(Request *r, Response *p, int status, const char *zMessage)
{
	char zErr[256];
	json_t *pView;
	const char *zTitle;
	switch (status) {
	case 400: zTitle = "Bad request"; break;
	case 401: zTitle = "Sign in required"; break;
	case 403: zTitle = "Forbidden"; break;
	case 404: zTitle = "Not found"; break;
	case 405: zTitle = "Method not allowed"; break;
	case 413: zTitle = "Too large"; break;
	case 414: zTitle = "Address too long"; break;
	case 429: zTitle = "Too many attempts"; break;
	default: zTitle = status >= 500 ? "Server error" : "Error";
	}
	p->status = status;
	buf_reset(&p->body);
	if (r->isApi || !r->pApp || !r->pApp->pTemplates) {
		pView = json_object();
		json_object_set_new(pView, "error", json_string(zTitle));
		json_object_set_new(pView, "status", json_integer(status));
		json_object_set_new(pView, "message", json_string(zMessage));
		web_json(p, status, pView);
		return;
	}
	pView = page_frame(r, zTitle);
	json_object_set_new(pView, "status", json_integer(status));
	json_object_set_new(pView, "heading", json_string(zTitle));
	json_object_set_new(pView, "message", json_string(zMessage));
	str_copy(p->zContentType, sizeof(p->zContentType), "text/html; charset=utf-8");
	if (tpl_render(r->pApp->pTemplates, "error", pView, &p->body, zErr, sizeof(zErr))) {
		buf_reset(&p->body);
		buf_printf(&p->body, "<!doctype html><title>%d</title><h1>%d</h1>", status, status);
		buf_html_escape(&p->body, zMessage, strlen(zMessage));
	}
	json_decref(pView);
}
