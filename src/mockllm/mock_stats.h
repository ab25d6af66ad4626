/* mock_stats.h — thread-safe request counters and Retry-After violation tracking of valuerank-mockllm. */
#ifndef VR_MOCK_STATS_H
#define VR_MOCK_STATS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* A body that was answered 429 and the time before which it must not come back. */
typedef struct MockRetryEntry {
	uint64_t bodyHash;
	int64_t notBeforeMs;
} MockRetryEntry;

typedef struct MockModelCount {
	char *zModel; /* owned */
	int64_t n;
} MockModelCount;

/* Counters; every field is guarded by mu. Statuses 0..599 (0 = closed with no response). */
typedef struct MockStats {
	pthread_mutex_t mu;
	int64_t nRequest;
	int64_t aByStatus[600];
	MockModelCount *aModel;
	size_t nModel;
	int64_t nRetryViolation;
	int64_t nInFlight;
	int64_t nMaxInFlight;
	MockRetryEntry *aRetry;
	size_t nRetry;
} MockStats;

void mock_stats_init(MockStats *p);
void mock_stats_free(MockStats *p);

/* Zero the counters and forget pending Retry-After windows; requests in flight stay counted. */
void mock_stats_reset(MockStats *p);

/* A request arrived: count it and raise in_flight. */
void mock_stats_request_begin(MockStats *p);
/* A request finished with an HTTP status (0 when the connection was closed with no response). */
void mock_stats_request_end(MockStats *p, int status);
/* Count one generation request for the model id. */
void mock_stats_count_model(MockStats *p, const char *zModel);

/*
 * A generation request with this body hash arrived at nowMs: if the body was
 * answered 429 and its Retry-After has not yet passed, count a violation and
 * return 1; else return 0.
 */
int mock_stats_check_retry(MockStats *p, uint64_t bodyHash, int64_t nowMs);

/* Remember that this body was answered 429 at nowMs with Retry-After retryAfterMs. */
void mock_stats_note_429(MockStats *p, uint64_t bodyHash, int64_t nowMs, int64_t retryAfterMs);

/*
 * The stats as JSON: {"requests": N, "by_status": {"200": n, ...},
 * "by_model": {"mock-a": n, ...}, "retry_after_violations": N,
 * "in_flight": N, "max_in_flight": N}. Caller frees.
 */
char *mock_stats_to_json(MockStats *p);

#endif
