/* provider.h — pure provider adapters: build an HTTP request description, parse a response description. */
#ifndef VR_PROVIDER_H
#define VR_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "providers/models.h"

/*
 * The adapters never do I/O: the executor (src/exec) owns libcurl, sends the
 * HttpRequestSpec built here and hands the status, raw header block and body
 * back to provider_parse_response().
 */

/* Why a probe failed. Keep err_class_name() in step. */
typedef enum ErrClass {
	ERR_NONE = 0,
	ERR_RATE_LIMITED,     /* retryable */
	ERR_TIMEOUT,          /* retryable */
	ERR_NETWORK,          /* retryable */
	ERR_SERVER,           /* retryable: 500, 502, 503, 529 overloaded */
	ERR_AUTH,
	ERR_INVALID_REQUEST,
	ERR_NOT_FOUND,
	ERR_MISSING_KEY,
	ERR_INVALID_RESPONSE,
	ERR_CONTENT_FILTERED,
	/*
	 * A billing problem (OpenAI 429 insufficient_quota, HTTP 402, Anthropic
	 * billing_error). Not retryable: waiting does not add credit. Kept apart
	 * from rate_limited so the researcher sees why the run stopped.
	 */
	ERR_QUOTA
} ErrClass;

/* "rate_limited", "timeout", "network", "server_error", "auth", "invalid_request",
 * "not_found", "missing_key", "invalid_response", "content_filtered", "quota_exceeded";
 * "none" for ERR_NONE. Static strings. */
const char *err_class_name(ErrClass e);
/* The class whose name is zName; -1 if none. */
int err_class_from_name(const char *zName);
/* 1 for rate_limited, timeout, network, server_error; 0 otherwise. */
int err_class_retryable(ErrClass e);

/* One turn of the conversation so far. */
typedef struct ProbeTurn {
	const char *zRole; /* "user" | "assistant" */
	const char *zText;
} ProbeTurn;

/* What to send. Nothing here is owned by the adapter. */
typedef struct ProbeParams {
	const ProbeTurn *aTurn; /* history, oldest first; the last turn is a user turn */
	int nTurn;
	const char *zSystem;       /* system prompt or NULL */
	const char *zModelVersion; /* sent as the model; NULL = the model's default version */
	int maxTokens;             /* 0 = the model's max_tokens */
	int hasTemperature;        /* the run set a temperature */
	double temperature;        /* 0..2 */
	int sendTemperature;       /* 0 on the one retry after the provider rejected temperature */
} ProbeParams;

/* A request for the executor to send. Free with http_request_spec_free(). */
typedef struct HttpRequestSpec {
	char *zUrl;
	char *zMethod;     /* "POST" or "GET" */
	char **azHeader;   /* "Name: value" lines, curl_slist-ready */
	int nHeader;
	char *zBody;       /* NULL for GET; compact JSON with sorted keys (byte-stable) */
} HttpRequestSpec;

/* Free the members of a spec (not the struct itself) and zero it. */
void http_request_spec_free(HttpRequestSpec *pSpec);

/*
 * Build the chat request for one turn. zApiKey is the provider's key ("" or
 * NULL for a provider that needs none). The body is byte-stable for equal
 * inputs (the executor uses it as a response-cache key) and has
 * request_overrides merged in last (objects merge recursively; a null value
 * deletes the key). Temperature is sent only when hasTemperature,
 * sendTemperature and the model's supports_temperature all hold; a sent
 * temperature of 0 adds seed 42 where the API has a seed.
 * Returns ERR_NONE (0) and fills *pOut (caller frees with
 * http_request_spec_free), or ERR_MISSING_KEY / ERR_INVALID_REQUEST with a
 * sentence in zErr and *pOut zeroed.
 */
int provider_build_request(const ProviderConf *pProv, const ModelConf *pModel, const char *zApiKey,
                           const ProbeParams *pParams, HttpRequestSpec *pOut, char *zErr, size_t nErr);

/* Build the health-check request (GET the models list). Returns 0, or ERR_MISSING_KEY
 * when the provider needs a key and none is given. Caller frees *pOut. */
int provider_build_models_request(const ProviderConf *pProv, const char *zApiKey, HttpRequestSpec *pOut);

/* The outcome of one HTTP exchange. Free with probe_result_free(). */
typedef struct ProbeResult {
	ErrClass err;
	int httpStatus;
	char *zErrMessage;       /* the provider's own message, or ours; NULL on success */
	int temperatureRejected; /* the error says temperature is unsupported: retry once without it */
	char *zText;             /* response text (NULL on error) */
	int64_t inputTokens;
	int64_t outputTokens;    /* includes reasoning/thinking tokens (they are billed) */
	char *zFinishReason;     /* as the provider spells it, or NULL */
	char *zModelVersion;     /* the exact version that answered, or NULL */
	char *zRequestId;        /* response id, else x-request-id / request-id header, or NULL */
	int64_t retryAfterMs;    /* >0: wait at least this long before retrying (errors only) */
} ProbeResult;

/* Free the members of a result (not the struct itself) and zero it. */
void probe_result_free(ProbeResult *pRes);

/*
 * Classify and parse one response. httpStatus 0 means no HTTP response
 * (network error). zHeaders is the raw header block ("Name: value\r\n"
 * lines, status lines allowed, may be NULL); nowMs is the current epoch time
 * in ms, used for absolute reset times. Fills *pOut (caller frees with
 * probe_result_free) and returns 0 on success (pOut->err == ERR_NONE), -1
 * otherwise.
 */
int provider_parse_response(const ProviderConf *pProv, int httpStatus, const char *zHeaders,
                            const char *zBody, size_t nBody, int64_t nowMs, ProbeResult *pOut);

/*
 * The same for a response known to have a 2xx status, which needs only the
 * API style (the executor reads answers on its database thread, away from
 * the provider's configuration). Any other status is refused as invalid.
 */
int provider_parse_success(ApiStyle eStyle, int httpStatus, const char *zHeaders, const char *zBody,
                           size_t nBody, ProbeResult *pOut);

/* The outcome of a health check. Free with provider_health_free(). */
typedef struct ProviderHealth {
	int connected;        /* 1: the models list came back */
	ErrClass err;
	char *zErrMessage;    /* NULL when connected */
	char **azModelId;     /* model ids the provider lists (Gemini's "models/" prefix removed) */
	int nModel;
} ProviderHealth;

void provider_health_free(ProviderHealth *pHealth);

/* Parse the models-list response. Returns 0 when connected, -1 otherwise. Caller frees *pOut. */
int provider_parse_models_response(const ProviderConf *pProv, int httpStatus, const char *zHeaders,
                                   const char *zBody, size_t nBody, ProviderHealth *pOut);

/* Helpers exposed for the executor and tests. */

/*
 * The last value of header zName (case-insensitive) in a raw header block,
 * trimmed; when several responses are in the block (redirects, 100
 * Continue) only the last one counts. Returns a copy the caller frees, or NULL.
 */
char *http_header_get(const char *zHeaders, const char *zName);

/*
 * How long the provider asks us to wait, in ms, from the headers: retry-after-ms,
 * retry-after (seconds or an HTTP date), x-ratelimit-reset-requests ("1s",
 * "6m0s", "250ms"), anthropic-ratelimit-requests-reset (RFC 3339), first
 * match wins. 0 when none is present or the time has passed.
 */
int64_t http_retry_after_ms(const char *zHeaders, int64_t nowMs);

/* Parse a Go-style duration ("1s", "6m0s", "250ms", "1h2m3.5s"); -1 if malformed. */
int64_t parse_duration_ms(const char *z);

/* Parse an RFC 3339 time ("2026-01-01T00:00:30Z", fractions and offsets allowed) to epoch ms; -1 if malformed. */
int64_t parse_rfc3339_ms(const char *z);

#endif
