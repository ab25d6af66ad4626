/* gemini.c — the Google Gemini generateContent adapter. */
#include "providers/adapter.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"

/* x-goog-api-key (never a ?key= query: URLs end up in logs) and content-type. */
static void add_headers(HttpRequestSpec *pOut, const char *zApiKey, int bJsonBody)
{
	if (zApiKey) spec_add_header(pOut, "x-goog-api-key: %s", zApiKey);
	if (bJsonBody) spec_add_header(pOut, "Content-Type: application/json");
}

/* {"text": z} wrapped in a one-element parts array. */
static json_t *text_parts(const char *z)
{
	return json_pack("[{s:s}]", "text", z);
}

json_t *gemini_build(const BuildInput *pIn, HttpRequestSpec *pOut)
{
	const ProbeParams *pParams = pIn->pParams;
	const char *zModel = pIn->zModel;
	json_t *pContents = json_array();
	json_t *pConfig, *pBody;
	Buf url = BUF_INIT;
	int i;

	for (i = 0; i < pParams->nTurn; i++) {
		const char *zRole = strcmp(pParams->aTurn[i].zRole, "assistant") == 0 ? "model" : "user";
		json_array_append_new(pContents, json_pack("{s:s, s:o}", "role", zRole,
		                                            "parts", text_parts(pParams->aTurn[i].zText)));
	}
	pConfig = json_pack("{s:i}", "maxOutputTokens", pIn->maxTokens);
	if (pIn->sendTemperature) json_object_set_new(pConfig, "temperature", temperature_json(pParams->temperature));
	if (pIn->sendSeed) json_object_set_new(pConfig, "seed", json_integer(PROBE_SEED));
	pBody = json_pack("{s:o, s:o}", "contents", pContents, "generationConfig", pConfig);
	if (pParams->zSystem) {
		json_object_set_new(pBody, "systemInstruction", json_pack("{s:o}", "parts", text_parts(pParams->zSystem)));
	}

	if (str_starts_with(zModel, "models/")) zModel += strlen("models/");
	buf_printf(&url, "%s/models/", pIn->pProv->zBaseUrl);
	buf_url_escape(&url, zModel);
	buf_puts(&url, ":generateContent");
	spec_set_target(pOut, "POST", buf_str(&url));
	buf_free(&url);
	add_headers(pOut, pIn->zApiKey, 1);
	return pBody;
}

void gemini_build_models(const ProviderConf *pProv, const char *zApiKey, HttpRequestSpec *pOut)
{
	Buf url = BUF_INIT;
	buf_printf(&url, "%s/models", pProv->zBaseUrl);
	spec_set_target(pOut, "GET", buf_str(&url));
	buf_free(&url);
	add_headers(pOut, zApiKey, 0);
}

/* Finish reasons that mean the output was withheld by a filter. */
static int finish_reason_blocked(const char *z)
{
	static const char *const azBlocked[] = {"SAFETY", "RECITATION", "BLOCKLIST",
		"PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"};
	size_t i;
	for (i = 0; z && i < ARRAY_SIZE(azBlocked); i++) {
		if (strcmp(z, azBlocked[i]) == 0) return 1;
	}
	return 0;
}

void gemini_parse_success(json_t *pRoot, ProbeResult *pOut)
{
	json_t *pCandidates = json_object_get(pRoot, "candidates");
	json_t *pUsage = json_object_get(pRoot, "usageMetadata");
	const char *zBlock = json_string_value(json_object_get(json_object_get(pRoot, "promptFeedback"), "blockReason"));
	json_t *pCandidate, *pParts;
	Buf text = BUF_INIT;
	size_t i;

	pOut->zModelVersion = json_string_dup(pRoot, "modelVersion");
	pOut->zRequestId = json_string_dup(pRoot, "responseId");
	pOut->inputTokens = json_count(pUsage, "promptTokenCount");
	/* Thinking tokens are billed as output, like OpenAI's and Anthropic's counts. */
	pOut->outputTokens = json_count(pUsage, "candidatesTokenCount") + json_count(pUsage, "thoughtsTokenCount");
	if (zBlock) {
		result_fail(pOut, ERR_CONTENT_FILTERED, "prompt blocked (%s)", zBlock);
		return;
	}
	if (!json_is_array(pCandidates) || json_array_size(pCandidates) == 0) {
		result_fail(pOut, ERR_INVALID_RESPONSE, "response has no candidates");
		return;
	}
	pCandidate = json_array_get(pCandidates, 0);
	pOut->zFinishReason = json_string_dup(pCandidate, "finishReason");
	pParts = json_object_get(json_object_get(pCandidate, "content"), "parts");
	for (i = 0; i < json_array_size(pParts); i++) {
		json_t *pPart = json_array_get(pParts, i);
		json_t *pText = json_object_get(pPart, "text");
		if (json_is_true(json_object_get(pPart, "thought"))) continue;
		if (json_is_string(pText)) buf_puts(&text, json_string_value(pText));
	}
	if (text.n > 0) {
		pOut->zText = buf_detach(&text);
		return;
	}
	buf_free(&text);
	if (finish_reason_blocked(pOut->zFinishReason)) {
		result_fail(pOut, ERR_CONTENT_FILTERED, "output blocked (finish reason %s)", pOut->zFinishReason);
	} else {
		result_fail(pOut, ERR_INVALID_RESPONSE, "empty response text (finish reason %s)",
		            pOut->zFinishReason ? pOut->zFinishReason : "none");
	}
}

/* google.rpc status names and the class each one means. */
static const struct {
	const char *zStatus;
	ErrClass err;
} aStatus[] = {
	{"RESOURCE_EXHAUSTED", ERR_RATE_LIMITED},
	{"UNAVAILABLE", ERR_SERVER},
	{"INTERNAL", ERR_SERVER},
	{"DEADLINE_EXCEEDED", ERR_TIMEOUT},
	{"INVALID_ARGUMENT", ERR_INVALID_REQUEST},
	{"FAILED_PRECONDITION", ERR_INVALID_REQUEST},
	{"PERMISSION_DENIED", ERR_AUTH},
	{"UNAUTHENTICATED", ERR_AUTH},
	{"NOT_FOUND", ERR_NOT_FOUND},
};

/* Apply the error details Google attaches: ErrorInfo API_KEY_INVALID (sent as 400) and RetryInfo. */
static void apply_error_details(json_t *pDetails, ProbeResult *pOut)
{
	size_t i;
	for (i = 0; i < json_array_size(pDetails); i++) {
		json_t *pDetail = json_array_get(pDetails, i);
		const char *zType = json_string_value(json_object_get(pDetail, "@type"));
		const char *zReason = json_string_value(json_object_get(pDetail, "reason"));
		const char *zDelay = json_string_value(json_object_get(pDetail, "retryDelay"));
		if (!zType) continue;
		if (strstr(zType, "google.rpc.ErrorInfo") && zReason && strcmp(zReason, "API_KEY_INVALID") == 0)
			pOut->err = ERR_AUTH;
		if (strstr(zType, "google.rpc.RetryInfo") && zDelay) {
			int64_t ms = parse_duration_ms(zDelay);
			if (ms > 0) pOut->retryAfterMs = ms;
		}
	}
}

void gemini_parse_error(json_t *pRoot, ProbeResult *pOut)
{
	json_t *pError = json_object_get(pRoot, "error");
	const char *zStatus = json_string_value(json_object_get(pError, "status"));
	size_t i;

	result_set_message(pOut, json_string_value(json_object_get(pError, "message")));
	for (i = 0; zStatus && i < ARRAY_SIZE(aStatus); i++) {
		if (strcmp(zStatus, aStatus[i].zStatus) == 0) pOut->err = aStatus[i].err;
	}
	apply_error_details(json_object_get(pError, "details"), pOut);
}

int gemini_parse_models(json_t *pRoot, ProviderHealth *pOut)
{
	return health_read_ids(json_object_get(pRoot, "models"), "models", "name", "models/", pOut);
}
