/* runs.c — the dashboard /runs: the tenant's runs, newest first. */
#include "web/pages/pages.h"
#include "web/render.h"
#include "store/runs.h"

void page_runs(Request *r, Response *p)
{
	json_t *pView = json_object();
	json_t *pRuns = store_run_list_recent(r->db, r->user.tenantId, 50);
	json_object_set_new(pView, "runs", pRuns ? pRuns : json_array());
	json_object_set_new(pView, "has_runs", json_boolean(pRuns && json_array_size(pRuns) > 0));
	web_render(r, p, "runs", "Runs", pView);
}
