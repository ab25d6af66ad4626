/* fuzz_request.c — libFuzzer target for request parsing: URL, query, cookies and bodies of every type. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/web.h"

/*
 * The input is split at the first three NUL-free 0x01 bytes into URI, Cookie
 * header, Content-Type and body, so one corpus exercises every parser.
 */
int LLVMFuzzerTestOneInput(const uint8_t *pData, size_t nData)
{
	char *z = malloc(nData + 1);
	char *azPart[4] = {0};
	size_t i, start = 0;
	int nPart = 0;
	RequestInput in;
	Request r;
	char zErr[256];
	char zLen[32];
	memcpy(z, pData, nData);
	z[nData] = 0;
	for (i = 0; i <= nData && nPart < 3; i++) {
		if (i == nData || z[i] == 1) {
			z[i] = 0;
			azPart[nPart++] = z + start;
			start = i + 1;
		}
	}
	memset(&in, 0, sizeof(in));
	memset(&r, 0, sizeof(r));
	in.zMethod = "POST";
	in.zRequestUri = azPart[0] ? azPart[0] : "/";
	in.zCookie = azPart[1];
	in.zContentType = azPart[2] ? azPart[2] : "application/x-www-form-urlencoded";
	if (start <= nData) {
		in.pBody = z + start;
		in.nBody = nData - start;
	}
	snprintf(zLen, sizeof(zLen), "%zu", in.nBody);
	in.zContentLength = zLen;
	request_parse(&r, &in, zErr, sizeof(zErr));
	request_free(&r);
	free(z);
	return 0;
}
