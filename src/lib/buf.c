/* buf.c — growable byte buffer and context-specific escaping. */
#include "lib/buf.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(Buf *b)
{
	b->z = NULL;
	b->n = 0;
	b->cap = 0;
}

void buf_free(Buf *b)
{
	free(b->z);
	buf_init(b);
}

void buf_reset(Buf *b)
{
	b->n = 0;
	if (b->z)
		b->z[0] = 0;
}

void buf_reserve(Buf *b, size_t extra)
{
	size_t need = b->n + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->z = xrealloc(b->z, cap);
	b->cap = cap;
}

void buf_append(Buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->z + b->n, p, n);
	b->n += n;
	b->z[b->n] = 0;
}

void buf_puts(Buf *b, const char *z)
{
	buf_append(b, z, strlen(z));
}

void buf_putc(Buf *b, char c)
{
	buf_append(b, &c, 1);
}

void buf_vprintf(Buf *b, const char *zFmt, va_list ap)
{
	va_list ap2;
	int len;
	va_copy(ap2, ap);
	len = vsnprintf(NULL, 0, zFmt, ap2);
	va_end(ap2);
	if (len <= 0)
		return;
	buf_reserve(b, (size_t)len);
	vsnprintf(b->z + b->n, (size_t)len + 1, zFmt, ap);
	b->n += (size_t)len;
}

void buf_printf(Buf *b, const char *zFmt, ...)
{
	va_list ap;
	va_start(ap, zFmt);
	buf_vprintf(b, zFmt, ap);
	va_end(ap);
}

const char *buf_str(const Buf *b)
{
	return b->z ? b->z : "";
}

char *buf_detach(Buf *b)
{
	char *z = b->z ? b->z : xstrdup("");
	buf_init(b);
	return z;
}

void buf_html_escape(Buf *b, const char *z, size_t n)
{
	size_t i, start = 0;
	for (i = 0; i < n; i++) {
		const char *zRep;
		switch (z[i]) {
		case '&': zRep = "&amp;"; break;
		case '<': zRep = "&lt;"; break;
		case '>': zRep = "&gt;"; break;
		case '"': zRep = "&quot;"; break;
		case '\'': zRep = "&#39;"; break;
		default: continue;
		}
		buf_append(b, z + start, i - start);
		buf_puts(b, zRep);
		start = i + 1;
	}
	buf_append(b, z + start, n - start);
}

void buf_url_escape(Buf *b, const char *z)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *z; z++) {
		unsigned char c = (unsigned char)*z;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			buf_putc(b, (char)c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}
