/* definition.c — parse definition JSON, validate it against the DOMAIN.md rules, serialise it. */
#include "domain/definition.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/util.h"

/* Longest JSON path we build: "dimensions[NNNNNNNNNN].levels[NNNNNNNNNN].options[NNNNNNNNNN]". */
#define PATH_MAX_LEN 96
/* User text quoted in a message is cut to this many characters. */
#define SNIPPET_MAX_CHARS 60
/* At most this many distinct unknown placeholders are reported one by one. */
#define MAX_UNKNOWN_PLACEHOLDER_WARNINGS 20

/* Append one problem to d. zPath is copied; the message is formatted. */
static void add_problem(Definition *d, DefSeverity sev, const char *zPath, const char *zFmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_problem(Definition *d, DefSeverity sev, const char *zPath, const char *zFmt, ...)
{
	Buf b = BUF_INIT;
	va_list ap;
	DefProblem *p;

	va_start(ap, zFmt);
	buf_vprintf(&b, zFmt, ap);
	va_end(ap);
	d->aProblem = xrealloc(d->aProblem, (size_t)(d->nProblem + 1) * sizeof(DefProblem));
	p = &d->aProblem[d->nProblem++];
	p->severity = sev;
	p->zPath = xstrdup(zPath);
	p->zMessage = buf_detach(&b);
	if (!p->zMessage)
		p->zMessage = xstrdup("");
	if (sev == DEF_ERROR)
		d->nError++;
	else
		d->nWarning++;
}

/* Format a JSON path into zOut (PATH_MAX_LEN bytes). */
static void path_fmt(char *zOut, const char *zFmt, ...) __attribute__((format(printf, 2, 3)));

static void path_fmt(char *zOut, const char *zFmt, ...)
{
	va_list ap;
	va_start(ap, zFmt);
	vsnprintf(zOut, PATH_MAX_LEN, zFmt, ap);
	va_end(ap);
}

/* Number of UTF-8 characters (code points) in the n bytes at z. */
static size_t utf8_chars(const char *z, size_t n)
{
	size_t i, nChar = 0;
	for (i = 0; i < n; i++)
		if (((unsigned char)z[i] & 0xC0) != 0x80)
			nChar++;
	return nChar;
}

/* 1 when z is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
static int utf8_valid(const char *z)
{
	const unsigned char *s = (const unsigned char *)z;
	while (*s) {
		unsigned c = *s;
		int nMore, k;
		uint32_t cp;
		if (c < 0x80) {
			s++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			nMore = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			nMore = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			nMore = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (k = 1; k <= nMore; k++) {
			if ((s[k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[k] & 0x3F);
		}
		if ((nMore == 2 && cp < 0x800) || (nMore == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		s += nMore + 1;
	}
	return 1;
}

/* 1 when z holds nothing but ASCII white space. */
static int is_blank(const char *z)
{
	for (; *z; z++)
		if (!isspace((unsigned char)*z))
			return 0;
	return 1;
}

/* 1 when z is a non-empty run of ASCII letters, digits and underscores. */
static int is_identifier(const char *z)
{
	if (!*z)
		return 0;
	for (; *z; z++)
		if (!isalnum((unsigned char)*z) && *z != '_')
			return 0;
	return 1;
}

/*
 * Copy at most SNIPPET_MAX_CHARS characters of the n bytes at z into a new
 * string, adding "..." when cut. Keeps messages short when users paste long
 * text into a name. Caller frees.
 */
static char *snippet(const char *z, size_t n)
{
	size_t i, nChar = 0;
	Buf b = BUF_INIT;
	for (i = 0; i < n; i++) {
		if (((unsigned char)z[i] & 0xC0) != 0x80 && nChar++ == SNIPPET_MAX_CHARS)
			break;
	}
	buf_append(&b, z, i);
	if (i < n)
		buf_puts(&b, "...");
	return b.z ? buf_detach(&b) : xstrdup("");
}

/* Write v with thousands separators ("1,296") into zOut (32 bytes). */
static void format_count(char *zOut, int64_t v)
{
	char zDigits[24];
	int nDigit, i, j = 0;
	nDigit = snprintf(zDigits, sizeof zDigits, "%" PRId64, v < 0 ? 0 : v);
	for (i = 0; i < nDigit; i++) {
		if (i > 0 && (nDigit - i) % 3 == 0)
			zOut[j++] = ',';
		zOut[j++] = zDigits[i];
	}
	zOut[j] = 0;
}

/* "a string", "an array", ... for messages about a wrong JSON type. */
static const char *json_kind(const json_t *p)
{
	switch (json_typeof(p)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "text";
	case JSON_INTEGER: return "a whole number";
	case JSON_REAL: return "a decimal number";
	case JSON_TRUE:
	case JSON_FALSE: return "true/false";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/*
 * Warn about every key of object p not listed in azKnown (NULL-terminated):
 * it is dropped by def_to_json(), so a misspelt key would silently vanish.
 */
static void warn_unknown_keys(Definition *d, const json_t *p, const char *zPrefix, const char *const *azKnown)
{
	const char *zKey;
	json_t *pVal;
	json_object_foreach((json_t *)p, zKey, pVal) {
		char zPath[PATH_MAX_LEN];
		char *zKeyShort;
		int i, bKnown = 0;
		for (i = 0; azKnown[i]; i++)
			if (strcmp(zKey, azKnown[i]) == 0)
				bKnown = 1;
		if (bKnown)
			continue;
		zKeyShort = snippet(zKey, strlen(zKey));
		if (*zPrefix)
			path_fmt(zPath, "%s.%s", zPrefix, zKeyShort);
		else
			path_fmt(zPath, "%s", zKeyShort);
		add_problem(d, DEF_WARNING, zPath,
		            "The field \"%s\" is not part of the definition format and will be ignored; "
		            "check its spelling or remove it.", zKeyShort);
		free(zKeyShort);
	}
}

/*
 * Read a required non-blank string field zKey of object p. Reports a missing
 * field, a wrong type or blank text as an error at zPath, using zWhat (e.g.
 * "label") and zHint (what the text is for) in the message. Returns a copy of
 * the string, or "" when invalid. Caller frees.
 */
static char *read_required_text(Definition *d, const json_t *p, const char *zKey, const char *zPath,
                                const char *zWhat, const char *zHint)
{
	const json_t *pVal = json_object_get(p, zKey);
	if (!pVal) {
		add_problem(d, DEF_ERROR, zPath, "The %s is missing; add \"%s\" with %s.", zWhat, zKey, zHint);
		return xstrdup("");
	}
	if (!json_is_string(pVal)) {
		add_problem(d, DEF_ERROR, zPath, "The %s must be text in quotes, not %s.", zWhat, json_kind(pVal));
		return xstrdup("");
	}
	if (is_blank(json_string_value(pVal))) {
		add_problem(d, DEF_ERROR, zPath, "The %s is empty; write %s.", zWhat, zHint);
		return xstrdup(json_string_value(pVal));
	}
	return xstrdup(json_string_value(pVal));
}

/*
 * Read an optional string field. Absent or null gives NULL; a wrong type is
 * an error. When bEmptyIsNull, empty text also gives NULL. Caller frees.
 */
static char *read_optional_text(Definition *d, const json_t *p, const char *zKey, const char *zWhat,
                                int bEmptyIsNull)
{
	const json_t *pVal = json_object_get(p, zKey);
	if (!pVal || json_is_null(pVal))
		return NULL;
	if (!json_is_string(pVal)) {
		add_problem(d, DEF_ERROR, zKey, "The %s must be text in quotes, not %s.", zWhat, json_kind(pVal));
		return NULL;
	}
	if (bEmptyIsNull && json_string_length(pVal) == 0)
		return NULL;
	return xstrdup(json_string_value(pVal));
}

/* Validate the separately supplied name: present, valid UTF-8, 1–200 characters, not blank. */
static void validate_name(Definition *d, const char *zName)
{
	size_t nChar;
	if (!zName || !*zName || is_blank(zName)) {
		add_problem(d, DEF_ERROR, "name", "The definition needs a name; give it a short title of 1 to %d characters.",
		            DEF_NAME_MAX_CHARS);
		return;
	}
	if (!utf8_valid(zName)) {
		add_problem(d, DEF_ERROR, "name", "The name is not valid UTF-8 text; retype it.");
		return;
	}
	nChar = utf8_chars(zName, strlen(zName));
	if (nChar > DEF_NAME_MAX_CHARS)
		add_problem(d, DEF_ERROR, "name", "The name is %zu characters long; shorten it to at most %d.", nChar,
		            DEF_NAME_MAX_CHARS);
}

/* Check schema_version: absent means 1; anything but the integer 1 is an error. */
static void validate_schema_version(Definition *d, const json_t *pContent)
{
	const json_t *p = json_object_get(pContent, "schema_version");
	if (!p)
		return;
	if (!json_is_integer(p)) {
		add_problem(d, DEF_ERROR, "schema_version",
		            "The schema_version must be the number %d, not %s; write \"schema_version\": %d or leave it out.",
		            DEF_SCHEMA_VERSION, json_kind(p), DEF_SCHEMA_VERSION);
		return;
	}
	if (json_integer_value(p) != DEF_SCHEMA_VERSION)
		add_problem(d, DEF_ERROR, "schema_version",
		            "This version of ValueRank reads only schema_version %d, not %" JSON_INTEGER_FORMAT
		            "; write \"schema_version\": %d or leave it out.",
		            DEF_SCHEMA_VERSION, json_integer_value(p), DEF_SCHEMA_VERSION);
}

/* Read and check the template (required, 1–20,000 characters). */
static void parse_template(Definition *d, const json_t *pContent)
{
	const json_t *p = json_object_get(pContent, "template");
	size_t nChar;
	if (!p) {
		add_problem(d, DEF_ERROR, "template",
		            "The template is missing; add \"template\" with the dilemma text, using [Name] "
		            "placeholders for the dimensions.");
		return;
	}
	if (!json_is_string(p)) {
		add_problem(d, DEF_ERROR, "template", "The template must be text in quotes, not %s.", json_kind(p));
		return;
	}
	free(d->zTemplate);
	d->zTemplate = xstrdup(json_string_value(p));
	if (is_blank(d->zTemplate)) {
		add_problem(d, DEF_ERROR, "template",
		            "The template is empty; write the dilemma text, using [Name] placeholders for the dimensions.");
		return;
	}
	nChar = utf8_chars(d->zTemplate, json_string_length(p));
	if (nChar > DEF_TEMPLATE_MAX_CHARS) {
		char zN[32], zMax[32];
		format_count(zN, (int64_t)nChar);
		format_count(zMax, DEF_TEMPLATE_MAX_CHARS);
		add_problem(d, DEF_ERROR, "template", "The template is %s characters long; shorten it to at most %s.", zN,
		            zMax);
	}
}

/* Report a level count outside 2–10 for the dimension zDimName (zPath names its levels list). */
static void check_level_count(Definition *d, const char *zPath, const char *zDimName, size_t nLevel)
{
	if (nLevel >= DEF_MIN_LEVELS && nLevel <= DEF_MAX_LEVELS)
		return;
	add_problem(d, DEF_ERROR, zPath, "The dimension %s has %zu level%s; give it between %d and %d levels.",
	            *zDimName ? zDimName : "without a name", nLevel, nLevel == 1 ? "" : "s", DEF_MIN_LEVELS,
	            DEF_MAX_LEVELS);
}

/* Read the optional options list of one level into pLevel. */
static void parse_options(Definition *d, DefLevel *pLevel, const json_t *pOptions, const char *zLevelPath)
{
	char zPath[PATH_MAX_LEN];
	size_t k;
	if (!pOptions || json_is_null(pOptions))
		return;
	path_fmt(zPath, "%s.options", zLevelPath);
	if (!json_is_array(pOptions)) {
		add_problem(d, DEF_ERROR, zPath,
		            "The options must be a list of texts, like [\"first wording\", \"second wording\"], not %s.",
		            json_kind(pOptions));
		return;
	}
	pLevel->azOption = xcalloc(json_array_size(pOptions) + 1, sizeof(char *));
	for (k = 0; k < json_array_size(pOptions); k++) {
		const json_t *pOpt = json_array_get(pOptions, k);
		path_fmt(zPath, "%s.options[%zu]", zLevelPath, k);
		if (!json_is_string(pOpt)) {
			add_problem(d, DEF_ERROR, zPath, "Each option must be text in quotes, not %s.", json_kind(pOpt));
			continue;
		}
		if (is_blank(json_string_value(pOpt))) {
			add_problem(d, DEF_ERROR, zPath,
			            "This option is empty; write the text that should replace the placeholder, or remove it.");
			continue;
		}
		pLevel->azOption[pLevel->nOption++] = xstrdup(json_string_value(pOpt));
	}
}

/* Report a score already used by an earlier level of the same dimension. */
static void check_duplicate_score(Definition *d, const DefDimension *pDim, int iLevel, const char *zPath)
{
	int j;
	int score = pDim->aLevel[iLevel].score;
	if (score < DEF_MIN_SCORE || score > DEF_MAX_SCORE)
		return;
	for (j = 0; j < iLevel; j++) {
		if (pDim->aLevel[j].score == score) {
			/*
			 * A warning, not an error: a dimension may have up to 10 levels but
			 * only 5 scores, so several wordings can share one intensity.
			 */
			add_problem(d, DEF_WARNING, zPath,
			            "The score %d is also used by levels[%d] of this dimension, so the two levels count "
			            "as the same intensity in the per-level scores; give them different scores from %d "
			            "to %d if they should differ.",
			            score, j, DEF_MIN_SCORE, DEF_MAX_SCORE);
			return;
		}
	}
}

/* Read the levels form: [{"score":..,"label":..,"options":[..]}, ...]. */
static void parse_levels(Definition *d, DefDimension *pDim, const json_t *pLevels, int iDim)
{
	static const char *const azKnown[] = {"score", "label", "options", NULL};
	char zListPath[PATH_MAX_LEN];
	size_t j;

	path_fmt(zListPath, "dimensions[%d].levels", iDim);
	if (!json_is_array(pLevels)) {
		add_problem(d, DEF_ERROR, zListPath,
		            "The levels must be a list of levels like {\"score\": 1, \"label\": \"...\"}, not %s.",
		            json_kind(pLevels));
		return;
	}
	check_level_count(d, zListPath, pDim->zName, json_array_size(pLevels));
	pDim->aLevel = xcalloc(json_array_size(pLevels) + 1, sizeof(DefLevel));
	for (j = 0; j < json_array_size(pLevels); j++) {
		const json_t *pLevel = json_array_get(pLevels, j);
		const json_t *pScore;
		DefLevel *pOut;
		char zLevelPath[PATH_MAX_LEN], zPath[PATH_MAX_LEN];

		path_fmt(zLevelPath, "dimensions[%d].levels[%zu]", iDim, j);
		if (!json_is_object(pLevel)) {
			add_problem(d, DEF_ERROR, zLevelPath,
			            "Each level must be an object like {\"score\": 1, \"label\": \"...\"}, not %s.",
			            json_kind(pLevel));
			continue;
		}
		pOut = &pDim->aLevel[pDim->nLevel++];
		warn_unknown_keys(d, pLevel, zLevelPath, azKnown);

		path_fmt(zPath, "%s.score", zLevelPath);
		pScore = json_object_get(pLevel, "score");
		if (!pScore) {
			add_problem(d, DEF_ERROR, zPath, "This level has no score; add \"score\" with a whole number from %d to %d.",
			            DEF_MIN_SCORE, DEF_MAX_SCORE);
		} else if (!json_is_integer(pScore)) {
			add_problem(d, DEF_ERROR, zPath, "The score must be a whole number from %d to %d, not %s.",
			            DEF_MIN_SCORE, DEF_MAX_SCORE, json_kind(pScore));
		} else if (json_integer_value(pScore) < DEF_MIN_SCORE || json_integer_value(pScore) > DEF_MAX_SCORE) {
			add_problem(d, DEF_ERROR, zPath,
			            "The score %" JSON_INTEGER_FORMAT " is out of range; use a whole number from %d to %d.",
			            json_integer_value(pScore), DEF_MIN_SCORE, DEF_MAX_SCORE);
			if (json_integer_value(pScore) > -1000 && json_integer_value(pScore) < 1000)
				pOut->score = (int)json_integer_value(pScore);
		} else {
			pOut->score = (int)json_integer_value(pScore);
			check_duplicate_score(d, pDim, pDim->nLevel - 1, zPath);
		}

		path_fmt(zPath, "%s.label", zLevelPath);
		pOut->zLabel = read_required_text(d, pLevel, "label", zPath, "label",
		                                  "a short description of this level (it fills the placeholder "
		                                  "when the level has no options)");
		parse_options(d, pOut, json_object_get(pLevel, "options"), zLevelPath);
	}
}

/* Read the legacy form "values": ["a","b",...]: value i gets score i+1 and label = the value. */
static void parse_legacy_values(Definition *d, DefDimension *pDim, const json_t *pValues, int iDim)
{
	char zListPath[PATH_MAX_LEN], zPath[PATH_MAX_LEN];
	size_t j;
	int bReportedRange = 0;

	path_fmt(zListPath, "dimensions[%d].values", iDim);
	if (!json_is_array(pValues)) {
		add_problem(d, DEF_ERROR, zListPath, "The values must be a list of texts, like [\"low\", \"high\"], not %s.",
		            json_kind(pValues));
		return;
	}
	check_level_count(d, zListPath, pDim->zName, json_array_size(pValues));
	pDim->aLevel = xcalloc(json_array_size(pValues) + 1, sizeof(DefLevel));
	for (j = 0; j < json_array_size(pValues); j++) {
		const json_t *pVal = json_array_get(pValues, j);
		DefLevel *pOut = &pDim->aLevel[pDim->nLevel++];
		path_fmt(zPath, "%s[%zu]", zListPath, j);
		pOut->score = j < 1000 ? (int)j + 1 : 0;
		if (!json_is_string(pVal)) {
			add_problem(d, DEF_ERROR, zPath, "Each value must be text in quotes, not %s.", json_kind(pVal));
			pOut->zLabel = xstrdup("");
		} else {
			pOut->zLabel = xstrdup(json_string_value(pVal));
			if (is_blank(pOut->zLabel))
				add_problem(d, DEF_ERROR, zPath, "This value is empty; write a short description of the level.");
		}
		if (j + 1 > DEF_MAX_SCORE && !bReportedRange) {
			add_problem(d, DEF_ERROR, zPath,
			            "In the values form value %zu would get score %zu, but scores go from %d to %d; list at "
			            "most %d values, or use \"levels\" with explicit scores.",
			            j + 1, j + 1, DEF_MIN_SCORE, DEF_MAX_SCORE, DEF_MAX_SCORE);
			bReportedRange = 1;
		}
	}
}

/* Read dimension iDim into d->aDim[d->nDim]; sets *pbNameOk when its name can be a placeholder. */
static void parse_dimension(Definition *d, const json_t *pDimJson, int iDim, int *pbNameOk)
{
	static const char *const azKnown[] = {"name", "levels", "values", NULL};
	char zDimPath[PATH_MAX_LEN], zPath[PATH_MAX_LEN];
	const json_t *pLevels, *pValues;
	DefDimension *pDim = &d->aDim[d->nDim++];
	int k;

	*pbNameOk = 0;
	path_fmt(zDimPath, "dimensions[%d]", iDim);
	if (!json_is_object(pDimJson)) {
		add_problem(d, DEF_ERROR, zDimPath,
		            "Each dimension must be an object with a \"name\" and \"levels\", not %s.", json_kind(pDimJson));
		pDim->zName = xstrdup("");
		return;
	}
	warn_unknown_keys(d, pDimJson, zDimPath, azKnown);

	path_fmt(zPath, "%s.name", zDimPath);
	pDim->zName = read_required_text(d, pDimJson, "name", zPath, "dimension name",
	                                 "a name such as Tradition, written in the template as [Tradition]");
	if (*pDim->zName && !is_blank(pDim->zName)) {
		if (!is_identifier(pDim->zName)) {
			char *zShort = snippet(pDim->zName, strlen(pDim->zName));
			add_problem(d, DEF_ERROR, zPath,
			            "The dimension name \"%s\" may contain only letters, digits and underscores "
			            "(for example Self_Direction), because it is written as a [Name] placeholder.",
			            zShort);
			free(zShort);
		} else {
			*pbNameOk = 1;
			for (k = 0; k < d->nDim - 1; k++) {
				if (str_ieq(d->aDim[k].zName, pDim->zName)) {
					char *zShort = snippet(pDim->zName, strlen(pDim->zName));
					add_problem(d, DEF_ERROR, zPath,
					            "The dimension name \"%s\" is already used by dimensions[%d] (names are "
					            "compared ignoring case); give each dimension a different name.",
					            zShort, k);
					free(zShort);
					*pbNameOk = 0;
					break;
				}
			}
		}
	}

	pLevels = json_object_get(pDimJson, "levels");
	pValues = json_object_get(pDimJson, "values");
	if (pLevels && pValues)
		add_problem(d, DEF_ERROR, zDimPath,
		            "Give either \"levels\" or the older \"values\" list, not both; \"values\" is ignored.");
	if (pLevels) {
		parse_levels(d, pDim, pLevels, iDim);
	} else if (pValues) {
		parse_legacy_values(d, pDim, pValues, iDim);
	} else {
		path_fmt(zPath, "%s.levels", zDimPath);
		add_problem(d, DEF_ERROR, zPath,
		            "This dimension has no levels; add \"levels\" with %d to %d levels, each with a score and a label.",
		            DEF_MIN_LEVELS, DEF_MAX_LEVELS);
	}
}

/* Read the dimensions list; aNameOk (caller frees) marks dimensions whose name can be a placeholder. */
static int *parse_dimensions(Definition *d, const json_t *pContent)
{
	const json_t *p = json_object_get(pContent, "dimensions");
	int *aNameOk;
	size_t i, n;

	if (!p || json_is_null(p))
		return NULL;
	if (!json_is_array(p)) {
		add_problem(d, DEF_ERROR, "dimensions", "The dimensions must be a list of dimension objects, not %s.",
		            json_kind(p));
		return NULL;
	}
	n = json_array_size(p);
	if (n > DEF_MAX_DIMENSIONS)
		add_problem(d, DEF_ERROR, "dimensions",
		            "A definition can have at most %d dimensions, but this one has %zu; remove or merge some.",
		            DEF_MAX_DIMENSIONS, n);
	d->aDim = xcalloc(n + 1, sizeof(DefDimension));
	aNameOk = xcalloc(n + 1, sizeof(int));
	for (i = 0; i < n; i++)
		parse_dimension(d, json_array_get(p, i), (int)i, &aNameOk[i]);
	return aNameOk;
}

int def_next_placeholder(const char *z, size_t *piPos, size_t *piStart, size_t *pnLen)
{
	size_t i = *piPos;
	while (z[i]) {
		if (z[i] == '[') {
			size_t j = i + 1;
			while (isalnum((unsigned char)z[j]) || z[j] == '_')
				j++;
			if (j > i + 1 && z[j] == ']') {
				*piStart = i;
				*pnLen = j + 1 - i;
				*piPos = j + 1;
				return 1;
			}
			/* Not a placeholder; a '[' inside it may still start one. */
			i = j > i + 1 ? j : i + 1;
			continue;
		}
		i++;
	}
	*piPos = i;
	return 0;
}

int def_find_dimension(const Definition *d, const char *zName, size_t n)
{
	int i;
	for (i = 0; i < d->nDim; i++) {
		if (strlen(d->aDim[i].zName) == n && strncasecmp(d->aDim[i].zName, zName, n) == 0)
			return i;
	}
	return -1;
}

/* Warn about placeholders with no dimension and (usable) dimensions the template never uses. */
static void check_placeholders(Definition *d, const int *aNameOk)
{
	size_t iPos = 0, iStart, nLen;
	int *aUsed = xcalloc((size_t)d->nDim + 1, sizeof(int));
	Buf seen = BUF_INIT; /* "\n"-separated lower-case names already reported */
	int nUnknown = 0, bTruncated = 0, i;

	while (def_next_placeholder(d->zTemplate, &iPos, &iStart, &nLen)) {
		const char *zName = d->zTemplate + iStart + 1;
		size_t nName = nLen - 2;
		int iDim = def_find_dimension(d, zName, nName);
		Buf key = BUF_INIT;
		size_t k;

		if (iDim >= 0) {
			aUsed[iDim] = 1;
			continue;
		}
		buf_putc(&key, '\n');
		for (k = 0; k < nName; k++)
			buf_putc(&key, (char)tolower((unsigned char)zName[k]));
		buf_putc(&key, '\n');
		if (seen.z && strstr(seen.z, key.z)) {
			buf_free(&key);
			continue;
		}
		if (!seen.z)
			buf_putc(&seen, '\n');
		buf_puts(&seen, key.z + 1);
		buf_free(&key);
		if (nUnknown++ >= MAX_UNKNOWN_PLACEHOLDER_WARNINGS) {
			bTruncated = 1;
			continue;
		}
		{
			char *zShort = snippet(zName, nName);
			add_problem(d, DEF_WARNING, "template",
			            "The placeholder [%s] does not match any dimension and will be left as written; add a "
			            "dimension named %s or correct the spelling.",
			            zShort, zShort);
			free(zShort);
		}
	}
	if (bTruncated)
		add_problem(d, DEF_WARNING, "template",
		            "The template has %d placeholders that match no dimension; only the first %d are listed.",
		            nUnknown, MAX_UNKNOWN_PLACEHOLDER_WARNINGS);
	for (i = 0; i < d->nDim; i++) {
		char zPath[PATH_MAX_LEN];
		if (!aNameOk || !aNameOk[i] || aUsed[i])
			continue;
		path_fmt(zPath, "dimensions[%d].name", i);
		add_problem(d, DEF_WARNING, zPath,
		            "The dimension %s is never used in the template; add [%s] where its level should appear, "
		            "or remove the dimension.",
		            d->aDim[i].zName, d->aDim[i].zName);
	}
	buf_free(&seen);
	free(aUsed);
}

/* Read the optional followups list: [{"label":..,"prompt":..}, ...]. */
static void parse_followups(Definition *d, const json_t *pContent)
{
	static const char *const azKnown[] = {"label", "prompt", NULL};
	const json_t *p = json_object_get(pContent, "followups");
	size_t i;

	if (!p || json_is_null(p))
		return;
	if (!json_is_array(p)) {
		add_problem(d, DEF_ERROR, "followups",
		            "The followups must be a list like [{\"label\": \"justify\", \"prompt\": \"...\"}], not %s.",
		            json_kind(p));
		return;
	}
	d->aFollowup = xcalloc(json_array_size(p) + 1, sizeof(DefFollowup));
	for (i = 0; i < json_array_size(p); i++) {
		const json_t *pF = json_array_get(p, i);
		char zItem[PATH_MAX_LEN], zPath[PATH_MAX_LEN];
		DefFollowup *pOut;
		path_fmt(zItem, "followups[%zu]", i);
		if (!json_is_object(pF)) {
			add_problem(d, DEF_ERROR, zItem,
			            "Each follow-up must be an object with a \"label\" and a \"prompt\", not %s.", json_kind(pF));
			continue;
		}
		warn_unknown_keys(d, pF, zItem, azKnown);
		pOut = &d->aFollowup[d->nFollowup++];
		path_fmt(zPath, "%s.label", zItem);
		pOut->zLabel = read_required_text(d, pF, "label", zPath, "follow-up label",
		                                  "a short name for this follow-up, such as justify");
		path_fmt(zPath, "%s.prompt", zItem);
		pOut->zPrompt = read_required_text(d, pF, "prompt", zPath, "follow-up prompt",
		                                   "the question sent to the model after its first answer");
	}
}

/* Warn when the expansion is larger than DEF_SCENARIO_WARN_ABOVE. */
static void check_scenario_count(Definition *d)
{
	int64_t n = def_scenario_count(d);
	char zN[32], zLimit[32];
	if (n <= DEF_SCENARIO_WARN_ABOVE)
		return;
	format_count(zN, n);
	format_count(zLimit, DEF_SCENARIO_WARN_ABOVE);
	add_problem(d, DEF_WARNING, "dimensions",
	            "The dimensions expand to %s%s scenarios, more than %s, so a run asks each model %s questions "
	            "and costs more and takes longer; consider fewer levels, or sample a percentage of the "
	            "scenarios when you start a run.",
	            n == INT64_MAX ? "at least " : "", zN, zLimit, zN);
}

/* A new Definition holding a copy of zName and its validation. Caller frees with def_free(). */
static Definition *def_new(const char *zName)
{
	Definition *d = xcalloc(1, sizeof(Definition));
	d->zName = xstrdup(zName ? zName : "");
	d->zTemplate = xstrdup("");
	validate_name(d, zName);
	return d;
}

Definition *def_parse_json(const char *zName, const json_t *pContent)
{
	static const char *const azKnown[] = {"schema_version", "preamble", "template", "dimensions",
	                                      "followups", "matching_rules", NULL};
	Definition *d = def_new(zName);
	int *aNameOk = NULL;

	if (!pContent) {
		add_problem(d, DEF_ERROR, "", "The definition is empty; provide a JSON object with at least a \"template\".");
		goto out;
	}
	if (!json_is_object(pContent)) {
		add_problem(d, DEF_ERROR, "",
		            "The definition must be a JSON object like {\"template\": \"...\", \"dimensions\": [...]}, "
		            "not %s.",
		            json_kind(pContent));
		goto out;
	}
	warn_unknown_keys(d, pContent, "", azKnown);
	validate_schema_version(d, pContent);
	d->zPreamble = read_optional_text(d, pContent, "preamble", "preamble", 1);
	parse_template(d, pContent);
	aNameOk = parse_dimensions(d, pContent);
	check_placeholders(d, aNameOk);
	parse_followups(d, pContent);
	d->zMatchingRules = read_optional_text(d, pContent, "matching_rules", "matching_rules", 0);
	check_scenario_count(d);
out:
	free(aNameOk);
	return d;
}

Definition *def_parse(const char *zName, const char *zJson)
{
	json_error_t err;
	json_t *pContent;
	Definition *d;

	pContent = json_loads(zJson ? zJson : "", JSON_REJECT_DUPLICATES, &err);
	if (!pContent) {
		d = def_new(zName);
		add_problem(d, DEF_ERROR, "", "The text is not valid JSON: %s at line %d, column %d.", err.text, err.line,
		            err.column);
		return d;
	}
	d = def_parse_json(zName, pContent);
	json_decref(pContent);
	return d;
}

void def_free(Definition *d)
{
	int i, j, k;
	if (!d)
		return;
	for (i = 0; i < d->nDim; i++) {
		DefDimension *pDim = &d->aDim[i];
		for (j = 0; j < pDim->nLevel; j++) {
			for (k = 0; k < pDim->aLevel[j].nOption; k++)
				free(pDim->aLevel[j].azOption[k]);
			free(pDim->aLevel[j].azOption);
			free(pDim->aLevel[j].zLabel);
		}
		free(pDim->aLevel);
		free(pDim->zName);
	}
	free(d->aDim);
	for (i = 0; i < d->nFollowup; i++) {
		free(d->aFollowup[i].zLabel);
		free(d->aFollowup[i].zPrompt);
	}
	free(d->aFollowup);
	for (i = 0; i < d->nProblem; i++) {
		free(d->aProblem[i].zPath);
		free(d->aProblem[i].zMessage);
	}
	free(d->aProblem);
	free(d->zName);
	free(d->zPreamble);
	free(d->zTemplate);
	free(d->zMatchingRules);
	free(d);
}

json_t *def_problems_json(const Definition *d)
{
	json_t *pArr = json_array();
	int i;
	for (i = 0; i < d->nProblem; i++) {
		const DefProblem *p = &d->aProblem[i];
		json_array_append_new(pArr, json_pack("{s:s, s:s, s:s}", "severity",
		                                      p->severity == DEF_ERROR ? "error" : "warning", "path", p->zPath,
		                                      "message", p->zMessage));
	}
	return pArr;
}

json_t *def_to_json(const Definition *d)
{
	json_t *pObj = json_object();
	json_t *pDims = json_array();
	int i, j, k;

	json_object_set_new(pObj, "schema_version", json_integer(DEF_SCHEMA_VERSION));
	if (d->zPreamble)
		json_object_set_new(pObj, "preamble", json_string(d->zPreamble));
	json_object_set_new(pObj, "template", json_string(d->zTemplate));
	for (i = 0; i < d->nDim; i++) {
		const DefDimension *pDim = &d->aDim[i];
		json_t *pLevels = json_array();
		for (j = 0; j < pDim->nLevel; j++) {
			const DefLevel *pLevel = &pDim->aLevel[j];
			json_t *pL = json_pack("{s:i, s:s}", "score", pLevel->score, "label", pLevel->zLabel);
			if (pLevel->nOption > 0) {
				json_t *pOpts = json_array();
				for (k = 0; k < pLevel->nOption; k++)
					json_array_append_new(pOpts, json_string(pLevel->azOption[k]));
				json_object_set_new(pL, "options", pOpts);
			}
			json_array_append_new(pLevels, pL);
		}
		json_array_append_new(pDims, json_pack("{s:s, s:o}", "name", pDim->zName, "levels", pLevels));
	}
	json_object_set_new(pObj, "dimensions", pDims);
	if (d->nFollowup > 0) {
		json_t *pF = json_array();
		for (i = 0; i < d->nFollowup; i++)
			json_array_append_new(pF, json_pack("{s:s, s:s}", "label", d->aFollowup[i].zLabel, "prompt",
			                                    d->aFollowup[i].zPrompt));
		json_object_set_new(pObj, "followups", pF);
	}
	if (d->zMatchingRules)
		json_object_set_new(pObj, "matching_rules", json_string(d->zMatchingRules));
	return pObj;
}

int64_t def_scenario_count(const Definition *d)
{
	int64_t n = 1;
	int i;
	for (i = 0; i < d->nDim; i++) {
		int64_t nLevel = d->aDim[i].nLevel;
		if (nLevel == 0)
			return 0;
		if (n > INT64_MAX / nLevel)
			n = INT64_MAX;
		else
			n *= nLevel;
	}
	return n;
}
