/* run.c — GET /runs/ID: header, progress (refreshing while active), controls, and the score tables. */
#include "web/pages/runs_pages.h"
#include "web/auth.h"
#include "web/render.h"
#include "domain/cost.h"
#include "domain/scores.h"
#include "store/results.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The sentence for ?done=... after a control redirected here, or NULL. */
static const char *done_notice(const char *zDone)
{
	static const struct {
		const char *zKey, *zText;
	} aNotice[] = {
		{"started", "Run started."},
		{"existing", "This form was already submitted; this is the run it started."},
		{"paused", "Run paused. Jobs already in flight finish; no new ones start."},
		{"resumed", "Run resumed."},
		{"cancelled", "Run cancelled. Completed results are kept."},
		{"retried", "Failed tasks queued again; their attempt history is kept."},
		{"noretry", "There were no failed tasks to retry."},
		{"already_paused", "The run was already paused."},
		{"already_running", "The run was already running."},
		{"already_cancelled", "The run was already cancelled."},
	};
	size_t i;
	for (i = 0; zDone && i < ARRAY_SIZE(aNotice); i++)
		if (!strcmp(zDone, aNotice[i].zKey))
			return aNotice[i].zText;
	return NULL;
}

/* Progress: counters, percentage and per-model rows "mock-a 45/100, 2 failed". */
static json_t *progress_json(const json_t *pRun)
{
	int64_t total = json_integer_value(json_object_get(pRun, "total_jobs"));
	int64_t done = json_integer_value(json_object_get(pRun, "completed_jobs"));
	int64_t failed = json_integer_value(json_object_get(pRun, "failed_jobs"));
	int64_t cancelled = json_integer_value(json_object_get(pRun, "cancelled_jobs"));
	int64_t finished = done + failed + cancelled;
	json_t *pRows = json_array(), *pModels = json_object_get(pRun, "models");
	char zText[400];
	size_t i;
	for (i = 0; i < json_array_size(pModels); i++) {
		const json_t *pM = json_array_get(pModels, i);
		const char *zModel = json_string_value(json_object_get(pM, "model_id"));
		int64_t mTotal = json_integer_value(json_object_get(pM, "total"));
		int64_t mDone = json_integer_value(json_object_get(pM, "done"));
		int64_t mFailed = json_integer_value(json_object_get(pM, "failed"));
		int64_t mCancelled = json_integer_value(json_object_get(pM, "cancelled"));
		int n = snprintf(zText, sizeof(zText), "%s %lld/%lld", zModel ? zModel : "?",
				 (long long)mDone, (long long)mTotal);
		if (mFailed > 0 && n > 0 && (size_t)n < sizeof(zText))
			n += snprintf(zText + n, sizeof(zText) - (size_t)n, ", %lld failed", (long long)mFailed);
		if (mCancelled > 0 && n > 0 && (size_t)n < sizeof(zText))
			snprintf(zText + n, sizeof(zText) - (size_t)n, ", %lld cancelled", (long long)mCancelled);
		json_array_append_new(pRows,
				      json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "text", zText,
						"model_id", zModel ? zModel : "?", "model_version",
						json_string_value(json_object_get(pM, "model_version"))
							? json_string_value(json_object_get(pM, "model_version"))
							: "unknown",
						"done", (json_int_t)mDone, "total", (json_int_t)mTotal,
						"failed", (json_int_t)mFailed, "queued",
						(json_int_t)json_integer_value(json_object_get(pM, "queued")),
						"leased",
						(json_int_t)json_integer_value(json_object_get(pM, "leased")),
						"finished", (json_int_t)(mDone + mFailed + mCancelled)));
	}
	snprintf(zText, sizeof(zText), "%lld%%", total > 0 ? (long long)(finished * 100 / total) : 0LL);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:o}", "total", (json_int_t)total, "completed",
			 (json_int_t)done, "failed", (json_int_t)failed, "cancelled", (json_int_t)cancelled,
			 "finished", (json_int_t)finished, "pct_text", zText, "models", pRows);
}

/* The totals row of model zModel in pTotals, or NULL. Borrowed. */
static const json_t *totals_for(const json_t *pTotals, const char *zModel)
{
	size_t i;
	for (i = 0; i < json_array_size(pTotals); i++) {
		const char *z = json_string_value(json_object_get(json_array_get(pTotals, i), "model_id"));
		if (z && zModel && !strcmp(z, zModel))
			return json_array_get(pTotals, i);
	}
	return NULL;
}

/* Cost text of a totals row: "$0.0123", "price unknown", or "$0.0100 + price unknown". */
static void totals_cost_text(const json_t *pT, char *zOut, size_t n)
{
	int64_t nRows = json_integer_value(json_object_get(pT, "n"));
	int64_t nUnknown = json_integer_value(json_object_get(pT, "n_cost_unknown"));
	double c = json_number_value(json_object_get(pT, "cost_usd"));
	char zKnown[32];
	if (!pT || nUnknown >= nRows) {
		cost_format(zOut, n, COST_UNKNOWN);
		return;
	}
	cost_format(zKnown, sizeof(zKnown), c);
	if (nUnknown > 0)
		snprintf(zOut, n, "%s + price unknown", zKnown);
	else
		snprintf(zOut, n, "%s", zKnown);
}

/* Per-model result rows: the score fields plus versions, chart, tokens and cost. */
static json_t *model_rows(const json_t *pScores, const json_t *pTotals)
{
	json_t *pRows = json_array();
	const json_t *pModels = json_object_get(pScores, "models");
	size_t i, k;
	for (i = 0; i < json_array_size(pModels); i++) {
		json_t *pRow = json_deep_copy(json_array_get(pModels, i));
		const char *zModel = json_string_value(json_object_get(pRow, "model"));
		const json_t *pT = totals_for(pTotals, zModel);
		const json_t *pCounts = json_object_get(pRow, "counts");
		int64_t aCount[5] = {0, 0, 0, 0, 0};
		char zCost[64], *zSvg;
		for (k = 0; k < json_array_size(pCounts) && k < 5; k++)
			aCount[k] = json_integer_value(json_object_get(json_array_get(pCounts, k), "count"));
		zSvg = run_chart_svg(aCount);
		totals_cost_text(pT, zCost, sizeof(zCost));
		json_object_set_new(pRow, "chart_svg", json_string(zSvg));
		free(zSvg);
		json_object_set_new(pRow, "versions",
				    json_string(json_string_value(json_object_get(pT, "versions"))
							? json_string_value(json_object_get(pT, "versions"))
							: "unknown"));
		json_object_set_new(pRow, "provider", json_str_or_null(json_string_value(json_object_get(pT, "provider"))));
		json_object_set(pRow, "input_tokens", json_object_get(pT, "input_tokens") ? json_object_get(pT, "input_tokens") : json_null());
		json_object_set(pRow, "output_tokens", json_object_get(pT, "output_tokens") ? json_object_get(pT, "output_tokens") : json_null());
		json_object_set_new(pRow, "cost_text", json_string(zCost));
		json_array_append_new(pRows, pRow);
	}
	return pRows;
}

/*
 * One page of the per-scenario table, each cell linked to the first
 * transcript of its scenario × model. Sets "scenario_pages" in pResults.
 */
static void scenario_page(Request *r, int64_t runId, const json_t *pScores, json_t *pResults)
{
	const json_t *pAll = json_object_get(pScores, "scenarios");
	const json_t *pModels = json_object_get(pScores, "models");
	const char *zPage = param_get(&r->query, "sp");
	int64_t nAll = (int64_t)json_array_size(pAll), page = 1, nPages, from, to, k;
	json_t *pRows = json_array(), *pLinks;
	size_t m, j;
	nPages = nAll > 0 ? (nAll + RUN_SCENARIOS_PAGE_SIZE - 1) / RUN_SCENARIOS_PAGE_SIZE : 1;
	if (zPage && parse_int64(zPage, 1, nPages, &page))
		page = 1;
	from = (page - 1) * RUN_SCENARIOS_PAGE_SIZE;
	to = from + RUN_SCENARIOS_PAGE_SIZE < nAll ? from + RUN_SCENARIOS_PAGE_SIZE : nAll;
	pLinks = to > from
		? store_run_first_transcripts(
			  r->db, runId,
			  json_integer_value(json_object_get(json_array_get(pAll, (size_t)from), "scenario_id")),
			  json_integer_value(json_object_get(json_array_get(pAll, (size_t)to - 1), "scenario_id")))
		: json_array();
	for (k = from; k < to; k++) {
		json_t *pRow = json_deep_copy(json_array_get(pAll, (size_t)k));
		json_t *pCells = json_object_get(pRow, "cells");
		int64_t sid = json_integer_value(json_object_get(pRow, "scenario_id"));
		for (m = 0; m < json_array_size(pCells); m++) {
			json_t *pCell = json_array_get(pCells, m);
			const char *zModel = json_string_value(json_object_get(json_array_get(pModels, m), "model"));
			for (j = 0; j < json_array_size(pLinks); j++) {
				const json_t *pL = json_array_get(pLinks, j);
				const char *zM = json_string_value(json_object_get(pL, "model_id"));
				if (json_integer_value(json_object_get(pL, "scenario_id")) == sid && zM && zModel &&
				    !strcmp(zM, zModel)) {
					json_object_set(pCell, "transcript_id", json_object_get(pL, "transcript_id"));
					break;
				}
			}
		}
		json_array_append_new(pRows, pRow);
	}
	json_decref(pLinks);
	json_object_set_new(pResults, "scenarios", pRows);
	json_object_set_new(pResults, "scenario_total", json_integer(nAll));
	json_object_set_new(pResults, "scenario_page", json_integer(page));
	json_object_set_new(pResults, "scenario_pages", json_integer(nPages));
	json_object_set_new(pResults, "scenario_paged", json_boolean(nPages > 1));
	if (page > 1)
		json_object_set_new(pResults, "scenario_prev", json_integer(page - 1));
	if (page < nPages)
		json_object_set_new(pResults, "scenario_next", json_integer(page + 1));
}

/* The results section, or NULL when the run has no transcript yet. */
static json_t *results_json(Request *r, int64_t runId)
{
	ScoreAcc *pAcc = scores_new();
	json_t *pScores = NULL, *pTotals = NULL, *pResults = NULL, *pNames;
	size_t i;
	if (store_run_feed_scores(r->db, runId, pAcc) != DB_OK)
		goto out;
	pScores = scores_result(pAcc);
	if (json_integer_value(json_object_get(pScores, "n_observations")) == 0)
		goto out;
	pTotals = store_run_model_totals(r->db, runId);
	pResults = json_object();
	pNames = json_array();
	for (i = 0; i < json_array_size(json_object_get(pScores, "models")); i++)
		json_array_append(pNames, json_object_get(json_array_get(json_object_get(pScores, "models"), i), "model"));
	json_object_set_new(pResults, "model_names", pNames);
	json_object_set_new(pResults, "models", model_rows(pScores, pTotals));
	scenario_page(r, runId, pScores, pResults);
	json_object_set(pResults, "dimensions", json_object_get(pScores, "dimensions"));
	json_object_set_new(pResults, "has_dimensions",
			    json_boolean(json_array_size(json_object_get(pScores, "dimensions")) > 0));
	json_object_set(pResults, "n_observations", json_object_get(pScores, "n_observations"));
out:
	json_decref(pScores);
	json_decref(pTotals);
	scores_free(pAcc);
	return pResults;
}

/* Rate-limit waits of the providers this run uses: [{provider, rate_limited_until}]. */
static json_t *run_rate_limits(Request *r, const json_t *pRun)
{
	json_t *pAll = store_rate_limited_providers(r->db), *pOut = json_array();
	const json_t *pModels = json_object_get(pRun, "models");
	size_t i, j;
	for (i = 0; i < json_array_size(pAll); i++) {
		const char *zP = json_string_value(json_object_get(json_array_get(pAll, i), "provider"));
		for (j = 0; zP && j < json_array_size(pModels); j++) {
			const char *z = json_string_value(json_object_get(json_array_get(pModels, j), "provider"));
			if (z && !strcmp(z, zP)) {
				json_array_append(pOut, json_array_get(pAll, i));
				break;
			}
		}
	}
	json_decref(pAll);
	return pOut;
}

/* Which controls apply in this state, for a user allowed to use them. */
static json_t *controls_json(Request *r, const json_t *pRun)
{
	const char *zStatus = json_string_value(json_object_get(pRun, "status"));
	int64_t nFailed = json_integer_value(json_object_get(pRun, "failed_jobs"));
	int allowed = auth_has_role(r, "researcher");
	int active = run_status_active(zStatus);
	int terminal = zStatus && (!strcmp(zStatus, "completed") || !strcmp(zStatus, "failed"));
	return json_pack("{s:b, s:b, s:b, s:b, s:b, s:b}", "allowed", allowed, "can_pause",
			 allowed && zStatus && (!strcmp(zStatus, "pending") || !strcmp(zStatus, "running")),
			 "can_resume", allowed && zStatus && !strcmp(zStatus, "paused"), "can_cancel",
			 allowed && active, "can_retry", allowed && terminal && nFailed > 0, "can_rerun",
			 allowed);
}

void page_run(Request *r, Response *p)
{
	int64_t runId = r->aId[0];
	json_t *pRun = run_load(r, p, runId), *pView, *pHeader, *pResults;
	const char *zStatus, *zNotice;
	char zDuration[64], zNow[16];
	time_t now = time(NULL);
	struct tm tm;
	if (!pRun)
		return;
	store_run_touch(r->db, r->user.tenantId, runId);
	pHeader = store_run_header(r->db, r->user.tenantId, runId);
	run_add_status_label(pRun);
	zStatus = json_string_value(json_object_get(pRun, "status"));
	run_format_duration(zDuration, sizeof(zDuration), json_string_value(json_object_get(pRun, "started_at")),
			    run_status_active(zStatus) ? NULL : json_string_value(json_object_get(pRun, "completed_at")));
	gmtime_r(&now, &tm);
	strftime(zNow, sizeof(zNow), "%H:%M:%S", &tm);
	pView = json_object();
	json_object_set_new(pView, "run", pRun);
	json_object_set_new(pView, "header", pHeader ? pHeader : json_object());
	json_object_set_new(pView, "duration_text", json_string(zDuration));
	json_object_set_new(pView, "active", json_boolean(run_status_active(zStatus)));
	if (run_status_active(zStatus))
		json_object_set_new(pView, "refresh", json_integer(5));
	json_object_set_new(pView, "progress", progress_json(pRun));
	json_object_set_new(pView, "rate_limits", run_rate_limits(r, pRun));
	json_object_set_new(pView, "last_updated", json_string(zNow));
	json_object_set_new(pView, "controls", controls_json(r, pRun));
	zNotice = done_notice(param_get(&r->query, "done"));
	if (zNotice)
		json_object_set_new(pView, "notice", json_string(zNotice));
	pResults = results_json(r, runId);
	json_object_set_new(pView, "has_results", json_boolean(pResults != NULL));
	if (pResults)
		json_object_set_new(pView, "results", pResults);
	web_render(r, p, "run", json_string_value(json_object_get(pRun, "name")), pView);
}
