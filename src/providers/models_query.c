/* models_query.c — lookups in a loaded model catalog, cost, API keys and the catalog as JSON. */
#include "providers/models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

const ProviderConf *models_provider(const ModelCatalog *pCat, const char *zProviderId)
{
	int i;
	if (!pCat || !zProviderId) return NULL;
	for (i = 0; i < pCat->nProvider; i++) {
		if (strcmp(pCat->aProvider[i].zId, zProviderId) == 0) return &pCat->aProvider[i];
	}
	return NULL;
}

const ModelConf *models_find(const ModelCatalog *pCat, const char *zProviderId,
                             const char *zModelId)
{
	int i;
	if (!pCat || !zProviderId || !zModelId) return NULL;
	for (i = 0; i < pCat->nModel; i++) {
		const ModelConf *pModel = &pCat->aModel[i];
		if (strcmp(pModel->pProvider->zId, zProviderId) == 0 && strcmp(pModel->zId, zModelId) == 0)
			return pModel;
	}
	return NULL;
}

int models_has_version(const ModelConf *pModel, const char *zVersion)
{
	int i;
	for (i = 0; i < pModel->nVersion; i++) {
		if (strcmp(pModel->azVersion[i], zVersion) == 0) return 1;
	}
	return 0;
}

int models_resolve_ref(const ModelCatalog *pCat, const char *zRef, const ModelConf **ppModel,
                       const char **pzVersion, char *zErr, size_t nErr)
{
	const char *zColon = strchr(zRef, ':');
	const char *zAt = strrchr(zRef, '@');
	char *zProvider = NULL, *zModel = NULL;
	const ModelConf *pModel;
	int i, rc = -1;

	*ppModel = NULL;
	*pzVersion = NULL;
	if (!zColon || zColon == zRef || zColon[1] == 0 || zColon[1] == '@' || (zAt && zAt < zColon)) {
		snprintf(zErr, nErr, "\"%s\" is not of the form provider:model or provider:model@version", zRef);
		goto out;
	}
	zProvider = xstrndup(zRef, (size_t)(zColon - zRef));
	zModel = zAt ? xstrndup(zColon + 1, (size_t)(zAt - zColon - 1)) : xstrdup(zColon + 1);
	if (!models_provider(pCat, zProvider)) {
		snprintf(zErr, nErr, "unknown provider \"%s\"", zProvider);
		goto out;
	}
	pModel = models_find(pCat, zProvider, zModel);
	if (!pModel) {
		snprintf(zErr, nErr, "unknown model \"%s\" for provider \"%s\"", zModel, zProvider);
		goto out;
	}
	if (!zAt) {
		*pzVersion = pModel->zDefaultVersion;
	} else {
		for (i = 0; i < pModel->nVersion; i++) {
			if (strcmp(pModel->azVersion[i], zAt + 1) == 0) *pzVersion = pModel->azVersion[i];
		}
		if (!*pzVersion) {
			snprintf(zErr, nErr, "model \"%s\" has no version \"%s\"", zModel, zAt + 1);
			goto out;
		}
	}
	*ppModel = pModel;
	rc = 0;
out:
	free(zProvider);
	free(zModel);
	return rc;
}

int models_cost_usd(const ModelConf *pModel, int64_t inputTokens, int64_t outputTokens,
                    double *pOut)
{
	if (!pModel->hasPrice) return -1;
	*pOut = (double)inputTokens * pModel->priceIn / 1e6 + (double)outputTokens * pModel->priceOut / 1e6;
	return 0;
}

int models_provider_needs_key(const ProviderConf *pProvider)
{
	return pProvider->zKeyEnv != NULL;
}

/* Trim ASCII spaces, tabs and line ends from both ends of z, in place. Returns z. */
static char *trim_in_place(char *z)
{
	size_t n;
	while (*z == ' ' || *z == '\t') z++;
	n = strlen(z);
	while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t' || z[n - 1] == '\r' || z[n - 1] == '\n'))
		z[--n] = 0;
	return z;
}

/* The value of NAME in a file of NAME=value lines, or NULL. Caller frees. */
static char *key_file_lookup(const char *zKeyFile, const char *zName)
{
	char zLine[4096];
	char *zFound = NULL;
	FILE *pFile = fopen(zKeyFile, "r");
	if (!pFile) return NULL;
	while (!zFound && fgets(zLine, sizeof zLine, pFile)) {
		char *zEq, *zKey, *zVal;
		size_t n;
		zKey = trim_in_place(zLine);
		if (zKey[0] == '#' || zKey[0] == 0) continue;
		if (strncmp(zKey, "export ", 7) == 0) zKey = trim_in_place(zKey + 7);
		zEq = strchr(zKey, '=');
		if (!zEq) continue;
		*zEq = 0;
		if (strcmp(trim_in_place(zKey), zName) != 0) continue;
		zVal = trim_in_place(zEq + 1);
		n = strlen(zVal);
		if (n >= 2 && (zVal[0] == '"' || zVal[0] == '\'') && zVal[n - 1] == zVal[0]) {
			zVal[n - 1] = 0;
			zVal++;
		}
		if (zVal[0]) zFound = xstrdup(zVal);
	}
	fclose(pFile);
	return zFound;
}

char *models_provider_key(const ProviderConf *pProvider, const char *zKeyFile)
{
	const char *zEnv;
	if (!models_provider_needs_key(pProvider)) return xstrdup("");
	zEnv = getenv(pProvider->zKeyEnv);
	if (zEnv && zEnv[0]) return xstrdup(zEnv);
	if (zKeyFile && zKeyFile[0]) return key_file_lookup(zKeyFile, pProvider->zKeyEnv);
	return NULL;
}

/* One provider as JSON (new reference). */
static json_t *provider_json(const ProviderConf *pProv)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:i, s:i, s:i}",
		"id", pProv->zId,
		"name", pProv->zName,
		"api_style", models_api_style_name(pProv->eStyle),
		"base_url", pProv->zBaseUrl,
		"key_env", pProv->zKeyEnv ? json_string(pProv->zKeyEnv) : json_null(),
		"key_required", pProv->zKeyEnv != NULL,
		"max_parallel", pProv->maxParallel,
		"requests_per_minute", pProv->requestsPerMinute,
		"request_timeout_s", pProv->requestTimeoutS);
}

/* One model as JSON (new reference). */
static json_t *model_json(const ModelConf *pModel)
{
	static const char *const azSeed[] = {NULL, "seed", "random_seed"};
	json_t *pVersions = json_array();
	json_t *pObj;
	int i;
	for (i = 0; i < pModel->nVersion; i++) json_array_append_new(pVersions, json_string(pModel->azVersion[i]));
	pObj = json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:b, s:i, s:s, s:b, s:o}",
		"id", pModel->zId,
		"provider", pModel->pProvider->zId,
		"display_name", pModel->zDisplayName,
		"versions", pVersions,
		"default_version", pModel->zDefaultVersion,
		"price_in", pModel->hasPrice ? json_real(pModel->priceIn) : json_null(),
		"price_out", pModel->hasPrice ? json_real(pModel->priceOut) : json_null(),
		"deprecated", pModel->deprecated,
		"max_tokens", pModel->maxTokens,
		"token_param", pModel->eTokenParam == TOKEN_PARAM_MAX_COMPLETION_TOKENS ? "max_completion_tokens" : "max_tokens",
		"supports_temperature", pModel->supportsTemperature,
		"seed_param", azSeed[pModel->eSeedParam] ? json_string(azSeed[pModel->eSeedParam]) : json_null());
	json_object_set_new(pObj, "request_overrides",
	                    pModel->pOverrides ? json_deep_copy(pModel->pOverrides) : json_object());
	return pObj;
}

json_t *models_catalog_json(const ModelCatalog *pCat)
{
	json_t *pProviders = json_array();
	json_t *pModels = json_array();
	int i;
	for (i = 0; i < pCat->nProvider; i++) json_array_append_new(pProviders, provider_json(&pCat->aProvider[i]));
	for (i = 0; i < pCat->nModel; i++) json_array_append_new(pModels, model_json(&pCat->aModel[i]));
	return json_pack("{s:o, s:o, s:o}", "providers", pProviders, "models", pModels,
	                 "budget_usd", pCat->hasBudget ? json_real(pCat->budgetUsd) : json_null());
}
