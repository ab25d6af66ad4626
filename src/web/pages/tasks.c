/* tasks.c — GET /runs/ID/tasks (paginated, filtered by state and model) and one task with its attempts. */
#include "web/pages/runs_pages.h"
#include "web/render.h"
#include "store/results.h"
#include "lib/buf.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const azJobState[] = {"queued", "leased", "done", "failed", "cancelled"};

/* The link to page `page` of the task list keeping the filters. New string; caller frees. */
static char *tasks_link(int64_t runId, const char *zState, const char *zModel, int64_t page)
{
	Buf b = BUF_INIT;
	buf_printf(&b, "/runs/%lld/tasks?page=%lld", (long long)runId, (long long)page);
	if (zState && *zState) {
		buf_puts(&b, "&state=");
		buf_url_escape(&b, zState);
	}
	if (zModel && *zModel) {
		buf_puts(&b, "&model=");
		buf_url_escape(&b, zModel);
	}
	return buf_detach(&b);
}

void page_run_tasks(Request *r, Response *p)
{
	int64_t runId = r->aId[0], page = 1, nTotal = 0, nPages;
	json_t *pRun = run_load(r, p, runId), *pView, *pTasks, *pStates, *pModels;
	const char *zState = param_get(&r->query, "state");
	const char *zModel = param_get(&r->query, "model");
	const char *zPage = param_get(&r->query, "page");
	size_t i;
	int stateOk = !zState || !*zState;
	if (!pRun)
		return;
	for (i = 0; i < ARRAY_SIZE(azJobState); i++)
		if (zState && !strcmp(zState, azJobState[i]))
			stateOk = 1;
	if (!stateOk) {
		json_decref(pRun);
		web_error(r, p, 400, "The state filter must be queued, leased, done, failed or cancelled.");
		return;
	}
	if (zPage && *zPage && parse_int64(zPage, 1, 1000000000, &page)) {
		json_decref(pRun);
		web_error(r, p, 400, "The page must be a positive whole number.");
		return;
	}
	pTasks = store_run_tasks(r->db, runId, zState, zModel, RUN_TASKS_PAGE_SIZE,
				 (page - 1) * RUN_TASKS_PAGE_SIZE, &nTotal);
	if (!pTasks) {
		json_decref(pRun);
		web_error(r, p, 500, "The tasks could not be read. The error has been logged.");
		return;
	}
	for (i = 0; i < json_array_size(pTasks); i++) {
		json_t *pT = json_array_get(pTasks, i);
		int64_t sample = json_integer_value(json_object_get(pT, "sample_index"));
		char zSample[32] = "";
		json_object_set_new(pT, "cache_hit", json_boolean(json_integer_value(json_object_get(pT, "cache_hit"))));
		if (sample > 0)
			snprintf(zSample, sizeof(zSample), "sample %lld", (long long)sample);
		json_object_set_new(pT, "sample_label", json_string(zSample));
	}
	nPages = nTotal > 0 ? (nTotal + RUN_TASKS_PAGE_SIZE - 1) / RUN_TASKS_PAGE_SIZE : 1;
	pStates = json_array();
	for (i = 0; i < ARRAY_SIZE(azJobState); i++)
		json_array_append_new(pStates, json_pack("{s:s, s:b}", "state", azJobState[i], "selected",
							 zState && !strcmp(zState, azJobState[i])));
	pModels = json_array();
	for (i = 0; i < json_array_size(json_object_get(pRun, "models")); i++) {
		const char *zM = json_string_value(json_object_get(json_array_get(json_object_get(pRun, "models"), i), "model_id"));
		size_t j;
		int seen = 0;
		for (j = 0; j < json_array_size(pModels) && !seen; j++)
			seen = !strcmp(json_string_value(json_object_get(json_array_get(pModels, j), "model")), zM);
		if (zM && !seen)
			json_array_append_new(pModels, json_pack("{s:s, s:b}", "model", zM, "selected",
								 zModel && !strcmp(zModel, zM)));
	}
	pView = json_object();
	json_object_set_new(pView, "run", json_pack("{s:I, s:s}", "id", (json_int_t)runId, "name",
						    json_string_value(json_object_get(pRun, "name"))
							    ? json_string_value(json_object_get(pRun, "name")) : ""));
	json_object_set_new(pView, "tasks", pTasks);
	json_object_set_new(pView, "has_tasks", json_boolean(json_array_size(pTasks) > 0));
	json_object_set_new(pView, "total", json_integer(nTotal));
	json_object_set_new(pView, "page", json_integer(page));
	json_object_set_new(pView, "pages", json_integer(nPages));
	json_object_set_new(pView, "states", pStates);
	json_object_set_new(pView, "models", pModels);
	json_object_set_new(pView, "state", json_string(zState ? zState : ""));
	json_object_set_new(pView, "model", json_string(zModel ? zModel : ""));
	if (page > 1) {
		char *z = tasks_link(runId, zState, zModel, page - 1);
		json_object_set_new(pView, "prev_link", json_string(z));
		free(z);
	}
	if (page < nPages) {
		char *z = tasks_link(runId, zState, zModel, page + 1);
		json_object_set_new(pView, "next_link", json_string(z));
		free(z);
	}
	json_decref(pRun);
	web_render(r, p, "tasks", "Tasks", pView);
}

/* Pretty JSON text of pValue (a stored body), or NULL. New string; caller frees. */
static char *pretty_value(const json_t *pValue)
{
	char *z, *zOut;
	if (!pValue || json_is_null(pValue))
		return NULL;
	if (json_is_string(pValue))
		return json_text_pretty(json_string_value(pValue));
	z = json_dumps(pValue, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	zOut = xstrdup(z ? z : "");
	free(z);
	return zOut;
}

/* Each turn's request and raw response, pretty-printed: [{turn, request, response}]. */
static json_t *turn_bodies(const json_t *pTask)
{
	json_t *pOut = json_array();
	const json_t *pTurns = json_object_get(pTask, "turns");
	size_t i;
	if (json_array_size(pTurns) == 0 && json_is_string(json_object_get(pTask, "request"))) {
		char *zReq = json_text_pretty(json_string_value(json_object_get(pTask, "request")));
		char *zResp = json_text_pretty(json_string_value(json_object_get(pTask, "response")));
		json_array_append_new(pOut, json_pack("{s:i, s:s, s:s}", "turn", 1, "request", zReq ? zReq : "",
						      "response", zResp ? zResp : ""));
		free(zReq);
		free(zResp);
		return pOut;
	}
	for (i = 0; i < json_array_size(pTurns); i++) {
		const json_t *pTurn = json_array_get(pTurns, i);
		const json_t *pReq = json_object_get(pTurn, "request");
		const json_t *pResp = json_object_get(pTurn, "raw_response");
		char *zReq, *zResp;
		/* Turn 1's bodies are also stored on the transcript row itself. */
		if (i == 0 && !pReq)
			pReq = json_object_get(pTask, "request");
		if (i == 0 && !pResp)
			pResp = json_object_get(pTask, "response");
		zReq = pretty_value(pReq);
		zResp = pretty_value(pResp);
		json_array_append_new(pOut, json_pack("{s:I, s:s, s:s}", "turn", (json_int_t)i + 1, "request",
						      zReq ? zReq : "", "response", zResp ? zResp : ""));
		free(zReq);
		free(zResp);
	}
	return pOut;
}

void page_run_task(Request *r, Response *p)
{
	json_t *pTask = store_task_get(r->db, r->user.tenantId, r->aId[0], r->aId[1]), *pView;
	if (!pTask) {
		web_error(r, p, 404, "There is no such task in this run.");
		return;
	}
	pView = json_object();
	json_object_set_new(pView, "bodies", turn_bodies(pTask));
	json_object_set_new(pView, "has_bodies", json_boolean(json_array_size(json_object_get(pView, "bodies")) > 0));
	json_object_del(pTask, "turns");
	json_object_del(pTask, "request");
	json_object_del(pTask, "response");
	json_object_set_new(pTask, "cache_hit", json_boolean(json_integer_value(json_object_get(pTask, "cache_hit"))));
	json_object_set_new(pView, "has_attempts",
			    json_boolean(json_array_size(json_object_get(pTask, "attempts_list")) > 0));
	json_object_set_new(pView, "task", pTask);
	web_render(r, p, "task", "Task", pView);
}
