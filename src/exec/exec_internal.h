/* exec_internal.h — structures shared by the executor's event loop, probes, health checks and database thread. */
#ifndef VR_EXEC_INTERNAL_H
#define VR_EXEC_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "exec/exec.h"
#include "exec/ratelimit.h"
#include "lib/buf.h"
#include "lib/config.h"
#include "providers/models.h"
#include "providers/provider.h"
#include "store/db.h"
#include "store/jobs.h"

/*
 * Threads. The event-loop thread owns libcurl, the providers' limits and
 * every probe in memory; it never writes to the database. The database
 * thread owns the write connection: it claims jobs, commits results in
 * batches, extends leases, takes back expired ones and sends heartbeats.
 * They talk through DbShared (a mutex, a condition variable and lists); the
 * database thread wakes the loop with curl_multi_wakeup().
 */

/* A models.json catalog shared by the probes that were started with it (SIGHUP swaps it). */
typedef struct CatalogRef {
	ModelCatalog *pCat;
	int nRef;
} CatalogRef;

/* What a run's jobs need to know about the run. Refcounted by the probes using it. */
typedef struct RunInfo {
	struct RunInfo *pNext;
	int64_t runId;
	int hasTemperature;
	double temperature;
	int maxTokens;
	int cacheOn;
	char **azFollowup;
	int nFollowup;
	int nRef;
} RunInfo;

struct Probe;

/* One provider's live scheduling state. */
typedef struct ProviderRt {
	char *zId;
	const ProviderConf *pConf; /* in the current catalog; NULL when removed by a reload */
	char *zKey;                /* NULL: missing */
	TokenBucket bucket;
	int inFlight;              /* probes started and not finished */
	int nReady;                /* claimed, waiting for a slot or a token */
	int nClaimAsked;           /* asked of the database thread, not yet answered */
	int iConnAddr;             /* 1 + slot in Loop.aConnAddr of the address curl connects to for it; 0 unknown */
	int multiplexed;           /* its last answer came over HTTP/2 or 3: requests share connections */
	struct Probe *pReadyHead, *pReadyTail;
	int64_t pausedUntilMs;     /* epoch ms: rate limited until then */
	int rateLimitShown;        /* provider_status.rate_limited_until is set */
	int n429Streak;
	int64_t nextClaimMono;     /* do not ask for jobs before this (queue was empty) */
	int64_t nextHealthMono;
	int healthBusy;
	int healthWanted;
	struct Probe *pParkedHead;  /* started probes waiting for a rate-limit pause to end */
	struct Transfer *pHealthXfer; /* the health check under way */
} ProviderRt;

typedef enum TransferKind { XFER_PROBE, XFER_HEALTH } TransferKind;

/* One HTTP exchange on the curl multi handle. */
typedef struct Transfer {
	TransferKind kind;
	CURL *pEasy;
	struct curl_slist *pHeaders;
	HttpRequestSpec spec;
	Buf body;
	Buf headers;
	int tooBig;
	int64_t startMono;
	struct Loop *pLoop;
	struct Probe *pProbe; /* XFER_PROBE */
	ProviderRt *pProv;    /* the provider asked (either kind) */
} Transfer;

/* A claimed job and the conversation under way. */
typedef struct Probe {
	struct Probe *pNext;       /* ready queue / active list */
	struct Probe *pPrevActive, *pNextActive;
	int64_t jobId, runId, scenarioId, sampleIndex, attempt, maxAttempts;
	char *zProvider, *zModelId, *zModelVersion;
	char *zFirstPrompt;        /* preamble + prompt */
	ProviderRt *pProv;
	CatalogRef *pCatRef;
	const ProviderConf *pProvConf;
	const ModelConf *pModel;
	RunInfo *pRun;
	int turn;                  /* the user turn being sent, 0-based */
	int nTurn;                 /* 1 + follow-ups */
	char **azAnswer;           /* answers so far */
	int sendTemperature;
	int temperatureDropped;
	Buf turns;                 /* JSON text of the turns array so far (without the closing bracket) */
	int64_t inTok, outTok, words;
	int nCacheHit;
	char **azCacheHash, **azCacheResp;
	int nCache;
	int64_t startedMs, startMono;
	int64_t turnStartMs, turnStartMono;
	char zHash[65];            /* cache key of the turn being sent */
	Transfer *pXfer;
	int started;               /* holds a slot (dispatched) */
} Probe;

/* What a transcript records about one answered turn besides the answer itself. */
typedef struct TurnFacts {
	int turnNo;                /* 1-based */
	const char *zPrompt;
	int64_t startedMs, durationMs;
	int httpStatus;
	int cached, temperatureSent;
	const char *zUrl;
	const char *zRequest;      /* the request body (JSON), or NULL */
} TurnFacts;

/* A last turn answered with a 2xx status, read by the database thread (probe.c finish_deferred). */
typedef struct DeferredTurn {
	ApiStyle eStyle;
	int64_t maxAttempts, backoffBaseMs;
	TurnFacts turn;            /* its strings are owned here */
	char *zBody;
	size_t nBody;
	char *zHeaders;
} DeferredTurn;

/* A finished job on its way to the database thread. Everything is owned. */
typedef struct PendingOutcome {
	struct PendingOutcome *pNext;
	JobOutcomeKind kind;
	int64_t jobId, runId, attempt, startedMs, durationMs, notBeforeMs;
	int httpStatus;
	const char *zErrorClass;   /* static */
	char *zMessage;
	/* JOB_OUTCOME_DONE */
	int64_t scenarioId, sampleIndex;
	char *zProvider, *zModelId, *zModelVersion;
	char *zTurns;
	int64_t turnCount, words, inTok, outTok;
	int hasPrice;
	double priceIn, priceOut;
	char *zDecisionPrompt, *zDecisionResponse;
	int cacheHit, temperatureDropped;
	char **azCacheHash, **azCacheResp;
	int nCache;
	/* JOB_OUTCOME_DONE whose last answer is still to be read: zTurns holds the
	   earlier turns without the closing bracket (or NULL), and zDecisionResponse
	   is NULL when the last turn is the first. */
	DeferredTurn *pDeferred;
} PendingOutcome;

/* A request for jobs, and its answer. */
/* A claimed job as the loop needs it, read out of its row on the database thread. */
typedef struct ClaimedJob {
	int64_t jobId, runId, scenarioId, sampleIndex, attempt, maxAttempts;
	char *zModelId, *zModelVersion;
	char *zFirstPrompt;        /* preamble and prompt, as scenario_full_prompt() joins them */
} ClaimedJob;

typedef struct ClaimMsg {
	struct ClaimMsg *pNext;
	char *zProvider;
	int nAsked;
	ClaimedJob *aJob;          /* the answer (nJob of them; none on a database error) */
	int nJob;
} ClaimMsg;

void claimed_jobs_free(ClaimedJob *aJob, int nJob);

/* A provider_status change to write. */
typedef enum NoteKind { NOTE_RATE_LIMIT, NOTE_HEALTH, NOTE_CONFIGURED } NoteKind;
typedef struct ProviderNote {
	struct ProviderNote *pNext;
	NoteKind kind;
	char *zProvider;
	char *zText;               /* rate-limited-until ISO time or NULL; health error or NULL */
	int connected;             /* NOTE_HEALTH: connected; NOTE_CONFIGURED: has a key */
	int64_t latencyMs;
} ProviderNote;

/* State shared by the two threads; every field below mu is guarded by it. */
typedef struct DbShared {
	/* fixed at start */
	Db *db;
	const char *zOwner;
	const char *zWorkerId;
	char zHost[256];
	char zStartedAt[32];
	int64_t leaseMs;
	int once;
	CURLM *pMulti;
	int wakeFd;                /* eventfd the event loop waits on: written when replies arrive */
	pthread_t thread;
	Db *dbCheckpoint;          /* the checkpoint thread's connection */
	pthread_t checkpointThread;

	pthread_mutex_t mu;
	pthread_cond_t cond;
	PendingOutcome *pOutHead, *pOutTail;
	int nOut;
	ClaimMsg *pAsk;            /* asked by the loop */
	ClaimMsg *pReply;          /* answered by the database thread */
	ProviderNote *pNotes;
	json_t *pInactiveRuns;     /* run ids to release ready jobs of; taken by the loop */
	json_t *pCheckRequests;    /* provider ids the web app wants checked; taken by the loop */
	int64_t remaining;         /* --once: jobs left in active runs, -1 unknown */
	int stop;                  /* loop finished: flush and exit */
	int flushNow;              /* nothing is in flight: write waiting results without waiting to batch */
	int idleAfter;             /* the loop went idle with these results: checkpoint once they are written */
	int checkpointSoon;        /* the checkpoint thread should not wait for its next period */
	int fatal;                 /* the database thread gave up */
	int watchWanted;           /* a provider's queue was empty: look for other connections' commits */
	int lookNow;               /* the log was just written (walwatch.c): look at data_version now */
	int walWatched;            /* the loop has an inotify watch: looking often is not needed */
	int64_t nExternal;         /* commits by other connections seen so far (database thread) */
	int64_t inFlight, nDone, nFailed; /* for heartbeats */
	int64_t nBatch, nBatchResults, nBatchClaims; /* database thread statistics (its own) */
	int64_t nEmptyClaims;      /* asks that found no job */
	int64_t nDeferredRetry, nDeferredFailed; /* deferred answers that did not parse (counted done by the loop) */
	uint64_t rng;              /* the database thread's own, for their backoff */
	int64_t backoffBaseMs;     /* --backoff-base-ms, for jobs whose lease expired */
} DbShared;

/* The event loop's state (loop.c; transfers and the response memo in transfer.c). */
#define MAX_RESPONSE_BYTES (16u * 1024u * 1024u)
#define EASY_POOL_MAX 1024
#define MEMO_SLOTS 1024

/* How long a socket the preconnect thread opened waits to be taken, and its connect timeout. */
#define PRECONNECT_TTL_MS 2000
#define PRECONNECT_CONNECT_MS 5000

/* A provider address and the sockets curl holds open to it (transfer.c). */
#define CONN_ADDRS 255
typedef struct ConnAddr {
	struct sockaddr_storage sa;
	socklen_t len;
	int nOpen;
} ConnAddr;

/* One remembered response (direct-mapped by hash). */
typedef struct MemoSlot {
	int64_t runId;
	char zHash[65];
	char *zBody;
} MemoSlot;

struct Loop {
	ExecOptions opt;
	Config config;
	DbShared shared;
	Db *dbWrite;
	Db *dbRead;              /* the loop's own read connection: run settings, cache lookups */
	Db *dbCheckpoint;        /* the checkpoint thread's connection */
	CURLM *pMulti;
	int epollFd;             /* curl's sockets, the signal pipe and the wake eventfd */
	int signalFd;            /* read end of the signal pipe (drained by loop.c) */
	int walWatchFd;          /* inotify on the database's folder (walwatch.c); -1 without */
	char zWalName[256];      /* the write-ahead log's file name, "<database>-wal" */
	int64_t curlTimerDue;    /* monotonic ms when curl wants a timeout call; -1 none */
	uint16_t *aFdState;      /* per socket fd: FD_* bits and address slot (transfer.c) */
	int nFdState;
	ConnAddr aConnAddr[CONN_ADDRS];
	int nConnAddr;
	struct Preconnect *pPre;  /* the preconnect thread (preconnect.c); NULL: --no-preconnect */
	CatalogRef *pCatRef;
	ProviderRt **apProv;
	int nProv;
	RunInfo *pRuns;
	Probe *pActive;          /* started probes (doubly linked) */
	int inFlight;            /* started probes */
	int nReady;
	int nAsked;
	int maxInFlight;
	int draining;
	int64_t drainDeadline;
	CURL **apEasy;           /* idle easy handles, reused for their buffers */
	int nEasy;
	uint64_t rng;
	int64_t remaining;
	PendingOutcome *pHeldHead, *pHeldTail; /* outcomes not yet handed over (loop_hand_over) */
	int nHeld;
	int flushSoon;            /* nothing in flight: the database thread should not wait to batch */
	int watchWanted;          /* what the database thread was last told (shared.watchWanted) */
	int64_t nExternalSeen;    /* shared.nExternal when the empty queues were last asked again */
	int64_t nExternal;        /* shared.nExternal as of the last take_shared */
	char zWorkerId[128];
	char zOwner[160];
	int64_t nDone, nFailed;
	MemoSlot aMemo[MEMO_SLOTS];
};


/* Heap made resident up front (lib/memory.h) by the loop and the database thread. */
#define MEMORY_RESERVE_LOOP (32u * 1024u * 1024u)
#define MEMORY_RESERVE_DB (40u * 1024u * 1024u)

/* dbthread.c */
int dbthread_start(DbShared *s);
/* Ask the database thread to flush everything and stop; waits for it. */
void dbthread_stop(DbShared *s);
/*
 * Hand over outcomes (a list of n, pHead to pTail); flushSoon: write them
 * without waiting to batch; idle: nothing is in flight or ready any more.
 */
void dbshared_post_outcomes(DbShared *s, PendingOutcome *pHead, PendingOutcome *pTail, int n, int flushSoon,
			    int idle);
/* Start (on) or stop watching for other connections' commits; each one seen wakes the loop. */
void dbshared_set_watch(DbShared *s, int on);
void dbshared_post_claim(DbShared *s, const char *zProvider, int n);
void dbshared_post_note(DbShared *s, ProviderNote *p);
/* Queue a provider_status change (copies the strings). */
void dbshared_note(DbShared *s, NoteKind kind, const char *zProvider, const char *zText, int connected,
		   int64_t latencyMs);
void pending_outcome_free(PendingOutcome *p);

/*
 * results.c: read each deferred last answer, make every outcome into rows and
 * write them in one transaction. Returns 0, or -1 when the transaction could
 * not be committed (the outcomes are then as they were, for the next try).
 */
int results_write_batch(DbShared *s, PendingOutcome *pOuts, int nOut);

/* probe.c — one job's conversation. The Loop is the event loop (loop.c). */
struct Loop;
/* The "job attempt" log line of an outcome (zOutcome: done, retry, failed, ...). */
void log_job_attempt(const PendingOutcome *o, const char *zOutcome);
/* Make o a retry (retryable class, attempts left; with a backoff) or a failure, and log it. */
void outcome_set_error(PendingOutcome *o, ErrClass err, int64_t maxAttempts, int64_t backoffBaseMs,
		       int64_t retryAfterMs, uint64_t *pRng);
/* Append one turn's object to a transcript's turns JSON text (opening the array when b is empty). */
void turn_json_append(Buf *b, const TurnFacts *f, const ProbeResult *r, const char *zBody, size_t nBody);
/* Start (or continue after a cache hit) the probe: sends the next turn or finishes. */
void probe_advance(struct Loop *L, Probe *p);
/* A transfer of this probe finished (curl result and HTTP status). */
void probe_on_transfer_done(struct Loop *L, Probe *p, CURLcode cc, long httpStatus);
/* Give the job back without counting the attempt (shutdown, paused run). */
void probe_release(struct Loop *L, Probe *p);
void probe_free(Probe *p);

/* health.c */
void health_start(struct Loop *L, ProviderRt *pr);
void health_on_done(struct Loop *L, Transfer *t, CURLcode cc, long httpStatus);

/* schedule.c: ready queues and when jobs start (the Loop's own state; loop thread only) */
void sched_ready_push(ProviderRt *pr, Probe *p);
/* Give back the ready (unstarted) jobs of one run (runId -1: all) of a provider. */
void sched_release_ready_if(struct Loop *L, ProviderRt *pr, int64_t runId);
/* Requests a provider may have in flight at once. */
int sched_provider_parallel(const ProviderRt *pr);
/* Start parked and ready probes where the provider's and the global limits allow. */
void sched_dispatch(struct Loop *L);
/* While a provider's queue is empty, have the database thread watch for other connections' commits. */
void sched_watch_for_work(struct Loop *L, int64_t now);
/* Ask the database thread for jobs where slots (plus a round of prefetch) and tokens allow. */
void sched_ask_claims(struct Loop *L, int64_t now);
/* How long the loop may sleep, in ms. */
int sched_poll_timeout(struct Loop *L, int64_t now);

/*
 * walwatch.c: an inotify watch for writes to the database's write-ahead log,
 * in the loop's epoll set. walwatch_open returns -1 (no watch) when inotify
 * is not available; walwatch_drain returns 1 when the log was written.
 */
int walwatch_open(struct Loop *L, const char *zDbPath);
int walwatch_drain(struct Loop *L);
void walwatch_close(struct Loop *L);
/* The log was written: have the database thread look at data_version now (if it is watching). */
void dbshared_look_now(DbShared *s);

/* transfer.c: the multi handle, its epoll set (curl's sockets, signalFd and the wake eventfd) */
int loop_events_open(struct Loop *L, int signalFd);
/* Wait up to timeoutMs for any of them or curl's timer, and hand socket events and timeouts to curl. */
void wait_and_drive_curl(struct Loop *L, int timeoutMs);
/* Let curl act on transfers whose timer is due (new transfers: send their requests). */
void loop_send_due(struct Loop *L);
/* loop.c: after each socket event, finish completed transfers and send their replacements at once. */
void loop_after_socket(struct Loop *L);

/* loop.c services used by probe.c and health.c */
Transfer *loop_transfer_new(struct Loop *L, TransferKind kind);
/* Add a prepared transfer (spec filled) to the multi handle; 0, or -1 (transfer freed). */
int loop_transfer_start(struct Loop *L, Transfer *t, long timeoutMs);
/* n requests to pr are about to start: have the preconnect thread open the connections they lack. */
void loop_preconnect(struct Loop *L, ProviderRt *pr, int n);
void loop_transfer_free(struct Loop *L, Transfer *t);
/* Park a started probe until its provider's rate-limit pause ends. */
void loop_park(struct Loop *L, Probe *p);
/* The provider answered 429: pause it for retryAfterMs (or a growing default). */
void loop_provider_rate_limited(struct Loop *L, ProviderRt *pr, int64_t retryAfterMs);
/*
 * An outcome for the database thread. The loop holds them and hands them over
 * together (loop_hand_over) before it next waits: one lock, not one per job.
 */
void loop_post_outcome(struct Loop *L, PendingOutcome *o);
void loop_hand_over(struct Loop *L);
/* The provider answered: clear a shown rate limit that has passed. */
void loop_provider_ok(struct Loop *L, ProviderRt *pr);
/* The probe finished with this outcome (already posted): free it and its slot. */
void loop_probe_finished(struct Loop *L, Probe *p, JobOutcomeKind kind);
/*
 * The loop's memory of recent cacheable responses, so that a repeat asked
 * before the database thread has committed the cache row still hits.
 * loop_memo_get returns a borrowed body (valid until the next put) or NULL.
 */
const char *loop_memo_get(struct Loop *L, int64_t runId, const char *zHash);
void loop_memo_put(struct Loop *L, int64_t runId, const char *zHash, const char *zBody, size_t nBody);
DbShared *loop_shared(struct Loop *L);
Db *loop_read_db(struct Loop *L);
const char *loop_key_file(struct Loop *L);
int64_t loop_backoff_base_ms(struct Loop *L);
uint64_t *loop_rng(struct Loop *L);

#endif
