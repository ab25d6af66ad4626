/* util.c — allocation wrappers, string helpers, randomness and hashing. */
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static void oom(size_t n)
{
	fprintf(stderr, "level=fatal component=alloc msg=\"out of memory\" bytes=%zu\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *z)
{
	return xstrndup(z, strlen(z));
}

char *xstrndup(const char *z, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, z, n);
	p[n] = 0;
	return p;
}

void str_copy(char *zDst, size_t n, const char *zSrc)
{
	size_t len;
	if (n == 0)
		return;
	len = strlen(zSrc);
	if (len >= n)
		len = n - 1;
	memcpy(zDst, zSrc, len);
	zDst[len] = 0;
}

int str_ieq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

int str_starts_with(const char *z, const char *zPrefix)
{
	return strncmp(z, zPrefix, strlen(zPrefix)) == 0;
}

int parse_int64(const char *z, int64_t lo, int64_t hi, int64_t *pOut)
{
	char *zEnd;
	long long v;
	if (!z || !*z || isspace((unsigned char)*z))
		return -1;
	errno = 0;
	v = strtoll(z, &zEnd, 10);
	if (errno || *zEnd || v < lo || v > hi)
		return -1;
	*pOut = v;
	return 0;
}

int parse_double(const char *z, double lo, double hi, double *pOut)
{
	char *zEnd;
	double v;
	if (!z || !*z || isspace((unsigned char)*z))
		return -1;
	errno = 0;
	v = strtod(z, &zEnd);
	if (errno || *zEnd || !isfinite(v) || v < lo || v > hi)
		return -1;
	*pOut = v;
	return 0;
}

int random_bytes(void *out, size_t n)
{
	unsigned char *p = out;
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int random_hex(char *zOut, size_t nBytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[64];
	size_t i;
	if (nBytes > sizeof(buf) || random_bytes(buf, nBytes))
		return -1;
	for (i = 0; i < nBytes; i++) {
		zOut[2 * i] = hex[buf[i] >> 4];
		zOut[2 * i + 1] = hex[buf[i] & 15];
	}
	zOut[2 * nBytes] = 0;
	return 0;
}

uint64_t prng_splitmix64(uint64_t *pState)
{
	uint64_t z = (*pState += SPLITMIX_GAMMA);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double prng_unit(uint64_t *pState)
{
	return (double)(prng_splitmix64(pState) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t hash_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;
	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}
