/* test_lib.c — unit tests for src/lib: buffers, escaping, parsing, SHA-256, time, held log lines. */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/memory.h"
#include "lib/sha256.h"
#include "lib/timeutil.h"
#include "lib/util.h"
#include "check_main.h"

START_TEST(test_buf_printf_and_escape)
{
	Buf b = BUF_INIT;
	buf_printf(&b, "%d-%s", 42, "x");
	ck_assert_str_eq(buf_str(&b), "42-x");
	buf_reset(&b);
	buf_html_escape(&b, "<a href=\"x\">&'</a>", 18);
	ck_assert_str_eq(buf_str(&b), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
	buf_reset(&b);
	buf_url_escape(&b, "a b/c?d=é");
	ck_assert_str_eq(buf_str(&b), "a%20b%2Fc%3Fd%3D%C3%A9");
	buf_free(&b);
}
END_TEST

START_TEST(test_sha256_vectors)
{
	char zHex[65];
	sha256_hex("", 0, zHex);
	ck_assert_str_eq(zHex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, zHex);
	ck_assert_str_eq(zHex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, zHex);
	ck_assert_str_eq(zHex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(test_parse_int64)
{
	int64_t v;
	ck_assert_int_eq(parse_int64("42", 0, 100, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(parse_int64("101", 0, 100, &v), -1);
	ck_assert_int_eq(parse_int64("4x", 0, 100, &v), -1);
	ck_assert_int_eq(parse_int64("", 0, 100, &v), -1);
	ck_assert_int_eq(parse_int64(" 4", 0, 100, &v), -1);
	ck_assert_int_eq(parse_int64("99999999999999999999", 0, INT64_MAX, &v), -1);
}
END_TEST

START_TEST(test_time_iso_roundtrip)
{
	char z[TIME_ISO_LEN];
	time_t t;
	time_iso_from_epoch(z, 1795302460);
	ck_assert_str_eq(z, "2026-11-21T23:07:40Z");
	ck_assert_int_eq(time_parse_iso(z, &t), 0);
	ck_assert_int_eq((long)t, 1795302460L);
	ck_assert_int_eq(time_parse_iso("2026-13-01T00:00:00Z", &t), -1);
	ck_assert_int_eq(time_parse_iso("2026-11-21T23:07:40Zjunk", &t), -1);
}
END_TEST

START_TEST(test_random_hex_is_random)
{
	char a[65], b[65];
	ck_assert_int_eq(random_hex(a, 32), 0);
	ck_assert_int_eq(random_hex(b, 32), 0);
	ck_assert_int_eq((int)strlen(a), 64);
	ck_assert_str_ne(a, b);
}
END_TEST

/* prng_unit: the same seed gives the same draws, all in [0, 1), spread over the interval. */
START_TEST(test_prng_unit_is_uniform_in_unit_interval)
{
	uint64_t a = 42, b = 42, zero = 0;
	double sum = 0, lo = 1, hi = 0;
	int i, aBin[10] = {0};
	for (i = 0; i < 100000; i++) {
		double u = prng_unit(&a);
		ck_assert(u >= 0.0 && u < 1.0);
		ck_assert(u == prng_unit(&b));
		sum += u;
		lo = u < lo ? u : lo;
		hi = u > hi ? u : hi;
		aBin[(int)(u * 10)]++;
	}
	ck_assert(sum / 100000 > 0.49 && sum / 100000 < 0.51);
	ck_assert(lo < 0.001 && hi > 0.999);
	for (i = 0; i < 10; i++)
		ck_assert_int_gt(aBin[i], 9500);
	/* The draw is the generator's top 53 bits. */
	ck_assert(prng_unit(&zero) == (double)(prng_splitmix64(&(uint64_t){0}) >> 11) / 9007199254740992.0);
}
END_TEST

/* buf_json_string writes what json_dumps writes, and refuses what jansson refuses. */
START_TEST(test_json_string_matches_jansson)
{
	static const char *const azText[] = {
		"", "plain", "quote \" and backslash \\", "controls \b\f\n\r\t \x01 \x1f \x7f",
		"UTF-8: \xc3\xa9 \xe2\x80\x94 \xf0\x9f\x99\x82 \xef\xbf\xbf \xf4\x8f\xbf\xbf",
	};
	static const char *const azBad[] = {
		"\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "cut \xe2\x80", "\xff",
	};
	Buf b = BUF_INIT;
	for (size_t i = 0; i < sizeof(azText) / sizeof(azText[0]); i++) {
		json_t *p = json_string(azText[i]);
		char *zWant = json_dumps(p, JSON_ENCODE_ANY);
		buf_reset(&b);
		buf_puts(&b, "kept ");
		ck_assert_int_eq(buf_json_string(&b, azText[i]), 0);
		ck_assert_str_eq(b.z + 5, zWant);
		ck_assert(strncmp(b.z, "kept ", 5) == 0);
		free(zWant);
		json_decref(p);
	}
	for (size_t i = 0; i < sizeof(azBad) / sizeof(azBad[0]); i++) {
		ck_assert_ptr_null(json_string(azBad[i])); /* jansson refuses it too */
		buf_reset(&b);
		buf_puts(&b, "kept");
		ck_assert_int_eq(buf_json_string(&b, azBad[i]), -1);
		ck_assert_str_eq(buf_str(&b), "kept"); /* nothing appended */
	}
	ck_assert_int_eq(buf_json_string(&b, NULL), -1);
	ck_assert_str_eq(buf_str(&b), "kept");
	buf_free(&b);
}
END_TEST

/* Read what is waiting on a non-blocking pipe (0 when nothing is). */
static size_t read_pipe(int fd, char *z, size_t n)
{
	ssize_t got = read(fd, z, n - 1);
	z[got > 0 ? got : 0] = 0;
	return got > 0 ? (size_t)got : 0;
}

/* Secrets are redacted, once however often they are added, until cleared. */
START_TEST(test_log_redact_secrets)
{
	char *z;
	log_add_secret("sk-abc123");
	log_add_secret("sk-abc123"); /* a models.json reload adds the keys again */
	log_add_secret("abc");       /* too short to be a key: ignored */
	z = log_redact("key sk-abc123 and sk-abc123; abc");
	ck_assert_str_eq(z, "key [redacted] and [redacted]; abc");
	free(z);
	log_clear_secrets();
	z = log_redact("key sk-abc123");
	ck_assert_str_eq(z, "key sk-abc123");
	free(z);
}
END_TEST

/* One thread reloads secrets while another redacts (valuerankd's loop and database threads). */
static void *churn_secrets(void *pArg)
{
	char zKey[32];
	int i;
	(void)pArg;
	for (i = 0; i < 3000; i++) {
		snprintf(zKey, sizeof(zKey), "secret-%d", i);
		log_add_secret(zKey);
		if (i % 100 == 99)
			log_clear_secrets();
	}
	return NULL;
}

START_TEST(test_log_redact_while_secrets_change)
{
	pthread_t thread;
	int i;
	ck_assert_int_eq(pthread_create(&thread, NULL, churn_secrets, NULL), 0);
	for (i = 0; i < 3000; i++) {
		char *z = log_redact("a line that mentions secret-5 and secret-2999");
		ck_assert_ptr_nonnull(z);
		free(z);
	}
	pthread_join(thread, NULL);
	log_clear_secrets();
}
END_TEST

START_TEST(test_log_hold_and_flush)
{
	int aFd[2], saved = dup(STDERR_FILENO);
	char z[4096];
	ck_assert_int_eq(pipe(aFd), 0);
	ck_assert_int_eq(fcntl(aFd[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_ge(fcntl(aFd[1], F_SETPIPE_SZ, 1 << 20), 1 << 20); /* room for all held lines */
	dup2(aFd[1], STDERR_FILENO);
	log_setup("test", LOG_INFO);

	log_event(LOG_INFO, "direct", "n=%d", 1);
	ck_assert_uint_gt(read_pipe(aFd[0], z, sizeof(z)), 0);
	ck_assert_ptr_nonnull(strstr(z, "msg=\"direct\" n=1\n"));

	log_hold();
	log_event(LOG_INFO, "first", "n=%d", 2);
	log_event(LOG_WARN, "second", NULL);
	ck_assert_uint_eq(read_pipe(aFd[0], z, sizeof(z)), 0); /* held, not written */
	log_flush();
	ck_assert_uint_gt(read_pipe(aFd[0], z, sizeof(z)), 0);
	ck_assert_ptr_nonnull(strstr(z, "msg=\"first\" n=2\n"));
	ck_assert_ptr_nonnull(strstr(z, "level=warn component=test msg=\"second\"\n"));
	ck_assert(strstr(z, "first") < strstr(z, "second")); /* in order */
	ck_assert_uint_eq(read_pipe(aFd[0], z, sizeof(z)), 0); /* written once */

	/* Held lines go out when they fill the buffer, before any flush. */
	for (int i = 0; i < 1000; i++)
		log_event(LOG_INFO, "filler line to pass the limit", "i=%d", i);
	ck_assert_uint_gt(read_pipe(aFd[0], z, sizeof(z)), 0);
	while (read_pipe(aFd[0], z, sizeof(z)) > 0) {
	}
	log_release();
	ck_assert_uint_gt(read_pipe(aFd[0], z, sizeof(z)), 0); /* the rest, on release */
	while (read_pipe(aFd[0], z, sizeof(z)) > 0) {
	}
	log_event(LOG_INFO, "after", NULL);
	ck_assert_uint_gt(read_pipe(aFd[0], z, sizeof(z)), 0); /* direct again */
	ck_assert_ptr_nonnull(strstr(z, "msg=\"after\""));

	dup2(saved, STDERR_FILENO);
	close(saved);
	close(aFd[0]);
	close(aFd[1]);
}
END_TEST

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1 /* ASan has its own allocator: glibc's heaps are not in play */
#else
#define UNDER_ASAN 0
#endif

#define USE_BLOCKS 64
#define USE_BLOCK (128 * 1024)

/* On a new thread (a heap of its own): reserve 16 MiB, then allocate and touch 8 MiB; the page faults that took. */
static void *reserve_then_use(void *pArg)
{
	long *pFaults = pArg;
	void *ap[USE_BLOCKS];
	struct rusage before, after;
	size_t i, off;
	memory_reserve(16u * 1024u * 1024u);
	getrusage(RUSAGE_THREAD, &before);
	for (i = 0; i < USE_BLOCKS; i++) {
		volatile char *z = ap[i] = malloc(USE_BLOCK);
		for (off = 0; off < USE_BLOCK; off += 4096)
			z[off] = 2;
	}
	getrusage(RUSAGE_THREAD, &after);
	for (i = 0; i < USE_BLOCKS; i++)
		free(ap[i]);
	*pFaults = after.ru_minflt - before.ru_minflt;
	return NULL;
}

/*
 * The reserved memory is resident: using it takes no page faults. (Written
 * as malloc plus memset(0), the reserve became calloc, which touches none of
 * the fresh memory: 2,048 faults here.)
 */
START_TEST(test_memory_reserve_is_resident)
{
	pthread_t thread;
	long faults = -1;
	memory_keep_freed();
	ck_assert_int_eq(pthread_create(&thread, NULL, reserve_then_use, &faults), 0);
	pthread_join(thread, NULL);
	ck_assert_int_ge(faults, 0);
	if (!UNDER_ASAN)
		ck_assert_int_lt(faults, USE_BLOCKS * USE_BLOCK / 4096 / 10);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lib");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_buf_printf_and_escape);
	tcase_add_test(tc, test_sha256_vectors);
	tcase_add_test(tc, test_parse_int64);
	tcase_add_test(tc, test_time_iso_roundtrip);
	tcase_add_test(tc, test_random_hex_is_random);
	tcase_add_test(tc, test_prng_unit_is_uniform_in_unit_interval);
	tcase_add_test(tc, test_log_hold_and_flush);
	tcase_add_test(tc, test_log_redact_secrets);
	tcase_add_test(tc, test_log_redact_while_secrets_change);
	tcase_add_test(tc, test_json_string_matches_jansson);
	tcase_add_test(tc, test_memory_reserve_is_resident);
	suite_add_tcase(s, tc);
	return check_run(s);
}
