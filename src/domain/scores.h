/* scores.h — per-run score tables (DOMAIN.md "Scores") built one observation at a time. */
#ifndef VR_DOMAIN_SCORES_H
#define VR_DOMAIN_SCORES_H

#include <jansson.h>
#include <stdint.h>

#include "domain/decision.h"

/*
 * An accumulator: feed it one observation (one transcript's decision) at a
 * time, e.g. straight from a database cursor, then ask for the result. It
 * keeps only sums and counts, so memory grows with the number of models,
 * scenarios, dimensions and levels, not with the number of observations.
 * Adding is O(number of dimension keys) with a hash lookup for the scenario;
 * 10,000 observations take about a millisecond.
 */
typedef struct ScoreAcc ScoreAcc;

/* A new, empty accumulator; free it with scores_free(). */
ScoreAcc *scores_new(void);

/*
 * Add one observation. zModel keys the model (NULL counts as ""); scenarioId
 * keys the scenario, and zScenario is its display name (the first name seen
 * for an id is kept; NULL counts as ""). kind/value is the decision: a
 * DECISION_VALUE with value 1..5 is numeric; DECISION_REFUSAL counts as a
 * refusal; anything else (DECISION_UNKNOWN, or a value outside 1..5) counts
 * as unknown. pDimScores (borrowed, may be NULL) is the scenario's dimension
 * scores object {"Name": score}; integer scores (or integral reals) within
 * ±1,000,000 count, other members are ignored. Only numeric decisions enter means and slopes.
 */
void scores_add(ScoreAcc *pAcc, const char *zModel, const char *zScenario, int64_t scenarioId,
		DecisionKind kind, int value, const json_t *pDimScores);

/* Same as scores_add() with the decision given as its stored code ("4", "refusal", ...);
 * NULL or unrecognised text counts as unknown. */
void scores_add_code(ScoreAcc *pAcc, const char *zModel, const char *zScenario, int64_t scenarioId,
		     const char *zCode, const json_t *pDimScores);

/*
 * The score tables as a view model (new reference; caller json_decref()s).
 * Models are ordered by key (byte order), scenarios by id, dimensions by
 * first appearance, levels by score. Every "cells" array has one entry per
 * model, in the order of "models", so a template can draw a table. A value
 * that is undefined is null and its _text is "—".
 *
 * {"models": [{"model": "m", "n": 12, "n_numeric": 10, "mean": 3.4,
 *              "mean_text": "3.40", "sd": 1.07, "sd_text": "1.07",
 *              "counts": [{"code": 1, "count": 0}, ... 5 entries],
 *              "refusals": 1, "unknowns": 1,
 *              "share_high": 0.5, "share_high_text": "50%",   (>= 4, of numeric)
 *              "share_low": 0.2, "share_low_text": "20%"}],    (<= 2, of numeric)
 *  "scenarios": [{"scenario_id": 3, "scenario": "A_1 / B_5",
 *                 "cells": [{"model": "m", "n": 2, "mean": 4.5, "mean_text": "4.50"}]}],
 *  "dimensions": [{"dimension": "A",
 *                  "levels": [{"score": 1, "cells": [...as above...]}],
 *                  "slopes": [{"model": "m", "n": 10, "slope": 0.25, "slope_text": "0.25"}]}],
 *  "n_observations": 12}
 *
 * sd is the sample standard deviation (null below 2 numeric decisions);
 * slope is the least-squares slope of decision on the dimension's score over
 * the model's numeric decisions (null when fewer than 2 or all scores equal).
 * The accumulator is unchanged and may keep receiving observations.
 */
json_t *scores_result(const ScoreAcc *pAcc);

/* Free the accumulator and everything it holds. NULL is allowed. */
void scores_free(ScoreAcc *pAcc);

#endif
