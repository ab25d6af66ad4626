/* preconnect.c — a thread that opens TCP connections ahead of a burst of requests, for curl to take as already connected. */
#include "exec/preconnect.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Distinct provider addresses remembered; asks for more are ignored. */
#define PRE_ADDRS 64
/* Sockets pooled or being opened at once, over all addresses. */
#define PRE_MAX 4096

typedef struct PreAddr {
	struct sockaddr_storage sa;
	socklen_t len;
	int nAsk;     /* asked for, not yet being opened */
	int nOpening; /* connect() issued, not yet finished */
	int nPooled;
} PreAddr;

typedef struct PreSock {
	int fd;
	int iAddr;
	int64_t readyMono;
} PreSock;

struct Preconnect {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int started;
	int stop;
	int ttlMs, connectTimeoutMs;
	PreAddr aAddr[PRE_ADDRS];
	int nAddr;
	PreSock *aPool; /* oldest first */
	int nPool;
	PreconnectCounts counts;
};

int preconnect_same_addr(const struct sockaddr *a, socklen_t aLen, const struct sockaddr *b, socklen_t bLen)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET && aLen >= sizeof(struct sockaddr_in) && bLen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6 && aLen >= sizeof(struct sockaddr_in6) &&
	    bLen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
		return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

int preconnect_shortfall(int nInFlight, int nStarting, int nOpen, int multiplexed)
{
	int lack = nInFlight + nStarting - nOpen;
	if (multiplexed || nStarting < PRECONNECT_MIN_BURST || lack < PRECONNECT_MIN_BURST)
		return 0;
	return lack;
}

static int addr_usable(const struct sockaddr *a, socklen_t len)
{
	return (a->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) ||
	       (a->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6));
}

/* The slot of an address (mutex held); creates it when bCreate. -1 when unknown or full. */
static int addr_slot(Preconnect *p, const struct sockaddr *pAddr, socklen_t len, int bCreate)
{
	int i;
	for (i = 0; i < p->nAddr; i++)
		if (preconnect_same_addr((struct sockaddr *)&p->aAddr[i].sa, p->aAddr[i].len, pAddr, len))
			return i;
	if (!bCreate || p->nAddr == PRE_ADDRS || len > sizeof(p->aAddr[0].sa))
		return -1;
	memset(&p->aAddr[p->nAddr], 0, sizeof(p->aAddr[0]));
	memcpy(&p->aAddr[p->nAddr].sa, pAddr, len);
	p->aAddr[p->nAddr].len = len;
	return p->nAddr++;
}

static void pool_remove(Preconnect *p, int i)
{
	p->aAddr[p->aPool[i].iAddr].nPooled--;
	memmove(&p->aPool[i], &p->aPool[i + 1], (size_t)(p->nPool - i - 1) * sizeof(p->aPool[0]));
	p->nPool--;
}

/* Close pooled sockets older than the TTL (mutex held). */
static void pool_expire(Preconnect *p, int64_t now)
{
	while (p->nPool > 0 && now - p->aPool[0].readyMono >= p->ttlMs) {
		close(p->aPool[0].fd);
		pool_remove(p, 0);
		p->counts.nExpired++;
	}
}

/* A connect finished: pool the socket (fd >= 0) or count the failure. */
static void connect_done(Preconnect *p, int iAddr, int fd)
{
	pthread_mutex_lock(&p->mu);
	p->aAddr[iAddr].nOpening--;
	if (fd >= 0 && !p->stop) {
		p->aPool[p->nPool].fd = fd;
		p->aPool[p->nPool].iAddr = iAddr;
		p->aPool[p->nPool].readyMono = time_mono_ms();
		p->nPool++;
		p->aAddr[iAddr].nPooled++;
		p->counts.nOpened++;
	} else {
		if (fd >= 0)
			close(fd);
		else
			p->counts.nFailed++;
	}
	pthread_mutex_unlock(&p->mu);
}

/* Collect the connects that have finished among aPoll[0..*pn): pool or fail them, compact the array. */
static void collect(Preconnect *p, int iAddr, struct pollfd *aPoll, int *pn, int timeoutMs)
{
	int i, j = 0;
	if (poll(aPoll, (nfds_t)*pn, timeoutMs) <= 0)
		return;
	for (i = 0; i < *pn; i++) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (!aPoll[i].revents) {
			aPoll[j++] = aPoll[i];
			continue;
		}
		if (getsockopt(aPoll[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
			close(aPoll[i].fd);
			connect_done(p, iAddr, -1);
		} else {
			connect_done(p, iAddr, aPoll[i].fd);
		}
	}
	*pn = j;
}

/*
 * Open n connections to one address: issue every connect, pooling those
 * that finish at once and polling for the rest, so that a distant provider
 * costs one round trip for the lot.
 */
static void connect_batch(Preconnect *p, int iAddr, const struct sockaddr_storage *pSa, socklen_t len, int n)
{
	struct pollfd *aPoll = xcalloc((size_t)n, sizeof(*aPoll));
	int i, nPoll = 0;
	int64_t deadline;
	for (i = 0; i < n; i++) {
		int fd = socket(pSa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
		if (fd < 0) {
			connect_done(p, iAddr, -1);
			continue;
		}
		if (connect(fd, (const struct sockaddr *)pSa, len) == 0) {
			connect_done(p, iAddr, fd);
		} else if (errno == EINPROGRESS) {
			aPoll[nPoll].fd = fd;
			aPoll[nPoll].events = POLLOUT;
			aPoll[nPoll++].revents = 0;
			/* Loopback connects finish within microseconds: pool them while the rest are issued. */
			if (nPoll % 16 == 0)
				collect(p, iAddr, aPoll, &nPoll, 0);
		} else {
			close(fd);
			connect_done(p, iAddr, -1);
		}
	}
	deadline = time_mono_ms() + p->connectTimeoutMs;
	while (nPoll > 0) {
		int64_t left = deadline - time_mono_ms();
		if (left <= 0)
			break;
		collect(p, iAddr, aPoll, &nPoll, (int)(left < 100 ? left : 100));
		if (p->stop)
			break;
	}
	for (i = 0; i < nPoll; i++) {
		close(aPoll[i].fd);
		connect_done(p, iAddr, -1);
	}
	free(aPoll);
}

static void *preconnect_main(void *pArg)
{
	Preconnect *p = pArg;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		int i, iAddr = -1;
		int64_t now = time_mono_ms();
		pool_expire(p, now);
		for (i = 0; i < p->nAddr && iAddr < 0; i++)
			if (p->aAddr[i].nAsk > 0)
				iAddr = i;
		if (iAddr < 0) {
			if (p->nPool > 0)
				cond_wait_until_ms(&p->cond, &p->mu, p->aPool[0].readyMono + p->ttlMs);
			else
				pthread_cond_wait(&p->cond, &p->mu);
			continue;
		}
		{
			struct sockaddr_storage sa = p->aAddr[iAddr].sa;
			socklen_t len = p->aAddr[iAddr].len;
			int n = p->aAddr[iAddr].nAsk;
			p->aAddr[iAddr].nAsk = 0;
			p->aAddr[iAddr].nOpening += n;
			pthread_mutex_unlock(&p->mu);
			connect_batch(p, iAddr, &sa, len, n);
			pthread_mutex_lock(&p->mu);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

Preconnect *preconnect_start(int ttlMs, int connectTimeoutMs)
{
	Preconnect *p = xcalloc(1, sizeof(*p));
	p->ttlMs = ttlMs > 0 ? ttlMs : 1;
	p->connectTimeoutMs = connectTimeoutMs > 0 ? connectTimeoutMs : 1;
	p->aPool = xcalloc(PRE_MAX, sizeof(p->aPool[0]));
	pthread_mutex_init(&p->mu, NULL);
	cond_init_monotonic(&p->cond);
	if (pthread_create(&p->thread, NULL, preconnect_main, p) != 0) {
		preconnect_stop(p);
		return NULL;
	}
	p->started = 1;
	return p;
}

void preconnect_stop(Preconnect *p)
{
	int i;
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	if (p->started)
		pthread_join(p->thread, NULL);
	for (i = 0; i < p->nPool; i++)
		close(p->aPool[i].fd);
	free(p->aPool);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int preconnect_want(Preconnect *p, const struct sockaddr *pAddr, socklen_t addrLen, int n)
{
	int iAddr, have, total, i, asked = 0;
	if (!addr_usable(pAddr, addrLen) || n <= 0)
		return 0;
	pthread_mutex_lock(&p->mu);
	iAddr = addr_slot(p, pAddr, addrLen, 1);
	if (iAddr >= 0 && !p->stop) {
		PreAddr *a = &p->aAddr[iAddr];
		have = a->nAsk + a->nOpening + a->nPooled;
		for (i = 0, total = 0; i < p->nAddr; i++)
			total += p->aAddr[i].nAsk + p->aAddr[i].nOpening + p->aAddr[i].nPooled;
		asked = n - have;
		if (asked > PRE_MAX - total)
			asked = PRE_MAX - total;
		if (asked > 0) {
			a->nAsk += asked;
			p->counts.nAsked += asked;
			pthread_cond_signal(&p->cond);
		} else {
			asked = 0;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return asked;
}

/* 1 when a pooled socket is still open at the other end with nothing to read (a fresh connection). */
static int still_fresh(int fd)
{
	struct pollfd pfd;
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 0;
}

int preconnect_take(Preconnect *p, const struct sockaddr *pAddr, socklen_t addrLen)
{
	int fd = -1, iAddr;
	pthread_mutex_lock(&p->mu);
	pool_expire(p, time_mono_ms());
	iAddr = addr_slot(p, pAddr, addrLen, 0);
	while (fd < 0 && iAddr >= 0 && p->aAddr[iAddr].nPooled > 0) {
		int i;
		for (i = 0; p->aPool[i].iAddr != iAddr; i++) {
		}
		fd = p->aPool[i].fd;
		pool_remove(p, i);
		if (still_fresh(fd)) {
			p->counts.nTaken++;
		} else {
			/* The server closed it (or wrote to it) while it waited. */
			close(fd);
			fd = -1;
			p->counts.nExpired++;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return fd;
}

int preconnect_pending(Preconnect *p, const struct sockaddr *pAddr, socklen_t addrLen)
{
	int iAddr, n = 0;
	pthread_mutex_lock(&p->mu);
	iAddr = addr_slot(p, pAddr, addrLen, 0);
	if (iAddr >= 0)
		n = p->aAddr[iAddr].nAsk + p->aAddr[iAddr].nOpening + p->aAddr[iAddr].nPooled;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void preconnect_counts(Preconnect *p, PreconnectCounts *pOut)
{
	pthread_mutex_lock(&p->mu);
	*pOut = p->counts;
	pthread_mutex_unlock(&p->mu);
}
