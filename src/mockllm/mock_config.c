/* mock_config.c — parse, apply and report the mock server's latency and fault settings. */
#include "mockllm/mock_config.h"

#include "lib/util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum SettingKind { SETTING_MS, SETTING_SECONDS, SETTING_RATE, SETTING_SEED };

/* The settings table: name, kind and where the value lives in MockFaultConfig. */
static const struct Setting {
	const char *zName;
	enum SettingKind kind;
	size_t offset;
} aSetting[] = {
	{"latency-ms", SETTING_MS, offsetof(MockFaultConfig, latencyMs)},
	{"jitter-ms", SETTING_MS, offsetof(MockFaultConfig, jitterMs)},
	{"retry-after", SETTING_SECONDS, offsetof(MockFaultConfig, retryAfterS)},
	{"hang-ms", SETTING_MS, offsetof(MockFaultConfig, hangMs)},
	{"rate-429", SETTING_RATE, offsetof(MockFaultConfig, rate429)},
	{"rate-500", SETTING_RATE, offsetof(MockFaultConfig, rate500)},
	{"rate-503", SETTING_RATE, offsetof(MockFaultConfig, rate503)},
	{"rate-hang", SETTING_RATE, offsetof(MockFaultConfig, rateHang)},
	{"rate-reset", SETTING_RATE, offsetof(MockFaultConfig, rateReset)},
	{"rate-malformed", SETTING_RATE, offsetof(MockFaultConfig, rateMalformed)},
	{"rate-empty", SETTING_RATE, offsetof(MockFaultConfig, rateEmpty)},
	{"rate-filter", SETTING_RATE, offsetof(MockFaultConfig, rateFilter)},
	{"seed", SETTING_SEED, offsetof(MockFaultConfig, seed)},
};

/* Upper bounds: a day of latency, a day of Retry-After. */
#define MAX_MS 86400000LL
#define MAX_SECONDS 86400LL

void mock_config_defaults(MockFaultConfig *p)
{
	memset(p, 0, sizeof(*p));
	p->retryAfterS = 1;
	p->hangMs = 400000;
	p->seed = 1;
}

/* The table entry named zName ('_' matches '-'), or NULL. */
static const struct Setting *setting_find(const char *zName)
{
	size_t i, j;
	for (i = 0; i < ARRAY_SIZE(aSetting); i++) {
		const char *zA = aSetting[i].zName;
		for (j = 0; zA[j] && zName[j]; j++) {
			char c = zName[j] == '_' ? '-' : zName[j];
			if (c != zA[j])
				break;
		}
		if (!zA[j] && !zName[j])
			return &aSetting[i];
	}
	return NULL;
}

int mock_config_is_name(const char *zName)
{
	return setting_find(zName) != NULL;
}

/* Store a numeric value v into the setting s of p after checking its range. */
static int setting_store(MockFaultConfig *p, const struct Setting *s, double v, const char *zShown,
			 char *zErr, size_t nErr)
{
	char *pField = (char *)p + s->offset;
	switch (s->kind) {
	case SETTING_RATE:
		if (!(v >= 0.0 && v <= 1.0)) {
			snprintf(zErr, nErr, "%s must be a number from 0 to 1, not %s", s->zName, zShown);
			return -1;
		}
		memcpy(pField, &v, sizeof(double));
		return 0;
	case SETTING_MS:
	case SETTING_SECONDS: {
		int64_t hi = s->kind == SETTING_MS ? MAX_MS : MAX_SECONDS, n;
		if (!(v >= 0.0 && v <= (double)hi) || floor(v) != v) {
			snprintf(zErr, nErr, "%s must be a whole number from 0 to %lld, not %s", s->zName,
				 (long long)hi, zShown);
			return -1;
		}
		n = (int64_t)v;
		memcpy(pField, &n, sizeof(int64_t));
		return 0;
	}
	case SETTING_SEED:
	default: {
		uint64_t n;
		if (!(v >= 0.0 && v <= 9007199254740992.0) || floor(v) != v) {
			snprintf(zErr, nErr, "seed must be a whole number from 0 to 2^53, not %s", zShown);
			return -1;
		}
		n = (uint64_t)v;
		memcpy(pField, &n, sizeof(uint64_t));
		return 0;
	}
	}
}

int mock_config_set_text(MockFaultConfig *p, const char *zName, const char *zValue,
			 char *zErr, size_t nErr)
{
	const struct Setting *s = setting_find(zName);
	char zShown[64];
	double v;
	if (!s) {
		snprintf(zErr, nErr, "unknown setting \"%s\"", zName);
		return -1;
	}
	snprintf(zShown, sizeof(zShown), "\"%.40s\"", zValue ? zValue : "");
	if (parse_double(zValue, -1e300, 1e300, &v) != 0) {
		snprintf(zErr, nErr, "%s needs a number, not %s", s->zName, zShown);
		return -1;
	}
	return setting_store(p, s, v, zShown, zErr, nErr);
}

int mock_config_apply_json(MockFaultConfig *p, const char *zJson, size_t nJson,
			   int *pSeedChanged, char *zErr, size_t nErr)
{
	MockFaultConfig next = *p;
	json_error_t jerr;
	json_t *pRoot = json_loadb(zJson, nJson, 0, &jerr);
	const char *zKey;
	json_t *pValue;
	int rc = -1, seedChanged = 0;

	if (!pRoot) {
		snprintf(zErr, nErr, "the body is not valid JSON: %s (line %d)", jerr.text, jerr.line);
		goto out;
	}
	if (!json_is_object(pRoot)) {
		snprintf(zErr, nErr, "the body must be a JSON object such as {\"rate-429\": 0.5}");
		goto out;
	}
	json_object_foreach(pRoot, zKey, pValue) {
		const struct Setting *s = setting_find(zKey);
		char zShown[64];
		if (!s) {
			snprintf(zErr, nErr, "unknown setting \"%.60s\"", zKey);
			goto out;
		}
		if (!json_is_number(pValue)) {
			snprintf(zErr, nErr, "%s needs a JSON number", s->zName);
			goto out;
		}
		snprintf(zShown, sizeof(zShown), "%g", json_number_value(pValue));
		if (setting_store(&next, s, json_number_value(pValue), zShown, zErr, nErr) != 0)
			goto out;
		if (s->kind == SETTING_SEED)
			seedChanged = 1;
	}
	*p = next;
	if (pSeedChanged)
		*pSeedChanged = seedChanged;
	rc = 0;
out:
	json_decref(pRoot);
	return rc;
}

char *mock_config_to_json(const MockFaultConfig *p)
{
	json_t *pObj = json_object();
	size_t i;
	char *z;
	for (i = 0; i < ARRAY_SIZE(aSetting); i++) {
		const char *pField = (const char *)p + aSetting[i].offset;
		json_t *pValue;
		if (aSetting[i].kind == SETTING_RATE) {
			double v;
			memcpy(&v, pField, sizeof(v));
			pValue = json_real(v);
		} else if (aSetting[i].kind == SETTING_SEED) {
			uint64_t v;
			memcpy(&v, pField, sizeof(v));
			pValue = json_integer((json_int_t)v);
		} else {
			int64_t v;
			memcpy(&v, pField, sizeof(v));
			pValue = json_integer((json_int_t)v);
		}
		json_object_set_new(pObj, aSetting[i].zName, pValue);
	}
	z = json_dumps(pObj, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(pObj);
	if (!z)
		abort(); /* only on out of memory: the allocation policy of util.h */
	return z;
}

MockFault mock_fault_pick(const MockFaultConfig *p, double u)
{
	const double aRate[] = {p->rate429, p->rate500, p->rate503, p->rateHang,
				p->rateReset, p->rateMalformed, p->rateEmpty, p->rateFilter};
	const MockFault aFault[] = {MOCK_FAULT_429, MOCK_FAULT_500, MOCK_FAULT_503,
				    MOCK_FAULT_HANG, MOCK_FAULT_RESET, MOCK_FAULT_MALFORMED,
				    MOCK_FAULT_EMPTY, MOCK_FAULT_FILTER};
	double acc = 0.0;
	size_t i;
	for (i = 0; i < ARRAY_SIZE(aRate); i++) {
		acc += aRate[i];
		if (aRate[i] > 0.0 && u < acc)
			return aFault[i];
	}
	return MOCK_FAULT_NONE;
}

const char *mock_fault_name(MockFault f)
{
	switch (f) {
	case MOCK_FAULT_429: return "429";
	case MOCK_FAULT_500: return "500";
	case MOCK_FAULT_503: return "503";
	case MOCK_FAULT_HANG: return "hang";
	case MOCK_FAULT_RESET: return "reset";
	case MOCK_FAULT_MALFORMED: return "malformed";
	case MOCK_FAULT_EMPTY: return "empty";
	case MOCK_FAULT_FILTER: return "filter";
	default: return "none";
	}
}

double mock_uniform(uint64_t *pState)
{
	return prng_unit(pState);
}

int64_t mock_latency_draw(const MockFaultConfig *p, uint64_t *pState)
{
	int64_t ms = p->latencyMs;
	if (p->jitterMs > 0) {
		uint64_t span = (uint64_t)p->jitterMs * 2 + 1;
		ms += (int64_t)(prng_splitmix64(pState) % span) - p->jitterMs;
	}
	return ms < 0 ? 0 : ms;
}
