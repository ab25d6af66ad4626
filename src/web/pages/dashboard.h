/* dashboard.h — handlers for the dashboard's neighbours: CSV export, settings, notifications, admin, audit. */
#ifndef VR_PAGES_DASHBOARD_H
#define VR_PAGES_DASHBOARD_H

#include "web/web.h"

/*
 * pages/runs.c: the run list shared by /runs and /admin. Parses the
 * filters from the query string (status, definition, from, to, q, sort,
 * dir, page, per_page, and tenant when allowTenant), queries the runs of
 * tenantId (0: all) and returns a new view model: runs, total, filters,
 * the options of each select, sort and page links under zBasePath that
 * keep the filters, errors for ignored filters, and "refresh": 5 while a
 * listed run is pending or running. The caller owns the reference.
 */
json_t *run_list_view(Request *r, const char *zBasePath, int64_t tenantId, int allowTenant);
/* "Completed with errors" for completed_with_errors, "Running" for running, ... (static). */
const char *run_status_label(const char *zDisplayStatus);
/* A duration in seconds as "42s", "3m 05s" or "1h 02m" into zOut; "—" when negative. */
void duration_text(char *zOut, size_t n, int64_t seconds);

/* pages/export.c: GET /runs/ID/export.csv and /api/v1/runs/ID/export.csv (streamed). */
void page_run_export(Request *r, Response *p);

/* pages/settings.c: system health, "Check now", test run, webhook URL. */
void page_settings(Request *r, Response *p);
void page_settings_check(Request *r, Response *p);
void page_settings_test_run(Request *r, Response *p);
void page_settings_webhook(Request *r, Response *p);
/* Render /settings with an error (status set by the caller) or a notice; either may be NULL. */
void settings_render(Request *r, Response *p, const char *zError, const char *zNotice);

/* pages/notifications.c */
void page_notifications(Request *r, Response *p);
void page_notification_dismiss(Request *r, Response *p);
/*
 * Load the signed-in user's undismissed notifications into r->pBanner
 * ({"items": [{"text", "link"}], plus a dismiss form per item}). Called by
 * the router before GET HTML pages; does nothing for anonymous or API
 * requests.
 */
void notifications_banner_load(Request *r);

/* pages/admin.c (superadmin) */
void page_admin(Request *r, Response *p);
void page_admin_tenant_create(Request *r, Response *p);
void page_admin_tenant_disable(Request *r, Response *p);
void page_admin_tenant_enable(Request *r, Response *p);
void page_admin_user_create(Request *r, Response *p);
void page_admin_user_disable(Request *r, Response *p);
void page_admin_user_enable(Request *r, Response *p);
void page_admin_user_reset_password(Request *r, Response *p);

/* pages/audit.c (admins: their tenant; superadmins: all) */
void page_audit(Request *r, Response *p);

#endif
