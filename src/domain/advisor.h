/* advisor.h — the run advisor (preflight): blockers, warnings, a recommendation and an estimate. */
#ifndef VR_DOMAIN_ADVISOR_H
#define VR_DOMAIN_ADVISOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/*
 * DOMAIN.md "Run advisor". The advisor recommends and never starts: it takes
 * values (what the form asks for, what the catalogue and the database know)
 * and returns a view model. It performs no I/O, so the same inputs always
 * give byte-identical output — the run records exactly what was shown.
 */

/* Job count the recommendation keeps a run under when the user gives none. */
#define ADVISOR_DEFAULT_TARGET_JOBS 2000
/* More scenarios than this is a warning (cost and time). */
#define ADVISOR_MANY_SCENARIOS 1000
/* Assumed seconds per request when a model has no past transcripts: fixed part. */
#define ADVISOR_DEFAULT_LATENCY_MS 1000
/* ...plus this many milliseconds per expected output token. */
#define ADVISOR_MS_PER_OUTPUT_TOKEN 20

/* One selected model, as the caller resolved it. Strings are borrowed. */
typedef struct AdvisorModel {
	const char *zRef;            /* what the form sent, e.g. "mock:mock-a@v1" (for messages) */
	const char *zProvider;       /* provider id; NULL when the ref did not resolve */
	const char *zModel;          /* model id; NULL when the ref did not resolve */
	const char *zDisplayName;    /* NULL: the model id */
	const char *zVersion;        /* the version that would run (chosen or default) */
	const char *zDefaultVersion; /* the catalogue's default version */
	const char *zResolveError;   /* non-NULL: the ref is unknown or its version is not listed */
	int needsKey;                /* the provider needs an API key */
	int keyConfigured;           /* provider_status.configured says valuerankd has the key */
	int lastCheckFailed;         /* the provider's last health check did not connect */
	const char *zLastCheckError; /* its message, or NULL */
	int deprecated;
	int hasPrice;                /* 0: price unknown */
	double priceIn, priceOut;    /* USD per million tokens */
	double avgOutputTokens;      /* per turn from past transcripts; < 0: none (500 is assumed) */
	double avgLatencyMs;         /* per request from past transcripts; < 0: none */
	int maxParallel;             /* provider limits; <= 0 means 1 */
	int requestsPerMinute;
} AdvisorModel;

/* Everything the advisor looks at. Pointers are borrowed. */
typedef struct AdvisorInput {
	int64_t definitionId;
	int64_t nScenario;           /* expanded scenarios of the definition */
	int nDefinitionError;        /* validation errors of the definition */
	double meanFirstTurnChars;   /* mean characters of turn 1 (preamble + "\n\n" + prompt) */
	const int64_t *aFollowupChars; /* characters of each follow-up prompt */
	int nFollowup;
	const AdvisorModel *aModel;
	int nModel;
	int samplePct;               /* 1..100 as asked */
	int64_t sampleSeed;          /* as asked; 0: none given */
	int samples;                 /* repeats per scenario, 1..100 */
	int executorAlive;           /* a valuerankd heartbeat within the last 30 s */
	int dbWritable;
	int hasBudget;
	double budgetUsd;
	int64_t targetJobs;          /* <= 0: ADVISOR_DEFAULT_TARGET_JOBS */
} AdvisorInput;

/*
 * Run the advisor. Returns a new JSON object (caller json_decref()s):
 *
 * {"ok": true|false,                     (no blockers: Start is allowed)
 *  "blockers": [{"code": "no_models", "message": "..."}],
 *  "warnings": [{"code": "many_scenarios", "message": "..."}],
 *  "estimate": ESTIMATE,                 (for the settings as asked)
 *  "recommendation": {"sample_pct": 10, "sample_seed": 123, "samples": 1,
 *       "models": [{"ref": "mock:mock-a@v2", "provider", "model", "version",
 *                   "is_default": true, "chosen_version": "v1"}],
 *       "target_jobs": 2000, "changes_sampling": true, "reason": "...",
 *       "estimate": ESTIMATE}}           (for the recommended settings)
 *
 * ESTIMATE = {"scenarios": sampled scenarios, "turns": turns per job,
 *   "jobs", "input_tokens", "output_tokens",
 *   "cost_usd": number|null, "cost_text": "$0.1234" | "price unknown",
 *   "price_unknown": bool (some model has no price: the total is a lower bound
 *                          and cost_usd is null),
 *   "duration_s", "duration_text": "about 3 min",
 *   "models": [{"ref", "provider", "model", "version", "display_name", "jobs",
 *               "input_tokens", "output_tokens", "output_source": "history"|"default",
 *               "cost_usd": n|null, "cost_text", "price_unknown"}],
 *   "providers": [{"provider", "jobs", "requests", "max_parallel",
 *                  "requests_per_minute", "duration_s", "duration_text"}]}
 *
 * Token estimate per job: turn t (0-based) sends the first turn's characters
 * plus the first t follow-ups' characters, /4, plus t times the expected
 * output of one turn (the history the model sees); it returns the model's
 * average output tokens per turn in past transcripts, else 500. Duration per
 * provider is max(requests ÷ requests-per-minute, requests × latency ÷
 * max-parallel); providers run side by side, so the run takes the longest.
 */
json_t *advisor_run(const AdvisorInput *pIn);

/*
 * The sample percentage that keeps nScenario × samples × nModel jobs at or
 * under targetJobs: 100 when already under, else the largest percentage
 * that fits (at least 1, even if 1 % is still over). Pure arithmetic.
 */
int advisor_recommend_pct(int64_t nScenario, int samples, int nModel, int64_t targetJobs);

/* A deterministic seed (1..999999) for a definition when the user gave none. */
int64_t advisor_default_seed(int64_t definitionId);

/* "45 s", "about 3 min", "about 2.5 h" into zOut (n bytes). */
void advisor_format_duration(char *zOut, size_t n, double seconds);

#endif
