/* webhook.c — the webhook deliverer thread of valuerankd: due notifications → HTTP POST → delivery state. */
#include "exec/webhook.h"
#include "store/notifications.h"
#include "lib/log.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WEBHOOK_POLL_MS 1000

/*
 * The one deliverer of this process. Process-wide because the API is a
 * start/stop pair called from valuerankd's main; everything is guarded by
 * the mutex except the thread's own Db.
 */
static struct {
	pthread_t thread;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	int running;
	int stop;
} deliverer = {.mutex = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* Response bodies are not kept: the status code is the answer. */
static size_t discard_body(char *p, size_t size, size_t n, void *pArg)
{
	(void)p;
	(void)pArg;
	return size * n;
}

/* POST zBody to zUrl. 0 on a 2xx answer; else -1 with the reason in zErr. */
static int post_json(const char *zUrl, const char *zBody, int64_t notificationId, char *zErr, size_t nErr)
{
	CURL *pCurl = curl_easy_init();
	struct curl_slist *pHeaders = NULL;
	char zCurlErr[CURL_ERROR_SIZE], zId[64];
	long status = 0;
	CURLcode rc;
	if (!pCurl) {
		snprintf(zErr, nErr, "cannot create a curl handle");
		return -1;
	}
	zCurlErr[0] = 0;
	snprintf(zId, sizeof(zId), "X-ValueRank-Notification: %lld", (long long)notificationId);
	pHeaders = curl_slist_append(pHeaders, "Content-Type: application/json");
	pHeaders = curl_slist_append(pHeaders, "X-ValueRank-Event: run.finished");
	pHeaders = curl_slist_append(pHeaders, zId);
	curl_easy_setopt(pCurl, CURLOPT_URL, zUrl);
	curl_easy_setopt(pCurl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(pCurl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(pCurl, CURLOPT_POSTFIELDS, zBody);
	curl_easy_setopt(pCurl, CURLOPT_HTTPHEADER, pHeaders);
	curl_easy_setopt(pCurl, CURLOPT_USERAGENT, "valuerankd-webhook/1");
	curl_easy_setopt(pCurl, CURLOPT_TIMEOUT, (long)WEBHOOK_TIMEOUT_S);
	curl_easy_setopt(pCurl, CURLOPT_CONNECTTIMEOUT, (long)WEBHOOK_CONNECT_TIMEOUT_S);
	curl_easy_setopt(pCurl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(pCurl, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(pCurl, CURLOPT_ERRORBUFFER, zCurlErr);
	rc = curl_easy_perform(pCurl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(pCurl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(pHeaders);
	curl_easy_cleanup(pCurl);
	if (rc != CURLE_OK) {
		snprintf(zErr, nErr, "%s", zCurlErr[0] ? zCurlErr : curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status > 299) {
		snprintf(zErr, nErr, "HTTP %ld", status);
		return -1;
	}
	return 0;
}

/* The delay before retry number `attempts` (1-based): base × 2^(attempts-1), ±20 % jitter. */
static int64_t backoff_ms(int64_t baseMs, int64_t attempts, int64_t id)
{
	uint64_t state = (uint64_t)id * 7919u + (uint64_t)attempts + (uint64_t)time_now_ms();
	int64_t delay = baseMs << (attempts > 10 ? 10 : attempts - 1);
	int64_t jitter = delay / 5;
	if (jitter > 0)
		delay += (int64_t)(prng_splitmix64(&state) % (uint64_t)(2 * jitter + 1)) - jitter;
	return delay;
}

int webhook_deliver_due(Db *db, int64_t nowMs, int64_t backoffBaseMs)
{
	json_t *pDue = store_webhook_claim(db, nowMs);
	const char *zUrl, *zBody;
	int64_t id, attempts;
	char zErr[CURL_ERROR_SIZE + 64];
	int ok;
	if (!pDue)
		return 0;
	id = json_integer_value(json_object_get(pDue, "id"));
	attempts = json_integer_value(json_object_get(pDue, "attempts")) + 1;
	zUrl = json_string_value(json_object_get(pDue, "url"));
	zBody = json_string_value(json_object_get(pDue, "summary"));
	zErr[0] = 0;
	ok = post_json(zUrl, zBody ? zBody : "{}", id, zErr, sizeof(zErr)) == 0;
	log_event(ok ? LOG_INFO : LOG_WARN, ok ? "webhook delivered" : "webhook failed",
		  "notification=%lld run=%lld attempt=%lld error=\"%s\"", (long long)id,
		  (long long)json_integer_value(json_object_get(pDue, "run_id")), (long long)attempts, zErr);
	json_decref(pDue);
	if (store_webhook_result(db, id, ok, attempts,
				 ok ? nowMs : time_now_ms() + backoff_ms(backoffBaseMs, attempts, id),
				 zErr) != DB_OK) {
		log_event(LOG_ERROR, "webhook state not saved", "notification=%lld error=\"%s\"",
			  (long long)id, db_errmsg(db));
		return -1;
	}
	return 1;
}

/* Wait up to ms milliseconds or until stop is asked; returns 1 when stopping. */
static int wait_or_stop(int64_t ms)
{
	int64_t until = time_mono_ms() + ms;
	int stop;
	pthread_mutex_lock(&deliverer.mutex);
	while (!deliverer.stop && time_mono_ms() < until)
		cond_wait_until_ms(&deliverer.cond, &deliverer.mutex, until);
	stop = deliverer.stop;
	pthread_mutex_unlock(&deliverer.mutex);
	return stop;
}

/* The thread: deliver whatever is due, then sleep a poll interval. */
static void *deliverer_main(void *pArg)
{
	Db *db = pArg;
	while (!wait_or_stop(0)) {
		int rc;
		while ((rc = webhook_deliver_due(db, time_now_ms(), WEBHOOK_BACKOFF_BASE_MS)) == 1 &&
		       !wait_or_stop(0))
			;
		if (wait_or_stop(rc < 0 ? 5 * WEBHOOK_POLL_MS : WEBHOOK_POLL_MS))
			break;
	}
	log_event(LOG_INFO, "webhook deliverer stopped", "write_transactions=%lld",
		  (long long)db_write_transactions(db));
	db_close(db);
	return NULL;
}

int webhook_thread_start(const char *zDbPath)
{
	char zErr[512];
	Db *db;
	pthread_mutex_lock(&deliverer.mutex);
	if (deliverer.running) {
		pthread_mutex_unlock(&deliverer.mutex);
		log_event(LOG_ERROR, "webhook deliverer already running", NULL);
		return -1;
	}
	pthread_mutex_unlock(&deliverer.mutex);
	db = db_open(zDbPath, zErr, sizeof(zErr));
	if (!db) {
		log_event(LOG_ERROR, "webhook deliverer cannot open the database", "error=\"%s\"", zErr);
		return -1;
	}
	pthread_mutex_lock(&deliverer.mutex);
	deliverer.stop = 0;
	/* Timed waits on the monotonic clock: a change of the wall clock does not stretch a poll. */
	pthread_cond_destroy(&deliverer.cond);
	cond_init_monotonic(&deliverer.cond);
	if (pthread_create(&deliverer.thread, NULL, deliverer_main, db) != 0) {
		pthread_mutex_unlock(&deliverer.mutex);
		db_close(db);
		log_event(LOG_ERROR, "webhook deliverer thread not started", NULL);
		return -1;
	}
	deliverer.running = 1;
	pthread_mutex_unlock(&deliverer.mutex);
	return 0;
}

void webhook_thread_stop(void)
{
	pthread_mutex_lock(&deliverer.mutex);
	if (!deliverer.running) {
		pthread_mutex_unlock(&deliverer.mutex);
		return;
	}
	deliverer.stop = 1;
	pthread_cond_broadcast(&deliverer.cond);
	pthread_mutex_unlock(&deliverer.mutex);
	pthread_join(deliverer.thread, NULL);
	pthread_mutex_lock(&deliverer.mutex);
	deliverer.running = 0;
	pthread_mutex_unlock(&deliverer.mutex);
}
