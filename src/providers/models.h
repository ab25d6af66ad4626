/* models.h — the provider and model catalog read from etc/models.json. */
#ifndef VR_MODELS_H
#define VR_MODELS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Which wire format a provider speaks (see reference/providers.md). */
typedef enum ApiStyle { API_OPENAI, API_ANTHROPIC, API_GEMINI } ApiStyle;

/* The name of the request field carrying the output-token limit (OpenAI style). */
typedef enum TokenParam { TOKEN_PARAM_MAX_TOKENS, TOKEN_PARAM_MAX_COMPLETION_TOKENS } TokenParam;

/* Which request field carries the seed sent with temperature 0, if any. */
typedef enum SeedParam { SEED_PARAM_NONE, SEED_PARAM_SEED, SEED_PARAM_RANDOM_SEED } SeedParam;

#define MODELS_DEFAULT_MAX_PARALLEL 10
#define MODELS_DEFAULT_RPM 60
#define MODELS_DEFAULT_TIMEOUT_S 300
#define MODELS_DEFAULT_MAX_TOKENS 8192

/* One provider. Strings are owned by the catalog. */
typedef struct ProviderConf {
	char *zId;            /* "openai", "mock", ... */
	char *zName;          /* display name */
	ApiStyle eStyle;
	char *zBaseUrl;       /* without a trailing slash */
	char *zKeyEnv;        /* environment variable holding the key; NULL = no key needed */
	int maxParallel;
	int requestsPerMinute;
	int requestTimeoutS;
} ProviderConf;

/* One model. Strings and pOverrides are owned by the catalog. */
typedef struct ModelConf {
	char *zId;
	const ProviderConf *pProvider;
	char *zDisplayName;
	char **azVersion;      /* at least one version */
	int nVersion;
	char *zDefaultVersion; /* one of azVersion */
	int hasPrice;          /* 0: price unknown (never shown as $0) */
	double priceIn;        /* USD per million input tokens */
	double priceOut;       /* USD per million output tokens */
	int deprecated;
	int maxTokens;
	TokenParam eTokenParam;
	int supportsTemperature;
	SeedParam eSeedParam;
	json_t *pOverrides;    /* NULL or an object merged into every request body */
} ModelConf;

/* The whole catalog; read-only after models_load(). */
typedef struct ModelCatalog {
	ProviderConf *aProvider;
	int nProvider;
	ModelConf *aModel;
	int nModel;
	int hasBudget;
	double budgetUsd;
} ModelCatalog;

/*
 * Read and validate a models.json file. On success returns a catalog the
 * caller frees with models_free(). On any problem returns NULL and writes one
 * line into zErr naming the file, the JSON path and the problem, e.g.
 * `etc/models.json: models[3].provider: unknown provider "opnai"`.
 */
ModelCatalog *models_load(const char *zPath, char *zErr, size_t nErr);

/* Same as models_load() on JSON text; zName is used in error messages. */
ModelCatalog *models_load_text(const char *zName, const char *zText, size_t nText, char *zErr,
                               size_t nErr);

/* Free a catalog (NULL is fine). */
void models_free(ModelCatalog *pCat);

/* The provider with this id, or NULL. Points into the catalog. */
const ProviderConf *models_provider(const ModelCatalog *pCat, const char *zProviderId);

/* The model zModelId of provider zProviderId, or NULL. Points into the catalog. */
const ModelConf *models_find(const ModelCatalog *pCat, const char *zProviderId,
                             const char *zModelId);

/* 1 if zVersion is one of the model's versions. */
int models_has_version(const ModelConf *pModel, const char *zVersion);

/*
 * Resolve a form value "provider:model" or "provider:model@version". On
 * success stores the model and the version (the default version when none is
 * given; both point into the catalog) and returns 0; otherwise writes a
 * sentence into zErr and returns -1.
 */
int models_resolve_ref(const ModelCatalog *pCat, const char *zRef, const ModelConf **ppModel,
                       const char **pzVersion, char *zErr, size_t nErr);

/*
 * Cost in USD of a call: in * price_in / 1e6 + out * price_out / 1e6.
 * Returns 0 and stores it, or -1 when the model's price is unknown.
 */
int models_cost_usd(const ModelConf *pModel, int64_t inputTokens, int64_t outputTokens,
                    double *pOut);

/* 1 if requests to this provider need an API key. */
int models_provider_needs_key(const ProviderConf *pProvider);

/*
 * The API key for a provider: the environment variable named by key_env or,
 * when it is unset or empty and zKeyFile is not NULL, the `NAME=value` line of
 * that file (blank lines and lines starting with '#' are ignored; spaces
 * around the value and matching quotes are removed). A provider that needs no
 * key gets "" (so NULL always means "missing"). Returns NULL if the key is
 * missing. The caller frees the result.
 */
char *models_provider_key(const ProviderConf *pProvider, const char *zKeyFile);

/*
 * The catalog as JSON for pages and the API: {"providers": [...], "models":
 * [...], "budget_usd": n|null}. Never contains a key, only key_env names.
 * The caller owns the reference (json_decref).
 */
json_t *models_catalog_json(const ModelCatalog *pCat);

/* "openai" | "anthropic" | "gemini". */
const char *models_api_style_name(ApiStyle e);

#endif
