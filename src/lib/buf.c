/* buf.c — growable byte buffer and context-specific escaping. */
#include "lib/buf.h"
#include "lib/util.h"

#include <stdint.h>
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

/*
 * The length (2-4) of the UTF-8 sequence starting at s, or 0 when it is not
 * one jansson accepts: no stray continuation byte, overlong form, UTF-16
 * surrogate or code point above U+10FFFF. s is NUL-terminated, and NUL is
 * never a continuation byte, so this never reads past the end.
 */
static size_t utf8_sequence_length(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Append z as a JSON string, quotes included, escaped as json_dumps() does
 * without flags: '"' and '\\' by a backslash, \b \f \n \r \t by name, other
 * control characters as \u00XX; DEL and UTF-8 sequences are copied unchanged.
 * Returns 0, or -1 when z is NULL or not valid UTF-8; pOut is then as it was.
 */
int buf_json_string(Buf *pOut, const char *z)
{
	static const char zHex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)z, *pRun;
	size_t nStart = pOut->n;
	if (!z)
		return -1;
	buf_putc(pOut, '"');
	for (pRun = s;; s++) {
		unsigned char c = *s;
		char zEsc[6];
		size_t nEsc = 2;
		if (c >= 0x20 && c != '"' && c != '\\') {
			if (c >= 0x80) {
				size_t n = utf8_sequence_length(s);
				if (n == 0) {
					pOut->n = nStart;
					pOut->z[nStart] = 0;
					return -1;
				}
				s += n - 1;
			}
			continue;
		}
		buf_append(pOut, pRun, (size_t)(s - pRun));
		if (c == 0)
			break;
		zEsc[0] = '\\';
		switch (c) {
		case '"': zEsc[1] = '"'; break;
		case '\\': zEsc[1] = '\\'; break;
		case '\b': zEsc[1] = 'b'; break;
		case '\f': zEsc[1] = 'f'; break;
		case '\n': zEsc[1] = 'n'; break;
		case '\r': zEsc[1] = 'r'; break;
		case '\t': zEsc[1] = 't'; break;
		default:
			memcpy(zEsc + 1, "u00", 3);
			zEsc[4] = zHex[c >> 4];
			zEsc[5] = zHex[c & 15];
			nEsc = 6;
			break;
		}
		buf_append(pOut, zEsc, nEsc);
		pRun = s + 1;
	}
	buf_putc(pOut, '"');
	return 0;
}
