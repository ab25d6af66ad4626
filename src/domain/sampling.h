/* sampling.h — pick a reproducible subset of a run's scenarios (sample percentage and seed). */
#ifndef VR_SAMPLING_H
#define VR_SAMPLING_H

#include <stdint.h>

#define SAMPLE_MIN_PCT 1
#define SAMPLE_MAX_PCT 100

/*
 * Number of scenarios a sample of pct percent of n keeps:
 * max(1, floor(n * pct / 100)); 0 when n <= 0. pct is clamped to 1–100.
 * Never overflows.
 */
int64_t sample_size(int64_t n, int pct);

/*
 * Pick sample_size(n, pct) distinct scenario indexes from 0..n-1 with a
 * Fisher-Yates shuffle driven by splitmix64 seeded with `seed`, returned
 * sorted ascending in a new array of *pnPicked entries (caller frees).
 * The same (n, pct, seed) always gives the same subset; pct 100 gives every
 * index. Returns NULL with *pnPicked = 0 when n <= 0 or pct is outside
 * 1–100. Memory is O(n).
 */
int64_t *sample_pick(int64_t n, int pct, uint64_t seed, int64_t *pnPicked);

#endif
