/* mock_wire.c — read OpenAI/Anthropic/Gemini requests and write their success, error and list JSON. */
#include "mockllm/mock_wire.h"

#include "lib/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The body sent when a response holds text that is not UTF-8 (see json_to_buf()). */
static const char zEncodeFailed[] =
	"{\"error\":{\"message\":\"the mock could not encode its response\"}}";

/*
 * Serialise pJson into pOut (appending) and release it. pJson is NULL only if
 * json_pack() met text that is not UTF-8; the callers sanitise what they pass,
 * so this is a last line of defence that keeps bad input from crashing us.
 */
static void json_to_buf(json_t *pJson, Buf *pOut)
{
	char *z = pJson ? json_dumps(pJson, JSON_COMPACT) : NULL;
	if (!z) {
		buf_puts(pOut, zEncodeFailed);
		json_decref(pJson);
		return;
	}
	buf_puts(pOut, z);
	free(z);
	json_decref(pJson);
}

/* Copy zIn into z (n bytes) replacing control and non-ASCII bytes by '?', so it is valid UTF-8. */
static void ascii_copy(char *z, size_t n, const char *zIn)
{
	size_t i = 0;
	for (; zIn && *zIn && i + 1 < n; zIn++)
		z[i++] = (*zIn >= 0x20 && *zIn < 0x7f) ? *zIn : '?';
	z[i] = 0;
}

/*
 * Collect the text of a message "content": a string, or an array of blocks
 * whose "text" members are concatenated (OpenAI parts, Anthropic blocks,
 * Gemini parts). JSON null counts as empty. Returns 0, or -1 when the value
 * has another type. The text is appended to pOut.
 */
static int content_text(json_t *pContent, Buf *pOut)
{
	size_t i;
	json_t *pBlock;
	if (!pContent || json_is_null(pContent))
		return 0;
	if (json_is_string(pContent)) {
		buf_append(pOut, json_string_value(pContent), json_string_length(pContent));
		return 0;
	}
	if (!json_is_array(pContent))
		return -1;
	json_array_foreach(pContent, i, pBlock) {
		json_t *pText = json_object_get(pBlock, "text");
		if (!json_is_object(pBlock))
			return -1;
		if (json_is_string(pText))
			buf_append(pOut, json_string_value(pText), json_string_length(pText));
	}
	return 0;
}

/* Read an optional numeric temperature; -1 when present with another type. */
static int read_temperature(json_t *pValue, MockRequest *pOut)
{
	if (!pValue || json_is_null(pValue))
		return 0;
	if (!json_is_number(pValue))
		return -1;
	pOut->hasTemperature = 1;
	pOut->temperature = json_number_value(pValue);
	return 0;
}

/* Read OpenAI chat messages into the conversation. */
static MockParseResult parse_openai(json_t *pRoot, MockRequest *pOut, char *zErr, size_t nErr)
{
	json_t *pMessages = json_object_get(pRoot, "messages"), *pMsg;
	size_t i;
	if (!json_is_array(pMessages) || json_array_size(pMessages) == 0) {
		snprintf(zErr, nErr, "'messages' must be a non-empty array of messages.");
		return MOCK_PARSE_INVALID;
	}
	json_array_foreach(pMessages, i, pMsg) {
		const char *zRole = json_string_value(json_object_get(pMsg, "role"));
		Buf text = BUF_INIT;
		if (!zRole || content_text(json_object_get(pMsg, "content"), &text) != 0) {
			buf_free(&text);
			snprintf(zErr, nErr, "Invalid value for 'messages[%zu]': each message needs a "
				 "string 'role' and a string or array 'content'.", i);
			return MOCK_PARSE_INVALID;
		}
		if (strcmp(zRole, "system") == 0 || strcmp(zRole, "developer") == 0) {
			mock_conv_add_system(&pOut->conv, buf_str(&text), text.n);
		} else if (strcmp(zRole, "user") == 0 || strcmp(zRole, "assistant") == 0) {
			mock_conv_add(&pOut->conv, zRole[0] == 'u' ? MOCK_ROLE_USER : MOCK_ROLE_ASSISTANT,
				      buf_str(&text), text.n);
		} else {
			buf_free(&text);
			snprintf(zErr, nErr, "Invalid value for 'messages[%zu].role': '%.40s' is not "
				 "one of 'system', 'developer', 'user', 'assistant'.", i, zRole);
			return MOCK_PARSE_INVALID;
		}
		buf_free(&text);
	}
	if (read_temperature(json_object_get(pRoot, "temperature"), pOut) != 0) {
		snprintf(zErr, nErr, "Invalid type for 'temperature': expected a decimal.");
		return MOCK_PARSE_INVALID;
	}
	pOut->hasMaxTokens = json_is_integer(json_object_get(pRoot, "max_tokens")) ||
			     json_is_integer(json_object_get(pRoot, "max_completion_tokens"));
	return MOCK_PARSE_OK;
}

/* Read an Anthropic Messages request into the conversation. */
static MockParseResult parse_anthropic(json_t *pRoot, MockRequest *pOut, char *zErr, size_t nErr)
{
	json_t *pMessages = json_object_get(pRoot, "messages"), *pMsg;
	json_t *pSystem = json_object_get(pRoot, "system");
	size_t i;
	if (!json_is_integer(json_object_get(pRoot, "max_tokens"))) {
		snprintf(zErr, nErr, "max_tokens: Field required");
		return MOCK_PARSE_INVALID;
	}
	pOut->hasMaxTokens = 1;
	if (!json_is_array(pMessages) || json_array_size(pMessages) == 0) {
		snprintf(zErr, nErr, "messages: Field required");
		return MOCK_PARSE_INVALID;
	}
	if (pSystem) {
		Buf text = BUF_INIT;
		if (content_text(pSystem, &text) != 0) {
			buf_free(&text);
			snprintf(zErr, nErr, "system: Input should be a valid string or list of blocks");
			return MOCK_PARSE_INVALID;
		}
		mock_conv_add_system(&pOut->conv, buf_str(&text), text.n);
		buf_free(&text);
	}
	json_array_foreach(pMessages, i, pMsg) {
		const char *zRole = json_string_value(json_object_get(pMsg, "role"));
		Buf text = BUF_INIT;
		if (!zRole || (strcmp(zRole, "user") != 0 && strcmp(zRole, "assistant") != 0)) {
			snprintf(zErr, nErr, "messages.%zu.role: Input should be 'user' or 'assistant'", i);
			return MOCK_PARSE_INVALID;
		}
		if (content_text(json_object_get(pMsg, "content"), &text) != 0) {
			buf_free(&text);
			snprintf(zErr, nErr, "messages.%zu.content: Input should be a valid string or "
				 "list of blocks", i);
			return MOCK_PARSE_INVALID;
		}
		mock_conv_add(&pOut->conv, zRole[0] == 'u' ? MOCK_ROLE_USER : MOCK_ROLE_ASSISTANT,
			      buf_str(&text), text.n);
		buf_free(&text);
	}
	if (read_temperature(json_object_get(pRoot, "temperature"), pOut) != 0) {
		snprintf(zErr, nErr, "temperature: Input should be a valid number");
		return MOCK_PARSE_INVALID;
	}
	return MOCK_PARSE_OK;
}

/* Read a Gemini generateContent request into the conversation. */
static MockParseResult parse_gemini(json_t *pRoot, MockRequest *pOut, char *zErr, size_t nErr)
{
	json_t *pContents = json_object_get(pRoot, "contents"), *pItem;
	json_t *pSystem = json_object_get(pRoot, "systemInstruction");
	json_t *pConfig = json_object_get(pRoot, "generationConfig");
	size_t i;
	if (!pSystem)
		pSystem = json_object_get(pRoot, "system_instruction");
	if (!pConfig)
		pConfig = json_object_get(pRoot, "generation_config");
	if (!json_is_array(pContents) || json_array_size(pContents) == 0) {
		snprintf(zErr, nErr, "* GenerateContentRequest.contents: contents is not specified");
		return MOCK_PARSE_INVALID;
	}
	if (pSystem) {
		Buf text = BUF_INIT;
		if (!json_is_object(pSystem) || content_text(json_object_get(pSystem, "parts"), &text) != 0) {
			buf_free(&text);
			snprintf(zErr, nErr, "Invalid value at 'system_instruction': expected an object "
				 "with 'parts'");
			return MOCK_PARSE_INVALID;
		}
		mock_conv_add_system(&pOut->conv, buf_str(&text), text.n);
		buf_free(&text);
	}
	json_array_foreach(pContents, i, pItem) {
		json_t *pRole = json_object_get(pItem, "role");
		const char *zRole = pRole ? json_string_value(pRole) : "user";
		Buf text = BUF_INIT;
		if (!zRole || (strcmp(zRole, "user") != 0 && strcmp(zRole, "model") != 0)) {
			snprintf(zErr, nErr, "Please use a valid role: user, model. (contents[%zu])", i);
			return MOCK_PARSE_INVALID;
		}
		if (!json_is_array(json_object_get(pItem, "parts")) ||
		    content_text(json_object_get(pItem, "parts"), &text) != 0) {
			buf_free(&text);
			snprintf(zErr, nErr, "* GenerateContentRequest.contents[%zu].parts: contents.parts "
				 "must not be empty.", i);
			return MOCK_PARSE_INVALID;
		}
		mock_conv_add(&pOut->conv, zRole[0] == 'u' ? MOCK_ROLE_USER : MOCK_ROLE_ASSISTANT,
			      buf_str(&text), text.n);
		buf_free(&text);
	}
	if (pConfig) {
		if (!json_is_object(pConfig) ||
		    read_temperature(json_object_get(pConfig, "temperature"), pOut) != 0) {
			snprintf(zErr, nErr, "Invalid value at 'generation_config.temperature': "
				 "expected a number");
			return MOCK_PARSE_INVALID;
		}
		pOut->hasMaxTokens = json_is_integer(json_object_get(pConfig, "maxOutputTokens"));
	}
	return MOCK_PARSE_OK;
}

MockParseResult mock_request_parse(MockApi api, const char *zUrlModel, const char *zBody,
				   size_t nBody, MockRequest *pOut, char *zErr, size_t nErr)
{
	json_error_t jerr;
	json_t *pRoot;
	MockParseResult rc;

	memset(pOut, 0, sizeof(*pOut));
	mock_conv_init(&pOut->conv);
	pRoot = json_loadb(zBody, nBody, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!pRoot) {
		snprintf(zErr, nErr, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
			 jerr.text);
		return MOCK_PARSE_MALFORMED_JSON;
	}
	if (!json_is_object(pRoot)) {
		snprintf(zErr, nErr, "the request body must be a JSON object");
		rc = MOCK_PARSE_INVALID;
		goto out;
	}
	if (api == MOCK_API_GEMINI) {
		pOut->zModel = xstrdup(zUrlModel ? zUrlModel : "");
	} else {
		const char *zModel = json_string_value(json_object_get(pRoot, "model"));
		if (!zModel) {
			snprintf(zErr, nErr, api == MOCK_API_OPENAI
				 ? "you must provide a model parameter" : "model: Field required");
			rc = MOCK_PARSE_INVALID;
			goto out;
		}
		pOut->zModel = xstrdup(zModel);
	}
	switch (api) {
	case MOCK_API_OPENAI: rc = parse_openai(pRoot, pOut, zErr, nErr); break;
	case MOCK_API_ANTHROPIC: rc = parse_anthropic(pRoot, pOut, zErr, nErr); break;
	default: rc = parse_gemini(pRoot, pOut, zErr, nErr); break;
	}
out:
	json_decref(pRoot);
	return rc;
}

void mock_request_free(MockRequest *p)
{
	free(p->zModel);
	mock_conv_free(&p->conv);
	memset(p, 0, sizeof(*p));
}

/* OpenAI's {"error": {"message", "type", "param", "code"}} shape. */
static void openai_error(const char *zMessage, const char *zType, const char *zParam,
			 const char *zCode, Buf *pOut)
{
	json_t *pErr = json_object();
	json_object_set_new(pErr, "message", json_string(zMessage));
	json_object_set_new(pErr, "type", json_string(zType));
	json_object_set_new(pErr, "param", zParam ? json_string(zParam) : json_null());
	json_object_set_new(pErr, "code", zCode ? json_string(zCode) : json_null());
	json_to_buf(json_pack("{s:o}", "error", pErr), pOut);
}

/* Anthropic's {"type": "error", "error": {"type", "message"}} shape. */
static void anthropic_error(const char *zType, const char *zMessage, Buf *pOut)
{
	json_to_buf(json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "type", zType,
			      "message", zMessage), pOut);
}

/* Google's {"error": {"code", "message", "status"[, "details"]}} shape; pDetails is stolen. */
static void gemini_error(int code, const char *zMessage, const char *zStatus, json_t *pDetails,
			 Buf *pOut)
{
	json_t *pErr = json_pack("{s:i, s:s, s:s}", "code", code, "message", zMessage, "status",
				 zStatus);
	if (pDetails)
		json_object_set_new(pErr, "details", pDetails);
	json_to_buf(json_pack("{s:o}", "error", pErr), pOut);
}

/* The message OpenAI gives a model that only accepts the default temperature. */
static void temperature_message(const char *zValue, char *z, size_t n)
{
	snprintf(z, n, "Unsupported value: 'temperature' does not support %s with this model. "
		 "Only the default (1) value is supported.", zValue ? zValue : "this value");
}

/* OpenAI's status and error JSON for each kind (see mock_error_body()). */
static int openai_error_body(MockErrorKind kind, const char *zDetail, Buf *pOut)
{
	char z[512];
	switch (kind) {
	case MOCK_ERR_AUTH_MISSING:
		openai_error("You didn't provide an API key. You need to provide your API key in an "
			     "Authorization header using Bearer auth (i.e. Authorization: Bearer "
			     "YOUR_KEY).", "invalid_request_error", NULL, NULL, pOut);
		return 401;
	case MOCK_ERR_AUTH_INVALID:
		openai_error("Incorrect API key provided. You can find your API key at "
			     "https://platform.openai.com/account/api-keys.",
			     "invalid_request_error", NULL, "invalid_api_key", pOut);
		return 401;
	case MOCK_ERR_INVALID:
		openai_error(zDetail ? zDetail : "Invalid request.", "invalid_request_error", NULL,
			     NULL, pOut);
		return 400;
	case MOCK_ERR_MALFORMED_JSON:
		openai_error("We could not parse the JSON body of your request. (HINT: This likely "
			     "means you aren't using your HTTP library correctly. The OpenAI API "
			     "expects a JSON payload, but what was sent was not valid JSON.)",
			     "invalid_request_error", NULL, NULL, pOut);
		return 400;
	case MOCK_ERR_TEMPERATURE:
		temperature_message(zDetail, z, sizeof(z));
		openai_error(z, "invalid_request_error", "temperature", "unsupported_value", pOut);
		return 400;
	case MOCK_ERR_NOT_FOUND:
		snprintf(z, sizeof(z), "The model `%.200s` does not exist or you do not have access "
			 "to it.", zDetail ? zDetail : "");
		openai_error(z, "invalid_request_error", NULL, "model_not_found", pOut);
		return 404;
	case MOCK_ERR_RATE_LIMIT:
		snprintf(z, sizeof(z), "Rate limit reached for requests. Please try again in %ss.",
			 zDetail ? zDetail : "1");
		openai_error(z, "requests", NULL, "rate_limit_exceeded", pOut);
		return 429;
	case MOCK_ERR_SERVER:
		openai_error("The server had an error while processing your request. Sorry about "
			     "that!", "server_error", NULL, NULL, pOut);
		return 500;
	case MOCK_ERR_OVERLOADED:
	default:
		openai_error("The engine is currently overloaded, please try again later.",
			     "server_error", NULL, NULL, pOut);
		return 503;
	}
}

/* Anthropic's status and error JSON for each kind; overloaded is 529. */
static int anthropic_error_body(MockErrorKind kind, const char *zDetail, Buf *pOut)
{
	char z[512];
	switch (kind) {
	case MOCK_ERR_AUTH_MISSING:
		anthropic_error("authentication_error", "x-api-key header is required", pOut);
		return 401;
	case MOCK_ERR_AUTH_INVALID:
		anthropic_error("authentication_error", "invalid x-api-key", pOut);
		return 401;
	case MOCK_ERR_INVALID:
		anthropic_error("invalid_request_error", zDetail ? zDetail : "Invalid request", pOut);
		return 400;
	case MOCK_ERR_MALFORMED_JSON:
		anthropic_error("invalid_request_error",
				"There was an issue with the formatting or content of your request: "
				"the body is not valid JSON.", pOut);
		return 400;
	case MOCK_ERR_TEMPERATURE:
		temperature_message(zDetail, z, sizeof(z));
		anthropic_error("invalid_request_error", z, pOut);
		return 400;
	case MOCK_ERR_NOT_FOUND:
		snprintf(z, sizeof(z), "model: %.200s", zDetail ? zDetail : "");
		anthropic_error("not_found_error", z, pOut);
		return 404;
	case MOCK_ERR_RATE_LIMIT:
		anthropic_error("rate_limit_error", "Number of requests has exceeded your rate limit. "
				"Please try again later.", pOut);
		return 429;
	case MOCK_ERR_SERVER:
		anthropic_error("api_error", "Internal server error", pOut);
		return 500;
	case MOCK_ERR_OVERLOADED:
	default:
		anthropic_error("overloaded_error", "Overloaded", pOut);
		return 529;
	}
}

/* Google's status and error JSON for each kind; a missing key is 403, a wrong one 400. */
static int gemini_error_body(MockErrorKind kind, const char *zDetail, Buf *pOut)
{
	char z[512];
	switch (kind) {
	case MOCK_ERR_AUTH_MISSING:
		gemini_error(403, "Method doesn't allow unregistered callers (callers without "
			     "established identity). Please use API Key or other form of API "
			     "consumer identity to call this API.", "PERMISSION_DENIED", NULL, pOut);
		return 403;
	case MOCK_ERR_AUTH_INVALID:
		gemini_error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT",
			     json_pack("[{s:s, s:s, s:s, s:{s:s}}]",
				       "@type", "type.googleapis.com/google.rpc.ErrorInfo",
				       "reason", "API_KEY_INVALID", "domain", "googleapis.com",
				       "metadata", "service", "generativelanguage.googleapis.com"),
			     pOut);
		return 400;
	case MOCK_ERR_INVALID:
		gemini_error(400, zDetail ? zDetail : "Invalid request.", "INVALID_ARGUMENT", NULL,
			     pOut);
		return 400;
	case MOCK_ERR_MALFORMED_JSON:
		snprintf(z, sizeof(z), "Invalid JSON payload received. %.300s",
			 zDetail ? zDetail : "");
		gemini_error(400, z, "INVALID_ARGUMENT", NULL, pOut);
		return 400;
	case MOCK_ERR_TEMPERATURE:
		temperature_message(zDetail, z, sizeof(z));
		gemini_error(400, z, "INVALID_ARGUMENT", NULL, pOut);
		return 400;
	case MOCK_ERR_NOT_FOUND:
		snprintf(z, sizeof(z), "models/%.200s is not found for API version v1beta, or is not "
			 "supported for generateContent. Call ListModels to see the list of "
			 "available models and their supported methods.", zDetail ? zDetail : "");
		gemini_error(404, z, "NOT_FOUND", NULL, pOut);
		return 404;
	case MOCK_ERR_RATE_LIMIT: {
		char zDelay[32];
		snprintf(zDelay, sizeof(zDelay), "%ss", zDetail ? zDetail : "1");
		gemini_error(429, "Resource has been exhausted (e.g. check quota).",
			     "RESOURCE_EXHAUSTED",
			     json_pack("[{s:s, s:s}]", "@type", "type.googleapis.com/google.rpc.RetryInfo",
				       "retryDelay", zDelay),
			     pOut);
		return 429;
	}
	case MOCK_ERR_SERVER:
		gemini_error(500, "An internal error has occurred. Please retry or report in "
			     "https://developers.generativeai.google/guide/troubleshooting",
			     "INTERNAL", NULL, pOut);
		return 500;
	case MOCK_ERR_OVERLOADED:
	default:
		gemini_error(503, "The model is overloaded. Please try again later.", "UNAVAILABLE",
			     NULL, pOut);
		return 503;
	}
}

int mock_error_body(MockApi api, MockErrorKind kind, const char *zDetail, Buf *pOut)
{
	char zSafe[400];
	ascii_copy(zSafe, sizeof(zSafe), zDetail);
	zDetail = zDetail ? zSafe : NULL;
	switch (api) {
	case MOCK_API_OPENAI: return openai_error_body(kind, zDetail, pOut);
	case MOCK_API_ANTHROPIC: return anthropic_error_body(kind, zDetail, pOut);
	default: return gemini_error_body(kind, zDetail, pOut);
	}
}

/*
 * The success bodies are the mock's hot path (one per generation request), so
 * they are written as text straight into the Buf: building them as jansson
 * objects and dumping them was about a fifth of the mock's CPU per request
 * under the executor benchmark. The output is byte for byte what
 * json_dumps(JSON_COMPACT) gave; tests/unit/test_mockllm.c checks it against
 * jansson. Error and list bodies are rare and stay on jansson.
 */

/* Append JSON syntax or a fixed ASCII value, unescaped: only for text spelled out in this file. */
static inline void wire_put_unescaped(Buf *pOut, const char *zLiteral)
{
	buf_append(pOut, zLiteral, strlen(zLiteral));
}

/* Append v in decimal, as jansson writes an integer ("%lld"). */
static void wire_put_int(Buf *pOut, int64_t v)
{
	char z[24], *p = z + sizeof(z);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	buf_append(pOut, p, (size_t)(z + sizeof(z) - p));
}


/* OpenAI's chat.completion object; a filtered answer has null content. Returns -1 on bad text. */
static int openai_success(const char *zModel, const char *zId, int64_t created, MockOutcome outcome,
			  const char *zText, int64_t nIn, int64_t nOut, Buf *pOut)
{
	int rc = 0;
	wire_put_unescaped(pOut, "{\"id\":");
	rc |= buf_json_string(pOut, zId);
	wire_put_unescaped(pOut, ",\"object\":\"chat.completion\",\"created\":");
	wire_put_int(pOut, created);
	wire_put_unescaped(pOut, ",\"model\":");
	rc |= buf_json_string(pOut, zModel);
	wire_put_unescaped(pOut, ",\"choices\":[{\"index\":0,"
				 "\"message\":{\"role\":\"assistant\",\"content\":");
	if (outcome == MOCK_OUTCOME_FILTER)
		wire_put_unescaped(pOut, "null");
	else
		rc |= buf_json_string(pOut, zText);
	wire_put_unescaped(pOut, ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":");
	wire_put_unescaped(pOut, outcome == MOCK_OUTCOME_FILTER ? "\"content_filter\"" : "\"stop\"");
	wire_put_unescaped(pOut, "}],\"usage\":{\"prompt_tokens\":");
	wire_put_int(pOut, nIn);
	wire_put_unescaped(pOut, ",\"completion_tokens\":");
	wire_put_int(pOut, nOut);
	wire_put_unescaped(pOut, ",\"total_tokens\":");
	wire_put_int(pOut, nIn + nOut);
	wire_put_unescaped(pOut, "},\"system_fingerprint\":\"fp_mockllm\"}");
	return rc;
}

/* Anthropic's message object; only an answer has a text block. Returns -1 on bad text. */
static int anthropic_success(const char *zModel, const char *zId, MockOutcome outcome,
			     const char *zText, int64_t nIn, int64_t nOut, Buf *pOut)
{
	int rc = 0;
	wire_put_unescaped(pOut, "{\"id\":");
	rc |= buf_json_string(pOut, zId);
	wire_put_unescaped(pOut, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
	rc |= buf_json_string(pOut, zModel);
	wire_put_unescaped(pOut, ",\"content\":[");
	if (outcome == MOCK_OUTCOME_ANSWER) {
		wire_put_unescaped(pOut, "{\"type\":\"text\",\"text\":");
		rc |= buf_json_string(pOut, zText);
		wire_put_unescaped(pOut, "}");
	}
	wire_put_unescaped(pOut, "],\"stop_reason\":");
	wire_put_unescaped(pOut, outcome == MOCK_OUTCOME_FILTER ? "\"refusal\"" : "\"end_turn\"");
	wire_put_unescaped(pOut, ",\"stop_sequence\":null,\"usage\":{\"input_tokens\":");
	wire_put_int(pOut, nIn);
	wire_put_unescaped(pOut, ",\"output_tokens\":");
	wire_put_int(pOut, nOut);
	wire_put_unescaped(pOut, "}}");
	return rc;
}

/* Gemini's GenerateContentResponse; a filtered prompt has promptFeedback and no candidate. */
static int gemini_success(const char *zModel, const char *zId, MockOutcome outcome,
			  const char *zText, int64_t nIn, int64_t nOut, Buf *pOut)
{
	int rc = 0;
	if (outcome == MOCK_OUTCOME_FILTER) {
		wire_put_unescaped(pOut, "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"},"
			       "\"usageMetadata\":{\"promptTokenCount\":");
		wire_put_int(pOut, nIn);
		wire_put_unescaped(pOut, ",\"totalTokenCount\":");
		wire_put_int(pOut, nIn);
	} else {
		wire_put_unescaped(pOut, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":");
		rc |= buf_json_string(pOut, zText);
		wire_put_unescaped(pOut, "}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],"
			       "\"usageMetadata\":{\"promptTokenCount\":");
		wire_put_int(pOut, nIn);
		wire_put_unescaped(pOut, ",\"candidatesTokenCount\":");
		wire_put_int(pOut, nOut);
		wire_put_unescaped(pOut, ",\"totalTokenCount\":");
		wire_put_int(pOut, nIn + nOut);
	}
	wire_put_unescaped(pOut, "},\"modelVersion\":");
	rc |= buf_json_string(pOut, zModel);
	wire_put_unescaped(pOut, ",\"responseId\":");
	rc |= buf_json_string(pOut, zId);
	wire_put_unescaped(pOut, "}");
	return rc;
}

void mock_success_body(MockApi api, const char *zModel, const char *zId, int64_t created,
		       MockOutcome outcome, const MockAnswer *pAnswer, Buf *pOut)
{
	int64_t nIn = pAnswer->inputTokens;
	int64_t nOut = outcome == MOCK_OUTCOME_ANSWER ? pAnswer->outputTokens : 0;
	const char *zText = outcome == MOCK_OUTCOME_ANSWER ? pAnswer->zText : "";
	size_t nStart = pOut->n;
	int rc;

	/* One allocation for the usual body: the strings unescaped plus the fixed keys. */
	buf_reserve(pOut, (zText ? strlen(zText) : 0) + (zModel ? strlen(zModel) : 0) +
			  (zId ? strlen(zId) : 0) + 320);
	if (api == MOCK_API_OPENAI)
		rc = openai_success(zModel, zId, created, outcome, zText, nIn, nOut, pOut);
	else if (api == MOCK_API_ANTHROPIC)
		rc = anthropic_success(zModel, zId, outcome, zText, nIn, nOut, pOut);
	else
		rc = gemini_success(zModel, zId, outcome, zText, nIn, nOut, pOut);
	if (rc != 0) {
		/* A string that is not UTF-8: drop what was written and say so, as json_to_buf() does. */
		pOut->n = nStart;
		pOut->z[nStart] = 0;
		buf_puts(pOut, zEncodeFailed);
	}
}

void mock_models_body(MockApi api, const MockModelSet *pModels, Buf *pOut)
{
	json_t *pList = json_array();
	size_t i;
	for (i = 0; i < pModels->n; i++) {
		const MockModel *m = &pModels->a[i];
		json_t *pItem;
		if (api == MOCK_API_OPENAI) {
			pItem = json_pack("{s:s, s:s, s:i, s:s}", "id", m->zId, "object", "model",
					  "created", 1735689600, "owned_by", "valuerank-mockllm");
		} else if (api == MOCK_API_ANTHROPIC) {
			pItem = json_pack("{s:s, s:s, s:s, s:s}", "type", "model", "id", m->zId,
					  "display_name", m->zDisplayName, "created_at",
					  "2025-01-01T00:00:00Z");
		} else {
			char zName[300];
			snprintf(zName, sizeof(zName), "models/%.280s", m->zId);
			pItem = json_pack("{s:s, s:s, s:s, s:i, s:i, s:[s, s]}", "name", zName,
					  "version", "001", "displayName", m->zDisplayName,
					  "inputTokenLimit", 1048576, "outputTokenLimit", 65536,
					  "supportedGenerationMethods", "generateContent", "countTokens");
		}
		json_array_append_new(pList, pItem);
	}
	if (api == MOCK_API_OPENAI) {
		json_to_buf(json_pack("{s:s, s:o}", "object", "list", "data", pList), pOut);
	} else if (api == MOCK_API_ANTHROPIC) {
		json_t *pRoot = json_pack("{s:o, s:b}", "data", pList, "has_more", 0);
		size_t n = pModels->n;
		json_object_set_new(pRoot, "first_id", n ? json_string(pModels->a[0].zId) : json_null());
		json_object_set_new(pRoot, "last_id", n ? json_string(pModels->a[n - 1].zId) : json_null());
		json_to_buf(pRoot, pOut);
	} else {
		json_to_buf(json_pack("{s:o}", "models", pList), pOut);
	}
}
