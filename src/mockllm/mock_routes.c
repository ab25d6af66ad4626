/* mock_routes.c — what valuerank-mockllm answers: provider auth, the three API styles, injected faults, control. */
#include "mockllm/mock_server_internal.h"

#include "lib/timeutil.h"
#include "lib/util.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Add a response header (silently dropped beyond MAX_REPLY_HEADERS, which no route reaches). */
void reply_header(Reply *r, const char *zName, const char *zFmt, ...)
{
	va_list ap;
	if (r->nHeader >= MAX_REPLY_HEADERS)
		return;
	str_copy(r->azName[r->nHeader], sizeof(r->azName[0]), zName);
	va_start(ap, zFmt);
	vsnprintf(r->azValue[r->nHeader], sizeof(r->azValue[0]), zFmt, ap);
	va_end(ap);
	r->nHeader++;
}

/* Set the reply to a provider error of the given kind. */
static void reply_error(Reply *r, MockApi api, MockErrorKind kind, const char *zDetail)
{
	buf_reset(&r->body);
	r->status = mock_error_body(api, kind, zDetail, &r->body);
}

/* Set the reply to a plain JSON body (control endpoints and unknown paths) that the caller built. */
static void reply_json(Reply *r, int status, const char *zJson)
{
	buf_reset(&r->body);
	buf_puts(&r->body, zJson);
	r->status = status;
}

/* A request header's value, or NULL. */
static const char *header(struct MHD_Connection *c, const char *zName)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, zName);
}

/*
 * Check the credentials the way the provider does. Returns 0 when the request
 * may go on; otherwise fills the reply with the provider's error and returns -1.
 */
static int check_auth(MockServer *p, struct MHD_Connection *c, MockApi api, Reply *r)
{
	const char *zKey = NULL;
	if (api == MOCK_API_OPENAI) {
		const char *zAuth = header(c, "Authorization");
		if (zAuth && strncasecmp(zAuth, "Bearer ", 7) == 0)
			zKey = zAuth + 7;
		else if (zAuth)
			zKey = ""; /* present but not Bearer: OpenAI treats it as a wrong key */
	} else if (api == MOCK_API_ANTHROPIC) {
		zKey = header(c, "x-api-key");
	} else {
		zKey = header(c, "x-goog-api-key");
		if (!zKey)
			zKey = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "key");
	}
	if (!zKey) {
		reply_error(r, api, MOCK_ERR_AUTH_MISSING, NULL);
		return -1;
	}
	if (strcmp(zKey, p->zApiKey) != 0) {
		reply_error(r, api, MOCK_ERR_AUTH_INVALID, NULL);
		return -1;
	}
	if (api == MOCK_API_ANTHROPIC && !header(c, "anthropic-version")) {
		reply_error(r, api, MOCK_ERR_INVALID, "anthropic-version: header is required");
		return -1;
	}
	return 0;
}

/*
 * Add the provider's request-id header and put a fresh response id
 * ("chatcmpl-…", 24 hex digits) in zId. The server threads share idState: each
 * takes its own step of the generator with one atomic add.
 */
static void make_ids(MockServer *p, MockApi api, Reply *r, char *zId, size_t nId)
{
	char zHex[25];
	uint64_t st = __atomic_fetch_add(&p->idState, 2 * SPLITMIX_GAMMA, __ATOMIC_RELAXED);
	uint64_t hi = prng_splitmix64(&st), lo = prng_splitmix64(&st);
	snprintf(zHex, sizeof(zHex), "%016llx%08llx", (unsigned long long)hi,
		 (unsigned long long)(lo & 0xffffffffu));
	if (api == MOCK_API_OPENAI) {
		snprintf(zId, nId, "chatcmpl-%s", zHex);
		reply_header(r, "x-request-id", "req_%s", zHex);
	} else if (api == MOCK_API_ANTHROPIC) {
		snprintf(zId, nId, "msg_%s", zHex);
		reply_header(r, "request-id", "req_%s", zHex);
	} else {
		snprintf(zId, nId, "%s", zHex);
	}
}

/* Headers that go with a 429 in each provider's style. */
static void rate_limit_headers(MockApi api, int64_t retryAfterS, Reply *r)
{
	reply_header(r, "retry-after", "%lld", (long long)retryAfterS);
	if (api == MOCK_API_OPENAI) {
		reply_header(r, "retry-after-ms", "%lld", (long long)retryAfterS * 1000);
		reply_header(r, "x-ratelimit-remaining-requests", "0");
		reply_header(r, "x-ratelimit-reset-requests", "%llds", (long long)retryAfterS);
	} else if (api == MOCK_API_ANTHROPIC) {
		char zReset[TIME_ISO_LEN];
		time_iso_from_epoch(zReset, time(NULL) + (time_t)retryAfterS);
		reply_header(r, "anthropic-ratelimit-requests-remaining", "0");
		reply_header(r, "anthropic-ratelimit-requests-reset", "%s", zReset);
	}
}

/* Hash identifying a request body for Retry-After tracking (the URL names Gemini's model). */
static uint64_t body_hash(const char *zUrl, const Buf *pBody)
{
	uint64_t h = hash_fnv1a(PRNG_FNV_OFFSET, zUrl, strlen(zUrl));
	return hash_fnv1a(h, pBody->z ? pBody->z : "", pBody->n);
}

/*
 * POST of a generation request in any API style: everything the provider does
 * on arrival (auth, parsing, the model, Retry-After check, fault and latency
 * draw). Returns how many milliseconds the reply waits. An error, a reset or
 * a hang has its final reply in pReq->reply already; any other fault sets
 * pReq->answer, which generate_finish() turns into the reply after the wait.
 */
static int64_t handle_generate(MockServer *p, struct MHD_Connection *c, MockApi api,
			       const char *zUrlModel, const char *zUrl, ConnRequest *pReq)
{
	PendingAnswer *a = &pReq->answer;
	Reply *r = &pReq->reply;
	MockFaultConfig config;
	const MockModel *pModel;
	char zErr[300], zNum[32];
	int64_t latencyMs;
	uint64_t h = body_hash(zUrl, &pReq->body);

	if (check_auth(p, c, api, r) != 0)
		goto fail;
	if (pReq->tooLarge) {
		reply_error(r, api, MOCK_ERR_INVALID, "the request body is larger than 8 MiB");
		goto fail;
	}
	switch (mock_request_parse(api, zUrlModel, buf_str(&pReq->body), pReq->body.n, &a->req, zErr,
				   sizeof(zErr))) {
	case MOCK_PARSE_MALFORMED_JSON:
		reply_error(r, api, MOCK_ERR_MALFORMED_JSON, zErr);
		goto fail;
	case MOCK_PARSE_INVALID:
		reply_error(r, api, MOCK_ERR_INVALID, zErr);
		goto fail;
	default:
		break;
	}
	pModel = mock_models_find(&p->models, a->req.zModel);
	if (!pModel) {
		reply_error(r, api, MOCK_ERR_NOT_FOUND, a->req.zModel);
		goto fail;
	}
	r->zModel = pModel->zId;
	mock_stats_count_model(&p->stats, a->req.zModel);
	mock_stats_check_retry(&p->stats, h, time_mono_ms());
	/* Like OpenAI's reasoning models: only the default temperature (1) is accepted. */
	if (strstr(pModel->zId, "no-temp") && a->req.hasTemperature && a->req.temperature != 1.0) {
		snprintf(zNum, sizeof(zNum), "%g", a->req.temperature);
		reply_error(r, api, MOCK_ERR_TEMPERATURE, zNum);
		goto fail;
	}

	pthread_mutex_lock(&p->mu);
	config = p->config;
	r->fault = mock_fault_pick(&config, mock_uniform(&p->rngState));
	latencyMs = mock_latency_draw(&config, &p->rngState);
	pthread_mutex_unlock(&p->mu);

	if (r->fault == MOCK_FAULT_HANG || r->fault == MOCK_FAULT_RESET) {
		/* Close with no response: a hang after hang-ms, a reset at once. */
		mock_request_free(&a->req);
		r->status = 0;
		return r->fault == MOCK_FAULT_HANG ? config.hangMs : 0;
	}
	a->active = 1;
	a->api = api;
	a->pModel = pModel;
	a->retryAfterS = config.retryAfterS;
	a->bodyHash = h;
	return latencyMs;
fail:
	mock_request_free(&a->req);
	return 0;
}

/*
 * Build the reply of a generation request whose latency has passed, as the
 * provider would send it now (ids, timestamps and the 429's Retry-After
 * window start at this moment).
 */
void mock_generate_finish(MockServer *p, PendingAnswer *a, Reply *r)
{
	MockAnswer answer;
	char zId[64], zNum[32];

	memset(&answer, 0, sizeof(answer));
	make_ids(p, a->api, r, zId, sizeof(zId));
	switch (r->fault) {
	case MOCK_FAULT_429:
		snprintf(zNum, sizeof(zNum), "%lld", (long long)a->retryAfterS);
		reply_error(r, a->api, MOCK_ERR_RATE_LIMIT, zNum);
		rate_limit_headers(a->api, a->retryAfterS, r);
		mock_stats_note_429(&p->stats, a->bodyHash, time_mono_ms(), a->retryAfterS * 1000);
		break;
	case MOCK_FAULT_500:
		reply_error(r, a->api, MOCK_ERR_SERVER, NULL);
		break;
	case MOCK_FAULT_503:
		reply_error(r, a->api, MOCK_ERR_OVERLOADED, NULL);
		break;
	default:
		mock_answer_generate(a->pModel, &a->req.conv, &answer);
		buf_reset(&r->body);
		/* Echo the exact version asked for, as the real APIs do. */
		mock_success_body(a->api, a->req.zModel, zId, (int64_t)time(NULL),
				  r->fault == MOCK_FAULT_EMPTY    ? MOCK_OUTCOME_EMPTY
				  : r->fault == MOCK_FAULT_FILTER ? MOCK_OUTCOME_FILTER
								  : MOCK_OUTCOME_ANSWER,
				  &answer, &r->body);
		if (r->fault == MOCK_FAULT_MALFORMED) {
			/* Cut the JSON in half: a 200 whose body no parser accepts. */
			r->body.n /= 2;
			r->body.z[r->body.n] = 0;
		}
		r->status = 200;
		break;
	}
	mock_answer_free(&answer);
	mock_request_free(&a->req);
	a->active = 0;
}

/* GET of a models list in the given API style (after the provider's auth check). */
static void handle_models(MockServer *p, struct MHD_Connection *c, MockApi api, Reply *r)
{
	if (check_auth(p, c, api, r) != 0)
		return;
	buf_reset(&r->body);
	mock_models_body(api, &p->models, &r->body);
	r->status = 200;
}

/* Set the reply to {"error": zMessage} with the given status (control endpoints). */
static void reply_control_error(Reply *r, int status, const char *zMessage)
{
	char zSafe[400];
	json_t *pJson;
	char *z;
	size_t i;
	/* Keep it ASCII so a message cut inside a UTF-8 sequence still encodes. */
	str_copy(zSafe, sizeof(zSafe), zMessage);
	for (i = 0; zSafe[i]; i++)
		if ((unsigned char)zSafe[i] < 0x20 || (unsigned char)zSafe[i] >= 0x7f)
			zSafe[i] = '?';
	pJson = json_pack("{s:s}", "error", zSafe);
	z = pJson ? json_dumps(pJson, JSON_COMPACT) : NULL;
	reply_json(r, status, z ? z : "{\"error\":\"invalid request\"}");
	free(z);
	json_decref(pJson);
}

/* The /_mock/ control endpoints: stats, config, reset. */
void mock_handle_control(MockServer *p, const char *zUrl, const char *zMethod,
			   ConnRequest *pReq, Reply *r)
{
	int isGet = strcmp(zMethod, "GET") == 0, isPost = strcmp(zMethod, "POST") == 0;
	char *z;
	if (strcmp(zUrl, "/_mock/stats") == 0 && isGet) {
		z = mock_stats_to_json(&p->stats);
		reply_json(r, 200, z);
		free(z);
	} else if (strcmp(zUrl, "/_mock/config") == 0 && (isGet || isPost)) {
		char zErr[300];
		int seedChanged = 0, rc = 0;
		pthread_mutex_lock(&p->mu);
		if (isPost)
			rc = mock_config_apply_json(&p->config, buf_str(&pReq->body), pReq->body.n,
						    &seedChanged, zErr, sizeof(zErr));
		if (rc == 0 && seedChanged)
			p->rngState = p->config.seed;
		z = mock_config_to_json(&p->config);
		pthread_mutex_unlock(&p->mu);
		if (rc == 0)
			reply_json(r, 200, z);
		else
			reply_control_error(r, 400, zErr);
		free(z);
	} else if (strcmp(zUrl, "/_mock/reset") == 0 && isPost) {
		mock_stats_reset(&p->stats);
		reply_json(r, 200, "{\"ok\":true}");
	} else {
		reply_control_error(r, 404, "unknown control endpoint: use GET /_mock/stats, "
				    "GET or POST /_mock/config, POST /_mock/reset");
	}
}

/*
 * Route one provider request (everything outside /_mock/). Returns how many
 * milliseconds its reply waits (0 for all but generation requests).
 */
int64_t mock_handle_api(MockServer *p, struct MHD_Connection *c, const char *zUrl,
			  const char *zMethod, ConnRequest *pReq)
{
	static const char zGeminiPrefix[] = "/v1beta/models/";
	static const char zGeminiSuffix[] = ":generateContent";
	int isGet = strcmp(zMethod, "GET") == 0, isPost = strcmp(zMethod, "POST") == 0;
	size_t nUrl = strlen(zUrl);
	Reply *r = &pReq->reply;
	int64_t waitMs = 0;

	if (strcmp(zUrl, "/v1/chat/completions") == 0 && isPost) {
		waitMs = handle_generate(p, c, MOCK_API_OPENAI, NULL, zUrl, pReq);
	} else if (strcmp(zUrl, "/v1/messages") == 0 && isPost) {
		waitMs = handle_generate(p, c, MOCK_API_ANTHROPIC, NULL, zUrl, pReq);
	} else if (strcmp(zUrl, "/v1/models") == 0 && isGet) {
		int anthropic = header(c, "x-api-key") && header(c, "anthropic-version");
		handle_models(p, c, anthropic ? MOCK_API_ANTHROPIC : MOCK_API_OPENAI, r);
	} else if (strcmp(zUrl, "/v1beta/models") == 0 && isGet) {
		handle_models(p, c, MOCK_API_GEMINI, r);
	} else if (isPost && str_starts_with(zUrl, zGeminiPrefix) &&
		   nUrl > strlen(zGeminiPrefix) + strlen(zGeminiSuffix) &&
		   strcmp(zUrl + nUrl - strlen(zGeminiSuffix), zGeminiSuffix) == 0) {
		size_t nModel = nUrl - strlen(zGeminiPrefix) - strlen(zGeminiSuffix);
		char *zModel = xstrndup(zUrl + strlen(zGeminiPrefix), nModel);
		waitMs = handle_generate(p, c, MOCK_API_GEMINI, zModel, zUrl, pReq);
		free(zModel);
	} else {
		/* OpenAI answers an unknown route 404 with an invalid_request_error. */
		char zMsg[200];
		snprintf(zMsg, sizeof(zMsg), "Unknown request URL: %s %.120s", zMethod, zUrl);
		reply_error(r, MOCK_API_OPENAI, MOCK_ERR_INVALID, zMsg);
		r->status = 404;
	}
	return waitMs;
}
