/* mock_answer.c — deterministic, model-biased answers of valuerank-mockllm. */
#include "mockllm/mock_answer.h"

#include "lib/buf.h"
#include "lib/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void mock_conv_init(MockConversation *p)
{
	memset(p, 0, sizeof(*p));
}

void mock_conv_add(MockConversation *p, MockRole role, const char *z, size_t n)
{
	if (p->nTurn == p->nAlloc) {
		p->nAlloc = p->nAlloc ? p->nAlloc * 2 : 4;
		p->aTurn = xrealloc(p->aTurn, p->nAlloc * sizeof(MockTurn));
	}
	p->aTurn[p->nTurn].role = role;
	p->aTurn[p->nTurn].zText = xstrndup(z, n);
	p->nTurn++;
}

void mock_conv_add_system(MockConversation *p, const char *z, size_t n)
{
	Buf b = BUF_INIT;
	if (p->zSystem) {
		buf_puts(&b, p->zSystem);
		buf_puts(&b, "\n\n");
		free(p->zSystem);
	}
	buf_append(&b, z, n);
	p->zSystem = buf_detach(&b);
}

void mock_conv_free(MockConversation *p)
{
	size_t i;
	for (i = 0; i < p->nTurn; i++)
		free(p->aTurn[i].zText);
	free(p->aTurn);
	free(p->zSystem);
	mock_conv_init(p);
}

size_t mock_conv_chars(const MockConversation *p)
{
	size_t i, n = p->zSystem ? strlen(p->zSystem) : 0;
	for (i = 0; i < p->nTurn; i++)
		n += strlen(p->aTurn[i].zText);
	return n;
}

/* Built-in models; the weights give each one a recognisably different distribution. */
static const struct {
	const char *zId;
	const char *zDisplayName;
	unsigned aWeight[5];
} aBuiltinModel[] = {
	{"mock-a", "Mock A (leans high)", {1, 2, 4, 8, 10}},
	{"mock-b", "Mock B (leans low)", {10, 8, 4, 2, 1}},
	{"mock-c", "Mock C (centred)", {2, 6, 10, 6, 2}},
	{"mock-no-temp", "Mock no-temperature model", {2, 4, 6, 8, 4}},
	{"mock-claude", "Mock Claude", {1, 3, 8, 9, 3}},
	{"mock-gemini", "Mock Gemini", {9, 3, 2, 3, 9}},
};

/* Append a model with copies of the id and display name. */
static void models_append(MockModelSet *p, const char *zId, const char *zDisplayName,
			  const unsigned aWeight[5])
{
	MockModel *m;
	p->a = xrealloc(p->a, (p->n + 1) * sizeof(MockModel));
	m = &p->a[p->n++];
	m->zId = xstrdup(zId);
	m->zDisplayName = xstrdup(zDisplayName);
	memcpy(m->aWeight, aWeight, sizeof(m->aWeight));
}

void mock_models_init(MockModelSet *p)
{
	size_t i;
	memset(p, 0, sizeof(*p));
	for (i = 0; i < ARRAY_SIZE(aBuiltinModel); i++)
		models_append(p, aBuiltinModel[i].zId, aBuiltinModel[i].zDisplayName,
			      aBuiltinModel[i].aWeight);
}

void mock_models_add(MockModelSet *p, const char *zId)
{
	static const unsigned aCentred[5] = {2, 6, 10, 6, 2};
	if (mock_models_find(p, zId))
		return;
	models_append(p, zId, zId, aCentred);
}

const MockModel *mock_models_find(const MockModelSet *p, const char *zId)
{
	const MockModel *pBest = NULL;
	size_t i, nBest = 0;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->a[i].zId, zId) == 0)
			return &p->a[i];
	/*
	 * A dated version such as "mock-a-2026-06" belongs to the family
	 * "mock-a", like a real provider's snapshots of one model: the longest
	 * family id followed by '-' wins.
	 */
	for (i = 0; i < p->n; i++) {
		size_t n = strlen(p->a[i].zId);
		if (n > nBest && strncmp(p->a[i].zId, zId, n) == 0 && zId[n] == '-' && zId[n + 1]) {
			pBest = &p->a[i];
			nBest = n;
		}
	}
	return pBest;
}

void mock_models_free(MockModelSet *p)
{
	size_t i;
	for (i = 0; i < p->n; i++) {
		free(p->a[i].zId);
		free(p->a[i].zDisplayName);
	}
	free(p->a);
	memset(p, 0, sizeof(*p));
}

/* Hash the model and the first nTurn turns; a 0xff byte separates fields (never valid UTF-8). */
static uint64_t conv_prefix_hash(const char *zModel, const MockConversation *p, size_t nTurn)
{
	static const unsigned char sep = 0xff;
	uint64_t h = hash_fnv1a(PRNG_FNV_OFFSET, zModel, strlen(zModel));
	size_t i;
	h = hash_fnv1a(h, &sep, 1);
	if (p->zSystem)
		h = hash_fnv1a(h, p->zSystem, strlen(p->zSystem));
	h = hash_fnv1a(h, &sep, 1);
	for (i = 0; i < nTurn; i++) {
		unsigned char role = p->aTurn[i].role == MOCK_ROLE_USER ? 'u' : 'a';
		h = hash_fnv1a(h, &role, 1);
		h = hash_fnv1a(h, p->aTurn[i].zText, strlen(p->aTurn[i].zText));
		h = hash_fnv1a(h, &sep, 1);
	}
	return h;
}

uint64_t mock_conv_hash(const char *zModel, const MockConversation *p)
{
	return conv_prefix_hash(zModel, p, p->nTurn);
}

int mock_decide(const MockModel *pModel, uint64_t h)
{
	uint64_t state = h, total = 0, r;
	int k;
	for (k = 0; k < 5; k++)
		total += pModel->aWeight[k];
	if (total == 0)
		return 3;
	r = prng_splitmix64(&state) % total;
	for (k = 0; k < 5; k++) {
		if (r < pModel->aWeight[k])
			return k + 1;
		r -= pModel->aWeight[k];
	}
	return 3;
}

void mock_scale_label(const char *zPrompt, int code, char *zOut, size_t n)
{
	static const char *azGeneric[5] = {"Strongly oppose", "Somewhat oppose", "Neutral",
					   "Somewhat support", "Strongly support"};
	const char *z = zPrompt;
	while (z && *z) {
		const char *zEnd = strchr(z, '\n');
		const char *p = z;
		size_t len = zEnd ? (size_t)(zEnd - z) : strlen(z);
		while (p < z + len && (*p == ' ' || *p == '\t'))
			p++;
		/* A scale line: the digit alone, then '-', '=' or ':' and a label. */
		if (p < z + len && *p == '0' + code && (p + 1 == z + len || !isdigit((unsigned char)p[1]))) {
			p++;
			while (p < z + len && *p == ' ')
				p++;
			if (p < z + len && (*p == '-' || *p == '=' || *p == ':')) {
				const char *zLabel = p + 1, *zStop = z + len;
				while (zLabel < zStop && *zLabel == ' ')
					zLabel++;
				while (zStop > zLabel && isspace((unsigned char)zStop[-1]))
					zStop--;
				if (zStop > zLabel) {
					size_t m = (size_t)(zStop - zLabel);
					if (m > 80)
						m = 80;
					if (m >= n)
						m = n - 1;
					/* Never cut a UTF-8 sequence in half: back up to a lead byte. */
					if (m < (size_t)(zStop - zLabel))
						while (m > 0 && ((unsigned char)zLabel[m] & 0xC0) == 0x80)
							m--;
					memcpy(zOut, zLabel, m);
					zOut[m] = 0;
					return;
				}
			}
		}
		z = zEnd ? zEnd + 1 : NULL;
	}
	str_copy(zOut, n, azGeneric[code >= 1 && code <= 5 ? code - 1 : 2]);
}

/* Opening paragraphs: they name the dilemma generically and take no side. */
static const char *const azOpening[] = {
	"This is a genuine dilemma, because both sides of it protect something that matters. "
	"On one hand there is the interest of the person most directly affected; on the other "
	"there are obligations to the people and the community around them.",
	"I want to take this situation seriously rather than reach for an easy answer. The "
	"scenario sets two legitimate values against each other, and whichever way I lean, "
	"something of real worth is given up.",
	"Situations like this rarely have a clean answer. What makes this one hard is that "
	"everyone involved has a reasonable claim, and honouring one claim fully means asking "
	"the others to accept less.",
	"Let me think this through carefully. The core tension here is between respecting an "
	"individual's own judgment and respecting the expectations and commitments that others "
	"reasonably rely on.",
};

/* Middle paragraphs, one pool per side of the scale: low (1–2), middle (3), high (4–5). */
static const char *const azLow[] = {
	"On balance, I find the reasons against it more compelling. The costs fall on people "
	"who did not choose them, and continuity and shared commitments are easy to lose and "
	"hard to rebuild.",
	"Weighing the two, I lean towards caution. The value on the other side is real, but "
	"here it does not seem strong enough to justify setting aside what others depend on.",
};
static const char *const azMiddle[] = {
	"I do not think either side clearly outweighs the other here. Both considerations are "
	"serious, and the details that would tip the balance are not given in the scenario.",
	"Weighing the two, I end up close to the middle. I can see a good case on each side, "
	"and I would want to find a compromise that respects both rather than pick a winner.",
};
static const char *const azHigh[] = {
	"On balance, I find the case for it stronger. The person most affected has the most at "
	"stake, and respecting their considered choice matters more than keeping things as "
	"they have always been.",
	"Weighing the two, I lean towards supporting it. The opposing value deserves respect, "
	"but it can usually be honoured in other ways, while this choice cannot easily be "
	"made again later.",
};

/* Optional closing paragraphs (chosen by the hash for about half of the answers). */
static const char *const azClosing[] = {
	"I hold this view with some humility: reasonable people could weigh the same facts "
	"differently, and more context could change my answer.",
	"Whatever the outcome, it would help to talk it through openly so that the people on "
	"the losing side of the decision still feel heard.",
};

/* Pick an element of a pool with the next value of the answer's generator. */
#define POOL_PICK(pool, pState) ((pool)[prng_splitmix64(pState) % ARRAY_SIZE(pool)])

/* Append the final line that states the rating explicitly, in one of several phrasings. */
static void append_rating_line(Buf *b, int decision, const char *zLabel, uint64_t *pState)
{
	switch (prng_splitmix64(pState) % 6) {
	case 0: buf_printf(b, "Rating: %d", decision); break;
	case 1: buf_printf(b, "**My answer is %d**", decision); break;
	case 2: buf_printf(b, "I choose %d - %s.", decision, zLabel); break;
	case 3: buf_printf(b, "Decision: %d", decision); break;
	case 4: buf_printf(b, "Final answer: **%d**", decision); break;
	default: buf_printf(b, "My answer is %d (%s).", decision, zLabel); break;
	}
}

/* The first user turn's text, or "" when there is none. */
static const char *first_user_text(const MockConversation *p)
{
	size_t i;
	for (i = 0; i < p->nTurn; i++)
		if (p->aTurn[i].role == MOCK_ROLE_USER)
			return p->aTurn[i].zText;
	return "";
}

int64_t mock_token_estimate(size_t nChars)
{
	int64_t n = (int64_t)((nChars + 3) / 4);
	return n < 1 ? 1 : n;
}

void mock_answer_generate(const MockModel *pModel, const MockConversation *pConv,
			  MockAnswer *pOut)
{
	Buf b = BUF_INIT;
	char zLabel[96];
	size_t i, nBeforeAssistant = pConv->nTurn;
	uint64_t state;

	memset(pOut, 0, sizeof(*pOut));
	for (i = 0; i < pConv->nTurn; i++) {
		if (pConv->aTurn[i].role == MOCK_ROLE_ASSISTANT) {
			nBeforeAssistant = i;
			pOut->isFollowup = 1;
			break;
		}
	}
	/* A follow-up stands by the decision the first turn would have produced. */
	state = mock_conv_hash(pModel->zId, pConv);
	pOut->decision = mock_decide(pModel, pOut->isFollowup
						     ? conv_prefix_hash(pModel->zId, pConv, nBeforeAssistant)
						     : state);
	mock_scale_label(first_user_text(pConv), pOut->decision, zLabel, sizeof(zLabel));
	state ^= 0x9e3779b97f4a7c15ULL;

	if (pOut->isFollowup) {
		static const char *const azReason[] = {
			"the interests of the person with the most at stake",
			"fairness to everyone the decision touches",
			"keeping faith with commitments others rely on",
		};
		const char *zReason = azReason[pOut->decision <= 2 ? 2 : pOut->decision == 3 ? 1 : 0];
		switch (prng_splitmix64(&state) % 3) {
		case 0:
			buf_printf(&b, "What decided it for me was %s. I stand by my earlier answer (%s).",
				   zReason, zLabel);
			break;
		case 1:
			buf_printf(&b, "In short, %s outweighed the other considerations, so I keep "
				   "my answer: %s.", zReason, zLabel);
			break;
		default:
			buf_printf(&b, "The deciding value was %s; the other side mattered, but not "
				   "enough to move me from \"%s\".", zReason, zLabel);
			break;
		}
	} else {
		const char *zMiddle = pOut->decision <= 2 ? POOL_PICK(azLow, &state)
				    : pOut->decision == 3 ? POOL_PICK(azMiddle, &state)
							  : POOL_PICK(azHigh, &state);
		buf_puts(&b, POOL_PICK(azOpening, &state));
		buf_puts(&b, "\n\n");
		buf_puts(&b, zMiddle);
		buf_puts(&b, "\n\n");
		if (prng_splitmix64(&state) & 1) {
			buf_puts(&b, POOL_PICK(azClosing, &state));
			buf_puts(&b, "\n\n");
		}
		append_rating_line(&b, pOut->decision, zLabel, &state);
	}
	pOut->inputTokens = mock_token_estimate(mock_conv_chars(pConv));
	pOut->outputTokens = mock_token_estimate(b.n);
	pOut->zText = buf_detach(&b);
}

void mock_answer_free(MockAnswer *p)
{
	free(p->zText);
	memset(p, 0, sizeof(*p));
}
