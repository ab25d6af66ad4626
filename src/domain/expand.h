/* expand.h — deterministic expansion of a definition into its scenarios. */
#ifndef VR_EXPAND_H
#define VR_EXPAND_H

#include <stdint.h>

#include <jansson.h>

#include "domain/definition.h"

/* Name of the single scenario of a definition without dimensions. */
#define EXPAND_DEFAULT_SCENARIO_NAME "Default Scenario"

/*
 * One scenario. Scenario index i (0 ≤ i < def_scenario_count()) picks one
 * level per dimension as a mixed-radix number, first dimension most
 * significant, so the first dimension varies slowest.
 *
 *   zName     "Self_Direction_3 / Tradition_5" (dimension names as written,
 *             the level's score); "Default Scenario" with no dimensions.
 *   zPrompt   the template with every [Name] placeholder (case-insensitive)
 *             replaced by one of the level's options, or its label when it
 *             has none; unknown placeholders are left as written. The option
 *             is chosen by a PRNG seeded from (definition id, scenario index,
 *             dimension index), so every placeholder of one dimension gets
 *             the same text and expanding twice is byte-identical.
 *   zPreamble borrowed from the Definition (NULL when none).
 *   pScores   {"Self_Direction": 3, "Tradition": 5}; {} with no dimensions.
 */
typedef struct Scenario {
	int64_t index;
	char *zName;
	char *zPrompt;
	const char *zPreamble;
	json_t *pScores;
} Scenario;

/*
 * Call xCallback once per scenario, in index order, with constant memory.
 * The Scenario and its strings belong to expand_each() and are valid only
 * during the call (json_incref pScores to keep it). Stops as soon as the
 * callback returns non-zero and returns that value; returns 0 after the last
 * scenario. Expand only a definition with d->nError == 0; one with errors
 * expands whatever could be parsed (a dimension without levels gives none).
 */
int expand_each(const Definition *d, int64_t definitionId, int (*xCallback)(void *pArg, const Scenario *s),
                void *pArg);

/*
 * Scenario number `index` alone, identical to the one expand_each() produces.
 * Returns NULL when index is out of range. The caller frees it with
 * scenario_free(); its zPreamble points into d, so d must outlive it.
 */
Scenario *expand_one(const Definition *d, int64_t definitionId, int64_t index);

/* Free a Scenario from expand_one(). NULL is allowed. */
void scenario_free(Scenario *s);

/*
 * The first user message of a probe: preamble + "\n\n" + prompt, or the
 * prompt alone when the preamble is NULL or empty. Caller frees.
 */
char *scenario_full_prompt(const char *zPreamble, const char *zPrompt);

#endif
