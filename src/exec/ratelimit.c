/* ratelimit.c — token bucket and retry backoff arithmetic (pure functions, unit-tested). */
#include "exec/ratelimit.h"

/* Add the tokens earned since the last call. */
static void bucket_refill(TokenBucket *b, int64_t nowMs)
{
	if (nowMs > b->lastMs) {
		b->tokens += (double)(nowMs - b->lastMs) * b->perMs;
		if (b->tokens > b->capacity)
			b->tokens = b->capacity;
		b->lastMs = nowMs;
	}
}

void bucket_set_rate(TokenBucket *b, int requestsPerMinute, int64_t nowMs)
{
	if (requestsPerMinute < 1)
		requestsPerMinute = 1;
	bucket_refill(b, nowMs);
	b->perMs = (double)requestsPerMinute / 60000.0;
	b->capacity = (double)requestsPerMinute / 60.0;
	if (b->capacity < 1)
		b->capacity = 1;
	if (b->tokens > b->capacity)
		b->tokens = b->capacity;
}

void bucket_init(TokenBucket *b, int requestsPerMinute, int64_t nowMs)
{
	b->lastMs = nowMs;
	b->tokens = 0;
	bucket_set_rate(b, requestsPerMinute, nowMs);
	b->tokens = b->capacity;
}

int bucket_available(TokenBucket *b, int64_t nowMs)
{
	bucket_refill(b, nowMs);
	return b->tokens >= 1 ? (int)b->tokens : 0;
}

int bucket_take(TokenBucket *b, int64_t nowMs)
{
	bucket_refill(b, nowMs);
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

void bucket_take_forced(TokenBucket *b, int64_t nowMs)
{
	bucket_refill(b, nowMs);
	b->tokens -= 1;
	if (b->tokens < -b->capacity)
		b->tokens = -b->capacity;
}

int64_t bucket_wait_ms(TokenBucket *b, int64_t nowMs)
{
	double missing;
	int64_t ms;
	bucket_refill(b, nowMs);
	if (b->tokens >= 1)
		return 0;
	missing = 1 - b->tokens;
	ms = (int64_t)(missing / b->perMs);
	/* Round up so that waiting that long really yields a token. */
	return ms + 1;
}

int64_t backoff_delay_ms(int attempt, int64_t baseMs, int64_t capMs, int64_t retryAfterMs, double u)
{
	int64_t step = baseMs > 0 ? baseMs : 1;
	int64_t delay;
	int i;
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999999;
	for (i = 1; i < attempt && step < capMs; i++)
		step *= 2;
	if (step > capMs)
		step = capMs;
	delay = step / 2 + (int64_t)((double)(step - step / 2) * u);
	if (delay < retryAfterMs)
		delay = retryAfterMs;
	return delay;
}
