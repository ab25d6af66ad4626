/* params.h — small helpers for typed query parameters and for building links that keep them. */
#ifndef VR_PARAMS_H
#define VR_PARAMS_H

#include <stddef.h>

#include "lib/buf.h"

/*
 * Check a "YYYY-MM-DD" date parameter and write it (or, when nextDay, the
 * following day, since an end date is inclusive) into zOut (at least 11
 * bytes). 0, or -1 when it is not a real calendar date (2026-02-31 is not).
 */
int web_date_param(const char *zDate, int nextDay, char *zOut, size_t n);

/* Append "name=value" (URL-escaped) to a query string being built; empty values are left out. */
void web_query_add(Buf *b, const char *zName, const char *zValue);

#endif
