/* timeutil.h — UTC timestamps as ISO-8601 text and monotonic milliseconds. */
#ifndef VR_TIMEUTIL_H
#define VR_TIMEUTIL_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define TIME_ISO_LEN 32

/* Current UTC time as "2026-11-21T23:07:40Z" into z (TIME_ISO_LEN bytes). */
void time_iso_now(char *z);
/* Format epoch seconds as ISO-8601 UTC into z (TIME_ISO_LEN bytes). */
void time_iso_from_epoch(char *z, time_t t);
/* Parse "YYYY-MM-DDTHH:MM:SSZ" (or "YYYY-MM-DD HH:MM:SS"); -1 if malformed. */
int time_parse_iso(const char *z, time_t *pOut);
/* Milliseconds on the monotonic clock. */
int64_t time_mono_ms(void);
/* Milliseconds since the epoch on the real-time clock. */
int64_t time_now_ms(void);
/* Initialise a condition variable whose timed waits use the monotonic clock. */
void cond_init_monotonic(pthread_cond_t *pCond);
/* Wait on a cond_init_monotonic() condition until signalled or time_mono_ms() reaches untilMs (mutex held). */
void cond_wait_until_ms(pthread_cond_t *pCond, pthread_mutex_t *pMutex, int64_t untilMs);

#endif
