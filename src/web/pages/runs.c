/* runs.c — the dashboard /runs: the tenant's runs with filters, search, sort and pages (also the admin run list). */
#include "web/pages/pages.h"
#include "web/pages/dashboard.h"
#include "web/params.h"
#include "web/render.h"
#include "store/accounts.h"
#include "store/dashboard.h"
#include "lib/buf.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS_PER_PAGE 25
#define RUNS_MAX_PER_PAGE 200

/* Every status a run can be shown with, in the order of the filter. */
static const char *const azStatus[][2] = {
	{"pending", "Pending"},     {"running", "Running"},
	{"paused", "Paused"},       {"completed", "Completed"},
	{"completed_with_errors", "Completed with errors"},
	{"failed", "Failed"},       {"cancelled", "Cancelled"},
};
static const char *const azSort[] = {"created", "status", "duration"};

const char *run_status_label(const char *zDisplayStatus)
{
	size_t i;
	for (i = 0; zDisplayStatus && i < ARRAY_SIZE(azStatus); i++)
		if (!strcmp(zDisplayStatus, azStatus[i][0]))
			return azStatus[i][1];
	return "Unknown";
}

void duration_text(char *zOut, size_t n, int64_t s)
{
	if (s < 0)
		snprintf(zOut, n, "—");
	else if (s < 60)
		snprintf(zOut, n, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(zOut, n, "%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 2 * 86400)
		snprintf(zOut, n, "%lldh %02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(zOut, n, "%lldd %02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

/* The filter values as the user gave them (borrowed from the request). */
typedef struct ListParams {
	const char *zStatus, *zDefinition, *zFrom, *zTo, *zQ, *zTenant, *zSort, *zDir, *zPerPage;
} ListParams;

/* A link to zBasePath with the filters, the sort zSort/zDir and page (1: left out). */
static json_t *list_link(const char *zBasePath, const ListParams *lp, const char *zSort,
			 const char *zDir, int64_t page)
{
	Buf q = BUF_INIT, url = BUF_INIT;
	char zPage[24];
	json_t *pOut;
	web_query_add(&q, "status", lp->zStatus);
	web_query_add(&q, "definition", lp->zDefinition);
	web_query_add(&q, "from", lp->zFrom);
	web_query_add(&q, "to", lp->zTo);
	web_query_add(&q, "q", lp->zQ);
	web_query_add(&q, "tenant", lp->zTenant);
	web_query_add(&q, "sort", zSort);
	web_query_add(&q, "dir", zDir);
	web_query_add(&q, "per_page", lp->zPerPage);
	if (page > 1) {
		snprintf(zPage, sizeof(zPage), "%lld", (long long)page);
		web_query_add(&q, "page", zPage);
	}
	buf_puts(&url, zBasePath);
	buf_puts(&url, buf_str(&q));
	pOut = json_string(buf_str(&url));
	buf_free(&q);
	buf_free(&url);
	return pOut;
}

/* Add the presentation fields of one run row: label, progress, models, duration. */
static void decorate_run(json_t *pRun)
{
	const char *zDisplay = json_string_value(json_object_get(pRun, "display_status"));
	int64_t total = json_integer_value(json_object_get(pRun, "total_jobs"));
	int64_t done = json_integer_value(json_object_get(pRun, "completed_jobs")) +
		       json_integer_value(json_object_get(pRun, "failed_jobs"));
	json_t *pDur = json_object_get(pRun, "duration_s"), *pModel;
	Buf models = BUF_INIT;
	char zDur[32];
	size_t i;
	json_object_set_new(pRun, "status_label", json_string(run_status_label(zDisplay)));
	json_object_set_new(pRun, "done_jobs", json_integer(done));
	json_object_set_new(pRun, "has_failed",
			    json_boolean(json_integer_value(json_object_get(pRun, "failed_jobs")) > 0));
	json_object_set_new(pRun, "percent", json_integer(total > 0 ? done * 100 / total : 0));
	json_array_foreach(json_object_get(pRun, "models"), i, pModel) {
		const char *zProvider = json_string_value(json_object_get(pModel, "provider"));
		const char *zModel = json_string_value(json_object_get(pModel, "model"));
		if (models.n)
			buf_puts(&models, ", ");
		buf_printf(&models, "%s:%s", zProvider ? zProvider : "?", zModel ? zModel : "?");
	}
	json_object_set_new(pRun, "models_text", json_string(buf_str(&models)));
	buf_free(&models);
	duration_text(zDur, sizeof(zDur), json_is_integer(pDur) ? json_integer_value(pDur) : -1);
	{
		/* "2026-11-21T23:07:40Z" shown as "2026-11-21 23:07" (the full time is in <time datetime>). */
		const char *zCreated = json_string_value(json_object_get(pRun, "created_at"));
		char zShort[20];
		if (zCreated && strlen(zCreated) >= 16) {
			snprintf(zShort, sizeof(zShort), "%.10s %.5s", zCreated, zCreated + 11);
			json_object_set_new(pRun, "created_text", json_string(zShort));
		} else {
			json_object_set(pRun, "created_text", json_object_get(pRun, "created_at"));
		}
	}
	json_object_set_new(pRun, "duration_text", json_string(zDur));
}

/* The status select's options with the current one selected. */
static json_t *status_options(const char *zCurrent)
{
	json_t *pOut = json_array();
	size_t i;
	for (i = 0; i < ARRAY_SIZE(azStatus); i++)
		json_array_append_new(pOut, json_pack("{s:s, s:s, s:b}", "value", azStatus[i][0], "label",
						      azStatus[i][1], "selected",
						      zCurrent && !strcmp(zCurrent, azStatus[i][0])));
	return pOut;
}

/* Mark the row of pRows whose field zKey equals zCurrent as "selected". */
static void mark_selected(json_t *pRows, const char *zKey, const char *zCurrent)
{
	json_t *pRow;
	size_t i;
	json_array_foreach(pRows, i, pRow) {
		json_t *v = json_object_get(pRow, zKey);
		char zId[32];
		const char *z = json_string_value(v);
		if (json_is_integer(v)) {
			snprintf(zId, sizeof(zId), "%lld", (long long)json_integer_value(v));
			z = zId;
		}
		json_object_set_new(pRow, "selected", json_boolean(zCurrent && z && !strcmp(z, zCurrent)));
	}
}

/* Column header links: each sorts by its column, toggling the direction of the current one. */
static json_t *sort_links(const char *zBasePath, const ListParams *lp, int sort, int desc)
{
	json_t *pOut = json_object();
	size_t i;
	for (i = 0; i < ARRAY_SIZE(azSort); i++) {
		int current = (int)i == sort;
		const char *zDir = current ? (desc ? "asc" : "desc") : "desc";
		json_t *pLink = json_object();
		json_object_set_new(pLink, "url", list_link(zBasePath, lp, azSort[i], zDir, 1));
		json_object_set_new(pLink, "current", json_boolean(current));
		json_object_set_new(pLink, "arrow", json_string(current ? (desc ? "▼" : "▲") : ""));
		json_object_set_new(pLink, "aria_sort",
				    json_string(current ? (desc ? "descending" : "ascending") : "none"));
		json_object_set_new(pOut, azSort[i], pLink);
	}
	return pOut;
}

json_t *run_list_view(Request *r, const char *zBasePath, int64_t tenantId, int allowTenant)
{
	ListParams lp;
	RunFilter f;
	json_t *pView = json_object(), *pErrors = json_array(), *pRuns, *pRun, *pFilters, *pDefs;
	char zFrom[16], zTo[16];
	int64_t total, page = 1, perPage = RUNS_PER_PAGE, pages, defId = 0;
	int sort = 0, desc = 1, active = 0;
	size_t i;
	memset(&lp, 0, sizeof(lp));
	memset(&f, 0, sizeof(f));
	lp.zStatus = param_get(&r->query, "status");
	lp.zDefinition = param_get(&r->query, "definition");
	lp.zFrom = param_get(&r->query, "from");
	lp.zTo = param_get(&r->query, "to");
	lp.zQ = param_get(&r->query, "q");
	lp.zTenant = allowTenant ? param_get(&r->query, "tenant") : NULL;
	lp.zSort = param_get(&r->query, "sort");
	lp.zDir = param_get(&r->query, "dir");
	lp.zPerPage = param_get(&r->query, "per_page");
	f.tenantId = tenantId;
	if (lp.zStatus && *lp.zStatus) {
		if (strcmp(run_status_label(lp.zStatus), "Unknown") == 0) {
			json_array_append_new(pErrors, json_string("Unknown status: showing every status."));
			lp.zStatus = NULL;
		} else {
			f.zStatus = lp.zStatus;
		}
	}
	if (lp.zDefinition && *lp.zDefinition) {
		if (parse_int64(lp.zDefinition, 1, INT64_MAX, &defId)) {
			json_array_append_new(pErrors, json_string("The definition filter must be a definition id."));
			lp.zDefinition = NULL;
			defId = 0;
		}
		f.definitionId = defId;
	}
	if (lp.zFrom && *lp.zFrom) {
		if (web_date_param(lp.zFrom, 0, zFrom, sizeof(zFrom))) {
			json_array_append_new(pErrors, json_string("The \"from\" date must be a date like 2026-11-21."));
			lp.zFrom = NULL;
		} else {
			f.zFrom = zFrom;
		}
	}
	if (lp.zTo && *lp.zTo) {
		if (web_date_param(lp.zTo, 1, zTo, sizeof(zTo))) {
			json_array_append_new(pErrors, json_string("The \"to\" date must be a date like 2026-11-21."));
			lp.zTo = NULL;
		} else {
			f.zTo = zTo;
		}
	}
	if (lp.zQ && *lp.zQ)
		f.zSearch = lp.zQ;
	if (lp.zTenant && *lp.zTenant) {
		json_t *pTenant = store_tenant_by_slug(r->db, lp.zTenant);
		if (pTenant) {
			f.tenantId = json_integer_value(json_object_get(pTenant, "id"));
		} else {
			json_array_append_new(pErrors, json_string("There is no such tenant: showing every tenant."));
			lp.zTenant = NULL;
		}
		json_decref(pTenant);
	}
	for (i = 0; lp.zSort && i < ARRAY_SIZE(azSort); i++)
		if (!strcmp(lp.zSort, azSort[i]))
			sort = (int)i;
	if (lp.zSort && strcmp(lp.zSort, azSort[sort]) != 0)
		lp.zSort = NULL;
	if (lp.zDir && !strcmp(lp.zDir, "asc"))
		desc = 0;
	else if (lp.zDir && strcmp(lp.zDir, "desc") != 0)
		lp.zDir = NULL;
	if (lp.zPerPage && parse_int64(lp.zPerPage, 1, RUNS_MAX_PER_PAGE, &perPage)) {
		perPage = RUNS_PER_PAGE;
		lp.zPerPage = NULL;
	}
	{
		const char *zPage = param_get(&r->query, "page");
		if (zPage && parse_int64(zPage, 1, 1000000, &page))
			page = 1;
	}
	f.sort = (RunSort)sort;
	f.descending = desc;
	total = store_dashboard_count(r->db, &f);
	if (total < 0)
		total = 0;
	pages = total > 0 ? (total + perPage - 1) / perPage : 1;
	if (page > pages)
		page = pages;
	f.limit = perPage;
	f.offset = (page - 1) * perPage;
	pRuns = store_dashboard_runs(r->db, &f);
	if (!pRuns)
		pRuns = json_array();
	json_array_foreach(pRuns, i, pRun) {
		const char *zStatus = json_string_value(json_object_get(pRun, "status"));
		decorate_run(pRun);
		if (zStatus && (!strcmp(zStatus, "pending") || !strcmp(zStatus, "running")))
			active = 1;
	}
	pFilters = json_object();
	json_object_set_new(pFilters, "status", json_str_or_null(lp.zStatus));
	json_object_set_new(pFilters, "definition", json_str_or_null(lp.zDefinition));
	json_object_set_new(pFilters, "from", json_str_or_null(lp.zFrom));
	json_object_set_new(pFilters, "to", json_str_or_null(lp.zTo));
	json_object_set_new(pFilters, "q", json_str_or_null(lp.zQ));
	json_object_set_new(pFilters, "tenant", json_str_or_null(lp.zTenant));
	json_object_set_new(pFilters, "sort", json_string(azSort[sort]));
	json_object_set_new(pFilters, "dir", json_string(desc ? "desc" : "asc"));
	json_object_set_new(pFilters, "per_page", json_integer(perPage));
	json_object_set_new(pView, "filters", pFilters);
	json_object_set_new(pView, "filtered",
			    json_boolean(f.zStatus || f.definitionId || f.zFrom || f.zTo || f.zSearch ||
					 (lp.zTenant && *lp.zTenant)));
	json_object_set_new(pView, "status_options", status_options(lp.zStatus));
	pDefs = store_dashboard_definitions(r->db, tenantId);
	if (!pDefs)
		pDefs = json_array();
	mark_selected(pDefs, "id", lp.zDefinition);
	json_object_set_new(pView, "definition_options", pDefs);
	if (allowTenant) {
		json_t *pTenants = store_tenant_list(r->db);
		if (!pTenants)
			pTenants = json_array();
		mark_selected(pTenants, "slug", lp.zTenant);
		json_object_set_new(pView, "tenant_options", pTenants);
		json_object_set_new(pView, "show_tenant", json_true());
	}
	json_object_set_new(pView, "sort_links", sort_links(zBasePath, &lp, sort, desc));
	json_object_set_new(pView, "runs", pRuns);
	json_object_set_new(pView, "has_runs", json_boolean(json_array_size(pRuns) > 0));
	json_object_set_new(pView, "total", json_integer(total));
	json_object_set_new(pView, "one_run", json_boolean(total == 1));
	json_object_set_new(pView, "page", json_integer(page));
	json_object_set_new(pView, "pages", json_integer(pages));
	json_object_set_new(pView, "showing_from", json_integer(total ? f.offset + 1 : 0));
	json_object_set_new(pView, "showing_to", json_integer(f.offset + (int64_t)json_array_size(pRuns)));
	if (page > 1)
		json_object_set_new(pView, "prev_url", list_link(zBasePath, &lp, lp.zSort, lp.zDir, page - 1));
	if (page < pages)
		json_object_set_new(pView, "next_url", list_link(zBasePath, &lp, lp.zSort, lp.zDir, page + 1));
	json_object_set_new(pView, "clear_url", json_string(zBasePath));
	json_object_set_new(pView, "errors", pErrors);
	if (active)
		json_object_set_new(pView, "refresh", json_integer(5));
	return pView;
}

void page_runs(Request *r, Response *p)
{
	json_t *pView = run_list_view(r, "/runs", r->user.tenantId, 0);
	json_object_set_new(pView, "can_start", json_boolean(strcmp(r->user.zRole, "viewer") != 0 ||
							    r->user.isSuperadmin));
	web_render(r, p, "runs", "Runs", pView);
}
