/* timeutil.c — UTC time formatting and parsing, monotonic clock, timed waits on it. */
#include "lib/timeutil.h"

#include <stdio.h>
#include <string.h>

void time_iso_from_epoch(char *z, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(z, TIME_ISO_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void time_iso_now(char *z)
{
	time_iso_from_epoch(z, time(NULL));
}

int time_parse_iso(const char *z, time_t *pOut)
{
	struct tm tm;
	int n = 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(z, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	if (z[n] == 'Z')
		n++;
	if (z[n] != 0)
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*pOut = timegm(&tm);
	return 0;
}

int64_t time_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cond_init_monotonic(pthread_cond_t *pCond)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(pCond, &attr);
	pthread_condattr_destroy(&attr);
}

void cond_wait_until_ms(pthread_cond_t *pCond, pthread_mutex_t *pMutex, int64_t untilMs)
{
	struct timespec ts;
	int64_t ms = untilMs - time_mono_ms();
	if (ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(pCond, pMutex, &ts);
}
