/* definition_view.c — /definitions/ID: metadata, warnings, dimensions, follow-ups and the expanded scenarios. */
#include "web/pages/definitions.h"
#include "web/auth.h"
#include "web/render.h"
#include "store/definition_file.h"
#include "store/definitions.h"

#include <stdio.h>
#include <string.h>

/* The sentence for ?saved=... after a redirect, or NULL. zBuf holds formatted ones. */
static const char *saved_notice(Request *r, const json_t *pRow, char *zBuf, size_t nBuf)
{
	const char *z = param_get(&r->query, "saved");
	if (!z)
		return NULL;
	if (strcmp(z, "created") == 0)
		return "Definition created.";
	if (strcmp(z, "updated") == 0)
		return "Saved. The scenarios were expanded again.";
	if (strcmp(z, "imported") == 0)
		return "Definition imported.";
	if (strcmp(z, "forked") == 0)
		return "This is a new copy (fork); the original is unchanged.";
	if (strcmp(z, "version") == 0) {
		json_int_t version = json_integer_value(json_object_get(pRow, "version"));
		const json_t *pParentVersion = json_object_get(pRow, "parent_version");
		json_int_t parentVersion = json_is_integer(pParentVersion) ? json_integer_value(pParentVersion)
									     : version - 1;
		snprintf(zBuf, nBuf, "Saved as version %lld because runs use version %lld.", (long long)version,
			 (long long)parentVersion);
		return zBuf;
	}
	return NULL;
}

/* The dimensions table: [{name, level_count, levels: [{score, label, options, has_options}]}]. */
static json_t *dimensions_json(const Definition *d)
{
	json_t *pDims = json_array();
	int i, j, k;
	for (i = 0; i < d->nDim; i++) {
		json_t *pDim = json_object(), *pLevels = json_array();
		for (j = 0; j < d->aDim[i].nLevel; j++) {
			const DefLevel *l = &d->aDim[i].aLevel[j];
			json_t *pLevel = json_object(), *pOptions = json_array();
			for (k = 0; k < l->nOption; k++)
				json_array_append_new(pOptions, json_string(l->azOption[k]));
			json_object_set_new(pLevel, "score", json_integer(l->score));
			json_object_set_new(pLevel, "label", json_string(l->zLabel));
			json_object_set_new(pLevel, "has_options", json_boolean(l->nOption > 0));
			json_object_set_new(pLevel, "options", pOptions);
			json_array_append_new(pLevels, pLevel);
		}
		json_object_set_new(pDim, "name", json_string(d->aDim[i].zName));
		json_object_set_new(pDim, "level_count", json_integer(d->aDim[i].nLevel));
		json_object_set_new(pDim, "levels", pLevels);
		json_array_append_new(pDims, pDim);
	}
	return pDims;
}

static json_t *followups_json(const Definition *d)
{
	json_t *pList = json_array();
	int i;
	for (i = 0; i < d->nFollowup; i++) {
		json_t *pF = json_object();
		json_object_set_new(pF, "turn", json_integer(i + 2));
		json_object_set_new(pF, "label", json_string(d->aFollowup[i].zLabel));
		json_object_set_new(pF, "prompt", json_string(d->aFollowup[i].zPrompt));
		json_array_append_new(pList, pF);
	}
	return pList;
}

/* Add "scores": [{name, score}] beside each row's dimension_scores object, for the table. */
static void add_score_lists(json_t *pScenarios)
{
	size_t i;
	json_t *pRow;
	json_array_foreach(pScenarios, i, pRow) {
		json_t *pList = json_array(), *pVal;
		const char *zKey;
		json_object_foreach(json_object_get(pRow, "dimension_scores"), zKey, pVal) {
			json_t *pScore = json_object();
			json_object_set_new(pScore, "name", json_string(zKey));
			json_object_set(pScore, "score", pVal);
			json_array_append_new(pList, pScore);
		}
		json_object_set_new(pRow, "scores", pList);
	}
}

void page_definition_view(Request *r, Response *p)
{
	json_t *pRow = definition_load(r, p), *pView, *pProblems, *pPaging, *pScenarios;
	const char *zName, *zNotice;
	Definition *d;
	int64_t id, offset = 0, pageSize = r->isApi ? DEFINITION_API_PAGE_SIZE : DEFINITION_PAGE_SIZE;
	char zNoticeBuf[200], zPath[64];
	if (!pRow)
		return;
	id = json_integer_value(json_object_get(pRow, "id"));
	zName = json_string_value(json_object_get(pRow, "name"));
	store_definition_touch(r->db, r->user.tenantId, id);
	d = def_parse_json(zName, json_object_get(pRow, "content"));
	pProblems = definition_problems(d);
	snprintf(zPath, sizeof(zPath), "/definitions/%lld", (long long)id);
	pPaging = pagination_json(r, zPath, NULL, json_integer_value(json_object_get(pRow, "scenario_count")),
				  pageSize, &offset);
	pScenarios = store_scenario_page(r->db, id, pageSize, offset);
	if (!pScenarios)
		pScenarios = json_array();
	add_score_lists(pScenarios);

	pView = json_object();
	json_object_set_new(pView, "definition", pRow);
	json_object_set_new(pView, "warnings", definition_problem_items(pProblems, "warning"));
	json_object_set_new(pView, "errors", definition_problem_items(pProblems, "error"));
	json_object_set_new(pView, "dimensions", dimensions_json(d));
	json_object_set_new(pView, "has_dimensions", json_boolean(d->nDim > 0));
	json_object_set_new(pView, "followups", followups_json(d));
	json_object_set_new(pView, "has_followups", json_boolean(d->nFollowup > 0));
	json_object_set_new(pView, "preamble", json_str_or_null(d->zPreamble));
	json_object_set_new(pView, "template", json_string(d->zTemplate));
	json_object_set_new(pView, "scenarios", pScenarios);
	json_object_set_new(pView, "pagination", pPaging);
	json_object_set_new(pView, "can_edit", json_boolean(auth_has_role(r, "researcher")));
	zNotice = saved_notice(r, pRow, zNoticeBuf, sizeof(zNoticeBuf));
	if (zNotice)
		json_object_set_new(pView, "notice", json_string(zNotice));
	json_decref(pProblems);
	web_render(r, p, "definition_view", d->zName, pView);
	def_free(d);
}
