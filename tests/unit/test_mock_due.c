/* test_mock_due.c — unit tests for the mock's due-time heap: order, removal from any slot, popping only what is due. */
#include <check.h>
#include <stdlib.h>

#include "lib/util.h"
#include "mockllm/mock_due.h"
#include "check_main.h"

#define N 1000

/* The heap's invariant: every entry is due no earlier than its parent and knows its slot. */
static void assert_heap(const DueHeap *h)
{
	for (size_t i = 0; i < h->n; i++) {
		ck_assert_uint_eq(h->ap[i]->slot, i + 1);
		if (i > 0)
			ck_assert_int_le(h->ap[(i - 1) / 2]->dueNs, h->ap[i]->dueNs);
	}
}

START_TEST(test_pops_in_due_order)
{
	DueHeap h = DUE_HEAP_INIT;
	DueEntry *a = calloc(N, sizeof(*a));
	uint64_t rng = 7;
	int64_t last = -1;
	DueEntry *e;
	ck_assert_ptr_null(due_first(&h));
	for (int i = 0; i < N; i++) {
		a[i].dueNs = (int64_t)(prng_splitmix64(&rng) % 100000);
		due_push(&h, &a[i]);
	}
	assert_heap(&h);
	ck_assert_ptr_null(due_pop_due(&h, -1)); /* nothing is due before time 0 */
	while ((e = due_pop_due(&h, INT64_MAX)) != NULL) {
		ck_assert_int_ge(e->dueNs, last);
		ck_assert_uint_eq(e->slot, 0);
		last = e->dueNs;
	}
	ck_assert_uint_eq(h.n, 0);
	due_free(&h);
	free(a);
}
END_TEST

START_TEST(test_remove_from_any_slot)
{
	DueHeap h = DUE_HEAP_INIT;
	DueEntry *a = calloc(N, sizeof(*a));
	uint64_t rng = 11;
	size_t nLeft = N;
	for (int i = 0; i < N; i++) {
		a[i].dueNs = (int64_t)(prng_splitmix64(&rng) % 1000); /* many equal due times */
		due_push(&h, &a[i]);
	}
	/* Remove every third entry wherever it sits (a client that hung up). */
	for (int i = 0; i < N; i += 3) {
		due_remove(&h, &a[i]);
		ck_assert_uint_eq(a[i].slot, 0);
		nLeft--;
		assert_heap(&h);
	}
	ck_assert_uint_eq(h.n, nLeft);
	/* Pop only what is due by 500: all of it, and nothing later. */
	for (DueEntry *e; (e = due_pop_due(&h, 500)) != NULL;)
		ck_assert_int_le(e->dueNs, 500);
	for (size_t i = 0; i < h.n; i++)
		ck_assert_int_gt(h.ap[i]->dueNs, 500);
	assert_heap(&h);
	/* An entry added later but due earlier comes first. */
	DueEntry early = {0, 0};
	due_push(&h, &early);
	ck_assert_ptr_eq(due_first(&h), &early);
	due_free(&h);
	free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mock_due");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_pops_in_due_order);
	tcase_add_test(tc, test_remove_from_any_slot);
	suite_add_tcase(s, tc);
	return check_run(s);
}
