/* definition.h — parse and validate a definition (dilemma template with dimensions). */
#ifndef VR_DEFINITION_H
#define VR_DEFINITION_H

#include <stdint.h>

#include <jansson.h>

/*
 * Limits from DOMAIN.md "Definition". Lengths are counted in characters
 * (UTF-8 code points), not bytes.
 *
 * Note: scores are 1–5 and unique within a dimension, so a dimension that
 * validates has at most 5 levels even though the level-count limit is 10;
 * a 6th level always draws a duplicate-score or out-of-range error.
 */
#define DEF_NAME_MAX_CHARS 200
#define DEF_TEMPLATE_MAX_CHARS 20000
#define DEF_MAX_DIMENSIONS 10
#define DEF_MIN_LEVELS 2
#define DEF_MAX_LEVELS 10
#define DEF_MIN_SCORE 1
#define DEF_MAX_SCORE 5
#define DEF_SCHEMA_VERSION 1
/* An expansion larger than this draws a warning (cost and time). */
#define DEF_SCENARIO_WARN_ABOVE 1000

typedef enum { DEF_ERROR, DEF_WARNING } DefSeverity;

/*
 * One validation finding. zPath is a JSON path into the content such as
 * "dimensions[1].levels[0].score"; "name" is the separately supplied name;
 * "" means the text as a whole (invalid JSON, content not an object).
 * zMessage is one English sentence saying what is wrong and what to fix.
 */
typedef struct DefProblem {
	DefSeverity severity;
	char *zPath;
	char *zMessage;
} DefProblem;

typedef struct DefLevel {
	int score;     /* as written (1–5 when valid); 0 when missing or not an integer */
	char *zLabel;  /* never NULL ("" when missing) */
	char **azOption; /* substitution texts; none means the label is used */
	int nOption;
} DefLevel;

typedef struct DefDimension {
	char *zName;   /* as written in the definition; never NULL */
	DefLevel *aLevel;
	int nLevel;
} DefDimension;

typedef struct DefFollowup {
	char *zLabel;  /* never NULL */
	char *zPrompt; /* never NULL */
} DefFollowup;

/*
 * A parsed definition. It is always structurally safe to read (strings are
 * never NULL except where noted), but it is only meaningful to expand or
 * store when nError == 0; with errors it holds whatever could be read, so
 * an editor can still show it.
 */
typedef struct Definition {
	char *zName;           /* the caller's name, copied; "" when none given */
	char *zPreamble;       /* NULL when absent or empty */
	char *zTemplate;       /* never NULL ("" when missing) */
	DefDimension *aDim;
	int nDim;
	DefFollowup *aFollowup;
	int nFollowup;
	char *zMatchingRules;  /* NULL when absent */
	DefProblem *aProblem;  /* errors and warnings in the order found */
	int nProblem;
	int nError;
	int nWarning;
} Definition;

/*
 * Parse definition JSON text and validate it together with zName (the name
 * is not part of the content). Never returns NULL: invalid JSON gives a
 * Definition with one error naming the line and column. zName and zJson may
 * be NULL (reported as errors). The caller frees the result with def_free().
 */
Definition *def_parse(const char *zName, const char *zJson);

/*
 * Same as def_parse() for content already decoded by jansson. pContent is
 * borrowed (not stolen) and may be NULL. Caller frees with def_free().
 */
Definition *def_parse_json(const char *zName, const json_t *pContent);

/* Free a Definition and everything it owns. NULL is allowed. */
void def_free(Definition *d);

/*
 * The problems as a new JSON array [{"severity":"error"|"warning",
 * "path":..., "message":...}], for the web pages and the API.
 * The caller owns the reference (json_decref).
 */
json_t *def_problems_json(const Definition *d);

/*
 * The canonical content JSON: schema_version, preamble (when present),
 * template, dimensions (levels always in the levels form, options when
 * present), followups (when any), matching_rules (when present). The name is
 * not included. The caller owns the reference (json_decref).
 */
json_t *def_to_json(const Definition *d);

/*
 * Number of scenarios the definition expands to: the product of the level
 * counts, 1 with no dimensions, 0 if a dimension has no levels. Saturates at
 * INT64_MAX instead of overflowing.
 */
int64_t def_scenario_count(const Definition *d);

/*
 * Index of the dimension named by the n bytes at zName (case-insensitive),
 * or -1 when none matches. Used to resolve [Name] placeholders.
 */
int def_find_dimension(const Definition *d, const char *zName, size_t n);

/*
 * Find the next [Name] placeholder in z at or after byte offset *piPos:
 * '[' then one or more ASCII letters, digits or underscores, then ']'.
 * On success returns 1, sets *piStart to the '[' offset and *pnLen to the
 * whole placeholder length (brackets included) and moves *piPos past it.
 * Returns 0 when there are no more placeholders.
 */
int def_next_placeholder(const char *z, size_t *piPos, size_t *piStart, size_t *pnLen);

#endif
