/* probe.c — one job's conversation: build each turn, use the response cache, interpret answers, decide the outcome. */
#include "exec/exec_internal.h"
#include "domain/cost.h"
#include "lib/log.h"
#include "lib/sha256.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <stdlib.h>
#include <string.h>

void probe_free(Probe *p)
{
	int i;
	if (!p)
		return;
	free(p->zProvider);
	free(p->zModelId);
	free(p->zModelVersion);
	free(p->zFirstPrompt);
	for (i = 0; i < p->nTurn; i++)
		free(p->azAnswer ? p->azAnswer[i] : NULL);
	free(p->azAnswer);
	buf_free(&p->turns);
	for (i = 0; i < p->nCache; i++) {
		free(p->azCacheHash[i]);
		free(p->azCacheResp[i]);
	}
	free(p->azCacheHash);
	free(p->azCacheResp);
	free(p);
}

/* The text of user turn i: the first prompt, then the run's follow-ups. */
static const char *turn_prompt(const Probe *p, int i)
{
	return i == 0 ? p->zFirstPrompt : p->pRun->azFollowup[i - 1];
}

void log_job_attempt(const PendingOutcome *o, const char *zOutcome)
{
	char zModel[200], zMsg[400];
	log_quote(zModel, sizeof(zModel), o->zModelVersion ? o->zModelVersion : "");
	log_quote(zMsg, sizeof(zMsg), o->zMessage ? o->zMessage : "");
	log_event(o->zErrorClass ? LOG_WARN : LOG_INFO, "job attempt",
		  "run=%lld job=%lld attempt=%lld provider=%s model=%s http=%d error=%s outcome=%s"
		  " duration_ms=%lld message=%s",
		  (long long)o->runId, (long long)o->jobId, (long long)o->attempt,
		  o->zProvider ? o->zProvider : "", zModel, o->httpStatus,
		  o->zErrorClass ? o->zErrorClass : "none", zOutcome, (long long)o->durationMs, zMsg);
}

/* An outcome for the probe's job and attempt, with its provider and model (for the log line). */
static PendingOutcome *outcome_new(const Probe *p, JobOutcomeKind kind)
{
	PendingOutcome *o = xcalloc(1, sizeof(*o));
	o->kind = kind;
	o->jobId = p->jobId;
	o->runId = p->runId;
	o->attempt = p->attempt;
	o->zProvider = xstrdup(p->zProvider);
	o->zModelId = xstrdup(p->zModelId);
	o->zModelVersion = xstrdup(p->zModelVersion);
	return o;
}

void outcome_set_error(PendingOutcome *o, ErrClass err, int64_t maxAttempts, int64_t backoffBaseMs,
		       int64_t retryAfterMs, uint64_t *pRng)
{
	int retry = err_class_retryable(err) && o->attempt < maxAttempts;
	o->kind = retry ? JOB_OUTCOME_RETRY : JOB_OUTCOME_FAIL;
	o->zErrorClass = err_class_name(err);
	if (!o->zMessage || !*o->zMessage) {
		free(o->zMessage);
		o->zMessage = xstrdup(err_class_name(err));
	}
	if (retry) {
		o->notBeforeMs = time_now_ms() + backoff_delay_ms((int)o->attempt, backoffBaseMs, BACKOFF_CAP_MS,
								  retryAfterMs, prng_unit(pRng));
	}
	log_job_attempt(o, retry ? "retry" : "failed");
}

/* A failed attempt: retry later (retryable, attempts left) or fail the job. */
static void finish_error(struct Loop *L, Probe *p, ErrClass err, int httpStatus, const char *zMessage,
			 int64_t retryAfterMs)
{
	PendingOutcome *o = outcome_new(p, JOB_OUTCOME_FAIL);
	o->startedMs = p->startedMs ? p->startedMs : time_now_ms();
	o->durationMs = p->startMono ? time_mono_ms() - p->startMono : 0;
	o->httpStatus = httpStatus;
	o->zMessage = zMessage && *zMessage ? xstrdup(zMessage) : NULL;
	outcome_set_error(o, err, p->maxAttempts, loop_backoff_base_ms(L), retryAfterMs, loop_rng(L));
	loop_post_outcome(L, o);
	loop_probe_finished(L, p, o->kind);
}

/* The transcript fields every finished probe hands over (the turns are added by the caller). */
static PendingOutcome *outcome_new_done(const Probe *p)
{
	PendingOutcome *o = outcome_new(p, JOB_OUTCOME_DONE);
	o->startedMs = p->startedMs;
	o->durationMs = time_mono_ms() - p->startMono;
	o->httpStatus = 200;
	o->scenarioId = p->scenarioId;
	o->sampleIndex = p->sampleIndex;
	o->turnCount = p->nTurn;
	o->words = p->words;
	o->inTok = p->inTok;
	o->outTok = p->outTok;
	if (p->pModel && p->pModel->hasPrice) {
		o->hasPrice = 1;
		o->priceIn = p->pModel->priceIn;
		o->priceOut = p->pModel->priceOut;
	}
	o->zDecisionPrompt = xstrdup(p->zFirstPrompt);
	o->temperatureDropped = p->temperatureDropped;
	return o;
}

/* Keep an answer for the run's response cache: in the job's outcome and in the loop's memory. */
static void remember_answer(struct Loop *L, Probe *p, const char *zBody, size_t nBody)
{
	p->azCacheHash = xrealloc(p->azCacheHash, sizeof(char *) * (size_t)(p->nCache + 1));
	p->azCacheResp = xrealloc(p->azCacheResp, sizeof(char *) * (size_t)(p->nCache + 1));
	p->azCacheHash[p->nCache] = xstrdup(p->zHash);
	p->azCacheResp[p->nCache] = xstrndup(zBody, nBody);
	p->nCache++;
	loop_memo_put(L, p->runId, p->zHash, zBody, nBody);
}

/* Move the answers to cache from the probe to its outcome. */
static void outcome_take_cache(PendingOutcome *o, Probe *p)
{
	o->azCacheHash = p->azCacheHash;
	o->azCacheResp = p->azCacheResp;
	o->nCache = p->nCache;
	p->azCacheHash = p->azCacheResp = NULL;
	p->nCache = 0;
}

/* Every turn answered: hand the transcript to the database thread. */
static void finish_done(struct Loop *L, Probe *p)
{
	PendingOutcome *o = outcome_new_done(p);
	buf_putc(&p->turns, ']');
	o->zTurns = buf_detach(&p->turns);
	o->zDecisionResponse = xstrdup(p->azAnswer[0] ? p->azAnswer[0] : "");
	o->cacheHit = p->nCacheHit == p->nTurn;
	outcome_take_cache(o, p);
	log_job_attempt(o, o->cacheHit ? "done_cached" : "done");
	loop_post_outcome(L, o);
	loop_probe_finished(L, p, JOB_OUTCOME_DONE);
}

/*
 * The last turn came back with a 2xx status: the job's slot is free now, and
 * reading the answer (parsing it, writing the transcript's JSON, which is
 * most of the work per job) is left to the database thread, which does it
 * before writing the result (resolve_deferred there). An answer that does
 * not parse then becomes a failed attempt, as it would have here: a 2xx
 * status says nothing about rate limits or temperature. With the run's
 * response cache on, the raw answer is remembered here; a database thread
 * that finds it unreadable writes no cache row, and a repeat that meets it
 * in the loop's memory fails to parse it there and asks the provider.
 */
static void finish_deferred(struct Loop *L, Probe *p, Transfer *t, int httpStatus)
{
	PendingOutcome *o = outcome_new_done(p);
	DeferredTurn *d = xcalloc(1, sizeof(*d));
	d->eStyle = p->pProvConf->eStyle;
	d->maxAttempts = p->maxAttempts;
	d->backoffBaseMs = loop_backoff_base_ms(L);
	d->turn.turnNo = p->turn + 1;
	d->turn.zPrompt = xstrdup(turn_prompt(p, p->turn));
	d->turn.startedMs = p->turnStartMs;
	d->turn.durationMs = time_mono_ms() - p->turnStartMono;
	d->turn.httpStatus = httpStatus;
	d->turn.temperatureSent = p->sendTemperature && p->pRun->hasTemperature;
	d->turn.zUrl = t->spec.zUrl;
	d->turn.zRequest = t->spec.zBody;
	t->spec.zUrl = t->spec.zBody = NULL;
	d->nBody = t->body.n;
	d->zBody = buf_detach(&t->body);
	d->zHeaders = buf_detach(&t->headers);
	o->pDeferred = d;
	if (p->pRun->cacheOn) {
		remember_answer(L, p, d->zBody, d->nBody);
		outcome_take_cache(o, p);
	}
	if (p->turn > 0)
		o->zTurns = buf_detach(&p->turns);
	if (p->turn > 0)
		o->zDecisionResponse = xstrdup(p->azAnswer[0] ? p->azAnswer[0] : "");
	loop_post_outcome(L, o);
	loop_probe_finished(L, p, JOB_OUTCOME_DONE);
}

void probe_release(struct Loop *L, Probe *p)
{
	PendingOutcome *o = xcalloc(1, sizeof(*o));
	if (p->pXfer) {
		loop_transfer_free(L, p->pXfer);
		p->pXfer = NULL;
	}
	o->kind = JOB_OUTCOME_RELEASE;
	o->jobId = p->jobId;
	o->runId = p->runId;
	o->attempt = p->attempt;
	loop_post_outcome(L, o);
	loop_probe_finished(L, p, JOB_OUTCOME_RELEASE);
}

/*
 * Append z as a JSON string literal; NULL gives null. Every text here came
 * through a JSON parser (the response, models.json, the stored definition),
 * so it is valid UTF-8; should one not be, it is written as null rather than
 * breaking the transcript's JSON.
 */
static void json_text_string(Buf *b, const char *z)
{
	if (buf_json_string(b, z) != 0)
		buf_puts(b, "null");
}

void turn_json_append(Buf *b, const TurnFacts *f, const ProbeResult *r, const char *zBody, size_t nBody)
{
	char zStarted[TIME_ISO_LEN];
	time_iso_from_epoch(zStarted, (time_t)(f->startedMs / 1000));
	/* One allocation for the whole turn (escapes may still add a little). */
	buf_reserve(b, strlen(f->zPrompt) + (r->zText ? strlen(r->zText) : 0) + strlen(f->zUrl) +
			       (f->zRequest ? strlen(f->zRequest) : 4) + nBody + 512);
	buf_putc(b, b->n == 0 ? '[' : ',');
	buf_printf(b, "{\"turn\":%d,\"prompt\":", f->turnNo);
	json_text_string(b, f->zPrompt);
	buf_puts(b, ",\"response\":");
	json_text_string(b, r->zText ? r->zText : "");
	buf_printf(b, ",\"input_tokens\":%lld,\"output_tokens\":%lld,\"finish_reason\":",
		   (long long)r->inputTokens, (long long)r->outputTokens);
	json_text_string(b, r->zFinishReason);
	buf_puts(b, ",\"request_id\":");
	json_text_string(b, r->zRequestId);
	buf_puts(b, ",\"model_version\":");
	json_text_string(b, r->zModelVersion);
	buf_printf(b, ",\"duration_ms\":%lld,\"started_at\":\"%s\",\"http_status\":%d,\"cache_hit\":%s,"
		   "\"temperature_sent\":%s,\"url\":",
		   (long long)f->durationMs, zStarted, f->httpStatus, f->cached ? "true" : "false",
		   f->temperatureSent ? "true" : "false");
	json_text_string(b, f->zUrl);
	buf_puts(b, ",\"request\":");
	buf_puts(b, f->zRequest ? f->zRequest : "null");
	buf_puts(b, ",\"raw_response\":");
	buf_append(b, zBody, nBody);
	buf_putc(b, '}');
}

/*
 * Record an answered turn and move to the next one. The turn goes into the
 * turns JSON text directly; the request body (made by jansson) and the raw
 * response (which just parsed as JSON) are embedded byte for byte.
 */
static void record_turn(struct Loop *L, Probe *p, const HttpRequestSpec *pSpec, const ProbeResult *r,
			int httpStatus, const char *zBody, size_t nBody, int cached)
{
	TurnFacts f;
	memset(&f, 0, sizeof(f));
	f.turnNo = p->turn + 1;
	f.zPrompt = turn_prompt(p, p->turn);
	f.startedMs = p->turnStartMs;
	f.durationMs = time_mono_ms() - p->turnStartMono;
	f.httpStatus = httpStatus;
	f.cached = cached;
	f.temperatureSent = p->sendTemperature && p->pRun->hasTemperature;
	f.zUrl = pSpec->zUrl;
	f.zRequest = pSpec->zBody;
	turn_json_append(&p->turns, &f, r, zBody, nBody);
	p->azAnswer[p->turn] = xstrdup(r->zText ? r->zText : "");
	p->inTok += r->inputTokens;
	p->outTok += r->outputTokens;
	p->words += text_word_count(r->zText);
	if (cached) {
		p->nCacheHit++;
	} else if (p->pRun->cacheOn) {
		remember_answer(L, p, zBody, nBody);
	}
	p->turn++;
}

/* The cache key of a request: sha256 of provider id, URL and body. */
static void request_hash(const char *zProvider, const HttpRequestSpec *pSpec, char zHex[65])
{
	Buf b = BUF_INIT;
	buf_printf(&b, "%s\n%s\n%s", zProvider, pSpec->zUrl, pSpec->zBody ? pSpec->zBody : "");
	sha256_hex(b.z, b.n, zHex);
	buf_free(&b);
}

/* Try to answer the turn from the run's response cache. 1 when it was. */
static int answer_from_cache(struct Loop *L, Probe *p, const HttpRequestSpec *pSpec)
{
	ProbeResult r;
	const char *zMemo;
	char *zBody;
	int ok;
	request_hash(p->zProvider, pSpec, p->zHash);
	zMemo = loop_memo_get(L, p->runId, p->zHash);
	zBody = zMemo ? xstrdup(zMemo) : store_cache_get(loop_read_db(L), p->runId, p->zHash);
	if (!zBody)
		return 0;
	ok = provider_parse_response(p->pProvConf, 200, NULL, zBody, strlen(zBody), time_now_ms(), &r) == 0;
	if (ok)
		record_turn(L, p, pSpec, &r, 200, zBody, strlen(zBody), 1);
	probe_result_free(&r);
	free(zBody);
	return ok;
}

void probe_advance(struct Loop *L, Probe *p)
{
	for (;;) {
		ProbeTurn aTurn[2 * 64 + 1];
		ProbeParams params;
		Transfer *t;
		char zErr[300];
		int i, n = 0, rc;
		if (p->turn >= p->nTurn) {
			finish_done(L, p);
			return;
		}
		if (!p->pModel || !p->pProvConf) {
			snprintf(zErr, sizeof(zErr), "model %s of provider %s is not in models.json",
				 p->zModelId, p->zProvider);
			finish_error(L, p, ERR_INVALID_REQUEST, 0, zErr, 0);
			return;
		}
		if (p->pProv->pausedUntilMs > time_now_ms()) {
			loop_park(L, p);
			return;
		}
		for (i = 0; i <= p->turn && n + 2 < (int)ARRAY_SIZE(aTurn); i++) {
			aTurn[n].zRole = "user";
			aTurn[n++].zText = turn_prompt(p, i);
			if (i < p->turn) {
				aTurn[n].zRole = "assistant";
				aTurn[n++].zText = p->azAnswer[i];
			}
		}
		memset(&params, 0, sizeof(params));
		params.aTurn = aTurn;
		params.nTurn = n;
		params.zModelVersion = p->zModelVersion;
		params.maxTokens = p->pRun->maxTokens;
		params.hasTemperature = p->pRun->hasTemperature;
		params.temperature = p->pRun->temperature;
		params.sendTemperature = p->sendTemperature;
		t = loop_transfer_new(L, XFER_PROBE);
		p->turnStartMs = time_now_ms();
		p->turnStartMono = time_mono_ms();
		rc = provider_build_request(p->pProvConf, p->pModel, p->pProv->zKey ? p->pProv->zKey : NULL,
					    &params, &t->spec, zErr, sizeof(zErr));
		if (rc != ERR_NONE) {
			loop_transfer_free(L, t);
			finish_error(L, p, (ErrClass)rc, 0, zErr, 0);
			return;
		}
		if (p->pRun->cacheOn && answer_from_cache(L, p, &t->spec)) {
			loop_transfer_free(L, t);
			continue;
		}
		if (!p->pRun->cacheOn)
			p->zHash[0] = 0;
		t->pProbe = p;
		t->pProv = p->pProv;
		p->pXfer = t;
		bucket_take_forced(&p->pProv->bucket, time_mono_ms());
		if (loop_transfer_start(L, t, (long)p->pProvConf->requestTimeoutS * 1000L) != 0) {
			p->pXfer = NULL;
			finish_error(L, p, ERR_NETWORK, 0, "could not start the HTTP request", 0);
		}
		return;
	}
}

void probe_on_transfer_done(struct Loop *L, Probe *p, CURLcode cc, long httpStatus)
{
	Transfer *t = p->pXfer;
	ProbeResult r;
	char zMsg[400];
	int status = cc == CURLE_OK ? (int)httpStatus : 0;
	p->pXfer = NULL;
	if (status >= 200 && status <= 299 && !t->tooBig && p->turn == p->nTurn - 1 &&
	    p->pProvConf) {
		loop_provider_ok(L, p->pProv);
		finish_deferred(L, p, t, status);
		loop_transfer_free(L, t);
		return;
	}
	provider_parse_response(p->pProvConf, status, buf_str(&t->headers), t->body.z, t->body.n,
				time_now_ms(), &r);
	if (r.zErrMessage) {
		/* A provider may echo the key in its error text: it must not reach the database or a page. */
		char *zClean = log_redact(r.zErrMessage);
		free(r.zErrMessage);
		r.zErrMessage = zClean;
	}
	if (t->tooBig) {
		probe_result_free(&r);
		memset(&r, 0, sizeof(r));
		r.err = ERR_INVALID_RESPONSE;
		r.httpStatus = status;
		r.zErrMessage = xstrdup("response larger than 16 MB");
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(zMsg, sizeof(zMsg), "no complete response within %d s", p->pProvConf->requestTimeoutS);
		probe_result_free(&r);
		memset(&r, 0, sizeof(r));
		r.err = ERR_TIMEOUT;
		r.zErrMessage = xstrdup(zMsg);
	} else if (cc != CURLE_OK) {
		snprintf(zMsg, sizeof(zMsg), "%s", curl_easy_strerror(cc));
		probe_result_free(&r);
		memset(&r, 0, sizeof(r));
		r.err = ERR_NETWORK;
		r.zErrMessage = xstrdup(zMsg);
	}
	if (r.err == ERR_NONE) {
		loop_provider_ok(L, p->pProv);
		record_turn(L, p, &t->spec, &r, status, t->body.z, t->body.n, 0);
		probe_result_free(&r);
		loop_transfer_free(L, t);
		probe_advance(L, p);
		return;
	}
	if (r.temperatureRejected && p->sendTemperature && p->pRun->hasTemperature &&
	    !p->temperatureDropped) {
		/* One retry of this turn without temperature; the transcript says so. */
		p->sendTemperature = 0;
		p->temperatureDropped = 1;
		probe_result_free(&r);
		loop_transfer_free(L, t);
		probe_advance(L, p);
		return;
	}
	if (r.err == ERR_RATE_LIMITED)
		loop_provider_rate_limited(L, p->pProv, r.retryAfterMs);
	else if (status > 0)
		loop_provider_ok(L, p->pProv);
	finish_error(L, p, r.err, status, r.zErrMessage, r.retryAfterMs);
	probe_result_free(&r);
	loop_transfer_free(L, t);
}
