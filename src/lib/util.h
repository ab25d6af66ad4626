/* util.h — allocation, string and small helpers shared by every ValueRank program. */
#ifndef VR_UTIL_H
#define VR_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Allocation failure policy, stated once: ValueRank treats an out-of-memory
 * condition as fatal. x* allocators print one line and abort; callers never
 * check for NULL. Results are freed by the caller with free().
 */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *z);
char *xstrndup(const char *z, size_t n);

/* Copy at most n-1 bytes of zSrc into zDst and always terminate it. */
void str_copy(char *zDst, size_t n, const char *zSrc);

/* Case-insensitive ASCII comparison helpers. */
int str_ieq(const char *a, const char *b);
int str_starts_with(const char *z, const char *zPrefix);

/*
 * Parse a whole decimal integer in [lo, hi]. Returns 0 and stores the value
 * on success; -1 on empty text, trailing characters or out-of-range values.
 */
int parse_int64(const char *z, int64_t lo, int64_t hi, int64_t *pOut);
int parse_double(const char *z, double lo, double hi, double *pOut);

/* Fill out with n cryptographically random bytes (getrandom). 0 or -1. */
int random_bytes(void *out, size_t n);
/* Write 2*nBytes lowercase hex digits of random data plus NUL into zOut. */
int random_hex(char *zOut, size_t nBytes);

/* Seeded deterministic pseudo-random generator (splitmix64), for expansion and sampling. */
uint64_t prng_splitmix64(uint64_t *pState);
/* The next prng_splitmix64() draw as a double in [0, 1), from its top 53 bits. */
double prng_unit(uint64_t *pState);
/* What each prng_splitmix64() call adds to the state (for threads that share one by atomic adds). */
#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15ULL
/* 64-bit FNV-1a hash of n bytes, continuing from h (start with PRNG_FNV_OFFSET). */
#define PRNG_FNV_OFFSET 1469598103934665603ULL
uint64_t hash_fnv1a(uint64_t h, const void *p, size_t n);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
