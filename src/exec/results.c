/*
 * results.c — what the database thread writes for the outcomes the loop
 * hands over: a deferred last answer read and turned into its transcript
 * turn, each outcome made into rows (transcript, attempt, cache, decision,
 * cost), and the batch written in one transaction.
 */
#include "exec/exec_internal.h"
#include "domain/cost.h"
#include "domain/decision.h"
#include "lib/log.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

static void deferred_turn_free(DeferredTurn *d)
{
	if (!d)
		return;
	free((char *)d->turn.zPrompt);
	free((char *)d->turn.zUrl);
	free((char *)d->turn.zRequest);
	free(d->zBody);
	free(d->zHeaders);
	free(d);
}

void pending_outcome_free(PendingOutcome *p)
{
	int i;
	if (!p)
		return;
	free(p->zMessage);
	free(p->zProvider);
	free(p->zModelId);
	free(p->zModelVersion);
	free(p->zTurns);
	free(p->zDecisionPrompt);
	free(p->zDecisionResponse);
	for (i = 0; i < p->nCache; i++) {
		free(p->azCacheHash[i]);
		free(p->azCacheResp[i]);
	}
	free(p->azCacheHash);
	free(p->azCacheResp);
	deferred_turn_free(p->pDeferred);
	free(p);
}

/*
 * Read a last answer the event loop handed over unread (probe.c
 * finish_deferred): add its turn to the transcript, or, when it does not
 * parse, turn the outcome into a retry or a failure. Done before the write
 * transaction, once (a batch that fails to commit is written again).
 */
static void resolve_deferred(DbShared *s, PendingOutcome *p)
{
	DeferredTurn *d = p->pDeferred;
	ProbeResult r;
	Buf turns = BUF_INIT;
	if (!d)
		return;
	p->pDeferred = NULL;
	provider_parse_success(d->eStyle, d->turn.httpStatus, d->zHeaders, d->zBody, d->nBody, &r);
	if (r.err != ERR_NONE) {
		char *zClean = log_redact(r.zErrMessage);
		free(p->zTurns);
		p->zTurns = NULL;
		p->zMessage = zClean;
		p->httpStatus = d->turn.httpStatus;
		outcome_set_error(p, r.err, d->maxAttempts, d->backoffBaseMs, 0, &s->rng);
		pthread_mutex_lock(&s->mu);
		if (p->kind == JOB_OUTCOME_RETRY)
			s->nDeferredRetry++;
		else
			s->nDeferredFailed++;
		pthread_mutex_unlock(&s->mu);
	} else {
		if (p->zTurns) {
			buf_puts(&turns, p->zTurns);
			free(p->zTurns);
		}
		turn_json_append(&turns, &d->turn, &r, d->zBody, d->nBody);
		buf_putc(&turns, ']');
		p->zTurns = buf_detach(&turns);
		p->httpStatus = d->turn.httpStatus;
		p->inTok += r.inputTokens;
		p->outTok += r.outputTokens;
		p->words += text_word_count(r.zText);
		if (!p->zDecisionResponse)
			p->zDecisionResponse = xstrdup(r.zText ? r.zText : "");
		log_job_attempt(p, "done");
	}
	probe_result_free(&r);
	deferred_turn_free(d);
}

/* Everything a JobOutcome points to, owned by the batch being written. */
typedef struct OutcomeRow {
	TranscriptRow t;
	CacheEntry *aCache;
	json_t *pDetails;
} OutcomeRow;

/*
 * Fill o (and r) from p: decision extraction, cost and the transcript row
 * are made here, off the network thread. Free r's parts with row_clear().
 */
static void outcome_fill(DbShared *s, PendingOutcome *p, JobOutcome *o, OutcomeRow *r)
{
	Decision d;
	int i;
	memset(o, 0, sizeof(*o));
	memset(r, 0, sizeof(*r));
	o->kind = p->kind;
	o->jobId = p->jobId;
	o->runId = p->runId;
	o->zOwner = s->zOwner;
	o->attempt = p->attempt;
	o->startedMs = p->startedMs;
	o->durationMs = p->durationMs;
	o->httpStatus = p->httpStatus;
	o->zErrorClass = p->zErrorClass;
	o->zMessage = p->zMessage;
	o->notBeforeMs = p->notBeforeMs;
	if (p->kind != JOB_OUTCOME_DONE)
		return;
	{
		TranscriptRow *t = &r->t;
		double c = COST_UNKNOWN;
		decision_extract(p->zDecisionPrompt, p->zDecisionResponse, &d);
		r->pDetails = decision_to_json(&d);
		if (p->hasPrice)
			c = cost_usd(p->inTok, p->outTok, p->priceIn, p->priceOut);
		t->scenarioId = p->scenarioId;
		t->zProvider = p->zProvider;
		t->zModelId = p->zModelId;
		t->zModelVersion = p->zModelVersion;
		t->sampleIndex = p->sampleIndex;
		t->zTurns = p->zTurns;
		t->turnCount = p->turnCount;
		t->wordCount = p->words;
		t->inputTokens = p->inTok;
		t->outputTokens = p->outTok;
		t->hasCost = cost_is_known(c);
		t->costUsd = c;
		t->zDecision = decision_code_text(&d);
		t->decisionValue = d.kind == DECISION_VALUE ? d.value : 0;
		t->zDecisionClass = decision_class_name(d.cls);
		t->pDecisionDetails = r->pDetails;
		t->durationMs = p->durationMs;
		t->cacheHit = p->cacheHit;
		t->temperatureDropped = p->temperatureDropped;
		o->pTranscript = t;
	}
	if (p->nCache > 0) {
		r->aCache = xcalloc((size_t)p->nCache, sizeof(*r->aCache));
		for (i = 0; i < p->nCache; i++) {
			r->aCache[i].zHash = p->azCacheHash[i];
			r->aCache[i].zResponse = p->azCacheResp[i];
		}
		o->aCache = r->aCache;
		o->nCache = p->nCache;
	}
}

/*
 * One write transaction with every waiting result. Returns 0, or -1 when the
 * transaction could not be committed (the results are then still in the
 * list for the next try).
 */
int results_write_batch(DbShared *s, PendingOutcome *pOuts, int nOut)
{
	JobOutcome *aOut = xcalloc((size_t)nOut, sizeof(*aOut));
	OutcomeRow *aRow = xcalloc((size_t)nOut, sizeof(*aRow));
	DbRc *aRc = xcalloc((size_t)nOut, sizeof(*aRc));
	PendingOutcome *p;
	int i, rc = -1;
	for (i = 0, p = pOuts; p && i < nOut; p = p->pNext, i++) {
		resolve_deferred(s, p);
		outcome_fill(s, p, &aOut[i], &aRow[i]);
	}
	if (db_begin(s->db) != DB_OK) {
		log_event(LOG_WARN, "cannot start a write transaction; will retry", "error=\"%s\"",
			  db_errmsg(s->db));
		goto out;
	}
	/* Fast path without savepoints; should one result fail, redo the batch with one savepoint each. */
	if (store_job_finish_batch(s->db, aOut, nOut, aRc, 0) != DB_OK) {
		db_rollback(s->db);
		if (db_begin(s->db) != DB_OK) {
			log_event(LOG_WARN, "cannot start a write transaction; will retry", "error=\"%s\"",
				  db_errmsg(s->db));
			goto out;
		}
		if (store_job_finish_batch(s->db, aOut, nOut, aRc, 1) != DB_OK) {
			log_event(LOG_WARN, "cannot write results; will retry", "error=\"%s\"", db_errmsg(s->db));
			db_rollback(s->db);
			goto out;
		}
	}
	for (i = 0; i < nOut; i++) {
		if (aRc[i] == DB_NOTFOUND)
			log_event(LOG_WARN, "lease lost before the result was written; result dropped",
				  "job=%lld run=%lld", (long long)aOut[i].jobId, (long long)aOut[i].runId);
		else if (aRc[i] != DB_OK)
			log_event(LOG_ERROR, "cannot write a job result; its lease will expire and it runs again",
				  "job=%lld run=%lld", (long long)aOut[i].jobId, (long long)aOut[i].runId);
	}
	if (db_commit(s->db) != DB_OK) {
		log_event(LOG_WARN, "cannot commit a write transaction; will retry", "error=\"%s\"",
			  db_errmsg(s->db));
		db_rollback(s->db);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < nOut; i++) {
		free(aRow[i].aCache);
		json_decref(aRow[i].pDetails);
	}
	free(aOut);
	free(aRow);
	free(aRc);
	return rc;
}
