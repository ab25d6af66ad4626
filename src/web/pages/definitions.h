/* definitions.h — the definition pages and API handlers, and helpers they share (see router.c for URLs). */
#ifndef VR_PAGES_DEFINITIONS_H
#define VR_PAGES_DEFINITIONS_H

#include "web/web.h"
#include "domain/definition.h"

/* Scenarios per page on the definition page; the API returns bigger pages. */
#define DEFINITION_PAGE_SIZE 25
#define DEFINITION_API_PAGE_SIZE 1000
/* Scenarios shown by "Preview". */
#define DEFINITION_PREVIEW_COUNT 10

/* pages/definition_list.c: GET /definitions, GET /api/v1/definitions */
void page_definitions(Request *r, Response *p);
/* pages/definition_edit.c */
void page_definition_new(Request *r, Response *p);    /* GET /definitions/new */
void page_definition_create(Request *r, Response *p); /* POST /definitions */
void page_definition_edit(Request *r, Response *p);   /* GET /definitions/ID/edit */
void page_definition_save(Request *r, Response *p);   /* POST /definitions/ID */
/* pages/definition_view.c: GET /definitions/ID, GET /api/v1/definitions/ID */
void page_definition_view(Request *r, Response *p);
/* pages/definition_actions.c */
void page_definition_fork(Request *r, Response *p);           /* POST /definitions/ID/fork */
void page_definition_delete_confirm(Request *r, Response *p); /* GET /definitions/ID/delete */
void page_definition_delete(Request *r, Response *p);         /* POST /definitions/ID/delete */
/* pages/definition_transfer.c */
void page_definition_import_form(Request *r, Response *p); /* GET /definitions/import */
void page_definition_import(Request *r, Response *p);      /* POST /definitions/import */
void page_definition_export(Request *r, Response *p);      /* GET /definitions/ID/export.json */
void page_api_definition_create(Request *r, Response *p);  /* POST /api/v1/definitions */
/* pages/scenario.c: GET /definitions/ID/scenarios/SID (and under /api/v1/) */
void page_scenario(Request *r, Response *p);

/* pages/definition_common.c */

/*
 * The tenant's live definition r->aId[0] (store_definition_get row), or NULL
 * after answering 404. Caller decrefs.
 */
json_t *definition_load(Request *r, Response *p);

/*
 * Store a validated definition (no errors in pProblems) as a new row with
 * its scenarios, created by the signed-in user, and audit zAction with
 * zDetails (JSON text or NULL). Returns the new id, or -1 after answering 500.
 */
int64_t definition_store_new(Request *r, Response *p, const char *zName, const json_t *pContent,
			     const Definition *d, int64_t parentId, int64_t version, const char *zAction,
			     const char *zDetails);

/*
 * Problems as view-model entries {severity, is_error, path, message} (new
 * array; caller decrefs), keeping only those whose severity is zSeverity
 * (or all when NULL).
 */
json_t *definition_problem_items(const json_t *pProblems, const char *zSeverity);

/* Number of Unicode characters in z (UTF-8). */
size_t utf8_length(const char *z);

/*
 * Pagination for a list of nTotal items, pageSize per page, from the "page"
 * query parameter (1-based, clamped). Sets *pOffset and returns a new object
 * {page, pages, total, prev_url, next_url} (each URL null when there is no
 * such page) whose URLs are zPath with ?q=zSearch (when not NULL or "")
 * and &page=N. Caller decrefs.
 */
json_t *pagination_json(Request *r, const char *zPath, const char *zSearch, int64_t nTotal,
			int64_t pageSize, int64_t *pOffset);

#endif
