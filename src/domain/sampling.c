/* sampling.c — seeded, reproducible choice of a percentage of scenario indexes. */
#include "domain/sampling.h"

#include <stdlib.h>

#include "lib/util.h"

int64_t sample_size(int64_t n, int pct)
{
	int64_t k;
	if (n <= 0)
		return 0;
	if (pct < SAMPLE_MIN_PCT)
		pct = SAMPLE_MIN_PCT;
	if (pct > SAMPLE_MAX_PCT)
		pct = SAMPLE_MAX_PCT;
	/* floor(n * pct / 100) without computing n * pct, which could overflow. */
	k = (n / 100) * pct + (n % 100) * pct / 100;
	return k < 1 ? 1 : k;
}

/* A uniform draw in [0, bound) from the splitmix64 stream, without modulo bias. */
static uint64_t draw_below(uint64_t *pState, uint64_t bound)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
	uint64_t r;
	do {
		r = prng_splitmix64(pState);
	} while (r >= limit);
	return r % bound;
}

/* qsort comparator for ascending int64_t. */
static int compare_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int64_t *sample_pick(int64_t n, int pct, uint64_t seed, int64_t *pnPicked)
{
	int64_t *aIndex;
	int64_t k, i;
	uint64_t state = seed;

	*pnPicked = 0;
	if (n <= 0 || pct < SAMPLE_MIN_PCT || pct > SAMPLE_MAX_PCT)
		return NULL;
	k = sample_size(n, pct);
	aIndex = xmalloc((size_t)n * sizeof(int64_t));
	for (i = 0; i < n; i++)
		aIndex[i] = i;
	/* Partial Fisher-Yates: after step i, aIndex[0..i] is a uniform random sample. */
	for (i = 0; i < k && k < n; i++) {
		int64_t j = i + (int64_t)draw_below(&state, (uint64_t)(n - i));
		int64_t t = aIndex[i];
		aIndex[i] = aIndex[j];
		aIndex[j] = t;
	}
	qsort(aIndex, (size_t)k, sizeof(int64_t), compare_int64);
	if (k < n)
		aIndex = xrealloc(aIndex, (size_t)k * sizeof(int64_t));
	*pnPicked = k;
	return aIndex;
}
