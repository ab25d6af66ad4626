/* fuzz_cookie.c — libFuzzer target for the Cookie header parser and percent-decoding. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *pData, size_t nData)
{
	char *z = malloc(nData + 1);
	ParamList l = {0};
	char *zDecoded;
	memcpy(z, pData, nData);
	z[nData] = 0;
	cookies_parse(&l, z);
	params_free(&l);
	zDecoded = url_decode(z, nData, 1, NULL);
	free(zDecoded);
	free(z);
	return 0;
}
