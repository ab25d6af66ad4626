/* sha256.h — SHA-256 for hashing session and API tokens and cache keys. */
#ifndef VR_SHA256_H
#define VR_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct Sha256 {
	uint32_t h[8];
	uint64_t nBits;
	unsigned char block[64];
	size_t nBlock;
} Sha256;

void sha256_init(Sha256 *c);
void sha256_update(Sha256 *c, const void *p, size_t n);
void sha256_final(Sha256 *c, unsigned char out[32]);
/* Hash n bytes and write 64 lowercase hex digits plus NUL into zHex. */
void sha256_hex(const void *p, size_t n, char zHex[65]);

#endif
