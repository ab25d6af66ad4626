/* csv.h — RFC 4180 CSV cells written into a Buf, with a formula guard for spreadsheets. */
#ifndef VR_DOMAIN_CSV_H
#define VR_DOMAIN_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"

/*
 * Usage: one `int first = 1;` per row, then one csv_* call per cell and
 * csv_end_row(), which writes "\r\n" and sets first back to 1 for the next
 * row. Every cell call writes a ',' before itself unless *pFirst is set, and
 * clears *pFirst. The caller may flush and buf_reset() the Buf after any
 * row (or any cell): no state is kept in the Buf itself.
 *
 * Quoting (RFC 4180): a field is enclosed in '"' when it contains ',', '"',
 * CR or LF; a '"' inside is doubled. Text cells that begin with '=', '+',
 * '-', '@', TAB or CR get a leading '\'' so that Excel and LibreOffice do not
 * evaluate them as formulas. Numbers are never guarded: -3 stays -3.
 */

/* The UTF-8 byte order mark; write it once, at the start of the file. */
void csv_bom(Buf *b);

/* A text cell. NULL is written as an empty cell (same as csv_null). */
void csv_text(Buf *b, const char *zText, int *pFirst);

/* An integer cell as a bare decimal number. */
void csv_int(Buf *b, int64_t v, int *pFirst);

/*
 * A real-number cell as a bare decimal without exponent: integral values have
 * no decimals ("3"), other values keep 6 significant digits after the leading
 * zeros of the fraction (at least 6 decimals, at most 15), then trailing zeros
 * are trimmed: 0.000123 -> "0.000123", 1.5e-7 -> "0.00000015",
 * 12.3456789 -> "12.345679", 0.1+0.2 -> "0.3". NaN and infinities are
 * written as empty cells (missing). -0 is written as "0".
 */
void csv_double(Buf *b, double v, int *pFirst);

/* An empty cell (a missing value). */
void csv_null(Buf *b, int *pFirst);

/* End the row with "\r\n" and set *pFirst to 1 for the next row. */
void csv_end_row(Buf *b, int *pFirst);

/*
 * The download file name "run_<id>_<YYYY-MM-DD>.csv" for run runId exported
 * at time t (date in UTC) into zOut (n bytes; 64 is always enough).
 */
void csv_filename(char *zOut, size_t n, int64_t runId, time_t t);

#endif
