/* test_models.c — unit tests of the models.json loader: defaults, every validation message, lookups, keys, etc/models.json. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "providers/models.h"
#include "check_main.h"

/* Load JSON written with ' for " (easier to read in C); returns the catalog, error text in zErr. */
static ModelCatalog *load_quoted(const char *zQuoted, char *zErr, size_t nErr)
{
	char *z = xstrdup(zQuoted);
	ModelCatalog *pCat;
	char *p;
	for (p = z; *p; p++) {
		if (*p == '\'') *p = '"';
	}
	zErr[0] = 0;
	pCat = models_load_text("t.json", z, strlen(z), zErr, nErr);
	free(z);
	return pCat;
}

/* Read a file from the source tree. Caller frees. */
static char *source_file(const char *zRel)
{
	const char *zSrc = getenv("VR_SRCDIR");
	Buf path = BUF_INIT, data = BUF_INIT;
	char aChunk[4096];
	size_t n;
	FILE *pFile;
	buf_printf(&path, "%s/%s", zSrc ? zSrc : ".", zRel);
	pFile = fopen(buf_str(&path), "rb");
	if (!pFile) ck_abort_msg("cannot open %s", buf_str(&path));
	while ((n = fread(aChunk, 1, sizeof aChunk, pFile)) > 0) buf_append(&data, aChunk, n);
	fclose(pFile);
	buf_free(&path);
	return buf_detach(&data);
}

#define P "{'id': 'p', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': null}"
#define A "{'id': 'a', 'api_style': 'anthropic', 'base_url': 'http://x', 'key_env': 'A_KEY'}"
#define P2 "{'id': 'none', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': null}"
#define G "{'id': 'g', 'api_style': 'gemini', 'base_url': 'http://x', 'key_env': ''}"
#define WITH_MODEL(m) "{'providers': [" P ", " A ", " G "], 'models': [" m "]}"
#define WITH_PROVIDER(p) "{'providers': [" p "], 'models': []}"

typedef struct BadCase {
	const char *zJson;
	const char *zError;
} BadCase;

static const BadCase aBad[] = {
	{"[]", "t.json: top level: must be a JSON object"},
	{"{'models': []}", "t.json: providers: missing required field"},
	{"{'providers': [], 'models': []}", "t.json: providers: must be a non-empty array"},
	{"{'providers': [" P "]}", "t.json: models: missing required field"},
	{"{'providers': [" P "], 'models': {}}", "t.json: models: must be an array"},
	{"{'providers': [" P "], 'models': [], 'extra': 1}", "t.json: extra: unknown field"},
	{"{'providers': [" P "], 'models': [], 'budget_usd': -1}", "t.json: budget_usd: must be a number >= 0 or null"},
	{WITH_PROVIDER("[]"), "t.json: providers[0]: must be an object"},
	{WITH_PROVIDER("{'api_style': 'openai', 'base_url': 'http://x', 'key_env': null}"),
	 "t.json: providers[0].id: missing required field"},
	{WITH_PROVIDER("{'id': 7, 'api_style': 'openai', 'base_url': 'http://x', 'key_env': null}"),
	 "t.json: providers[0].id: must be a string"},
	{WITH_PROVIDER("{'id': 'open ai', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': null}"),
	 "t.json: providers[0].id: \"open ai\" may contain only letters, digits, '_' and '-'"},
	{WITH_PROVIDER(P ", " P), "t.json: providers[1].id: duplicate provider id \"p\""},
	{WITH_PROVIDER("{'id': 'p', 'name': '', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': null}"),
	 "t.json: providers[0].name: must not be empty"},
	{WITH_PROVIDER("{'id': 'p', 'api_style': 'soap', 'base_url': 'http://x', 'key_env': null}"),
	 "t.json: providers[0].api_style: must be \"openai\", \"anthropic\" or \"gemini\", not \"soap\""},
	{WITH_PROVIDER("{'id': 'p', 'base_url': 'http://x', 'key_env': null}"),
	 "t.json: providers[0].api_style: missing required field"},
	{WITH_PROVIDER("{'id': 'p', 'api_style': 'openai', 'base_url': 'ftp://x', 'key_env': null}"),
	 "t.json: providers[0].base_url: must start with http:// or https://"},
	{WITH_PROVIDER("{'id': 'p', 'api_style': 'openai', 'base_url': 'http://x y', 'key_env': null}"),
	 "t.json: providers[0].base_url: must not contain spaces, control characters or '@'"},
	{WITH_PROVIDER("{'id': 'p', 'api_style': 'openai', 'base_url': 'http://x'}"),
	 "t.json: providers[0].key_env: missing required field (use null for a server that needs no key)"},
	{WITH_PROVIDER("{'id': 'p', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': 'my-key'}"),
	 "t.json: providers[0].key_env: \"my-key\" is not an environment variable name (letters, digits, '_')"},
	{WITH_PROVIDER("{'id': 'p', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': 5}"),
	 "t.json: providers[0].key_env: must be an environment variable name, \"\" or null"},
	{WITH_PROVIDER("{'id': 'p', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': null, 'max_parallel': 0}"),
	 "t.json: providers[0].max_parallel: must be an integer from 1 to 1000"},
	{WITH_PROVIDER("{'id': 'p', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': null, 'requests_per_minute': '60'}"),
	 "t.json: providers[0].requests_per_minute: must be an integer from 1 to 1000000"},
	{WITH_PROVIDER("{'id': 'p', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': null, 'request_timeout_s': 2.5}"),
	 "t.json: providers[0].request_timeout_s: must be an integer from 1 to 3600"},
	{WITH_PROVIDER("{'id': 'p', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': null, 'api_key': 'sk-1'}"),
	 "t.json: providers[0].api_key: unknown field"},
	{WITH_MODEL("{'id': 'm1', 'provider': 'p'}, {'id': 'm2', 'provider': 'p'}, {'id': 'm3', 'provider': 'a'},"
	            " {'id': 'm4', 'provider': 'opnai'}"),
	 "t.json: models[3].provider: unknown provider \"opnai\""},
	{WITH_MODEL("7"), "t.json: models[0]: must be an object"},
	{WITH_MODEL("{'provider': 'p'}"), "t.json: models[0].id: missing required field"},
	{WITH_MODEL("{'id': 'm'}"), "t.json: models[0].provider: missing required field"},
	{WITH_MODEL("{'id': 'a@b', 'provider': 'p'}"),
	 "t.json: models[0].id: \"a@b\" may contain only letters, digits and . _ - : /"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p'}, {'id': 'm', 'provider': 'p'}"),
	 "t.json: models[1].id: duplicate model \"m\" for provider \"p\""},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'price_inn': 1}"), "t.json: models[0].price_inn: unknown field"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'display_name': ''}"), "t.json: models[0].display_name: must not be empty"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'versions': []}"),
	 "t.json: models[0].versions: must be a non-empty array of strings"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'versions': 'm-1'}"),
	 "t.json: models[0].versions: must be a non-empty array of strings"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'versions': ['a', 3]}"),
	 "t.json: models[0].versions[1]: must be a non-empty string"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'versions': ['a', 'a']}"),
	 "t.json: models[0].versions[1]: duplicate version \"a\""},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'versions': ['a b']}"),
	 "t.json: models[0].versions[0]: \"a b\" must not contain spaces, control characters or '@'"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'versions': ['a'], 'default_version': 'z'}"),
	 "t.json: models[0].default_version: \"z\" is not one of versions"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'price_in': -1, 'price_out': 1}"),
	 "t.json: models[0].price_in: must be a number >= 0"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'price_in': 1, 'price_out': '2'}"),
	 "t.json: models[0].price_out: must be a number >= 0"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'price_in': 1}"),
	 "t.json: models[0]: price_in and price_out must be given together (or both left out: price unknown)"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'deprecated': 'yes'}"), "t.json: models[0].deprecated: must be true or false"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'max_tokens': 0}"),
	 "t.json: models[0].max_tokens: must be an integer from 1 to 1000000"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'token_param': 'max'}"),
	 "t.json: models[0].token_param: must be \"max_tokens\" or \"max_completion_tokens\""},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'supports_temperature': 1}"),
	 "t.json: models[0].supports_temperature: must be true or false"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'seed_param': 'rng'}"),
	 "t.json: models[0].seed_param: must be \"seed\", \"random_seed\" or null"},
	{WITH_MODEL("{'id': 'm', 'provider': 'a', 'seed_param': 'seed'}"),
	 "t.json: models[0].seed_param: the anthropic API has no seed parameter; use null"},
	{WITH_MODEL("{'id': 'm', 'provider': 'g', 'seed_param': 'random_seed'}"),
	 "t.json: models[0].seed_param: the gemini API takes \"seed\" or null"},
	{WITH_MODEL("{'id': 'm', 'provider': 'p', 'request_overrides': []}"),
	 "t.json: models[0].request_overrides: must be an object"},
	{"{'providers': [" P "], 'models': [], 'models': []}",
	 "t.json: line 1 column 115: invalid JSON: duplicate object key near '\"models\"'"},
	{"{'providers': [", "t.json: line 1 column 15: invalid JSON: ']' expected near end of file"},
};

START_TEST(test_validation_error)
{
	char zErr[512];
	ModelCatalog *pCat = load_quoted(aBad[_i].zJson, zErr, sizeof zErr);
	if (pCat) models_free(pCat);
	ck_assert_msg(pCat == NULL, "case %d loaded", _i);
	ck_assert_str_eq(zErr, aBad[_i].zError);
}
END_TEST

START_TEST(test_defaults)
{
	char zErr[256];
	ModelCatalog *pCat = load_quoted(
		"{'_note': 'comments are keys starting with _', 'providers': [" P ", " A ", " G "], 'models': ["
		"{'id': 'gpt-4o', 'provider': 'p'}, {'id': 'm', 'provider': 'a'}, {'id': 'gm', 'provider': 'g'}]}",
		zErr, sizeof zErr);
	const ProviderConf *pProv;
	const ModelConf *pModel;
	ck_assert_msg(pCat != NULL, "%s", zErr);
	pProv = models_provider(pCat, "p");
	ck_assert_str_eq(pProv->zName, "p");
	ck_assert_str_eq(pProv->zBaseUrl, "http://x");
	ck_assert_ptr_null(pProv->zKeyEnv);
	ck_assert_int_eq(pProv->maxParallel, 10);
	ck_assert_int_eq(pProv->requestsPerMinute, 60);
	ck_assert_int_eq(pProv->requestTimeoutS, 300);
	ck_assert_int_eq(models_provider_needs_key(pProv), 0);
	ck_assert_str_eq(models_provider(pCat, "a")->zKeyEnv, "A_KEY");
	ck_assert_ptr_null(models_provider(pCat, "g")->zKeyEnv); /* "" means no key */
	ck_assert_ptr_null(models_provider(pCat, "zz"));

	pModel = models_find(pCat, "p", "gpt-4o");
	ck_assert_ptr_eq(pModel->pProvider, pProv);
	ck_assert_str_eq(pModel->zDisplayName, "gpt-4o");
	ck_assert_int_eq(pModel->nVersion, 1);
	ck_assert_str_eq(pModel->azVersion[0], "gpt-4o");
	ck_assert_str_eq(pModel->zDefaultVersion, "gpt-4o");
	ck_assert_int_eq(pModel->hasPrice, 0);
	ck_assert_int_eq(pModel->deprecated, 0);
	ck_assert_int_eq(pModel->maxTokens, 8192);
	ck_assert_int_eq(pModel->eTokenParam, TOKEN_PARAM_MAX_TOKENS);
	ck_assert_int_eq(pModel->supportsTemperature, 1);
	ck_assert_int_eq(pModel->eSeedParam, SEED_PARAM_SEED);
	ck_assert_ptr_null(pModel->pOverrides);
	ck_assert_int_eq(models_find(pCat, "a", "m")->eSeedParam, SEED_PARAM_NONE);
	ck_assert_int_eq(models_find(pCat, "g", "gm")->eSeedParam, SEED_PARAM_SEED);
	ck_assert_ptr_null(models_find(pCat, "a", "gpt-4o"));
	ck_assert_int_eq(pCat->hasBudget, 0);
	models_free(pCat);
}
END_TEST

/* The token parameter the model zId gets by default under provider zProv. */
static int default_token_param(const char *zProv, const char *zId)
{
	char zErr[256];
	Buf b = BUF_INIT;
	ModelCatalog *pCat;
	int e;
	buf_printf(&b, "{'providers': [" P ", " A "], 'models': [{'id': '%s', 'provider': '%s'}]}", zId, zProv);
	pCat = load_quoted(buf_str(&b), zErr, sizeof zErr);
	buf_free(&b);
	ck_assert_msg(pCat != NULL, "%s", zErr);
	e = pCat->aModel[0].eTokenParam;
	models_free(pCat);
	return e;
}

START_TEST(test_token_param_rule)
{
	ck_assert_int_eq(default_token_param("p", "o1"), TOKEN_PARAM_MAX_COMPLETION_TOKENS);
	ck_assert_int_eq(default_token_param("p", "o1-preview"), TOKEN_PARAM_MAX_COMPLETION_TOKENS);
	ck_assert_int_eq(default_token_param("p", "o3"), TOKEN_PARAM_MAX_COMPLETION_TOKENS);
	ck_assert_int_eq(default_token_param("p", "o4-mini"), TOKEN_PARAM_MAX_COMPLETION_TOKENS);
	ck_assert_int_eq(default_token_param("p", "gpt-5"), TOKEN_PARAM_MAX_COMPLETION_TOKENS);
	ck_assert_int_eq(default_token_param("p", "gpt-5-mini"), TOKEN_PARAM_MAX_COMPLETION_TOKENS);
	ck_assert_int_eq(default_token_param("p", "gpt-5.1"), TOKEN_PARAM_MAX_COMPLETION_TOKENS);
	ck_assert_int_eq(default_token_param("p", "gpt-4o"), TOKEN_PARAM_MAX_TOKENS);
	ck_assert_int_eq(default_token_param("p", "gpt-50"), TOKEN_PARAM_MAX_TOKENS);
	ck_assert_int_eq(default_token_param("p", "o10"), TOKEN_PARAM_MAX_TOKENS);
	ck_assert_int_eq(default_token_param("p", "llama3"), TOKEN_PARAM_MAX_TOKENS);
	ck_assert_int_eq(default_token_param("a", "o1"), TOKEN_PARAM_MAX_TOKENS);
}
END_TEST

START_TEST(test_explicit_fields)
{
	char zErr[256];
	ModelCatalog *pCat = load_quoted(
		"{'budget_usd': 12.5, 'providers': [{'id': 'p', 'name': 'Prov', 'api_style': 'openai',"
		" 'base_url': 'https://h/v1//', 'key_env': 'P_KEY', 'max_parallel': 3, 'requests_per_minute': 600,"
		" 'request_timeout_s': 30}], 'models': [{'id': 'o3', 'provider': 'p', 'display_name': 'O three',"
		" 'versions': ['o3-a', 'o3-b'], 'default_version': 'o3-b', 'price_in': 2, 'price_out': 8.5,"
		" 'deprecated': true, 'max_tokens': 100, 'token_param': 'max_tokens', 'supports_temperature': false,"
		" 'seed_param': null, 'request_overrides': {'reasoning_effort': 'low'}}]}",
		zErr, sizeof zErr);
	const ModelConf *pModel;
	double cost;
	ck_assert_msg(pCat != NULL, "%s", zErr);
	ck_assert_str_eq(pCat->aProvider[0].zName, "Prov");
	ck_assert_str_eq(pCat->aProvider[0].zBaseUrl, "https://h/v1");
	ck_assert_str_eq(pCat->aProvider[0].zKeyEnv, "P_KEY");
	ck_assert_int_eq(pCat->aProvider[0].maxParallel, 3);
	ck_assert_int_eq(pCat->aProvider[0].requestsPerMinute, 600);
	ck_assert_int_eq(pCat->aProvider[0].requestTimeoutS, 30);
	ck_assert_int_eq(pCat->hasBudget, 1);
	ck_assert_double_eq(pCat->budgetUsd, 12.5);
	pModel = models_find(pCat, "p", "o3");
	ck_assert_str_eq(pModel->zDisplayName, "O three");
	ck_assert_str_eq(pModel->zDefaultVersion, "o3-b");
	ck_assert_int_eq(models_has_version(pModel, "o3-a"), 1);
	ck_assert_int_eq(models_has_version(pModel, "o3"), 0);
	ck_assert_int_eq(pModel->hasPrice, 1);
	ck_assert_int_eq(pModel->deprecated, 1);
	ck_assert_int_eq(pModel->maxTokens, 100);
	ck_assert_int_eq(pModel->eTokenParam, TOKEN_PARAM_MAX_TOKENS); /* explicit beats the o3 rule */
	ck_assert_int_eq(pModel->supportsTemperature, 0);
	ck_assert_int_eq(pModel->eSeedParam, SEED_PARAM_NONE);
	ck_assert_str_eq(json_string_value(json_object_get(pModel->pOverrides, "reasoning_effort")), "low");
	ck_assert_int_eq(models_cost_usd(pModel, 1000000, 2000000, &cost), 0);
	ck_assert_double_eq_tol(cost, 2 + 17, 1e-9);
	ck_assert_int_eq(models_cost_usd(pModel, 1500, 300, &cost), 0);
	ck_assert_double_eq_tol(cost, 0.003 + 0.00255, 1e-12);
	models_free(pCat);
}
END_TEST

START_TEST(test_catalog_json)
{
	char zErr[256];
	ModelCatalog *pCat = load_quoted(
		"{'providers': [{'id': 'p', 'api_style': 'gemini', 'base_url': 'http://x', 'key_env': 'K'}],"
		" 'models': [{'id': 'm', 'provider': 'p', 'price_in': 1.5, 'price_out': 2, 'request_overrides': {'a': 1}},"
		" {'id': 'n', 'provider': 'p', 'versions': ['n1', 'n2']}]}",
		zErr, sizeof zErr);
	json_t *pJson;
	char *z;
	ck_assert_msg(pCat != NULL, "%s", zErr);
	pJson = models_catalog_json(pCat);
	z = json_dumps(pJson, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_str_eq(z,
		"{\"budget_usd\":null,\"models\":["
		"{\"default_version\":\"m\",\"deprecated\":false,\"display_name\":\"m\",\"id\":\"m\",\"max_tokens\":8192,"
		"\"price_in\":1.5,\"price_out\":2.0,\"provider\":\"p\",\"request_overrides\":{\"a\":1},\"seed_param\":\"seed\","
		"\"supports_temperature\":true,\"token_param\":\"max_tokens\",\"versions\":[\"m\"]},"
		"{\"default_version\":\"n1\",\"deprecated\":false,\"display_name\":\"n\",\"id\":\"n\",\"max_tokens\":8192,"
		"\"price_in\":null,\"price_out\":null,\"provider\":\"p\",\"request_overrides\":{},\"seed_param\":\"seed\","
		"\"supports_temperature\":true,\"token_param\":\"max_tokens\",\"versions\":[\"n1\",\"n2\"]}],"
		"\"providers\":[{\"api_style\":\"gemini\",\"base_url\":\"http://x\",\"id\":\"p\",\"key_env\":\"K\","
		"\"key_required\":true,\"max_parallel\":10,\"name\":\"p\",\"request_timeout_s\":300,\"requests_per_minute\":60}]}");
	free(z);
	json_decref(pJson);
	models_free(pCat);
}
END_TEST

START_TEST(test_missing_file)
{
	char zErr[256];
	ck_assert_ptr_null(models_load("/nonexistent/models.json", zErr, sizeof zErr));
	ck_assert_str_eq(zErr, "/nonexistent/models.json: cannot open: No such file or directory");
}
END_TEST

START_TEST(test_provider_key)
{
	char zErr[256];
	char zPath[] = "/tmp/vr-test-keys-XXXXXX";
	ModelCatalog *pCat = load_quoted(
		"{'providers': [{'id': 'p', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': 'VR_TEST_KEY_P'},"
		" {'id': 'q', 'api_style': 'openai', 'base_url': 'http://x', 'key_env': 'VR_TEST_KEY_Q'}, " P2 "], 'models': []}",
		zErr, sizeof zErr);
	const ProviderConf *pP, *pQ;
	char *zKey;
	FILE *pFile;
	int fd;
	ck_assert_msg(pCat != NULL, "%s", zErr);
	pP = models_provider(pCat, "p");
	pQ = models_provider(pCat, "q");

	unsetenv("VR_TEST_KEY_P");
	unsetenv("VR_TEST_KEY_Q");
	ck_assert_ptr_null(models_provider_key(pP, NULL));
	setenv("VR_TEST_KEY_P", "env-key", 1);
	zKey = models_provider_key(pP, NULL);
	ck_assert_str_eq(zKey, "env-key");
	free(zKey);

	fd = mkstemp(zPath);
	ck_assert_int_ge(fd, 0);
	pFile = fdopen(fd, "w");
	fputs("# provider keys\n\nVR_TEST_KEY_P=file-key-p\nexport VR_TEST_KEY_Q = \"file key q\" \r\nEMPTY=\n", pFile);
	fclose(pFile);
	/* The environment wins over the file; an empty variable falls back to the file. */
	zKey = models_provider_key(pP, zPath);
	ck_assert_str_eq(zKey, "env-key");
	free(zKey);
	setenv("VR_TEST_KEY_P", "", 1);
	zKey = models_provider_key(pP, zPath);
	ck_assert_str_eq(zKey, "file-key-p");
	free(zKey);
	zKey = models_provider_key(pQ, zPath);
	ck_assert_str_eq(zKey, "file key q");
	free(zKey);
	/* A provider that needs no key gets "" rather than "missing". */
	zKey = models_provider_key(models_provider(pCat, "none"), NULL);
	ck_assert_str_eq(zKey, "");
	free(zKey);
	ck_assert_ptr_null(models_provider_key(pP, "/nonexistent/keys"));
	unlink(zPath);
	unsetenv("VR_TEST_KEY_P");
	models_free(pCat);
}
END_TEST

/* The shipped etc/models.json loads and says what DOMAIN.md and providers.md say. */
START_TEST(test_etc_models_json)
{
	const char *zSrc = getenv("VR_SRCDIR");
	static const struct {
		const char *zProv, *zModel;
		double in, out;
	} aPrice[] = {
		{"openai", "gpt-5-mini", 0.25, 2.00}, {"openai", "gpt-5.1", 1.25, 10},
		{"anthropic", "claude-haiku-4-5", 1, 5}, {"anthropic", "claude-sonnet-4-5", 3, 15},
		{"google", "gemini-2.5-pro", 1.25, 10}, {"google", "gemini-2.5-flash", 0.30, 2.50},
		{"xai", "grok-4-1-fast", 0.20, 0.50}, {"deepseek", "deepseek-chat", 0.28, 0.42},
		{"mistral", "mistral-large-latest", 0.50, 1.50},
	};
	Buf path = BUF_INIT;
	char zErr[512] = "";
	ModelCatalog *pCat;
	const ModelConf *pModel;
	const char *zVersion;
	size_t i;
	int j;

	buf_printf(&path, "%s/etc/models.json", zSrc ? zSrc : ".");
	pCat = models_load(buf_str(&path), zErr, sizeof zErr);
	buf_free(&path);
	ck_assert_msg(pCat != NULL, "%s", zErr);
	for (i = 0; i < ARRAY_SIZE(aPrice); i++) {
		pModel = models_find(pCat, aPrice[i].zProv, aPrice[i].zModel);
		ck_assert_msg(pModel != NULL, "%s:%s missing", aPrice[i].zProv, aPrice[i].zModel);
		ck_assert_int_eq(pModel->hasPrice, 1);
		ck_assert_double_eq_tol(pModel->priceIn, aPrice[i].in, 1e-9);
		ck_assert_double_eq_tol(pModel->priceOut, aPrice[i].out, 1e-9);
	}
	for (j = 0; j < pCat->nProvider; j++) {
		ck_assert_int_eq(pCat->aProvider[j].maxParallel > 0, 1);
	}
	ck_assert_str_eq(models_provider(pCat, "openai")->zKeyEnv, "OPENAI_API_KEY");
	ck_assert_str_eq(models_provider(pCat, "anthropic")->zKeyEnv, "ANTHROPIC_API_KEY");
	ck_assert_str_eq(models_provider(pCat, "google")->zKeyEnv, "GOOGLE_API_KEY");
	ck_assert_str_eq(models_provider(pCat, "xai")->zKeyEnv, "XAI_API_KEY");
	ck_assert_str_eq(models_provider(pCat, "deepseek")->zKeyEnv, "DEEPSEEK_API_KEY");
	ck_assert_str_eq(models_provider(pCat, "mistral")->zKeyEnv, "MISTRAL_API_KEY");
	ck_assert_ptr_null(models_provider(pCat, "local")->zKeyEnv);
	ck_assert_str_eq(models_provider(pCat, "local")->zBaseUrl, "http://127.0.0.1:11434/v1");
	ck_assert_int_eq(models_find(pCat, "openai", "gpt-5-mini")->eTokenParam, TOKEN_PARAM_MAX_COMPLETION_TOKENS);
	ck_assert_int_eq(models_find(pCat, "openai", "gpt-5.1")->eTokenParam, TOKEN_PARAM_MAX_COMPLETION_TOKENS);
	ck_assert_int_eq(models_find(pCat, "mistral", "mistral-large-latest")->eSeedParam, SEED_PARAM_RANDOM_SEED);
	ck_assert_str_eq(models_find(pCat, "anthropic", "claude-haiku-4-5")->zDefaultVersion, "claude-haiku-4-5-20251001");
	ck_assert_str_eq(models_find(pCat, "anthropic", "claude-sonnet-4-5")->zDefaultVersion, "claude-sonnet-4-5-20250929");

	/* The mock providers the demo and the tests use. */
	ck_assert_str_eq(models_provider(pCat, "mock")->zBaseUrl, "http://127.0.0.1:8091/v1");
	ck_assert_int_eq(models_provider(pCat, "mock")->eStyle, API_OPENAI);
	ck_assert_str_eq(models_provider(pCat, "mock")->zKeyEnv, "MOCK_API_KEY");
	ck_assert_str_eq(models_provider(pCat, "mock-anthropic")->zBaseUrl, "http://127.0.0.1:8091");
	ck_assert_int_eq(models_provider(pCat, "mock-anthropic")->eStyle, API_ANTHROPIC);
	ck_assert_str_eq(models_provider(pCat, "mock-gemini")->zBaseUrl, "http://127.0.0.1:8091/v1beta");
	ck_assert_int_eq(models_provider(pCat, "mock-gemini")->eStyle, API_GEMINI);
	ck_assert_ptr_nonnull(models_find(pCat, "mock", "mock-a"));
	ck_assert_ptr_nonnull(models_find(pCat, "mock", "mock-b"));
	ck_assert_ptr_nonnull(models_find(pCat, "mock", "mock-c"));
	ck_assert_ptr_nonnull(models_find(pCat, "mock-anthropic", "mock-claude"));
	ck_assert_ptr_nonnull(models_find(pCat, "mock-gemini", "mock-gemini"));

	ck_assert_int_eq(models_resolve_ref(pCat, "mock:mock-a", &pModel, &zVersion, zErr, sizeof zErr), 0);
	ck_assert_str_eq(zVersion, "mock-a-2026-06");
	ck_assert_int_eq(models_resolve_ref(pCat, "mock:mock-a@mock-a-2026-01", &pModel, &zVersion, zErr, sizeof zErr), 0);
	ck_assert_str_eq(pModel->zId, "mock-a");
	ck_assert_str_eq(zVersion, "mock-a-2026-01");
	ck_assert_int_eq(models_resolve_ref(pCat, "local:llama3.1-8b@llama3.1:8b", &pModel, &zVersion, zErr, sizeof zErr), 0);
	ck_assert_str_eq(zVersion, "llama3.1:8b");
	ck_assert_int_eq(models_resolve_ref(pCat, "mock:mock-a@nope", &pModel, &zVersion, zErr, sizeof zErr), -1);
	ck_assert_str_eq(zErr, "model \"mock-a\" has no version \"nope\"");
	ck_assert_ptr_null(pModel);
	ck_assert_int_eq(models_resolve_ref(pCat, "nope:x", &pModel, &zVersion, zErr, sizeof zErr), -1);
	ck_assert_str_eq(zErr, "unknown provider \"nope\"");
	ck_assert_int_eq(models_resolve_ref(pCat, "mock:zz", &pModel, &zVersion, zErr, sizeof zErr), -1);
	ck_assert_str_eq(zErr, "unknown model \"zz\" for provider \"mock\"");
	ck_assert_int_eq(models_resolve_ref(pCat, "mock", &pModel, &zVersion, zErr, sizeof zErr), -1);
	ck_assert_str_eq(zErr, "\"mock\" is not of the form provider:model or provider:model@version");
	ck_assert_int_eq(models_resolve_ref(pCat, "mock:@v", &pModel, &zVersion, zErr, sizeof zErr), -1);
	models_free(pCat);
}
END_TEST

/* Tests and the demo rewrite the mock address by text substitution: it must work. */
START_TEST(test_etc_models_json_port_substitution)
{
	char *zText = source_file("etc/models.json");
	Buf b = BUF_INIT;
	const char *z = zText, *zHit;
	char zErr[512];
	ModelCatalog *pCat;
	int nHit = 0;
	while ((zHit = strstr(z, "127.0.0.1:8091")) != NULL) {
		buf_append(&b, z, (size_t)(zHit - z));
		buf_puts(&b, "127.0.0.1:18555");
		z = zHit + strlen("127.0.0.1:8091");
		nHit++;
	}
	buf_puts(&b, z);
	ck_assert_int_eq(nHit, 4); /* three base URLs and the comment that names the string */
	pCat = models_load_text("copy", buf_str(&b), b.n, zErr, sizeof zErr);
	ck_assert_msg(pCat != NULL, "%s", zErr);
	ck_assert_str_eq(models_provider(pCat, "mock")->zBaseUrl, "http://127.0.0.1:18555/v1");
	ck_assert_str_eq(models_provider(pCat, "mock-anthropic")->zBaseUrl, "http://127.0.0.1:18555");
	ck_assert_str_eq(models_provider(pCat, "mock-gemini")->zBaseUrl, "http://127.0.0.1:18555/v1beta");
	models_free(pCat);
	buf_free(&b);
	free(zText);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("models");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_validation_error, 0, (int)ARRAY_SIZE(aBad));
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_token_param_rule);
	tcase_add_test(tc, test_explicit_fields);
	tcase_add_test(tc, test_catalog_json);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_provider_key);
	tcase_add_test(tc, test_etc_models_json);
	tcase_add_test(tc, test_etc_models_json_port_substitution);
	suite_add_tcase(s, tc);
	return check_run(s);
}
