/* router.c — the route table and the request pipeline: user, route, role, CSRF, handler. */
#include "web/router.h"
#include "web/auth.h"
#include "web/pages/pages.h"
#include "web/pages/definitions.h"
#include "web/pages/dashboard.h"
#include "web/pages/runs_pages.h"
#include "web/render.h"
#include "lib/log.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

static const Route aRoute[] = {
	{"GET", "/", page_home, NULL},
	{"GET", "/healthz", page_healthz, NULL},
	{"GET", "/api/v1/healthz", page_healthz, NULL},
	{"GET", "/login", page_login_form, NULL},
	{"POST", "/login", page_login_submit, NULL},
	{"POST", "/logout", page_logout, "viewer"},
	{"GET", "/api/v1/me", page_me, "viewer"},
	{"GET", "/settings/tokens", page_tokens, "viewer"},
	{"POST", "/settings/tokens", page_token_create, "viewer"},
	{"POST", "/settings/tokens/#/revoke", page_token_revoke, "viewer"},
	{"GET", "/runs", page_runs, "viewer"},
	{"GET", "/api/v1/runs", page_runs, "viewer"},
	/* dashboard neighbours: export, settings, notifications, admin, audit (pages/export.c ...) */
	{"GET", "/runs/#/export.csv", page_run_export, "viewer"},
	{"GET", "/api/v1/runs/#/export.csv", page_run_export, "viewer"},
	{"GET", "/settings", page_settings, "viewer"},
	{"GET", "/api/v1/settings", page_settings, "viewer"},
	{"POST", "/settings/check", page_settings_check, "researcher"},
	{"POST", "/api/v1/settings/check", page_settings_check, "researcher"},
	{"POST", "/settings/test-run", page_settings_test_run, "researcher"},
	{"POST", "/settings/webhook", page_settings_webhook, "admin"},
	{"GET", "/notifications", page_notifications, "viewer"},
	{"GET", "/api/v1/notifications", page_notifications, "viewer"},
	{"POST", "/notifications/#/dismiss", page_notification_dismiss, "viewer"},
	{"POST", "/api/v1/notifications/#/dismiss", page_notification_dismiss, "viewer"},
	{"GET", "/admin", page_admin, "superadmin"},
	{"GET", "/api/v1/admin", page_admin, "superadmin"},
	{"POST", "/admin/tenants", page_admin_tenant_create, "superadmin"},
	{"POST", "/admin/tenants/#/disable", page_admin_tenant_disable, "superadmin"},
	{"POST", "/admin/tenants/#/enable", page_admin_tenant_enable, "superadmin"},
	{"POST", "/admin/users", page_admin_user_create, "superadmin"},
	{"POST", "/admin/users/#/disable", page_admin_user_disable, "superadmin"},
	{"POST", "/admin/users/#/enable", page_admin_user_enable, "superadmin"},
	{"POST", "/admin/users/#/reset-password", page_admin_user_reset_password, "superadmin"},
	{"GET", "/audit", page_audit, "admin"},
	{"GET", "/api/v1/audit", page_audit, "admin"},
	/* the run workflow (pages/run_new.c, run.c, run_controls.c, transcript.c, tasks.c) */
	{"GET", "/runs/new", page_run_new, "researcher"},
	{"GET", "/api/v1/runs/new", page_run_new, "researcher"},
	{"POST", "/runs/preflight", page_run_preflight, "researcher"},
	{"POST", "/api/v1/runs/preflight", page_run_preflight, "researcher"},
	{"POST", "/runs", page_run_start, "researcher"},
	{"POST", "/api/v1/runs", page_run_start, "researcher"},
	{"GET", "/runs/#", page_run, "viewer"},
	{"GET", "/api/v1/runs/#", page_run, "viewer"},
	{"GET", "/runs/#/rerun", page_run_rerun, "researcher"},
	{"GET", "/api/v1/runs/#/rerun", page_run_rerun, "researcher"},
	{"POST", "/runs/#/pause", page_run_pause, "researcher"},
	{"POST", "/api/v1/runs/#/pause", page_run_pause, "researcher"},
	{"POST", "/runs/#/resume", page_run_resume, "researcher"},
	{"POST", "/api/v1/runs/#/resume", page_run_resume, "researcher"},
	{"GET", "/runs/#/cancel", page_run_cancel_confirm, "researcher"},
	{"POST", "/runs/#/cancel", page_run_cancel, "researcher"},
	{"POST", "/api/v1/runs/#/cancel", page_run_cancel, "researcher"},
	{"POST", "/runs/#/retry-failed", page_run_retry_failed, "researcher"},
	{"POST", "/api/v1/runs/#/retry-failed", page_run_retry_failed, "researcher"},
	{"GET", "/runs/#/tasks", page_run_tasks, "viewer"},
	{"GET", "/api/v1/runs/#/tasks", page_run_tasks, "viewer"},
	{"GET", "/runs/#/tasks/#", page_run_task, "viewer"},
	{"GET", "/api/v1/runs/#/tasks/#", page_run_task, "viewer"},
	{"GET", "/transcripts/#", page_transcript, "viewer"},
	{"GET", "/api/v1/transcripts/#", page_transcript, "viewer"},
	/* definitions (pages/definition*.c, pages/scenario.c) */
	{"GET", "/definitions", page_definitions, "viewer"},
	{"GET", "/api/v1/definitions", page_definitions, "viewer"},
	{"POST", "/definitions", page_definition_create, "researcher"},
	{"POST", "/api/v1/definitions", page_api_definition_create, "researcher"},
	{"GET", "/definitions/new", page_definition_new, "researcher"},
	{"GET", "/definitions/import", page_definition_import_form, "researcher"},
	{"POST", "/definitions/import", page_definition_import, "researcher"},
	{"GET", "/definitions/#", page_definition_view, "viewer"},
	{"GET", "/api/v1/definitions/#", page_definition_view, "viewer"},
	{"POST", "/definitions/#", page_definition_save, "researcher"},
	{"GET", "/definitions/#/edit", page_definition_edit, "researcher"},
	{"POST", "/definitions/#/fork", page_definition_fork, "researcher"},
	{"GET", "/definitions/#/delete", page_definition_delete_confirm, "researcher"},
	{"POST", "/definitions/#/delete", page_definition_delete, "researcher"},
	{"GET", "/definitions/#/export.json", page_definition_export, "viewer"},
	{"GET", "/definitions/#/scenarios/#", page_scenario, "viewer"},
	{"GET", "/api/v1/definitions/#/scenarios/#", page_scenario, "viewer"},
};

int route_match(const char *zPattern, const char *zPath, int64_t *aId, int *pnId)
{
	const char *p = zPattern, *z = zPath;
	int nId = 0;
	while (*p && *z) {
		if (*p == '#') {
			int64_t v = 0;
			int nDigit = 0;
			if (*z == '0')
				return 0;
			while (*z >= '0' && *z <= '9') {
				if (++nDigit > 15)
					return 0;
				v = v * 10 + (*z - '0');
				z++;
			}
			if (nDigit == 0 || nId >= WEB_MAX_PATH_ARGS)
				return 0;
			aId[nId++] = v;
			p++;
		} else if (*p == *z) {
			p++;
			z++;
		} else {
			return 0;
		}
	}
	if (*p || *z)
		return 0;
	*pnId = nId;
	return 1;
}

static int role_ok(const Request *r, const char *zMinRole)
{
	if (strcmp(zMinRole, "superadmin") == 0)
		return r->hasUser && r->user.isSuperadmin;
	return auth_has_role(r, zMinRole);
}

void web_handle(const App *pApp, Request *r, Response *p)
{
	const Route *pRoute = NULL;
	int methodMismatch = 0;
	size_t i;
	int isHead = strcmp(r->zMethod, "HEAD") == 0;
	r->pApp = pApp;
	r->db = pApp->db;
	if (auth_resolve_user(r)) {
		response_header(p, "WWW-Authenticate", "Bearer");
		web_error(r, p, 401, "The API token is missing, revoked or invalid.");
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(aRoute); i++) {
		int64_t aId[WEB_MAX_PATH_ARGS];
		int nId = 0;
		if (!route_match(aRoute[i].zPattern, r->zPath, aId, &nId))
			continue;
		if (strcmp(aRoute[i].zMethod, r->zMethod) != 0 &&
		    !(isHead && strcmp(aRoute[i].zMethod, "GET") == 0)) {
			methodMismatch = 1;
			continue;
		}
		pRoute = &aRoute[i];
		memcpy(r->aId, aId, sizeof(aId));
		r->nId = nId;
		break;
	}
	if (!pRoute) {
		if (methodMismatch)
			web_error(r, p, 405, "This address does not accept that method.");
		else
			web_error(r, p, 404, "There is nothing at this address.");
		goto out;
	}
	if (pRoute->zMinRole && !r->hasUser) {
		if (r->isApi || strcmp(r->zMethod, "GET") != 0) {
			web_error(r, p, 401, "Sign in first.");
		} else {
			Buf b = BUF_INIT;
			buf_puts(&b, "/login?next=");
			buf_url_escape(&b, r->zPath);
			response_redirect(p, buf_str(&b));
			buf_free(&b);
		}
		goto out;
	}
	if (pRoute->zMinRole && !role_ok(r, pRoute->zMinRole)) {
		web_error(r, p, 403, "Your role does not allow this.");
		goto out;
	}
	if (strcmp(r->zMethod, "POST") == 0 && !auth_csrf_ok(r)) {
		log_event(LOG_WARN, "csrf check failed", "path=%s addr=%s origin=\"%.100s\" host=\"%.100s\"", r->zPath, r->zRemoteAddr, r->zOrigin ? r->zOrigin : "", r->zHost ? r->zHost : "");
		web_error(r, p, 403,
			  "This form is out of date or came from another site, so nothing was changed. "
			  "Go back, reload the page and try again.");
		goto out;
	}
	/* The post-run banner, looked up in one place for every HTML page. */
	if (!r->isApi && strcmp(pRoute->zMethod, "GET") == 0)
		notifications_banner_load(r);
	pRoute->xHandler(r, p);
out:
	if (isHead && !p->streamed)
		buf_reset(&p->body);
	response_security_headers(p);
	if (!p->streamed && p->status < 400 && !r->isApi)
		response_header(p, "Cache-Control", "no-store");
}
