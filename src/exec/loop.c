/* loop.c — valuerankd's event loop: catalogs and runs, claimed jobs in and results out, signals, start and shutdown (scheduling in schedule.c). */
#include "exec/exec_internal.h"
#include "exec/preconnect.h"
#include "exec/webhook.h"
#include "domain/expand.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/memory.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define HEALTH_EVERY_MS (10 * 60 * 1000)
#define MAX_FOLLOWUPS 64

/* Written by the signal handlers, read by the loop. */
static int iSignalPipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	char c = sig == SIGHUP ? 'H' : 'T';
	if (iSignalPipe[1] >= 0 && write(iSignalPipe[1], &c, 1) < 0) {
		/* nothing to do: the pipe is full, a wake-up is already pending */
	}
	errno = saved;
}

void loop_post_outcome(struct Loop *L, PendingOutcome *o)
{
	o->pNext = NULL;
	if (L->pHeldTail)
		L->pHeldTail->pNext = o;
	else
		L->pHeldHead = o;
	L->pHeldTail = o;
	L->nHeld++;
}

void loop_hand_over(struct Loop *L)
{
	if (!L->pHeldHead && !L->flushSoon)
		return;
	/*
	 * Nothing ready to start and nothing asked for: what is in flight is the
	 * end of the work known, so its results are written as they come rather
	 * than batched (a run's last transaction, which sets its status, is then
	 * small and soon).
	 */
	if (L->pHeldHead && L->nReady == 0 && L->nAsked == 0)
		L->flushSoon = 1;
	dbshared_post_outcomes(&L->shared, L->pHeldHead, L->pHeldTail, L->nHeld, L->flushSoon,
			       L->inFlight == 0 && L->nReady == 0);
	L->pHeldHead = L->pHeldTail = NULL;
	L->nHeld = 0;
	L->flushSoon = 0;
}

DbShared *loop_shared(struct Loop *L)
{
	return &L->shared;
}

Db *loop_read_db(struct Loop *L)
{
	return L->dbRead;
}

const char *loop_key_file(struct Loop *L)
{
	return L->config.zKeyFile;
}

int64_t loop_backoff_base_ms(struct Loop *L)
{
	return L->opt.backoffBaseMs;
}

uint64_t *loop_rng(struct Loop *L)
{
	return &L->rng;
}

/* ---- catalogs, providers, runs ------------------------------------------ */

static void catalog_unref(CatalogRef *c)
{
	if (c && --c->nRef == 0) {
		models_free(c->pCat);
		free(c);
	}
}

static ProviderRt *provider_find(struct Loop *L, const char *zId)
{
	int i;
	for (i = 0; i < L->nProv; i++)
		if (strcmp(L->apProv[i]->zId, zId) == 0)
			return L->apProv[i];
	return NULL;
}


/*
 * Make pCat the current catalog: providers get its limits and re-read keys
 * (registered as log secrets); providers no longer listed stop claiming.
 * Takes ownership of pCat.
 */
static void catalog_install(struct Loop *L, ModelCatalog *pCat)
{
	CatalogRef *pRef = xcalloc(1, sizeof(*pRef));
	int i;
	int64_t now = time_mono_ms();
	pRef->pCat = pCat;
	pRef->nRef = 1;
	for (i = 0; i < L->nProv; i++)
		L->apProv[i]->pConf = NULL;
	for (i = 0; i < pCat->nProvider; i++) {
		const ProviderConf *pc = &pCat->aProvider[i];
		ProviderRt *pr = provider_find(L, pc->zId);
		if (!pr) {
			pr = xcalloc(1, sizeof(*pr));
			pr->zId = xstrdup(pc->zId);
			bucket_init(&pr->bucket, pc->requestsPerMinute, now);
			L->apProv = xrealloc(L->apProv, sizeof(*L->apProv) * (size_t)(L->nProv + 1));
			L->apProv[L->nProv++] = pr;
		} else {
			bucket_set_rate(&pr->bucket, pc->requestsPerMinute, now);
		}
		pr->pConf = pc;
		free(pr->zKey);
		pr->zKey = models_provider_key(pc, L->config.zKeyFile);
		if (pr->zKey && *pr->zKey)
			log_add_secret(pr->zKey);
		pr->healthWanted = 1;
		dbshared_note(&L->shared, NOTE_CONFIGURED, pr->zId, NULL, pr->zKey != NULL, 0);
	}
	for (i = 0; i < L->nProv; i++)
		if (!L->apProv[i]->pConf)
			sched_release_ready_if(L, L->apProv[i], -1);
	catalog_unref(L->pCatRef);
	L->pCatRef = pRef;
}

static void run_info_free(RunInfo *r)
{
	int i;
	for (i = 0; i < r->nFollowup; i++)
		free(r->azFollowup[i]);
	free(r->azFollowup);
	free(r);
}

/* The settings of a run, read once and shared by its probes; NULL if unreadable. */
static RunInfo *run_info_get(struct Loop *L, int64_t runId)
{
	RunInfo *r;
	json_t *pInfo, *pConfig, *pFollowups, *pF, *pTemp;
	size_t i;
	for (r = L->pRuns; r; r = r->pNext)
		if (r->runId == runId) {
			r->nRef++;
			return r;
		}
	pInfo = store_run_exec_info(L->dbRead, runId);
	if (!pInfo)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->runId = runId;
	pConfig = json_object_get(pInfo, "config");
	pTemp = json_object_get(pConfig, "temperature");
	if (json_is_number(pTemp)) {
		r->hasTemperature = 1;
		r->temperature = json_number_value(pTemp);
	}
	r->maxTokens = (int)json_integer_value(json_object_get(pConfig, "max_tokens"));
	r->cacheOn = json_is_true(json_object_get(pConfig, "cache"));
	pFollowups = json_object_get(json_object_get(pInfo, "definition"), "followups");
	json_array_foreach(pFollowups, i, pF) {
		const char *z = json_string_value(json_object_get(pF, "prompt"));
		if (!z || r->nFollowup >= MAX_FOLLOWUPS)
			continue;
		r->azFollowup = xrealloc(r->azFollowup, sizeof(char *) * (size_t)(r->nFollowup + 1));
		r->azFollowup[r->nFollowup++] = xstrdup(z);
	}
	json_decref(pInfo);
	r->nRef = 1;
	r->pNext = L->pRuns;
	L->pRuns = r;
	return r;
}

static void run_info_unref(struct Loop *L, RunInfo *r)
{
	RunInfo **pp;
	if (!r || --r->nRef > 0)
		return;
	for (pp = &L->pRuns; *pp; pp = &(*pp)->pNext)
		if (*pp == r) {
			*pp = r->pNext;
			break;
		}
	run_info_free(r);
}

/* ---- probes -------------------------------------------------------------- */

/* A probe for a claimed job, taking its strings; NULL (job released) when its run cannot be read. */
static Probe *probe_from_claim(struct Loop *L, ProviderRt *pr, ClaimedJob *j)
{
	Probe *p = xcalloc(1, sizeof(*p));
	p->jobId = j->jobId;
	p->runId = j->runId;
	p->scenarioId = j->scenarioId;
	p->sampleIndex = j->sampleIndex;
	p->attempt = j->attempt;
	p->maxAttempts = j->maxAttempts;
	p->zProvider = xstrdup(pr->zId);
	p->zModelId = j->zModelId;
	p->zModelVersion = j->zModelVersion;
	p->zFirstPrompt = j->zFirstPrompt;
	j->zModelId = j->zModelVersion = j->zFirstPrompt = NULL;
	p->pProv = pr;
	p->pCatRef = L->pCatRef;
	L->pCatRef->nRef++;
	p->pProvConf = pr->pConf;
	p->pModel = pr->pConf ? models_find(L->pCatRef->pCat, pr->zId, p->zModelId) : NULL;
	p->sendTemperature = 1;
	p->pRun = run_info_get(L, p->runId);
	p->nTurn = 1 + (p->pRun ? p->pRun->nFollowup : 0);
	p->azAnswer = xcalloc((size_t)p->nTurn, sizeof(char *));
	if (!p->pRun) {
		log_event(LOG_WARN, "cannot read the run of a claimed job; giving it back", "run=%lld job=%lld",
			  (long long)p->runId, (long long)p->jobId);
		probe_release(L, p);
		return NULL;
	}
	return p;
}

void loop_probe_finished(struct Loop *L, Probe *p, JobOutcomeKind kind)
{
	if (p->started) {
		if (p->pPrevActive)
			p->pPrevActive->pNextActive = p->pNextActive;
		else
			L->pActive = p->pNextActive;
		if (p->pNextActive)
			p->pNextActive->pPrevActive = p->pPrevActive;
		p->pProv->inFlight--;
		if (--L->inFlight == 0)
			L->flushSoon = 1; /* no more results are coming soon */
	}
	if (p->pXfer) {
		loop_transfer_free(L, p->pXfer);
		p->pXfer = NULL;
	}
	if (kind == JOB_OUTCOME_FAIL)
		L->nFailed++;
	else if (kind == JOB_OUTCOME_DONE)
		L->nDone++;
	run_info_unref(L, p->pRun);
	catalog_unref(p->pCatRef);
	probe_free(p);
}

void loop_park(struct Loop *L, Probe *p)
{
	(void)L;
	p->pNext = p->pProv->pParkedHead;
	p->pProv->pParkedHead = p;
}

void loop_provider_rate_limited(struct Loop *L, ProviderRt *pr, int64_t retryAfterMs)
{
	int64_t wait = retryAfterMs, until;
	char zUntil[TIME_ISO_LEN];
	pr->n429Streak++;
	if (wait <= 0) {
		int i;
		wait = 1000;
		for (i = 1; i < pr->n429Streak && wait < BACKOFF_CAP_MS; i++)
			wait *= 2;
		if (wait > BACKOFF_CAP_MS)
			wait = BACKOFF_CAP_MS;
	}
	until = time_now_ms() + wait + 10;
	if (until <= pr->pausedUntilMs)
		return;
	pr->pausedUntilMs = until;
	pr->rateLimitShown = 1;
	time_iso_from_epoch(zUntil, (time_t)((until + 999) / 1000));
	dbshared_note(&L->shared, NOTE_RATE_LIMIT, pr->zId, zUntil, 0, 0);
	log_event(LOG_WARN, "provider rate limited; waiting", "provider=%s until=%s wait_ms=%lld", pr->zId,
		  zUntil, (long long)wait);
}

void loop_provider_ok(struct Loop *L, ProviderRt *pr)
{
	if (time_now_ms() < pr->pausedUntilMs)
		return;
	pr->n429Streak = 0;
	if (pr->rateLimitShown) {
		pr->rateLimitShown = 0;
		dbshared_note(&L->shared, NOTE_RATE_LIMIT, pr->zId, NULL, 0, 0);
	}
}

/* ---- messages from the database thread ---------------------------------- */

static void take_shared(struct Loop *L, int64_t now)
{
	ClaimMsg *pReplies, *m;
	json_t *pInactive, *pChecks, *pId;
	size_t i;
	int j;
	pthread_mutex_lock(&L->shared.mu);
	pReplies = L->shared.pReply;
	L->shared.pReply = NULL;
	pInactive = L->shared.pInactiveRuns;
	L->shared.pInactiveRuns = NULL;
	pChecks = L->shared.pCheckRequests;
	L->shared.pCheckRequests = NULL;
	L->remaining = L->shared.remaining;
	L->nExternal = L->shared.nExternal;
	L->shared.inFlight = L->inFlight;
	L->shared.nDone = L->nDone;
	L->shared.nFailed = L->nFailed;
	pthread_mutex_unlock(&L->shared.mu);
	while ((m = pReplies)) {
		ProviderRt *pr = provider_find(L, m->zProvider);
		int k;
		pReplies = m->pNext;
		if (pr) {
			pr->nClaimAsked -= m->nAsked;
			if (m->nJob < m->nAsked)
				pr->nextClaimMono = now + L->opt.pollMs;
		}
		L->nAsked -= m->nAsked;
		for (k = 0; k < m->nJob; k++) {
			Probe *p;
			if (!pr)
				break;
			p = probe_from_claim(L, pr, &m->aJob[k]);
			if (!p)
				continue;
			if (L->draining || !pr->pConf) {
				probe_release(L, p);
			} else {
				sched_ready_push(pr, p);
				L->nReady++;
			}
		}
		free(m->zProvider);
		claimed_jobs_free(m->aJob, m->nJob);
		free(m);
	}
	json_array_foreach(pInactive, i, pId)
		for (j = 0; j < L->nProv; j++)
			sched_release_ready_if(L, L->apProv[j], json_integer_value(pId));
	json_array_foreach(pChecks, i, pId) {
		ProviderRt *pr = provider_find(L, json_string_value(pId));
		if (pr)
			pr->healthWanted = 1;
	}
	json_decref(pInactive);
	json_decref(pChecks);
}

/* ---- finished transfers ------------------------------------------------- */

static int read_transfers(struct Loop *L)
{
	CURLMsg *pMsg;
	int nLeft, nDone = 0;
	while ((pMsg = curl_multi_info_read(L->pMulti, &nLeft))) {
		Transfer *t = NULL;
		long status = 0;
		CURLcode cc;
		if (pMsg->msg != CURLMSG_DONE)
			continue;
		cc = pMsg->data.result;
		curl_easy_getinfo(pMsg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		curl_easy_getinfo(pMsg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		if (!t)
			continue;
		nDone++;
		if (cc == CURLE_OK) {
			/* Over HTTP/2 curl shares connections between requests: opening them ahead would be waste. */
			long version = 0;
			curl_easy_getinfo(pMsg->easy_handle, CURLINFO_HTTP_VERSION, &version);
			t->pProv->multiplexed = version == CURL_HTTP_VERSION_2_0 || version == CURL_HTTP_VERSION_3;
		}
		if (t->kind == XFER_HEALTH) {
			t->pProv->pHealthXfer = NULL;
			health_on_done(L, t, cc, status);
			loop_transfer_free(L, t);
		} else {
			probe_on_transfer_done(L, t->pProbe, cc, status);
		}
	}
	return nDone;
}

void loop_after_socket(struct Loop *L)
{
	if (read_transfers(L) == 0 || L->draining)
		return;
	sched_dispatch(L);
	loop_send_due(L);
}

static void run_health_checks(struct Loop *L, int64_t now)
{
	int i;
	for (i = 0; i < L->nProv; i++) {
		ProviderRt *pr = L->apProv[i];
		if (!pr->pConf || pr->healthBusy)
			continue;
		if (pr->healthWanted || now >= pr->nextHealthMono) {
			pr->nextHealthMono = now + HEALTH_EVERY_MS;
			health_start(L, pr);
		}
	}
}

/* SIGHUP: read models.json again; keep the old catalog when the new one is invalid. */
static void reload_models(struct Loop *L)
{
	char zErr[512];
	ModelCatalog *pCat = models_load(L->config.zModels, zErr, sizeof(zErr));
	if (!pCat) {
		log_event(LOG_ERROR, "models.json not reloaded; keeping the previous catalog", "error=\"%s\"",
			  zErr);
		return;
	}
	catalog_install(L, pCat);
	log_event(LOG_INFO, "models.json reloaded", "providers=%d models=%d", pCat->nProvider, pCat->nModel);
}

static void start_drain(struct Loop *L, const char *zWhy)
{
	int i;
	if (L->draining)
		return;
	L->draining = 1;
	L->drainDeadline = time_mono_ms() + (int64_t)L->opt.graceS * 1000;
	log_event(LOG_INFO, "stopping: no new claims; finishing in-flight work", "reason=%s in_flight=%d grace_s=%d",
		  zWhy, L->inFlight, L->opt.graceS);
	for (i = 0; i < L->nProv; i++)
		sched_release_ready_if(L, L->apProv[i], -1);
}

/* Abort every started probe and give its job back (grace period over). */
static void release_active(struct Loop *L)
{
	int i;
	for (i = 0; i < L->nProv; i++)
		L->apProv[i]->pParkedHead = NULL;
	while (L->pActive)
		probe_release(L, L->pActive);
}

static int drain_signals(struct Loop *L)
{
	char ac[64];
	ssize_t n;
	int i, hup = 0;
	while ((n = read(iSignalPipe[0], ac, sizeof(ac))) > 0)
		for (i = 0; i < n; i++) {
			if (ac[i] == 'H')
				hup = 1;
			else
				start_drain(L, "signal");
		}
	return hup;
}

/* ---- start and stop ------------------------------------------------------ */

static int install_signals(void)
{
	struct sigaction sa;
	if (pipe(iSignalPipe) != 0)
		return -1;
	fcntl(iSignalPipe[0], F_SETFL, O_NONBLOCK);
	fcntl(iSignalPipe[1], F_SETFL, O_NONBLOCK);
	fcntl(iSignalPipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(iSignalPipe[1], F_SETFD, FD_CLOEXEC);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void exec_options_defaults(ExecOptions *o)
{
	memset(o, 0, sizeof(*o));
	o->pollMs = 200;
	o->graceS = 20;
	o->leaseMs = 60000;
	o->backoffBaseMs = BACKOFF_BASE_MS;
}

/* Open config, catalog and database; 0 or -1 with the reason logged. */
static int loop_open(struct Loop *L, const ExecOptions *o)
{
	char zErr[512];
	ModelCatalog *pCat;
	char zRand[9];
	L->opt = *o;
	if (config_load(&L->config, o->zConfigPath, zErr, sizeof(zErr))) {
		log_event(LOG_ERROR, "cannot read the configuration", "error=\"%s\"", zErr);
		return -1;
	}
	if (o->zDbPath)
		config_set_database(&L->config, o->zDbPath);
	L->maxInFlight = o->maxInFlight > 0 ? o->maxInFlight : L->config.maxInFlight;
	if (L->maxInFlight < 1)
		L->maxInFlight = 1;
	pCat = models_load(L->config.zModels, zErr, sizeof(zErr));
	if (!pCat) {
		log_event(LOG_ERROR, "cannot load models.json", "error=\"%s\"", zErr);
		return -1;
	}
	L->dbWrite = db_open(L->config.zDatabase, zErr, sizeof(zErr));
	if (!L->dbWrite || db_schema_check(L->dbWrite, zErr, sizeof(zErr)) != 0) {
		log_event(LOG_ERROR, "refusing to start", "error=\"%s\"", zErr);
		models_free(pCat);
		return -1;
	}
	if (store_jobs_tune(L->dbWrite) != DB_OK)
		log_event(LOG_WARN, "cannot tune the database connection", "error=\"%s\"", db_errmsg(L->dbWrite));
	L->dbRead = db_open(L->config.zDatabase, zErr, sizeof(zErr));
	L->dbCheckpoint = db_open(L->config.zDatabase, zErr, sizeof(zErr));
	if (!L->dbRead || !L->dbCheckpoint) {
		log_event(LOG_ERROR, "cannot open the database", "error=\"%s\"", zErr);
		models_free(pCat);
		return -1;
	}
	if (o->zId) {
		str_copy(L->zWorkerId, sizeof(L->zWorkerId), o->zId);
	} else {
		char zHost[100] = "localhost";
		gethostname(zHost, sizeof(zHost) - 1);
		snprintf(L->zWorkerId, sizeof(L->zWorkerId), "%s-%d", zHost, (int)getpid());
	}
	/* The lease owner is unique per process lifetime, so a restarted daemon
	 * never extends or completes the leases of its dead predecessor. */
	random_hex(zRand, 4);
	snprintf(L->zOwner, sizeof(L->zOwner), "%s/%s", L->zWorkerId, zRand);
	random_bytes(&L->rng, sizeof(L->rng));
	random_bytes(&L->shared.rng, sizeof(L->shared.rng));
	L->apEasy = xcalloc(EASY_POOL_MAX, sizeof(CURL *));
	if (loop_events_open(L, iSignalPipe[0]) != 0) {
		log_event(LOG_ERROR, "cannot set up the event loop", "errno=%d", errno);
		models_free(pCat);
		return -1;
	}
	/*
	 * Connections for a burst of requests are opened beside the loop
	 * (preconnect.c). Pooled sockets wait 2 s at most: servers keep an idle
	 * connection far longer.
	 */
	if (!o->noPreconnect) {
		L->pPre = preconnect_start(PRECONNECT_TTL_MS, PRECONNECT_CONNECT_MS);
		if (!L->pPre)
			log_event(LOG_WARN, "cannot start the preconnect thread; the loop opens every connection", NULL);
	}
	/* Another process's commit wakes the loop at once; without inotify the database thread polls. */
	L->shared.walWatched = walwatch_open(L, L->config.zDatabase) == 0;
	if (!L->shared.walWatched)
		log_event(LOG_INFO, "no inotify watch on the database folder; looking for new work every 10 ms",
			  "errno=%d", errno);
	L->shared.db = L->dbWrite;
	L->shared.dbCheckpoint = L->dbCheckpoint;
	L->shared.zOwner = L->zOwner;
	L->shared.zWorkerId = L->zWorkerId;
	gethostname(L->shared.zHost, sizeof(L->shared.zHost) - 1);
	time_iso_now(L->shared.zStartedAt);
	L->shared.leaseMs = o->leaseMs;
	L->shared.backoffBaseMs = o->backoffBaseMs;
	L->shared.once = o->once;
	L->shared.pMulti = L->pMulti;
	L->remaining = -1;
	if (dbthread_start(&L->shared) != 0) {
		models_free(pCat);
		return -1;
	}
	catalog_install(L, pCat);
	return 0;
}

static void loop_close(struct Loop *L)
{
	int i;
	for (i = 0; i < L->nProv; i++) {
		free(L->apProv[i]->zId);
		free(L->apProv[i]->zKey);
		free(L->apProv[i]);
	}
	free(L->apProv);
	while (L->pRuns) {
		RunInfo *r = L->pRuns;
		L->pRuns = r->pNext;
		run_info_free(r);
	}
	for (i = 0; i < L->nEasy; i++)
		curl_easy_cleanup(L->apEasy[i]);
	for (i = 0; i < MEMO_SLOTS; i++)
		free(L->aMemo[i].zBody);
	free(L->apEasy);
	if (L->pMulti)
		curl_multi_cleanup(L->pMulti);
	free(L->aFdState);
	if (L->pPre) {
		PreconnectCounts c;
		preconnect_counts(L->pPre, &c);
		preconnect_stop(L->pPre);
		log_event(LOG_INFO, "preconnect thread stopped", "asked=%lld opened=%lld taken=%lld expired=%lld failed=%lld",
			  (long long)c.nAsked, (long long)c.nOpened, (long long)c.nTaken, (long long)c.nExpired,
			  (long long)c.nFailed);
	}
	walwatch_close(L);
	if (L->epollFd > 0)
		close(L->epollFd);
	if (L->shared.wakeFd > 0)
		close(L->shared.wakeFd);
	catalog_unref(L->pCatRef);
	db_close(L->dbRead);
	db_close(L->dbCheckpoint);
	db_close(L->dbWrite);
	config_free(&L->config);
	log_clear_secrets();
}

int exec_main(const ExecOptions *o)
{
	struct Loop *L = xcalloc(1, sizeof(*L));
	int rc = 0, webhookStarted = 0;
	L->walWatchFd = -1;
	memory_keep_freed();
	if (install_signals() != 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_event(LOG_ERROR, "cannot initialise signals or libcurl", NULL);
		free(L);
		return 1;
	}
	if (loop_open(L, o) != 0) {
		if (L->shared.thread)
			dbthread_stop(&L->shared);
		loop_close(L);
		free(L);
		curl_global_cleanup();
		return 1;
	}
	/* The post-run webhook deliverer (src/exec/webhook.c) runs beside the loop on its own connection. */
	webhookStarted = webhook_thread_start(L->config.zDatabase) == 0;
	log_event(LOG_INFO, "valuerankd started", "worker=%s owner=%s max_in_flight=%d lease_ms=%lld version=%s",
		  L->zWorkerId, L->zOwner, L->maxInFlight, (long long)o->leaseMs, PACKAGE_VERSION);
	/* Transfers, easy handles and response trees of the first burst (see memory.c). */
	memory_reserve(MEMORY_RESERVE_LOOP);
	log_hold();
	for (;;) {
		int64_t now = time_mono_ms();
		if (drain_signals(L))
			reload_models(L);
		take_shared(L, now);
		if (L->shared.fatal)
			start_drain(L, "database");
		if (!L->draining) {
			run_health_checks(L, now);
			sched_dispatch(L);
			sched_watch_for_work(L, now);
			sched_ask_claims(L, now);
			if (L->opt.once && L->remaining == 0 && L->inFlight == 0 && L->nReady == 0 &&
			    L->nAsked == 0)
				start_drain(L, "no work left (--once)");
		}
		if (L->draining) {
			if (L->inFlight > 0 && now >= L->drainDeadline) {
				log_event(LOG_WARN, "grace period over: giving back in-flight jobs", "count=%d",
					  L->inFlight);
				release_active(L);
			}
			if (L->inFlight == 0 && L->nAsked == 0)
				break;
		}
		wait_and_drive_curl(L, sched_poll_timeout(L, time_mono_ms()));
		read_transfers(L);
	}
	log_release();
	/* Health checks still running are simply dropped. */
	{
		int i;
		for (i = 0; i < L->nProv; i++) {
			loop_transfer_free(L, L->apProv[i]->pHealthXfer);
			L->apProv[i]->pHealthXfer = NULL;
		}
	}
	loop_hand_over(L);
	pthread_mutex_lock(&L->shared.mu);
	L->shared.inFlight = 0;
	L->shared.nDone = L->nDone;
	L->shared.nFailed = L->nFailed;
	pthread_mutex_unlock(&L->shared.mu);
	dbthread_stop(&L->shared);
	if (webhookStarted)
		webhook_thread_stop();
	/* The database thread has stopped: its count of deferred answers that did not parse is final. */
	log_event(LOG_INFO, "valuerankd stopped", "done=%lld failed=%lld",
		  (long long)(L->nDone - L->shared.nDeferredRetry - L->shared.nDeferredFailed),
		  (long long)(L->nFailed + L->shared.nDeferredFailed));
	loop_close(L);
	free(L);
	curl_global_cleanup();
	close(iSignalPipe[0]);
	close(iSignalPipe[1]);
	iSignalPipe[0] = iSignalPipe[1] = -1;
	return rc;
}
