/* mock_server.c — valuerank-mockllm's HTTP handling: routes, provider auth, injected faults, latency. */
#include "mockllm/mock_server.h"

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/timeutil.h"
#include "lib/util.h"
#include "mockllm/mock_stats.h"
#include "mockllm/mock_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Bodies larger than this are refused (prompts are at most tens of kilobytes). */
#define MAX_BODY_BYTES (8u * 1024u * 1024u)
/* Enough threads for hundreds of slow concurrent requests plus idle keep-alive connections. */
#define CONNECTION_LIMIT 2048
#define THREAD_STACK_BYTES (1024u * 1024u)
#define MAX_REPLY_HEADERS 8

struct MockServer {
	char *zApiKey;
	MockModelSet models;
	int verbose;
	MockStats stats;
	struct MHD_Daemon *pDaemon;
	/* mu guards config, rngState and stopping; cond wakes sleeping requests at shutdown. */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	MockFaultConfig config;
	uint64_t rngState;
	int stopping;
};

/* The body of one request, gathered over the upload callbacks; freed when the request completes. */
typedef struct ConnRequest {
	Buf body;
	int tooLarge;
} ConnRequest;

/* What to send back. status 0 means: close the connection without a response. */
typedef struct Reply {
	int status;
	Buf body;
	int nHeader;
	char azName[MAX_REPLY_HEADERS][48];
	char azValue[MAX_REPLY_HEADERS][96];
	/* For the verbose log line. */
	const char *zModel;
	MockFault fault;
} Reply;

static void reply_header(Reply *r, const char *zName, const char *zFmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Add a response header (silently dropped beyond MAX_REPLY_HEADERS, which no route reaches). */
static void reply_header(Reply *r, const char *zName, const char *zFmt, ...)
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

/* Sleep ms milliseconds, returning early when the server stops. */
static void server_sleep_ms(MockServer *p, int64_t ms)
{
	struct timespec deadline;
	if (ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)(ms / 1000);
	deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	while (!p->stopping) {
		if (pthread_cond_timedwait(&p->cond, &p->mu, &deadline) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&p->mu);
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

/* Add the provider's request-id header and put a fresh response id ("chatcmpl-…") in zId. */
static void make_ids(MockApi api, Reply *r, char *zId, size_t nId)
{
	char zHex[25];
	if (random_hex(zHex, 12) != 0)
		str_copy(zHex, sizeof(zHex), "000000000000000000000000");
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

/* POST of a generation request in any API style. */
static void handle_generate(MockServer *p, struct MHD_Connection *c, MockApi api,
			    const char *zUrlModel, const char *zUrl, ConnRequest *pReq, Reply *r)
{
	MockRequest req;
	MockAnswer answer;
	MockFaultConfig config;
	const MockModel *pModel;
	char zErr[300], zId[64], zNum[32];
	int64_t latencyMs;
	uint64_t h = body_hash(zUrl, &pReq->body);

	memset(&answer, 0, sizeof(answer));
	memset(&req, 0, sizeof(req));
	if (check_auth(p, c, api, r) != 0)
		goto out;
	if (pReq->tooLarge) {
		reply_error(r, api, MOCK_ERR_INVALID, "the request body is larger than 8 MiB");
		goto out;
	}
	switch (mock_request_parse(api, zUrlModel, buf_str(&pReq->body), pReq->body.n, &req, zErr,
				   sizeof(zErr))) {
	case MOCK_PARSE_MALFORMED_JSON:
		reply_error(r, api, MOCK_ERR_MALFORMED_JSON, zErr);
		goto out;
	case MOCK_PARSE_INVALID:
		reply_error(r, api, MOCK_ERR_INVALID, zErr);
		goto out;
	default:
		break;
	}
	pModel = mock_models_find(&p->models, req.zModel);
	if (!pModel) {
		reply_error(r, api, MOCK_ERR_NOT_FOUND, req.zModel);
		goto out;
	}
	r->zModel = pModel->zId;
	mock_stats_count_model(&p->stats, req.zModel);
	mock_stats_check_retry(&p->stats, h, time_mono_ms());
	/* Like OpenAI's reasoning models: only the default temperature (1) is accepted. */
	if (strstr(pModel->zId, "no-temp") && req.hasTemperature && req.temperature != 1.0) {
		snprintf(zNum, sizeof(zNum), "%g", req.temperature);
		reply_error(r, api, MOCK_ERR_TEMPERATURE, zNum);
		goto out;
	}

	pthread_mutex_lock(&p->mu);
	config = p->config;
	r->fault = mock_fault_pick(&config, mock_uniform(&p->rngState));
	latencyMs = mock_latency_draw(&config, &p->rngState);
	pthread_mutex_unlock(&p->mu);

	if (r->fault == MOCK_FAULT_HANG) {
		server_sleep_ms(p, config.hangMs);
		r->status = 0;
		goto out;
	}
	if (r->fault == MOCK_FAULT_RESET) {
		r->status = 0;
		goto out;
	}
	server_sleep_ms(p, latencyMs);
	make_ids(api, r, zId, sizeof(zId));
	switch (r->fault) {
	case MOCK_FAULT_429:
		snprintf(zNum, sizeof(zNum), "%lld", (long long)config.retryAfterS);
		reply_error(r, api, MOCK_ERR_RATE_LIMIT, zNum);
		rate_limit_headers(api, config.retryAfterS, r);
		mock_stats_note_429(&p->stats, h, time_mono_ms(), config.retryAfterS * 1000);
		break;
	case MOCK_FAULT_500:
		reply_error(r, api, MOCK_ERR_SERVER, NULL);
		break;
	case MOCK_FAULT_503:
		reply_error(r, api, MOCK_ERR_OVERLOADED, NULL);
		break;
	default:
		mock_answer_generate(pModel, &req.conv, &answer);
		buf_reset(&r->body);
		/* Echo the exact version asked for, as the real APIs do. */
		mock_success_body(api, req.zModel, zId, (int64_t)time(NULL),
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
out:
	mock_answer_free(&answer);
	mock_request_free(&req);
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
static void handle_control(MockServer *p, const char *zUrl, const char *zMethod,
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

/* Route one provider request (everything outside /_mock/). */
static void handle_api(MockServer *p, struct MHD_Connection *c, const char *zUrl,
		       const char *zMethod, ConnRequest *pReq, Reply *r)
{
	static const char zGeminiPrefix[] = "/v1beta/models/";
	static const char zGeminiSuffix[] = ":generateContent";
	int isGet = strcmp(zMethod, "GET") == 0, isPost = strcmp(zMethod, "POST") == 0;
	size_t nUrl = strlen(zUrl);

	if (strcmp(zUrl, "/v1/chat/completions") == 0 && isPost) {
		handle_generate(p, c, MOCK_API_OPENAI, NULL, zUrl, pReq, r);
	} else if (strcmp(zUrl, "/v1/messages") == 0 && isPost) {
		handle_generate(p, c, MOCK_API_ANTHROPIC, NULL, zUrl, pReq, r);
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
		handle_generate(p, c, MOCK_API_GEMINI, zModel, zUrl, pReq, r);
		free(zModel);
	} else {
		/* OpenAI answers an unknown route 404 with an invalid_request_error. */
		char zMsg[200];
		snprintf(zMsg, sizeof(zMsg), "Unknown request URL: %s %.120s", zMethod, zUrl);
		reply_error(r, MOCK_API_OPENAI, MOCK_ERR_INVALID, zMsg);
		r->status = 404;
	}
}

/* Queue the reply on the connection; MHD_NO (close) when status is 0. */
static enum MHD_Result reply_send(struct MHD_Connection *c, Reply *r)
{
	struct MHD_Response *pResp;
	enum MHD_Result rc;
	int i;
	if (r->status == 0)
		return MHD_NO;
	pResp = MHD_create_response_from_buffer(r->body.n, r->body.z ? r->body.z : (char *)"",
						MHD_RESPMEM_MUST_COPY);
	if (!pResp)
		return MHD_NO;
	MHD_add_response_header(pResp, "Content-Type", "application/json");
	for (i = 0; i < r->nHeader; i++)
		MHD_add_response_header(pResp, r->azName[i], r->azValue[i]);
	rc = MHD_queue_response(c, (unsigned int)r->status, pResp);
	MHD_destroy_response(pResp);
	return rc;
}

/* libmicrohttpd's access handler: gather the body, then answer the request in full. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *zUrl,
				  const char *zMethod, const char *zVersion, const char *zUpload,
				  size_t *pnUpload, void **ppConn)
{
	MockServer *p = cls;
	ConnRequest *pReq = *ppConn;
	Reply r;
	enum MHD_Result rc;
	int64_t startMs;

	if (!pReq) {
		pReq = xcalloc(1, sizeof(*pReq));
		*ppConn = pReq;
		return MHD_YES;
	}
	if (*pnUpload) {
		if (pReq->body.n + *pnUpload > MAX_BODY_BYTES)
			pReq->tooLarge = 1;
		else
			buf_append(&pReq->body, zUpload, *pnUpload);
		*pnUpload = 0;
		return MHD_YES;
	}

	memset(&r, 0, sizeof(r));
	r.fault = MOCK_FAULT_NONE;
	if (str_starts_with(zUrl, "/_mock/")) {
		handle_control(p, zUrl, zMethod, pReq, &r);
		rc = reply_send(c, &r);
		buf_free(&r.body);
		return rc;
	}
	startMs = time_mono_ms();
	mock_stats_request_begin(&p->stats);
	handle_api(p, c, zUrl, zMethod, pReq, &r);
	mock_stats_request_end(&p->stats, r.status);
	if (p->verbose) {
		char zPath[200];
		log_quote(zPath, sizeof(zPath), zUrl);
		log_event(LOG_INFO, "request", "method=%s path=%s status=%d model=%s fault=%s ms=%lld",
			  zMethod, zPath, r.status, r.zModel ? r.zModel : "-", mock_fault_name(r.fault),
			  (long long)(time_mono_ms() - startMs));
	}
	rc = reply_send(c, &r);
	buf_free(&r.body);
	return rc;
}

/* libmicrohttpd's completion callback: free the per-request body. */
static void on_completed(void *cls, struct MHD_Connection *c, void **ppConn,
			 enum MHD_RequestTerminationCode code)
{
	ConnRequest *pReq = *ppConn;
	if (pReq) {
		buf_free(&pReq->body);
		free(pReq);
		*ppConn = NULL;
	}
}

MockServer *mock_server_new(const char *zApiKey, MockModelSet *pModels,
			    const MockFaultConfig *pConfig, int verbose)
{
	MockServer *p = xcalloc(1, sizeof(*p));
	pthread_condattr_t attr;
	p->zApiKey = xstrdup(zApiKey);
	p->models = *pModels;
	memset(pModels, 0, sizeof(*pModels));
	p->verbose = verbose;
	p->config = *pConfig;
	p->rngState = pConfig->seed;
	mock_stats_init(&p->stats);
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &attr);
	pthread_condattr_destroy(&attr);
	return p;
}

int mock_server_start(MockServer *p, const struct sockaddr *pAddr, unsigned *pPort, char *zErr,
		      size_t nErr)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *pInfo;
	uint16_t port;
	if (pAddr->sa_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((const struct sockaddr_in6 *)pAddr)->sin6_port);
	} else {
		port = ntohs(((const struct sockaddr_in *)pAddr)->sin_port);
	}
	/* MHD binds pAddr; the port argument only appears in its own error messages. */
	p->pDaemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, p,
				      MHD_OPTION_SOCK_ADDR, pAddr,
				      MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
				      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
				      MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
				      MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK_BYTES,
				      MHD_OPTION_NOTIFY_COMPLETED, on_completed, p,
				      MHD_OPTION_END);
	if (!p->pDaemon) {
		snprintf(zErr, nErr, "cannot listen on the requested address and port (in use, or "
			 "not available on this host)");
		return -1;
	}
	pInfo = MHD_get_daemon_info(p->pDaemon, MHD_DAEMON_INFO_BIND_PORT);
	*pPort = pInfo ? pInfo->port : 0;
	return 0;
}

void mock_server_stop(MockServer *p)
{
	if (!p->pDaemon)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	MHD_stop_daemon(p->pDaemon);
	p->pDaemon = NULL;
}

void mock_server_free(MockServer *p)
{
	if (!p)
		return;
	mock_server_stop(p);
	mock_stats_free(&p->stats);
	mock_models_free(&p->models);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mu);
	free(p->zApiKey);
	free(p);
}
