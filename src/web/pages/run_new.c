/* run_new.c — start a run: the form (/runs/new, /runs/ID/rerun), the advisor check, and the explicit start. */
#include "web/pages/runs_pages.h"
#include "web/pages/run_form.h"
#include "web/auth.h"
#include "web/render.h"
#include "providers/models.h"
#include "store/definitions.h"
#include "store/runs.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Give the form a fresh one-time trigger id when it has none. 0, or -1 after answering 500. */
static int ensure_trigger_id(Request *r, Response *p, RunForm *f)
{
	if (f->zTriggerId[0])
		return 0;
	if (random_hex(f->zTriggerId, 16)) {
		web_error(r, p, 500, "Could not generate a trigger id for the form.");
		return -1;
	}
	return 0;
}

/* Render the run form page with status (0 = 200). Steals pAdvisor. */
static void render_form(Request *r, Response *p, const RunForm *f, const json_t *pDef, json_t *pAdvisor,
			int showAdvisor, int status)
{
	json_t *pView = run_form_view(r, f, pDef, pAdvisor, showAdvisor);
	if (status)
		p->status = status;
	web_render(r, p, "run_new", f->parentRunId ? "Re-run" : "Start a run", pView);
	json_decref(pAdvisor);
}

/* The tenant's live definition defId, or NULL after answering 404. Caller decrefs. */
static json_t *load_definition(Request *r, Response *p, int64_t defId)
{
	json_t *pDef = defId > 0 ? store_definition_get(r->db, r->user.tenantId, defId) : NULL;
	if (!pDef)
		web_error(r, p, 404, "There is no such definition (it may have been deleted).");
	return pDef;
}

/* Parse the request's form or JSON body into f. 0, or -1 (f->zError says why). */
static int parse_request(Request *r, RunForm *f)
{
	if (r->zContentType && !strncasecmp(r->zContentType, "application/json", 16)) {
		json_t *pBody = r->pBody ? json_loads(r->pBody, 0, NULL) : NULL;
		int rc = run_form_from_json(f, pBody);
		if (!pBody)
			str_copy(f->zError, sizeof(f->zError), "The body must be a JSON object.");
		json_decref(pBody);
		return pBody ? rc : -1;
	}
	return run_form_from_params(f, &r->form);
}

/* Drop a parent run id that is not one of the tenant's runs (it would link to nothing). */
static void check_parent(Request *r, RunForm *f)
{
	json_t *pParent;
	if (!f->parentRunId)
		return;
	pParent = store_run_get(r->db, r->user.tenantId, f->parentRunId);
	if (!pParent) {
		f->parentRunId = 0;
		if (!f->zError[0])
			str_copy(f->zError, sizeof(f->zError), "The parent run does not exist.");
	}
	json_decref(pParent);
}

void page_run_new(Request *r, Response *p)
{
	const char *zDef = param_get(&r->query, "definition");
	int64_t defId = 0;
	RunForm f;
	json_t *pDef;
	if (!zDef || parse_int64(zDef, 1, INT64_MAX, &defId)) {
		web_error(r, p, 400, "Choose a definition first: open it under Definitions and press Start run.");
		return;
	}
	if (!(pDef = load_definition(r, p, defId)))
		return;
	run_form_defaults(&f, defId);
	run_form_default_name(r, f.zName, sizeof(f.zName));
	if (ensure_trigger_id(r, p, &f) == 0)
		render_form(r, p, &f, pDef, run_form_advisor(r, &f, pDef), 0, 0);
	run_form_free(&f);
	json_decref(pDef);
}

void page_run_rerun(Request *r, Response *p)
{
	json_t *pRun = run_load(r, p, r->aId[0]), *pDef;
	RunForm f;
	if (!pRun)
		return;
	pDef = store_definition_get(r->db, r->user.tenantId,
				    json_integer_value(json_object_get(pRun, "definition_id")));
	if (!pDef) {
		web_error(r, p, 409, "This run's definition was deleted, so the run cannot be repeated.");
		json_decref(pRun);
		return;
	}
	run_form_from_run(&f, pRun);
	run_form_default_name(r, f.zName, sizeof(f.zName));
	if (ensure_trigger_id(r, p, &f) == 0)
		render_form(r, p, &f, pDef, run_form_advisor(r, &f, pDef), 1, 0);
	run_form_free(&f);
	json_decref(pDef);
	json_decref(pRun);
}

void page_run_preflight(Request *r, Response *p)
{
	RunForm f;
	json_t *pDef, *pAdvisor;
	const char *zApply = param_get(&r->form, "apply");
	parse_request(r, &f);
	if (!(pDef = load_definition(r, p, f.definitionId))) {
		run_form_free(&f);
		return;
	}
	check_parent(r, &f);
	if (!f.zName[0] && !r->isApi)
		run_form_default_name(r, f.zName, sizeof(f.zName));
	if (ensure_trigger_id(r, p, &f)) {
		run_form_free(&f);
		json_decref(pDef);
		return;
	}
	pAdvisor = run_form_advisor(r, &f, pDef);
	if (zApply && !strcmp(zApply, "recommendation")) {
		run_form_apply_recommendation(&f, pAdvisor);
		json_decref(pAdvisor);
		pAdvisor = run_form_advisor(r, &f, pDef);
	} else {
		f.advisorSuggested = f.advisorSuggested && run_form_matches_recommendation(&f, pAdvisor);
	}
	render_form(r, p, &f, pDef, pAdvisor, 1, f.zError[0] ? 422 : 0);
	run_form_free(&f);
	json_decref(pDef);
}

/* "Blocker one. Blocker two." from the advisor, into zOut. */
static void blocker_sentences(const json_t *pAdvisor, char *zOut, size_t n)
{
	const json_t *pBlockers = json_object_get(pAdvisor, "blockers");
	size_t i, off;
	off = (size_t)snprintf(zOut, n, "The run was not started:");
	for (i = 0; i < json_array_size(pBlockers) && off < n; i++)
		off += (size_t)snprintf(zOut + off, n - off, " %s",
					json_string_value(json_object_get(json_array_get(pBlockers, i), "message")));
}

/* The advisor snapshot the run records: what the form showed (or, without one, what the start computed). */
static json_t *advisor_snapshot(const RunForm *f, const json_t *pAdvisor)
{
	return json_pack("{s:O, s:b, s:b}", "advisor", f->pShownAdvisor ? f->pShownAdvisor : pAdvisor,
			 "shown_in_form", f->pShownAdvisor != NULL, "advisor_suggested",
			 f->advisorSuggested);
}

/* Create the run from a checked form. Returns the run id (0 after answering). */
static int64_t create_run(Request *r, Response *p, RunForm *f, const json_t *pDef, json_t *pAdvisor,
			  int *pExisting)
{
	RunModel aModel[RUN_FORM_MAX_MODELS];
	RunCreateSpec spec;
	char zErr[512];
	json_t *pSnapshot;
	int64_t runId = 0;
	DbRc rc;
	int i;
	memset(&spec, 0, sizeof(spec));
	for (i = 0; i < f->nModel; i++) {
		const ModelConf *pModel;
		const char *zVersion;
		if (models_resolve_ref(r->pApp->pCatalog, f->azModel[i], &pModel, &zVersion, zErr, sizeof(zErr))) {
			/* The advisor found no blocker, so this cannot happen; refuse rather than guess. */
			web_error(r, p, 422, "A selected model is not in the catalogue.");
			return 0;
		}
		aModel[i].zProvider = pModel->pProvider->zId;
		aModel[i].zModel = pModel->zId;
		aModel[i].zVersion = zVersion;
	}
	pSnapshot = advisor_snapshot(f, pAdvisor);
	spec.tenantId = r->user.tenantId;
	spec.definitionId = f->definitionId;
	spec.aModel = aModel;
	spec.nModel = f->nModel;
	spec.samplePct = f->samplePct;
	spec.sampleSeed = f->sampleSeed;
	spec.samples = f->samples;
	spec.hasTemperature = f->hasTemperature;
	spec.temperature = f->temperature;
	spec.maxTokens = f->maxTokens;
	spec.cache = f->cache;
	spec.zName = f->zName;
	spec.zTriggerId = f->zTriggerId;
	spec.zTriggerSource = r->isApi ? "api_client" : "web_form";
	spec.createdBy = r->user.id;
	spec.pAdvisor = pSnapshot;
	spec.parentRunId = f->parentRunId;
	rc = store_run_create(r->db, &spec, &runId, pExisting, zErr, sizeof(zErr));
	json_decref(pSnapshot);
	if (rc == DB_NOTFOUND) {
		web_error(r, p, 404, "There is no such definition (it may have been deleted).");
		return 0;
	}
	if (rc == DB_CONFLICT) {
		char zMsg[600];
		snprintf(zMsg, sizeof(zMsg), "The run was not started: %s.", zErr);
		str_copy(f->zError, sizeof(f->zError), zMsg);
		render_form(r, p, f, pDef, json_incref(pAdvisor), 1, 422);
		return 0;
	}
	if (rc != DB_OK) {
		web_error(r, p, 500, "The run could not be saved. The error has been logged.");
		return 0;
	}
	return runId;
}

/* Audit a new run: run.start (and run.rerun for a re-run) with trigger id and source. */
static void audit_start(Request *r, const RunForm *f, int64_t runId)
{
	json_t *pDetails = json_pack("{s:s, s:s, s:I, s:b}", "trigger_id", f->zTriggerId, "source",
				     r->isApi ? "api_client" : "web_form", "definition_id",
				     (json_int_t)f->definitionId, "advisor_suggested", f->advisorSuggested);
	char *zDetails;
	if (f->parentRunId)
		json_object_set_new(pDetails, "parent_run_id", json_integer(f->parentRunId));
	zDetails = json_dumps(pDetails, JSON_COMPACT | JSON_SORT_KEYS);
	auth_audit(r, "run.start", "run", runId, zDetails);
	if (f->parentRunId)
		auth_audit(r, "run.rerun", "run", runId, zDetails);
	free(zDetails);
	json_decref(pDetails);
}

void page_run_start(Request *r, Response *p)
{
	RunForm f;
	json_t *pDef = NULL, *pAdvisor = NULL;
	int64_t runId;
	int existing = 0;
	parse_request(r, &f);
	if (!(pDef = load_definition(r, p, f.definitionId)))
		goto out;
	check_parent(r, &f);
	if (!f.zTriggerId[0] && !f.zError[0])
		str_copy(f.zError, sizeof(f.zError),
			 r->isApi ? "trigger_id is required: a one-time id that makes a repeated call harmless."
				  : "The form has no trigger id; reload the page and try again.");
	pAdvisor = run_form_advisor(r, &f, pDef);
	f.advisorSuggested = f.advisorSuggested && run_form_matches_recommendation(&f, pAdvisor);
	if (f.zError[0] || !json_is_true(json_object_get(pAdvisor, "ok"))) {
		if (!f.zError[0])
			blocker_sentences(pAdvisor, f.zError, sizeof(f.zError));
		if (!r->isApi && ensure_trigger_id(r, p, &f))
			goto out;
		render_form(r, p, &f, pDef, json_incref(pAdvisor), 1, 422);
		goto out;
	}
	runId = create_run(r, p, &f, pDef, pAdvisor, &existing);
	if (!runId)
		goto out;
	if (!existing) {
		audit_start(r, &f, runId);
		store_definition_touch(r->db, r->user.tenantId, f.definitionId);
	}
	if (r->isApi) {
		char zUrl[64];
		snprintf(zUrl, sizeof(zUrl), "/runs/%lld", (long long)runId);
		web_json(p, existing ? 200 : 201,
			 json_pack("{s:I, s:b, s:s, s:s}", "id", (json_int_t)runId, "existing", existing,
				   "url", zUrl, "trigger_id", f.zTriggerId));
	} else {
		char zUrl[80];
		snprintf(zUrl, sizeof(zUrl), "/runs/%lld?done=%s", (long long)runId,
			 existing ? "existing" : "started");
		response_redirect(p, zUrl);
	}
out:
	json_decref(pAdvisor);
	json_decref(pDef);
	run_form_free(&f);
}
