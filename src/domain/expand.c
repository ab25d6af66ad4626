/* expand.c — turn a definition into its scenarios: cartesian product, names, filled prompts, scores. */
#include "domain/expand.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"

/* One [Name] placeholder of the template that names a dimension. */
typedef struct Slot {
	size_t iStart;  /* byte offset of '[' */
	size_t nLen;    /* length including the brackets */
	int iDim;
} Slot;

/*
 * Working state reused for every scenario so that expanding 100,000
 * scenarios allocates nothing per scenario beyond the scores object.
 */
typedef struct Expander {
	const Definition *d;
	int64_t definitionId;
	int *piLevel;         /* level index per dimension for this scenario */
	const char **azText;  /* substitution text per dimension for this scenario */
	Slot *aSlot;          /* placeholders that name a dimension, in template order */
	int nSlot;
	Buf name;
	Buf prompt;
} Expander;

/* Prepare an Expander for d. Release with expander_clear(). */
static void expander_init(Expander *e, const Definition *d, int64_t definitionId)
{
	size_t iPos = 0, iStart, nLen;
	memset(e, 0, sizeof *e);
	e->d = d;
	e->definitionId = definitionId;
	e->piLevel = xcalloc((size_t)d->nDim + 1, sizeof(int));
	e->azText = xcalloc((size_t)d->nDim + 1, sizeof(char *));
	/* Resolve placeholders once, not once per scenario; unknown ones stay literal text. */
	while (def_next_placeholder(d->zTemplate, &iPos, &iStart, &nLen)) {
		int iDim = def_find_dimension(d, d->zTemplate + iStart + 1, nLen - 2);
		if (iDim < 0)
			continue;
		e->aSlot = xrealloc(e->aSlot, (size_t)(e->nSlot + 1) * sizeof(Slot));
		e->aSlot[e->nSlot].iStart = iStart;
		e->aSlot[e->nSlot].nLen = nLen;
		e->aSlot[e->nSlot].iDim = iDim;
		e->nSlot++;
	}
	buf_init(&e->name);
	buf_init(&e->prompt);
}

/* Free what expander_init() allocated. */
static void expander_clear(Expander *e)
{
	free(e->piLevel);
	free(e->azText);
	free(e->aSlot);
	buf_free(&e->name);
	buf_free(&e->prompt);
}

/* Append v to p as 8 little-endian bytes, so seeds do not depend on the host's byte order. */
static void put_u64_le(unsigned char *p, uint64_t v)
{
	int i;
	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/*
 * Index of the option to use for dimension iDim of scenario `index`: a
 * splitmix64 draw seeded with FNV-1a of (definition id, index, iDim).
 */
static int choose_option(int64_t definitionId, int64_t index, int iDim, int nOption)
{
	unsigned char aSeed[24];
	uint64_t state;
	put_u64_le(aSeed, (uint64_t)definitionId);
	put_u64_le(aSeed + 8, (uint64_t)index);
	put_u64_le(aSeed + 16, (uint64_t)iDim);
	state = hash_fnv1a(PRNG_FNV_OFFSET, aSeed, sizeof aSeed);
	return (int)(prng_splitmix64(&state) % (uint64_t)nOption);
}

/* Append the decimal form of v to b. */
static void append_int(Buf *b, int v)
{
	char z[16];
	int n = 0;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
	do {
		z[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		z[n++] = '-';
	while (n > 0)
		buf_putc(b, z[--n]);
}

/* Fill e->name, e->prompt and e->azText for scenario `index` (which must be in range). */
static void expander_build(Expander *e, int64_t index)
{
	const Definition *d = e->d;
	int64_t rest = index;
	size_t iCopied = 0;
	int i;

	for (i = d->nDim - 1; i >= 0; i--) {
		e->piLevel[i] = (int)(rest % d->aDim[i].nLevel);
		rest /= d->aDim[i].nLevel;
	}
	buf_reset(&e->name);
	for (i = 0; i < d->nDim; i++) {
		const DefLevel *pLevel = &d->aDim[i].aLevel[e->piLevel[i]];
		if (pLevel->nOption > 0)
			e->azText[i] = pLevel->azOption[choose_option(e->definitionId, index, i, pLevel->nOption)];
		else
			e->azText[i] = pLevel->zLabel;
		/* Plain appends, not buf_printf: this runs once per dimension per scenario. */
		if (i > 0)
			buf_append(&e->name, " / ", 3);
		buf_puts(&e->name, d->aDim[i].zName);
		buf_putc(&e->name, '_');
		append_int(&e->name, pLevel->score);
	}
	if (d->nDim == 0)
		buf_puts(&e->name, EXPAND_DEFAULT_SCENARIO_NAME);

	buf_reset(&e->prompt);
	for (i = 0; i < e->nSlot; i++) {
		const Slot *p = &e->aSlot[i];
		buf_append(&e->prompt, d->zTemplate + iCopied, p->iStart - iCopied);
		buf_puts(&e->prompt, e->azText[p->iDim]);
		iCopied = p->iStart + p->nLen;
	}
	buf_puts(&e->prompt, d->zTemplate + iCopied);
}

/* A new scores object {"Name": score, ...} for the levels in e->piLevel. Caller owns it. */
static json_t *expander_scores(const Expander *e)
{
	json_t *pScores = json_object();
	int i;
	for (i = 0; i < e->d->nDim; i++)
		json_object_set_new(pScores, e->d->aDim[i].zName,
		                    json_integer(e->d->aDim[i].aLevel[e->piLevel[i]].score));
	return pScores;
}

int expand_each(const Definition *d, int64_t definitionId, int (*xCallback)(void *pArg, const Scenario *s),
                void *pArg)
{
	Expander e;
	int64_t n = def_scenario_count(d), i;
	int rc = 0;

	expander_init(&e, d, definitionId);
	for (i = 0; i < n && rc == 0; i++) {
		Scenario s;
		expander_build(&e, i);
		s.index = i;
		s.zName = (char *)buf_str(&e.name);
		s.zPrompt = (char *)buf_str(&e.prompt);
		s.zPreamble = d->zPreamble;
		s.pScores = expander_scores(&e);
		rc = xCallback(pArg, &s);
		json_decref(s.pScores);
	}
	expander_clear(&e);
	return rc;
}

Scenario *expand_one(const Definition *d, int64_t definitionId, int64_t index)
{
	Expander e;
	Scenario *s;

	if (index < 0 || index >= def_scenario_count(d))
		return NULL;
	expander_init(&e, d, definitionId);
	expander_build(&e, index);
	s = xcalloc(1, sizeof(Scenario));
	s->index = index;
	s->zName = xstrdup(buf_str(&e.name));
	s->zPrompt = xstrdup(buf_str(&e.prompt));
	s->zPreamble = d->zPreamble;
	s->pScores = expander_scores(&e);
	expander_clear(&e);
	return s;
}

void scenario_free(Scenario *s)
{
	if (!s)
		return;
	free(s->zName);
	free(s->zPrompt);
	json_decref(s->pScores);
	free(s);
}

char *scenario_full_prompt(const char *zPreamble, const char *zPrompt)
{
	Buf b = BUF_INIT;
	if (zPreamble && *zPreamble) {
		buf_puts(&b, zPreamble);
		buf_puts(&b, "\n\n");
	}
	buf_puts(&b, zPrompt ? zPrompt : "");
	return b.z ? buf_detach(&b) : xstrdup("");
}
