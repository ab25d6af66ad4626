/* definition_file.c — read and write the definition export file; storage limits checked before saving. */
#include "store/definition_file.h"
#include "lib/buf.h"
#include "lib/util.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* 1 when the n bytes at p are well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
static int utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		unsigned cp;
		size_t nMore, k;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			nMore = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			nMore = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			nMore = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + nMore >= n)
			return 0;
		for (k = 1; k <= nMore; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if ((nMore == 1 && cp < 0x80) || (nMore == 2 && cp < 0x800) ||
		    (nMore == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += nMore + 1;
	}
	return 1;
}

int definition_file_parse(const char *pData, size_t nData, char **pzName, json_t **ppContent,
			  char *zErr, size_t nErr)
{
	json_t *pDoc = NULL, *pName, *pContent;
	json_error_t err;
	size_t i;
	int rc = -1;
	*pzName = NULL;
	*ppContent = NULL;
	for (i = 0; i < nData && strchr(" \t\r\n", pData[i]) && pData[i]; i++) {
	}
	if (i == nData) {
		snprintf(zErr, nErr, "The file is empty; export a definition to see the expected format.");
		goto out;
	}
	if (memchr(pData, 0, nData)) {
		snprintf(zErr, nErr, "The file contains NUL bytes, so it is not a JSON text file.");
		goto out;
	}
	if (!utf8_valid((const unsigned char *)pData, nData)) {
		snprintf(zErr, nErr, "The file is not UTF-8 text; save it as UTF-8 and upload it again.");
		goto out;
	}
	pDoc = json_loadb(pData, nData, JSON_DECODE_ANY, &err);
	if (!pDoc) {
		snprintf(zErr, nErr, "The file is not valid JSON: %s (line %d, column %d).", err.text, err.line,
			 err.column);
		goto out;
	}
	pName = json_object_get(pDoc, "name");
	pContent = json_object_get(pDoc, "content");
	if (!json_is_object(pDoc) || !json_is_string(pName) || !json_is_object(pContent)) {
		snprintf(zErr, nErr,
			 "The file must be a JSON object with a text \"name\" and an object \"content\" "
			 "holding the definition, as the export writes: {\"name\": \"...\", \"content\": {...}}.");
		goto out;
	}
	*pzName = xstrdup(json_string_value(pName));
	*ppContent = json_incref(pContent);
	rc = 0;
out:
	json_decref(pDoc);
	return rc;
}

char *definition_file_text(const char *zName, const json_t *pContent)
{
	json_t *pDoc = json_object();
	char *zText, *zOut;
	json_object_set_new(pDoc, "name", json_string(zName));
	json_object_set(pDoc, "content", (json_t *)pContent);
	zText = json_dumps(pDoc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(pDoc);
	zOut = xmalloc(strlen(zText ? zText : "") + 2);
	sprintf(zOut, "%s\n", zText ? zText : "");
	free(zText);
	return zOut;
}

/* n with thousands separators ("156,250") into zOut. */
static void format_count(char *zOut, size_t nOut, int64_t n)
{
	char zDigits[32];
	size_t nDigit, i, o = 0;
	snprintf(zDigits, sizeof(zDigits), "%lld", (long long)n);
	nDigit = strlen(zDigits);
	for (i = 0; i < nDigit && o + 2 < nOut; i++) {
		if (i > 0 && (nDigit - i) % 3 == 0)
			zOut[o++] = ',';
		zOut[o++] = zDigits[i];
	}
	zOut[o] = 0;
}

json_t *definition_problems(const Definition *d)
{
	json_t *pProblems = def_problems_json(d);
	int64_t n = def_scenario_count(d);
	if (n > DEFINITION_MAX_STORED_SCENARIOS) {
		char zMsg[300], zCount[40], zMax[40];
		json_t *p = json_object();
		format_count(zCount, sizeof(zCount), n);
		format_count(zMax, sizeof(zMax), DEFINITION_MAX_STORED_SCENARIOS);
		snprintf(zMsg, sizeof(zMsg),
			 "The dimensions expand to %s scenarios, but a definition can store at most %s; "
			 "use fewer dimensions or levels.",
			 zCount, zMax);
		json_object_set_new(p, "severity", json_string("error"));
		json_object_set_new(p, "path", json_string("dimensions"));
		json_object_set_new(p, "message", json_string(zMsg));
		json_array_append_new(pProblems, p);
	}
	return pProblems;
}

int definition_problem_errors(const json_t *pProblems)
{
	size_t i;
	int n = 0;
	for (i = 0; i < json_array_size(pProblems); i++) {
		const char *z = json_string_value(json_object_get(json_array_get(pProblems, i), "severity"));
		if (z && strcmp(z, "error") == 0)
			n++;
	}
	return n;
}

char *definition_problems_text(const json_t *pProblems)
{
	Buf b = BUF_INIT;
	size_t i;
	for (i = 0; i < json_array_size(pProblems); i++) {
		const json_t *p = json_array_get(pProblems, i);
		const char *zPath = json_string_value(json_object_get(p, "path"));
		buf_printf(&b, "  %s%s%s: %s\n", json_string_value(json_object_get(p, "severity")) ?: "error",
			   zPath && *zPath ? " at " : "", zPath ? zPath : "",
			   json_string_value(json_object_get(p, "message")) ?: "");
	}
	return buf_detach(&b);
}
