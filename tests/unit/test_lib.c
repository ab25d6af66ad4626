/* test_lib.c — unit tests for src/lib: buffers, escaping, parsing, SHA-256, time. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/sha256.h"
#include "lib/timeutil.h"
#include "lib/util.h"

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

int main(void)
{
	Suite *s = suite_create("lib");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nFailed;
	tcase_add_test(tc, test_buf_printf_and_escape);
	tcase_add_test(tc, test_sha256_vectors);
	tcase_add_test(tc, test_parse_int64);
	tcase_add_test(tc, test_time_iso_roundtrip);
	tcase_add_test(tc, test_random_hex_is_random);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nFailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nFailed ? EXIT_FAILURE : EXIT_SUCCESS;
}
