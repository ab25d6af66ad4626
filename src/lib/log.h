/* log.h — one line per event on stderr: level, component, message, key=value fields. */
#ifndef VR_LOG_H
#define VR_LOG_H

#include <stddef.h>

enum LogLevel { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set the minimum level printed and the component name (e.g. "web"). */
void log_setup(const char *zComponent, enum LogLevel minLevel);

/*
 * Print one line: `ts=... level=info component=web msg="..." key=value...`.
 * zMsg is a plain message (quoted and escaped here); zFmt, if not NULL, is
 * appended as already-formatted key=value fields. Secrets registered with
 * log_add_secret() are replaced by "[redacted]" anywhere in the line.
 */
void log_event(enum LogLevel level, const char *zMsg, const char *zFmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Batching for a busy thread: after log_hold(), this thread's lines are kept
 * in memory and written together by log_flush() (or when 64 KiB are held),
 * so an event loop can write once per wake-up instead of once per line; it
 * must flush before it sleeps. log_release() flushes and stops holding.
 */
void log_hold(void);
void log_flush(void);
void log_release(void);

/*
 * A copy of z with every registered secret replaced by "[redacted]", for
 * provider text that is stored or shown (error messages, raw bodies).
 * Caller frees. NULL gives NULL.
 */
char *log_redact(const char *z);

/* Register a secret (an API key) that must never appear in any log line. */
void log_add_secret(const char *zSecret);
void log_clear_secrets(void);

/* Quote a value for a key=value field into zOut (always NUL-terminated). */
void log_quote(char *zOut, size_t n, const char *zValue);

#define LOG_INFO_(msg, ...) log_event(LOG_INFO, msg, __VA_ARGS__)

#endif
