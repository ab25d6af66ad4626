/* test_csv.c — byte-exact tests of the CSV cell writer, file names, and the cost helpers. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "domain/cost.h"
#include "domain/csv.h"
#include "lib/buf.h"
#include "check_main.h"

/* Write one text cell into a fresh row and return a copy of the bytes (caller frees). */
static char *one_text_cell(const char *z)
{
	Buf b = BUF_INIT;
	int first = 1;
	csv_text(&b, z, &first);
	return buf_detach(&b);
}

#define CHECK_TEXT(zIn, zWant)                       \
	do {                                         \
		char *zGot = one_text_cell(zIn);     \
		ck_assert_str_eq(zGot ? zGot : "", zWant); \
		free(zGot);                          \
	} while (0)

START_TEST(test_text_quoting)
{
	CHECK_TEXT("plain", "plain");
	CHECK_TEXT("a,b", "\"a,b\"");
	CHECK_TEXT("say \"hi\"", "\"say \"\"hi\"\"\"");
	CHECK_TEXT("\"", "\"\"\"\"");
	CHECK_TEXT("line1\nline2", "\"line1\nline2\"");
	CHECK_TEXT("cr\rhere", "\"cr\rhere\"");
	CHECK_TEXT("semi;colon and 'single' quotes", "semi;colon and 'single' quotes");
	CHECK_TEXT("é ünïcode", "é ünïcode");
	CHECK_TEXT("", "");
	CHECK_TEXT(NULL, "");
}
END_TEST

START_TEST(test_formula_guard)
{
	CHECK_TEXT("=SUM(A1:A2)", "'=SUM(A1:A2)");
	CHECK_TEXT("+1", "'+1");
	CHECK_TEXT("-3", "'-3");
	CHECK_TEXT("@cmd", "'@cmd");
	CHECK_TEXT("\tx", "'\tx");
	CHECK_TEXT("\rx", "\"'\rx\"");
	CHECK_TEXT("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	CHECK_TEXT("a=b", "a=b");
	CHECK_TEXT(" =x", " =x");
}
END_TEST

START_TEST(test_numbers)
{
	Buf b = BUF_INIT;
	int first = 1;
	csv_int(&b, 0, &first);
	csv_int(&b, -3, &first);
	csv_int(&b, INT64_MAX, &first);
	csv_double(&b, 3.0, &first);
	csv_double(&b, -2.5, &first);
	csv_double(&b, 0.000123, &first);
	csv_double(&b, 1.5e-7, &first);
	csv_double(&b, 12.3456789, &first);
	csv_double(&b, 0.1 + 0.2, &first);
	csv_double(&b, 1e20, &first);
	csv_double(&b, -0.0, &first);
	csv_double(&b, 1e-20, &first);
	csv_double(&b, NAN, &first);
	csv_double(&b, INFINITY, &first);
	csv_double(&b, 0.5, &first);
	csv_null(&b, &first);
	csv_end_row(&b, &first);
	ck_assert_int_eq(first, 1);
	ck_assert_str_eq(buf_str(&b), "0,-3,9223372036854775807,3,-2.5,0.000123,0.00000015,12.345679,0.3,"
				      "100000000000000000000,0,0,,,0.5,\r\n");
	buf_free(&b);
}
END_TEST

START_TEST(test_whole_file)
{
	Buf b = BUF_INIT;
	int first = 1;
	csv_bom(&b);
	csv_text(&b, "run_id", &first);
	csv_text(&b, "response", &first);
	csv_text(&b, "cost_usd", &first);
	csv_end_row(&b, &first);
	csv_int(&b, 7, &first);
	csv_text(&b, "Rating: 4, \"final\"\n- done", &first);
	csv_double(&b, 0.00042, &first);
	csv_end_row(&b, &first);
	csv_int(&b, 8, &first);
	csv_null(&b, &first);
	csv_null(&b, &first);
	csv_end_row(&b, &first);
	static const char zWant[] = "\xEF\xBB\xBFrun_id,response,cost_usd\r\n"
				    "7,\"Rating: 4, \"\"final\"\"\n- done\",0.00042\r\n"
				    "8,,\r\n";
	ck_assert_uint_eq(b.n, sizeof zWant - 1);
	ck_assert_int_eq(memcmp(b.z, zWant, b.n), 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_filename)
{
	char z[64];
	csv_filename(z, sizeof z, 42, (time_t)1795302460); /* 2026-11-21T23:07:40Z */
	ck_assert_str_eq(z, "run_42_2026-11-21.csv");
	csv_filename(z, sizeof z, 1, (time_t)0);
	ck_assert_str_eq(z, "run_1_1970-01-01.csv");
	csv_filename(z, 12, 123456, (time_t)0); /* truncated, still terminated */
	ck_assert_str_eq(z, "run_123456_");
}
END_TEST

START_TEST(test_cost)
{
	ck_assert(fabs(cost_usd(1000000, 500000, 2.5, 10.0) - 7.5) < 1e-12);
	ck_assert(fabs(cost_usd(1234, 567, 0.15, 0.6) - (1234 * 0.15 / 1e6 + 567 * 0.6 / 1e6)) < 1e-15);
	ck_assert(cost_usd(0, 0, 1, 1) == 0.0);
	ck_assert(cost_is_known(cost_usd(0, 0, 0, 0))); /* free model: a real $0 */
	ck_assert(cost_usd(10, 10, COST_PRICE_UNKNOWN, 1.0) < 0);
	ck_assert(cost_usd(10, 10, 1.0, COST_PRICE_UNKNOWN) < 0);
	ck_assert(cost_usd(-1, 10, 1.0, 1.0) < 0);
	ck_assert(cost_usd(10, 10, NAN, 1.0) < 0);
	ck_assert(!cost_is_known(COST_UNKNOWN));
	ck_assert(!cost_is_known(NAN));

	char z[32];
	cost_format(z, sizeof z, COST_UNKNOWN);
	ck_assert_str_eq(z, "price unknown");
	cost_format(z, sizeof z, 0.0);
	ck_assert_str_eq(z, "$0.0000");
	cost_format(z, sizeof z, 0.00001);
	ck_assert_str_eq(z, "<$0.0001");
	cost_format(z, sizeof z, 1.23456);
	ck_assert_str_eq(z, "$1.2346");
}
END_TEST

START_TEST(test_words_and_tokens)
{
	ck_assert_int_eq(text_word_count(NULL), 0);
	ck_assert_int_eq(text_word_count(""), 0);
	ck_assert_int_eq(text_word_count("  \n\t "), 0);
	ck_assert_int_eq(text_word_count("one"), 1);
	ck_assert_int_eq(text_word_count(" Rating:\t4 \r\n**done** "), 3);
	ck_assert_int_eq(text_word_count("héllo wörld"), 2);

	ck_assert_int_eq(estimate_tokens(NULL), 0);
	ck_assert_int_eq(estimate_tokens(""), 0);
	ck_assert_int_eq(estimate_tokens("a"), 1);
	ck_assert_int_eq(estimate_tokens("abcd"), 1);
	ck_assert_int_eq(estimate_tokens("abcde"), 2);
	ck_assert_int_eq(estimate_tokens("éééé"), 1); /* 4 characters, 8 bytes */
	ck_assert_int_eq(estimate_tokens("ééééé"), 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("csv_cost");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_text_quoting);
	tcase_add_test(tc, test_formula_guard);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_whole_file);
	tcase_add_test(tc, test_filename);
	tcase_add_test(tc, test_cost);
	tcase_add_test(tc, test_words_and_tokens);
	suite_add_tcase(s, tc);
	return check_run(s);
}
