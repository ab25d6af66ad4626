/* scores.c — accumulate decisions per model, scenario and dimension level; emit the score view model. */
#include "domain/scores.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* Numeric decisions of one model in one group (a scenario or a dimension level). */
typedef struct ScoreCell {
	int64_t n;
	int64_t sum;
} ScoreCell;

/* A growable row of cells indexed by model index. */
typedef struct CellRow {
	ScoreCell *a;
	int n;
} CellRow;

typedef struct ModelStats {
	char *zKey;
	int64_t n;        /* every observation */
	int64_t nNumeric;
	int64_t sum;      /* integer sums keep mean and sd exact */
	int64_t sumSq;
	int64_t aCount[6]; /* aCount[v] for v = 1..5 */
	int64_t nRefusal;
	int64_t nUnknown;
} ModelStats;

typedef struct Scenario {
	int64_t id;
	char *zName;
	CellRow cells;
} Scenario;

/* Sums for the least-squares fit of decision (y) on dimension score (x). */
typedef struct RegSums {
	int64_t n, sx, sy, sxy, sxx;
} RegSums;

typedef struct Level {
	int64_t score;
	CellRow cells;
} Level;

typedef struct Dimension {
	char *zName;
	Level *aLevel; /* sorted by score */
	int nLevel;
	RegSums *aReg; /* indexed by model index */
	int nReg;
} Dimension;

struct ScoreAcc {
	ModelStats *aModel;
	int nModel;
	int capModel;
	int lastModel;   /* rows usually arrive grouped by model */
	Scenario *aScenario;
	int nScenario;
	int capScenario;
	int *aSlot;      /* open-addressing table of scenario index + 1, 0 = empty */
	int nSlot;       /* a power of two, kept at most half full */
	Dimension *aDim;
	int nDim;
	int64_t nObservation;
};

/* See scores.h. */
ScoreAcc *scores_new(void)
{
	ScoreAcc *p = xcalloc(1, sizeof *p);
	p->lastModel = -1;
	return p;
}

/* Grow arrays by doubling: every array here is appended to one element at a time. */
static void *grow(void *a, int nNeeded, int *pCap, size_t szElem)
{
	if (nNeeded <= *pCap) return a;
	int cap = *pCap ? *pCap : 8;
	while (cap < nNeeded) cap *= 2;
	a = xrealloc(a, (size_t)cap * szElem);
	memset((char *)a + (size_t)*pCap * szElem, 0, (size_t)(cap - *pCap) * szElem);
	*pCap = cap;
	return a;
}

/* Index of model zKey, adding it when new. */
static int model_index(ScoreAcc *p, const char *zKey)
{
	if (p->lastModel >= 0 && strcmp(p->aModel[p->lastModel].zKey, zKey) == 0) return p->lastModel;
	for (int i = 0; i < p->nModel; i++) {
		if (strcmp(p->aModel[i].zKey, zKey) == 0) return p->lastModel = i;
	}
	p->aModel = grow(p->aModel, p->nModel + 1, &p->capModel, sizeof(ModelStats));
	p->aModel[p->nModel].zKey = xstrdup(zKey);
	return p->lastModel = p->nModel++;
}

/* The cell of model iModel in row r, growing the row as needed. */
static ScoreCell *cell_at(CellRow *r, int iModel)
{
	if (iModel >= r->n) {
		int nNew = iModel + 1;
		r->a = xrealloc(r->a, (size_t)nNew * sizeof(ScoreCell));
		memset(r->a + r->n, 0, (size_t)(nNew - r->n) * sizeof(ScoreCell));
		r->n = nNew;
	}
	return &r->a[iModel];
}

/* Hash slot for scenario id in a table of nSlot (power of two) slots. */
static int scenario_slot(int64_t id, int nSlot)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
	return (int)(h >> 32) & (nSlot - 1);
}

/* Rebuild the scenario hash table with nSlot slots. */
static void scenario_rehash(ScoreAcc *p, int nSlot)
{
	free(p->aSlot);
	p->aSlot = xcalloc((size_t)nSlot, sizeof(int));
	p->nSlot = nSlot;
	for (int i = 0; i < p->nScenario; i++) {
		int s = scenario_slot(p->aScenario[i].id, nSlot);
		while (p->aSlot[s]) s = (s + 1) & (nSlot - 1);
		p->aSlot[s] = i + 1;
	}
}

/* Index of scenario id, adding it (named zName) when new. */
static int scenario_index(ScoreAcc *p, int64_t id, const char *zName)
{
	if (p->nSlot == 0) scenario_rehash(p, 64);
	int s = scenario_slot(id, p->nSlot);
	while (p->aSlot[s]) {
		int i = p->aSlot[s] - 1;
		if (p->aScenario[i].id == id) return i;
		s = (s + 1) & (p->nSlot - 1);
	}
	p->aScenario = grow(p->aScenario, p->nScenario + 1, &p->capScenario, sizeof(Scenario));
	Scenario *sc = &p->aScenario[p->nScenario];
	sc->id = id;
	sc->zName = xstrdup(zName);
	p->aSlot[s] = ++p->nScenario;
	if (p->nScenario * 2 > p->nSlot) scenario_rehash(p, p->nSlot * 2);
	return p->nScenario - 1;
}

/* Index of dimension zName, adding it when new. */
static int dimension_index(ScoreAcc *p, const char *zName)
{
	for (int i = 0; i < p->nDim; i++) {
		if (strcmp(p->aDim[i].zName, zName) == 0) return i;
	}
	p->aDim = xrealloc(p->aDim, (size_t)(p->nDim + 1) * sizeof(Dimension));
	memset(&p->aDim[p->nDim], 0, sizeof(Dimension));
	p->aDim[p->nDim].zName = xstrdup(zName);
	return p->nDim++;
}

/* The level of dimension d with this score, inserted in score order when new. */
static Level *level_of(Dimension *d, int64_t score)
{
	int i = 0;
	while (i < d->nLevel && d->aLevel[i].score < score) i++;
	if (i < d->nLevel && d->aLevel[i].score == score) return &d->aLevel[i];
	d->aLevel = xrealloc(d->aLevel, (size_t)(d->nLevel + 1) * sizeof(Level));
	memmove(&d->aLevel[i + 1], &d->aLevel[i], (size_t)(d->nLevel - i) * sizeof(Level));
	memset(&d->aLevel[i], 0, sizeof(Level));
	d->aLevel[i].score = score;
	d->nLevel++;
	return &d->aLevel[i];
}

/* The regression sums of model iModel on dimension d. */
static RegSums *reg_of(Dimension *d, int iModel)
{
	if (iModel >= d->nReg) {
		d->aReg = xrealloc(d->aReg, (size_t)(iModel + 1) * sizeof(RegSums));
		memset(d->aReg + d->nReg, 0, (size_t)(iModel + 1 - d->nReg) * sizeof(RegSums));
		d->nReg = iModel + 1;
	}
	return &d->aReg[iModel];
}

/* Dimension scores are 1..5; this bound only keeps the integer sums from overflowing. */
#define DIM_SCORE_LIMIT 1000000

/* An integral JSON number as *pOut: 1, or 0 for anything else. */
static int json_integral(const json_t *pVal, int64_t *pOut)
{
	if (json_is_integer(pVal)) {
		*pOut = (int64_t)json_integer_value(pVal);
		return 1;
	}
	if (json_is_real(pVal)) {
		double d = json_real_value(pVal);
		if (isfinite(d) && d == floor(d) && fabs(d) < 1e15) {
			*pOut = (int64_t)d;
			return 1;
		}
	}
	return 0;
}

/* See scores.h. */
void scores_add(ScoreAcc *p, const char *zModel, const char *zScenario, int64_t scenarioId,
		DecisionKind kind, int value, const json_t *pDimScores)
{
	int iModel = model_index(p, zModel ? zModel : "");
	int iScenario = scenario_index(p, scenarioId, zScenario ? zScenario : "");
	ModelStats *m = &p->aModel[iModel];
	p->nObservation++;
	m->n++;
	if (kind == DECISION_REFUSAL) {
		m->nRefusal++;
		return;
	}
	if (kind != DECISION_VALUE || value < 1 || value > 5) {
		m->nUnknown++;
		return;
	}
	m->nNumeric++;
	m->sum += value;
	m->sumSq += (int64_t)value * value;
	m->aCount[value]++;
	ScoreCell *c = cell_at(&p->aScenario[iScenario].cells, iModel);
	c->n++;
	c->sum += value;
	if (!json_is_object(pDimScores)) return;
	const char *zKey;
	json_t *pVal;
	json_object_foreach((json_t *)pDimScores, zKey, pVal) {
		int64_t x;
		if (!json_integral(pVal, &x) || x < -DIM_SCORE_LIMIT || x > DIM_SCORE_LIMIT) continue;
		int iDim = dimension_index(p, zKey); /* may move aDim: index first */
		Dimension *d = &p->aDim[iDim];
		ScoreCell *lc = cell_at(&level_of(d, x)->cells, iModel);
		lc->n++;
		lc->sum += value;
		RegSums *r = reg_of(d, iModel);
		r->n++;
		r->sx += x;
		r->sy += value;
		r->sxy += x * value;
		r->sxx += x * x;
	}
}

/* See scores.h. */
void scores_add_code(ScoreAcc *p, const char *zModel, const char *zScenario, int64_t scenarioId,
		     const char *zCode, const json_t *pDimScores)
{
	DecisionKind kind;
	int value;
	decision_code_parse(zCode, &kind, &value); /* unrecognised text leaves UNKNOWN */
	scores_add(p, zModel, zScenario, scenarioId, kind, value, pDimScores);
}

/* ---------------------------------------------------------------- result */

static const char zUndefinedText[] = "\xE2\x80\x94"; /* an em dash */

/* How a number's _text is written. */
typedef enum NumberText { TEXT_FIXED2, TEXT_PERCENT } NumberText;

/* Set zKey to the number v and zKey_text to "3.40" / "67%", or null / "—" when !defined. */
static void set_number(json_t *pObj, const char *zKey, int defined, double v, NumberText how)
{
	char zText[64], zTextKey[64];
	snprintf(zTextKey, sizeof zTextKey, "%s_text", zKey);
	if (!defined) {
		json_object_set_new(pObj, zKey, json_null());
		json_object_set_new(pObj, zTextKey, json_string(zUndefinedText));
		return;
	}
	json_object_set_new(pObj, zKey, json_real(v));
	if (how == TEXT_PERCENT) snprintf(zText, sizeof zText, "%.0f%%", v * 100);
	else snprintf(zText, sizeof zText, "%.2f", v);
	if (strcmp(zText, "-0.00") == 0) snprintf(zText, sizeof zText, "0.00");
	json_object_set_new(pObj, zTextKey, json_string(zText));
}

/* Cells of a row for every model in aOrder: {"model","n","mean","mean_text"}. */
static json_t *cells_json(const ScoreAcc *p, const CellRow *r, const int *aOrder)
{
	json_t *pArr = json_array();
	for (int k = 0; k < p->nModel; k++) {
		int i = aOrder[k];
		ScoreCell c = i < r->n ? r->a[i] : (ScoreCell){0, 0};
		json_t *pCell = json_pack("{s:s, s:I}", "model", p->aModel[i].zKey, "n", (json_int_t)c.n);
		set_number(pCell, "mean", c.n > 0, c.n ? (double)c.sum / (double)c.n : 0, TEXT_FIXED2);
		json_array_append_new(pArr, pCell);
	}
	return pArr;
}

/* The per-model summary object. */
static json_t *model_json(const ModelStats *m)
{
	json_t *pObj = json_pack("{s:s, s:I, s:I}", "model", m->zKey, "n", (json_int_t)m->n, "n_numeric",
				 (json_int_t)m->nNumeric);
	int64_t n = m->nNumeric;
	set_number(pObj, "mean", n > 0, n ? (double)m->sum / (double)n : 0, TEXT_FIXED2);
	/* Sample variance from exact integer sums: (n*Σy² - (Σy)²) / (n(n-1)). */
	double sd = 0;
	if (n >= 2) {
		double num = (double)(n * m->sumSq - m->sum * m->sum);
		sd = sqrt(num / ((double)n * (double)(n - 1)));
	}
	set_number(pObj, "sd", n >= 2, sd, TEXT_FIXED2);
	json_t *pCounts = json_array();
	for (int v = 1; v <= 5; v++) {
		json_array_append_new(pCounts, json_pack("{s:i, s:I}", "code", v, "count", (json_int_t)m->aCount[v]));
	}
	json_object_set_new(pObj, "counts", pCounts);
	json_object_set_new(pObj, "refusals", json_integer(m->nRefusal));
	json_object_set_new(pObj, "unknowns", json_integer(m->nUnknown));
	double high = n ? (double)(m->aCount[4] + m->aCount[5]) / (double)n : 0;
	double low = n ? (double)(m->aCount[1] + m->aCount[2]) / (double)n : 0;
	set_number(pObj, "share_high", n > 0, high, TEXT_PERCENT);
	set_number(pObj, "share_low", n > 0, low, TEXT_PERCENT);
	return pObj;
}

/* Least-squares slope from integer sums; 0 with *pDefined = 0 when undefined. */
static double reg_slope(const RegSums *r, int *pDefined)
{
	int64_t den = r->n * r->sxx - r->sx * r->sx;
	*pDefined = r->n >= 2 && den != 0;
	if (!*pDefined) return 0;
	return (double)(r->n * r->sxy - r->sx * r->sy) / (double)den;
}

/* One dimension's levels and slopes. */
static json_t *dimension_json(const ScoreAcc *p, const Dimension *d, const int *aOrder)
{
	json_t *pLevels = json_array();
	for (int l = 0; l < d->nLevel; l++) {
		json_array_append_new(pLevels, json_pack("{s:I, s:o}", "score", (json_int_t)d->aLevel[l].score,
							 "cells", cells_json(p, &d->aLevel[l].cells, aOrder)));
	}
	json_t *pSlopes = json_array();
	for (int k = 0; k < p->nModel; k++) {
		int i = aOrder[k];
		RegSums r = i < d->nReg ? d->aReg[i] : (RegSums){0, 0, 0, 0, 0};
		int defined;
		double slope = reg_slope(&r, &defined);
		json_t *pSlope = json_pack("{s:s, s:I}", "model", p->aModel[i].zKey, "n", (json_int_t)r.n);
		set_number(pSlope, "slope", defined, slope, TEXT_FIXED2);
		json_array_append_new(pSlopes, pSlope);
	}
	return json_pack("{s:s, s:o, s:o}", "dimension", d->zName, "levels", pLevels, "slopes", pSlopes);
}

/* Order scenarios by id, then name (qsort over pointers; ids are unique in practice). */
static int scenario_cmp(const void *a, const void *b)
{
	const Scenario *x = *(const Scenario *const *)a;
	const Scenario *y = *(const Scenario *const *)b;
	if (x->id != y->id) return x->id < y->id ? -1 : 1;
	return strcmp(x->zName, y->zName);
}

/* See scores.h. */
json_t *scores_result(const ScoreAcc *p)
{
	/* Models are few: an insertion sort of their indexes by key. */
	int *aOrder = xmalloc((size_t)(p->nModel + 1) * sizeof(int));
	for (int i = 0; i < p->nModel; i++) {
		int j = i;
		while (j > 0 && strcmp(p->aModel[aOrder[j - 1]].zKey, p->aModel[i].zKey) > 0) {
			aOrder[j] = aOrder[j - 1];
			j--;
		}
		aOrder[j] = i;
	}

	json_t *pModels = json_array();
	for (int k = 0; k < p->nModel; k++) json_array_append_new(pModels, model_json(&p->aModel[aOrder[k]]));

	const Scenario **apScenario = xmalloc((size_t)(p->nScenario + 1) * sizeof(Scenario *));
	for (int i = 0; i < p->nScenario; i++) apScenario[i] = &p->aScenario[i];
	qsort(apScenario, (size_t)p->nScenario, sizeof(Scenario *), scenario_cmp);
	json_t *pScenarios = json_array();
	for (int i = 0; i < p->nScenario; i++) {
		const Scenario *sc = apScenario[i];
		json_array_append_new(pScenarios, json_pack("{s:I, s:s, s:o}", "scenario_id", (json_int_t)sc->id,
							    "scenario", sc->zName, "cells",
							    cells_json(p, &sc->cells, aOrder)));
	}

	json_t *pDims = json_array();
	for (int i = 0; i < p->nDim; i++) json_array_append_new(pDims, dimension_json(p, &p->aDim[i], aOrder));

	free(apScenario);
	free(aOrder);
	return json_pack("{s:o, s:o, s:o, s:I}", "models", pModels, "scenarios", pScenarios, "dimensions",
			 pDims, "n_observations", (json_int_t)p->nObservation);
}

/* See scores.h. */
void scores_free(ScoreAcc *p)
{
	if (p == NULL) return;
	for (int i = 0; i < p->nModel; i++) free(p->aModel[i].zKey);
	for (int i = 0; i < p->nScenario; i++) {
		free(p->aScenario[i].zName);
		free(p->aScenario[i].cells.a);
	}
	for (int i = 0; i < p->nDim; i++) {
		Dimension *d = &p->aDim[i];
		for (int l = 0; l < d->nLevel; l++) free(d->aLevel[l].cells.a);
		free(d->aLevel);
		free(d->aReg);
		free(d->zName);
	}
	free(p->aModel);
	free(p->aScenario);
	free(p->aSlot);
	free(p->aDim);
	free(p);
}
