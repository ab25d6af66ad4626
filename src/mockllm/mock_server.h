/* mock_server.h — the HTTP side of valuerank-mockllm: routing, auth, faults, latency (libmicrohttpd). */
#ifndef VR_MOCK_SERVER_H
#define VR_MOCK_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

#include "mockllm/mock_answer.h"
#include "mockllm/mock_config.h"

typedef struct MockServer MockServer;

/* At most this many server threads. */
#define MOCK_MAX_THREADS 16

/*
 * Create a server (not yet listening) that will serve from nThreads server
 * threads (1 to MOCK_MAX_THREADS). It takes ownership of *pModels (left
 * empty) and copies the key and settings. Free with mock_server_free().
 */
MockServer *mock_server_new(const char *zApiKey, MockModelSet *pModels,
			    const MockFaultConfig *pConfig, int verbose, int nThreads);

/*
 * Listen on pAddr (IPv4 or IPv6, port 0 picks a free one) and serve from the
 * server threads, each with its own listening socket on the port (the kernel
 * spreads new connections over them) and each holding its replies for their
 * latency without blocking.
 * On success returns 0 and stores the bound port in *pPort; on failure -1
 * with a sentence in zErr.
 */
int mock_server_start(MockServer *p, const struct sockaddr *pAddr, unsigned *pPort, char *zErr,
		      size_t nErr);

/*
 * Release every waiting request at once (latency cut short, hangs closed),
 * stop the server thread, close connections and stop listening.
 */
void mock_server_stop(MockServer *p);

/* Free the server; stops it first if it is running. NULL is ignored. */
void mock_server_free(MockServer *p);

#endif
