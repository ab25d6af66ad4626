/* openai.c — OpenAI-style chat completions (OpenAI, xAI, DeepSeek, Mistral, local servers). */
#include "providers/adapter.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"

/* Authorization and content-type headers. */
static void add_auth_headers(HttpRequestSpec *pOut, const char *zApiKey, int bJsonBody)
{
	if (zApiKey) spec_add_header(pOut, "Authorization: Bearer %s", zApiKey);
	if (bJsonBody) spec_add_header(pOut, "Content-Type: application/json");
}

json_t *openai_build(const BuildInput *pIn, HttpRequestSpec *pOut)
{
	const ProbeParams *pParams = pIn->pParams;
	json_t *pMessages = json_array();
	json_t *pBody;
	Buf url = BUF_INIT;
	int i;

	if (pParams->zSystem) {
		json_array_append_new(pMessages, json_pack("{s:s, s:s}", "role", "system", "content", pParams->zSystem));
	}
	for (i = 0; i < pParams->nTurn; i++) {
		json_array_append_new(pMessages, json_pack("{s:s, s:s}", "role", pParams->aTurn[i].zRole,
		                                            "content", pParams->aTurn[i].zText));
	}
	pBody = json_pack("{s:s, s:o}", "model", pIn->zModel, "messages", pMessages);
	json_object_set_new(pBody,
	                    pIn->pModel->eTokenParam == TOKEN_PARAM_MAX_COMPLETION_TOKENS ? "max_completion_tokens"
	                                                                                : "max_tokens",
	                    json_integer(pIn->maxTokens));
	if (pIn->sendTemperature) json_object_set_new(pBody, "temperature", temperature_json(pParams->temperature));
	if (pIn->sendSeed) {
		json_object_set_new(pBody, pIn->pModel->eSeedParam == SEED_PARAM_RANDOM_SEED ? "random_seed" : "seed",
		                    json_integer(PROBE_SEED));
	}

	buf_printf(&url, "%s/chat/completions", pIn->pProv->zBaseUrl);
	spec_set_target(pOut, "POST", buf_str(&url));
	buf_free(&url);
	add_auth_headers(pOut, pIn->zApiKey, 1);
	return pBody;
}

void openai_build_models(const ProviderConf *pProv, const char *zApiKey, HttpRequestSpec *pOut)
{
	Buf url = BUF_INIT;
	buf_printf(&url, "%s/models", pProv->zBaseUrl);
	spec_set_target(pOut, "GET", buf_str(&url));
	buf_free(&url);
	add_auth_headers(pOut, zApiKey, 0);
}

/* message.content as text: a string, or the text parts of an array (some servers); NULL if neither. */
static char *message_text(json_t *pContent)
{
	Buf b = BUF_INIT;
	size_t i;
	if (json_is_string(pContent)) return xstrdup(json_string_value(pContent));
	if (!json_is_array(pContent)) return NULL;
	for (i = 0; i < json_array_size(pContent); i++) {
		json_t *pPart = json_array_get(pContent, i);
		const char *zType = json_string_value(json_object_get(pPart, "type"));
		json_t *pText = json_object_get(pPart, "text");
		if (zType && strcmp(zType, "text") == 0 && json_is_string(pText)) buf_puts(&b, json_string_value(pText));
	}
	return b.z ? buf_detach(&b) : xstrdup("");
}

void openai_parse_success(json_t *pRoot, ProbeResult *pOut)
{
	json_t *pChoices = json_object_get(pRoot, "choices");
	json_t *pUsage = json_object_get(pRoot, "usage");
	json_t *pChoice, *pMessage;
	const char *zRefusal;

	pOut->zModelVersion = json_string_dup(pRoot, "model");
	pOut->zRequestId = json_string_dup(pRoot, "id");
	pOut->inputTokens = json_count(pUsage, "prompt_tokens");
	pOut->outputTokens = json_count(pUsage, "completion_tokens");
	if (!json_is_array(pChoices) || json_array_size(pChoices) == 0) {
		/* Some compatible gateways answer 200 with an error object. */
		const char *zMsg = json_string_value(json_object_get(json_object_get(pRoot, "error"), "message"));
		if (zMsg) result_fail(pOut, ERR_INVALID_RESPONSE, "response has no choices: %s", zMsg);
		else result_fail(pOut, ERR_INVALID_RESPONSE, "response has no choices");
		return;
	}
	pChoice = json_array_get(pChoices, 0);
	pMessage = json_object_get(pChoice, "message");
	pOut->zFinishReason = json_string_dup(pChoice, "finish_reason");
	if (!json_is_object(pMessage)) {
		result_fail(pOut, ERR_INVALID_RESPONSE, "choices[0] has no message");
		return;
	}
	pOut->zText = message_text(json_object_get(pMessage, "content"));
	if (pOut->zText && pOut->zText[0]) return;

	zRefusal = json_string_value(json_object_get(pMessage, "refusal"));
	if (zRefusal && zRefusal[0]) {
		result_fail(pOut, ERR_CONTENT_FILTERED, "refused: %s", zRefusal);
	} else if (pOut->zFinishReason && strcmp(pOut->zFinishReason, "content_filter") == 0) {
		result_fail(pOut, ERR_CONTENT_FILTERED, "output blocked by the provider's content filter");
	} else {
		result_fail(pOut, ERR_INVALID_RESPONSE, "empty response text (finish reason %s)",
		            pOut->zFinishReason ? pOut->zFinishReason : "none");
	}
}

/* 1 if field zKey of pObj is the string zValue. */
static int field_is(json_t *pObj, const char *zKey, const char *zValue)
{
	const char *z = json_string_value(json_object_get(pObj, zKey));
	return z && strcmp(z, zValue) == 0;
}

void openai_parse_error(json_t *pRoot, ProbeResult *pOut)
{
	json_t *pError = json_object_get(pRoot, "error");
	json_t *pMessage;

	if (json_is_string(pError)) {
		/* Ollama and llama.cpp: {"error": "model not found"}. */
		result_set_message(pOut, json_string_value(pError));
		return;
	}
	if (!json_is_object(pError)) pError = pRoot; /* Mistral: {"object": "error", "message": ...} */
	pMessage = json_object_get(pError, "message");
	if (json_is_string(pMessage)) {
		result_set_message(pOut, json_string_value(pMessage));
	} else if (pMessage && !json_is_null(pMessage)) {
		/* Mistral's 422 validation errors put a structure here. */
		char *z = json_dumps(pMessage, JSON_COMPACT | JSON_SORT_KEYS);
		result_set_message(pOut, z);
		free(z);
	}
	if (pOut->err == ERR_RATE_LIMITED &&
	    (field_is(pError, "code", "insufficient_quota") || field_is(pError, "type", "insufficient_quota"))) {
		/* A billing problem, not a rate limit: retrying cannot help. */
		pOut->err = ERR_QUOTA;
	}
	if (field_is(pError, "param", "temperature") && pOut->err == ERR_INVALID_REQUEST) pOut->temperatureRejected = 1;
}

int openai_parse_models(json_t *pRoot, ProviderHealth *pOut)
{
	return health_read_ids(json_object_get(pRoot, "data"), "data", "id", NULL, pOut);
}
