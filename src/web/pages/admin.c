/* admin.c — /admin (superadmin): runs across tenants, statistics with a runs-per-day chart, tenants and users. */
#include "web/pages/dashboard.h"
#include "web/auth.h"
#include "web/render.h"
#include "store/accounts.h"
#include "store/admin.h"
#include "domain/cost.h"
#include "lib/buf.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The statistics windows the page offers. */
static const struct {
	const char *zKey;
	const char *zLabel;
	int hours;
} aWindow[] = {{"24h", "24 hours", 24}, {"7d", "7 days", 24 * 7}, {"30d", "30 days", 24 * 30}};

#define CHART_W 640
#define CHART_H 180
#define CHART_PAD_BOTTOM 24
#define CHART_PAD_TOP 16

/*
 * The runs-per-day chart as inline SVG text (caller frees): one bar per day
 * of the window, the failed share drawn in red on top. Only digits and the
 * day strings (escaped) come from the database.
 */
static char *runs_chart_svg(json_t *pDays, time_t since, int nDay)
{
	Buf b = BUF_INIT;
	int64_t maxRuns = 1;
	int d;
	double slot = (double)CHART_W / nDay, barW = slot * 0.7;
	double plotH = CHART_H - CHART_PAD_BOTTOM - CHART_PAD_TOP;
	json_t *pRow;
	size_t i;
	json_array_foreach(pDays, i, pRow)
		if (json_integer_value(json_object_get(pRow, "runs")) > maxRuns)
			maxRuns = json_integer_value(json_object_get(pRow, "runs"));
	buf_printf(&b, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
		       " viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Runs per day\">",
		   CHART_W, CHART_H, CHART_W, CHART_H);
	buf_printf(&b, "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d0d7de\"/>",
		   CHART_H - CHART_PAD_BOTTOM, CHART_W, CHART_H - CHART_PAD_BOTTOM);
	buf_printf(&b, "<text x=\"2\" y=\"11\" font-size=\"11\" fill=\"#57606a\">max %lld runs/day</text>",
		   (long long)maxRuns);
	for (d = 0; d < nDay; d++) {
		char zDay[TIME_ISO_LEN];
		int64_t nRuns = 0, nFailed = 0;
		double x = d * slot + (slot - barW) / 2, h, hFail;
		time_iso_from_epoch(zDay, since + (time_t)d * 86400);
		zDay[10] = 0;
		json_array_foreach(pDays, i, pRow) {
			const char *z = json_string_value(json_object_get(pRow, "day"));
			if (z && !strcmp(z, zDay)) {
				nRuns = json_integer_value(json_object_get(pRow, "runs"));
				nFailed = json_integer_value(json_object_get(pRow, "failed"));
			}
		}
		h = plotH * (double)nRuns / (double)maxRuns;
		hFail = plotH * (double)nFailed / (double)maxRuns;
		buf_printf(&b, "<g><title>%s: %lld runs, %lld failed or with errors</title>", zDay,
			   (long long)nRuns, (long long)nFailed);
		buf_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#0b5cad\"/>", x,
			   CHART_H - CHART_PAD_BOTTOM - h, barW, h);
		if (nFailed > 0)
			buf_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#b42318\"/>",
				   x, CHART_H - CHART_PAD_BOTTOM - h, barW, hFail);
		buf_puts(&b, "</g>");
		if (nDay <= 8 || d % (nDay / 6 + 1) == 0 || d == nDay - 1)
			buf_printf(&b, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#57606a\" text-anchor=\"middle\">%s</text>",
				   x + barW / 2, CHART_H - 8, zDay + 5);
	}
	buf_puts(&b, "</svg>");
	return buf_detach(&b);
}

/* "12.5%" of part over whole, or "—" when whole is 0. */
static json_t *percent_text(int64_t part, int64_t whole)
{
	char z[32];
	if (whole <= 0)
		return json_string("—");
	snprintf(z, sizeof(z), "%.1f%%", 100.0 * (double)part / (double)whole);
	return json_string(z);
}

/* Seconds (a JSON number or null) as duration text. */
static json_t *seconds_text(json_t *v)
{
	char z[32];
	duration_text(z, sizeof(z), json_is_number(v) ? (int64_t)(json_number_value(v) + 0.5) : -1);
	return json_string(z);
}

/* The statistics of one window with derived texts and the chart. */
static json_t *stats_view(Request *r, int w)
{
	time_t now = time(NULL), since;
	int nDay = aWindow[w].hours / 24 + 1;
	char zSince[TIME_ISO_LEN], z[64];
	json_t *pStats, *pRow;
	char *zSvg;
	int64_t finished, attemptsDone, attemptsFailed;
	size_t i;
	since = now - (time_t)aWindow[w].hours * 3600;
	time_iso_from_epoch(zSince, since);
	pStats = store_admin_stats(r->db, zSince);
	if (!pStats)
		return json_object();
	finished = json_integer_value(json_object_get(pStats, "runs_finished"));
	json_object_set_new(pStats, "since", json_string(zSince));
	json_object_set_new(pStats, "run_failure_rate",
			    percent_text(json_integer_value(json_object_get(pStats, "runs_failed")) +
						 json_integer_value(json_object_get(pStats, "runs_with_errors")),
					 finished));
	attemptsDone = json_integer_value(json_object_get(pStats, "attempts_done"));
	attemptsFailed = json_integer_value(json_object_get(pStats, "attempts_failed"));
	json_object_set_new(pStats, "attempt_failure_rate",
			    percent_text(attemptsFailed, attemptsDone + attemptsFailed));
	json_object_set_new(pStats, "avg_duration_text", seconds_text(json_object_get(pStats, "avg_duration_s")));
	json_object_set_new(pStats, "p95_duration_text", seconds_text(json_object_get(pStats, "p95_duration_s")));
	snprintf(z, sizeof(z), "%.1f", (double)attemptsDone / aWindow[w].hours);
	json_object_set_new(pStats, "jobs_per_hour", json_string(z));
	json_array_foreach(json_object_get(pStats, "cost_by_provider"), i, pRow) {
		cost_format(z, sizeof(z), json_number_value(json_object_get(pRow, "cost_usd")));
		json_object_set_new(pRow, "cost_text", json_string(z));
		json_object_set_new(pRow, "has_unpriced",
				    json_boolean(json_integer_value(json_object_get(pRow, "unpriced")) > 0));
	}
	/* Start the chart at midnight UTC of the window's first day. */
	zSvg = runs_chart_svg(json_object_get(pStats, "runs_per_day"), since - since % 86400, nDay);
	json_object_set_new(pStats, "runs_chart_svg", json_string(zSvg));
	free(zSvg);
	return pStats;
}

/* Turn the 0/1 integer column zKey of every row into a boolean (0 is truthy in templates). */
static json_t *int_to_bool(json_t *pRows, const char *zKey)
{
	json_t *pRow;
	size_t i;
	json_array_foreach(pRows, i, pRow)
		json_object_set_new(pRow, zKey, json_boolean(json_integer_value(json_object_get(pRow, zKey)) != 0));
	return pRows;
}

/* Render /admin; zError, zNotice and a one-time password (for zPasswordFor) may be NULL. */
static void admin_render(Request *r, Response *p, const char *zError, const char *zNotice,
			 const char *zPassword, const char *zPasswordFor)
{
	json_t *pView = run_list_view(r, "/admin", 0, 1), *pStats, *pWindows = json_array(), *pUsers;
	const char *zWindow = param_get(&r->query, "window");
	int w = 0;
	size_t i;
	for (i = 0; zWindow && i < ARRAY_SIZE(aWindow); i++)
		if (!strcmp(zWindow, aWindow[i].zKey))
			w = (int)i;
	for (i = 0; i < ARRAY_SIZE(aWindow); i++)
		json_array_append_new(pWindows, json_pack("{s:s, s:s, s:b}", "key", aWindow[i].zKey, "label",
							  aWindow[i].zLabel, "current", (int)i == w));
	pStats = stats_view(r, w);
	json_object_set_new(pStats, "window_label", json_string(aWindow[w].zLabel));
	/* The stats key sits at the top level so the raw-output allow-list can name it. */
	json_object_set(pView, "runs_chart_svg", json_object_get(pStats, "runs_chart_svg"));
	json_object_del(pStats, "runs_chart_svg");
	json_object_set_new(pView, "stats", pStats);
	json_object_set_new(pView, "windows", pWindows);
	{
		json_t *pTenants = store_tenant_list(r->db);
		json_object_set_new(pView, "tenants", int_to_bool(pTenants ? pTenants : json_array(), "disabled"));
	}
	pUsers = store_user_list(r->db, 0);
	if (!pUsers)
		pUsers = json_array();
	int_to_bool(int_to_bool(pUsers, "disabled"), "is_superadmin");
	json_object_set_new(pView, "users", pUsers);
	if (zError)
		json_object_set_new(pView, "error", json_string(zError));
	if (zNotice)
		json_object_set_new(pView, "notice", json_string(zNotice));
	if (zPassword) {
		json_object_set_new(pView, "new_password", json_string(zPassword));
		json_object_set_new(pView, "new_password_for", json_string(zPasswordFor));
	}
	json_object_del(pView, "refresh"); /* the admin page never refreshes itself */
	web_render(r, p, "admin", "Admin", pView);
}

void page_admin(Request *r, Response *p)
{
	admin_render(r, p, NULL, NULL, NULL, NULL);
}

/* 1 when zSlug is 1-63 characters of a-z, 0-9 and '-'. */
static int slug_ok(const char *zSlug)
{
	size_t n = zSlug ? strlen(zSlug) : 0, i;
	if (n < 1 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!((zSlug[i] >= 'a' && zSlug[i] <= 'z') || (zSlug[i] >= '0' && zSlug[i] <= '9') ||
		      zSlug[i] == '-'))
			return 0;
	return 1;
}

/* A short JSON details text {"key": value} for the audit log (caller frees). */
static char *audit_details(const char *zKey, const char *zValue)
{
	json_t *p = json_pack("{s:s}", zKey, zValue);
	char *z = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return z;
}

void page_admin_tenant_create(Request *r, Response *p)
{
	const char *zSlug = param_get(&r->form, "slug");
	const char *zName = param_get(&r->form, "name");
	DbRc rc;
	int64_t id;
	char *zDetails;
	if (!slug_ok(zSlug)) {
		p->status = 400;
		admin_render(r, p, "A tenant slug is 1 to 63 characters of a-z, 0-9 and '-'.", NULL, NULL, NULL);
		return;
	}
	if (!zName || !*zName)
		zName = zSlug;
	if (strlen(zName) > 120) {
		p->status = 400;
		admin_render(r, p, "A tenant name is at most 120 characters.", NULL, NULL, NULL);
		return;
	}
	id = store_tenant_create(r->db, zSlug, zName, &rc);
	if (id < 0) {
		p->status = rc == DB_CONFLICT ? 409 : 500;
		admin_render(r, p, rc == DB_CONFLICT ? "A tenant with that slug exists already." : "Could not create the tenant.",
			     NULL, NULL, NULL);
		return;
	}
	zDetails = audit_details("slug", zSlug);
	auth_audit(r, "tenant.create", "tenant", id, zDetails);
	free(zDetails);
	admin_render(r, p, NULL, "The tenant was created.", NULL, NULL);
}

/* Disable or enable tenant r->aId[0], audited. */
static void tenant_set_disabled(Request *r, Response *p, int disabled)
{
	if (disabled && r->aId[0] == r->user.tenantId) {
		p->status = 400;
		admin_render(r, p, "You cannot disable your own tenant.", NULL, NULL, NULL);
		return;
	}
	if (store_tenant_set_disabled(r->db, r->aId[0], disabled) != DB_OK) {
		web_error(r, p, 404, "There is no such tenant.");
		return;
	}
	auth_audit(r, disabled ? "tenant.disable" : "tenant.enable", "tenant", r->aId[0], NULL);
	response_redirect(p, "/admin#tenants");
}

void page_admin_tenant_disable(Request *r, Response *p)
{
	tenant_set_disabled(r, p, 1);
}

void page_admin_tenant_enable(Request *r, Response *p)
{
	tenant_set_disabled(r, p, 0);
}

void page_admin_user_create(Request *r, Response *p)
{
	const char *zEmail = param_get(&r->form, "email");
	const char *zTenant = param_get(&r->form, "tenant");
	const char *zRole = param_get(&r->form, "role");
	const char *zSuper = param_get(&r->form, "superadmin");
	char zPassword[32], zHash[256], *zDetails;
	json_t *pTenant, *pDetails;
	int64_t id, tenantId;
	DbRc rc = DB_OK;
	if (!zEmail || !strchr(zEmail, '@') || strlen(zEmail) > 254 || strpbrk(zEmail, " \t\r\n")) {
		p->status = 400;
		admin_render(r, p, "Give an email address for the new user.", NULL, NULL, NULL);
		return;
	}
	if (!zRole || auth_role_rank(zRole) < 0 ||
	    (strcmp(zRole, "viewer") && strcmp(zRole, "researcher") && strcmp(zRole, "admin"))) {
		p->status = 400;
		admin_render(r, p, "The role must be viewer, researcher or admin.", NULL, NULL, NULL);
		return;
	}
	pTenant = zTenant ? store_tenant_by_slug(r->db, zTenant) : NULL;
	if (!pTenant) {
		p->status = 400;
		admin_render(r, p, "Choose an existing tenant for the new user.", NULL, NULL, NULL);
		return;
	}
	tenantId = json_integer_value(json_object_get(pTenant, "id"));
	json_decref(pTenant);
	if (auth_generate_password(zPassword, sizeof(zPassword)) ||
	    auth_hash_password(zPassword, zHash, sizeof(zHash))) {
		web_error(r, p, 500, "Could not make a password.");
		return;
	}
	id = store_user_add(r->db, tenantId, zEmail, zHash, zRole, zSuper && *zSuper, &rc);
	if (id < 0) {
		p->status = rc == DB_CONFLICT ? 409 : 500;
		admin_render(r, p, rc == DB_CONFLICT ? "A user with that email exists already." : "Could not create the user.",
			     NULL, NULL, NULL);
		return;
	}
	pDetails = json_pack("{s:s, s:s, s:s, s:b}", "email", zEmail, "tenant", zTenant, "role", zRole,
			     "superadmin", zSuper && *zSuper);
	zDetails = json_dumps(pDetails, JSON_COMPACT);
	auth_audit(r, "user.create", "user", id, zDetails);
	free(zDetails);
	json_decref(pDetails);
	admin_render(r, p, NULL, "The user was created. Give them this password; it is shown only once.",
		     zPassword, zEmail);
}

/* The user r->aId[0], or NULL after a 404. Caller decrefs. */
static json_t *target_user(Request *r, Response *p)
{
	json_t *pUser = store_user_get(r->db, r->aId[0]);
	if (!pUser)
		web_error(r, p, 404, "There is no such user.");
	return pUser;
}

/* Disable or enable user r->aId[0], audited. */
static void user_set_disabled(Request *r, Response *p, int disabled)
{
	json_t *pUser;
	if (disabled && r->aId[0] == r->user.id) {
		p->status = 400;
		admin_render(r, p, "You cannot disable yourself.", NULL, NULL, NULL);
		return;
	}
	if (!(pUser = target_user(r, p)))
		return;
	json_decref(pUser);
	if (store_user_set_disabled(r->db, r->aId[0], disabled) != DB_OK) {
		web_error(r, p, 500, "Could not change the user.");
		return;
	}
	auth_audit(r, disabled ? "user.disable" : "user.enable", "user", r->aId[0], NULL);
	response_redirect(p, "/admin#users");
}

void page_admin_user_disable(Request *r, Response *p)
{
	user_set_disabled(r, p, 1);
}

void page_admin_user_enable(Request *r, Response *p)
{
	user_set_disabled(r, p, 0);
}

void page_admin_user_reset_password(Request *r, Response *p)
{
	char zPassword[32], zHash[256], zEmail[256];
	json_t *pUser = target_user(r, p);
	if (!pUser)
		return;
	str_copy(zEmail, sizeof(zEmail), json_string_value(json_object_get(pUser, "email")));
	json_decref(pUser);
	if (auth_generate_password(zPassword, sizeof(zPassword)) ||
	    auth_hash_password(zPassword, zHash, sizeof(zHash)) ||
	    store_user_set_password(r->db, r->aId[0], zHash) != DB_OK ||
	    (r->aId[0] != r->user.id && store_user_end_sessions(r->db, r->aId[0]) != DB_OK)) {
		web_error(r, p, 500, "Could not reset the password.");
		return;
	}
	auth_audit(r, "user.password_reset", "user", r->aId[0], NULL);
	admin_render(r, p, NULL, "The password was reset. Give the user this password; it is shown only once.",
		     zPassword, zEmail);
}
