/* settings_actions.c — the POSTs of /settings: Check now, Test run and the tenant's webhook URL. */
#include "web/pages/dashboard.h"
#include "web/auth.h"
#include "web/render.h"
#include "store/health.h"
#include "store/jobs.h"
#include "store/notifications.h"
#include "providers/models.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEBHOOK_URL_MAX 2000

void page_settings_check(Request *r, Response *p)
{
	const ModelCatalog *pCat = r->pApp->pCatalog;
	const char *zProvider = param_get(&r->form, "provider");
	int i;
	if (!pCat) {
		p->status = 503;
		settings_render(r, p, "The models catalogue is not loaded, so there is nothing to check.", NULL);
		return;
	}
	if (zProvider && *zProvider && !models_provider(pCat, zProvider)) {
		p->status = 400;
		settings_render(r, p, "There is no such provider in models.json.", NULL);
		return;
	}
	for (i = 0; i < pCat->nProvider; i++) {
		if (zProvider && *zProvider && strcmp(zProvider, pCat->aProvider[i].zId) != 0)
			continue;
		if (store_provider_request_check(r->db, pCat->aProvider[i].zId) != DB_OK) {
			web_error(r, p, 500, "Could not record the request for a check.");
			return;
		}
	}
	response_redirect(p, "/settings?done=check");
}

void page_settings_test_run(Request *r, Response *p)
{
	const char *zDef = param_get(&r->form, "definition_id");
	const char *zModel = param_get(&r->form, "model");
	const char *zTrigger = param_get(&r->form, "trigger_id");
	const ModelConf *pModel = NULL;
	const char *zVersion = NULL;
	RunCreateSpec spec;
	RunModel model;
	int64_t defId = 0, runId = 0;
	char zErr[300], zName[300], zRandom[33], zDetails[400];
	DbRc rc;
	if (!zDef || parse_int64(zDef, 1, INT64_MAX, &defId)) {
		p->status = 400;
		settings_render(r, p, "Choose a definition for the test run.", NULL);
		return;
	}
	if (!r->pApp->pCatalog || !zModel ||
	    models_resolve_ref(r->pApp->pCatalog, zModel, &pModel, &zVersion, zErr, sizeof(zErr))) {
		p->status = 400;
		settings_render(r, p, r->pApp->pCatalog && zModel ? zErr : "Choose a model for the test run.", NULL);
		return;
	}
	if (!zTrigger || !*zTrigger) {
		if (random_hex(zRandom, 16)) {
			web_error(r, p, 500, "Could not make a trigger id.");
			return;
		}
		zTrigger = zRandom;
	}
	memset(&spec, 0, sizeof(spec));
	model.zProvider = pModel->pProvider->zId;
	model.zModel = pModel->zId;
	model.zVersion = zVersion;
	snprintf(zName, sizeof(zName), "Test run %s:%s", model.zProvider, model.zModel);
	spec.tenantId = r->user.tenantId;
	spec.definitionId = defId;
	spec.aModel = &model;
	spec.nModel = 1;
	spec.samplePct = 1;
	spec.samples = 1;
	spec.cache = 0;
	spec.zName = zName;
	spec.zTriggerId = zTrigger;
	spec.zTriggerSource = "test_run";
	spec.createdBy = r->user.id;
	rc = store_test_run_create(r->db, &spec, &runId, zErr, sizeof(zErr));
	if (rc == DB_NOTFOUND) {
		p->status = 404;
		settings_render(r, p, "There is no such definition.", NULL);
		return;
	}
	if (rc != DB_OK) {
		p->status = rc == DB_CONFLICT ? 400 : 500;
		settings_render(r, p, zErr, NULL);
		return;
	}
	{
		json_t *pDetails = json_pack("{s:s, s:s, s:s, s:s, s:I}", "trigger_id", zTrigger, "source",
					     "test_run", "model", zModel, "version", zVersion, "definition_id",
					     (json_int_t)defId);
		char *z = json_dumps(pDetails, JSON_COMPACT);
		str_copy(zDetails, sizeof(zDetails), z ? z : "{}");
		free(z);
		json_decref(pDetails);
	}
	auth_audit(r, "run.start", "run", runId, zDetails);
	response_redirect(p, "/settings?done=test#test-run");
}

/* 0 when zUrl is an absolute http(s) URL with a host and no spaces or control characters. */
static int webhook_url_ok(const char *zUrl)
{
	const char *zHost, *z;
	if (strlen(zUrl) > WEBHOOK_URL_MAX)
		return -1;
	if (str_starts_with(zUrl, "https://"))
		zHost = zUrl + 8;
	else if (str_starts_with(zUrl, "http://"))
		zHost = zUrl + 7;
	else
		return -1;
	if (*zHost == 0 || *zHost == '/' || *zHost == ':' || *zHost == '?' || *zHost == '#')
		return -1;
	for (z = zUrl; *z; z++)
		if ((unsigned char)*z <= ' ' || *z == 0x7f)
			return -1;
	return 0;
}

void page_settings_webhook(Request *r, Response *p)
{
	const char *zUrl = param_get(&r->form, "webhook_url");
	json_t *pDetails;
	char *zDetails;
	if (zUrl && *zUrl && webhook_url_ok(zUrl)) {
		p->status = 400;
		settings_render(r, p, "The webhook URL must be an http:// or https:// address with a host, "
				      "without spaces, at most 2000 characters. Leave it empty to turn the webhook off.",
				NULL);
		return;
	}
	if (store_tenant_set_webhook(r->db, r->user.tenantId, zUrl) != DB_OK) {
		web_error(r, p, 500, "Could not save the webhook URL.");
		return;
	}
	pDetails = json_pack("{s:s?}", "url", zUrl && *zUrl ? zUrl : NULL);
	zDetails = json_dumps(pDetails, JSON_COMPACT);
	auth_audit(r, zUrl && *zUrl ? "tenant.webhook.set" : "tenant.webhook.clear", "tenant",
		   r->user.tenantId, zDetails);
	free(zDetails);
	json_decref(pDetails);
	response_redirect(p, "/settings?done=webhook");
}
