/* test_exec_ratelimit.c — unit tests for the executor's token bucket and retry backoff. */
#include <check.h>
#include <stdlib.h>

#include "exec/ratelimit.h"
#include "check_main.h"

START_TEST(test_bucket_one_per_second_at_60_rpm)
{
	TokenBucket b;
	bucket_init(&b, 60, 1000);
	ck_assert_int_eq(bucket_available(&b, 1000), 1);
	ck_assert_int_eq(bucket_take(&b, 1000), 1);
	ck_assert_int_eq(bucket_take(&b, 1000), 0);
	ck_assert_int_eq(bucket_available(&b, 1500), 0);
	ck_assert_int_eq((int)bucket_wait_ms(&b, 1500), 501);
	ck_assert_int_eq(bucket_take(&b, 1999), 0);
	ck_assert_int_eq(bucket_take(&b, 2000), 1);
	/* A long idle time does not build a burst beyond one second's worth. */
	ck_assert_int_eq(bucket_available(&b, 100000), 1);
}
END_TEST

START_TEST(test_bucket_capacity_is_one_second)
{
	TokenBucket b;
	int n = 0;
	bucket_init(&b, 6000, 0);
	while (bucket_take(&b, 0))
		n++;
	ck_assert_int_eq(n, 100);
	/* 100 per second: one more every 10 ms. */
	ck_assert_int_eq(bucket_take(&b, 9), 0);
	ck_assert_int_eq(bucket_take(&b, 10), 1);
	ck_assert_int_eq(bucket_available(&b, 1000000), 100);
}
END_TEST

START_TEST(test_bucket_forced_take_makes_debt)
{
	TokenBucket b;
	bucket_init(&b, 60, 0);
	bucket_take_forced(&b, 0);
	bucket_take_forced(&b, 0);
	ck_assert_int_eq(bucket_available(&b, 0), 0);
	ck_assert_int_eq((int)bucket_wait_ms(&b, 0), 2001);
	/* Debt is capped at one capacity. */
	bucket_take_forced(&b, 0);
	bucket_take_forced(&b, 0);
	ck_assert_int_eq((int)bucket_wait_ms(&b, 0), 2001);
	ck_assert_int_eq(bucket_take(&b, 2001), 1);
}
END_TEST

START_TEST(test_bucket_set_rate_keeps_tokens_within_capacity)
{
	TokenBucket b;
	bucket_init(&b, 6000, 0);
	bucket_set_rate(&b, 60, 0);
	ck_assert_int_eq(bucket_available(&b, 0), 1);
	bucket_set_rate(&b, 0, 0); /* clamped to 1 per minute */
	ck_assert_int_eq(bucket_take(&b, 0), 1);
	ck_assert_int_eq((int)bucket_wait_ms(&b, 0), 60001);
}
END_TEST

START_TEST(test_backoff_grows_with_jitter_and_cap)
{
	/* Equal jitter: between half the step and the whole step. */
	ck_assert_int_eq((int)backoff_delay_ms(1, 1000, 60000, 0, 0.0), 500);
	ck_assert_int_eq((int)backoff_delay_ms(1, 1000, 60000, 0, 0.999999), 999);
	ck_assert_int_eq((int)backoff_delay_ms(2, 1000, 60000, 0, 0.0), 1000);
	ck_assert_int_eq((int)backoff_delay_ms(3, 1000, 60000, 0, 0.5), 3000);
	ck_assert_int_eq((int)backoff_delay_ms(4, 1000, 60000, 0, 0.0), 4000);
	ck_assert_int_eq((int)backoff_delay_ms(30, 1000, 60000, 0, 0.0), 30000);
	ck_assert_int_le((int)backoff_delay_ms(30, 1000, 60000, 0, 0.999999), 60000);
	/* Out-of-range jitter values are clamped. */
	ck_assert_int_eq((int)backoff_delay_ms(1, 1000, 60000, 0, -3), 500);
	ck_assert_int_le((int)backoff_delay_ms(1, 1000, 60000, 0, 7), 1000);
}
END_TEST

START_TEST(test_backoff_respects_retry_after)
{
	ck_assert_int_eq((int)backoff_delay_ms(1, 1000, 60000, 5000, 0.3), 5000);
	ck_assert_int_eq((int)backoff_delay_ms(1, 1000, 60000, 120000, 0.3), 120000);
	/* A Retry-After shorter than the backoff does not shorten it. */
	ck_assert_int_eq((int)backoff_delay_ms(4, 1000, 60000, 10, 0.0), 4000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exec_ratelimit");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_bucket_one_per_second_at_60_rpm);
	tcase_add_test(tc, test_bucket_capacity_is_one_second);
	tcase_add_test(tc, test_bucket_forced_take_makes_debt);
	tcase_add_test(tc, test_bucket_set_rate_keeps_tokens_within_capacity);
	tcase_add_test(tc, test_backoff_grows_with_jitter_and_cap);
	tcase_add_test(tc, test_backoff_respects_retry_after);
	suite_add_tcase(s, tc);
	return check_run(s);
}
