/* preconnect.h — a thread that opens TCP connections ahead of a burst of requests, for curl to take as already connected. */
#ifndef VR_EXEC_PRECONNECT_H
#define VR_EXEC_PRECONNECT_H

#include <stdint.h>
#include <sys/socket.h>

/*
 * When a provider is about to get many more requests than it has
 * connections (a run starting or resuming), the event loop asks this thread
 * for the difference. The thread connects them (non-blocking, all at once,
 * so a distant provider costs one round trip, not one per connection) and
 * keeps each ready socket in a pool for ttlMs. The loop's curl
 * CURLOPT_OPENSOCKETFUNCTION takes a pooled socket for the same address
 * before creating one, and curl skips its own connect. The loop then spends
 * its time sending requests rather than in hundreds of TCP handshakes one
 * after another.
 *
 * Only TCP connections are opened here: TLS, proxies and everything else
 * stay curl's. A socket the server has closed while pooled is thrown away
 * when taken. Sockets not taken within ttlMs are closed.
 */
typedef struct Preconnect Preconnect;

/* What the thread has done, for the log line at stop and for tests. */
typedef struct PreconnectCounts {
	int64_t nAsked;   /* connections asked for */
	int64_t nOpened;  /* connected and pooled */
	int64_t nTaken;   /* handed to curl */
	int64_t nExpired; /* closed unused: past ttlMs, or closed by the server */
	int64_t nFailed;  /* could not connect (refused, unreachable, timed out) */
} PreconnectCounts;

/* Start the thread; ttlMs: how long a pooled socket waits to be taken. NULL if it cannot start. */
Preconnect *preconnect_start(int ttlMs, int connectTimeoutMs);
/* Stop the thread (waits for a connect batch under way) and close every pooled socket. NULL is a no-op. */
void preconnect_stop(Preconnect *p);
/*
 * Make sure n connections to this address are pooled or being opened: ask
 * for the shortfall. Returns how many were newly asked for (0 when the pool
 * covers n, or the address is not IPv4/IPv6 TCP).
 */
int preconnect_want(Preconnect *p, const struct sockaddr *pAddr, socklen_t addrLen, int n);
/* A connected socket to this address from the pool (its owner now), or -1 when none. */
int preconnect_take(Preconnect *p, const struct sockaddr *pAddr, socklen_t addrLen);
/* Pooled plus being opened, for this address. */
int preconnect_pending(Preconnect *p, const struct sockaddr *pAddr, socklen_t addrLen);
void preconnect_counts(Preconnect *p, PreconnectCounts *pOut);

/* Bursts smaller than this are left to curl: a handful of connects costs less than waking the thread. */
#define PRECONNECT_MIN_BURST 8

/*
 * How many connections to ask for before nStarting requests start, when
 * nInFlight are under way and nOpen connections are open to the address:
 * the shortfall, or 0 when it is under PRECONNECT_MIN_BURST or the provider
 * multiplexes requests over shared connections (HTTP/2 or 3: curl would
 * leave the opened ones unused).
 */
int preconnect_shortfall(int nInFlight, int nStarting, int nOpen, int multiplexed);

/* 1 when a and b are the same IPv4/IPv6 address and port. */
int preconnect_same_addr(const struct sockaddr *a, socklen_t aLen, const struct sockaddr *b, socklen_t bLen);

#endif
