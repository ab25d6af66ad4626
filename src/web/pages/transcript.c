/* transcript.c — GET /transcripts/ID: scenario, model and version, each turn as safe Markdown, the decision. */
#include "web/pages/runs_pages.h"
#include "web/render.h"
#include "domain/cost.h"
#include "store/results.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Responses longer than this many bytes are collapsed behind "Show all". */
#define TRANSCRIPT_LONG_BYTES 2000
/* Bytes of a collapsed response shown before "Show all". */
#define TRANSCRIPT_EXCERPT_BYTES 600

/* The first n bytes of z cut back to a UTF-8 boundary, plus "…". New string; caller frees. */
static char *utf8_excerpt(const char *z, size_t n)
{
	size_t len = strlen(z);
	Buf b = BUF_INIT;
	if (len <= n)
		return xstrdup(z);
	while (n > 0 && ((unsigned char)z[n] & 0xC0) == 0x80)
		n--;
	buf_append(&b, z, n);
	buf_puts(&b, "…");
	return buf_detach(&b);
}

/* One turn's view: prompt and response as text and as safe HTML, its numbers. New reference. */
static json_t *turn_view(const json_t *pTurn, size_t index)
{
	const char *zPrompt = json_string_value(json_object_get(pTurn, "prompt"));
	const char *zResponse = json_string_value(json_object_get(pTurn, "response"));
	char *zPromptHtml = render_markdown_safe(zPrompt);
	char *zResponseHtml = render_markdown_safe(zResponse);
	int isLong = zResponse && strlen(zResponse) > TRANSCRIPT_LONG_BYTES;
	json_t *pView = json_object();
	static const char *const azCopy[] = {"input_tokens", "output_tokens", "finish_reason",
					     "duration_ms", "model_version", "request_id",
					     "http_status", "started_at"};
	size_t i;
	json_object_set_new(pView, "turn", json_integer((json_int_t)index + 1));
	json_object_set_new(pView, "prompt", json_string(zPrompt ? zPrompt : ""));
	json_object_set_new(pView, "response", json_string(zResponse ? zResponse : ""));
	json_object_set_new(pView, "prompt_html", json_string(zPromptHtml));
	json_object_set_new(pView, "response_html", json_string(zResponseHtml));
	json_object_set_new(pView, "long", json_boolean(isLong));
	if (isLong) {
		char *zEx = utf8_excerpt(zResponse, TRANSCRIPT_EXCERPT_BYTES);
		json_object_set_new(pView, "excerpt", json_string(zEx));
		free(zEx);
	}
	for (i = 0; i < ARRAY_SIZE(azCopy); i++) {
		json_t *pV = json_object_get(pTurn, azCopy[i]);
		json_object_set_new(pView, azCopy[i], pV ? json_incref(pV) : json_null());
	}
	json_object_set_new(pView, "cache_hit", json_boolean(json_is_true(json_object_get(pTurn, "cache_hit"))));
	free(zPromptHtml);
	free(zResponseHtml);
	return pView;
}

/* {name, score} rows from a dimension scores object, in its order. */
static json_t *dimension_rows(const json_t *pScores)
{
	json_t *pRows = json_array();
	const char *zKey;
	json_t *pVal;
	json_object_foreach((json_t *)pScores, zKey, pVal)
		json_array_append_new(pRows, json_pack("{s:s, s:O}", "name", zKey, "score", pVal));
	return pRows;
}

void page_transcript(Request *r, Response *p)
{
	int64_t id = r->aId[0];
	json_t *pT = store_transcript_get(r->db, r->user.tenantId, id), *pView, *pTurns, *pDetails;
	const json_t *pCost;
	const char *zVersion;
	char zCost[64];
	size_t i;
	if (!pT) {
		web_error(r, p, 404, "There is no such transcript.");
		return;
	}
	store_transcript_touch(r->db, r->user.tenantId, id);
	pTurns = json_array();
	for (i = 0; i < json_array_size(json_object_get(pT, "turns")); i++)
		json_array_append_new(pTurns, turn_view(json_array_get(json_object_get(pT, "turns"), i), i));
	pCost = json_object_get(pT, "cost_usd");
	cost_format(zCost, sizeof(zCost), json_is_number(pCost) ? json_number_value(pCost) : COST_UNKNOWN);
	zVersion = json_string_value(json_object_get(pT, "model_version"));
	pDetails = json_object_get(pT, "decision_details");
	pView = json_object();
	json_object_set_new(pView, "dimensions", dimension_rows(json_object_get(pT, "dimension_scores")));
	json_object_set_new(pView, "turns", pTurns);
	json_object_set_new(pView, "cost_text", json_string(zCost));
	json_object_set_new(pView, "version_text", json_string(zVersion && *zVersion ? zVersion : "unknown"));
	json_object_set_new(pView, "decision_rule",
			    json_str_or_null(json_string_value(json_object_get(pDetails, "rule"))));
	json_object_set_new(pView, "decision_excerpt",
			    json_str_or_null(json_string_value(json_object_get(pDetails, "excerpt"))));
	/* The request and raw response are on the task page; keep this view small. */
	json_object_del(pT, "request");
	json_object_del(pT, "response");
	json_object_del(pT, "turns");
	json_object_set_new(pT, "cache_hit", json_boolean(json_integer_value(json_object_get(pT, "cache_hit"))));
	json_object_set_new(pT, "temperature_dropped",
			    json_boolean(json_integer_value(json_object_get(pT, "temperature_dropped"))));
	json_object_set_new(pView, "transcript", pT);
	web_render(r, p, "transcript", "Transcript", pView);
}
