/* definition_list.c — the list /definitions: search by name, pages, links to create and import. */
#include "web/pages/definitions.h"
#include "web/auth.h"
#include "web/render.h"
#include "store/definitions.h"

#include <string.h>

/* The sentence for ?deleted=1 after a delete. */
static const char *list_notice(Request *r)
{
	const char *z = param_get(&r->query, "deleted");
	return z && strcmp(z, "1") == 0 ? "The definition was deleted. Runs that used it keep their copy." : NULL;
}

void page_definitions(Request *r, Response *p)
{
	const char *zSearch = param_get(&r->query, "q");
	int64_t nTotal = 0, offset = 0;
	json_t *pView = json_object(), *pPaging, *pRows;
	if (zSearch && strlen(zSearch) > 200)
		zSearch = NULL;
	/* Count first so an out-of-range page is clamped before the page is read. */
	json_decref(store_definition_list(r->db, r->user.tenantId, zSearch, 0, 0, &nTotal));
	pPaging = pagination_json(r, "/definitions", zSearch, nTotal, DEFINITION_PAGE_SIZE, &offset);
	pRows = store_definition_list(r->db, r->user.tenantId, zSearch, DEFINITION_PAGE_SIZE, offset, NULL);
	if (!pRows) {
		json_decref(pPaging);
		json_decref(pView);
		web_error(r, p, 500, "The definitions could not be read.");
		return;
	}
	json_object_set_new(pView, "definitions", pRows);
	json_object_set_new(pView, "has_definitions", json_boolean(json_array_size(pRows) > 0));
	json_object_set_new(pView, "q", json_string(zSearch ? zSearch : ""));
	json_object_set_new(pView, "searching", json_boolean(zSearch && *zSearch));
	json_object_set_new(pView, "pagination", pPaging);
	json_object_set_new(pView, "can_edit", json_boolean(auth_has_role(r, "researcher")));
	if (list_notice(r))
		json_object_set_new(pView, "notice", json_string(list_notice(r)));
	web_render(r, p, "definitions", "Definitions", pView);
}
