/* adapter.h — internal interface between provider.c and the per-API adapters (openai, anthropic, gemini). */
#ifndef VR_ADAPTER_H
#define VR_ADAPTER_H

#include <jansson.h>

#include "providers/provider.h"

/* The seed sent with temperature 0, where the API has one. */
#define PROBE_SEED 42
#define ANTHROPIC_VERSION "2023-06-01"

/* Everything an adapter needs to build a chat request, already validated by provider.c. */
typedef struct BuildInput {
	const ProviderConf *pProv;
	const ModelConf *pModel;
	const char *zApiKey;  /* NULL when no key is sent */
	const ProbeParams *pParams;
	const char *zModel;   /* version sent as the model */
	int maxTokens;
	int sendTemperature;  /* put pParams->temperature in the body */
	int sendSeed;         /* put PROBE_SEED in the body (model's seed_param) */
} BuildInput;

/*
 * Per-API functions. *_build fills the URL, method and headers of pOut and
 * returns the body (new reference; provider.c merges overrides and dumps it).
 * *_parse_success reads a 2xx JSON object into pOut (text, tokens, finish
 * reason, version, id) or sets pOut->err and pOut->zErrMessage.
 * *_parse_error refines pOut->err (preset from the HTTP status) and sets
 * pOut->zErrMessage from an error body; pRoot may be NULL (not JSON).
 * *_parse_models fills the model ids of a 2xx models list; -1 with
 * pOut->zErrMessage set when the shape is wrong.
 */
json_t *openai_build(const BuildInput *pIn, HttpRequestSpec *pOut);
void openai_build_models(const ProviderConf *pProv, const char *zApiKey, HttpRequestSpec *pOut);
void openai_parse_success(json_t *pRoot, ProbeResult *pOut);
void openai_parse_error(json_t *pRoot, ProbeResult *pOut);
int openai_parse_models(json_t *pRoot, ProviderHealth *pOut);

json_t *anthropic_build(const BuildInput *pIn, HttpRequestSpec *pOut);
void anthropic_build_models(const ProviderConf *pProv, const char *zApiKey, HttpRequestSpec *pOut);
void anthropic_parse_success(json_t *pRoot, ProbeResult *pOut);
void anthropic_parse_error(json_t *pRoot, ProbeResult *pOut);
int anthropic_parse_models(json_t *pRoot, ProviderHealth *pOut);

json_t *gemini_build(const BuildInput *pIn, HttpRequestSpec *pOut);
void gemini_build_models(const ProviderConf *pProv, const char *zApiKey, HttpRequestSpec *pOut);
void gemini_parse_success(json_t *pRoot, ProbeResult *pOut);
void gemini_parse_error(json_t *pRoot, ProbeResult *pOut);
int gemini_parse_models(json_t *pRoot, ProviderHealth *pOut);

/* Shared helpers (adapter_util.c). */

/* Append a printf-formatted header line to pSpec. */
void spec_add_header(HttpRequestSpec *pSpec, const char *zFmt, ...) __attribute__((format(printf, 2, 3)));
/* Set URL (copied) and method of pSpec. */
void spec_set_target(HttpRequestSpec *pSpec, const char *zMethod, const char *zUrl);
/* The temperature as JSON: an integer when whole (0 -> 0, not 0.0), else a real. New reference. */
json_t *temperature_json(double t);
/* Copy of pObj[zKey] when it is a string, else NULL. Caller frees. */
char *json_string_dup(json_t *pObj, const char *zKey);
/* pObj[zKey] when it is an integer >= 0, else 0. */
int64_t json_count(json_t *pObj, const char *zKey);
/* Set pOut->err and a copy of the formatted message (replacing any earlier one). */
void result_fail(ProbeResult *pOut, ErrClass e, const char *zFmt, ...) __attribute__((format(printf, 3, 4)));
/* Replace pOut->zErrMessage with a copy of z (when z is non-empty). */
void result_set_message(ProbeResult *pOut, const char *z);
/* Merge pSrc into pDst: objects merge recursively, null deletes, anything else replaces. */
void json_merge_overrides(json_t *pDst, json_t *pSrc);
/* The HTTP status's default class: 429 rate_limited, 5xx server_error, 401/403 auth, ... */
ErrClass status_error_class(int httpStatus);
/*
 * Read the model ids of a models list: pArr must be an array of objects
 * whose zKey is a string; zStrip is removed from the front of each id when
 * present (Gemini's "models/"). Returns 0, or -1 with pOut->zErrMessage set.
 */
int health_read_ids(json_t *pArr, const char *zArrayName, const char *zKey, const char *zStrip,
                    ProviderHealth *pOut);
/* 1 if z mentions "temperature" (any case). */
int mentions_temperature(const char *z);

#endif
