/* run_controls.c — pause, resume, cancel (after a confirmation page) and retry failed tasks; each audited. */
#include "web/pages/runs_pages.h"
#include "web/auth.h"
#include "web/render.h"
#include "store/runs.h"

#include <stdio.h>
#include <string.h>

typedef DbRc (*RunChangeFn)(Db *db, int64_t tenantId, int64_t runId, const char **pzStatus);

/*
 * Apply one control: call the store (idempotent), audit zAction with the
 * status before and after, then redirect to the run page with ?done=zDone
 * (or zDoneAlready when the status was already one of the comma list zAlreadyStatus) — or answer JSON for the
 * API. A state that does not allow the change gets 409 with zRefusal.
 */
static void run_control(Request *r, Response *p, RunChangeFn xChange, const char *zAction,
			const char *zAlreadyStatus, const char *zDone, const char *zDoneAlready,
			const char *zRefusal)
{
	int64_t runId = r->aId[0];
	json_t *pRun = run_load(r, p, runId);
	const char *zAfter = NULL;
	char zBefore[16], zDetails[160], zUrl[96], zMsg[200];
	const char *zOutcome;
	DbRc rc;
	if (!pRun)
		return;
	snprintf(zBefore, sizeof(zBefore), "%s", json_string_value(json_object_get(pRun, "status")));
	if (xChange == store_run_retry_failed && json_integer_value(json_object_get(pRun, "failed_jobs")) == 0 &&
	    strcmp(zBefore, "cancelled") != 0)
		zDone = zDoneAlready;
	json_decref(pRun);
	rc = xChange(r->db, r->user.tenantId, runId, &zAfter);
	if (rc == DB_NOTFOUND) {
		web_error(r, p, 404, "There is no such run.");
		return;
	}
	if (rc == DB_CONFLICT) {
		snprintf(zMsg, sizeof(zMsg), "%s (the run is %s).", zRefusal, zAfter ? zAfter : zBefore);
		web_error(r, p, 409, zMsg);
		return;
	}
	if (rc != DB_OK) {
		web_error(r, p, 500, "The run could not be changed. The error has been logged.");
		return;
	}
	zOutcome = zAlreadyStatus && zBefore[0] && strstr(zAlreadyStatus, zBefore) ? zDoneAlready : zDone;
	snprintf(zDetails, sizeof(zDetails), "{\"from\":\"%s\",\"to\":\"%s\",\"outcome\":\"%s\"}", zBefore,
		 zAfter ? zAfter : "", zOutcome);
	auth_audit(r, zAction, "run", runId, zDetails);
	if (r->isApi) {
		web_json(p, 200, json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)runId, "status",
					   zAfter ? zAfter : "", "previous_status", zBefore, "outcome", zOutcome));
		return;
	}
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld?done=%s", (long long)runId, zOutcome);
	response_redirect(p, zUrl);
}

void page_run_pause(Request *r, Response *p)
{
	run_control(r, p, store_run_pause, "run.pause", "paused", "paused", "already_paused",
		    "Only a pending or running run can be paused");
}

void page_run_resume(Request *r, Response *p)
{
	run_control(r, p, store_run_resume, "run.resume", "pending,running", "resumed", "already_running",
		    "Only a paused run can be resumed");
}

void page_run_cancel(Request *r, Response *p)
{
	run_control(r, p, store_run_cancel, "run.cancel", "cancelled", "cancelled", "already_cancelled",
		    "Only a pending, running or paused run can be cancelled");
}

void page_run_retry_failed(Request *r, Response *p)
{
	run_control(r, p, store_run_retry_failed, "run.retry", NULL, "retried", "noretry",
		    "A cancelled run's failed tasks cannot be retried");
}

void page_run_cancel_confirm(Request *r, Response *p)
{
	json_t *pRun = run_load(r, p, r->aId[0]), *pView;
	if (!pRun)
		return;
	run_add_status_label(pRun);
	pView = json_object();
	json_object_set_new(pView, "can_cancel",
			    json_boolean(run_status_active(json_string_value(json_object_get(pRun, "status")))));
	json_object_set_new(pView, "run", pRun);
	web_render(r, p, "run_cancel", "Cancel run", pView);
}
