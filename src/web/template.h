/* template.h — mustache templates over jansson values: parsed once, rendered many times. */
#ifndef VR_TEMPLATE_H
#define VR_TEMPLATE_H

#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"

/*
 * The engine follows the mustache specification's required modules
 * (interpolation, sections, inverted, comments, partials, delimiters);
 * lambdas are not supported. Choices where the specification is silent:
 *   - Falsey values: missing names, null, false, the empty list and the
 *     empty string. Every number (0 included) is truthy, so a view model
 *     passes a boolean for a condition.
 *   - Numbers render as integers without decimals, reals in their shortest
 *     round-tripping form (1.5, 1.21, 2); true and false render as "true"
 *     and "false"; objects and lists render as nothing.
 *   - Tag names may not contain whitespace or any of { } # ^ / ! > & = ;
 *     a name that breaks this is a parse error, not a silent empty output.
 *   - Sections nest at most TPL_MAX_NESTING deep in one template; partials
 *     nest at most TPL_MAX_PARTIAL_DEPTH deep and sections plus partials at
 *     most TPL_MAX_RENDER_DEPTH deep while rendering.
 */
#define TPL_MAX_NESTING 100
#define TPL_MAX_PARTIAL_DEPTH 64
#define TPL_MAX_RENDER_DEPTH 256

/* A named collection of parsed templates; partials are looked up in it. */
typedef struct TplSet TplSet;

/* Create an empty set. The caller frees it with tpl_set_free(). */
TplSet *tpl_set_new(void);

/* Free the set and every template in it. NULL is allowed. */
void tpl_set_free(TplSet *pSet);

/*
 * Parse zSource and store it under zName (which the set copies).
 * Returns 0, or -1 with a message in zErr such as
 * "template 'run' line 12: section 'jobs' is never closed" when the
 * source is malformed, the name is empty or already taken; on error the
 * set is unchanged.
 */
int tpl_set_add(TplSet *pSet, const char *zName, const char *zSource, char *zErr, size_t nErr);

/*
 * Parse every regular file zDir/NAME.mustache (not hidden, not in
 * subfolders) and store it under NAME. Returns 0, or -1 with a message
 * naming the file on the first failure (templates loaded before the
 * failure stay in the set; the caller frees the set).
 */
int tpl_set_load_dir(TplSet *pSet, const char *zDir, char *zErr, size_t nErr);

/*
 * Check that every partial referenced by a template in the set exists.
 * Rendering treats a missing partial as empty (as the specification
 * requires); call this once at start-up to catch a misspelt name.
 * Returns 0, or -1 with a message naming the template and the partial.
 */
int tpl_set_check_partials(const TplSet *pSet, char *zErr, size_t nErr);

/*
 * Render template zName with pCtx (any JSON value; NULL means an empty
 * context) as the root of the context stack, appending to pOut. Returns 0,
 * or -1 with a message for an unknown template name or nesting deeper than
 * the limits above; on -1, pOut may hold partial output that the caller
 * discards. pCtx is only read.
 */
int tpl_render(const TplSet *pSet, const char *zName, json_t *pCtx, Buf *pOut, char *zErr,
	       size_t nErr);

#endif
