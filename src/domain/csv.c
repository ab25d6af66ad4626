/* csv.c — RFC 4180 cell writer for the run export (quoting, formula guard, number format). */
#include "domain/csv.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Write the separator before a cell unless it is the first of its row. */
static void csv_separator(Buf *b, int *pFirst)
{
	if (*pFirst) {
		*pFirst = 0;
	} else {
		buf_putc(b, ',');
	}
}

/* See csv.h. */
void csv_bom(Buf *b)
{
	buf_append(b, "\xEF\xBB\xBF", 3);
}

/* True when a text cell must be prefixed with ' so spreadsheets treat it as text. */
static int csv_needs_formula_guard(const char *z)
{
	return z[0] == '=' || z[0] == '+' || z[0] == '-' || z[0] == '@' || z[0] == '\t' ||
	       z[0] == '\r';
}

/* See csv.h. The guard is added before quoting, so a guarded CR cell is also quoted. */
void csv_text(Buf *b, const char *zText, int *pFirst)
{
	csv_separator(b, pFirst);
	if (zText == NULL || zText[0] == 0) return;
	int guard = csv_needs_formula_guard(zText);
	int quote = strpbrk(zText, ",\"\r\n") != NULL;
	if (quote) buf_putc(b, '"');
	if (guard) buf_putc(b, '\'');
	if (!quote) {
		buf_puts(b, zText);
		return;
	}
	const char *zStart = zText;
	for (const char *p = zText; *p; p++) {
		if (*p == '"') {
			buf_append(b, zStart, (size_t)(p - zStart) + 1); /* includes the quote */
			buf_putc(b, '"');
			zStart = p + 1;
		}
	}
	buf_puts(b, zStart);
	buf_putc(b, '"');
}

/* See csv.h. */
void csv_int(Buf *b, int64_t v, int *pFirst)
{
	csv_separator(b, pFirst);
	buf_printf(b, "%" PRId64, v);
}

/* See csv.h. */
void csv_double(Buf *b, double v, int *pFirst)
{
	char z[400];
	csv_separator(b, pFirst);
	if (!isfinite(v)) return;
	if (v == 0) {
		buf_putc(b, '0');
		return;
	}
	/* Six significant digits after the fraction's leading zeros: 0.000123 needs 9 decimals. */
	double mag = fabs(v);
	int nDecimal = 6;
	if (mag < 1) {
		nDecimal = 6 - (int)floor(log10(mag)) - 1;
		if (nDecimal < 6) nDecimal = 6;
		if (nDecimal > 15) nDecimal = 15;
	}
	snprintf(z, sizeof z, "%.*f", nDecimal, v);
	char *zDot = strchr(z, '.');
	if (zDot) {
		char *zEnd = z + strlen(z);
		while (zEnd > zDot + 1 && zEnd[-1] == '0') *--zEnd = 0;
		if (zEnd == zDot + 1) *zDot = 0;
	}
	if (strcmp(z, "-0") == 0) {
		buf_putc(b, '0');
		return;
	}
	buf_puts(b, z);
}

/* See csv.h. */
void csv_null(Buf *b, int *pFirst)
{
	csv_separator(b, pFirst);
}

/* See csv.h. */
void csv_end_row(Buf *b, int *pFirst)
{
	buf_append(b, "\r\n", 2);
	*pFirst = 1;
}

/* See csv.h. A time gmtime_r cannot represent falls back to 1970-01-01. */
void csv_filename(char *zOut, size_t n, int64_t runId, time_t t)
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL) {
		memset(&tm, 0, sizeof tm);
		tm.tm_year = 70;
		tm.tm_mday = 1;
	}
	snprintf(zOut, n, "run_%" PRId64 "_%04d-%02d-%02d.csv", runId, tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday);
}
