/* schedule.c — which claimed job starts when: ready queues, dispatch within the limits, asking for claims, how long the loop may sleep. */
#include "exec/exec_internal.h"
#include "exec/preconnect.h"
#include "lib/timeutil.h"

void sched_ready_push(ProviderRt *pr, Probe *p)
{
	p->pNext = NULL;
	if (pr->pReadyTail)
		pr->pReadyTail->pNext = p;
	else
		pr->pReadyHead = p;
	pr->pReadyTail = p;
	pr->nReady++;
}

static Probe *ready_pop(ProviderRt *pr)
{
	Probe *p = pr->pReadyHead;
	if (!p)
		return NULL;
	pr->pReadyHead = p->pNext;
	if (!pr->pReadyHead)
		pr->pReadyTail = NULL;
	pr->nReady--;
	p->pNext = NULL;
	return p;
}

/* Give back the ready (unstarted) jobs of one run (runId -1: all) of a provider. */
void sched_release_ready_if(struct Loop *L, ProviderRt *pr, int64_t runId)
{
	Probe *pKeepHead = NULL, *pKeepTail = NULL, *p;
	int nKeep = 0;
	while ((p = ready_pop(pr))) {
		L->nReady--;
		if (runId < 0 || p->runId == runId) {
			probe_release(L, p);
		} else {
			p->pNext = NULL;
			if (pKeepTail)
				pKeepTail->pNext = p;
			else
				pKeepHead = p;
			pKeepTail = p;
			nKeep++;
		}
	}
	pr->pReadyHead = pKeepHead;
	pr->pReadyTail = pKeepTail;
	pr->nReady = nKeep;
	L->nReady += nKeep;
}

int sched_provider_parallel(const ProviderRt *pr)
{
	return pr->pConf && pr->pConf->maxParallel > 0 ? pr->pConf->maxParallel : 1;
}

/* Start ready probes while the provider's slots, tokens and pause and the global cap allow. */
void sched_dispatch(struct Loop *L)
{
	int i;
	int64_t nowEpoch = time_now_ms();
	for (i = 0; i < L->nProv; i++) {
		ProviderRt *pr = L->apProv[i];
		if (pr->pausedUntilMs > nowEpoch)
			continue;
		while (pr->pParkedHead) {
			Probe *p = pr->pParkedHead;
			pr->pParkedHead = p->pNext;
			p->pNext = NULL;
			probe_advance(L, p);
		}
		{
			/* A burst's connections are opened beside the loop while the requests are built. */
			int n = pr->nReady, slots = sched_provider_parallel(pr) - pr->inFlight;
			if (n > slots)
				n = slots;
			if (n > L->maxInFlight - L->inFlight)
				n = L->maxInFlight - L->inFlight;
			if (n >= PRECONNECT_MIN_BURST) {
				int tokens = bucket_available(&pr->bucket, time_mono_ms());
				loop_preconnect(L, pr, n < tokens ? n : tokens);
			}
		}
		while (pr->pReadyHead && L->inFlight < L->maxInFlight && pr->inFlight < sched_provider_parallel(pr) &&
		       bucket_available(&pr->bucket, time_mono_ms()) >= 1) {
			Probe *p = ready_pop(pr);
			L->nReady--;
			p->started = 1;
			p->startedMs = time_now_ms();
			p->startMono = time_mono_ms();
			p->pPrevActive = NULL;
			p->pNextActive = L->pActive;
			if (L->pActive)
				L->pActive->pPrevActive = p;
			L->pActive = p;
			pr->inFlight++;
			L->inFlight++;
			probe_advance(L, p);
		}
	}
}

/*
 * A provider whose queue was empty is not asked again for pollMs. Meanwhile
 * the database thread watches PRAGMA data_version on its own connection
 * (dbthread.c), which moves only when another connection commits: a run
 * started or resumed by the web app or the CLI, or another executor's work.
 * This daemon's own commits, a steady stream during a run, do not count, so
 * an idle provider is not asked again after every batch of results. When the
 * database thread has seen such a commit, every empty queue is asked at once.
 */
void sched_watch_for_work(struct Loop *L, int64_t now)
{
	int i, waiting = 0;
	for (i = 0; i < L->nProv; i++)
		if (L->apProv[i]->nextClaimMono > now)
			waiting = 1;
	if (waiting != L->watchWanted) {
		L->watchWanted = waiting;
		dbshared_set_watch(&L->shared, waiting);
	}
	if (L->nExternal == L->nExternalSeen)
		return;
	L->nExternalSeen = L->nExternal;
	for (i = 0; i < L->nProv; i++)
		L->apProv[i]->nextClaimMono = 0;
}

/* Jobs asked of the database thread per claim transaction. */
#define CLAIM_CHUNK 64

/* Ask the database thread for jobs where slots (plus a little prefetch) and tokens allow. */
void sched_ask_claims(struct Loop *L, int64_t now)
{
	int globalPrefetch = L->maxInFlight > 4 ? L->maxInFlight : 4;
	int globalHave = L->inFlight + L->nReady + L->nAsked;
	int64_t nowEpoch = time_now_ms();
	int i;
	for (i = 0; i < L->nProv; i++) {
		ProviderRt *pr = L->apProv[i];
		int cap, prefetch, have, want, tokLimit;
		if (!pr->pConf || now < pr->nextClaimMono || pr->pausedUntilMs > nowEpoch)
			continue;
		cap = sched_provider_parallel(pr) < L->maxInFlight ? sched_provider_parallel(pr) : L->maxInFlight;
		/* Claims are write transactions: ask for a good handful at a time and keep
		 * a whole round of jobs ready, so that even when every request finishes at
		 * once (they often start together) no freed slot waits for the database. */
		prefetch = cap > 2 ? cap : 2;
		have = pr->inFlight + pr->nReady + pr->nClaimAsked;
		want = cap + prefetch - have;
		tokLimit = bucket_available(&pr->bucket, now) + 1 - pr->nReady - pr->nClaimAsked;
		if (want > tokLimit)
			want = tokLimit;
		if (want > L->maxInFlight + globalPrefetch - globalHave)
			want = L->maxInFlight + globalPrefetch - globalHave;
		if (want <= 0)
			continue;
		if (have > 0 && want < (cap / 4 > 1 ? cap / 4 : 1))
			continue;
		/* In chunks, each claimed and answered on its own: the first jobs start sooner. */
		while (want > 0) {
			int n = want < CLAIM_CHUNK ? want : CLAIM_CHUNK;
			dbshared_post_claim(&L->shared, pr->zId, n);
			pr->nClaimAsked += n;
			L->nAsked += n;
			globalHave += n;
			want -= n;
		}
	}
}

/* How long the loop may sleep, in ms. */
int sched_poll_timeout(struct Loop *L, int64_t now)
{
	int64_t t = L->opt.pollMs, nowEpoch = time_now_ms();
	int i;
	for (i = 0; i < L->nProv; i++) {
		ProviderRt *pr = L->apProv[i];
		if (pr->pausedUntilMs > nowEpoch) {
			if (pr->pausedUntilMs - nowEpoch < t)
				t = pr->pausedUntilMs - nowEpoch;
		} else if (pr->pReadyHead && pr->inFlight < sched_provider_parallel(pr)) {
			int64_t w = bucket_wait_ms(&pr->bucket, now);
			if (w < t)
				t = w;
		}
		if (pr->nextClaimMono > now) {
			if (pr->nextClaimMono - now < t)
				t = pr->nextClaimMono - now;
		} else if (pr->pConf && !L->draining && bucket_available(&pr->bucket, now) == 0 &&
			 pr->inFlight + pr->nReady + pr->nClaimAsked < sched_provider_parallel(pr) &&
			 bucket_wait_ms(&pr->bucket, now) < t)
			t = bucket_wait_ms(&pr->bucket, now); /* claims wait for tokens */
	}
	if (L->draining && t > 50)
		t = 50;
	if (L->opt.once && t > 100)
		t = 100;
	if (t < 0)
		t = 0;
	return (int)t;
}
