/* params.c — typed query parameters (dates) and query strings for links that keep filters. */
#include "web/params.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

int web_date_param(const char *zDate, int nextDay, char *zOut, size_t n)
{
	char zIso[TIME_ISO_LEN + 8], zBack[TIME_ISO_LEN];
	time_t t;
	int i;
	if (strlen(zDate) != 10)
		return -1;
	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? zDate[i] != '-' : (zDate[i] < '0' || zDate[i] > '9'))
			return -1;
	snprintf(zIso, sizeof(zIso), "%sT00:00:00Z", zDate);
	if (time_parse_iso(zIso, &t))
		return -1;
	time_iso_from_epoch(zBack, t);
	if (strncmp(zBack, zDate, 10) != 0)
		return -1;
	time_iso_from_epoch(zBack, nextDay ? t + 86400 : t);
	zBack[10] = 0;
	str_copy(zOut, n, zBack);
	return 0;
}

void web_query_add(Buf *b, const char *zName, const char *zValue)
{
	if (!zValue || !*zValue)
		return;
	buf_putc(b, b->n ? '&' : '?');
	buf_puts(b, zName);
	buf_putc(b, '=');
	buf_url_escape(b, zValue);
}
