/* decision.h — extract a 1–5 decision, a refusal or "unknown" from a model's answer. */
#ifndef VR_DOMAIN_DECISION_H
#define VR_DOMAIN_DECISION_H

#include <jansson.h>

/*
 * Policy (DOMAIN.md "Decision extraction"), applied in this order; the first
 * stage that finds anything decides.
 *
 * 1. Explicit statements (class exact). Each match has a strength tier:
 *      tier 3  "final" statements: "Final answer: 4", "My final rating is 4".
 *      tier 2  labelled statements "Rating: 4", "Decision = 4", "My answer is
 *              4", "Score: 4", "Choice: 4", "rating of 4"; first-person choices
 *              "I choose 4", "I would choose 4", "I'd go with 4", "I'd lean
 *              toward 4", "I'd rate it a 4", "I'd say 4" (an "I" within four
 *              words before the verb, same sentence); and a response that is
 *              only the number ("4", "**4.**", "(4)", "4/5").
 *      tier 1  "**4**" (also "**4 - Somewhat support**", "**4.**" at line
 *              end), "4/5", "4 out of 5", and a line "4 - <the prompt's label
 *              for 4>" (dropped when the response echoes three or more scale
 *              lines, i.e. repeats the scale).
 *    Markdown (* _ # `), case, typographic quotes and dashes are ignored, and
 *    "Rating:\n\n4" counts. Numbers that are not ratings are skipped: "1,000",
 *    "2.5%", "2nd", "3-year", "4/10", "in 2 years", "3 people", "1/5 of".
 *    Only the strongest tier present is used. If all its matches give the
 *    same code, that code wins. If they disagree, the last statement wins
 *    only when a revision cue ("actually", "on reflection", "on second
 *    thought", "revise", "change my", "instead", "wait", ...) stands between
 *    it and the previous statement with another code; otherwise the result
 *    is unknown / ambiguous. A hedged statement ("Rating: 3-4", "3 or 4",
 *    "3.5") carries both codes and so is ambiguous.
 * 2. Scale labels read back from the prompt (lines "4 - Somewhat support",
 *    "4 = ...", "4: ...", "4) ..."; the label is cut at "(", ":", " - ", ","
 *    or ";"; at least two labelled codes are needed) found in the response,
 *    as whole words, case-insensitively (class fallback). An occurrence
 *    inside a longer label's occurrence ("support" in "strongly support")
 *    does not count. Several different labels → unknown / ambiguous.
 * 3. A lone number 1–5 on the first or last non-empty line (class fallback);
 *    different numbers on the two lines → unknown / ambiguous.
 * 4. Refusal phrases ("I can't help with", "I won't choose", "I'm not able
 *    to", "as an AI", ...) → refusal (class exact). A refusal also overrides
 *    an ambiguous result of stages 2–3, which is typically a model listing
 *    both ends of the scale while declining to pick one.
 * 5. Nothing → unknown (class none, rule "none").
 */

typedef enum DecisionKind {
	DECISION_UNKNOWN = 0, /* no code: nothing found or ambiguous */
	DECISION_VALUE,       /* a code 1..5 in value */
	DECISION_REFUSAL
} DecisionKind;

typedef enum DecisionClass {
	DECISION_CLASS_NONE = 0,
	DECISION_CLASS_EXACT,
	DECISION_CLASS_FALLBACK,
	DECISION_CLASS_AMBIGUOUS
} DecisionClass;

#define DECISION_EXCERPT_MAX 120

/* Rule identifiers stored in Decision.zRule (static strings). */
#define DECISION_RULE_FINAL "final_answer"
#define DECISION_RULE_EXPLICIT "explicit_rating"
#define DECISION_RULE_CHOICE "explicit_choice"
#define DECISION_RULE_JUST "just_number"
#define DECISION_RULE_BOLD "bold_number"
#define DECISION_RULE_OUT_OF "out_of_five"
#define DECISION_RULE_NUMBER_LABEL "number_with_label"
#define DECISION_RULE_SCALE "scale_label"
#define DECISION_RULE_LONE "lone_number"
#define DECISION_RULE_REFUSAL "refusal_phrase"
#define DECISION_RULE_AMBIGUOUS "ambiguous"
#define DECISION_RULE_NONE "none"

typedef struct Decision {
	DecisionKind kind;
	int value;         /* 1..5 when kind == DECISION_VALUE, else 0 */
	DecisionClass cls;
	const char *zRule; /* one of DECISION_RULE_* (static, never freed) */
	/* The matched line or lines (joined by " | "), at most 120 bytes, cut on
	 * a UTF-8 boundary; "" when nothing matched. */
	char zExcerpt[DECISION_EXCERPT_MAX + 1];
} Decision;

/*
 * Extract the decision from zResponse, reading the scale labels from
 * zPrompt. Either may be NULL (treated as ""). Fills *pOut completely; never
 * fails. Allocates only temporaries, freed before it returns.
 */
void decision_extract(const char *zPrompt, const char *zResponse, Decision *pOut);

/* The stored code: "1".."5", "refusal" or "unknown" (static string). */
const char *decision_code_text(const Decision *p);

/* "exact", "fallback", "ambiguous" or "none" (static string). */
const char *decision_class_name(DecisionClass cls);

/*
 * Parse a stored code ("1".."5", "refusal", "unknown") into *pKind and
 * *pValue (0 unless a value). Returns 0, or -1 for NULL or any other text
 * (then *pKind = DECISION_UNKNOWN, *pValue = 0).
 */
int decision_code_parse(const char *zCode, DecisionKind *pKind, int *pValue);

/* Parse a class name; 0, or -1 for anything else (then *pCls = NONE). */
int decision_class_parse(const char *zName, DecisionClass *pCls);

/*
 * {"code":"4"|"refusal"|"unknown","value":4|null,"class":"exact",
 *  "rule":"explicit_rating","excerpt":"Rating: 4"}. New reference; the
 * caller json_decref()s it.
 */
json_t *decision_to_json(const Decision *p);

#endif
