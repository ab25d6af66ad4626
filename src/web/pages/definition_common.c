/* definition_common.c — helpers shared by the definition pages: loading, storing, problems, pagination. */
#include "web/pages/definitions.h"
#include "web/auth.h"
#include "web/render.h"
#include "store/definitions.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/util.h"

#include <string.h>

json_t *definition_load(Request *r, Response *p)
{
	json_t *pRow = store_definition_get(r->db, r->user.tenantId, r->aId[0]);
	if (!pRow)
		web_error(r, p, 404, "There is no such definition.");
	return pRow;
}

int64_t definition_store_new(Request *r, Response *p, const char *zName, const json_t *pContent,
			     const Definition *d, int64_t parentId, int64_t version, const char *zAction,
			     const char *zDetails)
{
	char zErr[300];
	int64_t id = store_definition_create(r->db, r->user.tenantId, r->user.id, parentId, version, zName,
					     pContent, d, zErr, sizeof(zErr));
	if (id < 0) {
		log_event(LOG_ERROR, "definition not stored", "error=\"%s\"", zErr);
		web_error(r, p, 500, "The definition could not be saved. The error has been logged.");
		return -1;
	}
	auth_audit(r, zAction, "definition", id, zDetails);
	return id;
}

json_t *definition_problem_items(const json_t *pProblems, const char *zSeverity)
{
	json_t *pOut = json_array();
	size_t i;
	for (i = 0; i < json_array_size(pProblems); i++) {
		const json_t *pIn = json_array_get(pProblems, i);
		const char *zSev = json_string_value(json_object_get(pIn, "severity"));
		json_t *pItem;
		if (!zSev || (zSeverity && strcmp(zSev, zSeverity) != 0))
			continue;
		pItem = json_object();
		json_object_set_new(pItem, "severity", json_string(zSev));
		json_object_set_new(pItem, "is_error", json_boolean(strcmp(zSev, "error") == 0));
		json_object_set(pItem, "path", json_object_get(pIn, "path"));
		json_object_set(pItem, "message", json_object_get(pIn, "message"));
		json_array_append_new(pOut, pItem);
	}
	return pOut;
}

size_t utf8_length(const char *z)
{
	size_t n = 0;
	for (; *z; z++)
		if (((unsigned char)*z & 0xC0) != 0x80)
			n++;
	return n;
}

/* zPath?q=zSearch&page=n as a new JSON string. */
static json_t *page_url(const char *zPath, const char *zSearch, int64_t n)
{
	Buf b = BUF_INIT;
	json_t *pUrl;
	buf_puts(&b, zPath);
	buf_putc(&b, '?');
	if (zSearch && *zSearch) {
		buf_puts(&b, "q=");
		buf_url_escape(&b, zSearch);
		buf_putc(&b, '&');
	}
	buf_printf(&b, "page=%lld", (long long)n);
	pUrl = json_string(buf_str(&b));
	buf_free(&b);
	return pUrl;
}

json_t *pagination_json(Request *r, const char *zPath, const char *zSearch, int64_t nTotal,
			int64_t pageSize, int64_t *pOffset)
{
	json_t *pOut = json_object();
	int64_t page = 1, pages = nTotal > 0 ? (nTotal + pageSize - 1) / pageSize : 1;
	const char *zPage = param_get(&r->query, "page");
	if (zPage && parse_int64(zPage, 1, INT64_MAX / 2, &page))
		page = 1;
	if (page > pages)
		page = pages;
	*pOffset = (page - 1) * pageSize;
	json_object_set_new(pOut, "page", json_integer(page));
	json_object_set_new(pOut, "pages", json_integer(pages));
	json_object_set_new(pOut, "total", json_integer(nTotal));
	json_object_set_new(pOut, "per_page", json_integer(pageSize));
	json_object_set_new(pOut, "prev_url", page > 1 ? page_url(zPath, zSearch, page - 1) : json_null());
	json_object_set_new(pOut, "next_url", page < pages ? page_url(zPath, zSearch, page + 1) : json_null());
	json_object_set_new(pOut, "several_pages", json_boolean(pages > 1));
	return pOut;
}
