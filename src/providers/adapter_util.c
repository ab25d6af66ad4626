/* adapter_util.c — small helpers the three provider adapters share (headers, JSON fields, error classes). */
#include "providers/adapter.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/util.h"

void spec_add_header(HttpRequestSpec *pSpec, const char *zFmt, ...)
{
	Buf b = BUF_INIT;
	va_list ap;
	va_start(ap, zFmt);
	buf_vprintf(&b, zFmt, ap);
	va_end(ap);
	pSpec->azHeader = xrealloc(pSpec->azHeader, sizeof(char *) * (size_t)(pSpec->nHeader + 1));
	pSpec->azHeader[pSpec->nHeader++] = buf_detach(&b);
}

void spec_set_target(HttpRequestSpec *pSpec, const char *zMethod, const char *zUrl)
{
	free(pSpec->zUrl);
	free(pSpec->zMethod);
	pSpec->zUrl = xstrdup(zUrl);
	pSpec->zMethod = xstrdup(zMethod);
}

json_t *temperature_json(double t)
{
	if (t == floor(t) && fabs(t) < 1e9) return json_integer((json_int_t)t);
	return json_real(t);
}

char *json_string_dup(json_t *pObj, const char *zKey)
{
	json_t *pVal = json_object_get(pObj, zKey);
	return json_is_string(pVal) ? xstrdup(json_string_value(pVal)) : NULL;
}

int64_t json_count(json_t *pObj, const char *zKey)
{
	json_t *pVal = json_object_get(pObj, zKey);
	if (!json_is_integer(pVal) || json_integer_value(pVal) < 0) return 0;
	return (int64_t)json_integer_value(pVal);
}

void result_fail(ProbeResult *pOut, ErrClass e, const char *zFmt, ...)
{
	Buf b = BUF_INIT;
	va_list ap;
	va_start(ap, zFmt);
	buf_vprintf(&b, zFmt, ap);
	va_end(ap);
	pOut->err = e;
	free(pOut->zErrMessage);
	pOut->zErrMessage = buf_detach(&b);
}

void result_set_message(ProbeResult *pOut, const char *z)
{
	if (!z || !z[0]) return;
	free(pOut->zErrMessage);
	pOut->zErrMessage = xstrdup(z);
}

void json_merge_overrides(json_t *pDst, json_t *pSrc)
{
	const char *zKey;
	json_t *pVal;
	json_object_foreach(pSrc, zKey, pVal) {
		json_t *pOld = json_object_get(pDst, zKey);
		if (json_is_null(pVal)) json_object_del(pDst, zKey);
		else if (json_is_object(pVal) && json_is_object(pOld)) json_merge_overrides(pOld, pVal);
		else json_object_set_new(pDst, zKey, json_deep_copy(pVal));
	}
}

ErrClass status_error_class(int httpStatus)
{
	if (httpStatus <= 0) return ERR_NETWORK;
	if (httpStatus == 401 || httpStatus == 403) return ERR_AUTH;
	if (httpStatus == 402) return ERR_QUOTA;
	if (httpStatus == 404) return ERR_NOT_FOUND;
	if (httpStatus == 408 || httpStatus == 504) return ERR_TIMEOUT;
	if (httpStatus == 429) return ERR_RATE_LIMITED;
	if (httpStatus >= 500 && httpStatus <= 599) return ERR_SERVER;
	if (httpStatus >= 400 && httpStatus <= 499) return ERR_INVALID_REQUEST;
	return ERR_INVALID_RESPONSE; /* 1xx/3xx: nothing we asked for */
}

int mentions_temperature(const char *z)
{
	return z && strcasestr(z, "temperature") != NULL;
}

int health_read_ids(json_t *pArr, const char *zArrayName, const char *zKey, const char *zStrip,
                    ProviderHealth *pOut)
{
	size_t i;
	Buf b = BUF_INIT;
	if (!json_is_array(pArr)) {
		buf_printf(&b, "models list has no \"%s\" array", zArrayName);
		pOut->zErrMessage = buf_detach(&b);
		return -1;
	}
	pOut->azModelId = xcalloc(json_array_size(pArr) + 1, sizeof(char *));
	for (i = 0; i < json_array_size(pArr); i++) {
		json_t *pId = json_object_get(json_array_get(pArr, i), zKey);
		const char *z;
		if (!json_is_string(pId)) {
			buf_printf(&b, "models list: %s[%zu].%s is not a string", zArrayName, i, zKey);
			pOut->zErrMessage = buf_detach(&b);
			return -1;
		}
		z = json_string_value(pId);
		if (zStrip && str_starts_with(z, zStrip)) z += strlen(zStrip);
		pOut->azModelId[pOut->nModel++] = xstrdup(z);
	}
	return 0;
}
