/* mock_wire.h — the three provider wire formats as the mock server reads and writes them. */
#ifndef VR_MOCK_WIRE_H
#define VR_MOCK_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "mockllm/mock_answer.h"

typedef enum MockApi { MOCK_API_OPENAI, MOCK_API_ANTHROPIC, MOCK_API_GEMINI } MockApi;

/* A generation request, read from any API style. */
typedef struct MockRequest {
	char *zModel; /* owned */
	MockConversation conv;
	int hasTemperature;
	double temperature;
	int hasMaxTokens;
} MockRequest;

/* What went wrong while reading a request. */
typedef enum MockParseResult {
	MOCK_PARSE_OK,
	MOCK_PARSE_MALFORMED_JSON, /* the body is not JSON */
	MOCK_PARSE_INVALID         /* JSON, but a field is missing or has the wrong type */
} MockParseResult;

/*
 * Read a request body of the given API style. For Gemini the model comes
 * from the URL (zUrlModel); for the others from the body's "model". On
 * failure zErr holds a sentence naming the field (e.g. "messages: Field
 * required"). Anthropic's missing max_tokens is MOCK_PARSE_INVALID with the
 * message "max_tokens: Field required". Free *pOut with mock_request_free()
 * whatever the result.
 */
MockParseResult mock_request_parse(MockApi api, const char *zUrlModel, const char *zBody,
				   size_t nBody, MockRequest *pOut, char *zErr, size_t nErr);
void mock_request_free(MockRequest *p);

/* The kinds of error the mock answers, each mapped to a status and shape per provider. */
typedef enum MockErrorKind {
	MOCK_ERR_AUTH_MISSING,   /* no key: 401 (Gemini 403 PERMISSION_DENIED) */
	MOCK_ERR_AUTH_INVALID,   /* wrong key: 401 (Gemini 400 INVALID_ARGUMENT, API_KEY_INVALID) */
	MOCK_ERR_INVALID,        /* bad field or header: 400 */
	MOCK_ERR_MALFORMED_JSON, /* unparsable body: 400 */
	MOCK_ERR_TEMPERATURE,    /* temperature not supported by the model: 400 */
	MOCK_ERR_NOT_FOUND,      /* unknown model: 404 */
	MOCK_ERR_RATE_LIMIT,     /* 429 */
	MOCK_ERR_SERVER,         /* 500 */
	MOCK_ERR_OVERLOADED      /* 503 (Anthropic 529 overloaded_error) */
} MockErrorKind;

/*
 * Write the provider's error JSON for `kind` into pOut and return the HTTP
 * status. zDetail is the message where the kind needs one (the invalid field,
 * the model id for NOT_FOUND, the temperature as text for TEMPERATURE, the
 * Retry-After seconds as text for RATE_LIMIT); it may be NULL otherwise.
 */
int mock_error_body(MockApi api, MockErrorKind kind, const char *zDetail, Buf *pOut);

/* How a 200 answer looks. */
typedef enum MockOutcome {
	MOCK_OUTCOME_ANSWER, /* the generated text */
	MOCK_OUTCOME_EMPTY,  /* empty content */
	MOCK_OUTCOME_FILTER  /* content filter / refusal with no text */
} MockOutcome;

/*
 * Write the success JSON of the API style into pOut (appending): the requested
 * model id echoed as "model"/"modelVersion", zId as "id"/"responseId",
 * `created` (epoch seconds) where OpenAI has it, usage from pAnswer. If the
 * text, model or id is not UTF-8 the body is instead a short
 * {"error":{"message":...}} saying the mock could not encode its response.
 */
void mock_success_body(MockApi api, const char *zModel, const char *zId, int64_t created,
		       MockOutcome outcome, const MockAnswer *pAnswer, Buf *pOut);

/* Write the models list in the API style's shape into pOut. */
void mock_models_body(MockApi api, const MockModelSet *pModels, Buf *pOut);

#endif
