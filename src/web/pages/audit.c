/* audit.c — GET /audit: the audit log, filterable by user, action and date (tenant admins: their tenant; superadmins: all). */
#include "web/pages/dashboard.h"
#include "web/params.h"
#include "web/render.h"
#include "store/accounts.h"
#include "lib/buf.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

#define AUDIT_PER_PAGE 50

void page_audit(Request *r, Response *p)
{
	const char *zUser = param_get(&r->query, "user");
	const char *zAction = param_get(&r->query, "action");
	const char *zFrom = param_get(&r->query, "from");
	const char *zTo = param_get(&r->query, "to");
	const char *zPage = param_get(&r->query, "page");
	int64_t tenantId = r->user.isSuperadmin ? 0 : r->user.tenantId, page = 1;
	json_t *pView = json_object(), *pErrors = json_array(), *pRows, *pFilters;
	char zFromIso[16], zToIso[16], zNum[24];
	Buf q = BUF_INIT, link = BUF_INIT;
	if (zUser && !*zUser)
		zUser = NULL;
	if (zAction && !*zAction)
		zAction = NULL;
	if (zFrom && *zFrom && web_date_param(zFrom, 0, zFromIso, sizeof(zFromIso))) {
		json_array_append_new(pErrors, json_string("The \"from\" date must be a date like 2026-11-21."));
		zFrom = NULL;
	}
	if (zTo && *zTo && web_date_param(zTo, 1, zToIso, sizeof(zToIso))) {
		json_array_append_new(pErrors, json_string("The \"to\" date must be a date like 2026-11-21."));
		zTo = NULL;
	}
	if (zFrom && !*zFrom)
		zFrom = NULL;
	if (zTo && !*zTo)
		zTo = NULL;
	if (zPage && parse_int64(zPage, 1, 100000, &page))
		page = 1;
	/* One row more than a page tells whether there is a next page. */
	pRows = store_audit_list(r->db, tenantId, zUser, zAction, zFrom ? zFromIso : NULL,
				 zTo ? zToIso : NULL, AUDIT_PER_PAGE + 1, (page - 1) * AUDIT_PER_PAGE);
	if (!pRows)
		pRows = json_array();
	web_query_add(&q, "user", zUser);
	web_query_add(&q, "action", zAction);
	web_query_add(&q, "from", zFrom);
	web_query_add(&q, "to", zTo);
	if (json_array_size(pRows) > AUDIT_PER_PAGE) {
		json_array_remove(pRows, AUDIT_PER_PAGE);
		buf_printf(&link, "/audit%s%spage=%lld", buf_str(&q), q.n ? "&" : "?", (long long)(page + 1));
		json_object_set_new(pView, "next_url", json_string(buf_str(&link)));
	}
	if (page > 1) {
		buf_reset(&link);
		buf_printf(&link, "/audit%s", buf_str(&q));
		if (page > 2) {
			snprintf(zNum, sizeof(zNum), "%lld", (long long)(page - 1));
			buf_printf(&link, "%spage=%s", q.n ? "&" : "?", zNum);
		}
		json_object_set_new(pView, "prev_url", json_string(buf_str(&link)));
	}
	pFilters = json_pack("{s:o, s:o, s:o, s:o}", "user", json_str_or_null(zUser), "action",
			     json_str_or_null(zAction), "from", json_str_or_null(zFrom), "to",
			     json_str_or_null(zTo));
	json_object_set_new(pView, "filters", pFilters);
	json_object_set_new(pView, "filtered", json_boolean(zUser || zAction || zFrom || zTo));
	json_object_set_new(pView, "entries", pRows);
	json_object_set_new(pView, "page", json_integer(page));
	json_object_set_new(pView, "all_tenants", json_boolean(tenantId == 0));
	json_object_set_new(pView, "errors", pErrors);
	buf_free(&q);
	buf_free(&link);
	web_render(r, p, "audit", "Audit log", pView);
}
