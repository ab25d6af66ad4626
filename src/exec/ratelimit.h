/* ratelimit.h — pure scheduling arithmetic of the executor: token bucket and retry backoff. */
#ifndef VR_EXEC_RATELIMIT_H
#define VR_EXEC_RATELIMIT_H

#include <stdint.h>

/*
 * A requests-per-minute limit as a token bucket. It holds at most one
 * second's worth of requests (at least 1), so a provider allowing 60 per
 * minute gets one request per second, not a burst of 60. Times are
 * monotonic milliseconds. All state is in the struct; nothing allocates.
 */
typedef struct TokenBucket {
	double tokens;     /* may go negative after a forced take (debt) */
	double capacity;
	double perMs;      /* refill rate */
	int64_t lastMs;
} TokenBucket;

/* Start a bucket for requestsPerMinute (>= 1), full, at time nowMs. */
void bucket_init(TokenBucket *b, int requestsPerMinute, int64_t nowMs);
/* Change the rate (models.json reloaded), keeping the tokens it has (clamped to the new capacity). */
void bucket_set_rate(TokenBucket *b, int requestsPerMinute, int64_t nowMs);
/* Whole tokens available at nowMs (0 when empty or in debt). */
int bucket_available(TokenBucket *b, int64_t nowMs);
/* Take one token if there is one: 1 taken, 0 not. */
int bucket_take(TokenBucket *b, int64_t nowMs);
/* Take one token even when empty (a follow-up turn already under way); debt is capped at capacity. */
void bucket_take_forced(TokenBucket *b, int64_t nowMs);
/* Milliseconds until a token will be available (0 when one is). */
int64_t bucket_wait_ms(TokenBucket *b, int64_t nowMs);

/* Retry policy defaults (DOMAIN.md: exponential backoff with jitter, at least Retry-After). */
#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS 60000

/*
 * Delay before retry number `attempt` (1 = the first retry after one failed
 * attempt): an exponential step base·2^(attempt-1), capped at capMs, with
 * "equal jitter" (half fixed, half scaled by u in [0,1)), and never less
 * than retryAfterMs, the provider's own Retry-After or reset time.
 */
int64_t backoff_delay_ms(int attempt, int64_t baseMs, int64_t capMs, int64_t retryAfterMs, double u);

#endif
