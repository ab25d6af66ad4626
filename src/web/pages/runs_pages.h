/* runs_pages.h — the run workflow pages (start with the advisor, run page, controls, transcripts, tasks). */
#ifndef VR_PAGES_RUNS_PAGES_H
#define VR_PAGES_RUNS_PAGES_H

#include <jansson.h>

#include "web/web.h"

/* pages/run_new.c */
void page_run_new(Request *r, Response *p);       /* GET /runs/new?definition=ID */
void page_run_preflight(Request *r, Response *p); /* POST /runs/preflight (+ API, JSON body) */
void page_run_start(Request *r, Response *p);     /* POST /runs (+ POST /api/v1/runs, JSON body) */
void page_run_rerun(Request *r, Response *p);     /* GET /runs/ID/rerun */
/* pages/run.c */
void page_run(Request *r, Response *p);           /* GET /runs/ID */
/* pages/run_controls.c: POST /runs/ID/pause|resume|cancel|retry-failed, GET /runs/ID/cancel */
void page_run_pause(Request *r, Response *p);
void page_run_resume(Request *r, Response *p);
void page_run_cancel_confirm(Request *r, Response *p);
void page_run_cancel(Request *r, Response *p);
void page_run_retry_failed(Request *r, Response *p);
/* pages/transcript.c */
void page_transcript(Request *r, Response *p);    /* GET /transcripts/ID */
/* pages/tasks.c */
void page_run_tasks(Request *r, Response *p);     /* GET /runs/ID/tasks */
void page_run_task(Request *r, Response *p);      /* GET /runs/ID/tasks/JOB */

/* ---- shared by the pages above (pages/run_common.c) ---- */

/* Tasks per page on /runs/ID/tasks. */
#define RUN_TASKS_PAGE_SIZE 50
/* Scenario rows per page in the run page's per-scenario table. */
#define RUN_SCENARIOS_PAGE_SIZE 50

/*
 * The tenant's run aId (store_run_get row), or NULL after answering 404.
 * Caller decrefs.
 */
json_t *run_load(Request *r, Response *p, int64_t runId);

/* 1 for pending, running and paused (the page refreshes, controls apply). */
int run_status_active(const char *zStatus);

/*
 * Add "status_label" ("Completed with errors" for a completed run with
 * failed jobs) and "status_class" (the badge's CSS suffix) to pRun.
 */
void run_add_status_label(json_t *pRun);

/* "1 h 02 min", "3 min 05 s", "12 s" for the seconds between two ISO times
 * (zEnd NULL: now) into zOut; "" when zStart is NULL or malformed. */
void run_format_duration(char *zOut, size_t n, const char *zStart, const char *zEnd);

/*
 * The server-rendered bar chart of a 1–5 distribution as an inline SVG
 * string (numbers only, nothing taken from user text). aCount[0..4] are the
 * counts of decisions 1..5. Returns a new string; caller frees.
 */
char *run_chart_svg(const int64_t aCount[5]);

/*
 * Markdown to HTML with libcmark in safe mode: raw HTML is dropped and
 * dangerous link schemes removed. Returns a new string; caller frees.
 */
char *render_markdown_safe(const char *zText);

/* Pretty-print stored JSON text (indent 2); text that is not JSON comes back as it is.
 * Returns a new string, or NULL for NULL; caller frees. */
char *json_text_pretty(const char *zText);

#endif
