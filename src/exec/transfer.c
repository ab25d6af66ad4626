/* transfer.c — HTTP exchanges on the event loop's curl multi handle, and its memory of recent cacheable responses. */
#include "exec/exec_internal.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"

static MemoSlot *memo_slot(struct Loop *L, const char *zHash)
{
	unsigned h = 0;
	int i;
	/* The hash is hex SHA-256: its first digits are already uniform. */
	for (i = 0; i < 4 && zHash[i]; i++)
		h = h * 16 + (unsigned)(zHash[i] <= '9' ? zHash[i] - '0' : zHash[i] - 'a' + 10);
	return &L->aMemo[h % MEMO_SLOTS];
}

const char *loop_memo_get(struct Loop *L, int64_t runId, const char *zHash)
{
	MemoSlot *m = memo_slot(L, zHash);
	return m->zBody && m->runId == runId && strcmp(m->zHash, zHash) == 0 ? m->zBody : NULL;
}

void loop_memo_put(struct Loop *L, int64_t runId, const char *zHash, const char *zBody, size_t nBody)
{
	MemoSlot *m = memo_slot(L, zHash);
	free(m->zBody);
	m->runId = runId;
	str_copy(m->zHash, sizeof(m->zHash), zHash);
	m->zBody = xstrndup(zBody, nBody);
}

/* ---- transfers ---------------------------------------------------------- */

static size_t on_body(char *pData, size_t size, size_t n, void *pArg)
{
	Transfer *t = pArg;
	size_t len = size * n;
	if (t->body.n + len > MAX_RESPONSE_BYTES) {
		t->tooBig = 1;
		return 0;
	}
	buf_append(&t->body, pData, len);
	return len;
}

static size_t on_header(char *pData, size_t size, size_t n, void *pArg)
{
	Transfer *t = pArg;
	size_t len = size * n;
	if (t->headers.n + len <= 65536)
		buf_append(&t->headers, pData, len);
	return len;
}

Transfer *loop_transfer_new(struct Loop *L, TransferKind kind)
{
	Transfer *t = xcalloc(1, sizeof(*t));
	(void)L;
	t->kind = kind;
	/* Room for a typical answer and its headers without regrowing. */
	buf_reserve(&t->body, 4096);
	buf_reserve(&t->headers, 1024);
	return t;
}

int loop_transfer_start(struct Loop *L, Transfer *t, long timeoutMs)
{
	CURL *e = L->nEasy > 0 ? L->apEasy[--L->nEasy] : curl_easy_init();
	int i;
	if (!e) {
		loop_transfer_free(L, t);
		return -1;
	}
	t->pEasy = e;
	for (i = 0; i < t->spec.nHeader; i++)
		t->pHeaders = curl_slist_append(t->pHeaders, t->spec.azHeader[i]);
	t->pHeaders = curl_slist_append(t->pHeaders, "Expect:");
	curl_easy_setopt(e, CURLOPT_URL, t->spec.zUrl);
	if (t->spec.zBody) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->spec.zBody);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(t->spec.zBody));
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->pHeaders);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeoutMs > 0 ? timeoutMs : 300000L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeoutMs > 0 && timeoutMs < 30000 ? timeoutMs : 30000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "valuerankd/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	t->startMono = time_mono_ms();
	if (curl_multi_add_handle(L->pMulti, e) != CURLM_OK) {
		loop_transfer_free(L, t);
		return -1;
	}
	return 0;
}

void loop_transfer_free(struct Loop *L, Transfer *t)
{
	if (!t)
		return;
	if (t->pEasy) {
		curl_multi_remove_handle(L->pMulti, t->pEasy);
		if (L->nEasy < EASY_POOL_MAX) {
			curl_easy_reset(t->pEasy);
			L->apEasy[L->nEasy++] = t->pEasy;
		} else {
			curl_easy_cleanup(t->pEasy);
		}
	}
	curl_slist_free_all(t->pHeaders);
	http_request_spec_free(&t->spec);
	buf_free(&t->body);
	buf_free(&t->headers);
	free(t);
}

