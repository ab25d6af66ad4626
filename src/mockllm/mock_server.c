/* mock_server.c — valuerank-mockllm's HTTP server: threads, MHD, holding each reply for its latency. */
#include "mockllm/mock_server_internal.h"

#include "lib/log.h"
#include "lib/memory.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/*
 * How a request with latency is served: each server thread runs its own MHD
 * daemon (epoll, external polling; the threads share the port through
 * SO_REUSEPORT) and does the provider's work (mock_routes.c) when a request
 * arrives. Instead of sleeping, it suspends the connection and files the
 * request in its min-heap by due time; the same thread waits for whichever
 * comes first, network activity or the earliest due time, resumes the
 * connections that are due, and MHD calls the access handler again, which finishes the answer
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
		mock_generate_finish(p, &pReq->answer, r);
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
		mock_handle_control(p, zUrl, zMethod, pReq, &pReq->reply);
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
	waitMs = mock_handle_api(p, c, zUrl, zMethod, pReq);
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
