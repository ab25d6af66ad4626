/* anthropic.c — the Anthropic Messages API adapter. */
#include "providers/adapter.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"

/* x-api-key, anthropic-version and content-type headers. */
static void add_headers(HttpRequestSpec *pOut, const char *zApiKey, int bJsonBody)
{
	if (zApiKey) spec_add_header(pOut, "x-api-key: %s", zApiKey);
	spec_add_header(pOut, "anthropic-version: %s", ANTHROPIC_VERSION);
	if (bJsonBody) spec_add_header(pOut, "content-type: application/json");
}

json_t *anthropic_build(const BuildInput *pIn, HttpRequestSpec *pOut)
{
	const ProbeParams *pParams = pIn->pParams;
	json_t *pMessages = json_array();
	json_t *pBody;
	Buf url = BUF_INIT;
	int i;

	for (i = 0; i < pParams->nTurn; i++) {
		json_array_append_new(pMessages, json_pack("{s:s, s:s}", "role", pParams->aTurn[i].zRole,
		                                            "content", pParams->aTurn[i].zText));
	}
	/* max_tokens is required by this API; Anthropic has no seed parameter. */
	pBody = json_pack("{s:s, s:i, s:o}", "model", pIn->zModel, "max_tokens", pIn->maxTokens,
	                  "messages", pMessages);
	if (pParams->zSystem) json_object_set_new(pBody, "system", json_string(pParams->zSystem));
	if (pIn->sendTemperature) json_object_set_new(pBody, "temperature", temperature_json(pParams->temperature));

	buf_printf(&url, "%s/v1/messages", pIn->pProv->zBaseUrl);
	spec_set_target(pOut, "POST", buf_str(&url));
	buf_free(&url);
	add_headers(pOut, pIn->zApiKey, 1);
	return pBody;
}

void anthropic_build_models(const ProviderConf *pProv, const char *zApiKey, HttpRequestSpec *pOut)
{
	Buf url = BUF_INIT;
	buf_printf(&url, "%s/v1/models", pProv->zBaseUrl);
	spec_set_target(pOut, "GET", buf_str(&url));
	buf_free(&url);
	add_headers(pOut, zApiKey, 0);
}

void anthropic_parse_success(json_t *pRoot, ProbeResult *pOut)
{
	json_t *pContent = json_object_get(pRoot, "content");
	json_t *pUsage = json_object_get(pRoot, "usage");
	Buf text = BUF_INIT;
	size_t i;

	pOut->zModelVersion = json_string_dup(pRoot, "model");
	pOut->zRequestId = json_string_dup(pRoot, "id");
	pOut->zFinishReason = json_string_dup(pRoot, "stop_reason");
	pOut->inputTokens = json_count(pUsage, "input_tokens");
	pOut->outputTokens = json_count(pUsage, "output_tokens");
	if (!json_is_array(pContent)) {
		result_fail(pOut, ERR_INVALID_RESPONSE, "response has no content array");
		return;
	}
	/* Concatenate the text blocks; thinking and tool blocks are not the answer. */
	for (i = 0; i < json_array_size(pContent); i++) {
		json_t *pBlock = json_array_get(pContent, i);
		const char *zType = json_string_value(json_object_get(pBlock, "type"));
		json_t *pText = json_object_get(pBlock, "text");
		if (zType && strcmp(zType, "text") == 0 && json_is_string(pText)) buf_puts(&text, json_string_value(pText));
	}
	if (text.n > 0) {
		pOut->zText = buf_detach(&text);
		return;
	}
	buf_free(&text);
	if (pOut->zFinishReason && strcmp(pOut->zFinishReason, "refusal") == 0) {
		result_fail(pOut, ERR_CONTENT_FILTERED, "the model refused (stop reason refusal)");
	} else {
		result_fail(pOut, ERR_INVALID_RESPONSE, "empty response text (stop reason %s)",
		            pOut->zFinishReason ? pOut->zFinishReason : "none");
	}
}

/* Error types and the class each one means, whatever the HTTP status. */
static const struct {
	const char *zType;
	ErrClass err;
} aErrorType[] = {
	{"rate_limit_error", ERR_RATE_LIMITED},
	{"overloaded_error", ERR_SERVER},
	{"api_error", ERR_SERVER},
	{"timeout_error", ERR_TIMEOUT},
	{"authentication_error", ERR_AUTH},
	{"permission_error", ERR_AUTH},
	{"not_found_error", ERR_NOT_FOUND},
	{"invalid_request_error", ERR_INVALID_REQUEST},
	{"request_too_large", ERR_INVALID_REQUEST},
	{"billing_error", ERR_QUOTA},
};

void anthropic_parse_error(json_t *pRoot, ProbeResult *pOut)
{
	json_t *pError = json_object_get(pRoot, "error");
	const char *zType = json_string_value(json_object_get(pError, "type"));
	size_t i;

	result_set_message(pOut, json_string_value(json_object_get(pError, "message")));
	for (i = 0; zType && i < ARRAY_SIZE(aErrorType); i++) {
		if (strcmp(zType, aErrorType[i].zType) == 0) pOut->err = aErrorType[i].err;
	}
	/* An empty prepaid balance comes back as a 400 invalid_request_error. */
	if (pOut->err == ERR_INVALID_REQUEST && pOut->zErrMessage &&
	    strstr(pOut->zErrMessage, "credit balance is too low"))
		pOut->err = ERR_QUOTA;
}

int anthropic_parse_models(json_t *pRoot, ProviderHealth *pOut)
{
	return health_read_ids(json_object_get(pRoot, "data"), "data", "id", NULL, pOut);
}
