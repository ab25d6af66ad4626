/* buf.h — growable byte buffer used for responses, SQL-free text building and I/O. */
#ifndef VR_BUF_H
#define VR_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* A NUL-terminated growable buffer. z is NULL until the first append. */
typedef struct Buf {
	char *z;
	size_t n;
	size_t cap;
} Buf;

#define BUF_INIT {0, 0, 0}

void buf_init(Buf *b);
void buf_free(Buf *b);
/* Empty the buffer but keep its memory for reuse. */
void buf_reset(Buf *b);
/* Make room for extra more bytes (one allocation instead of several doublings). */
void buf_reserve(Buf *b, size_t extra);
void buf_append(Buf *b, const void *p, size_t n);
void buf_puts(Buf *b, const char *z);
void buf_putc(Buf *b, char c);
void buf_printf(Buf *b, const char *zFmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *b, const char *zFmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Return the contents ("" when empty); valid until the next append. */
const char *buf_str(const Buf *b);
/* Hand the contents to the caller (who frees them) and empty the buffer. */
char *buf_detach(Buf *b);

/* Escaping helpers, one per output context. */
/*
 * Append z as a JSON string literal, quotes included, escaped exactly as
 * jansson's json_dumps() escapes it. Returns 0, or -1 (nothing appended)
 * when z is NULL or not valid UTF-8.
 */
int buf_json_string(Buf *b, const char *z);
void buf_html_escape(Buf *b, const char *z, size_t n);
void buf_url_escape(Buf *b, const char *z);

#endif
