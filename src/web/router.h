/* router.h — the one route table: method, path pattern, handler, minimum role. */
#ifndef VR_ROUTER_H
#define VR_ROUTER_H

#include "web/web.h"

typedef void (*PageFn)(Request *r, Response *p);

typedef struct Route {
	const char *zMethod;  /* "GET" or "POST" (GET also answers HEAD) */
	const char *zPattern; /* literal segments; '#' matches a positive integer id */
	PageFn xHandler;
	const char *zMinRole; /* NULL: public; else viewer | researcher | admin | superadmin */
} Route;

/*
 * Match zPath against zPattern, storing numeric arguments in aId. Returns 1
 * on a match. Exposed for the unit tests.
 */
int route_match(const char *zPattern, const char *zPath, int64_t *aId, int *pnId);

#endif
