/* definition_transfer.c — import a definition file (upload or API), and export one as a download. */
#include "web/pages/definitions.h"
#include "web/render.h"
#include "store/definition_file.h"
#include "store/definitions.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

/* The import page, with an error sentence and/or the problems of a rejected file. */
static void render_import(Request *r, Response *p, const char *zFilename, const char *zError,
			  const json_t *pProblems)
{
	json_t *pView = json_object();
	if (zFilename)
		json_object_set_new(pView, "filename", json_string(zFilename));
	if (zError)
		json_object_set_new(pView, "error", json_string(zError));
	if (pProblems) {
		json_t *pItems = definition_problem_items(pProblems, NULL);
		json_object_set_new(pView, "has_problems", json_boolean(json_array_size(pItems) > 0));
		json_object_set_new(pView, "problems", pItems);
	}
	web_render(r, p, "definition_import", "Import a definition", pView);
}

void page_definition_import_form(Request *r, Response *p)
{
	render_import(r, p, NULL, NULL, NULL);
}

/* The uploaded file of form field "file", or NULL. */
static const Upload *find_upload(const Request *r)
{
	int i;
	for (i = 0; i < r->nUpload; i++)
		if (strcmp(r->aUpload[i].zField, "file") == 0)
			return &r->aUpload[i];
	return NULL;
}

/*
 * Import the uploaded file as a new definition (version 1). A file that is
 * not in the export format, or whose definition has errors, is refused with
 * the reasons on the page and nothing is stored.
 */
void page_definition_import(Request *r, Response *p)
{
	const Upload *u = find_upload(r);
	char *zName = NULL;
	json_t *pContent = NULL, *pProblems = NULL, *pDetails;
	Definition *d = NULL;
	char zErr[400], zUrl[96], *zDetails;
	int64_t id;
	if (!u) {
		p->status = 400;
		render_import(r, p, NULL, "Choose a definition file (.json) to import.", NULL);
		return;
	}
	if (definition_file_parse(u->pData, u->nData, &zName, &pContent, zErr, sizeof(zErr))) {
		p->status = 422;
		render_import(r, p, u->zFilename, zErr, NULL);
		goto out;
	}
	d = def_parse_json(zName, pContent);
	pProblems = definition_problems(d);
	if (definition_problem_errors(pProblems) > 0) {
		p->status = 422;
		render_import(r, p, u->zFilename, "The definition in this file has errors, so nothing was imported.",
			      pProblems);
		goto out;
	}
	pDetails = json_pack("{s:s}", "filename", u->zFilename ? u->zFilename : "");
	zDetails = json_dumps(pDetails, JSON_COMPACT);
	json_decref(pDetails);
	id = definition_store_new(r, p, zName, pContent, d, 0, 1, "definition.import", zDetails);
	free(zDetails);
	if (id > 0) {
		snprintf(zUrl, sizeof(zUrl), "/definitions/%lld?saved=imported", (long long)id);
		response_redirect(p, zUrl);
	}
out:
	json_decref(pProblems);
	def_free(d);
	json_decref(pContent);
	free(zName);
}

/* The export file as a download: the same bytes as `valuerank definition export ID`. */
void page_definition_export(Request *r, Response *p)
{
	json_t *pRow = definition_load(r, p);
	char *zText, zDisposition[96];
	if (!pRow)
		return;
	zText = definition_file_text(json_string_value(json_object_get(pRow, "name")) ?: "",
				     json_object_get(pRow, "content"));
	p->status = 200;
	str_copy(p->zContentType, sizeof(p->zContentType), "application/json; charset=utf-8");
	snprintf(zDisposition, sizeof(zDisposition), "attachment; filename=\"definition-%lld-v%lld.json\"",
		 (long long)json_integer_value(json_object_get(pRow, "id")),
		 (long long)json_integer_value(json_object_get(pRow, "version")));
	response_header(p, "Content-Disposition", zDisposition);
	buf_reset(&p->body);
	buf_puts(&p->body, zText);
	free(zText);
	json_decref(pRow);
}

/*
 * POST /api/v1/definitions with the JSON body {"name": ..., "content": {...}}:
 * 201 {id, version, scenario_count, url, problems} or 422 {error, problems}.
 */
void page_api_definition_create(Request *r, Response *p)
{
	char *zName = NULL;
	json_t *pContent = NULL, *pProblems = NULL, *pOut;
	Definition *d = NULL;
	char zErr[400], zUrl[64];
	int64_t id;
	if (!r->pBody || definition_file_parse(r->pBody, r->nBody, &zName, &pContent, zErr, sizeof(zErr))) {
		web_error(r, p, 400, r->pBody ? zErr : "Send the definition as a JSON body {\"name\": ..., \"content\": {...}}.");
		goto out;
	}
	d = def_parse_json(zName, pContent);
	pProblems = definition_problems(d);
	if (definition_problem_errors(pProblems) > 0) {
		pOut = json_object();
		json_object_set_new(pOut, "error", json_string("The definition has errors, so it was not saved."));
		json_object_set_new(pOut, "status", json_integer(422));
		json_object_set(pOut, "problems", pProblems);
		web_json(p, 422, pOut);
		goto out;
	}
	id = definition_store_new(r, p, zName, pContent, d, 0, 1, "definition.create", NULL);
	if (id > 0) {
		snprintf(zUrl, sizeof(zUrl), "/definitions/%lld", (long long)id);
		pOut = json_object();
		json_object_set_new(pOut, "id", json_integer(id));
		json_object_set_new(pOut, "version", json_integer(1));
		json_object_set_new(pOut, "name", json_string(zName));
		json_object_set_new(pOut, "scenario_count", json_integer(def_scenario_count(d)));
		json_object_set_new(pOut, "url", json_string(zUrl));
		json_object_set(pOut, "problems", pProblems);
		web_json(p, 201, pOut);
	}
out:
	json_decref(pProblems);
	def_free(d);
	json_decref(pContent);
	free(zName);
}
