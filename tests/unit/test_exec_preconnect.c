/* test_exec_preconnect.c — unit tests for the thread that opens connections ahead of a burst (src/exec/preconnect.c). */
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "exec/preconnect.h"
#include "lib/timeutil.h"

/* A listening socket on 127.0.0.1 and an ephemeral port; its address in *pAddr. */
static int listen_loopback(struct sockaddr_in *pAddr)
{
	socklen_t len = sizeof(*pAddr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memset(pAddr, 0, sizeof(*pAddr));
	pAddr->sin_family = AF_INET;
	pAddr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)pAddr, sizeof(*pAddr)), 0);
	ck_assert_int_eq(listen(fd, 128), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)pAddr, &len), 0);
	return fd;
}

/* Wait (up to 5 s) until the thread has finished n connects, opened or failed. */
static PreconnectCounts wait_finished(Preconnect *p, int n)
{
	PreconnectCounts c;
	int64_t deadline = time_mono_ms() + 5000;
	for (;;) {
		preconnect_counts(p, &c);
		if (c.nOpened + c.nFailed >= n || time_mono_ms() > deadline)
			return c;
		usleep(1000);
	}
}

#define SA(a) ((const struct sockaddr *)&(a))

/* The listener's next connection is one the client side has closed without sending anything. */
static void assert_next_connection_closed(int lfd)
{
	char ch;
	int sfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	ck_assert_int_eq((int)read(sfd, &ch, 1), 0);
	close(sfd);
}

START_TEST(test_opens_and_hands_over_connected_sockets)
{
	struct sockaddr_in addr, peer;
	int lfd = listen_loopback(&addr), i, afd[5];
	Preconnect *p = preconnect_start(10000, 2000);
	PreconnectCounts c;
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(preconnect_want(p, SA(addr), sizeof(addr), 5), 5);
	c = wait_finished(p, 5);
	ck_assert_int_eq((int)c.nOpened, 5);
	ck_assert_int_eq(preconnect_pending(p, SA(addr), sizeof(addr)), 5);
	for (i = 0; i < 5; i++) {
		socklen_t len = sizeof(peer);
		afd[i] = preconnect_take(p, SA(addr), sizeof(addr));
		ck_assert_int_ge(afd[i], 0);
		/* Connected to the listener, and the server can accept it. */
		ck_assert_int_eq(getpeername(afd[i], (struct sockaddr *)&peer, &len), 0);
		ck_assert(preconnect_same_addr(SA(peer), len, SA(addr), sizeof(addr)));
		ck_assert_int_ge(accept(lfd, NULL, NULL), 0);
	}
	ck_assert_int_eq(preconnect_take(p, SA(addr), sizeof(addr)), -1);
	ck_assert_int_eq(preconnect_pending(p, SA(addr), sizeof(addr)), 0);
	preconnect_counts(p, &c);
	ck_assert_int_eq((int)c.nAsked, 5);
	ck_assert_int_eq((int)c.nTaken, 5);
	ck_assert_int_eq((int)c.nExpired, 0);
	ck_assert_int_eq((int)c.nFailed, 0);
	for (i = 0; i < 5; i++)
		close(afd[i]);
	preconnect_stop(p);
	close(lfd);
}
END_TEST

START_TEST(test_want_asks_only_for_the_shortfall)
{
	struct sockaddr_in addr;
	int lfd = listen_loopback(&addr);
	Preconnect *p = preconnect_start(10000, 2000);
	ck_assert_int_eq(preconnect_want(p, SA(addr), sizeof(addr), 3), 3);
	ck_assert_int_eq(preconnect_want(p, SA(addr), sizeof(addr), 5), 2);
	ck_assert_int_eq(preconnect_want(p, SA(addr), sizeof(addr), 4), 0);
	ck_assert_int_eq(preconnect_want(p, SA(addr), sizeof(addr), 0), 0);
	ck_assert_int_eq(preconnect_pending(p, SA(addr), sizeof(addr)), 5);
	wait_finished(p, 5);
	ck_assert_int_eq(preconnect_pending(p, SA(addr), sizeof(addr)), 5);
	preconnect_stop(p);
	close(lfd);
}
END_TEST

START_TEST(test_another_address_gets_nothing)
{
	struct sockaddr_in a, b;
	int la = listen_loopback(&a), lb = listen_loopback(&b);
	Preconnect *p = preconnect_start(10000, 2000);
	ck_assert_int_eq(preconnect_want(p, SA(a), sizeof(a), 2), 2);
	wait_finished(p, 2);
	ck_assert_int_eq(preconnect_take(p, SA(b), sizeof(b)), -1);
	ck_assert_int_eq(preconnect_pending(p, SA(b), sizeof(b)), 0);
	ck_assert_int_eq(preconnect_pending(p, SA(a), sizeof(a)), 2);
	preconnect_stop(p);
	close(la);
	close(lb);
}
END_TEST

START_TEST(test_unused_sockets_are_closed_after_the_ttl)
{
	struct sockaddr_in addr;
	PreconnectCounts c;
	int lfd = listen_loopback(&addr);
	Preconnect *p = preconnect_start(50, 2000);
	ck_assert_int_eq(preconnect_want(p, SA(addr), sizeof(addr), 3), 3);
	wait_finished(p, 3);
	usleep(300 * 1000);
	preconnect_counts(p, &c);
	ck_assert_int_eq((int)c.nExpired, 3);
	ck_assert_int_eq(preconnect_pending(p, SA(addr), sizeof(addr)), 0);
	ck_assert_int_eq(preconnect_take(p, SA(addr), sizeof(addr)), -1);
	/* The server sees the connection closed. */
	assert_next_connection_closed(lfd);
	preconnect_stop(p);
	close(lfd);
}
END_TEST

START_TEST(test_a_socket_the_server_closed_is_not_handed_over)
{
	struct sockaddr_in addr;
	PreconnectCounts c;
	int lfd = listen_loopback(&addr), sfd;
	Preconnect *p = preconnect_start(10000, 2000);
	ck_assert_int_eq(preconnect_want(p, SA(addr), sizeof(addr), 1), 1);
	wait_finished(p, 1);
	sfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	close(sfd);
	usleep(20 * 1000);
	ck_assert_int_eq(preconnect_take(p, SA(addr), sizeof(addr)), -1);
	preconnect_counts(p, &c);
	ck_assert_int_eq((int)c.nExpired, 1);
	ck_assert_int_eq((int)c.nTaken, 0);
	preconnect_stop(p);
	close(lfd);
}
END_TEST

START_TEST(test_refused_connections_count_as_failed)
{
	struct sockaddr_in addr;
	PreconnectCounts c;
	int lfd = listen_loopback(&addr);
	Preconnect *p = preconnect_start(10000, 2000);
	close(lfd); /* nothing listens on the port any more */
	ck_assert_int_eq(preconnect_want(p, SA(addr), sizeof(addr), 2), 2);
	c = wait_finished(p, 2);
	ck_assert_int_eq((int)c.nFailed, 2);
	ck_assert_int_eq((int)c.nOpened, 0);
	ck_assert_int_eq(preconnect_take(p, SA(addr), sizeof(addr)), -1);
	ck_assert_int_eq(preconnect_pending(p, SA(addr), sizeof(addr)), 0);
	preconnect_stop(p);
}
END_TEST

START_TEST(test_stop_closes_pooled_sockets)
{
	struct sockaddr_in addr;
	int lfd = listen_loopback(&addr);
	Preconnect *p = preconnect_start(10000, 2000);
	ck_assert_int_eq(preconnect_want(p, SA(addr), sizeof(addr), 1), 1);
	wait_finished(p, 1);
	preconnect_stop(p);
	assert_next_connection_closed(lfd);
	close(lfd);
	preconnect_stop(NULL);
}
END_TEST

START_TEST(test_addresses_compare_by_family_address_and_port)
{
	struct sockaddr_in a, b;
	struct sockaddr_in6 v6a, v6b;
	struct sockaddr unix_like;
	Preconnect *p = preconnect_start(10000, 2000);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(8091);
	b = a;
	ck_assert(preconnect_same_addr(SA(a), sizeof(a), SA(b), sizeof(b)));
	b.sin_port = htons(8092);
	ck_assert(!preconnect_same_addr(SA(a), sizeof(a), SA(b), sizeof(b)));
	b = a;
	b.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
	ck_assert(!preconnect_same_addr(SA(a), sizeof(a), SA(b), sizeof(b)));
	memset(&v6a, 0, sizeof(v6a));
	v6a.sin6_family = AF_INET6;
	v6a.sin6_addr = in6addr_loopback;
	v6a.sin6_port = htons(8091);
	v6b = v6a;
	ck_assert(preconnect_same_addr(SA(v6a), sizeof(v6a), SA(v6b), sizeof(v6b)));
	ck_assert(!preconnect_same_addr(SA(v6a), sizeof(v6a), SA(a), sizeof(a)));
	/* A truncated address is never the same as anything. */
	ck_assert(!preconnect_same_addr(SA(a), 4, SA(a), sizeof(a)));
	/* Only TCP over IPv4 and IPv6 is opened ahead. */
	memset(&unix_like, 0, sizeof(unix_like));
	unix_like.sa_family = AF_UNIX;
	ck_assert_int_eq(preconnect_want(p, &unix_like, sizeof(unix_like), 4), 0);
	ck_assert_int_eq(preconnect_want(p, SA(a), 4, 4), 0);
	preconnect_stop(p);
}
END_TEST

/* What the loop asks for before a burst: the shortfall, not for small bursts, never over HTTP/2. */
START_TEST(test_shortfall_before_a_burst)
{
	/* A run starts: 256 requests, 3 connections open (the health checks). */
	ck_assert_int_eq(preconnect_shortfall(0, 256, 3, 0), 253);
	/* Running: the next requests go out on connections already open. */
	ck_assert_int_eq(preconnect_shortfall(250, 6, 256, 0), 0);
	/* A small burst, or a small shortfall, is left to curl. */
	ck_assert_int_eq(preconnect_shortfall(0, PRECONNECT_MIN_BURST - 1, 0, 0), 0);
	ck_assert_int_eq(preconnect_shortfall(100, 50, 150 - PRECONNECT_MIN_BURST + 1, 0), 0);
	ck_assert_int_eq(preconnect_shortfall(100, 50, 150 - PRECONNECT_MIN_BURST, 0), PRECONNECT_MIN_BURST);
	/* Connections the provider closed while idle are opened again. */
	ck_assert_int_eq(preconnect_shortfall(0, 64, 0, 0), 64);
	/* Over HTTP/2 curl multiplexes: nothing is opened ahead. */
	ck_assert_int_eq(preconnect_shortfall(0, 256, 1, 1), 0);
}
END_TEST

static Suite *preconnect_suite(void)
{
	Suite *s = suite_create("exec_preconnect");
	TCase *tc = tcase_create("preconnect");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_opens_and_hands_over_connected_sockets);
	tcase_add_test(tc, test_want_asks_only_for_the_shortfall);
	tcase_add_test(tc, test_another_address_gets_nothing);
	tcase_add_test(tc, test_unused_sockets_are_closed_after_the_ttl);
	tcase_add_test(tc, test_a_socket_the_server_closed_is_not_handed_over);
	tcase_add_test(tc, test_refused_connections_count_as_failed);
	tcase_add_test(tc, test_stop_closes_pooled_sockets);
	tcase_add_test(tc, test_addresses_compare_by_family_address_and_port);
	tcase_add_test(tc, test_shortfall_before_a_burst);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(preconnect_suite());
}
