/* transfer.c — the event loop's curl multi handle driven from epoll, HTTP exchanges on it, and its memory of recent cacheable responses. */
#include "exec/exec_internal.h"
#include "exec/preconnect.h"
#include "lib/log.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "config.h"

static MemoSlot *memo_slot(struct Loop *L, const char *zHash)
{
	unsigned h = 0;
	int i;
	/* The hash is hex SHA-256: its first digits are already uniform. */
	for (i = 0; i < 4 && zHash[i]; i++)
		h = h * 16 + (unsigned)(zHash[i] <= '9' ? zHash[i] - '0' : zHash[i] - 'a' + 10);
	return &L->aMemo[h % MEMO_SLOTS];
}

const char *loop_memo_get(struct Loop *L, int64_t runId, const char *zHash)
{
	MemoSlot *m = memo_slot(L, zHash);
	return m->zBody && m->runId == runId && strcmp(m->zHash, zHash) == 0 ? m->zBody : NULL;
}

void loop_memo_put(struct Loop *L, int64_t runId, const char *zHash, const char *zBody, size_t nBody)
{
	MemoSlot *m = memo_slot(L, zHash);
	free(m->zBody);
	m->runId = runId;
	str_copy(m->zHash, sizeof(m->zHash), zHash);
	m->zBody = xstrndup(zBody, nBody);
}

/* ---- driving curl from epoll ------------------------------------------ */

/*
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * call it back without socket activity (CURLMOPT_TIMERFUNCTION). With
 * hundreds of requests in flight this costs work per event, where
 * curl_multi_perform() and curl_multi_poll() would walk every transfer on
 * every wake-up.
 *
 * A connection goes back to curl's pool after every answer (CURL_POLL_REMOVE)
 * and is watched again for the next request on it. Each change to the epoll
 * set is a system call, so the set is changed only when it must be: a pooled
 * connection stays in it, watched for input, and the next request's
 * CURL_POLL_IN costs nothing. Should a pooled connection become readable
 * (the server closed it), it is taken out of the set then. A new socket
 * starts with no state (CURLOPT_OPENSOCKETFUNCTION), since the kernel
 * removed a closed descriptor of that number from the set when it was
 * closed.
 *
 * The loop also counts the sockets curl holds per provider address
 * (CURLOPT_OPENSOCKETFUNCTION and CURLOPT_CLOSESOCKETFUNCTION), so that
 * sched_dispatch() can ask the preconnect thread (preconnect.c) for the
 * connections a burst of requests is about to need, and hands curl a
 * pooled, already connected socket when there is one.
 */
#define FD_IN_SET 0x01       /* registered in the epoll set */
#define FD_EV_IN 0x02        /* ... for input */
#define FD_EV_OUT 0x04       /* ... for output */
#define FD_CURL 0x08         /* curl is watching it (not a pooled, idle connection) */
#define FD_PRECONNECTED 0x10 /* from the preconnect pool: curl must not connect it again */
#define FD_WATCH_BITS (FD_IN_SET | FD_EV_IN | FD_EV_OUT)
#define FD_ADDR_SHIFT 8      /* bits 8-15: 1 + its slot in L->aConnAddr; 0 not counted */

static uint16_t *fd_state(struct Loop *L, curl_socket_t fd)
{
	if (fd < 0)
		return NULL;
	if (fd >= L->nFdState) {
		int n = L->nFdState ? L->nFdState : 256;
		while (n <= fd)
			n *= 2;
		L->aFdState = xrealloc(L->aFdState, (size_t)n * sizeof(L->aFdState[0]));
		memset(L->aFdState + L->nFdState, 0, (size_t)(n - L->nFdState) * sizeof(L->aFdState[0]));
		L->nFdState = n;
	}
	return &L->aFdState[fd];
}

static int on_curl_socket(CURL *e, curl_socket_t fd, int what, void *pArg, void *pSocketArg)
{
	struct Loop *L = pArg;
	struct epoll_event ev;
	uint16_t *pState = fd_state(L, fd), want;
	(void)e;
	(void)pSocketArg;
	if (!pState)
		return 0;
	if (what == CURL_POLL_REMOVE) {
		*pState &= (uint16_t)~FD_CURL;
		return 0;
	}
	want = (uint16_t)(FD_IN_SET | ((what & CURL_POLL_IN) ? FD_EV_IN : 0) | ((what & CURL_POLL_OUT) ? FD_EV_OUT : 0));
	if ((*pState & FD_WATCH_BITS) == want) {
		*pState |= FD_CURL;
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.data.fd = fd;
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
	if (epoll_ctl(L->epollFd, (*pState & FD_IN_SET) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0 &&
	    epoll_ctl(L->epollFd, (*pState & FD_IN_SET) ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) != 0) {
		log_event(LOG_ERROR, "cannot watch a connection", "errno=%d", errno);
		*pState &= (uint16_t)~(FD_WATCH_BITS | FD_CURL);
		return 0;
	}
	*pState = (uint16_t)((*pState & ~(FD_WATCH_BITS | FD_CURL)) | want | FD_CURL);
	return 0;
}

/* The slot of a provider address in L->aConnAddr, added when new; -1 when the table is full. */
static int conn_addr_slot(struct Loop *L, const struct sockaddr *pAddr, socklen_t len)
{
	int i;
	for (i = 0; i < L->nConnAddr; i++)
		if (preconnect_same_addr((struct sockaddr *)&L->aConnAddr[i].sa, L->aConnAddr[i].len, pAddr, len))
			return i;
	if (L->nConnAddr == CONN_ADDRS || len > sizeof(L->aConnAddr[0].sa))
		return -1;
	memset(&L->aConnAddr[i], 0, sizeof(L->aConnAddr[i]));
	memcpy(&L->aConnAddr[i].sa, pAddr, len);
	L->aConnAddr[i].len = len;
	return L->nConnAddr++;
}

/*
 * curl wants a socket for a new connection of transfer pArg: a pooled,
 * already connected one for this address when the preconnect thread has
 * one, else a new socket. Either way it is counted against its address.
 */
static curl_socket_t on_curl_open_socket(void *pArg, curlsocktype purpose, struct curl_sockaddr *a)
{
	Transfer *t = pArg;
	struct Loop *L = t->pLoop;
	curl_socket_t fd = CURL_SOCKET_BAD;
	uint16_t *pState;
	int iAddr = -1, pre = 0;
	if (purpose == CURLSOCKTYPE_IPCXN && a->socktype == SOCK_STREAM) {
		iAddr = conn_addr_slot(L, &a->addr, a->addrlen);
		t->pProv->iConnAddr = iAddr + 1;
		if (L->pPre && iAddr >= 0) {
			fd = preconnect_take(L->pPre, &a->addr, a->addrlen);
			pre = fd != CURL_SOCKET_BAD;
		}
	}
	if (fd == CURL_SOCKET_BAD)
		fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	pState = fd_state(L, fd);
	if (!pState)
		return fd;
	*pState = (uint16_t)((pre ? FD_PRECONNECTED : 0) | (iAddr >= 0 ? (iAddr + 1) << FD_ADDR_SHIFT : 0));
	if (iAddr >= 0)
		L->aConnAddr[iAddr].nOpen++;
	return fd;
}

/* curl is done with a socket it opened through on_curl_open_socket. */
static int on_curl_close_socket(void *pArg, curl_socket_t fd)
{
	struct Loop *L = pArg;
	uint16_t *pState = fd_state(L, fd);
	if (pState) {
		int iAddr = (*pState >> FD_ADDR_SHIFT) - 1;
		if (iAddr >= 0 && iAddr < L->nConnAddr)
			L->aConnAddr[iAddr].nOpen--;
		*pState = 0;
	}
	return close(fd);
}

/* A socket taken from the preconnect pool is connected already: curl must not connect it. */
static int on_curl_sockopt(void *pArg, curl_socket_t fd, curlsocktype purpose)
{
	uint16_t *pState = fd_state(pArg, fd);
	(void)purpose;
	if (pState && (*pState & FD_PRECONNECTED)) {
		*pState &= (uint16_t)~FD_PRECONNECTED;
		return CURL_SOCKOPT_ALREADY_CONNECTED;
	}
	return CURL_SOCKOPT_OK;
}

/* An event on a socket curl is not watching (an idle pooled connection): stop watching it. 1 if so. */
static int unwatched_event(struct Loop *L, int fd)
{
	uint16_t *pState = fd_state(L, fd);
	if (!pState || (*pState & FD_CURL))
		return 0;
	epoll_ctl(L->epollFd, EPOLL_CTL_DEL, fd, NULL);
	*pState &= (uint16_t)~FD_WATCH_BITS;
	return 1;
}

/* Before a burst of n more requests to provider pr starts, ask the preconnect thread for the connections its address lacks. */
void loop_preconnect(struct Loop *L, ProviderRt *pr, int n)
{
	ConnAddr *ca;
	int lack;
	if (!L->pPre || pr->iConnAddr <= 0 || pr->iConnAddr > L->nConnAddr)
		return;
	ca = &L->aConnAddr[pr->iConnAddr - 1];
	lack = preconnect_shortfall(pr->inFlight, n, ca->nOpen, pr->multiplexed);
	if (lack > 0)
		preconnect_want(L->pPre, (struct sockaddr *)&ca->sa, ca->len, lack);
}

static int on_curl_timer(CURLM *pMulti, long timeoutMs, void *pArg)
{
	struct Loop *L = pArg;
	(void)pMulti;
	L->curlTimerDue = timeoutMs < 0 ? -1 : time_mono_ms() + timeoutMs;
	return 0;
}

/* Watch fd for input in the loop's epoll set. 0 or -1. */
static int epoll_watch(int epollFd, int fd)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	return epoll_ctl(epollFd, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * Socket events taken per epoll_wait(). Each is handled, and its finished
 * transfers replaced, before the next (loop_after_socket), so the size only
 * sets how many events one system call returns: 128 measured the same.
 */
#define EPOLL_BATCH 32

void loop_send_due(struct Loop *L)
{
	int running = 0;
	if (L->curlTimerDue >= 0 && L->curlTimerDue <= time_mono_ms()) {
		L->curlTimerDue = -1;
		curl_multi_socket_action(L->pMulti, CURL_SOCKET_TIMEOUT, 0, &running);
	}
}

/*
 * Wait up to timeoutMs for sockets, signals, database replies or curl's
 * timer, and hand socket events and expired timers to curl. After each
 * socket event, loop_after_socket() finishes what completed and sends the
 * replacements at once.
 */
void wait_and_drive_curl(struct Loop *L, int timeoutMs)
{
	struct epoll_event aEv[EPOLL_BATCH];
	int i, n, running = 0;
	int64_t now;
	/* Transfers just added are due at once: send them before reading a batch of answers. */
	loop_send_due(L);
	now = time_mono_ms();
	if (L->curlTimerDue >= 0 && L->curlTimerDue - now < timeoutMs)
		timeoutMs = L->curlTimerDue <= now ? 0 : (int)(L->curlTimerDue - now);
	loop_hand_over(L); /* this iteration's outcomes, under one lock */
	log_flush();       /* and its lines, in one write, before sleeping */
	n = epoll_wait(L->epollFd, aEv, (int)ARRAY_SIZE(aEv), timeoutMs < 0 ? 0 : timeoutMs);
	for (i = 0; i < n; i++) {
		int fd = aEv[i].data.fd, flags = 0;
		if (fd == L->shared.wakeFd) {
			uint64_t v;
			/* One read takes an eventfd's whole count. */
			if (read(fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: already taken */
			}
			continue;
		}
		if (fd == L->signalFd)
			continue; /* drained at the top of the loop */
		if (fd == L->walWatchFd) {
			if (walwatch_drain(L) && L->watchWanted)
				dbshared_look_now(&L->shared);
			continue;
		}
		if (unwatched_event(L, fd))
			continue;
		if (aEv[i].events & EPOLLIN)
			flags |= CURL_CSELECT_IN;
		if (aEv[i].events & EPOLLOUT)
			flags |= CURL_CSELECT_OUT;
		if (aEv[i].events & (EPOLLERR | EPOLLHUP))
			flags |= CURL_CSELECT_ERR;
		curl_multi_socket_action(L->pMulti, fd, flags, &running);
		loop_after_socket(L);
	}
	loop_send_due(L); /* curl's timer: timeouts, and transfers started above */
}

int loop_events_open(struct Loop *L, int signalFd)
{
	L->pMulti = curl_multi_init();
	if (!L->pMulti)
		return -1;
	curl_multi_setopt(L->pMulti, CURLMOPT_MAXCONNECTS, (long)(L->maxInFlight * 2 + 16));
	curl_multi_setopt(L->pMulti, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(L->pMulti, CURLMOPT_SOCKETDATA, L);
	curl_multi_setopt(L->pMulti, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(L->pMulti, CURLMOPT_TIMERDATA, L);
	L->curlTimerDue = -1;
	L->signalFd = signalFd;
	L->epollFd = epoll_create1(EPOLL_CLOEXEC);
	L->shared.wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (L->epollFd < 0 || L->shared.wakeFd < 0 || epoll_watch(L->epollFd, L->shared.wakeFd) ||
	    epoll_watch(L->epollFd, signalFd))
		return -1;
	return 0;
}

/* ---- transfers ---------------------------------------------------------- */

static size_t on_body(char *pData, size_t size, size_t n, void *pArg)
{
	Transfer *t = pArg;
	size_t len = size * n;
	if (t->body.n + len > MAX_RESPONSE_BYTES) {
		t->tooBig = 1;
		return 0;
	}
	buf_append(&t->body, pData, len);
	return len;
}

static size_t on_header(char *pData, size_t size, size_t n, void *pArg)
{
	Transfer *t = pArg;
	size_t len = size * n;
	if (t->headers.n + len <= 65536)
		buf_append(&t->headers, pData, len);
	return len;
}

Transfer *loop_transfer_new(struct Loop *L, TransferKind kind)
{
	Transfer *t = xcalloc(1, sizeof(*t));
	t->pLoop = L;
	t->kind = kind;
	/* Room for a typical answer and its headers without regrowing. */
	buf_reserve(&t->body, 4096);
	buf_reserve(&t->headers, 1024);
	return t;
}

/*
 * A new easy handle with the options every transfer shares. Finished
 * handles go back to a pool as they are (no curl_easy_reset, which frees and
 * rebuilds every option): loop_transfer_start sets each option that differs
 * between transfers, and loop_transfer_free clears the ones that point into
 * the transfer.
 */
static CURL *easy_new(struct Loop *L)
{
	CURL *e = curl_easy_init();
	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_curl_open_socket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_curl_close_socket);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, L);
	curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_curl_sockopt);
	curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "valuerankd/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	return e;
}

int loop_transfer_start(struct Loop *L, Transfer *t, long timeoutMs)
{
	CURL *e = L->nEasy > 0 ? L->apEasy[--L->nEasy] : easy_new(L);
	int i;
	if (!e) {
		loop_transfer_free(L, t);
		return -1;
	}
	t->pEasy = e;
	for (i = 0; i < t->spec.nHeader; i++)
		t->pHeaders = curl_slist_append(t->pHeaders, t->spec.azHeader[i]);
	t->pHeaders = curl_slist_append(t->pHeaders, "Expect:");
	curl_easy_setopt(e, CURLOPT_URL, t->spec.zUrl);
	if (t->spec.zBody) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->spec.zBody);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(t->spec.zBody));
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->pHeaders);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeoutMs > 0 ? timeoutMs : 300000L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeoutMs > 0 && timeoutMs < 30000 ? timeoutMs : 30000L);
	t->startMono = time_mono_ms();
	if (curl_multi_add_handle(L->pMulti, e) != CURLM_OK) {
		loop_transfer_free(L, t);
		return -1;
	}
	return 0;
}

void loop_transfer_free(struct Loop *L, Transfer *t)
{
	if (!t)
		return;
	if (t->pEasy) {
		curl_multi_remove_handle(L->pMulti, t->pEasy);
		if (L->nEasy < EASY_POOL_MAX) {
			/* Nothing of this transfer may stay reachable from the pooled handle. */
			curl_easy_setopt(t->pEasy, CURLOPT_POSTFIELDS, NULL);
			curl_easy_setopt(t->pEasy, CURLOPT_HTTPHEADER, NULL);
			curl_easy_setopt(t->pEasy, CURLOPT_WRITEDATA, NULL);
			curl_easy_setopt(t->pEasy, CURLOPT_HEADERDATA, NULL);
			curl_easy_setopt(t->pEasy, CURLOPT_PRIVATE, NULL);
			curl_easy_setopt(t->pEasy, CURLOPT_OPENSOCKETDATA, NULL);
			L->apEasy[L->nEasy++] = t->pEasy;
		} else {
			curl_easy_cleanup(t->pEasy);
		}
	}
	curl_slist_free_all(t->pHeaders);
	http_request_spec_free(&t->spec);
	buf_free(&t->body);
	buf_free(&t->headers);
	free(t);
}

