/* app.c — web application start-up and the per-request pipeline around web_handle(). */
#include "web/app.h"
#include "web/render.h"
#include "web/template.h"
#include "providers/models.h"
#include "lib/log.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

int app_load_shared(App *pApp, Config *pConfig, char *zErr, size_t nErr)
{
	memset(pApp, 0, sizeof(*pApp));
	pApp->pConfig = pConfig;
	pApp->pTemplates = tpl_set_new();
	if (tpl_set_load_dir(pApp->pTemplates, pConfig->zTemplates, zErr, nErr) ||
	    tpl_set_check_partials(pApp->pTemplates, zErr, nErr))
		return -1;
	{
		char zModelsErr[512];
		pApp->pCatalog = models_load(pConfig->zModels, zModelsErr, sizeof(zModelsErr));
		if (!pApp->pCatalog) {
			/* The site still serves; pages that need models show this message. */
			pApp->zCatalogError = xstrdup(zModelsErr);
			log_event(LOG_ERROR, "models catalogue not loaded", "error=\"%s\"", zModelsErr);
		}
	}
	return 0;
}

int app_open_db(App *pApp, char *zErr, size_t nErr)
{
	pApp->db = db_open(pApp->pConfig->zDatabase, zErr, nErr);
	if (!pApp->db)
		return -1;
	if (db_schema_check(pApp->db, zErr, nErr)) {
		db_close(pApp->db);
		pApp->db = NULL;
		return -1;
	}
	return 0;
}

void app_free(App *pApp)
{
	db_close(pApp->db);
	tpl_set_free(pApp->pTemplates);
	models_free(pApp->pCatalog);
	free(pApp->zCatalogError);
	memset(pApp, 0, sizeof(*pApp));
}

void app_serve(const App *pApp, const RequestInput *in, Response *p)
{
	Request r;
	char zErr[256];
	int status;
	memset(&r, 0, sizeof(r));
	status = request_parse(&r, in, zErr, sizeof(zErr));
	r.pApp = pApp;
	r.db = pApp->db;
	if (status) {
		/* Malformed input: a readable page, nothing touched. */
		web_error(&r, p, status, zErr);
		response_security_headers(p);
	} else {
		web_handle(pApp, &r, p);
	}
	if (pApp->db && db_check_idle(pApp->db, zErr, sizeof(zErr))) {
		log_event(LOG_ERROR, "database left busy at end of request", "path=%s problem=\"%s\"",
			  r.zPath ? r.zPath : "?", zErr);
	}
	{
		char zPath[300];
		log_quote(zPath, sizeof(zPath), r.zPath ? r.zPath : (in->zRequestUri ? in->zRequestUri : ""));
		log_event(LOG_INFO, "request", "method=%s path=%s status=%d duration_ms=%lld user=%s",
			  r.zMethod[0] ? r.zMethod : "?", zPath, p->status,
			  (long long)(time_mono_ms() - r.startMs), r.hasUser ? r.user.zEmail : "-");
	}
	request_free(&r);
}
