/* webhook.h — valuerankd's webhook deliverer: POSTs each post-run summary to the tenant's URL, with retries. */
#ifndef VR_EXEC_WEBHOOK_H
#define VR_EXEC_WEBHOOK_H

#include <stdint.h>

#include "store/db.h"

/* Per-request limits and the first retry delay (doubled per attempt, with jitter). */
#define WEBHOOK_TIMEOUT_S 10
#define WEBHOOK_CONNECT_TIMEOUT_S 5
#define WEBHOOK_BACKOFF_BASE_MS 5000

/*
 * Deliver at most one due notification (store_webhook_claim): POST its
 * summary JSON to the tenant's webhook URL (http/https only, no redirects,
 * WEBHOOK_TIMEOUT_S). A 2xx answer marks it delivered; anything else is
 * recorded with the reason and retried after backoffBaseMs × 2^(attempt-1)
 * (±20 %) until WEBHOOK_MAX_ATTEMPTS. Returns 1 when one was attempted, 0
 * when nothing was due, -1 on a database error. curl_global_init() must
 * have been called.
 */
int webhook_deliver_due(Db *db, int64_t nowMs, int64_t backoffBaseMs);

/*
 * Start the deliverer thread: its own database connection on zDbPath,
 * polling every second (woken at once by webhook_thread_stop()). Returns 0,
 * or -1 (logged) when the thread or the database cannot start. One
 * deliverer per process; a second start is refused.
 */
int webhook_thread_start(const char *zDbPath);

/* Stop the thread (an in-flight POST finishes, at most WEBHOOK_TIMEOUT_S) and close its connection. */
void webhook_thread_stop(void);

#endif
