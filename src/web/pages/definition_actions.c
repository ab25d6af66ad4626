/* definition_actions.c — fork a definition, and soft-delete one after a confirmation page. */
#include "web/pages/definitions.h"
#include "web/auth.h"
#include "web/render.h"
#include "store/definition_file.h"
#include "store/definitions.h"
#include "lib/buf.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

#define FORK_SUFFIX " (copy)"

/* The fork's name: "NAME (copy)" when that fits the name limit, else NAME. Caller frees. */
static char *fork_name(const char *zName)
{
	Buf b = BUF_INIT;
	buf_puts(&b, zName);
	if (utf8_length(zName) + strlen(FORK_SUFFIX) <= DEF_NAME_MAX_CHARS)
		buf_puts(&b, FORK_SUFFIX);
	return buf_detach(&b);
}

/* A copy as a new definition: version 1, parent = this one, its own scenarios. */
void page_definition_fork(Request *r, Response *p)
{
	json_t *pRow = definition_load(r, p), *pProblems = NULL;
	Definition *d = NULL;
	char *zName = NULL;
	char zUrl[96], zDetails[64];
	int64_t id, newId;
	if (!pRow)
		return;
	id = json_integer_value(json_object_get(pRow, "id"));
	zName = fork_name(json_string_value(json_object_get(pRow, "name")) ?: "");
	d = def_parse_json(zName, json_object_get(pRow, "content"));
	pProblems = definition_problems(d);
	if (definition_problem_errors(pProblems) > 0) {
		web_error(r, p, 422,
			  "This definition no longer passes validation, so it cannot be copied. "
			  "Edit it to see the problems.");
		goto out;
	}
	snprintf(zDetails, sizeof(zDetails), "{\"parent_id\":%lld}", (long long)id);
	newId = definition_store_new(r, p, zName, json_object_get(pRow, "content"), d, id, 1,
				     "definition.fork", zDetails);
	if (newId > 0) {
		snprintf(zUrl, sizeof(zUrl), "/definitions/%lld?saved=forked", (long long)newId);
		response_redirect(p, zUrl);
	}
out:
	json_decref(pProblems);
	def_free(d);
	free(zName);
	json_decref(pRow);
}

void page_definition_delete_confirm(Request *r, Response *p)
{
	json_t *pRow = definition_load(r, p), *pView;
	if (!pRow)
		return;
	pView = json_object();
	json_object_set_new(pView, "used_by_runs",
			    json_boolean(json_integer_value(json_object_get(pRow, "run_count")) > 0));
	json_object_set_new(pView, "definition", pRow);
	web_render(r, p, "definition_delete", "Delete definition", pView);
}

void page_definition_delete(Request *r, Response *p)
{
	DbRc rc = store_definition_delete(r->db, r->user.tenantId, r->aId[0]);
	if (rc == DB_NOTFOUND) {
		web_error(r, p, 404, "There is no such definition.");
		return;
	}
	if (rc != DB_OK) {
		web_error(r, p, 500, "The definition could not be deleted.");
		return;
	}
	auth_audit(r, "definition.delete", "definition", r->aId[0], NULL);
	response_redirect(p, "/definitions?deleted=1");
}
