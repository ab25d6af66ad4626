/* dbthread.c — the executor's database thread: batches, claims, leases, watching for work, heartbeats. */
#include "exec/exec_internal.h"
#include "domain/expand.h"
#include "lib/log.h"
#include "lib/memory.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

/* Wake the event loop: it waits on this eventfd beside curl's sockets. */
static void dbshared_wake(DbShared *s)
{
	uint64_t one = 1;
	if (s->wakeFd >= 0 && write(s->wakeFd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_event(LOG_WARN, "cannot wake the event loop", "errno=%d", errno);
}

/* Commit when this many results wait, or when the oldest has waited FLUSH_MS. */
#define FLUSH_RESULTS 64
#define FLUSH_MS 50
#define HEARTBEAT_MS 5000
#define INACTIVE_CHECK_MS 250
#define CHECK_REQUESTS_MS 2000
#define REMAINING_CHECK_MS 200
#define CHECKPOINT_MS 500

void claimed_jobs_free(ClaimedJob *aJob, int nJob)
{
	int i;
	for (i = 0; i < nJob; i++) {
		free(aJob[i].zModelId);
		free(aJob[i].zModelVersion);
		free(aJob[i].zFirstPrompt);
	}
	free(aJob);
}

static void claim_msg_free(ClaimMsg *m)
{
	while (m) {
		ClaimMsg *pNext = m->pNext;
		free(m->zProvider);
		claimed_jobs_free(m->aJob, m->nJob);
		free(m);
		m = pNext;
	}
}

/* The claimed rows as the loop takes them: no JSON left for the loop to read or free. */
static void claimed_jobs_set(ClaimMsg *m, json_t *pRows)
{
	json_t *pRow;
	size_t i;
	m->nJob = (int)json_array_size(pRows);
	m->aJob = m->nJob ? xcalloc((size_t)m->nJob, sizeof(ClaimedJob)) : NULL;
	json_array_foreach(pRows, i, pRow) {
		ClaimedJob *j = &m->aJob[i];
		j->jobId = json_integer_value(json_object_get(pRow, "id"));
		j->runId = json_integer_value(json_object_get(pRow, "run_id"));
		j->scenarioId = json_integer_value(json_object_get(pRow, "scenario_id"));
		j->sampleIndex = json_integer_value(json_object_get(pRow, "sample_index"));
		j->attempt = json_integer_value(json_object_get(pRow, "attempts"));
		j->maxAttempts = json_integer_value(json_object_get(pRow, "max_attempts"));
		j->zModelId = xstrdup(json_string_value(json_object_get(pRow, "model_id")));
		j->zModelVersion = xstrdup(json_string_value(json_object_get(pRow, "model_version")));
		j->zFirstPrompt = scenario_full_prompt(json_string_value(json_object_get(pRow, "preamble")),
						       json_string_value(json_object_get(pRow, "prompt")));
	}
}

static void notes_free(ProviderNote *n)
{
	while (n) {
		ProviderNote *pNext = n->pNext;
		free(n->zProvider);
		free(n->zText);
		free(n);
		n = pNext;
	}
}

void dbshared_post_outcomes(DbShared *s, PendingOutcome *pHead, PendingOutcome *pTail, int n, int flushSoon,
			    int idle)
{
	int nBefore;
	pthread_mutex_lock(&s->mu);
	nBefore = s->nOut;
	if (pHead) {
		pTail->pNext = NULL;
		if (s->pOutTail)
			s->pOutTail->pNext = pHead;
		else
			s->pOutHead = pHead;
		s->pOutTail = pTail;
		s->nOut += n;
	}
	if (flushSoon && s->nOut > 0)
		s->flushNow = 1;
	if (idle && s->nOut > 0)
		s->idleAfter = 1;
	/* The first result starts the batching clock; a full batch or a flush ends it. */
	if ((nBefore == 0 && s->nOut > 0) || (nBefore < FLUSH_RESULTS && s->nOut >= FLUSH_RESULTS) ||
	    (flushSoon && s->nOut > 0))
		pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

void dbshared_post_claim(DbShared *s, const char *zProvider, int n)
{
	ClaimMsg *m = xcalloc(1, sizeof(*m)), **pp;
	m->zProvider = xstrdup(zProvider);
	m->nAsked = n;
	pthread_mutex_lock(&s->mu);
	for (pp = &s->pAsk; *pp; pp = &(*pp)->pNext) {
	}
	*pp = m;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

void dbshared_look_now(DbShared *s)
{
	pthread_mutex_lock(&s->mu);
	if (s->watchWanted && !s->lookNow) {
		s->lookNow = 1;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->mu);
}

void dbshared_set_watch(DbShared *s, int on)
{
	pthread_mutex_lock(&s->mu);
	s->watchWanted = on;
	if (on) {
		/* Look at once: a commit made while nobody watched would otherwise wait for the 500 ms look. */
		s->lookNow = 1;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->mu);
}

void dbshared_post_note(DbShared *s, ProviderNote *p)
{
	ProviderNote **pp;
	p->pNext = NULL;
	pthread_mutex_lock(&s->mu);
	for (pp = &s->pNotes; *pp; pp = &(*pp)->pNext) {
	}
	*pp = p;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

void dbshared_note(DbShared *s, NoteKind kind, const char *zProvider, const char *zText, int connected,
		   int64_t latencyMs)
{
	ProviderNote *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->zProvider = xstrdup(zProvider);
	n->zText = zText ? xstrdup(zText) : NULL;
	n->connected = connected;
	n->latencyMs = latencyMs;
	dbshared_post_note(s, n);
}

/*
 * Claims in their own short transactions, answered before any result is
 * written: a freed slot then waits for one claim, not for a whole batch of
 * decision extraction and transcript inserts. Asks share a transaction until
 * it has claimed CLAIM_ANSWER_ROWS jobs; then it is committed and its asks
 * are answered, so the loop starts a run's first jobs while the next chunk
 * is claimed, and the many empty asks of an idle daemon cost one
 * transaction. Asks whose transaction cannot be committed are answered
 * empty.
 */
#define CLAIM_ANSWER_ROWS 64
/* At most this many asks share one transaction (one per provider is the usual most). */
#define CLAIM_GROUP_MAX 64

/* Hand answered asks (a list) to the loop. */
static void answer_asks(DbShared *s, ClaimMsg *pAnswered)
{
	ClaimMsg **pp;
	pthread_mutex_lock(&s->mu);
	for (pp = &s->pReply; *pp; pp = &(*pp)->pNext) {
	}
	*pp = pAnswered;
	pthread_mutex_unlock(&s->mu);
	dbshared_wake(s);
}

static void claim_and_answer(DbShared *s, ClaimMsg *pAsks)
{
	ClaimMsg *pNone = NULL, **ppNone = &pNone, **pp = &pAsks;
	const char *zLast = NULL;
	int lastClaimable = 1;
	/*
	 * Asks that a read shows cannot find a job are answered without a write
	 * transaction. A provider's chunks come one after another: read once each.
	 */
	while (*pp) {
		ClaimMsg *m = *pp;
		if (!zLast || strcmp(zLast, m->zProvider) != 0) {
			zLast = m->zProvider;
			lastClaimable = store_jobs_claimable(s->db, m->zProvider, time_now_ms()) != 0;
		}
		if (!lastClaimable) {
			*pp = m->pNext;
			m->pNext = NULL;
			*ppNone = m;
			ppNone = &m->pNext;
			s->nBatchClaims++;
			s->nEmptyClaims++;
		} else {
			pp = &m->pNext;
		}
	}
	if (pNone)
		answer_asks(s, pNone);
	while (pAsks) {
		ClaimMsg *pGroup = pAsks, *m;
		json_t *apRows[CLAIM_GROUP_MAX];
		size_t nRows = 0;
		int i, nGroup = 0, ok = db_begin(s->db) == DB_OK;
		/* This transaction's asks: up to the one that brings CLAIM_ANSWER_ROWS jobs. */
		for (m = pAsks; m; m = m->pNext) {
			s->nBatchClaims++;
			apRows[nGroup] = ok ? store_jobs_claim(s->db, s->zOwner, m->zProvider, time_now_ms(),
							       s->leaseMs, m->nAsked)
					    : NULL;
			nRows += json_array_size(apRows[nGroup++]);
			if (nRows >= CLAIM_ANSWER_ROWS || nGroup == CLAIM_GROUP_MAX || !m->pNext)
				break;
		}
		pAsks = m->pNext;
		m->pNext = NULL;
		s->nBatch++;
		if (ok && db_commit(s->db) != DB_OK) {
			db_rollback(s->db);
			ok = 0;
		}
		if (!ok)
			log_event(LOG_WARN, "cannot claim jobs; will ask again", "error=\"%s\"", db_errmsg(s->db));
		for (i = 0, m = pGroup; m; m = m->pNext, i++) {
			if (ok)
				claimed_jobs_set(m, apRows[i]);
			if (m->nJob == 0)
				s->nEmptyClaims++;
			json_decref(apRows[i]);
		}
		answer_asks(s, pGroup);
	}
}

/* The provider_status changes waiting, in one transaction (ten providers' start-up notes: one write). */
static void write_notes(DbShared *s, ProviderNote *n)
{
	int inTx = n && n->pNext && db_begin(s->db) == DB_OK;
	for (; n; n = n->pNext) {
		DbRc rc;
		if (n->kind == NOTE_HEALTH)
			rc = store_provider_set_health(s->db, n->zProvider, n->connected, n->latencyMs,
						       n->zText);
		else if (n->kind == NOTE_CONFIGURED)
			rc = store_provider_set_configured(s->db, n->zProvider, n->connected);
		else
			rc = store_provider_set_rate_limited(s->db, n->zProvider, n->zText);
		if (rc != DB_OK)
			log_event(LOG_WARN, "cannot write provider status", "provider=%s error=\"%s\"",
				  n->zProvider, db_errmsg(s->db));
	}
	if (inTx && db_commit(s->db) != DB_OK) {
		log_event(LOG_WARN, "cannot write provider status", "error=\"%s\"", db_errmsg(s->db));
		db_rollback(s->db);
	}
}

/* Deadlines of the periodic tasks, in monotonic ms. */
typedef struct Periodic {
	int64_t extend, requeue, inactive, checks, heartbeat, remaining, watch;
	int64_t relook;      /* look at data_version once more at this time; 0 for no */
	int64_t dataVersion; /* PRAGMA data_version when last looked at */
} Periodic;

/*
 * While the loop has a provider with an empty queue, look at data_version (a
 * read of the shared WAL index, no lock): it moves only when another
 * connection commits. The loop says when the log was written (walwatch.c);
 * without that, look every WATCH_MS. A commit writes the log just before it
 * shows in the WAL index, so a look that finds nothing new is made once more
 * WATCH_RELOOK_MS later; and every WATCH_SAFETY_MS in any case.
 */
#define WATCH_MS 10
#define WATCH_RELOOK_MS 2
#define WATCH_SAFETY_MS 500

/* The backoff of a job whose lease expired: a retry after a network error (probe.c outcome_set_error). */
static int64_t expired_retry_delay(void *pArg, int64_t attempts)
{
	DbShared *s = pArg;
	return backoff_delay_ms((int)attempts, s->backoffBaseMs, BACKOFF_CAP_MS, 0, prng_unit(&s->rng));
}

static void heartbeat(DbShared *s)
{
	int64_t inFlight, nDone, nFailed;
	pthread_mutex_lock(&s->mu);
	inFlight = s->inFlight;
	nDone = s->nDone;
	nFailed = s->nFailed;
	/* Deferred answers that did not parse were counted done by the loop. */
	nDone -= s->nDeferredRetry + s->nDeferredFailed;
	nFailed += s->nDeferredFailed;
	pthread_mutex_unlock(&s->mu);
	if (store_worker_heartbeat(s->db, s->zWorkerId, s->zHost, (int64_t)getpid(), PACKAGE_VERSION,
				   s->zStartedAt, inFlight, nDone, nFailed, time_now_ms()) != DB_OK)
		log_event(LOG_WARN, "cannot write heartbeat", "error=\"%s\"", db_errmsg(s->db));
}

/* Run the periodic tasks that are due; publishes their findings under the mutex. */
static void run_periodic(DbShared *s, Periodic *t, int64_t now)
{
	int64_t extendEvery = s->leaseMs / 3 > 50 ? s->leaseMs / 3 : 50;
	int64_t requeueEvery = s->leaseMs / 2 < 1000 ? (s->leaseMs / 2 > 50 ? s->leaseMs / 2 : 50) : 1000;
	json_t *pInactive = NULL, *pChecks = NULL;
	int64_t remaining = -2;
	int external = 0;
	if (now >= t->extend) {
		if (store_jobs_extend_leases(s->db, s->zOwner, time_now_ms() + s->leaseMs) != DB_OK)
			log_event(LOG_WARN, "cannot extend leases", "error=\"%s\"", db_errmsg(s->db));
		t->extend = now + extendEvery;
	}
	if (now >= t->requeue) {
		int n = 0;
		if (store_jobs_requeue_expired(s->db, time_now_ms(), expired_retry_delay, s, &n) != DB_OK)
			log_event(LOG_WARN, "cannot take back expired leases", "error=\"%s\"", db_errmsg(s->db));
		else if (n > 0)
			log_event(LOG_INFO, "took back jobs whose lease expired", "count=%d", n);
		t->requeue = now + requeueEvery;
	}
	if (now >= t->inactive) {
		pInactive = store_jobs_inactive_runs(s->db, s->zOwner);
		if (pInactive && json_array_size(pInactive) == 0) {
			json_decref(pInactive);
			pInactive = NULL;
		}
		t->inactive = now + INACTIVE_CHECK_MS;
	}
	if (now >= t->checks) {
		pChecks = store_provider_checks_requested(s->db);
		if (pChecks && json_array_size(pChecks) == 0) {
			json_decref(pChecks);
			pChecks = NULL;
		}
		t->checks = now + CHECK_REQUESTS_MS;
	}
	if (now >= t->heartbeat) {
		heartbeat(s);
		t->heartbeat = now + HEARTBEAT_MS;
	}
	if (s->once && now >= t->remaining) {
		remaining = store_jobs_remaining(s->db);
		t->remaining = now + REMAINING_CHECK_MS;
	}
	{
		int wanted, look;
		pthread_mutex_lock(&s->mu);
		wanted = s->watchWanted;
		look = s->lookNow;
		s->lookNow = 0;
		pthread_mutex_unlock(&s->mu);
		if (wanted && (look || now >= t->watch || (t->relook && now >= t->relook))) {
			int64_t v = store_data_version(s->db);
			if (v >= 0 && v != t->dataVersion) {
				t->dataVersion = v;
				external = 1;
			}
			t->relook = look && !external ? now + WATCH_RELOOK_MS : 0;
			t->watch = now + (s->walWatched ? WATCH_SAFETY_MS : WATCH_MS);
		}
	}
	if (pInactive || pChecks || remaining != -2 || external) {
		pthread_mutex_lock(&s->mu);
		if (external)
			s->nExternal++;
		if (pInactive) {
			json_decref(s->pInactiveRuns);
			s->pInactiveRuns = pInactive;
		}
		if (pChecks) {
			json_decref(s->pCheckRequests);
			s->pCheckRequests = pChecks;
		}
		if (remaining != -2)
			s->remaining = remaining;
		pthread_mutex_unlock(&s->mu);
		dbshared_wake(s);
	}
}

/* When the next periodic task is due (mutex held: watchWanted is shared). */
static int64_t next_deadline(const DbShared *s, const Periodic *t)
{
	int64_t d = t->extend;
	if (s->watchWanted) {
		if (s->lookNow) d = 0;
		if (t->watch < d) d = t->watch;
		if (t->relook && t->relook < d) d = t->relook;
	}
	if (t->requeue < d) d = t->requeue;
	if (t->inactive < d) d = t->inactive;
	if (t->checks < d) d = t->checks;
	if (t->heartbeat < d) d = t->heartbeat;
	return d;
}

/* Wait on the condition variable until the monotonic time untilMs (mutex held). */
static void wait_until(DbShared *s, int64_t untilMs)
{
	cond_wait_until_ms(&s->cond, &s->mu, untilMs);
}

static void *dbthread_main(void *pArg)
{
	DbShared *s = pArg;
	Periodic t = {0, 0, 0, 0, 0, 0, 0, 0, -1};
	int64_t oldestMs = 0, retryAtMs = 0;
	int stopFailures = 0, giveUp = 0;
	/* Commits made before this point are the loop's first claims' business, not news. */
	t.dataVersion = store_data_version(s->db);
	/* The write connection's page cache (up to 32 MiB) fills from this thread's heap. */
	memory_reserve(MEMORY_RESERVE_DB);
	/* A batch's "job attempt" lines go out in one write, before the thread waits again. */
	log_hold();
	for (;;) {
		PendingOutcome *pOuts = NULL, *pOutTail = NULL;
		ClaimMsg *pAsks = NULL;
		ProviderNote *pNotes = NULL;
		int stop, nOut, idleAfter = 0;
		int64_t now = time_mono_ms();
		log_flush();
		pthread_mutex_lock(&s->mu);
		for (;;) {
			int64_t until = next_deadline(s, &t);
			if (s->once && t.remaining < until)
				until = t.remaining;
			now = time_mono_ms();
			if (s->nOut > 0 && oldestMs == 0)
				oldestMs = now;
			if (now < retryAtMs) {
				if (retryAtMs < until)
					until = retryAtMs;
			} else {
				if (s->stop || s->pAsk || s->pNotes || s->nOut >= FLUSH_RESULTS || s->flushNow)
					break;
				if (s->nOut > 0) {
					if (now - oldestMs >= FLUSH_MS)
						break;
					if (oldestMs + FLUSH_MS < until)
						until = oldestMs + FLUSH_MS;
				}
			}
			if (now >= until)
				break;
			wait_until(s, until);
		}
		if (now >= retryAtMs) {
			pOuts = s->pOutHead;
			pOutTail = s->pOutTail;
			nOut = s->nOut;
			s->pOutHead = s->pOutTail = NULL;
			s->nOut = 0;
			s->flushNow = 0;
			idleAfter = s->idleAfter;
			s->idleAfter = 0;
			pAsks = s->pAsk;
			s->pAsk = NULL;
		} else {
			nOut = 0;
		}
		pNotes = s->pNotes;
		s->pNotes = NULL;
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);

		if (pAsks)
			claim_and_answer(s, pAsks);
		if (pOuts) {
			s->nBatch++;
			s->nBatchResults += nOut;
			if (results_write_batch(s, pOuts, nOut) == 0) {
				while (pOuts) {
					PendingOutcome *pNext = pOuts->pNext;
					pending_outcome_free(pOuts);
					pOuts = pNext;
				}
				oldestMs = 0;
				if (idleAfter) {
					/*
					 * The work is done: copy the log back now, while nothing
					 * runs, rather than leave it to whichever connection
					 * commits next (the web app's or the CLI's autocheckpoint
					 * would make a user wait for it) or to the next period.
					 */
					pthread_mutex_lock(&s->mu);
					s->checkpointSoon = 1;
					pthread_cond_broadcast(&s->cond);
					pthread_mutex_unlock(&s->mu);
				}
			} else {
				/* Keep the results for the next try, ahead of newer ones. */
				pthread_mutex_lock(&s->mu);
				pOutTail->pNext = s->pOutHead;
				s->pOutHead = pOuts;
				if (!s->pOutTail)
					s->pOutTail = pOutTail;
				s->nOut += nOut;
				pthread_mutex_unlock(&s->mu);
				pOuts = NULL;
				retryAtMs = time_mono_ms() + 100;
				if (stop && ++stopFailures >= 5) {
					/* Give up: the leases expire and other executors redo the work. */
					log_event(LOG_ERROR, "cannot write results while stopping; giving up",
						  "results=%d", nOut);
					giveUp = 1;
				}
			}
		}
		if (pNotes) {
			write_notes(s, pNotes);
			notes_free(pNotes);
		}
		if (giveUp)
			break;
		if (stop) {
			int empty;
			pthread_mutex_lock(&s->mu);
			empty = !s->pOutHead && !s->pNotes;
			pthread_mutex_unlock(&s->mu);
			if (empty)
				break;
			continue;
		}
		run_periodic(s, &t, time_mono_ms());
	}
	heartbeat(s);
	log_release();
	log_event(LOG_INFO, "database thread stopped",
		  "transactions=%lld results=%lld claims=%lld empty_claims=%lld write_transactions=%lld",
		  (long long)s->nBatch, (long long)s->nBatchResults, (long long)s->nBatchClaims,
		  (long long)s->nEmptyClaims, (long long)db_write_transactions(s->db));
	if (store_worker_stopped(s->db, s->zWorkerId) != DB_OK)
		log_event(LOG_WARN, "cannot mark the worker stopped", "error=\"%s\"", db_errmsg(s->db));
	return NULL;
}

/*
 * The checkpoint thread: copies the write-ahead log back into the database
 * every CHECKPOINT_MS on its own connection, so that the write thread's
 * commits never wait for a checkpoint and its fsync.
 */
static void *checkpoint_main(void *pArg)
{
	DbShared *s = pArg;
	int stop = 0;
	while (!stop) {
		int64_t next = time_mono_ms() + CHECKPOINT_MS;
		pthread_mutex_lock(&s->mu);
		while (!s->stop && !s->checkpointSoon && time_mono_ms() < next)
			wait_until(s, next);
		s->checkpointSoon = 0;
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (store_wal_checkpoint(s->dbCheckpoint) != DB_OK)
			log_event(LOG_DEBUG, "checkpoint did not complete", "error=\"%s\"",
				  db_errmsg(s->dbCheckpoint));
	}
	return NULL;
}

int dbthread_start(DbShared *s)
{
	pthread_mutex_init(&s->mu, NULL);
	cond_init_monotonic(&s->cond);
	s->remaining = -1;
	if (pthread_create(&s->thread, NULL, dbthread_main, s) != 0) {
		log_event(LOG_ERROR, "cannot start the database thread", "error=\"%s\"", strerror(errno));
		return -1;
	}
	if (s->dbCheckpoint && pthread_create(&s->checkpointThread, NULL, checkpoint_main, s) != 0) {
		log_event(LOG_WARN, "cannot start the checkpoint thread", "error=\"%s\"", strerror(errno));
		s->dbCheckpoint = NULL;
	}
	return 0;
}

void dbthread_stop(DbShared *s)
{
	PendingOutcome *p;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	if (s->dbCheckpoint)
		pthread_join(s->checkpointThread, NULL);
	/* Whatever the thread could not write stays unwritten: its leases expire. */
	while ((p = s->pOutHead)) {
		s->pOutHead = p->pNext;
		pending_outcome_free(p);
	}
	s->pOutTail = NULL;
	claim_msg_free(s->pAsk);
	claim_msg_free(s->pReply);
	notes_free(s->pNotes);
	s->pAsk = s->pReply = NULL;
	s->pNotes = NULL;
	json_decref(s->pInactiveRuns);
	json_decref(s->pCheckRequests);
	s->pInactiveRuns = s->pCheckRequests = NULL;
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
}
