/* run_form.h — the run form's values: parsing (form or JSON), the advisor's inputs, the view model. */
#ifndef VR_PAGES_RUN_FORM_H
#define VR_PAGES_RUN_FORM_H

#include <jansson.h>
#include <stdint.h>

#include "web/web.h"

#define RUN_FORM_MAX_MODELS 32

/* What the run form (or an API call) asks for. Owned strings; free with run_form_free(). */
typedef struct RunForm {
	int64_t definitionId;
	int64_t parentRunId;        /* 0: none */
	char *azModel[RUN_FORM_MAX_MODELS]; /* "provider:model" or "provider:model@version" */
	int nModel;
	int samplePct;              /* 1..100 */
	int64_t sampleSeed;
	int samples;                /* 1..100 */
	int hasTemperature;
	double temperature;
	int maxTokens;              /* 0: each model's default */
	int cache;                  /* -1 default (on at temperature 0), 0 off, 1 on */
	char zName[201];
	char zTriggerId[201];
	int advisorSuggested;       /* the settings came from "Use these settings" */
	json_t *pShownAdvisor;      /* the advisor as last shown (hidden field), or NULL */
	char zError[512];           /* the first problem found, "" when none */
} RunForm;

/* Defaults for a new run of definition defId: 100 %, the definition's seed, 1 sample. */
void run_form_defaults(RunForm *f, int64_t defId);

/*
 * Read the form fields (DESIGN.md "Conventions"). A `models` value without
 * "@" takes its version from the field `version.<provider:model>` when set.
 * Problems go to f->zError (the first one); returns 0 when there are none.
 */
int run_form_from_params(RunForm *f, const ParamList *pForm);

/* The same from an API JSON body {definition_id, models: [...], ...}. 0 or -1 (f->zError). */
int run_form_from_json(RunForm *f, const json_t *pBody);

/* Prefill from a run's config (re-run): models with versions, sampling, options. */
void run_form_from_run(RunForm *f, const json_t *pRun);

void run_form_free(RunForm *f);

/*
 * Run the advisor for the form against the definition row pDef
 * (store_definition_get) and the database. New reference.
 */
json_t *run_form_advisor(Request *r, const RunForm *f, const json_t *pDef);

/* Take the recommendation's sampling, seed and default versions into the form. */
void run_form_apply_recommendation(RunForm *f, const json_t *pAdvisor);

/* 1 when the form's settings equal the advisor's recommendation. */
int run_form_matches_recommendation(const RunForm *f, const json_t *pAdvisor);

/*
 * The view model of the run form page: definition, model groups by
 * provider (key configured, last health check, versions), the values, the
 * advisor panel when pAdvisor is given and showAdvisor, and whether Start is
 * enabled. New reference.
 */
json_t *run_form_view(Request *r, const RunForm *f, const json_t *pDef, const json_t *pAdvisor,
		      int showAdvisor);

/* Default run name like "Nov 21-A" (the letter counts the tenant's runs today). */
void run_form_default_name(Request *r, char *zOut, size_t n);

#endif
