/* models.c — reads etc/models.json and validates every field, naming the JSON path of each problem. */
#include "providers/models.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"

/* models.json is small; anything larger is a mistake (wrong file). */
#define MODELS_MAX_FILE_BYTES (4 * 1024 * 1024)

/* Where errors go while one file is loaded. */
typedef struct LoadCtx {
	const char *zName; /* file name, first word of every message */
	char *zErr;
	size_t nErr;
} LoadCtx;

/* Write "NAME: PATH: MESSAGE" into the context's error buffer. Always returns -1. */
static int load_error(LoadCtx *p, const char *zPath, const char *zFmt, ...)
	__attribute__((format(printf, 3, 4)));
static int load_error(LoadCtx *p, const char *zPath, const char *zFmt, ...)
{
	Buf b = BUF_INIT;
	va_list ap;
	buf_printf(&b, "%s: %s: ", p->zName, zPath);
	va_start(ap, zFmt);
	buf_vprintf(&b, zFmt, ap);
	va_end(ap);
	if (p->zErr && p->nErr) str_copy(p->zErr, p->nErr, buf_str(&b));
	buf_free(&b);
	return -1;
}

/* "providers[2]" + "id" -> "providers[2].id" into a fixed buffer; "" + "id" -> "id". */
static void field_path(char *zOut, size_t nOut, const char *zObjPath, const char *zKey)
{
	snprintf(zOut, nOut, "%s%s%s", zObjPath, zObjPath[0] ? "." : "", zKey);
}

/* Reject any key of pObj not in azAllowed (keys starting with '_' are comments). */
static int check_known_fields(LoadCtx *p, json_t *pObj, const char *zObjPath,
                              const char *const *azAllowed)
{
	const char *zKey;
	json_t *pVal;
	json_object_foreach(pObj, zKey, pVal) {
		int i, ok = zKey[0] == '_';
		for (i = 0; !ok && azAllowed[i]; i++) ok = strcmp(zKey, azAllowed[i]) == 0;
		if (!ok) {
			char zPath[256];
			field_path(zPath, sizeof zPath, zObjPath, zKey);
			return load_error(p, zPath, "unknown field");
		}
	}
	return 0;
}

/*
 * Read string field zKey. Missing: error if bRequired, else *pzOut = NULL.
 * Stores a copy the caller frees. Empty strings are rejected.
 */
static int get_string(LoadCtx *p, json_t *pObj, const char *zObjPath, const char *zKey,
                      int bRequired, char **pzOut)
{
	char zPath[256];
	json_t *pVal = json_object_get(pObj, zKey);
	field_path(zPath, sizeof zPath, zObjPath, zKey);
	*pzOut = NULL;
	if (!pVal) return bRequired ? load_error(p, zPath, "missing required field") : 0;
	if (!json_is_string(pVal)) return load_error(p, zPath, "must be a string");
	if (json_string_length(pVal) == 0) return load_error(p, zPath, "must not be empty");
	if (strlen(json_string_value(pVal)) != json_string_length(pVal))
		return load_error(p, zPath, "must not contain NUL characters");
	*pzOut = xstrdup(json_string_value(pVal));
	return 0;
}

/* Read an optional integer field in [lo, hi]; absent gives iDefault. */
static int get_int(LoadCtx *p, json_t *pObj, const char *zObjPath, const char *zKey, int lo,
                   int hi, int iDefault, int *pOut)
{
	char zPath[256];
	json_t *pVal = json_object_get(pObj, zKey);
	field_path(zPath, sizeof zPath, zObjPath, zKey);
	*pOut = iDefault;
	if (!pVal) return 0;
	if (!json_is_integer(pVal) || json_integer_value(pVal) < lo || json_integer_value(pVal) > hi)
		return load_error(p, zPath, "must be an integer from %d to %d", lo, hi);
	*pOut = (int)json_integer_value(pVal);
	return 0;
}

/* Read an optional number >= 0; *pHas says whether it was given (null counts as absent). */
static int get_price(LoadCtx *p, json_t *pObj, const char *zObjPath, const char *zKey,
                     int *pHas, double *pOut)
{
	char zPath[256];
	json_t *pVal = json_object_get(pObj, zKey);
	field_path(zPath, sizeof zPath, zObjPath, zKey);
	*pHas = 0;
	*pOut = 0;
	if (!pVal || json_is_null(pVal)) return 0;
	if (!json_is_number(pVal) || json_number_value(pVal) < 0)
		return load_error(p, zPath, "must be a number >= 0");
	*pHas = 1;
	*pOut = json_number_value(pVal);
	return 0;
}

/* Read an optional boolean; absent gives bDefault. */
static int get_bool(LoadCtx *p, json_t *pObj, const char *zObjPath, const char *zKey,
                    int bDefault, int *pOut)
{
	char zPath[256];
	json_t *pVal = json_object_get(pObj, zKey);
	field_path(zPath, sizeof zPath, zObjPath, zKey);
	*pOut = bDefault;
	if (!pVal) return 0;
	if (!json_is_boolean(pVal)) return load_error(p, zPath, "must be true or false");
	*pOut = json_is_true(pVal);
	return 0;
}

/* 1 if every byte of z is in the allowed set: alphanumerics plus zExtra. */
static int chars_ok(const char *z, const char *zExtra)
{
	for (; *z; z++) {
		unsigned char c = (unsigned char)*z;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
		if (!strchr(zExtra, c)) return 0;
	}
	return 1;
}

/* 1 if z has no whitespace or control characters and no '@'. */
static int version_chars_ok(const char *z)
{
	for (; *z; z++) {
		unsigned char c = (unsigned char)*z;
		if (c <= ' ' || c == 0x7f || c == '@') return 0;
	}
	return 1;
}

/* Free the strings of one provider. */
static void provider_clear(ProviderConf *pProv)
{
	free(pProv->zId);
	free(pProv->zName);
	free(pProv->zBaseUrl);
	free(pProv->zKeyEnv);
}

/* Free the strings and overrides of one model. */
static void model_clear(ModelConf *pModel)
{
	int i;
	free(pModel->zId);
	free(pModel->zDisplayName);
	for (i = 0; i < pModel->nVersion; i++) free(pModel->azVersion[i]);
	free(pModel->azVersion);
	free(pModel->zDefaultVersion);
	if (pModel->pOverrides) json_decref(pModel->pOverrides);
}

void models_free(ModelCatalog *pCat)
{
	int i;
	if (!pCat) return;
	for (i = 0; i < pCat->nProvider; i++) provider_clear(&pCat->aProvider[i]);
	for (i = 0; i < pCat->nModel; i++) model_clear(&pCat->aModel[i]);
	free(pCat->aProvider);
	free(pCat->aModel);
	free(pCat);
}

const char *models_api_style_name(ApiStyle e)
{
	switch (e) {
	case API_ANTHROPIC: return "anthropic";
	case API_GEMINI: return "gemini";
	case API_OPENAI: break;
	}
	return "openai";
}

/* Parse providers[i] into pProv (already zeroed). Earlier providers are checked for duplicates. */
static int parse_provider(LoadCtx *p, json_t *pObj, const char *zPath, ProviderConf *pProv,
                          const ModelCatalog *pCat)
{
	static const char *const azAllowed[] = {"id", "name", "api_style", "base_url", "key_env",
		"max_parallel", "requests_per_minute", "request_timeout_s", NULL};
	char zField[256];
	char *zStyle = NULL;
	json_t *pKey;
	int i, rc = -1;
	size_t n;

	if (!json_is_object(pObj)) return load_error(p, zPath, "must be an object");
	if (check_known_fields(p, pObj, zPath, azAllowed)) goto out;
	if (get_string(p, pObj, zPath, "id", 1, &pProv->zId)) goto out;
	field_path(zField, sizeof zField, zPath, "id");
	if (!chars_ok(pProv->zId, "_-")) {
		load_error(p, zField, "\"%s\" may contain only letters, digits, '_' and '-'", pProv->zId);
		goto out;
	}
	for (i = 0; i < pCat->nProvider; i++) {
		if (strcmp(pCat->aProvider[i].zId, pProv->zId) == 0) {
			load_error(p, zField, "duplicate provider id \"%s\"", pProv->zId);
			goto out;
		}
	}
	if (get_string(p, pObj, zPath, "name", 0, &pProv->zName)) goto out;
	if (!pProv->zName) pProv->zName = xstrdup(pProv->zId);

	if (get_string(p, pObj, zPath, "api_style", 1, &zStyle)) goto out;
	if (strcmp(zStyle, "openai") == 0) pProv->eStyle = API_OPENAI;
	else if (strcmp(zStyle, "anthropic") == 0) pProv->eStyle = API_ANTHROPIC;
	else if (strcmp(zStyle, "gemini") == 0) pProv->eStyle = API_GEMINI;
	else {
		field_path(zField, sizeof zField, zPath, "api_style");
		load_error(p, zField, "must be \"openai\", \"anthropic\" or \"gemini\", not \"%s\"", zStyle);
		goto out;
	}

	if (get_string(p, pObj, zPath, "base_url", 1, &pProv->zBaseUrl)) goto out;
	field_path(zField, sizeof zField, zPath, "base_url");
	if (!str_starts_with(pProv->zBaseUrl, "http://") && !str_starts_with(pProv->zBaseUrl, "https://")) {
		load_error(p, zField, "must start with http:// or https://");
		goto out;
	}
	if (!version_chars_ok(pProv->zBaseUrl)) {
		load_error(p, zField, "must not contain spaces, control characters or '@'");
		goto out;
	}
	n = strlen(pProv->zBaseUrl);
	while (n > 0 && pProv->zBaseUrl[n - 1] == '/') pProv->zBaseUrl[--n] = 0;

	/* key_env is required so that "no key" is a decision, not an omission. */
	field_path(zField, sizeof zField, zPath, "key_env");
	pKey = json_object_get(pObj, "key_env");
	if (!pKey) {
		load_error(p, zField, "missing required field (use null for a server that needs no key)");
		goto out;
	}
	if (json_is_string(pKey) && json_string_length(pKey) > 0) {
		if (!chars_ok(json_string_value(pKey), "_") || strlen(json_string_value(pKey)) != json_string_length(pKey)) {
			load_error(p, zField, "\"%s\" is not an environment variable name (letters, digits, '_')",
			           json_string_value(pKey));
			goto out;
		}
		pProv->zKeyEnv = xstrdup(json_string_value(pKey));
	} else if (!json_is_null(pKey) && !json_is_string(pKey)) {
		load_error(p, zField, "must be an environment variable name, \"\" or null");
		goto out;
	}

	if (get_int(p, pObj, zPath, "max_parallel", 1, 1000, MODELS_DEFAULT_MAX_PARALLEL,
	            &pProv->maxParallel)) goto out;
	if (get_int(p, pObj, zPath, "requests_per_minute", 1, 1000000, MODELS_DEFAULT_RPM,
	            &pProv->requestsPerMinute)) goto out;
	if (get_int(p, pObj, zPath, "request_timeout_s", 1, 3600, MODELS_DEFAULT_TIMEOUT_S,
	            &pProv->requestTimeoutS)) goto out;
	rc = 0;
out:
	free(zStyle);
	return rc;
}

/* The default token parameter: OpenAI's o1/o3/o4 and gpt-5 families take max_completion_tokens. */
static TokenParam default_token_param(const ProviderConf *pProv, const char *zModelId)
{
	static const char *const azFamily[] = {"o1", "o3", "o4", "gpt-5"};
	size_t i;
	if (pProv->eStyle != API_OPENAI) return TOKEN_PARAM_MAX_TOKENS;
	for (i = 0; i < ARRAY_SIZE(azFamily); i++) {
		size_t n = strlen(azFamily[i]);
		if (strncmp(zModelId, azFamily[i], n) == 0 &&
		    (zModelId[n] == 0 || zModelId[n] == '-' || zModelId[n] == '.'))
			return TOKEN_PARAM_MAX_COMPLETION_TOKENS;
	}
	return TOKEN_PARAM_MAX_TOKENS;
}

/* Parse the "versions" and "default_version" fields of a model. */
static int parse_versions(LoadCtx *p, json_t *pObj, const char *zPath, ModelConf *pModel)
{
	char zField[256];
	json_t *pArr = json_object_get(pObj, "versions");
	size_t i;
	int j;

	field_path(zField, sizeof zField, zPath, "versions");
	if (!pArr) {
		pModel->azVersion = xmalloc(sizeof(char *));
		pModel->azVersion[0] = xstrdup(pModel->zId);
		pModel->nVersion = 1;
	} else {
		if (!json_is_array(pArr) || json_array_size(pArr) == 0)
			return load_error(p, zField, "must be a non-empty array of strings");
		pModel->azVersion = xcalloc(json_array_size(pArr), sizeof(char *));
		for (i = 0; i < json_array_size(pArr); i++) {
			json_t *pV = json_array_get(pArr, i);
			char zItem[300];
			snprintf(zItem, sizeof zItem, "%s[%zu]", zField, i);
			if (!json_is_string(pV) || json_string_length(pV) == 0)
				return load_error(p, zItem, "must be a non-empty string");
			if (!version_chars_ok(json_string_value(pV)) ||
			    strlen(json_string_value(pV)) != json_string_length(pV))
				return load_error(p, zItem, "\"%s\" must not contain spaces, control characters or '@'",
				                  json_string_value(pV));
			for (j = 0; j < pModel->nVersion; j++) {
				if (strcmp(pModel->azVersion[j], json_string_value(pV)) == 0)
					return load_error(p, zItem, "duplicate version \"%s\"", json_string_value(pV));
			}
			pModel->azVersion[pModel->nVersion++] = xstrdup(json_string_value(pV));
		}
	}
	if (get_string(p, pObj, zPath, "default_version", 0, &pModel->zDefaultVersion)) return -1;
	if (!pModel->zDefaultVersion) {
		pModel->zDefaultVersion = xstrdup(pModel->azVersion[0]);
	} else if (!models_has_version(pModel, pModel->zDefaultVersion)) {
		field_path(zField, sizeof zField, zPath, "default_version");
		return load_error(p, zField, "\"%s\" is not one of versions", pModel->zDefaultVersion);
	}
	return 0;
}

/* Parse "token_param", "seed_param", "supports_temperature" and "request_overrides". */
static int parse_request_options(LoadCtx *p, json_t *pObj, const char *zPath, ModelConf *pModel)
{
	const ProviderConf *pProv = pModel->pProvider;
	char zField[256];
	json_t *pVal;

	pModel->eTokenParam = default_token_param(pProv, pModel->zId);
	field_path(zField, sizeof zField, zPath, "token_param");
	pVal = json_object_get(pObj, "token_param");
	if (pVal) {
		const char *z = json_string_value(pVal);
		if (z && strcmp(z, "max_tokens") == 0) pModel->eTokenParam = TOKEN_PARAM_MAX_TOKENS;
		else if (z && strcmp(z, "max_completion_tokens") == 0)
			pModel->eTokenParam = TOKEN_PARAM_MAX_COMPLETION_TOKENS;
		else return load_error(p, zField, "must be \"max_tokens\" or \"max_completion_tokens\"");
	}

	if (get_bool(p, pObj, zPath, "supports_temperature", 1, &pModel->supportsTemperature)) return -1;

	/* Default: the seed field each API documents; Anthropic has none. */
	pModel->eSeedParam = pProv->eStyle == API_ANTHROPIC ? SEED_PARAM_NONE : SEED_PARAM_SEED;
	field_path(zField, sizeof zField, zPath, "seed_param");
	pVal = json_object_get(pObj, "seed_param");
	if (pVal) {
		const char *z = json_string_value(pVal);
		if (json_is_null(pVal)) pModel->eSeedParam = SEED_PARAM_NONE;
		else if (z && strcmp(z, "seed") == 0) pModel->eSeedParam = SEED_PARAM_SEED;
		else if (z && strcmp(z, "random_seed") == 0) pModel->eSeedParam = SEED_PARAM_RANDOM_SEED;
		else return load_error(p, zField, "must be \"seed\", \"random_seed\" or null");
		if (pProv->eStyle == API_ANTHROPIC && pModel->eSeedParam != SEED_PARAM_NONE)
			return load_error(p, zField, "the anthropic API has no seed parameter; use null");
		if (pProv->eStyle == API_GEMINI && pModel->eSeedParam == SEED_PARAM_RANDOM_SEED)
			return load_error(p, zField, "the gemini API takes \"seed\" or null");
	}

	pVal = json_object_get(pObj, "request_overrides");
	if (pVal && !json_is_null(pVal)) {
		field_path(zField, sizeof zField, zPath, "request_overrides");
		if (!json_is_object(pVal)) return load_error(p, zField, "must be an object");
		pModel->pOverrides = json_deep_copy(pVal);
	}
	return 0;
}

/* Parse models[i] into pModel (already zeroed); earlier models are checked for duplicates. */
static int parse_model(LoadCtx *p, json_t *pObj, const char *zPath, ModelConf *pModel,
                       const ModelCatalog *pCat)
{
	static const char *const azAllowed[] = {"id", "provider", "display_name", "versions",
		"default_version", "price_in", "price_out", "deprecated", "max_tokens", "token_param",
		"supports_temperature", "seed_param", "request_overrides", NULL};
	char zField[256];
	char *zProvider = NULL;
	int i, hasIn, hasOut, rc = -1;

	if (!json_is_object(pObj)) return load_error(p, zPath, "must be an object");
	if (check_known_fields(p, pObj, zPath, azAllowed)) goto out;
	if (get_string(p, pObj, zPath, "id", 1, &pModel->zId)) goto out;
	field_path(zField, sizeof zField, zPath, "id");
	if (!chars_ok(pModel->zId, "._-:/")) {
		load_error(p, zField, "\"%s\" may contain only letters, digits and . _ - : /", pModel->zId);
		goto out;
	}
	if (get_string(p, pObj, zPath, "provider", 1, &zProvider)) goto out;
	pModel->pProvider = models_provider(pCat, zProvider);
	if (!pModel->pProvider) {
		field_path(zField, sizeof zField, zPath, "provider");
		load_error(p, zField, "unknown provider \"%s\"", zProvider);
		goto out;
	}
	for (i = 0; i < pCat->nModel; i++) {
		if (pCat->aModel[i].pProvider == pModel->pProvider && strcmp(pCat->aModel[i].zId, pModel->zId) == 0) {
			load_error(p, zField, "duplicate model \"%s\" for provider \"%s\"", pModel->zId, zProvider);
			goto out;
		}
	}
	if (get_string(p, pObj, zPath, "display_name", 0, &pModel->zDisplayName)) goto out;
	if (!pModel->zDisplayName) pModel->zDisplayName = xstrdup(pModel->zId);
	if (parse_versions(p, pObj, zPath, pModel)) goto out;

	if (get_price(p, pObj, zPath, "price_in", &hasIn, &pModel->priceIn)) goto out;
	if (get_price(p, pObj, zPath, "price_out", &hasOut, &pModel->priceOut)) goto out;
	if (hasIn != hasOut) {
		load_error(p, zPath, "price_in and price_out must be given together (or both left out: price unknown)");
		goto out;
	}
	pModel->hasPrice = hasIn;

	if (get_bool(p, pObj, zPath, "deprecated", 0, &pModel->deprecated)) goto out;
	if (get_int(p, pObj, zPath, "max_tokens", 1, 1000000, MODELS_DEFAULT_MAX_TOKENS,
	            &pModel->maxTokens)) goto out;
	if (parse_request_options(p, pObj, zPath, pModel)) goto out;
	rc = 0;
out:
	free(zProvider);
	return rc;
}

/* Validate the top-level object and fill pCat. */
static int parse_catalog(LoadCtx *p, json_t *pRoot, ModelCatalog *pCat)
{
	static const char *const azAllowed[] = {"providers", "models", "budget_usd", NULL};
	json_t *pProviders, *pModels, *pBudget;
	size_t i;

	if (!json_is_object(pRoot)) return load_error(p, "top level", "must be a JSON object");
	if (check_known_fields(p, pRoot, "", azAllowed)) return -1;
	pProviders = json_object_get(pRoot, "providers");
	if (!pProviders) return load_error(p, "providers", "missing required field");
	if (!json_is_array(pProviders) || json_array_size(pProviders) == 0)
		return load_error(p, "providers", "must be a non-empty array");
	pModels = json_object_get(pRoot, "models");
	if (!pModels) return load_error(p, "models", "missing required field");
	if (!json_is_array(pModels)) return load_error(p, "models", "must be an array");

	pCat->aProvider = xcalloc(json_array_size(pProviders), sizeof(ProviderConf));
	for (i = 0; i < json_array_size(pProviders); i++) {
		char zPath[64];
		snprintf(zPath, sizeof zPath, "providers[%zu]", i);
		/* A failed entry is not counted yet, so free what it parsed here. */
		if (parse_provider(p, json_array_get(pProviders, i), zPath, &pCat->aProvider[i], pCat)) {
			provider_clear(&pCat->aProvider[i]);
			return -1;
		}
		pCat->nProvider++;
	}
	pCat->aModel = xcalloc(json_array_size(pModels) + 1, sizeof(ModelConf)); /* +1: never xcalloc(0) */
	for (i = 0; i < json_array_size(pModels); i++) {
		char zPath[64];
		snprintf(zPath, sizeof zPath, "models[%zu]", i);
		if (parse_model(p, json_array_get(pModels, i), zPath, &pCat->aModel[i], pCat)) {
			model_clear(&pCat->aModel[i]);
			return -1;
		}
		pCat->nModel++;
	}
	pBudget = json_object_get(pRoot, "budget_usd");
	if (pBudget && !json_is_null(pBudget)) {
		if (!json_is_number(pBudget) || json_number_value(pBudget) < 0)
			return load_error(p, "budget_usd", "must be a number >= 0 or null");
		pCat->hasBudget = 1;
		pCat->budgetUsd = json_number_value(pBudget);
	}
	return 0;
}

ModelCatalog *models_load_text(const char *zName, const char *zText, size_t nText, char *zErr,
                               size_t nErr)
{
	LoadCtx ctx = {zName, zErr, nErr};
	ModelCatalog *pCat = NULL;
	json_error_t jerr;
	json_t *pRoot = json_loadb(zText, nText, JSON_REJECT_DUPLICATES, &jerr);

	if (!pRoot) {
		char zWhere[64];
		snprintf(zWhere, sizeof zWhere, "line %d column %d", jerr.line, jerr.column);
		load_error(&ctx, zWhere, "invalid JSON: %s", jerr.text);
		return NULL;
	}
	pCat = xcalloc(1, sizeof *pCat);
	if (parse_catalog(&ctx, pRoot, pCat)) {
		models_free(pCat);
		pCat = NULL;
	}
	json_decref(pRoot);
	return pCat;
}

ModelCatalog *models_load(const char *zPath, char *zErr, size_t nErr)
{
	Buf b = BUF_INIT;
	ModelCatalog *pCat = NULL;
	char aChunk[8192];
	size_t n;
	FILE *pFile = fopen(zPath, "rb");

	if (!pFile) {
		if (zErr && nErr) snprintf(zErr, nErr, "%s: cannot open: %s", zPath, strerror(errno));
		return NULL;
	}
	while ((n = fread(aChunk, 1, sizeof aChunk, pFile)) > 0) {
		buf_append(&b, aChunk, n);
		if (b.n > MODELS_MAX_FILE_BYTES) break;
	}
	if (ferror(pFile)) {
		if (zErr && nErr) snprintf(zErr, nErr, "%s: cannot read: %s", zPath, strerror(errno));
	} else if (b.n > MODELS_MAX_FILE_BYTES) {
		if (zErr && nErr) snprintf(zErr, nErr, "%s: larger than %d bytes", zPath, MODELS_MAX_FILE_BYTES);
	} else {
		pCat = models_load_text(zPath, buf_str(&b), b.n, zErr, nErr);
	}
	fclose(pFile);
	buf_free(&b);
	return pCat;
}
