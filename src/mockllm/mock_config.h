/* mock_config.h — latency and fault-injection settings of valuerank-mockllm, and the fault draw. */
#ifndef VR_MOCK_CONFIG_H
#define VR_MOCK_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/*
 * The run-time settings. Each has one name used both as a command-line option
 * (--latency-ms 200) and as a key of POST /_mock/config ({"latency-ms": 200}).
 * Rates are probabilities in [0, 1], drawn once per request in the order of
 * enum MockFault; if they add up to more than 1 the later ones get what is left.
 */
typedef struct MockFaultConfig {
	int64_t latencyMs;    /* "latency-ms": mean added delay, default 0 */
	int64_t jitterMs;     /* "jitter-ms": delay varies uniformly by ± this, default 0 */
	int64_t retryAfterS;  /* "retry-after": seconds announced with a 429, default 1 */
	int64_t hangMs;       /* "hang-ms": how long a hang lasts, default 400000 */
	double rate429;       /* "rate-429" */
	double rate500;       /* "rate-500" */
	double rate503;       /* "rate-503" (Anthropic answers 529) */
	double rateHang;      /* "rate-hang": sleep hang-ms, then close with no response */
	double rateReset;     /* "rate-reset": close the connection with no response */
	double rateMalformed; /* "rate-malformed": 200 with truncated JSON */
	double rateEmpty;     /* "rate-empty": 200 with empty content */
	double rateFilter;    /* "rate-filter": content-filter / refusal answer */
	uint64_t seed;        /* "seed": seed of the fault generator, default 1 */
} MockFaultConfig;

/* One injected fault per request, or none. */
typedef enum MockFault {
	MOCK_FAULT_NONE,
	MOCK_FAULT_429,
	MOCK_FAULT_500,
	MOCK_FAULT_503,
	MOCK_FAULT_HANG,
	MOCK_FAULT_RESET,
	MOCK_FAULT_MALFORMED,
	MOCK_FAULT_EMPTY,
	MOCK_FAULT_FILTER
} MockFault;

/* Fill in the defaults listed above. */
void mock_config_defaults(MockFaultConfig *p);

/* 1 if zName (e.g. "rate-429"; '_' is accepted for '-') names a setting, else 0. */
int mock_config_is_name(const char *zName);

/*
 * Set the setting zName from text (an option argument). Returns 0, or -1 with
 * a sentence in zErr (e.g. "rate-429 must be a number from 0 to 1, not \"2\"").
 */
int mock_config_set_text(MockFaultConfig *p, const char *zName, const char *zValue,
			 char *zErr, size_t nErr);

/*
 * Apply a JSON object of settings ({"rate-429": 1, "retry-after": 2}) to *p.
 * All or nothing: on any error *p is unchanged and -1 is returned with a
 * message in zErr. *pSeedChanged is set to 1 when "seed" was given.
 */
int mock_config_apply_json(MockFaultConfig *p, const char *zJson, size_t nJson,
			   int *pSeedChanged, char *zErr, size_t nErr);

/* The settings as a JSON object with the option names as keys. Caller frees. */
char *mock_config_to_json(const MockFaultConfig *p);

/* The fault for a uniform random number u in [0, 1). */
MockFault mock_fault_pick(const MockFaultConfig *p, double u);

/* Short name of a fault for logs: "none", "429", "hang", "reset", ... */
const char *mock_fault_name(MockFault f);

/* A uniform number in [0, 1) from the generator state (splitmix64). */
double mock_uniform(uint64_t *pState);

/* Latency for one request: latencyMs ± jitterMs (uniform), never below 0. */
int64_t mock_latency_draw(const MockFaultConfig *p, uint64_t *pState);

#endif
