/* render.h — turn a view model into HTML through a template, or into JSON for the API. */
#ifndef VR_RENDER_H
#define VR_RENDER_H

#include "web/web.h"

/*
 * Render pView (reference stolen) as the page zTemplate, adding the fields
 * every page uses: title, user, csrf_token, nav flags, banner. For API
 * requests the view model itself is sent as JSON. Sets status 200 unless
 * the handler already set another.
 */
void web_render(Request *r, Response *p, const char *zTemplate, const char *zTitle, json_t *pView);
/* Send pView (reference stolen) as JSON with the given status. */
void web_json(Response *p, int status, json_t *pView);
/* An error page in the site's layout (or a JSON error for the API). */
void web_error(Request *r, Response *p, int status, const char *zMessage);
/* A short "flash" message carried in the redirect URL is not used; pages say what happened. */

/* Helpers for view models. */
json_t *json_str_or_null(const char *z);

#endif
