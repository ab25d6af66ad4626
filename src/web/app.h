/* app.h — start-up of the web application: configuration, database, templates, models. */
#ifndef VR_APP_H
#define VR_APP_H

#include "web/web.h"

/*
 * Load what every worker shares and that does not depend on a database
 * connection: templates and the model catalogue. Returns 0, or -1 with a
 * message naming the file and problem.
 */
int app_load_shared(App *pApp, Config *pConfig, char *zErr, size_t nErr);
/* Open this worker's database connection and check its schema. 0 or -1. */
int app_open_db(App *pApp, char *zErr, size_t nErr);
void app_free(App *pApp);

/*
 * Handle one request from raw input to a complete response (parse, route,
 * log). The caller has run response_init(p) and set the streaming writer.
 */
void app_serve(const App *pApp, const RequestInput *in, Response *p);

#endif
