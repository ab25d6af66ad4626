/* decision.c — the decision extraction rules of DOMAIN.md, over a normalised copy of the answer. */
#include "domain/decision.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/*
 * The response is matched in a normalised copy: ASCII lower case, markdown
 * markers (* _ # `) and CR removed, TAB and NBSP as space, runs of spaces
 * collapsed, typographic quotes as ' and ", en/em dashes as '-'. aOrig maps
 * every normalised byte back to its offset in the original, for excerpts.
 */
typedef struct NormText {
	char *z;
	size_t n;
	size_t *aOrig; /* n + 1 entries; aOrig[n] is the original length */
} NormText;

/* One explicit statement, label or number found in the response. */
typedef struct Match {
	int tier;          /* explicit strength 1..3; 0 for stages 2-3 */
	const char *zRule;
	int aCode[2];
	int nCode;         /* 1, or 2 for a hedge such as "3-4" */
	size_t iStart;     /* normalised offsets */
	size_t iEnd;
	int seq;           /* order of discovery, to keep sorting stable */
} Match;

typedef struct MatchList {
	Match *a;
	int n;
	int cap;
} MatchList;

/* The prompt's scale: azLabel[c] is the normalised label of code c, or NULL. */
typedef struct Scale {
	char *azLabel[6];
	int nLabel;
} Scale;

/* ---------------------------------------------------------------- text */

/* ASCII character classes, locale-independent (ctype's depend on the locale and on
 * the sign of char): true when c is a digit, a letter, either, or a code 1..5. */
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_alnum(char c) { return is_digit(c) || is_alpha(c); }
static int is_code_digit(char c) { return c >= '1' && c <= '5'; }

/* Append one byte that came from original offset iOrig. */
static void norm_push(NormText *p, char c, size_t iOrig)
{
	p->z[p->n] = c;
	p->aOrig[p->n] = iOrig;
	p->n++;
}

/* Build the normalised copy of z into *p; the caller frees with norm_free(). */
static void norm_build(NormText *p, const char *z)
{
	size_t nIn = strlen(z);
	p->z = xmalloc(nIn + 1);
	p->aOrig = xmalloc((nIn + 1) * sizeof(size_t));
	p->n = 0;
	for (size_t i = 0; i < nIn; i++) {
		unsigned char c = (unsigned char)z[i];
		char out = (char)c;
		size_t iFrom = i;
		if (c == '*' || c == '_' || c == '#' || c == '`' || c == '\r') continue;
		if (c == 0xE2 && i + 2 < nIn && (unsigned char)z[i + 1] == 0x80) {
			unsigned char c3 = (unsigned char)z[i + 2];
			if (c3 == 0x98 || c3 == 0x99) out = '\'';
			else if (c3 == 0x9C || c3 == 0x9D) out = '"';
			else if (c3 == 0x93 || c3 == 0x94) out = '-';
			else if (c3 == 0xA2) out = '-'; /* bullet */
			if (out != (char)c) i += 2;
		} else if (c == 0xC2 && i + 1 < nIn && (unsigned char)z[i + 1] == 0xA0) {
			out = ' ';
			i += 1;
		}
		if (out == '\t') out = ' ';
		if (out >= 'A' && out <= 'Z') out = (char)(out - 'A' + 'a');
		if (out == ' ' && p->n > 0 && p->z[p->n - 1] == ' ') continue;
		norm_push(p, out, iFrom);
	}
	p->z[p->n] = 0;
	p->aOrig[p->n] = nIn;
}

/* Free what norm_build() allocated. */
static void norm_free(NormText *p)
{
	free(p->z);
	free(p->aOrig);
	p->z = NULL;
	p->aOrig = NULL;
}

/* True when the word zWord starts at z[i] and ends at a word boundary. */
static int word_at(const char *z, size_t i, const char *zWord)
{
	size_t n;
	/* Most positions fail on the first letter: check it before measuring and comparing. */
	if (zWord[0] && z[i] != zWord[0])
		return 0;
	n = strlen(zWord);
	if (strncmp(z + i, zWord, n) != 0) return 0;
	return !is_alnum(z[i + n]);
}

/* Bit c - 'a' set for each lower-case first letter c of the words in az. */
static uint32_t first_letters(const char *const *az, size_t n)
{
	uint32_t m = 0;
	for (size_t k = 0; k < n; k++)
		if (az[k][0] >= 'a' && az[k][0] <= 'z') m |= 1u << (az[k][0] - 'a');
	return m;
}

/* True when the lower-case letter c is in the mask made by first_letters. */
static int letter_in(uint32_t m, char c)
{
	return c >= 'a' && c <= 'z' && (m >> (c - 'a') & 1u);
}

/* True when z[i] starts a word (not preceded by a letter or digit). */
static int word_start(const char *z, size_t i)
{
	return i == 0 || !is_alnum(z[i - 1]);
}

/* Skip spaces (not newlines) from i. */
static size_t skip_spaces(const char *z, size_t i)
{
	while (z[i] == ' ') i++;
	return i;
}

/* Skip spaces and newlines from i. */
static size_t skip_blank(const char *z, size_t i)
{
	while (z[i] == ' ' || z[i] == '\n') i++;
	return i;
}

/* True when zPhrase occurs in z[iFrom, iTo) starting at a word boundary. */
static int phrase_in_range(const char *z, size_t iFrom, size_t iTo, const char *zPhrase)
{
	size_t n = strlen(zPhrase);
	for (size_t i = iFrom; i + n <= iTo; i++) {
		if (z[i] == zPhrase[0] && word_start(z, i) && strncmp(z + i, zPhrase, n) == 0 &&
		    (i + n == iTo || !is_alnum(z[i + n]) || !is_alnum(zPhrase[n - 1]))) {
			return 1;
		}
	}
	return 0;
}

/* --------------------------------------------------------------- numbers */

/* Words that, after a number, show it counts something rather than rates. */
static const char *const azUnitWord[] = {
	"year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
	"minute", "minutes", "seconds", "people", "person", "persons", "lives", "life", "times",
	"percent", "children", "kids", "million", "billion", "thousand", "hundred", "dollars",
	"of", "in", "members", "patients", "students", "generations", "options", "reasons",
	"things", "points", "factors", "ways", "steps", "values", "sides", "key", "main",
	"considerations", "scale", "am", "pm", "more", "other", "different", "possible",
};

/* True when a counting word follows the number that ends at z[i]. */
static int followed_by_unit(const char *z, size_t i)
{
	if (z[i] != ' ') return 0;
	i++;
	for (size_t k = 0; k < ARRAY_SIZE(azUnitWord); k++) {
		if (word_at(z, i, azUnitWord[k])) return 1;
	}
	return 0;
}

/* Parsed decision number: its codes, where it ends, and whether it was "N/5". */
typedef struct CodeNumber {
	int aCode[2];
	int nCode;
	size_t iEnd;
	int bOutOfFive;
} CodeNumber;

/*
 * Parse one in-range integer at z[i] with the checks that tell a rating from
 * other numbers, without hedges. Returns 1 and fills *pNum, or 0.
 */
static int parse_single_code(const char *z, size_t i, int checkPrev, CodeNumber *pNum)
{
	memset(pNum, 0, sizeof *pNum);
	if (!is_code_digit(z[i])) return 0;
	if (checkPrev && i > 0) {
		char cPrev = z[i - 1];
		/* "1,000", "2.5", "$3", "1/4", "1-5", "+3": part of another number. */
		if (is_alnum(cPrev) || cPrev == '.' || cPrev == ',' || cPrev == '$' || cPrev == '/' ||
		    cPrev == '-' || cPrev == '+') {
			return 0;
		}
	}
	int v = z[i] - '0';
	size_t j = i + 1;
	if (is_alpha(z[j]) || is_digit(z[j]) || z[j] == '%') return 0;
	if (z[j] == ',' && is_digit(z[j + 1])) return 0;
	if (z[j] == '-' && is_alpha(z[j + 1])) return 0; /* "3-year" */
	pNum->aCode[0] = v;
	pNum->nCode = 1;
	if (z[j] == '.' && is_digit(z[j + 1])) {
		size_t k = j + 1;
		int allZero = 1;
		while (is_digit(z[k])) {
			if (z[k] != '0') allZero = 0;
			k++;
		}
		if (z[k] == '.' && is_digit(z[k + 1])) return 0; /* a version number */
		if (z[k] == '%') return 0;
		if (!allZero) {
			if (v == 5) return 0;
			pNum->aCode[1] = v + 1;
			pNum->nCode = 2;
		}
		j = k;
	}
	size_t k = skip_spaces(z, j);
	if (z[k] == '/') {
		k = skip_spaces(z, k + 1);
		if (z[k] != '5' || is_digit(z[k + 1]) || z[k + 1] == '/' ||
		    (z[k + 1] == '.' && is_digit(z[k + 2]))) {
			return 0; /* "4/10", a date "3/5/2024", "1/5.5" */
		}
		pNum->bOutOfFive = 1;
		j = k + 1;
	} else if (strncmp(z + k, "out of ", 7) == 0) {
		k += 7;
		if (z[k] != '5' || is_digit(z[k + 1])) return 0;
		pNum->bOutOfFive = 1;
		j = k + 1;
	}
	if (followed_by_unit(z, j)) return 0;
	pNum->iEnd = j;
	return 1;
}

/*
 * Parse a decision number at z[i], including a hedge to a second number
 * ("3-4", "3 or 4", "3 to 4", "3 and 4", "3.5"). Returns 1 and fills *pNum,
 * or 0 when z[i] does not start a rating.
 */
static int parse_code_number(const char *z, size_t i, CodeNumber *pNum)
{
	if (!parse_single_code(z, i, 1, pNum)) return 0;
	if (pNum->nCode == 2 || pNum->bOutOfFive) return 1;
	size_t k = skip_spaces(z, pNum->iEnd);
	size_t kNext = 0;
	if (z[k] == '-') kNext = k + 1;
	else if (word_at(z, k, "to")) kNext = k + 2;
	else if (word_at(z, k, "or")) kNext = k + 2;
	else if (word_at(z, k, "and")) kNext = k + 3;
	if (kNext == 0) return 1;
	kNext = skip_spaces(z, kNext);
	if (word_at(z, kNext, "a")) kNext = skip_spaces(z, kNext + 1);
	CodeNumber second;
	if (!is_code_digit(z[kNext])) return 1;
	if (!parse_single_code(z, kNext, 0, &second)) {
		/* "4 or 5 people": the pair counts something; "3-4 years" likewise. */
		size_t e = kNext + 1;
		if (followed_by_unit(z, e)) return 0;
		return 1;
	}
	if (second.aCode[0] != pNum->aCode[0]) {
		pNum->aCode[1] = second.aCode[0];
		pNum->nCode = 2;
	}
	pNum->iEnd = second.iEnd;
	return 1;
}

/* ---------------------------------------------------------------- matches */

/* Append a match; the list grows as needed and is freed by the caller. */
static void match_add(MatchList *pList, int tier, const char *zRule, const CodeNumber *pNum,
		      size_t iStart, size_t iEnd)
{
	if (pList->n == pList->cap) {
		pList->cap = pList->cap ? pList->cap * 2 : 16;
		pList->a = xrealloc(pList->a, (size_t)pList->cap * sizeof(Match));
	}
	Match *m = &pList->a[pList->n++];
	m->tier = tier;
	m->zRule = zRule;
	m->aCode[0] = pNum->aCode[0];
	m->aCode[1] = pNum->nCode == 2 ? pNum->aCode[1] : 0;
	m->nCode = pNum->nCode;
	m->iStart = iStart;
	m->iEnd = iEnd;
	m->seq = pList->n;
}

/* Skip filler words between a label or verb and its number ("a", "option", "("). */
static size_t skip_fillers(const char *z, size_t i)
{
	static const char *const azFiller[] = {
		"a", "an", "option", "number", "rating", "score", "answer", "at", "with", "it",
		"this", "as", "for", "between", "solid", "firm", "clear", "scenario", "situation",
		"one", "level", "choice", "the", "value",
	};
	for (int round = 0; round < 5; round++) {
		i = skip_spaces(z, i);
		if (z[i] == '(' || z[i] == '[' || z[i] == '"' || z[i] == '\'' || z[i] == ':') {
			i++;
			continue;
		}
		int found = 0;
		if (!is_alpha(z[i])) break;
		for (size_t k = 0; k < ARRAY_SIZE(azFiller) && !found; k++) {
			if (word_at(z, i, azFiller[k])) {
				i += strlen(azFiller[k]);
				found = 1;
			}
		}
		if (!found) break;
	}
	return skip_spaces(z, i);
}

/* True when the word before position i (skipping spaces) is zWord. */
static int previous_word_is(const char *z, size_t i, const char *zWord)
{
	size_t n = strlen(zWord);
	while (i > 0 && z[i - 1] == ' ') i--;
	if (i < n) return 0;
	return strncmp(z + i - n, zWord, n) == 0 && word_start(z, i - n);
}

/*
 * Labelled statements: "rating: 4", "my answer is 4", "final decision = 4",
 * "rating of 4", "rating 4". Appends tier 2 (or 3 after "final") matches.
 */
static void find_labelled(const NormText *t, MatchList *pList)
{
	static const char *const azLabel[] = {"rating", "decision", "answer", "score", "choice",
					      "verdict", "pick", "selection"};
	const char *z = t->z;
	uint32_t mFirst = first_letters(azLabel, ARRAY_SIZE(azLabel));
	for (size_t i = 0; i < t->n; i++) {
		if (!letter_in(mFirst, z[i]) || !word_start(z, i)) continue;
		for (size_t k = 0; k < ARRAY_SIZE(azLabel); k++) {
			const char *zLabel = azLabel[k];
			if (!word_at(z, i, zLabel)) continue;
			int isRating = strcmp(zLabel, "rating") == 0;
			size_t j = skip_spaces(z, i + strlen(zLabel));
			if (z[j] == ':' || z[j] == '=' || z[j] == '-' || z[j] == '|') {
				j = skip_blank(z, j + 1);
			} else if (word_at(z, j, "is")) {
				j += 2;
			} else if (strncmp(z + j, "would be", 8) == 0 || strncmp(z + j, "will be", 7) == 0) {
				j += z[j + 1] == 'o' ? 8 : 7;
			} else if (isRating && word_at(z, j, "of")) {
				j += 2;
			} else if (!isRating) {
				continue;
			}
			j = skip_fillers(z, j);
			CodeNumber num;
			if (!parse_code_number(z, j, &num)) continue;
			int isFinal = previous_word_is(z, i, "final");
			match_add(pList, isFinal ? 3 : 2, isFinal ? DECISION_RULE_FINAL : DECISION_RULE_EXPLICIT,
				  &num, i, num.iEnd);
		}
	}
}

/* True when "i", "i'd", "i'll", "i'm" or "gonna" is one of the four words before i, same sentence. */
static int first_person_before(const char *z, size_t i)
{
	int nWord = 0;
	while (i > 0 && nWord < 4) {
		while (i > 0 && z[i - 1] == ' ') i--;
		if (i == 0) break;
		char c = z[i - 1];
		if (c == '.' || c == '!' || c == '?' || c == '\n' || c == ':' || c == ';') return 0;
		size_t iEnd = i;
		while (i > 0 && (is_alnum(z[i - 1]) || z[i - 1] == '\'')) i--;
		if (i == iEnd) {
			i--; /* other punctuation, e.g. a comma: keep looking */
			continue;
		}
		size_t n = iEnd - i;
		if ((n == 1 && z[i] == 'i') || (n == 3 && strncmp(z + i, "i'd", 3) == 0) ||
		    (n == 4 && (strncmp(z + i, "i'll", 4) == 0)) || (n == 3 && strncmp(z + i, "i'm", 3) == 0) ||
		    (n == 5 && strncmp(z + i, "gonna", 5) == 0)) {
			return 1;
		}
		nWord++;
	}
	return 0;
}

/* First-person choices: "i choose 4", "i'd go with a 4", "i would rate it 4". */
static void find_choices(const NormText *t, MatchList *pList)
{
	static const char *const azVerb[] = {
		"choose", "chose", "choosing", "pick", "picking", "select", "go with", "going with",
		"lean toward", "lean towards", "leaning toward", "leaning towards", "rate", "give it",
		"give this", "land on", "landing on", "settle on", "settling on", "opt for", "vote for",
		"say", "answer with", "put it at",
	};
	const char *z = t->z;
	uint32_t mFirst = first_letters(azVerb, ARRAY_SIZE(azVerb));
	for (size_t i = 0; i < t->n; i++) {
		if (!letter_in(mFirst, z[i]) || !word_start(z, i)) continue;
		for (size_t k = 0; k < ARRAY_SIZE(azVerb); k++) {
			if (!word_at(z, i, azVerb[k])) continue;
			if (!first_person_before(z, i)) continue;
			size_t j = skip_fillers(z, i + strlen(azVerb[k]));
			CodeNumber num;
			if (!parse_code_number(z, j, &num)) continue;
			match_add(pList, 2, DECISION_RULE_CHOICE, &num, i, num.iEnd);
		}
	}
}

/* Punctuation that may surround a bare number: "(4)", "4.", "[4]", "'4'". */
static int is_wrapper(char c)
{
	return c == ' ' || c == '\n' || c == '.' || c == '!' || c == '(' || c == ')' || c == '[' ||
	       c == ']' || c == '"' || c == '\'' || c == ':';
}

/*
 * If z[iFrom, iTo) holds only one code digit (or "N/5") among wrapper
 * punctuation, return the digit's offset; else (size_t)-1.
 */
static size_t bare_number_in(const char *z, size_t iFrom, size_t iTo)
{
	while (iFrom < iTo && is_wrapper(z[iFrom])) iFrom++;
	while (iTo > iFrom && is_wrapper(z[iTo - 1])) iTo--;
	if (iTo - iFrom == 1 && is_code_digit(z[iFrom])) return iFrom;
	if (iTo - iFrom == 3 && is_code_digit(z[iFrom]) && z[iFrom + 1] == '/' && z[iFrom + 2] == '5')
		return iFrom;
	return (size_t)-1;
}

/* A response that is nothing but the number. */
static void find_just_number(const NormText *t, MatchList *pList)
{
	size_t i = bare_number_in(t->z, 0, t->n);
	if (i == (size_t)-1) return;
	CodeNumber num = {{t->z[i] - '0', 0}, 1, i + 1, 0};
	match_add(pList, 2, DECISION_RULE_JUST, &num, i, i + 1);
}

/* "4/5" and "4 out of 5" anywhere. */
static void find_out_of_five(const NormText *t, MatchList *pList)
{
	for (size_t i = 0; i < t->n; i++) {
		CodeNumber num;
		if (!is_code_digit(t->z[i])) continue;
		if (parse_single_code(t->z, i, 1, &num) && num.bOutOfFive) {
			match_add(pList, 1, DECISION_RULE_OUT_OF, &num, i, num.iEnd);
		}
	}
}

/*
 * Bold numbers, read from the original text because normalising removes
 * the markers: "**4**", "**4.**" at line end, "**4/5**", "**4 - label**".
 * Only opening markers count (every other "**" of the text), and "**1.
 * Text**" list headings are not ratings.
 */
static void find_bold(const char *zOrig, const NormText *t, MatchList *pList)
{
	int nMarker = 0;
	size_t iNorm = 0; /* moves forward only: bold digits are met in text order */
	for (size_t i = 0; zOrig[i]; i++) {
		if (!(zOrig[i] == '*' && zOrig[i + 1] == '*')) continue;
		int isOpening = (nMarker % 2) == 0;
		nMarker++;
		size_t iMarker = i;
		i++; /* the loop's i++ moves past the second '*' */
		if (!isOpening) continue;
		size_t j = iMarker + 2;
		while (zOrig[j] == ' ') j++;
		if (!is_code_digit(zOrig[j]) || is_digit(zOrig[j + 1])) continue;
		size_t d = j + 1;
		int ok = 0;
		if (zOrig[d] == '*' && zOrig[d + 1] == '*') {
			ok = 1;
		} else if (zOrig[d] == '/' && zOrig[d + 1] == '5' && zOrig[d + 2] == '*') {
			ok = 1;
		} else if (zOrig[d] == '.' && zOrig[d + 1] == '*' && zOrig[d + 2] == '*') {
			size_t e = d + 3;
			while (zOrig[e] == ' ' || zOrig[e] == '\r') e++;
			ok = zOrig[e] == '\n' || zOrig[e] == 0;
		} else {
			size_t e = d;
			while (zOrig[e] == ' ') e++;
			int isSep = zOrig[e] == '-' || zOrig[e] == ':' || zOrig[e] == '(' || zOrig[e] == '=' ||
				    (strncmp(zOrig + e, "\xE2\x80\x93", 3) == 0) ||
				    (strncmp(zOrig + e, "\xE2\x80\x94", 3) == 0);
			if (isSep && !(zOrig[e] == '-' && is_digit(zOrig[e + 1]))) {
				for (size_t f = e; f < e + 100 && zOrig[f] && zOrig[f] != '\n'; f++) {
					if (zOrig[f] == '*' && zOrig[f + 1] == '*') {
						ok = 1;
						break;
					}
				}
			}
		}
		if (!ok) continue;
		/* Map the digit to its normalised offset (the first one at or after it). */
		while (iNorm < t->n && t->aOrig[iNorm] < j) iNorm++;
		CodeNumber num = {{zOrig[j] - '0', 0}, 1, iNorm + 1, 0};
		match_add(pList, 1, DECISION_RULE_BOLD, &num, iNorm, iNorm + 1);
	}
}

/* Length of the line starting at i (up to '\n' or the end). */
static size_t line_length(const char *z, size_t i)
{
	const char *e = strchr(z + i, '\n');
	return e ? (size_t)(e - (z + i)) : strlen(z + i);
}

/*
 * If the line at z[i] is "<digit> <sep> <text>" (with optional bullet,
 * brackets and separator among - : = ) .), return the digit's offset and the
 * text's offset in *piText; else (size_t)-1.
 */
static size_t numbered_line(const char *z, size_t i, size_t *piText)
{
	size_t j = i;
	while (z[j] == ' ' || z[j] == '-' || z[j] == '(' || z[j] == '[') j++;
	if (!is_code_digit(z[j]) || is_alnum(z[j + 1])) return (size_t)-1;
	size_t iDigit = j;
	j++;
	if (z[j] == ')' || z[j] == ']' || z[j] == '.') j++;
	j = skip_spaces(z, j);
	if (z[j] == '-' || z[j] == ':' || z[j] == '=' || z[j] == ')' || z[j] == '.') j++;
	j = skip_spaces(z, j);
	if (!is_alpha(z[j])) return (size_t)-1;
	*piText = j;
	return iDigit;
}

/* Lines "4 - Somewhat support" whose text starts with the prompt's label for 4. */
static void find_number_with_label(const NormText *t, const Scale *pScale, MatchList *pList)
{
	int nBefore = pList->n;
	int seen[6] = {0};
	int nDistinct = 0;
	if (pScale->nLabel == 0) return;
	for (size_t i = 0; i < t->n; i += line_length(t->z, i) + 1) {
		size_t iText;
		size_t iDigit = numbered_line(t->z, i, &iText);
		if (iDigit == (size_t)-1) continue;
		int v = t->z[iDigit] - '0';
		const char *zLabel = pScale->azLabel[v];
		if (zLabel == NULL) continue;
		size_t n = strlen(zLabel);
		if (strncmp(t->z + iText, zLabel, n) != 0 || is_alnum(t->z[iText + n])) continue;
		CodeNumber num = {{v, 0}, 1, iText + n, 0};
		match_add(pList, 1, DECISION_RULE_NUMBER_LABEL, &num, iDigit, iText + n);
		if (!seen[v]) nDistinct++;
		seen[v] = 1;
	}
	if (nDistinct >= 3) pList->n = nBefore; /* the response echoes the scale */
}

/* ------------------------------------------------------------------ scale */

/* Longest scale label kept from the prompt, in bytes. */
#define MAX_LABEL 80

static void matches_sort(Match *a, int n);

/* Read the scale labels from the normalised prompt; later lines override earlier ones. */
static void scale_parse(const char *zPrompt, Scale *pScale)
{
	NormText t;
	memset(pScale, 0, sizeof *pScale);
	norm_build(&t, zPrompt);
	for (size_t i = 0; i < t.n; i += line_length(t.z, i) + 1) {
		size_t iText;
		size_t nLine = line_length(t.z, i);
		size_t iDigit = numbered_line(t.z, i, &iText);
		if (iDigit != (size_t)-1) {
			size_t iEnd = iText;
			while (iEnd < i + nLine && t.z[iEnd] != '(' && t.z[iEnd] != ':' && t.z[iEnd] != ',' &&
			       t.z[iEnd] != ';' && strncmp(t.z + iEnd, " - ", 3) != 0) {
				iEnd++;
			}
			while (iEnd > iText && (t.z[iEnd - 1] == ' ' || t.z[iEnd - 1] == '.')) iEnd--;
			if (iEnd - iText >= 3 && iEnd - iText <= MAX_LABEL) {
				int v = t.z[iDigit] - '0';
				free(pScale->azLabel[v]);
				pScale->azLabel[v] = xstrndup(t.z + iText, iEnd - iText);
			}
		}
		if (i + nLine >= t.n) break;
	}
	for (int v = 1; v <= 5; v++) {
		if (pScale->azLabel[v]) pScale->nLabel++;
	}
	if (pScale->nLabel < 2) { /* one numbered line is not a scale */
		for (int v = 1; v <= 5; v++) {
			free(pScale->azLabel[v]);
			pScale->azLabel[v] = NULL;
		}
		pScale->nLabel = 0;
	}
	norm_free(&t);
}

/* Free the labels of a Scale. */
static void scale_free(Scale *pScale)
{
	for (int v = 1; v <= 5; v++) free(pScale->azLabel[v]);
}

/* True when occurrence o of another code strictly contains occurrence m. */
static int label_contains(const Match *o, const Match *m)
{
	return o->aCode[0] != m->aCode[0] && o->iStart <= m->iStart && o->iEnd >= m->iEnd &&
	       (o->iEnd - o->iStart) > (m->iEnd - m->iStart);
}

/* Occurrences of the scale labels in the response, minus those inside a longer label's. */
static void find_scale_labels(const NormText *t, const Scale *pScale, MatchList *pList)
{
	int nBefore = pList->n;
	for (int v = 1; v <= 5; v++) {
		const char *zLabel = pScale->azLabel[v];
		if (zLabel == NULL) continue;
		size_t n = strlen(zLabel);
		for (const char *p = strstr(t->z, zLabel); p; p = strstr(p + 1, zLabel)) {
			size_t i = (size_t)(p - t->z);
			if (!word_start(t->z, i) || is_alnum(t->z[i + n])) continue;
			CodeNumber num = {{v, 0}, 1, i + n, 0};
			match_add(pList, 0, DECISION_RULE_SCALE, &num, i, i + n);
		}
	}
	/*
	 * Drop an occurrence lying inside another code's longer occurrence. After
	 * sorting by start, a container starts at most MAX_LABEL bytes earlier or
	 * at the same offset, so each check looks at a few neighbours only.
	 */
	Match *a = pList->a + nBefore;
	int n = pList->n - nBefore;
	matches_sort(a, n);
	char *aDrop = xcalloc((size_t)n + 1, 1);
	for (int k = 0; k < n; k++) {
		for (int b = k - 1; b >= 0 && a[b].iStart + MAX_LABEL >= a[k].iStart && !aDrop[k]; b--) {
			aDrop[k] = label_contains(&a[b], &a[k]);
		}
		for (int b = k + 1; b < n && a[b].iStart == a[k].iStart && !aDrop[k]; b++) {
			aDrop[k] = label_contains(&a[b], &a[k]);
		}
	}
	int nKeep = 0;
	for (int k = 0; k < n; k++) {
		if (!aDrop[k]) a[nKeep++] = a[k];
	}
	pList->n = nBefore + nKeep;
	free(aDrop);
}

/* A lone number on the first or last non-empty line. */
static void find_lone_number(const NormText *t, MatchList *pList)
{
	size_t iFirst = (size_t)-1, iLast = (size_t)-1;
	for (size_t i = 0; i < t->n; i += line_length(t->z, i) + 1) {
		size_t n = line_length(t->z, i);
		size_t k = i;
		while (k < i + n && (t->z[k] == ' ')) k++;
		if (k < i + n) {
			if (iFirst == (size_t)-1) iFirst = i;
			iLast = i;
		}
		if (i + n >= t->n) break;
	}
	if (iFirst == (size_t)-1) return;
	size_t aLine[2] = {iFirst, iLast};
	for (int k = 0; k < (iFirst == iLast ? 1 : 2); k++) {
		size_t i = aLine[k];
		size_t iDigit = bare_number_in(t->z, i, i + line_length(t->z, i));
		if (iDigit == (size_t)-1) continue;
		CodeNumber num = {{t->z[iDigit] - '0', 0}, 1, iDigit + 1, 0};
		match_add(pList, 0, DECISION_RULE_LONE, &num, iDigit, iDigit + 1);
	}
}

/* True when the response contains a refusal phrase; *piAt gets its offset. */
static int find_refusal(const NormText *t, size_t *piAt, size_t *piEnd)
{
	static const char *const azPhrase[] = {
		"i can't help with", "i cannot help", "i can't help", "i won't choose",
		"i will not choose", "i'm not able to", "i am not able to", "i'm unable to",
		"i am unable to", "i will not provide a rating", "i won't provide a rating",
		"i can't provide a rating", "i cannot provide a rating", "i can't provide a number",
		"i won't provide a number", "as an ai", "i don't have personal", "i do not have personal",
		"i can't choose", "i cannot choose", "i won't pick", "i can't pick", "i won't assign",
		"i can't assign", "i cannot assign", "i'd rather not", "i would rather not",
		"i prefer not to", "i'd prefer not to", "i must decline", "i'd decline", "i decline", "i'm going to decline",
		"i'm not comfortable", "i am not comfortable", "i won't take a side", "i won't take sides",
		"i can't take a side", "i can't take sides", "i don't think it's appropriate for me",
		"not appropriate for me to", "i won't give a rating", "i can't give a rating",
		"i cannot give a rating", "i won't be choosing", "i will not rate", "i won't rate",
		"i can't rate", "i cannot rate",
	};
	for (size_t k = 0; k < ARRAY_SIZE(azPhrase); k++) {
		const char *p = strstr(t->z, azPhrase[k]);
		if (p && word_start(t->z, (size_t)(p - t->z))) {
			*piAt = (size_t)(p - t->z);
			*piEnd = *piAt + strlen(azPhrase[k]);
			return 1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- excerpt */

/* Back up to the first byte of a UTF-8 character. */
static size_t utf8_floor(const char *z, size_t i, size_t iMin)
{
	while (i > iMin && ((unsigned char)z[i] & 0xC0) == 0x80) i--;
	return i;
}

/*
 * Append the original line around [iStart, iEnd) to p->zExcerpt, after " | "
 * when it already holds something, keeping it within DECISION_EXCERPT_MAX
 * bytes and whole UTF-8 characters; newlines inside become spaces.
 */
static void excerpt_append(Decision *p, const char *zOrig, size_t iStart, size_t iEnd)
{
	size_t nOrig = strlen(zOrig);
	size_t ls = iStart, le = iEnd;
	while (ls > 0 && zOrig[ls - 1] != '\n') ls--;
	while (le < nOrig && zOrig[le] != '\n') le++;
	while (ls < le && (zOrig[ls] == ' ' || zOrig[ls] == '\t')) ls++;
	while (le > ls && (zOrig[le - 1] == ' ' || zOrig[le - 1] == '\r' || zOrig[le - 1] == '\t')) le--;
	size_t nHave = strlen(p->zExcerpt);
	if (nHave > 0) {
		if (nHave + 3 + 8 > DECISION_EXCERPT_MAX) return;
		memcpy(p->zExcerpt + nHave, " | ", 3);
		nHave += 3;
	}
	size_t nRoom = DECISION_EXCERPT_MAX - nHave;
	if (le - ls > nRoom) {
		size_t ws = iStart > ls + 40 ? iStart - 40 : ls;
		if (ws > ls) { /* start at a word: skip the partial one unless it holds the match */
			size_t w = ws;
			while (w < iStart && zOrig[w - 1] != ' ') w++;
			ws = w;
		}
		ls = utf8_floor(zOrig, ws, ls);
		if (le - ls > nRoom) le = utf8_floor(zOrig, ls + nRoom, ls);
	}
	for (size_t i = ls; i < le; i++) {
		char c = zOrig[i];
		p->zExcerpt[nHave++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
	}
	p->zExcerpt[nHave] = 0;
}

/* True when original offsets i <= j lie on the same line. */
static int same_line(const char *zOrig, size_t i, size_t j)
{
	return memchr(zOrig + i, '\n', j - i) == NULL;
}

/* Excerpt of a match given in normalised offsets. */
static void excerpt_match(Decision *p, const char *zOrig, const NormText *t, const Match *m)
{
	size_t iEnd = m->iEnd > 0 ? t->aOrig[m->iEnd - 1] + 1 : 0;
	excerpt_append(p, zOrig, t->aOrig[m->iStart], iEnd);
}

/* ---------------------------------------------------------------- decide */

/* True when a revision cue lies in normalised z[iFrom, iTo). */
static int revision_between(const char *z, size_t iFrom, size_t iTo)
{
	static const char *const azCue[] = {
		"actually", "on reflection", "upon reflection", "on second thought", "on further reflection",
		"revise", "revising", "revised", "change my", "changing my", "changed my", "correction",
		"reconsider", "reconsidering", "wait", "instead", "let me correct", "i mean", "scratch that",
		"thinking about it more", "after further thought",
	};
	for (size_t k = 0; k < ARRAY_SIZE(azCue); k++) {
		if (phrase_in_range(z, iFrom, iTo, azCue[k])) return 1;
	}
	return 0;
}

/* True when match m carries code v. */
static int match_has(const Match *m, int v)
{
	return m->aCode[0] == v || (m->nCode == 2 && m->aCode[1] == v);
}

/* Set *p to a decision for value v found by rule zRule. */
static void decision_set_value(Decision *p, int v, DecisionClass cls, const char *zRule)
{
	p->kind = DECISION_VALUE;
	p->value = v;
	p->cls = cls;
	p->zRule = zRule;
}

/* Set *p to unknown / ambiguous. */
static void decision_set_ambiguous(Decision *p)
{
	p->kind = DECISION_UNKNOWN;
	p->value = 0;
	p->cls = DECISION_CLASS_AMBIGUOUS;
	p->zRule = DECISION_RULE_AMBIGUOUS;
}

/*
 * Decide among matches a[0..n) (already restricted to one stage and tier):
 * agreement gives the code, a revision cue before the last statement gives
 * the last one, anything else is ambiguous. Fills *p including the excerpt.
 */
static void decide_among(Decision *p, const char *zOrig, const NormText *t, const Match *a, int n,
			 DecisionClass cls)
{
	const Match *pLast = &a[n - 1];
	int v = a[0].aCode[0];
	int agree = 1;
	for (int k = 0; k < n && agree; k++) {
		if (a[k].nCode != 1 || a[k].aCode[0] != v) agree = 0;
	}
	if (agree) {
		decision_set_value(p, v, cls, pLast->zRule);
		excerpt_match(p, zOrig, t, pLast);
		return;
	}
	if (pLast->nCode == 1) {
		int k = n - 2;
		while (k >= 0 && a[k].nCode == 1 && a[k].aCode[0] == pLast->aCode[0]) k--;
		if (k >= 0 && revision_between(t->z, a[k].iEnd, pLast->iStart)) {
			decision_set_value(p, pLast->aCode[0], cls, pLast->zRule);
			excerpt_match(p, zOrig, t, pLast);
			return;
		}
	}
	decision_set_ambiguous(p);
	/* Excerpt: the first statement, then the first that disagrees with it. */
	excerpt_match(p, zOrig, t, &a[0]);
	for (int k = 1; k < n; k++) {
		if (a[k].nCode != a[0].nCode || !match_has(&a[0], a[k].aCode[0]) ||
		    (a[k].nCode == 2 && !match_has(&a[0], a[k].aCode[1]))) {
			if (!same_line(zOrig, t->aOrig[a[0].iStart], t->aOrig[a[k].iStart])) {
				excerpt_match(p, zOrig, t, &a[k]);
			}
			break;
		}
	}
}

/* qsort order: position, then order of discovery. */
static int match_cmp(const void *pA, const void *pB)
{
	const Match *a = pA, *b = pB;
	if (a->iStart != b->iStart) return a->iStart < b->iStart ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sort matches by position, stably. */
static void matches_sort(Match *a, int n)
{
	if (n > 1) qsort(a, (size_t)n, sizeof(Match), match_cmp);
}

/* See decision.h. */
void decision_extract(const char *zPrompt, const char *zResponse, Decision *pOut)
{
	NormText t;
	Scale scale;
	MatchList list = {NULL, 0, 0};
	size_t iRefusal = 0, iRefusalEnd = 0;

	if (zPrompt == NULL) zPrompt = "";
	if (zResponse == NULL) zResponse = "";
	memset(pOut, 0, sizeof *pOut);
	pOut->kind = DECISION_UNKNOWN;
	pOut->cls = DECISION_CLASS_NONE;
	pOut->zRule = DECISION_RULE_NONE;
	norm_build(&t, zResponse);
	scale_parse(zPrompt, &scale);

	/* Stage 1: explicit statements, strongest tier only. */
	find_labelled(&t, &list);
	find_choices(&t, &list);
	find_just_number(&t, &list);
	find_out_of_five(&t, &list);
	find_number_with_label(&t, &scale, &list);
	find_bold(zResponse, &t, &list); /* after: on a tie of position, the last rule is reported */
	if (list.n > 0) {
		int topTier = 0, nTop = 0;
		for (int k = 0; k < list.n; k++) {
			if (list.a[k].tier > topTier) topTier = list.a[k].tier;
		}
		for (int k = 0; k < list.n; k++) {
			if (list.a[k].tier == topTier) list.a[nTop++] = list.a[k];
		}
		matches_sort(list.a, nTop);
		decide_among(pOut, zResponse, &t, list.a, nTop, DECISION_CLASS_EXACT);
		goto out;
	}

	/* Stages 2 and 3: scale labels, then a lone number on the first or last line. */
	int hasRefusal = find_refusal(&t, &iRefusal, &iRefusalEnd);
	find_scale_labels(&t, &scale, &list);
	if (list.n == 0) find_lone_number(&t, &list);
	if (list.n > 0) {
		matches_sort(list.a, list.n);
		decide_among(pOut, zResponse, &t, list.a, list.n, DECISION_CLASS_FALLBACK);
		if (pOut->cls != DECISION_CLASS_AMBIGUOUS || !hasRefusal) goto out;
		pOut->zExcerpt[0] = 0;
	}

	/* Stage 4: refusal phrases. */
	if (hasRefusal) {
		pOut->kind = DECISION_REFUSAL;
		pOut->value = 0;
		pOut->cls = DECISION_CLASS_EXACT;
		pOut->zRule = DECISION_RULE_REFUSAL;
		Match m = {0, DECISION_RULE_REFUSAL, {0, 0}, 1, iRefusal, iRefusalEnd, 0};
		excerpt_match(pOut, zResponse, &t, &m);
	}

out:
	free(list.a);
	scale_free(&scale);
	norm_free(&t);
}

/* ------------------------------------------------------------ conversions */

/* See decision.h. */
const char *decision_code_text(const Decision *p)
{
	static const char *const azCode[] = {"1", "2", "3", "4", "5"};
	if (p->kind == DECISION_REFUSAL) return "refusal";
	if (p->kind == DECISION_VALUE && p->value >= 1 && p->value <= 5) return azCode[p->value - 1];
	return "unknown";
}

/* See decision.h. */
const char *decision_class_name(DecisionClass cls)
{
	switch (cls) {
	case DECISION_CLASS_EXACT: return "exact";
	case DECISION_CLASS_FALLBACK: return "fallback";
	case DECISION_CLASS_AMBIGUOUS: return "ambiguous";
	case DECISION_CLASS_NONE: break;
	}
	return "none";
}

/* See decision.h. */
int decision_code_parse(const char *zCode, DecisionKind *pKind, int *pValue)
{
	*pKind = DECISION_UNKNOWN;
	*pValue = 0;
	if (zCode == NULL) return -1;
	if (is_code_digit(zCode[0]) && zCode[1] == 0) {
		*pKind = DECISION_VALUE;
		*pValue = zCode[0] - '0';
		return 0;
	}
	if (strcmp(zCode, "refusal") == 0) {
		*pKind = DECISION_REFUSAL;
		return 0;
	}
	return strcmp(zCode, "unknown") == 0 ? 0 : -1;
}

/* See decision.h. */
int decision_class_parse(const char *zName, DecisionClass *pCls)
{
	static const DecisionClass aCls[] = {DECISION_CLASS_NONE, DECISION_CLASS_EXACT,
					     DECISION_CLASS_FALLBACK, DECISION_CLASS_AMBIGUOUS};
	*pCls = DECISION_CLASS_NONE;
	if (zName == NULL) return -1;
	for (size_t k = 0; k < ARRAY_SIZE(aCls); k++) {
		if (strcmp(zName, decision_class_name(aCls[k])) == 0) {
			*pCls = aCls[k];
			return 0;
		}
	}
	return -1;
}

/* See decision.h. */
json_t *decision_to_json(const Decision *p)
{
	json_t *pValue = p->kind == DECISION_VALUE ? json_integer(p->value) : json_null();
	return json_pack("{s:s, s:o, s:s, s:s, s:s}", "code", decision_code_text(p), "value", pValue,
			 "class", decision_class_name(p->cls), "rule", p->zRule ? p->zRule : DECISION_RULE_NONE,
			 "excerpt", p->zExcerpt);
}
