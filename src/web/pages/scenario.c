/* scenario.c — /definitions/ID/scenarios/SID: every turn of a scenario exactly as it will be sent. */
#include "web/pages/definitions.h"
#include "web/render.h"
#include "domain/expand.h"
#include "store/definitions.h"

#include <stdio.h>
#include <stdlib.h>

void page_scenario(Request *r, Response *p)
{
	json_t *pRow = definition_load(r, p), *pScenario, *pView, *pTurns, *pScores, *pVal;
	const char *zKey;
	Definition *d;
	char *zFirst, zTitle[300];
	int i;
	if (!pRow)
		return;
	pScenario = store_scenario_get(r->db, r->user.tenantId, r->aId[0], r->aId[1]);
	if (!pScenario) {
		json_decref(pRow);
		web_error(r, p, 404, "There is no such scenario.");
		return;
	}
	store_definition_touch(r->db, r->user.tenantId, r->aId[0]);
	d = def_parse_json(json_string_value(json_object_get(pRow, "name")), json_object_get(pRow, "content"));
	pTurns = json_array();
	zFirst = scenario_full_prompt(json_string_value(json_object_get(pScenario, "preamble")),
				      json_string_value(json_object_get(pScenario, "prompt")) ?: "");
	{
		json_t *pTurn = json_object();
		json_object_set_new(pTurn, "turn", json_integer(1));
		json_object_set_new(pTurn, "label", json_string("prompt"));
		json_object_set_new(pTurn, "text", json_string(zFirst));
		json_array_append_new(pTurns, pTurn);
	}
	free(zFirst);
	for (i = 0; i < d->nFollowup; i++) {
		json_t *pTurn = json_object();
		json_object_set_new(pTurn, "turn", json_integer(i + 2));
		json_object_set_new(pTurn, "label", json_string(d->aFollowup[i].zLabel));
		json_object_set_new(pTurn, "text", json_string(d->aFollowup[i].zPrompt));
		json_array_append_new(pTurns, pTurn);
	}
	pScores = json_array();
	json_object_foreach(json_object_get(pScenario, "dimension_scores"), zKey, pVal) {
		json_t *pScore = json_object();
		json_object_set_new(pScore, "name", json_string(zKey));
		json_object_set(pScore, "score", pVal);
		json_array_append_new(pScores, pScore);
	}
	json_object_set_new(pScenario, "scores", pScores);
	pView = json_object();
	json_object_set_new(pView, "definition_id", json_integer(r->aId[0]));
	json_object_set(pView, "definition_name", json_object_get(pRow, "name"));
	json_object_set(pView, "definition_version", json_object_get(pRow, "version"));
	json_object_set_new(pView, "scenario", pScenario);
	json_object_set_new(pView, "turns", pTurns);
	json_object_set_new(pView, "turn_count", json_integer(1 + d->nFollowup));
	snprintf(zTitle, sizeof(zTitle), "%s", json_string_value(json_object_get(pScenario, "name")) ?: "Scenario");
	def_free(d);
	json_decref(pRow);
	web_render(r, p, "scenario", zTitle, pView);
}
