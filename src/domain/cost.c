/* cost.c — dollar cost of tokens, token estimates and word counts for runs and the advisor. */
#include "domain/cost.h"

#include <math.h>
#include <stdio.h>

/* See cost.h. Pure arithmetic; a missing input yields COST_UNKNOWN, never 0. */
double cost_usd(int64_t inTokens, int64_t outTokens, double priceIn, double priceOut)
{
	if (inTokens < 0 || outTokens < 0) return COST_UNKNOWN;
	if (!isfinite(priceIn) || !isfinite(priceOut)) return COST_UNKNOWN;
	if (priceIn < 0 || priceOut < 0) return COST_UNKNOWN;
	return (double)inTokens * priceIn / 1e6 + (double)outTokens * priceOut / 1e6;
}

/* See cost.h. */
int cost_is_known(double c)
{
	return isfinite(c) && c >= 0;
}

/* See cost.h. Writes at most n bytes including the terminator. */
void cost_format(char *zOut, size_t n, double c)
{
	if (n == 0) return;
	if (!cost_is_known(c)) {
		snprintf(zOut, n, "price unknown");
	} else if (c > 0 && c < 0.00005) {
		snprintf(zOut, n, "<$0.0001");
	} else {
		snprintf(zOut, n, "$%.4f", c);
	}
}

/* True for the ASCII whitespace bytes that separate words. */
static int is_word_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* See cost.h. */
int64_t text_word_count(const char *zText)
{
	int64_t nWord = 0;
	int inWord = 0;
	if (zText == NULL) return 0;
	for (const unsigned char *p = (const unsigned char *)zText; *p; p++) {
		if (is_word_space(*p)) {
			inWord = 0;
		} else if (!inWord) {
			inWord = 1;
			nWord++;
		}
	}
	return nWord;
}

/* See cost.h. UTF-8 continuation bytes (10xxxxxx) do not start a character. */
int64_t estimate_tokens(const char *zText)
{
	int64_t nChar = 0;
	if (zText == NULL) return 0;
	for (const unsigned char *p = (const unsigned char *)zText; *p; p++) {
		if ((*p & 0xC0) != 0x80) nChar++;
	}
	return (nChar + 3) / 4;
}
