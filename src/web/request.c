/* request.c — parse method, path, query, cookies and urlencoded or multipart bodies, with limits. */
#include "web/web.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *url_decode(const char *z, size_t n, int plusIsSpace, size_t *pnOut)
{
	char *zOut = xmalloc(n + 1);
	size_t i, j = 0;
	for (i = 0; i < n; i++) {
		char c = z[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				goto bad;
			hi = hex_value((unsigned char)z[i + 1]);
			lo = hex_value((unsigned char)z[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plusIsSpace) {
			c = ' ';
		}
		if (c == 0)
			goto bad;
		zOut[j++] = c;
	}
	zOut[j] = 0;
	if (pnOut)
		*pnOut = j;
	return zOut;
bad:
	free(zOut);
	return NULL;
}

static void param_add(ParamList *l, char *zName, char *zValue, size_t nValue)
{
	l->a = xrealloc(l->a, sizeof(Param) * (size_t)(l->n + 1));
	l->a[l->n].zName = zName;
	l->a[l->n].zValue = zValue;
	l->a[l->n].nValue = nValue;
	l->n++;
}

void params_free(ParamList *l)
{
	int i;
	for (i = 0; i < l->n; i++) {
		free(l->a[i].zName);
		free(l->a[i].zValue);
	}
	free(l->a);
	l->a = NULL;
	l->n = 0;
}

const char *param_get(const ParamList *l, const char *zName)
{
	return param_nth(l, zName, 0);
}

int param_count(const ParamList *l, const char *zName)
{
	int i, n = 0;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->a[i].zName, zName) == 0)
			n++;
	return n;
}

const char *param_nth(const ParamList *l, const char *zName, int k)
{
	int i;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->a[i].zName, zName) == 0 && k-- == 0)
			return l->a[i].zValue;
	return NULL;
}

/* Parse application/x-www-form-urlencoded text of n bytes; -1 on a bad escape or too many fields. */
static int urlencoded_parse(ParamList *l, const char *z, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t start = i, eq = (size_t)-1;
		char *zName, *zValue;
		size_t nValue;
		while (i < n && z[i] != '&') {
			if (z[i] == '=' && eq == (size_t)-1)
				eq = i;
			i++;
		}
		if (i > start) {
			if (l->n >= WEB_MAX_PARAMS)
				return -1;
			if (eq == (size_t)-1)
				eq = i;
			zName = url_decode(z + start, eq - start, 1, NULL);
			zValue = eq < i ? url_decode(z + eq + 1, i - eq - 1, 1, &nValue)
					: (nValue = 0, xstrdup(""));
			if (!zName || !zValue) {
				free(zName);
				free(zValue);
				return -1;
			}
			param_add(l, zName, zValue, nValue);
		}
		i++;
	}
	return 0;
}

int cookies_parse(ParamList *l, const char *zHeader)
{
	const char *z = zHeader;
	while (z && *z) {
		const char *zName, *zEq, *zEnd;
		while (*z == ' ' || *z == ';' || *z == '\t')
			z++;
		if (!*z)
			break;
		zName = z;
		zEnd = strchr(z, ';');
		if (!zEnd)
			zEnd = z + strlen(z);
		zEq = memchr(z, '=', (size_t)(zEnd - z));
		if (!zEq || zEq == zName)
			return -1;
		if (l->n >= WEB_MAX_COOKIES)
			return -1;
		{
			const char *zv = zEq + 1, *zve = zEnd;
			while (zve > zv && (zve[-1] == ' ' || zve[-1] == '\t'))
				zve--;
			if (zve - zv >= 2 && *zv == '"' && zve[-1] == '"') {
				zv++;
				zve--;
			}
			param_add(l, xstrndup(zName, (size_t)(zEq - zName)), xstrndup(zv, (size_t)(zve - zv)),
				  (size_t)(zve - zv));
		}
		z = zEnd;
	}
	return 0;
}

/* Find a parameter like `boundary=...` in a header value; returns a new string or NULL. */
static char *header_param(const char *zValue, const char *zName)
{
	size_t nName = strlen(zName);
	const char *z = zValue;
	while ((z = strchr(z, ';')) != NULL) {
		z++;
		while (*z == ' ' || *z == '\t')
			z++;
		if (strncasecmp(z, zName, nName) == 0 && z[nName] == '=') {
			const char *zv = z + nName + 1, *ze;
			if (*zv == '"') {
				zv++;
				ze = strchr(zv, '"');
				if (!ze)
					return NULL;
			} else {
				ze = zv + strcspn(zv, "; \t");
			}
			return xstrndup(zv, (size_t)(ze - zv));
		}
	}
	return NULL;
}

static const char *mem_find(const char *p, size_t n, const char *zNeedle, size_t nNeedle)
{
	return nNeedle == 0 || n < nNeedle ? NULL : memmem(p, n, zNeedle, nNeedle);
}

/* Parse a multipart/form-data body into form fields and uploads; -1 when malformed. */
static int multipart_parse(Request *r, const char *zContentType, const char *p, size_t n)
{
	char *zBoundary = header_param(zContentType, "boundary");
	char *zDelim = NULL;
	size_t nDelim;
	const char *zPart, *zEnd = p + n;
	int rc = -1;
	if (!zBoundary || !*zBoundary || strlen(zBoundary) > 200)
		goto out;
	zDelim = xmalloc(strlen(zBoundary) + 5);
	sprintf(zDelim, "--%s", zBoundary);
	nDelim = strlen(zDelim);
	zPart = mem_find(p, n, zDelim, nDelim);
	if (!zPart)
		goto out;
	zPart += nDelim;
	for (;;) {
		const char *zHeadEnd, *zNext, *zHeaders;
		char *zHead = NULL, *zName = NULL, *zFilename = NULL, *zType = NULL, *zLine, *zSave;
		size_t nData;
		if (zEnd - zPart >= 2 && zPart[0] == '-' && zPart[1] == '-') {
			rc = 0;
			break;
		}
		if (zEnd - zPart < 2 || zPart[0] != '\r' || zPart[1] != '\n')
			goto out;
		zHeaders = zPart + 2;
		zHeadEnd = mem_find(zHeaders, (size_t)(zEnd - zHeaders), "\r\n\r\n", 4);
		if (!zHeadEnd || zHeadEnd - zHeaders > 4096)
			goto out;
		zHead = xstrndup(zHeaders, (size_t)(zHeadEnd - zHeaders));
		for (zLine = strtok_r(zHead, "\r\n", &zSave); zLine; zLine = strtok_r(NULL, "\r\n", &zSave)) {
			if (strncasecmp(zLine, "Content-Disposition:", 20) == 0) {
				free(zName);
				free(zFilename);
				zName = header_param(zLine, "name");
				zFilename = header_param(zLine, "filename");
			} else if (strncasecmp(zLine, "Content-Type:", 13) == 0) {
				const char *zv = zLine + 13;
				while (*zv == ' ')
					zv++;
				free(zType);
				zType = xstrdup(zv);
			}
		}
		free(zHead);
		zHeadEnd += 4;
		zNext = mem_find(zHeadEnd, (size_t)(zEnd - zHeadEnd), zDelim, nDelim);
		if (!zNext || zNext - zHeadEnd < 2 || zNext[-2] != '\r' || zNext[-1] != '\n' || !zName) {
			free(zName);
			free(zFilename);
			free(zType);
			goto out;
		}
		nData = (size_t)(zNext - 2 - zHeadEnd);
		if (zFilename) {
			Upload *u;
			if (r->nUpload >= 4) {
				free(zName);
				free(zFilename);
				free(zType);
				goto out;
			}
			r->aUpload = xrealloc(r->aUpload, sizeof(Upload) * (size_t)(r->nUpload + 1));
			u = &r->aUpload[r->nUpload++];
			u->zField = zName;
			u->zFilename = zFilename;
			u->zContentType = zType;
			u->pData = xstrndup(zHeadEnd, nData);
			u->nData = nData;
		} else {
			free(zType);
			if (memchr(zHeadEnd, 0, nData) || r->form.n >= WEB_MAX_PARAMS) {
				free(zName);
				goto out;
			}
			param_add(&r->form, zName, xstrndup(zHeadEnd, nData), nData);
		}
		zPart = zNext + nDelim;
	}
out:
	free(zBoundary);
	free(zDelim);
	return rc;
}

int request_parse(Request *r, const RequestInput *in, char *zErr, size_t nErr)
{
	const char *zUri = in->zRequestUri ? in->zRequestUri : "/";
	const char *zQ;
	size_t nPath;
	r->startMs = time_mono_ms();
	str_copy(r->zMethod, sizeof(r->zMethod), in->zMethod ? in->zMethod : "GET");
	r->zContentType = in->zContentType;
	r->zAuthorization = in->zAuthorization;
	r->zOrigin = in->zOrigin;
	r->zReferer = in->zReferer;
	r->zHost = in->zHost;
	r->zAccept = in->zAccept;
	r->zRemoteAddr = in->zRemoteAddr ? in->zRemoteAddr : "";
	r->zUserAgent = in->zUserAgent;
	r->isHttps = in->zHttps && (strcmp(in->zHttps, "on") == 0 || strcmp(in->zHttps, "1") == 0);
	if (strlen(zUri) > WEB_MAX_URL) {
		snprintf(zErr, nErr, "The address is longer than %d characters.", WEB_MAX_URL);
		return 414;
	}
	if (zUri[0] != '/') {
		snprintf(zErr, nErr, "The request path must start with /.");
		return 400;
	}
	zQ = strchr(zUri, '?');
	nPath = zQ ? (size_t)(zQ - zUri) : strlen(zUri);
	r->zPath = url_decode(zUri, nPath, 0, NULL);
	if (!r->zPath) {
		snprintf(zErr, nErr, "The request path has a malformed %%-escape or a NUL byte.");
		return 400;
	}
	r->zQueryString = xstrdup(zQ ? zQ + 1 : "");
	if (urlencoded_parse(&r->query, r->zQueryString, strlen(r->zQueryString))) {
		snprintf(zErr, nErr,
			 "The query string has a malformed %%-escape, a NUL byte or too many fields.");
		return 400;
	}
	if (in->zCookie && cookies_parse(&r->cookies, in->zCookie)) {
		snprintf(zErr, nErr, "The Cookie header is malformed or holds more than %d cookies.",
			 WEB_MAX_COOKIES);
		return 400;
	}
	r->isApi = str_starts_with(r->zPath, "/api/v1/") ||
		   (in->zAccept && str_starts_with(in->zAccept, "application/json"));
	if (in->nBody > 0 || (in->zContentLength && *in->zContentLength && strcmp(in->zContentLength, "0"))) {
		int isMultipart = in->zContentType &&
				  strncasecmp(in->zContentType, "multipart/form-data", 19) == 0;
		size_t limit = isMultipart ? WEB_MAX_UPLOAD : WEB_MAX_BODY;
		int64_t declared = 0;
		if (in->zContentLength && *in->zContentLength &&
		    parse_int64(in->zContentLength, 0, INT64_MAX, &declared)) {
			snprintf(zErr, nErr, "The Content-Length header is not a number.");
			return 400;
		}
		if ((size_t)declared > limit || in->nBody > limit) {
			snprintf(zErr, nErr, "The request body is larger than the limit of %zu KB.",
				 limit / 1024);
			return 413;
		}
		r->pBody = xmalloc(in->nBody + 1);
		memcpy(r->pBody, in->pBody, in->nBody);
		r->pBody[in->nBody] = 0;
		r->nBody = in->nBody;
		if (!in->zContentType) {
			/* No declared type: nothing to parse. */
		} else if (strncasecmp(in->zContentType, "application/x-www-form-urlencoded", 33) == 0) {
			if (urlencoded_parse(&r->form, r->pBody, r->nBody)) {
				snprintf(zErr, nErr,
					 "The form has a malformed %%-escape, a NUL byte or too many fields.");
				return 400;
			}
		} else if (isMultipart) {
			if (multipart_parse(r, in->zContentType, r->pBody, r->nBody)) {
				snprintf(zErr, nErr, "The multipart upload is malformed.");
				return 400;
			}
		} else if (strncasecmp(in->zContentType, "application/json", 16) == 0) {
			/* The API handler parses it. */
		} else {
			snprintf(zErr, nErr, "Content-Type %.60s is not accepted here.", in->zContentType);
			return 415;
		}
	}
	return 0;
}

void request_free(Request *r)
{
	int i;
	free(r->zPath);
	free(r->zQueryString);
	params_free(&r->query);
	params_free(&r->form);
	params_free(&r->cookies);
	for (i = 0; i < r->nUpload; i++) {
		free(r->aUpload[i].zField);
		free(r->aUpload[i].zFilename);
		free(r->aUpload[i].zContentType);
		free(r->aUpload[i].pData);
	}
	free(r->aUpload);
	free(r->pBody);
	json_decref(r->pBanner);
	memset(r, 0, sizeof(*r));
}
