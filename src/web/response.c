/* response.c — buffered responses: status, headers (security headers always), body. */
#include "web/web.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

void response_init(Response *p)
{
	memset(p, 0, sizeof(*p));
	p->status = 200;
	str_copy(p->zContentType, sizeof(p->zContentType), "text/html; charset=utf-8");
}

void response_free(Response *p)
{
	buf_free(&p->headers);
	buf_free(&p->body);
}

void response_header(Response *p, const char *zName, const char *zValue)
{
	/* Header values come from the server itself; strip CR/LF defensively. */
	buf_puts(&p->headers, zName);
	buf_puts(&p->headers, ": ");
	for (; *zValue; zValue++)
		if (*zValue != '\r' && *zValue != '\n')
			buf_putc(&p->headers, *zValue);
	buf_puts(&p->headers, "\r\n");
}

void response_redirect(Response *p, const char *zLocation)
{
	p->status = 303;
	response_header(p, "Location", zLocation);
	buf_reset(&p->body);
}

void response_security_headers(Response *p)
{
	response_header(p, "Content-Security-Policy",
			"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
			"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
	response_header(p, "X-Frame-Options", "DENY");
	response_header(p, "X-Content-Type-Options", "nosniff");
	response_header(p, "Referrer-Policy", "same-origin");
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return status >= 500 ? "Internal Server Error" : "Error";
	}
}

void response_serialise_head(const Response *p, Buf *out)
{
	buf_printf(out, "Status: %d %s\r\n", p->status, status_text(p->status));
	buf_printf(out, "Content-Type: %s\r\n", p->zContentType);
	buf_append(out, buf_str(&p->headers), p->headers.n);
	if (!p->streamed)
		buf_printf(out, "Content-Length: %zu\r\n", p->body.n);
	buf_puts(out, "\r\n");
}
