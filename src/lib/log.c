/* log.c — structured single-line logging to stderr with secret redaction. */
#include "lib/log.h"
#include "lib/buf.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char zComponentName[32] = "valuerank";
static enum LogLevel minimumLevel = LOG_INFO;
/* Secrets to redact: added by one thread (valuerankd reloading models.json) while others log. */
static pthread_mutex_t secretsMutex = PTHREAD_MUTEX_INITIALIZER;
static char **azSecret;
static int nSecret;
/* Lines held by this thread (log_hold), written together by log_flush. */
static __thread Buf heldLines;
static __thread int holding;
/* Write held lines early once they reach this size. */
#define HELD_MAX (64u * 1024u)

static const char *level_name(enum LogLevel level)
{
	switch (level) {
	case LOG_DEBUG: return "debug";
	case LOG_INFO: return "info";
	case LOG_WARN: return "warn";
	default: return "error";
	}
}

void log_setup(const char *zComponent, enum LogLevel minLevel)
{
	str_copy(zComponentName, sizeof(zComponentName), zComponent);
	minimumLevel = minLevel;
}

void log_add_secret(const char *zSecret)
{
	int i;
	if (!zSecret || strlen(zSecret) < 4)
		return;
	pthread_mutex_lock(&secretsMutex);
	/* A reload of models.json adds the same keys again. */
	for (i = 0; i < nSecret && strcmp(azSecret[i], zSecret) != 0; i++) {
	}
	if (i == nSecret) {
		azSecret = xrealloc(azSecret, sizeof(char *) * (size_t)(nSecret + 1));
		azSecret[nSecret++] = xstrdup(zSecret);
	}
	pthread_mutex_unlock(&secretsMutex);
}

void log_clear_secrets(void)
{
	int i;
	pthread_mutex_lock(&secretsMutex);
	for (i = 0; i < nSecret; i++)
		free(azSecret[i]);
	free(azSecret);
	azSecret = NULL;
	nSecret = 0;
	pthread_mutex_unlock(&secretsMutex);
}

void log_quote(char *zOut, size_t n, const char *zValue)
{
	size_t j = 0;
	if (n < 3) {
		if (n)
			zOut[0] = 0;
		return;
	}
	zOut[j++] = '"';
	for (; *zValue && j + 3 < n; zValue++) {
		char c = *zValue;
		if (c == '"' || c == '\\') {
			zOut[j++] = '\\';
			zOut[j++] = c;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			zOut[j++] = ' ';
		} else {
			zOut[j++] = c;
		}
	}
	zOut[j++] = '"';
	zOut[j] = 0;
}

static void redact(Buf *b)
{
	int i;
	pthread_mutex_lock(&secretsMutex);
	for (i = 0; i < nSecret; i++) {
		char *p;
		size_t len = strlen(azSecret[i]);
		while ((p = strstr(b->z, azSecret[i])) != NULL) {
			static const char zRep[] = "[redacted]";
			size_t off = (size_t)(p - b->z);
			Buf t = BUF_INIT;
			buf_append(&t, b->z, off);
			buf_puts(&t, zRep);
			buf_puts(&t, p + len);
			buf_free(b);
			*b = t;
		}
	}
	pthread_mutex_unlock(&secretsMutex);
}

char *log_redact(const char *z)
{
	Buf b = BUF_INIT;
	if (!z)
		return NULL;
	buf_puts(&b, z);
	if (!b.z)
		return xstrdup("");
	redact(&b);
	return buf_detach(&b);
}

void log_event(enum LogLevel level, const char *zMsg, const char *zFmt, ...)
{
	Buf b = BUF_INIT;
	char zTime[40];
	char zQuoted[1024];
	if (level < minimumLevel)
		return;
	time_iso_now(zTime);
	log_quote(zQuoted, sizeof(zQuoted), zMsg);
	buf_printf(&b, "ts=%s level=%s component=%s msg=%s", zTime, level_name(level),
		   zComponentName, zQuoted);
	if (zFmt && *zFmt) {
		va_list ap;
		buf_putc(&b, ' ');
		va_start(ap, zFmt);
		buf_vprintf(&b, zFmt, ap);
		va_end(ap);
	}
	redact(&b);
	for (char *p = b.z; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	buf_putc(&b, '\n');
	if (holding) {
		buf_append(&heldLines, b.z, b.n);
		if (heldLines.n >= HELD_MAX)
			log_flush();
	} else {
		(void)!write(STDERR_FILENO, b.z, b.n);
	}
	buf_free(&b);
}

void log_hold(void)
{
	holding = 1;
}

void log_flush(void)
{
	if (heldLines.n > 0)
		(void)!write(STDERR_FILENO, heldLines.z, heldLines.n);
	heldLines.n = 0;
	if (!holding)
		buf_free(&heldLines);
}

void log_release(void)
{
	holding = 0;
	log_flush();
}
