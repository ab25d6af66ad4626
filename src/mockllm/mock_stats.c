/* mock_stats.c — request counters and Retry-After violation tracking, safe across connection threads. */
#include "mockllm/mock_stats.h"

#include "lib/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mock_stats_init(MockStats *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
}

/* Free the per-model counts and retry windows; the caller holds mu (or is the only user). */
static void stats_clear_locked(MockStats *p)
{
	size_t i;
	for (i = 0; i < p->nModel; i++)
		free(p->aModel[i].zModel);
	free(p->aModel);
	free(p->aRetry);
	p->aModel = NULL;
	p->nModel = 0;
	p->aRetry = NULL;
	p->nRetry = 0;
	p->nRequest = 0;
	p->nRetryViolation = 0;
	memset(p->aByStatus, 0, sizeof(p->aByStatus));
}

void mock_stats_free(MockStats *p)
{
	stats_clear_locked(p);
	pthread_mutex_destroy(&p->mu);
}

void mock_stats_reset(MockStats *p)
{
	pthread_mutex_lock(&p->mu);
	stats_clear_locked(p);
	p->nMaxInFlight = p->nInFlight;
	pthread_mutex_unlock(&p->mu);
}

void mock_stats_request_begin(MockStats *p)
{
	pthread_mutex_lock(&p->mu);
	p->nRequest++;
	p->nInFlight++;
	if (p->nInFlight > p->nMaxInFlight)
		p->nMaxInFlight = p->nInFlight;
	pthread_mutex_unlock(&p->mu);
}

void mock_stats_request_end(MockStats *p, int status)
{
	pthread_mutex_lock(&p->mu);
	if (status >= 0 && status < (int)ARRAY_SIZE(p->aByStatus))
		p->aByStatus[status]++;
	if (p->nInFlight > 0)
		p->nInFlight--;
	pthread_mutex_unlock(&p->mu);
}

void mock_stats_count_model(MockStats *p, const char *zModel)
{
	size_t i;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->nModel; i++) {
		if (strcmp(p->aModel[i].zModel, zModel) == 0)
			break;
	}
	if (i == p->nModel) {
		p->aModel = xrealloc(p->aModel, (p->nModel + 1) * sizeof(MockModelCount));
		p->aModel[i].zModel = xstrdup(zModel);
		p->aModel[i].n = 0;
		p->nModel++;
	}
	p->aModel[i].n++;
	pthread_mutex_unlock(&p->mu);
}

/* Drop windows that have passed, so the table only holds bodies still in their back-off. */
static void retry_prune_locked(MockStats *p, int64_t nowMs)
{
	size_t i, j = 0;
	for (i = 0; i < p->nRetry; i++)
		if (p->aRetry[i].notBeforeMs > nowMs)
			p->aRetry[j++] = p->aRetry[i];
	p->nRetry = j;
}

int mock_stats_check_retry(MockStats *p, uint64_t bodyHash, int64_t nowMs)
{
	size_t i;
	int violated = 0;
	pthread_mutex_lock(&p->mu);
	retry_prune_locked(p, nowMs);
	for (i = 0; i < p->nRetry; i++) {
		if (p->aRetry[i].bodyHash == bodyHash) {
			violated = 1;
			p->nRetryViolation++;
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return violated;
}

void mock_stats_note_429(MockStats *p, uint64_t bodyHash, int64_t nowMs, int64_t retryAfterMs)
{
	size_t i;
	pthread_mutex_lock(&p->mu);
	retry_prune_locked(p, nowMs);
	for (i = 0; i < p->nRetry; i++)
		if (p->aRetry[i].bodyHash == bodyHash)
			break;
	if (i == p->nRetry) {
		p->aRetry = xrealloc(p->aRetry, (p->nRetry + 1) * sizeof(MockRetryEntry));
		p->aRetry[i].bodyHash = bodyHash;
		p->nRetry++;
	}
	p->aRetry[i].notBeforeMs = nowMs + retryAfterMs;
	pthread_mutex_unlock(&p->mu);
}

char *mock_stats_to_json(MockStats *p)
{
	json_t *pRoot = json_object(), *pStatus = json_object(), *pModel = json_object();
	size_t i;
	char *z;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < ARRAY_SIZE(p->aByStatus); i++) {
		char zKey[8];
		if (p->aByStatus[i] == 0)
			continue;
		snprintf(zKey, sizeof(zKey), "%zu", i);
		json_object_set_new(pStatus, zKey, json_integer(p->aByStatus[i]));
	}
	for (i = 0; i < p->nModel; i++)
		json_object_set_new(pModel, p->aModel[i].zModel, json_integer(p->aModel[i].n));
	json_object_set_new(pRoot, "requests", json_integer(p->nRequest));
	json_object_set_new(pRoot, "by_status", pStatus);
	json_object_set_new(pRoot, "by_model", pModel);
	json_object_set_new(pRoot, "retry_after_violations", json_integer(p->nRetryViolation));
	json_object_set_new(pRoot, "in_flight", json_integer(p->nInFlight));
	json_object_set_new(pRoot, "max_in_flight", json_integer(p->nMaxInFlight));
	pthread_mutex_unlock(&p->mu);
	z = json_dumps(pRoot, JSON_COMPACT);
	json_decref(pRoot);
	if (!z)
		abort(); /* only on out of memory: the allocation policy of util.h */
	return z;
}
