/* fuzz_template.c — libFuzzer target: parse the input as a mustache template and render it. */
/*
 * Build from the source tree with clang -fsanitize=fuzzer,address,undefined
 * -Isrc, this file, src/web/template.c, every .c file in src/lib and
 * -ljansson; run e.g. with -max_total_time=60.
 * The input is added twice, as "main" (rendered) and "self" (so {{>self}}
 * exercises the recursion guard), next to a fixed partial "p".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "web/template.h"

static const char zContext[] =
	"{\"name\": \"<b>x</b> & 'y'\", \"n\": 3, \"zero\": 0, \"r\": 1.5, \"t\": true,"
	" \"f\": false, \"nil\": null, \"s\": \"\", \"list\": [1, \"two\", {\"name\": \"three\"},"
	" [4, 5], null], \"obj\": {\"a\": {\"b\": \"c\"}, \"list\": []},"
	" \"tree\": {\"name\": \"root\", \"kids\": [{\"name\": \"leaf\", \"kids\": []}]}}";

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData)
{
	/* Parsed once per process and only read afterwards. */
	static json_t *pCtx;
	char *zSource = xmalloc(nData + 1);
	TplSet *pSet = tpl_set_new();
	Buf out = BUF_INIT;
	char zErr[256];

	if (!pCtx)
		pCtx = json_loads(zContext, 0, NULL);
	memcpy(zSource, aData, nData);
	zSource[nData] = 0;
	if (tpl_set_add(pSet, "p", "[{{#list}}{{.}},{{/list}}]\n  {{>self}}\n", zErr, sizeof(zErr)))
		abort(); /* the fixed partial must always parse */
	if (tpl_set_add(pSet, "main", zSource, zErr, sizeof(zErr)) == 0 &&
	    tpl_set_add(pSet, "self", zSource, zErr, sizeof(zErr)) == 0) {
		tpl_render(pSet, "main", pCtx, &out, zErr, sizeof(zErr));
		buf_reset(&out);
		tpl_render(pSet, "main", pCtx, &out, zErr, sizeof(zErr)); /* render twice from one parse */
		tpl_set_check_partials(pSet, zErr, sizeof(zErr));
	}
	buf_free(&out);
	tpl_set_free(pSet);
	free(zSource);
	return 0;
}
