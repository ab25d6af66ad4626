/* mock_answer.h — the mock LLM's models and its deterministic answers (decision, text, tokens). */
#ifndef VR_MOCK_ANSWER_H
#define VR_MOCK_ANSWER_H

#include <stddef.h>
#include <stdint.h>

/* One message of a conversation, in the provider-neutral form every API style maps to. */
typedef enum MockRole { MOCK_ROLE_USER, MOCK_ROLE_ASSISTANT } MockRole;

typedef struct MockTurn {
	MockRole role;
	char *zText; /* owned */
} MockTurn;

/* A whole request conversation: optional system prompt plus the turns in order. */
typedef struct MockConversation {
	char *zSystem; /* owned; NULL when the request had none */
	MockTurn *aTurn;
	size_t nTurn;
	size_t nAlloc;
} MockConversation;

/* Start an empty conversation. */
void mock_conv_init(MockConversation *p);
/* Append a turn holding a copy of the n bytes at z. */
void mock_conv_add(MockConversation *p, MockRole role, const char *z, size_t n);
/* Append n bytes of text to the system prompt (joined by a blank line). */
void mock_conv_add_system(MockConversation *p, const char *z, size_t n);
/* Free everything the conversation owns; it is empty afterwards. */
void mock_conv_free(MockConversation *p);
/* Total characters (bytes) of system prompt and all turns: the "prompt size". */
size_t mock_conv_chars(const MockConversation *p);

/*
 * A mock model: its id and how its decisions lean. aWeight[k] is the relative
 * weight of decision k+1, so {1,2,4,8,10} leans high and {10,8,4,2,1} low.
 */
typedef struct MockModel {
	char *zId;          /* owned */
	char *zDisplayName; /* owned */
	unsigned aWeight[5];
} MockModel;

/* The set of models the server knows; any other id is answered 404. */
typedef struct MockModelSet {
	MockModel *a;
	size_t n;
} MockModelSet;

/*
 * Fill the set with the built-in models: mock-a (leans high), mock-b (leans
 * low), mock-c (centred), mock-no-temp (rejects a non-default temperature),
 * mock-claude (leans 3–4), mock-gemini (polarised, 1 or 5). Free with
 * mock_models_free().
 */
void mock_models_init(MockModelSet *p);
/* Add a model with a centred lean; nothing happens if the id is already known. */
void mock_models_add(MockModelSet *p, const char *zId);
/* The model with exactly this id, or NULL. The pointer lives as long as the set. */
/* Exact id, else the family of a dated version ("mock-a-2026-06" → "mock-a"); NULL if unknown. */
const MockModel *mock_models_find(const MockModelSet *p, const char *zId);
void mock_models_free(MockModelSet *p);

/* 64-bit hash of the model id and the full conversation (system prompt and every turn). */
uint64_t mock_conv_hash(const char *zModel, const MockConversation *p);

/* The decision 1–5 the model gives for a conversation hash, following the model's lean. */
int mock_decide(const MockModel *pModel, uint64_t h);

/*
 * The label of scale point `code` read back from the prompt (a line such as
 * "4 - Somewhat support" or "4 = Somewhat support"), else a generic label
 * ("Somewhat support"). Always writes a NUL-terminated string into zOut.
 */
void mock_scale_label(const char *zPrompt, int code, char *zOut, size_t n);

/* The answer to a conversation. */
typedef struct MockAnswer {
	char *zText;          /* owned, never empty */
	int decision;         /* 1–5: the decision stated (first turn) or stood by (follow-up) */
	int isFollowup;       /* 1 when the conversation already holds an assistant turn */
	int64_t inputTokens;  /* ≈ prompt characters / 4, at least 1 */
	int64_t outputTokens; /* ≈ answer characters / 4, at least 1 */
} MockAnswer;

/*
 * Generate the deterministic answer of pModel to the conversation (which must
 * hold at least one turn). A first turn gets 2–3 short paragraphs of reasoning
 * and a final line stating the rating explicitly ("Rating: 4", "Decision: 4",
 * "I choose 4 - Somewhat support.", ...). A follow-up turn gets one or two
 * sentences. Free with mock_answer_free().
 */
void mock_answer_generate(const MockModel *pModel, const MockConversation *pConv,
			  MockAnswer *pOut);
void mock_answer_free(MockAnswer *p);

/* Token estimate used for usage fields: ceil(chars / 4), at least 1. */
int64_t mock_token_estimate(size_t nChars);

#endif
