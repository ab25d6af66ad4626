/* provider.c — the common adapter entry points: validate, dispatch by API style, classify errors. */
#include "providers/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "providers/adapter.h"

/* Longest provider body excerpt quoted in an error message. */
#define BODY_EXCERPT_MAX 200

static const char *const azErrName[] = {
	"none", "rate_limited", "timeout", "network", "server_error", "auth", "invalid_request",
	"not_found", "missing_key", "invalid_response", "content_filtered", "quota_exceeded",
};

const char *err_class_name(ErrClass e)
{
	if ((int)e < 0 || (size_t)e >= ARRAY_SIZE(azErrName)) return "unknown";
	return azErrName[e];
}

int err_class_from_name(const char *zName)
{
	size_t i;
	for (i = 0; zName && i < ARRAY_SIZE(azErrName); i++) {
		if (strcmp(azErrName[i], zName) == 0) return (int)i;
	}
	return -1;
}

int err_class_retryable(ErrClass e)
{
	return e == ERR_RATE_LIMITED || e == ERR_TIMEOUT || e == ERR_NETWORK || e == ERR_SERVER;
}

void http_request_spec_free(HttpRequestSpec *pSpec)
{
	int i;
	if (!pSpec) return;
	free(pSpec->zUrl);
	free(pSpec->zMethod);
	for (i = 0; i < pSpec->nHeader; i++) free(pSpec->azHeader[i]);
	free(pSpec->azHeader);
	free(pSpec->zBody);
	memset(pSpec, 0, sizeof *pSpec);
}

void probe_result_free(ProbeResult *pRes)
{
	if (!pRes) return;
	free(pRes->zErrMessage);
	free(pRes->zText);
	free(pRes->zFinishReason);
	free(pRes->zModelVersion);
	free(pRes->zRequestId);
	memset(pRes, 0, sizeof *pRes);
}

void provider_health_free(ProviderHealth *pHealth)
{
	int i;
	if (!pHealth) return;
	free(pHealth->zErrMessage);
	for (i = 0; i < pHealth->nModel; i++) free(pHealth->azModelId[i]);
	free(pHealth->azModelId);
	memset(pHealth, 0, sizeof *pHealth);
}

/* 1 if z is valid UTF-8 (what jansson requires of every string). */
static int utf8_valid(const char *z)
{
	json_t *p = json_string(z);
	if (!p) return 0;
	json_decref(p);
	return 1;
}

/* Check the conversation: at least one turn, known roles, valid text, ending on a user turn. */
static int check_turns(const ProbeParams *pParams, char *zErr, size_t nErr)
{
	int i;
	if (pParams->nTurn < 1 || !pParams->aTurn) {
		snprintf(zErr, nErr, "a probe needs at least one user turn");
		return -1;
	}
	for (i = 0; i < pParams->nTurn; i++) {
		const ProbeTurn *pTurn = &pParams->aTurn[i];
		if (!pTurn->zRole || (strcmp(pTurn->zRole, "user") != 0 && strcmp(pTurn->zRole, "assistant") != 0)) {
			snprintf(zErr, nErr, "turn %d: role must be \"user\" or \"assistant\"", i + 1);
			return -1;
		}
		if (!pTurn->zText || !utf8_valid(pTurn->zText)) {
			snprintf(zErr, nErr, "turn %d: text is missing or not valid UTF-8", i + 1);
			return -1;
		}
	}
	if (strcmp(pParams->aTurn[pParams->nTurn - 1].zRole, "user") != 0) {
		snprintf(zErr, nErr, "the last turn must be a user turn");
		return -1;
	}
	if (pParams->zSystem && !utf8_valid(pParams->zSystem)) {
		snprintf(zErr, nErr, "the system prompt is not valid UTF-8");
		return -1;
	}
	return 0;
}

/* Key to send, or NULL; fails when the provider needs one and it is absent. */
static int pick_key(const ProviderConf *pProv, const char *zApiKey, const char **pzKey)
{
	*pzKey = zApiKey && zApiKey[0] ? zApiKey : NULL;
	return models_provider_needs_key(pProv) && !*pzKey ? -1 : 0;
}

int provider_build_request(const ProviderConf *pProv, const ModelConf *pModel, const char *zApiKey,
                           const ProbeParams *pParams, HttpRequestSpec *pOut, char *zErr, size_t nErr)
{
	BuildInput in;
	json_t *pBody = NULL;
	int rc = ERR_INVALID_REQUEST;

	memset(pOut, 0, sizeof *pOut);
	memset(&in, 0, sizeof in);
	in.pProv = pProv;
	in.pModel = pModel;
	in.pParams = pParams;
	if (pick_key(pProv, zApiKey, &in.zApiKey)) {
		snprintf(zErr, nErr, "no API key for provider \"%s\": set %s", pProv->zId, pProv->zKeyEnv);
		return ERR_MISSING_KEY;
	}
	if (check_turns(pParams, zErr, nErr)) return ERR_INVALID_REQUEST;
	in.zModel = pParams->zModelVersion && pParams->zModelVersion[0] ? pParams->zModelVersion
	                                                                 : pModel->zDefaultVersion;
	if (!utf8_valid(in.zModel)) {
		snprintf(zErr, nErr, "the model version is not valid UTF-8");
		return ERR_INVALID_REQUEST;
	}
	in.maxTokens = pParams->maxTokens > 0 ? pParams->maxTokens : pModel->maxTokens;
	if (pParams->hasTemperature && !(pParams->temperature >= 0 && pParams->temperature <= 2)) {
		snprintf(zErr, nErr, "temperature must be between 0 and 2");
		return ERR_INVALID_REQUEST;
	}
	in.sendTemperature = pParams->hasTemperature && pParams->sendTemperature && pModel->supportsTemperature;
	in.sendSeed = in.sendTemperature && pParams->temperature == 0 && pModel->eSeedParam != SEED_PARAM_NONE;

	switch (pProv->eStyle) {
	case API_OPENAI: pBody = openai_build(&in, pOut); break;
	case API_ANTHROPIC: pBody = anthropic_build(&in, pOut); break;
	case API_GEMINI: pBody = gemini_build(&in, pOut); break;
	}
	if (!pBody) {
		snprintf(zErr, nErr, "could not build the request body");
		goto out;
	}
	if (pModel->pOverrides) json_merge_overrides(pBody, pModel->pOverrides);
	/* Sorted, compact keys and a fixed real precision make the body byte-stable. */
	pOut->zBody = json_dumps(pBody, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	if (!pOut->zBody) {
		snprintf(zErr, nErr, "could not serialise the request body");
		goto out;
	}
	rc = ERR_NONE;
out:
	if (pBody) json_decref(pBody);
	if (rc != ERR_NONE) http_request_spec_free(pOut);
	return rc;
}

int provider_build_models_request(const ProviderConf *pProv, const char *zApiKey, HttpRequestSpec *pOut)
{
	const char *zKey;
	memset(pOut, 0, sizeof *pOut);
	if (pick_key(pProv, zApiKey, &zKey)) return ERR_MISSING_KEY;
	switch (pProv->eStyle) {
	case API_OPENAI: openai_build_models(pProv, zKey, pOut); break;
	case API_ANTHROPIC: anthropic_build_models(pProv, zKey, pOut); break;
	case API_GEMINI: gemini_build_models(pProv, zKey, pOut); break;
	}
	return ERR_NONE;
}

/* "HTTP 502: <start of body>" for an error body that says nothing we can read. */
static void describe_unreadable_error(int httpStatus, const char *zBody, size_t nBody, ProbeResult *pOut)
{
	Buf b = BUF_INIT;
	size_t i;
	buf_printf(&b, "HTTP %d", httpStatus);
	if (nBody == 0 || !zBody) {
		buf_puts(&b, " with an empty body");
	} else {
		/* One line: runs of spaces and control characters become one space. */
		int bSpace = 1;
		buf_puts(&b, ":");
		for (i = 0; i < nBody && i < BODY_EXCERPT_MAX; i++) {
			unsigned char c = (unsigned char)zBody[i];
			if (c <= ' ' || c == 0x7f) {
				bSpace = 1;
				continue;
			}
			if (bSpace) buf_putc(&b, ' ');
			bSpace = 0;
			buf_putc(&b, (char)c);
		}
		if (nBody > BODY_EXCERPT_MAX) buf_puts(&b, " ...");
	}
	free(pOut->zErrMessage);
	pOut->zErrMessage = buf_detach(&b);
}

/* Parse the body as JSON; NULL (and a message in zWhy) if it is not. */
static json_t *parse_body(const char *zBody, size_t nBody, char *zWhy, size_t nWhy)
{
	json_error_t jerr;
	json_t *pRoot;
	if (!zBody || nBody == 0) {
		snprintf(zWhy, nWhy, "empty body");
		return NULL;
	}
	pRoot = json_loadb(zBody, nBody, 0, &jerr);
	if (!pRoot) snprintf(zWhy, nWhy, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
	return pRoot;
}

/* Fill pOut for an error status: class from the status, refined by the adapter. */
static void parse_error_response(const ProviderConf *pProv, int httpStatus, const char *zHeaders,
                                 json_t *pRoot, const char *zBody, size_t nBody, int64_t nowMs,
                                 ProbeResult *pOut)
{
	pOut->err = status_error_class(httpStatus);
	if (pOut->err == ERR_INVALID_RESPONSE) {
		result_fail(pOut, ERR_INVALID_RESPONSE, "unexpected HTTP status %d", httpStatus);
		return;
	}
	if (json_is_object(pRoot)) {
		switch (pProv->eStyle) {
		case API_OPENAI: openai_parse_error(pRoot, pOut); break;
		case API_ANTHROPIC: anthropic_parse_error(pRoot, pOut); break;
		case API_GEMINI: gemini_parse_error(pRoot, pOut); break;
		}
	}
	if (!pOut->zErrMessage) describe_unreadable_error(httpStatus, zBody, nBody, pOut);
	if (pOut->err == ERR_INVALID_REQUEST && mentions_temperature(pOut->zErrMessage))
		pOut->temperatureRejected = 1;
	{
		/* Wait at least as long as any hint says (Gemini's is in the body). */
		int64_t ms = http_retry_after_ms(zHeaders, nowMs);
		if (ms > pOut->retryAfterMs) pOut->retryAfterMs = ms;
	}
}

/* Parse a response of either kind into pOut; the common tail of the two entry points. */
static int parse_response(ApiStyle eStyle, const ProviderConf *pProv, int httpStatus, const char *zHeaders,
                          const char *zBody, size_t nBody, int64_t nowMs, ProbeResult *pOut)
{
	char zWhy[200];
	json_t *pRoot;

	memset(pOut, 0, sizeof *pOut);
	pOut->httpStatus = httpStatus;
	if (httpStatus <= 0) {
		result_fail(pOut, ERR_NETWORK, "no HTTP response");
		return -1;
	}
	pRoot = parse_body(zBody, nBody, zWhy, sizeof zWhy);
	if (httpStatus < 200 || httpStatus > 299) {
		parse_error_response(pProv, httpStatus, zHeaders, pRoot, zBody, nBody, nowMs, pOut);
	} else if (!pRoot) {
		result_fail(pOut, ERR_INVALID_RESPONSE, "response is not JSON (%s)", zWhy);
	} else if (!json_is_object(pRoot)) {
		result_fail(pOut, ERR_INVALID_RESPONSE, "response is not a JSON object");
	} else {
		switch (eStyle) {
		case API_OPENAI: openai_parse_success(pRoot, pOut); break;
		case API_ANTHROPIC: anthropic_parse_success(pRoot, pOut); break;
		case API_GEMINI: gemini_parse_success(pRoot, pOut); break;
		}
	}
	if (!pOut->zRequestId) pOut->zRequestId = http_header_get(zHeaders, "x-request-id");
	if (!pOut->zRequestId) pOut->zRequestId = http_header_get(zHeaders, "request-id");
	if (pOut->err != ERR_NONE) {
		/* An error result carries no text: the caller must not mistake it for an answer. */
		free(pOut->zText);
		pOut->zText = NULL;
	}
	if (pRoot) json_decref(pRoot);
	return pOut->err == ERR_NONE ? 0 : -1;
}

int provider_parse_response(const ProviderConf *pProv, int httpStatus, const char *zHeaders,
                            const char *zBody, size_t nBody, int64_t nowMs, ProbeResult *pOut)
{
	return parse_response(pProv->eStyle, pProv, httpStatus, zHeaders, zBody, nBody, nowMs, pOut);
}

int provider_parse_success(ApiStyle eStyle, int httpStatus, const char *zHeaders, const char *zBody,
                           size_t nBody, ProbeResult *pOut)
{
	if (httpStatus < 200 || httpStatus > 299) {
		memset(pOut, 0, sizeof *pOut);
		pOut->httpStatus = httpStatus;
		result_fail(pOut, ERR_INVALID_RESPONSE, "HTTP status %d is not a success", httpStatus);
		return -1;
	}
	return parse_response(eStyle, NULL, httpStatus, zHeaders, zBody, nBody, 0, pOut);
}

int provider_parse_models_response(const ProviderConf *pProv, int httpStatus, const char *zHeaders,
                                   const char *zBody, size_t nBody, ProviderHealth *pOut)
{
	char zWhy[200];
	json_t *pRoot;
	int rc = -1;

	memset(pOut, 0, sizeof *pOut);
	if (httpStatus < 200 || httpStatus > 299) {
		/* Reuse the chat error parser: the error bodies are the same. */
		ProbeResult res;
		provider_parse_response(pProv, httpStatus, zHeaders, zBody, nBody, 0, &res);
		pOut->err = res.err;
		pOut->zErrMessage = res.zErrMessage;
		res.zErrMessage = NULL;
		probe_result_free(&res);
		return -1;
	}
	pRoot = parse_body(zBody, nBody, zWhy, sizeof zWhy);
	if (!json_is_object(pRoot)) {
		Buf b = BUF_INIT;
		buf_printf(&b, "models list is not a JSON object%s%s%s", pRoot ? "" : " (", pRoot ? "" : zWhy,
		           pRoot ? "" : ")");
		pOut->err = ERR_INVALID_RESPONSE;
		pOut->zErrMessage = buf_detach(&b);
		goto out;
	}
	switch (pProv->eStyle) {
	case API_OPENAI: rc = openai_parse_models(pRoot, pOut); break;
	case API_ANTHROPIC: rc = anthropic_parse_models(pRoot, pOut); break;
	case API_GEMINI: rc = gemini_parse_models(pRoot, pOut); break;
	}
	if (rc == 0) {
		pOut->connected = 1;
		pOut->err = ERR_NONE;
	} else {
		pOut->err = ERR_INVALID_RESPONSE;
	}
out:
	if (pRoot) json_decref(pRoot);
	return rc;
}
