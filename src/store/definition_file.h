/* definition_file.h — the definition file format (export/import) and the checks before a definition is stored. */
#ifndef VR_STORE_DEFINITION_FILE_H
#define VR_STORE_DEFINITION_FILE_H

#include <jansson.h>
#include <stddef.h>

#include "domain/definition.h"

/*
 * Storing expands every scenario into a row, so a definition that expands
 * beyond this many scenarios cannot be saved (an error, on top of
 * DOMAIN.md's warning above 1,000).
 */
#define DEFINITION_MAX_STORED_SCENARIOS 100000

/*
 * Parse an import file: UTF-8 JSON of the export shape
 * {"name": "...", "content": {definition}}. On success returns 0 and sets
 * *pzName (caller frees) and *ppContent (caller decrefs). On failure returns
 * -1 with one sentence in zErr: empty file, NUL bytes, not UTF-8, not JSON
 * (with line and column), or the wrong shape. The content is not validated
 * here (use def_parse_json).
 */
int definition_file_parse(const char *pData, size_t nData, char **pzName, json_t **ppContent,
			  char *zErr, size_t nErr);

/*
 * The export file: {"name": zName, "content": pContent} indented by two
 * spaces, keys in stored order, ending in a newline. Importing it gives
 * back the same name and content. Caller frees.
 */
char *definition_file_text(const char *zName, const json_t *pContent);

/*
 * The problems of d as a new JSON array (def_problems_json), plus an error
 * when the definition expands beyond DEFINITION_MAX_STORED_SCENARIOS.
 * Caller decrefs.
 */
json_t *definition_problems(const Definition *d);

/* Number of entries with severity "error" in a problems array. */
int definition_problem_errors(const json_t *pProblems);

/*
 * The problems as text for a terminal, one per line:
 * "  error at dimensions[0].levels[1].score: message". Caller frees.
 */
char *definition_problems_text(const json_t *pProblems);

#endif
