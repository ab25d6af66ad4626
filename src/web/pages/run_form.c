/* run_form.c — the run form: parse fields or JSON, build the advisor's inputs, and the form's view model. */
#include "web/pages/run_form.h"
#include "web/render.h"
#include "domain/advisor.h"
#include "domain/cost.h"
#include "providers/models.h"
#include "store/accounts.h"
#include "store/advisor_data.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void run_form_defaults(RunForm *f, int64_t defId)
{
	memset(f, 0, sizeof(*f));
	f->definitionId = defId;
	f->samplePct = 100;
	f->sampleSeed = advisor_default_seed(defId);
	f->samples = 1;
	f->cache = -1;
}

void run_form_free(RunForm *f)
{
	int i;
	for (i = 0; i < f->nModel; i++)
		free(f->azModel[i]);
	f->nModel = 0;
	json_decref(f->pShownAdvisor);
	f->pShownAdvisor = NULL;
}

/* Record the first problem only: the form shows one sentence at a time. */
static void form_problem(RunForm *f, const char *zMsg)
{
	if (!f->zError[0])
		str_copy(f->zError, sizeof(f->zError), zMsg);
}

/* Add a model reference unless the form already holds the maximum or it is a duplicate. */
static void form_add_model(RunForm *f, const char *zRef)
{
	int i;
	if (!zRef || !*zRef)
		return;
	for (i = 0; i < f->nModel; i++)
		if (strcmp(f->azModel[i], zRef) == 0)
			return;
	if (f->nModel >= RUN_FORM_MAX_MODELS) {
		form_problem(f, "Select at most 32 models.");
		return;
	}
	if (strlen(zRef) > 250) {
		form_problem(f, "A model reference is longer than 250 characters.");
		return;
	}
	f->azModel[f->nModel++] = xstrdup(zRef);
}

/* 1 when z is a usable trigger id: 1–200 of [A-Za-z0-9_-.:]. */
static int trigger_id_ok(const char *z)
{
	size_t n = z ? strlen(z) : 0, i;
	if (n == 0 || n > 200)
		return 0;
	for (i = 0; i < n; i++) {
		char c = z[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			return 0;
	}
	return 1;
}

/* Parse the scalar fields given as text (form or JSON turned into text). */
static void form_scalars(RunForm *f, const char *zPct, const char *zSeed, const char *zSamples,
			 const char *zTemp, const char *zMaxTokens, const char *zCache, const char *zName,
			 const char *zTrigger)
{
	int64_t v;
	double d;
	if (zPct && *zPct) {
		if (parse_int64(zPct, 1, 100, &v))
			form_problem(f, "Sample percentage must be a whole number from 1 to 100.");
		else
			f->samplePct = (int)v;
	}
	if (zSeed && *zSeed) {
		if (parse_int64(zSeed, 0, 9007199254740991LL, &v))
			form_problem(f, "Seed must be a whole number from 0 to 9007199254740991.");
		else
			f->sampleSeed = v;
	}
	if (zSamples && *zSamples) {
		if (parse_int64(zSamples, 1, 100, &v))
			form_problem(f, "Samples per scenario must be a whole number from 1 to 100.");
		else
			f->samples = (int)v;
	}
	if (zTemp && *zTemp) {
		if (parse_double(zTemp, 0, 2, &d))
			form_problem(f, "Temperature must be a number from 0 to 2 (or empty for the provider's default).");
		else {
			f->hasTemperature = 1;
			f->temperature = d;
		}
	}
	if (zMaxTokens && *zMaxTokens) {
		if (parse_int64(zMaxTokens, 1, 1000000, &v))
			form_problem(f, "Max tokens must be a whole number from 1 to 1000000 (or empty for each model's default).");
		else
			f->maxTokens = (int)v;
	}
	if (zCache && *zCache) {
		if (!strcmp(zCache, "on"))
			f->cache = 1;
		else if (!strcmp(zCache, "off"))
			f->cache = 0;
		else if (!strcmp(zCache, "default"))
			f->cache = -1;
		else
			form_problem(f, "Response cache must be on, off or default.");
	}
	if (zName) {
		if (strlen(zName) > 200)
			form_problem(f, "The run name must be at most 200 characters.");
		else
			str_copy(f->zName, sizeof(f->zName), zName);
	}
	if (zTrigger && *zTrigger) {
		if (!trigger_id_ok(zTrigger))
			form_problem(f, "The trigger id must be 1 to 200 letters, digits, '-', '_', '.' or ':'.");
		else
			str_copy(f->zTriggerId, sizeof(f->zTriggerId), zTrigger);
	}
}

int run_form_from_params(RunForm *f, const ParamList *pForm)
{
	const char *zDef = param_get(pForm, "definition_id");
	const char *zParent = param_get(pForm, "parent_run_id");
	const char *zAdvisor = param_get(pForm, "advisor_json");
	int64_t v;
	int i, n = param_count(pForm, "models");
	if (!zDef || parse_int64(zDef, 1, INT64_MAX, &v)) {
		run_form_defaults(f, 0);
		form_problem(f, "The form names no definition; start from a definition's page.");
		return -1;
	}
	run_form_defaults(f, v);
	if (zParent && *zParent && parse_int64(zParent, 1, INT64_MAX, &f->parentRunId))
		form_problem(f, "The parent run id is not a number.");
	for (i = 0; i < n; i++) {
		const char *zRef = param_nth(pForm, "models", i);
		if (zRef && *zRef && !strchr(zRef, '@')) {
			char zField[300], zFull[600];
			const char *zVersion;
			snprintf(zField, sizeof(zField), "version.%.250s", zRef);
			zVersion = param_get(pForm, zField);
			if (zVersion && *zVersion) {
				snprintf(zFull, sizeof(zFull), "%s@%s", zRef, zVersion);
				form_add_model(f, zFull);
				continue;
			}
		}
		form_add_model(f, zRef);
	}
	form_scalars(f, param_get(pForm, "sample_pct"), param_get(pForm, "sample_seed"),
		     param_get(pForm, "samples"), param_get(pForm, "temperature"),
		     param_get(pForm, "max_tokens"), param_get(pForm, "cache"), param_get(pForm, "name"),
		     param_get(pForm, "trigger_id"));
	f->advisorSuggested = param_get(pForm, "advisor_suggested") &&
			      !strcmp(param_get(pForm, "advisor_suggested"), "1");
	if (zAdvisor && *zAdvisor && strlen(zAdvisor) <= 65536) {
		json_t *pShown = json_loads(zAdvisor, 0, NULL);
		if (json_is_object(pShown))
			f->pShownAdvisor = pShown;
		else
			json_decref(pShown);
	}
	return f->zError[0] ? -1 : 0;
}

/* A JSON member as text for form_scalars(): strings as they are, numbers printed. */
static const char *json_field_text(const json_t *pBody, const char *zKey, char *zBuf, size_t n)
{
	const json_t *p = json_object_get(pBody, zKey);
	if (json_is_string(p))
		return json_string_value(p);
	if (json_is_integer(p)) {
		snprintf(zBuf, n, "%lld", (long long)json_integer_value(p));
		return zBuf;
	}
	if (json_is_real(p)) {
		snprintf(zBuf, n, "%.17g", json_real_value(p));
		return zBuf;
	}
	if (json_is_boolean(p)) {
		snprintf(zBuf, n, "%s", json_is_true(p) ? "on" : "off");
		return zBuf;
	}
	return NULL;
}

int run_form_from_json(RunForm *f, const json_t *pBody)
{
	char aBuf[8][64];
	const json_t *pDef = json_object_get(pBody, "definition_id");
	const json_t *pModels = json_object_get(pBody, "models");
	const json_t *pParent = json_object_get(pBody, "parent_run_id");
	size_t i;
	if (!json_is_object(pBody)) {
		run_form_defaults(f, 0);
		form_problem(f, "The body must be a JSON object.");
		return -1;
	}
	if (!json_is_integer(pDef) || json_integer_value(pDef) < 1) {
		run_form_defaults(f, 0);
		form_problem(f, "definition_id must be a positive integer.");
		return -1;
	}
	run_form_defaults(f, json_integer_value(pDef));
	if (json_is_integer(pParent) && json_integer_value(pParent) > 0)
		f->parentRunId = json_integer_value(pParent);
	if (pModels && !json_is_array(pModels))
		form_problem(f, "models must be an array of \"provider:model\" or \"provider:model@version\" strings.");
	for (i = 0; i < json_array_size(pModels); i++) {
		const json_t *pRef = json_array_get(pModels, i);
		if (!json_is_string(pRef))
			form_problem(f, "models must be an array of \"provider:model\" or \"provider:model@version\" strings.");
		else
			form_add_model(f, json_string_value(pRef));
	}
	form_scalars(f, json_field_text(pBody, "sample_pct", aBuf[0], 64),
		     json_field_text(pBody, "sample_seed", aBuf[1], 64),
		     json_field_text(pBody, "samples", aBuf[2], 64),
		     json_field_text(pBody, "temperature", aBuf[3], 64),
		     json_field_text(pBody, "max_tokens", aBuf[4], 64),
		     json_field_text(pBody, "cache", aBuf[5], 64),
		     json_field_text(pBody, "name", aBuf[6], 64),
		     json_field_text(pBody, "trigger_id", aBuf[7], 64));
	return f->zError[0] ? -1 : 0;
}

void run_form_from_run(RunForm *f, const json_t *pRun)
{
	const json_t *pConfig = json_object_get(pRun, "config");
	const json_t *pModels = json_object_get(pConfig, "models"), *pTemp, *pMax;
	size_t i;
	run_form_defaults(f, json_integer_value(json_object_get(pRun, "definition_id")));
	f->parentRunId = json_integer_value(json_object_get(pRun, "id"));
	for (i = 0; i < json_array_size(pModels); i++) {
		const json_t *pM = json_array_get(pModels, i);
		char zRef[600];
		snprintf(zRef, sizeof(zRef), "%s:%s@%s",
			 json_string_value(json_object_get(pM, "provider")) ? json_string_value(json_object_get(pM, "provider")) : "",
			 json_string_value(json_object_get(pM, "model")) ? json_string_value(json_object_get(pM, "model")) : "",
			 json_string_value(json_object_get(pM, "version")) ? json_string_value(json_object_get(pM, "version")) : "");
		form_add_model(f, zRef);
	}
	if (json_is_integer(json_object_get(pConfig, "sample_pct")))
		f->samplePct = (int)json_integer_value(json_object_get(pConfig, "sample_pct"));
	if (json_is_integer(json_object_get(pConfig, "sample_seed")))
		f->sampleSeed = json_integer_value(json_object_get(pConfig, "sample_seed"));
	if (json_is_integer(json_object_get(pConfig, "samples")))
		f->samples = (int)json_integer_value(json_object_get(pConfig, "samples"));
	pTemp = json_object_get(pConfig, "temperature");
	if (json_is_number(pTemp)) {
		f->hasTemperature = 1;
		f->temperature = json_number_value(pTemp);
	}
	pMax = json_object_get(pConfig, "max_tokens");
	if (json_is_integer(pMax))
		f->maxTokens = (int)json_integer_value(pMax);
	if (json_is_boolean(json_object_get(pConfig, "cache")))
		f->cache = json_is_true(json_object_get(pConfig, "cache")) ? 1 : 0;
}

/* The provider_status row of a provider in pStatus, or NULL. Borrowed. */
static const json_t *provider_status_row(const json_t *pStatus, const char *zProvider)
{
	size_t i;
	for (i = 0; i < json_array_size(pStatus); i++) {
		const json_t *pRow = json_array_get(pStatus, i);
		const char *z = json_string_value(json_object_get(pRow, "provider"));
		if (z && !strcmp(z, zProvider))
			return pRow;
	}
	return NULL;
}

/* The tenant's history row for a model, or NULL. Borrowed. */
static const json_t *history_row(const json_t *pHistory, const char *zProvider, const char *zModel)
{
	size_t i;
	for (i = 0; i < json_array_size(pHistory); i++) {
		const json_t *pRow = json_array_get(pHistory, i);
		const char *zP = json_string_value(json_object_get(pRow, "provider"));
		const char *zM = json_string_value(json_object_get(pRow, "model_id"));
		if (zP && zM && !strcmp(zP, zProvider) && !strcmp(zM, zModel))
			return pRow;
	}
	return NULL;
}

/* Characters (UTF-8 code points) of z. */
static int64_t utf8_chars(const char *z)
{
	int64_t n = 0;
	for (; z && *z; z++)
		if (((unsigned char)*z & 0xC0) != 0x80)
			n++;
	return n;
}

/* The advisor's budget: the tenant's, else valuerank.conf's, else models.json's. */
static int budget_for(Request *r, double *pBudget)
{
	json_t *pTenant = store_tenant_get(r->db, r->user.tenantId);
	const json_t *pB = json_object_get(pTenant, "budget_usd");
	int has = 0;
	if (json_is_number(pB)) {
		*pBudget = json_number_value(pB);
		has = 1;
	} else if (r->pApp->pConfig && r->pApp->pConfig->budgetUsd > 0) {
		*pBudget = r->pApp->pConfig->budgetUsd;
		has = 1;
	} else if (r->pApp->pCatalog && r->pApp->pCatalog->hasBudget) {
		*pBudget = r->pApp->pCatalog->budgetUsd;
		has = 1;
	}
	json_decref(pTenant);
	return has;
}

json_t *run_form_advisor(Request *r, const RunForm *f, const json_t *pDef)
{
	const ModelCatalog *pCat = r->pApp->pCatalog;
	AdvisorModel aModel[RUN_FORM_MAX_MODELS];
	char azErr[RUN_FORM_MAX_MODELS][300];
	int64_t aFollow[64];
	AdvisorInput in;
	json_t *pStatus = store_provider_status_all(r->db);
	json_t *pHistory = store_model_history(r->db, r->user.tenantId);
	json_t *pStats = store_definition_prompt_stats(r->db, f->definitionId), *pOut;
	const json_t *pFollowups = json_object_get(json_object_get(pDef, "content"), "followups");
	int offlineS = r->pApp->pConfig && r->pApp->pConfig->heartbeatOfflineS > 0
			       ? r->pApp->pConfig->heartbeatOfflineS : 30;
	int64_t nScenario = json_integer_value(json_object_get(pStats, "n"));
	int i;
	size_t k;
	memset(&in, 0, sizeof(in));
	memset(aModel, 0, sizeof(aModel));
	in.definitionId = f->definitionId;
	in.nScenario = nScenario;
	in.nDefinitionError = (int)json_integer_value(json_object_get(pDef, "error_count"));
	in.meanFirstTurnChars = nScenario > 0
		? (double)json_integer_value(json_object_get(pStats, "total_chars")) / (double)nScenario : 0;
	for (k = 0; k < json_array_size(pFollowups) && k < ARRAY_SIZE(aFollow); k++)
		aFollow[k] = utf8_chars(json_string_value(json_object_get(json_array_get(pFollowups, k), "prompt")));
	in.aFollowupChars = aFollow;
	in.nFollowup = (int)k;
	for (i = 0; i < f->nModel; i++) {
		AdvisorModel *m = &aModel[i];
		const ModelConf *pModel = NULL;
		const char *zVersion = NULL;
		m->zRef = f->azModel[i];
		m->avgOutputTokens = -1;
		m->avgLatencyMs = -1;
		if (!pCat) {
			snprintf(azErr[i], sizeof(azErr[i]), "The model catalogue (models.json) could not be loaded.");
			m->zResolveError = azErr[i];
			continue;
		}
		if (models_resolve_ref(pCat, f->azModel[i], &pModel, &zVersion, azErr[i], sizeof(azErr[i]))) {
			char zMsg[300];
			snprintf(zMsg, sizeof(zMsg), "Model %.200s: %.80s.", f->azModel[i], azErr[i]);
			str_copy(azErr[i], sizeof(azErr[i]), zMsg);
			m->zResolveError = azErr[i];
			continue;
		}
		{
			const json_t *pSt = provider_status_row(pStatus, pModel->pProvider->zId);
			const json_t *pHist = history_row(pHistory, pModel->pProvider->zId, pModel->zId);
			const json_t *pConnected = json_object_get(pSt, "connected");
			m->zProvider = pModel->pProvider->zId;
			m->zModel = pModel->zId;
			m->zDisplayName = pModel->zDisplayName;
			m->zVersion = zVersion;
			m->zDefaultVersion = pModel->zDefaultVersion;
			m->needsKey = models_provider_needs_key(pModel->pProvider);
			m->keyConfigured = json_integer_value(json_object_get(pSt, "configured")) != 0;
			m->lastCheckFailed = json_is_integer(pConnected) && json_integer_value(pConnected) == 0;
			m->zLastCheckError = json_string_value(json_object_get(pSt, "error"));
			m->deprecated = pModel->deprecated;
			m->hasPrice = pModel->hasPrice;
			m->priceIn = pModel->priceIn;
			m->priceOut = pModel->priceOut;
			if (pHist && json_is_number(json_object_get(pHist, "output_per_turn")))
				m->avgOutputTokens = json_number_value(json_object_get(pHist, "output_per_turn"));
			if (pHist && json_is_number(json_object_get(pHist, "ms_per_turn")))
				m->avgLatencyMs = json_number_value(json_object_get(pHist, "ms_per_turn"));
			m->maxParallel = pModel->pProvider->maxParallel;
			m->requestsPerMinute = pModel->pProvider->requestsPerMinute;
		}
	}
	in.aModel = aModel;
	in.nModel = f->nModel;
	in.samplePct = f->samplePct;
	in.sampleSeed = f->sampleSeed;
	in.samples = f->samples;
	in.executorAlive = store_executors_alive(r->db, time_now_ms() - (int64_t)offlineS * 1000) > 0;
	in.dbWritable = store_db_writable(r->db);
	in.hasBudget = budget_for(r, &in.budgetUsd);
	pOut = advisor_run(&in);
	json_decref(pStatus);
	json_decref(pHistory);
	json_decref(pStats);
	return pOut;
}

void run_form_apply_recommendation(RunForm *f, const json_t *pAdvisor)
{
	const json_t *pRec = json_object_get(pAdvisor, "recommendation");
	const json_t *pModels = json_object_get(pRec, "models");
	size_t i;
	int j;
	if (!pRec)
		return;
	f->samplePct = (int)json_integer_value(json_object_get(pRec, "sample_pct"));
	f->sampleSeed = json_integer_value(json_object_get(pRec, "sample_seed"));
	f->samples = (int)json_integer_value(json_object_get(pRec, "samples"));
	/* Unresolved references stay (they remain blockers); resolved ones take the default version. */
	for (j = 0; j < f->nModel; j++) {
		for (i = 0; i < json_array_size(pModels); i++) {
			const json_t *pM = json_array_get(pModels, i);
			const char *zP = json_string_value(json_object_get(pM, "provider"));
			const char *zM = json_string_value(json_object_get(pM, "model"));
			char zPrefix[300];
			size_t n;
			snprintf(zPrefix, sizeof(zPrefix), "%s:%s", zP ? zP : "", zM ? zM : "");
			n = strlen(zPrefix);
			if (!strncmp(f->azModel[j], zPrefix, n) &&
			    (f->azModel[j][n] == 0 || f->azModel[j][n] == '@')) {
				free(f->azModel[j]);
				f->azModel[j] = xstrdup(json_string_value(json_object_get(pM, "ref")));
				break;
			}
		}
	}
	f->advisorSuggested = 1;
}

int run_form_matches_recommendation(const RunForm *f, const json_t *pAdvisor)
{
	const json_t *pRec = json_object_get(pAdvisor, "recommendation");
	const json_t *pModels = json_object_get(pRec, "models");
	int j;
	size_t i;
	if (!pRec || f->samplePct != json_integer_value(json_object_get(pRec, "sample_pct")) ||
	    f->sampleSeed != json_integer_value(json_object_get(pRec, "sample_seed")) ||
	    (size_t)f->nModel != json_array_size(pModels))
		return 0;
	for (j = 0; j < f->nModel; j++) {
		int found = 0;
		for (i = 0; i < json_array_size(pModels) && !found; i++) {
			const char *zRef = json_string_value(json_object_get(json_array_get(pModels, i), "ref"));
			const char *zAt = strrchr(f->azModel[j], '@');
			/* "p:m" without a version means the default, which is what the recommendation names. */
			if (zRef && (!strcmp(zRef, f->azModel[j]) ||
				     (!zAt && !strncmp(zRef, f->azModel[j], strlen(f->azModel[j])) &&
				      zRef[strlen(f->azModel[j])] == '@')))
				found = 1;
		}
		if (!found)
			return 0;
	}
	return 1;
}

void run_form_default_name(Request *r, char *zOut, size_t n)
{
	static const char *const azMonth[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t now = time(NULL);
	struct tm tm;
	char zSince[64];
	int64_t nToday;
	gmtime_r(&now, &tm);
	strftime(zSince, sizeof(zSince), "%Y-%m-%dT00:00:00Z", &tm);
	nToday = store_runs_created_since(r->db, r->user.tenantId, zSince);
	if (nToday < 26)
		snprintf(zOut, n, "%s %d-%c", azMonth[tm.tm_mon], tm.tm_mday, (char)('A' + nToday));
	else
		snprintf(zOut, n, "%s %d-%lld", azMonth[tm.tm_mon], tm.tm_mday, (long long)nToday + 1);
}

/* The selected reference of a catalogue model in the form: its version, or NULL when not selected. */
static const char *form_selected_version(const RunForm *f, const ModelConf *pModel, int *pSelected)
{
	char zPrefix[300];
	size_t n;
	int i;
	snprintf(zPrefix, sizeof(zPrefix), "%s:%s", pModel->pProvider->zId, pModel->zId);
	n = strlen(zPrefix);
	*pSelected = 0;
	for (i = 0; i < f->nModel; i++) {
		if (strncmp(f->azModel[i], zPrefix, n) != 0)
			continue;
		if (f->azModel[i][n] == 0) {
			*pSelected = 1;
			return pModel->zDefaultVersion;
		}
		if (f->azModel[i][n] == '@') {
			*pSelected = 1;
			return f->azModel[i] + n + 1;
		}
	}
	return pModel->zDefaultVersion;
}

/* One provider group of the form: status, health, and its models with versions. */
static json_t *provider_group(const RunForm *f, const ModelCatalog *pCat, const ProviderConf *pProv,
			      const json_t *pStatus)
{
	const json_t *pSt = provider_status_row(pStatus, pProv->zId);
	const json_t *pConnected = json_object_get(pSt, "connected");
	json_t *pGroup = json_object(), *pModels = json_array();
	int needsKey = models_provider_needs_key(pProv), i, j;
	char zHealth[400];
	for (i = 0; i < pCat->nModel; i++) {
		const ModelConf *pModel = &pCat->aModel[i];
		json_t *pM, *pVersions;
		char zRef[300], zField[320], zIn[32], zOut[32], zPrice[120];
		const char *zVersion;
		int selected;
		if (pModel->pProvider != pProv)
			continue;
		zVersion = form_selected_version(f, pModel, &selected);
		pVersions = json_array();
		for (j = 0; j < pModel->nVersion; j++)
			json_array_append_new(pVersions,
					      json_pack("{s:s, s:b, s:b}", "version", pModel->azVersion[j],
							"selected", !strcmp(pModel->azVersion[j], zVersion),
							"is_default",
							!strcmp(pModel->azVersion[j], pModel->zDefaultVersion)));
		snprintf(zRef, sizeof(zRef), "%s:%s", pProv->zId, pModel->zId);
		snprintf(zField, sizeof(zField), "version.%s", zRef);
		if (pModel->hasPrice) {
			snprintf(zIn, sizeof(zIn), "$%.2f", pModel->priceIn);
			snprintf(zOut, sizeof(zOut), "$%.2f", pModel->priceOut);
			snprintf(zPrice, sizeof(zPrice), "%s in / %s out per M tokens", zIn, zOut);
		} else {
			snprintf(zPrice, sizeof(zPrice), "price unknown");
		}
		pM = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:o, s:b}", "ref", zRef, "version_field",
			       zField, "id", pModel->zId, "display_name",
			       pModel->zDisplayName ? pModel->zDisplayName : pModel->zId, "checked", selected,
			       "deprecated", pModel->deprecated, "price_text", zPrice, "versions", pVersions,
			       "many_versions", pModel->nVersion > 1);
		json_array_append_new(pModels, pM);
	}
	if (!pSt || json_is_null(pConnected))
		snprintf(zHealth, sizeof(zHealth), "not checked yet");
	else if (json_integer_value(pConnected))
		snprintf(zHealth, sizeof(zHealth), "connected (%lld ms, checked %s)",
			 (long long)json_integer_value(json_object_get(pSt, "latency_ms")),
			 json_string_value(json_object_get(pSt, "checked_at")) ? json_string_value(json_object_get(pSt, "checked_at")) : "?");
	else
		snprintf(zHealth, sizeof(zHealth), "unreachable (checked %s): %.300s",
			 json_string_value(json_object_get(pSt, "checked_at")) ? json_string_value(json_object_get(pSt, "checked_at")) : "?",
			 json_string_value(json_object_get(pSt, "error")) ? json_string_value(json_object_get(pSt, "error")) : "no message");
	json_object_set_new(pGroup, "id", json_string(pProv->zId));
	json_object_set_new(pGroup, "name", json_string(pProv->zName ? pProv->zName : pProv->zId));
	json_object_set_new(pGroup, "needs_key", json_boolean(needsKey));
	json_object_set_new(pGroup, "key_env", json_str_or_null(pProv->zKeyEnv));
	json_object_set_new(pGroup, "key_configured",
			    json_boolean(!needsKey || json_integer_value(json_object_get(pSt, "configured"))));
	json_object_set_new(pGroup, "connected", json_boolean(pSt && json_integer_value(pConnected)));
	json_object_set_new(pGroup, "unreachable",
			    json_boolean(pSt && json_is_integer(pConnected) && !json_integer_value(pConnected)));
	json_object_set_new(pGroup, "health_text", json_string(zHealth));
	json_object_set_new(pGroup, "models", pModels);
	return pGroup;
}

json_t *run_form_view(Request *r, const RunForm *f, const json_t *pDef, const json_t *pAdvisor,
		      int showAdvisor)
{
	const ModelCatalog *pCat = r->pApp->pCatalog;
	json_t *pView = json_object(), *pForm = json_object(), *pGroups = json_array();
	json_t *pStatus = store_provider_status_all(r->db);
	char zTemp[32] = "", zMax[16] = "";
	int i;
	json_object_set_new(pView, "definition",
			    json_pack("{s:I, s:s, s:I, s:I, s:I}", "id",
				      (json_int_t)json_integer_value(json_object_get(pDef, "id")), "name",
				      json_string_value(json_object_get(pDef, "name")) ? json_string_value(json_object_get(pDef, "name")) : "",
				      "version", (json_int_t)json_integer_value(json_object_get(pDef, "version")),
				      "scenario_count",
				      (json_int_t)json_integer_value(json_object_get(pDef, "scenario_count")),
				      "error_count",
				      (json_int_t)json_integer_value(json_object_get(pDef, "error_count"))));
	for (i = 0; pCat && i < pCat->nProvider; i++) {
		json_t *pGroup = provider_group(f, pCat, &pCat->aProvider[i], pStatus);
		if (json_array_size(json_object_get(pGroup, "models")) > 0)
			json_array_append_new(pGroups, pGroup);
		else
			json_decref(pGroup);
	}
	if (!pCat)
		json_object_set_new(pView, "catalog_error",
				    json_string(r->pApp->zCatalogError ? r->pApp->zCatalogError : "models.json could not be loaded"));
	if (f->hasTemperature)
		snprintf(zTemp, sizeof(zTemp), "%g", f->temperature);
	if (f->maxTokens > 0)
		snprintf(zMax, sizeof(zMax), "%d", f->maxTokens);
	json_object_set_new(pForm, "definition_id", json_integer(f->definitionId));
	json_object_set_new(pForm, "parent_run_id", f->parentRunId ? json_integer(f->parentRunId) : json_null());
	json_object_set_new(pForm, "models", json_array());
	for (i = 0; i < f->nModel; i++)
		json_array_append_new(json_object_get(pForm, "models"), json_string(f->azModel[i]));
	json_object_set_new(pForm, "sample_pct", json_integer(f->samplePct));
	json_object_set_new(pForm, "sample_seed", json_integer(f->sampleSeed));
	json_object_set_new(pForm, "samples", json_integer(f->samples));
	json_object_set_new(pForm, "temperature", json_string(zTemp));
	json_object_set_new(pForm, "max_tokens", json_string(zMax));
	json_object_set_new(pForm, "cache_default", json_boolean(f->cache < 0));
	json_object_set_new(pForm, "cache_on", json_boolean(f->cache == 1));
	json_object_set_new(pForm, "cache_off", json_boolean(f->cache == 0));
	json_object_set_new(pForm, "name", json_string(f->zName));
	json_object_set_new(pForm, "trigger_id", json_string(f->zTriggerId));
	json_object_set_new(pForm, "advisor_suggested", json_boolean(f->advisorSuggested));
	json_object_set_new(pView, "form", pForm);
	json_object_set_new(pView, "providers", pGroups);
	json_object_set_new(pView, "is_rerun", json_boolean(f->parentRunId > 0));
	if (f->zError[0])
		json_object_set_new(pView, "error", json_string(f->zError));
	if (pAdvisor) {
		int ok = json_is_true(json_object_get(pAdvisor, "ok"));
		json_object_set_new(pView, "can_start", json_boolean(ok));
		if (showAdvisor) {
			json_t *pPanel = json_deep_copy(pAdvisor);
			char *zJson = json_dumps(pAdvisor, JSON_COMPACT | JSON_SORT_KEYS);
			json_object_set_new(pPanel, "has_blockers",
					    json_boolean(json_array_size(json_object_get(pAdvisor, "blockers")) > 0));
			json_object_set_new(pPanel, "has_warnings",
					    json_boolean(json_array_size(json_object_get(pAdvisor, "warnings")) > 0));
			json_object_set_new(pView, "advisor", pPanel);
			json_object_set_new(pForm, "advisor_json", json_string(zJson ? zJson : ""));
			free(zJson);
		}
	} else {
		json_object_set_new(pView, "can_start", json_false());
	}
	json_decref(pStatus);
	return pView;
}
