/* mock_server.c — valuerank-mockllm's HTTP handling: routes, provider auth, injected faults, latency. */
#include "mockllm/mock_server.h"

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/memory.h"
#include "lib/timeutil.h"
#include "lib/util.h"
#include "mockllm/mock_due.h"
#include "mockllm/mock_stats.h"
#include "mockllm/mock_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/*
 * How a request with latency is served: one server thread runs MHD (epoll,
 * external polling) and does the provider's work when a request arrives.
 * Instead of sleeping, it suspends the connection and files the request in
 * a min-heap by due time; the same thread waits for whichever comes first,
 * network activity or the earliest due time, resumes the connections that
 * are due, and MHD calls the access handler again, which finishes the answer
 * and queues it (or closes the connection, for a hang). Compared with a
 * thread per connection sleeping on a condition variable, this costs a
 * fraction of the CPU per request at thousands of requests a second: no
 * thread switches, and resuming from MHD's own thread needs no wake-up pipe.
 */

/* Bodies larger than this are refused (prompts are at most tens of kilobytes). */
#define MAX_BODY_BYTES (8u * 1024u * 1024u)
/* Hundreds of slow concurrent requests plus idle keep-alive connections. */
#define CONNECTION_LIMIT 2048
/* Heap made resident by the server threads together: MHD's 32 KiB pool and the rest, for 512 connections. */
#define RESERVE_BYTES (20u * 1024u * 1024u)
#define MAX_REPLY_HEADERS 8

typedef struct ConnRequest ConnRequest;

/*
 * One server thread with its own MHD daemon, listening on the shared port
 * (SO_REUSEPORT: the kernel spreads new connections over the threads), and its
 * own heap of suspended requests. Only its thread touches it while it runs
 * (MHD calls every callback from it); mock_server_stop() takes over after
 * joining it.
 */
typedef struct MockShard {
	MockServer *pServer;
	struct MHD_Daemon *pDaemon;
	pthread_t thread;
	int threadRunning;
	int wakeFd;      /* eventfd: mock_server_stop() asks the thread to finish */
	int stopping;    /* set by the thread once asked: nothing more is suspended */
	DueHeap waiting; /* suspended requests, earliest due first */
} MockShard;

struct MockServer {
	char *zApiKey;
	MockModelSet models;
	int verbose;
	MockStats stats;
	/* mu guards config and rngState (the control endpoint and generation requests share them). */
	pthread_mutex_t mu;
	MockFaultConfig config;
	uint64_t rngState;
	uint64_t idState; /* generator of response ids, seeded at random; advanced atomically */
	MockShard *aShard;
	int nShard;
};

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

/* What a generation request still has to do once its latency has passed. */
typedef struct PendingAnswer {
	int active; /* 1 when generate_finish() must still build the reply */
	MockApi api;
	MockRequest req;
	const MockModel *pModel;
	int64_t retryAfterS;
	uint64_t bodyHash;
} PendingAnswer;

/* Where a request stands. */
typedef enum RequestPhase {
	PHASE_READING, /* headers and body arriving */
	PHASE_WAITING, /* handled on arrival; its connection is suspended in the heap until due */
	PHASE_DUE,     /* resumed: finish and send the reply on the next handler call */
	PHASE_ANSWERED /* accounted for; MHD is sending the reply or closing */
} RequestPhase;

/*
 * One request, from its first handler call to MHD's completion callback,
 * which frees it (a keep-alive connection gets a fresh one per request).
 */
struct ConnRequest {
	Buf body;
	int tooLarge;
	RequestPhase phase;
	int counted;   /* mock_stats_request_begin() done, mock_stats_request_end() not yet */
	DueEntry due;  /* its place in MockServer.waiting while PHASE_WAITING */
	int64_t startMs;
	struct MHD_Connection *pConn;
	PendingAnswer answer;
	Reply reply;
	/* For the verbose log line, kept because MHD may close the request without a handler call. */
	char zMethod[32];
	char zPath[200];
};

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

/* Nanoseconds on the monotonic clock (due times need finer steps than milliseconds). */
static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Suspend the request's connection until waitMs from now (called in the
 * access handler). Returns -1 without suspending once the server is
 * stopping: the caller then answers at once, as a sleep cut short by
 * shutdown did.
 */
static int request_suspend(MockShard *sh, struct MHD_Connection *c, ConnRequest *pReq,
			   int64_t waitMs)
{
	if (sh->stopping)
		return -1;
	pReq->due.dueNs = mono_ns() + waitMs * 1000000;
	pReq->phase = PHASE_WAITING;
	MHD_suspend_connection(c);
	due_push(&sh->waiting, &pReq->due);
	return 0;
}

/*
 * Resume every suspended connection that is due by nowNs (all of them for
 * INT64_MAX); MHD calls the access handler for each on its next run.
 * Returns how many were resumed.
 */
static size_t resume_due(MockShard *sh, int64_t nowNs)
{
	size_t n = 0;
	DueEntry *e;
	while ((e = due_pop_due(&sh->waiting, nowNs)) != NULL) {
		ConnRequest *pReq = (ConnRequest *)((char *)e - offsetof(ConnRequest, due));
		pReq->phase = PHASE_DUE;
		MHD_resume_connection(pReq->pConn);
		n++;
	}
	return n;
}

/*
 * How long the server thread may sleep: until MHD's next timeout or the
 * earliest due request, whichever is first. NULL means no limit.
 */
static struct timespec *wait_limit(MockShard *sh, struct timespec *pTs)
{
	MHD_UNSIGNED_LONG_LONG mhdMs;
	int64_t waitNs = -1;
	if (MHD_get_timeout(sh->pDaemon, &mhdMs) == MHD_YES)
		waitNs = mhdMs > (MHD_UNSIGNED_LONG_LONG)INT32_MAX ? (int64_t)INT32_MAX * 1000000
								: (int64_t)mhdMs * 1000000;
	if (due_first(&sh->waiting)) {
		int64_t untilDueNs = due_first(&sh->waiting)->dueNs - mono_ns();
		if (untilDueNs < 0)
			untilDueNs = 0;
		if (waitNs < 0 || untilDueNs < waitNs)
			waitNs = untilDueNs;
	}
	if (waitNs < 0)
		return NULL;
	pTs->tv_sec = (time_t)(waitNs / 1000000000);
	pTs->tv_nsec = (long)(waitNs % 1000000000);
	return pTs;
}

/*
 * A server thread: run its MHD daemon and release due requests until
 * mock_server_stop() signals wakeFd. Then resume every request still
 * waiting (a hang ends, a latency is cut short) and give MHD one more run
 * to answer them.
 */
static void *server_main(void *pArg)
{
	MockShard *sh = pArg;
	const union MHD_DaemonInfo *pInfo = MHD_get_daemon_info(sh->pDaemon, MHD_DAEMON_INFO_EPOLL_FD);
	struct pollfd aPoll[2];
	struct timespec ts;
	/*
	 * MHD allocates each connection's memory pool on its thread: have the
	 * heap resident for the first few hundred connections, as a provider's
	 * warm servers would, so that a burst of new connections does not also
	 * take a page fault per page.
	 */
	memory_reserve(RESERVE_BYTES / (size_t)sh->pServer->nShard);
	aPoll[0].fd = pInfo->epoll_fd;
	aPoll[0].events = POLLIN;
	aPoll[1].fd = sh->wakeFd;
	aPoll[1].events = POLLIN;
	for (;;) {
		if (resume_due(sh, mono_ns()) > 0) {
			MHD_run(sh->pDaemon);
			continue;
		}
		if (ppoll(aPoll, 2, wait_limit(sh, &ts), NULL) < 0 && errno != EINTR) {
			log_event(LOG_ERROR, "server loop failed", "err=\"%s\"", strerror(errno));
			break;
		}
		if (aPoll[1].revents)
			break;
		MHD_run(sh->pDaemon);
	}
	sh->stopping = 1;
	resume_due(sh, INT64_MAX);
	MHD_run(sh->pDaemon);
	return NULL;
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
static void generate_finish(MockServer *p, PendingAnswer *a, Reply *r)
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

/*
 * Route one provider request (everything outside /_mock/). Returns how many
 * milliseconds its reply waits (0 for all but generation requests).
 */
static int64_t handle_api(MockServer *p, struct MHD_Connection *c, const char *zUrl,
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

/*
 * Queue the reply on the connection; MHD_NO (close) when status is 0. The
 * body's memory goes to MHD, which frees it once sent.
 */
static enum MHD_Result reply_send(struct MHD_Connection *c, Reply *r)
{
	struct MHD_Response *pResp;
	enum MHD_Result rc;
	int i;
	if (r->status == 0)
		return MHD_NO;
	if (r->body.n > 0) {
		size_t n = r->body.n;
		char *z = buf_detach(&r->body);
		pResp = MHD_create_response_from_buffer(n, z, MHD_RESPMEM_MUST_FREE);
		if (!pResp)
			free(z);
	} else {
		pResp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!pResp)
		return MHD_NO;
	MHD_add_response_header(pResp, "Content-Type", "application/json");
	for (i = 0; i < r->nHeader; i++)
		MHD_add_response_header(pResp, r->azName[i], r->azValue[i]);
	rc = MHD_queue_response(c, (unsigned int)r->status, pResp);
	MHD_destroy_response(pResp);
	return rc;
}

/*
 * The request's reply is final (its wait over, or cut short): finish a
 * pending answer, count the status and write the verbose log line, whose ms
 * include the latency.
 */
static void request_account(MockServer *p, ConnRequest *pReq)
{
	Reply *r = &pReq->reply;
	if (pReq->answer.active)
		generate_finish(p, &pReq->answer, r);
	mock_stats_request_end(&p->stats, r->status);
	pReq->counted = 0;
	pReq->phase = PHASE_ANSWERED;
	if (p->verbose)
		log_event(LOG_INFO, "request", "method=%s path=%s status=%d model=%s fault=%s ms=%lld",
			  pReq->zMethod, pReq->zPath, r->status, r->zModel ? r->zModel : "-",
			  mock_fault_name(r->fault), (long long)(time_mono_ms() - pReq->startMs));
}

/* libmicrohttpd's access handler: gather the body, answer at once or after the latency. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *zUrl,
				  const char *zMethod, const char *zVersion, const char *zUpload,
				  size_t *pnUpload, void **ppConn)
{
	MockShard *sh = cls;
	MockServer *p = sh->pServer;
	ConnRequest *pReq = *ppConn;
	int64_t waitMs;

	if (!pReq) {
		pReq = xcalloc(1, sizeof(*pReq));
		pReq->pConn = c;
		pReq->reply.fault = MOCK_FAULT_NONE;
		*ppConn = pReq;
		return MHD_YES;
	}
	if (pReq->phase == PHASE_DUE) {
		request_account(p, pReq);
		return reply_send(c, &pReq->reply);
	}
	if (*pnUpload) {
		if (pReq->body.n + *pnUpload > MAX_BODY_BYTES)
			pReq->tooLarge = 1;
		else
			buf_append(&pReq->body, zUpload, *pnUpload);
		*pnUpload = 0;
		return MHD_YES;
	}

	if (str_starts_with(zUrl, "/_mock/")) {
		handle_control(p, zUrl, zMethod, pReq, &pReq->reply);
		pReq->phase = PHASE_ANSWERED;
		return reply_send(c, &pReq->reply);
	}
	pReq->startMs = time_mono_ms();
	pReq->counted = 1;
	mock_stats_request_begin(&p->stats);
	if (p->verbose) {
		str_copy(pReq->zMethod, sizeof(pReq->zMethod), zMethod);
		log_quote(pReq->zPath, sizeof(pReq->zPath), zUrl);
	}
	waitMs = handle_api(p, c, zUrl, zMethod, pReq);
	buf_free(&pReq->body);
	if (waitMs > 0 && request_suspend(sh, c, pReq, waitMs) == 0)
		return MHD_YES;
	request_account(p, pReq);
	return reply_send(c, &pReq->reply);
}

/*
 * libmicrohttpd's completion callback: free the request. MHD neither times
 * out nor notices a client's close while a connection is suspended, so a
 * request has normally left the heap before it gets here; the check guards
 * against a dangling entry all the same. MHD may close a resumed connection
 * without calling the handler again (the client has gone, or the server is
 * stopping): the request is then finished and counted here, with the status
 * it would have been sent, as when a sleeping thread answered a closed socket.
 */
static void on_completed(void *cls, struct MHD_Connection *c, void **ppConn,
			 enum MHD_RequestTerminationCode code)
{
	MockShard *sh = cls;
	MockServer *p = sh->pServer;
	ConnRequest *pReq = *ppConn;
	if (!pReq)
		return;
	if (pReq->due.slot)
		due_remove(&sh->waiting, &pReq->due);
	if (pReq->counted)
		request_account(p, pReq);
	mock_request_free(&pReq->answer.req);
	buf_free(&pReq->reply.body);
	buf_free(&pReq->body);
	free(pReq);
	*ppConn = NULL;
}

MockServer *mock_server_new(const char *zApiKey, MockModelSet *pModels,
			    const MockFaultConfig *pConfig, int verbose, int nThreads)
{
	MockServer *p = xcalloc(1, sizeof(*p));
	char zSeed[17];
	int i;
	p->zApiKey = xstrdup(zApiKey);
	p->models = *pModels;
	memset(pModels, 0, sizeof(*pModels));
	p->verbose = verbose;
	p->config = *pConfig;
	p->rngState = pConfig->seed;
	mock_stats_init(&p->stats);
	pthread_mutex_init(&p->mu, NULL);
	p->nShard = nThreads < 1 ? 1 : nThreads > MOCK_MAX_THREADS ? MOCK_MAX_THREADS : nThreads;
	p->aShard = xcalloc((size_t)p->nShard, sizeof(MockShard));
	for (i = 0; i < p->nShard; i++) {
		p->aShard[i].pServer = p;
		p->aShard[i].wakeFd = -1;
	}
	/* Response ids only need to differ, not to be unpredictable: seed once, not a syscall each. */
	if (random_hex(zSeed, 8) == 0)
		p->idState = strtoull(zSeed, NULL, 16);
	else
		p->idState = (uint64_t)mono_ns() ^ (uint64_t)time(NULL);
	return p;
}

/* Start one shard's daemon on pAddr (its port already chosen for every shard but the first) and its thread. */
static int shard_start(MockShard *sh, const struct sockaddr *pAddr, int shared, char *zErr, size_t nErr)
{
	/* External polling: server_main() waits on MHD's epoll descriptor and its own wake-up. */
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	uint16_t port;
	int rc;
	if (pAddr->sa_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((const struct sockaddr_in6 *)pAddr)->sin6_port);
	} else {
		port = ntohs(((const struct sockaddr_in *)pAddr)->sin_port);
	}
	/* MHD binds pAddr; the port argument only appears in its own error messages. */
	sh->pDaemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, sh,
				       MHD_OPTION_SOCK_ADDR, pAddr,
				       MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)(shared ? 1 : 0),
				       MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
				       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
				       MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
				       MHD_OPTION_NOTIFY_COMPLETED, on_completed, sh,
				       MHD_OPTION_END);
	if (!sh->pDaemon) {
		snprintf(zErr, nErr, "cannot listen on the requested address and port (in use, or "
			 "not available on this host)");
		return -1;
	}
	sh->wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rc = sh->wakeFd < 0 ? errno : pthread_create(&sh->thread, NULL, server_main, sh);
	if (rc != 0) {
		snprintf(zErr, nErr, "cannot start a server thread: %s", strerror(rc));
		if (sh->wakeFd >= 0)
			close(sh->wakeFd);
		sh->wakeFd = -1;
		MHD_stop_daemon(sh->pDaemon);
		sh->pDaemon = NULL;
		return -1;
	}
	sh->threadRunning = 1;
	return 0;
}

int mock_server_start(MockServer *p, const struct sockaddr *pAddr, unsigned *pPort, char *zErr,
		      size_t nErr)
{
	struct sockaddr_storage addr;
	socklen_t nAddr = pAddr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	const union MHD_DaemonInfo *pInfo;
	int i, shared = p->nShard > 1;
	memset(&addr, 0, sizeof(addr));
	memcpy(&addr, pAddr, nAddr);
	for (i = 0; i < p->nShard; i++) {
		if (shard_start(&p->aShard[i], (const struct sockaddr *)&addr, shared, zErr, nErr) != 0) {
			mock_server_stop(p);
			return -1;
		}
		if (i == 0) {
			/* The first shard may have been given a free port: the others listen on the same one. */
			pInfo = MHD_get_daemon_info(p->aShard[0].pDaemon, MHD_DAEMON_INFO_BIND_PORT);
			*pPort = pInfo ? pInfo->port : 0;
			if (addr.ss_family == AF_INET6)
				((struct sockaddr_in6 *)&addr)->sin6_port = htons((uint16_t)*pPort);
			else
				((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)*pPort);
		}
	}
	return 0;
}

void mock_server_stop(MockServer *p)
{
	uint64_t one = 1;
	int i;
	for (i = 0; i < p->nShard; i++) {
		MockShard *sh = &p->aShard[i];
		if (!sh->pDaemon)
			continue;
		if (sh->threadRunning) {
			/* The server thread resumes every waiting request before it returns. */
			if (write(sh->wakeFd, &one, sizeof(one)) != (ssize_t)sizeof(one))
				log_event(LOG_ERROR, "wake failed", "err=\"%s\"", strerror(errno));
			pthread_join(sh->thread, NULL);
			sh->threadRunning = 0;
		}
		/* No connection is suspended now, as MHD requires; it closes what is still open. */
		MHD_stop_daemon(sh->pDaemon);
		sh->pDaemon = NULL;
		close(sh->wakeFd);
		sh->wakeFd = -1;
	}
}

void mock_server_free(MockServer *p)
{
	int i;
	if (!p)
		return;
	mock_server_stop(p);
	mock_stats_free(&p->stats);
	mock_models_free(&p->models);
	for (i = 0; i < p->nShard; i++)
		due_free(&p->aShard[i].waiting);
	free(p->aShard);
	pthread_mutex_destroy(&p->mu);
	free(p->zApiKey);
	free(p);
}
