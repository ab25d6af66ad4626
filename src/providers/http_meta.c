/* http_meta.c — reads response headers: header lookup and the many spellings of "retry after". */
#include "providers/provider.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/util.h"

/* Longest wait we believe (a day); larger values are clamped, not trusted blindly. */
#define RETRY_AFTER_MAX_MS (24LL * 3600 * 1000)

char *http_header_get(const char *zHeaders, const char *zName)
{
	size_t nName = strlen(zName);
	char *zFound = NULL;
	const char *zLine = zHeaders;
	if (!zHeaders) return NULL;
	while (*zLine) {
		const char *zEnd = strchr(zLine, '\n');
		size_t nLine = zEnd ? (size_t)(zEnd - zLine) : strlen(zLine);
		const char *zColon = memchr(zLine, ':', nLine);
		if (nLine >= 5 && strncmp(zLine, "HTTP/", 5) == 0) {
			/* A new response starts: forget headers of the previous one. */
			free(zFound);
			zFound = NULL;
		} else if (zColon && (size_t)(zColon - zLine) == nName && strncasecmp(zLine, zName, nName) == 0) {
			const char *zVal = zColon + 1;
			const char *zValEnd = zLine + nLine;
			while (zVal < zValEnd && (*zVal == ' ' || *zVal == '\t')) zVal++;
			while (zValEnd > zVal && isspace((unsigned char)zValEnd[-1])) zValEnd--;
			free(zFound);
			zFound = xstrndup(zVal, (size_t)(zValEnd - zVal));
		}
		if (!zEnd) break;
		zLine = zEnd + 1;
	}
	return zFound;
}

int64_t parse_duration_ms(const char *z)
{
	double total = 0;
	if (!z || !*z) return -1;
	if (strcmp(z, "0") == 0) return 0;
	while (*z) {
		char *zEnd;
		double v;
		double unit;
		if (!isdigit((unsigned char)*z) && *z != '.') return -1;
		v = strtod(z, &zEnd);
		if (zEnd == z || v < 0) return -1;
		z = zEnd;
		if (strncmp(z, "ms", 2) == 0) { unit = 1; z += 2; }
		else if (strncmp(z, "us", 2) == 0) { unit = 1e-3; z += 2; }
		else if (strncmp(z, "\xc2\xb5s", 3) == 0) { unit = 1e-3; z += 3; }
		else if (strncmp(z, "ns", 2) == 0) { unit = 1e-6; z += 2; }
		else if (*z == 'h') { unit = 3600e3; z++; }
		else if (*z == 'm') { unit = 60e3; z++; }
		else if (*z == 's') { unit = 1e3; z++; }
		else return -1;
		total += v * unit;
		if (total > 1e15) return -1;
	}
	return (int64_t)ceil(total);
}

/* Read exactly n digits at *pz into *pOut and advance; -1 if not digits. */
static int read_digits(const char **pz, int n, int *pOut)
{
	int i, v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*pz)[i])) return -1;
		v = v * 10 + ((*pz)[i] - '0');
	}
	*pz += n;
	*pOut = v;
	return 0;
}

int64_t parse_rfc3339_ms(const char *z)
{
	struct tm tm;
	int year, mon, day, hour, min, sec, offH = 0, offM = 0, sign = 0;
	double frac = 0;
	time_t t;
	if (!z) return -1;
	memset(&tm, 0, sizeof tm);
	if (read_digits(&z, 4, &year) || *z++ != '-' || read_digits(&z, 2, &mon) || *z++ != '-' ||
	    read_digits(&z, 2, &day))
		return -1;
	if (*z != 'T' && *z != 't' && *z != ' ') return -1;
	z++;
	if (read_digits(&z, 2, &hour) || *z++ != ':' || read_digits(&z, 2, &min) || *z++ != ':' ||
	    read_digits(&z, 2, &sec))
		return -1;
	if (*z == '.') {
		double scale = 0.1;
		z++;
		if (!isdigit((unsigned char)*z)) return -1;
		while (isdigit((unsigned char)*z)) {
			frac += (*z - '0') * scale;
			scale /= 10;
			z++;
		}
	}
	if (*z == 'Z' || *z == 'z') {
		z++;
	} else if (*z == '+' || *z == '-') {
		sign = *z == '-' ? -1 : 1;
		z++;
		if (read_digits(&z, 2, &offH) || *z++ != ':' || read_digits(&z, 2, &offM)) return -1;
	} else {
		return -1;
	}
	if (*z || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1) return -1;
	t -= (time_t)sign * (offH * 3600 + offM * 60);
	return (int64_t)t * 1000 + (int64_t)llround(frac * 1000);
}

/* Parse an IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT") to epoch ms; -1 if malformed. */
static int64_t parse_http_date_ms(const char *z)
{
	struct tm tm;
	const char *zEnd;
	time_t t;
	memset(&tm, 0, sizeof tm);
	zEnd = strptime(z, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!zEnd || *zEnd) return -1;
	t = timegm(&tm);
	return t == (time_t)-1 ? -1 : (int64_t)t * 1000;
}

/* Clamp a wait to [0, RETRY_AFTER_MAX_MS]. */
static int64_t clamp_wait(int64_t ms)
{
	if (ms < 0) return 0;
	return ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : ms;
}

/* A non-negative decimal number of units (e.g. "2", "1.5") times scale; -1 if malformed. */
static int64_t parse_scaled_number(const char *z, double scale)
{
	char *zEnd;
	double v;
	if (!z || !isdigit((unsigned char)*z)) return -1;
	v = strtod(z, &zEnd);
	if (*zEnd || v < 0 || v > 1e12) return -1;
	return (int64_t)ceil(v * scale);
}

int64_t http_retry_after_ms(const char *zHeaders, int64_t nowMs)
{
	int64_t ms = -1;
	char *zVal;

	if ((zVal = http_header_get(zHeaders, "retry-after-ms")) != NULL) {
		ms = parse_scaled_number(zVal, 1);
		free(zVal);
		if (ms >= 0) return clamp_wait(ms);
	}
	if ((zVal = http_header_get(zHeaders, "retry-after")) != NULL) {
		int64_t at = -1;
		ms = parse_scaled_number(zVal, 1000);
		if (ms < 0) at = parse_http_date_ms(zVal);
		free(zVal);
		if (ms >= 0) return clamp_wait(ms);
		if (at >= 0) return clamp_wait(at - nowMs);
	}
	if ((zVal = http_header_get(zHeaders, "x-ratelimit-reset-requests")) != NULL) {
		ms = parse_duration_ms(zVal);
		free(zVal);
		if (ms >= 0) return clamp_wait(ms);
	}
	if ((zVal = http_header_get(zHeaders, "anthropic-ratelimit-requests-reset")) != NULL) {
		int64_t at = parse_rfc3339_ms(zVal);
		free(zVal);
		if (at >= 0) return clamp_wait(at - nowMs);
	}
	return 0;
}
