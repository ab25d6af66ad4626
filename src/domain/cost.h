/* cost.h — token cost in US dollars, token estimates and word counts (pure functions). */
#ifndef VR_DOMAIN_COST_H
#define VR_DOMAIN_COST_H

#include <stddef.h>
#include <stdint.h>

/*
 * "Price unknown" is a value, not zero: a model without a price in
 * etc/models.json has price COST_PRICE_UNKNOWN, and any cost computed from an
 * unknown price (or from unknown token counts) is COST_UNKNOWN. Both are
 * negative, so a real cost (always >= 0) can never be mistaken for one.
 */
#define COST_PRICE_UNKNOWN (-1.0)
#define COST_UNKNOWN (-1.0)

/* Output tokens assumed per job when a model has no past transcripts. */
#define COST_DEFAULT_OUTPUT_TOKENS 500

/*
 * Cost in USD of inTokens input and outTokens output tokens at priceIn and
 * priceOut dollars per million tokens:
 *     inTokens * priceIn / 1e6 + outTokens * priceOut / 1e6.
 * Returns COST_UNKNOWN when either price is negative (unknown) or not finite,
 * or when either token count is negative (missing).
 */
double cost_usd(int64_t inTokens, int64_t outTokens, double priceIn, double priceOut);

/* 1 when c is a real cost (finite and >= 0), 0 when it means "unknown". */
int cost_is_known(double c);

/*
 * Format a cost for display into zOut (n bytes): "$0.0123" style with four
 * decimals ("$0.0000" only for a real zero, "<$0.0001" for tiny positive
 * costs) and "price unknown" for COST_UNKNOWN. Never prints "$0" for unknown.
 */
void cost_format(char *zOut, size_t n, double c);

/*
 * Number of words in zText: maximal runs of bytes that are not ASCII
 * whitespace (space, TAB, LF, CR, VT, FF). NULL counts as 0 words.
 */
int64_t text_word_count(const char *zText);

/*
 * Estimated tokens of zText: its length in characters (UTF-8 code points,
 * so "é" counts once) divided by 4, rounded up. NULL or "" gives 0.
 */
int64_t estimate_tokens(const char *zText);

#endif
