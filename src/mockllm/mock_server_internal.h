/*
 * mock_server_internal.h — what the two halves of valuerank-mockllm's HTTP
 * side share: the server (mock_server.c: threads, MHD, suspension until a
 * reply is due) and the routes (mock_routes.c: what a request gets back).
 */
#ifndef VR_MOCK_SERVER_INTERNAL_H
#define VR_MOCK_SERVER_INTERNAL_H

#include "lib/buf.h"
#include "mockllm/mock_answer.h"
#include "mockllm/mock_config.h"
#include "mockllm/mock_due.h"
#include "mockllm/mock_server.h"
#include "mockllm/mock_stats.h"
#include "mockllm/mock_wire.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

/* Response headers a reply may carry (no route sets more). */
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

/* reply helpers (mock_routes.c) */
void reply_header(Reply *r, const char *zName, const char *zFmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Route one provider request (everything outside /_mock/): fill pReq's reply,
 * or its pending answer when the reply waits. Returns how many milliseconds
 * it waits (0 for all but generation requests).
 */
int64_t mock_handle_api(MockServer *p, struct MHD_Connection *c, const char *zUrl, const char *zMethod,
			ConnRequest *pReq);
/* The /_mock/ control endpoints: stats, config, reset. */
void mock_handle_control(MockServer *p, const char *zUrl, const char *zMethod, ConnRequest *pReq, Reply *r);
/* Build the reply of a generation request whose latency has passed, as the provider would send it now. */
void mock_generate_finish(MockServer *p, PendingAnswer *a, Reply *r);

#endif
