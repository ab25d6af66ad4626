/* advisor.c — the run advisor: pure inputs to blockers, warnings, recommendation and estimate. */
#include "domain/advisor.h"
#include "domain/cost.h"
#include "domain/sampling.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Append {"code", "message"} to pList. */
static void add_problem(json_t *pList, const char *zCode, const char *zMessage)
{
	json_array_append_new(pList, json_pack("{s:s, s:s}", "code", zCode, "message", zMessage));
}

int advisor_recommend_pct(int64_t nScenario, int samples, int nModel, int64_t targetJobs)
{
	int pct;
	if (samples < 1)
		samples = 1;
	if (nModel < 1)
		nModel = 1;
	if (targetJobs <= 0)
		targetJobs = ADVISOR_DEFAULT_TARGET_JOBS;
	if (nScenario <= 0)
		return 100;
	for (pct = SAMPLE_MAX_PCT; pct > SAMPLE_MIN_PCT; pct--) {
		/* Compare in double: nScenario may be large enough to overflow the product. */
		double jobs = (double)sample_size(nScenario, pct) * samples * nModel;
		if (jobs <= (double)targetJobs)
			break;
	}
	return pct;
}

int64_t advisor_default_seed(int64_t definitionId)
{
	uint64_t h = hash_fnv1a(PRNG_FNV_OFFSET, &definitionId, sizeof(definitionId));
	return (int64_t)(h % 999999u) + 1;
}

void advisor_format_duration(char *zOut, size_t n, double seconds)
{
	if (!(seconds >= 0))
		seconds = 0;
	if (seconds < 60)
		snprintf(zOut, n, "%.0f s", ceil(seconds));
	else if (seconds < 3600)
		snprintf(zOut, n, "about %.0f min", ceil(seconds / 60));
	else
		snprintf(zOut, n, "about %.1f h", seconds / 3600);
}

/* Expected output tokens of one turn for a model: its history, else the default. */
static double output_per_turn(const AdvisorModel *m)
{
	return m->avgOutputTokens >= 0 ? m->avgOutputTokens : COST_DEFAULT_OUTPUT_TOKENS;
}

/* Estimated input tokens of one job (all turns) for a model. */
static double input_per_job(const AdvisorInput *in, const AdvisorModel *m)
{
	double chars = in->meanFirstTurnChars > 0 ? in->meanFirstTurnChars : 0;
	double total = 0;
	int t;
	for (t = 0; t <= in->nFollowup; t++) {
		if (t > 0)
			chars += (double)in->aFollowupChars[t - 1];
		total += ceil(chars / 4) + t * output_per_turn(m);
	}
	return total;
}

/* Milliseconds one request of this model is expected to take. */
static double latency_ms(const AdvisorModel *m)
{
	if (m->avgLatencyMs >= 0)
		return m->avgLatencyMs;
	return ADVISOR_DEFAULT_LATENCY_MS + ADVISOR_MS_PER_OUTPUT_TOKEN * output_per_turn(m);
}

/* The estimate for one choice of sampling (see advisor.h). New reference. */
static json_t *estimate(const AdvisorInput *in, int pct, int samples, const char *const *azVersion)
{
	json_t *pEst = json_object(), *pModels = json_array(), *pProviders = json_array();
	int64_t nPicked = sample_size(in->nScenario, pct);
	int64_t jobsPerModel = nPicked * samples, totalJobs = 0;
	int turns = 1 + in->nFollowup, i, j, anyUnknown = 0;
	double inTotal = 0, outTotal = 0, costKnown = 0, longest = 0;
	char zText[64];
	for (i = 0; i < in->nModel; i++) {
		const AdvisorModel *m = &in->aModel[i];
		double inTok, outTok, c = COST_UNKNOWN;
		json_t *pRow;
		if (!m->zModel)
			continue;
		inTok = input_per_job(in, m) * (double)jobsPerModel;
		outTok = output_per_turn(m) * turns * (double)jobsPerModel;
		if (m->hasPrice)
			c = cost_usd((int64_t)llround(inTok), (int64_t)llround(outTok), m->priceIn, m->priceOut);
		if (cost_is_known(c))
			costKnown += c;
		else
			anyUnknown = 1;
		cost_format(zText, sizeof(zText), c);
		pRow = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:o, s:s, s:b}",
				 "ref", m->zRef ? m->zRef : "", "provider", m->zProvider, "model", m->zModel,
				 "version", azVersion[i] ? azVersion[i] : "unknown", "display_name",
				 m->zDisplayName ? m->zDisplayName : m->zModel, "jobs",
				 (json_int_t)jobsPerModel, "input_tokens", (json_int_t)llround(inTok),
				 "output_tokens", (json_int_t)llround(outTok), "output_source",
				 m->avgOutputTokens >= 0 ? "history" : "default", "cost_usd",
				 cost_is_known(c) ? json_real(c) : json_null(), "cost_text", zText,
				 "price_unknown", !cost_is_known(c));
		json_array_append_new(pModels, pRow);
		totalJobs += jobsPerModel;
		inTotal += inTok;
		outTotal += outTok;
	}
	/* Providers work side by side; within one, requests share its limits. */
	for (i = 0; i < in->nModel; i++) {
		const AdvisorModel *m = &in->aModel[i];
		double requests = 0, busyMs = 0, byRate, byParallel, seconds;
		int seen = 0, parallel = m->maxParallel > 0 ? m->maxParallel : 1;
		int rpm = m->requestsPerMinute > 0 ? m->requestsPerMinute : 1;
		if (!m->zProvider || !m->zModel)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = in->aModel[j].zProvider && in->aModel[j].zModel &&
			       strcmp(in->aModel[j].zProvider, m->zProvider) == 0;
		if (seen)
			continue;
		for (j = i; j < in->nModel; j++) {
			const AdvisorModel *o = &in->aModel[j];
			if (!o->zProvider || !o->zModel || strcmp(o->zProvider, m->zProvider) != 0)
				continue;
			requests += (double)jobsPerModel * turns;
			busyMs += (double)jobsPerModel * turns * latency_ms(o);
		}
		byRate = requests / rpm * 60.0;
		byParallel = busyMs / 1000.0 / parallel;
		seconds = byRate > byParallel ? byRate : byParallel;
		if (seconds > longest)
			longest = seconds;
		advisor_format_duration(zText, sizeof(zText), seconds);
		json_array_append_new(pProviders,
				      json_pack("{s:s, s:I, s:I, s:i, s:i, s:f, s:s}", "provider",
						m->zProvider, "jobs",
						(json_int_t)llround(requests / turns), "requests",
						(json_int_t)llround(requests), "max_parallel", parallel,
						"requests_per_minute", rpm, "duration_s",
						round(seconds * 10) / 10, "duration_text", zText));
	}
	json_object_set_new(pEst, "scenarios", json_integer(nPicked));
	json_object_set_new(pEst, "turns", json_integer(turns));
	json_object_set_new(pEst, "jobs", json_integer(totalJobs));
	json_object_set_new(pEst, "input_tokens", json_integer((json_int_t)llround(inTotal)));
	json_object_set_new(pEst, "output_tokens", json_integer((json_int_t)llround(outTotal)));
	json_object_set_new(pEst, "cost_usd", anyUnknown ? json_null() : json_real(costKnown));
	if (anyUnknown) {
		char zKnown[32];
		cost_format(zKnown, sizeof(zKnown), costKnown);
		if (json_array_size(pModels) > 1 && costKnown > 0)
			snprintf(zText, sizeof(zText), "%s + price unknown", zKnown);
		else
			snprintf(zText, sizeof(zText), "price unknown");
	} else {
		cost_format(zText, sizeof(zText), costKnown);
	}
	json_object_set_new(pEst, "cost_text", json_string(zText));
	json_object_set_new(pEst, "known_cost_usd", json_real(costKnown));
	json_object_set_new(pEst, "price_unknown", json_boolean(anyUnknown));
	json_object_set_new(pEst, "duration_s", json_real(round(longest * 10) / 10));
	advisor_format_duration(zText, sizeof(zText), longest);
	json_object_set_new(pEst, "duration_text", json_string(zText));
	json_object_set_new(pEst, "models", pModels);
	json_object_set_new(pEst, "providers", pProviders);
	return pEst;
}

/* Blockers (DOMAIN.md): anything that makes Start refuse. */
static void find_blockers(const AdvisorInput *in, json_t *pList)
{
	char zMsg[512];
	int i, j;
	if (in->nModel == 0)
		add_problem(pList, "no_models", "Select at least one model.");
	for (i = 0; i < in->nModel; i++) {
		const AdvisorModel *m = &in->aModel[i];
		if (m->zResolveError) {
			snprintf(zMsg, sizeof(zMsg), "%s", m->zResolveError);
			add_problem(pList, "unknown_model", zMsg);
		}
	}
	/* One message per provider without a key, naming its models. */
	for (i = 0; i < in->nModel; i++) {
		const AdvisorModel *m = &in->aModel[i];
		int seen = 0;
		if (!m->zProvider || !m->needsKey || m->keyConfigured)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = in->aModel[j].zProvider && !strcmp(in->aModel[j].zProvider, m->zProvider) &&
			       in->aModel[j].needsKey && !in->aModel[j].keyConfigured;
		if (seen)
			continue;
		snprintf(zMsg, sizeof(zMsg),
			 "Provider %s has no API key configured for valuerankd, so %s cannot run. "
			 "Set its key in valuerankd's environment and restart it (see Settings).",
			 m->zProvider, m->zModel);
		add_problem(pList, "missing_key", zMsg);
	}
	if (!in->executorAlive)
		add_problem(pList, "no_executor",
			    "No executor (valuerankd) has sent a heartbeat in the last 30 s, so nothing would "
			    "process the run. Start valuerankd.");
	if (in->nDefinitionError > 0) {
		snprintf(zMsg, sizeof(zMsg), "The definition has %d error%s; fix %s first.",
			 in->nDefinitionError, in->nDefinitionError == 1 ? "" : "s",
			 in->nDefinitionError == 1 ? "it" : "them");
		add_problem(pList, "definition_errors", zMsg);
	} else if (in->nScenario <= 0) {
		add_problem(pList, "no_scenarios", "The definition has no scenarios to probe.");
	}
	if (!in->dbWritable)
		add_problem(pList, "db_readonly", "The database is not writable, so a run cannot be recorded.");
}

/* Warnings (DOMAIN.md): Start stays allowed. */
static void find_warnings(const AdvisorInput *in, const json_t *pEst, int recommendedPct,
			  json_t *pList)
{
	char zMsg[512];
	int i, j;
	if (in->nScenario > ADVISOR_MANY_SCENARIOS) {
		snprintf(zMsg, sizeof(zMsg),
			 "The definition has %lld scenarios (more than %d): the run will cost more and take longer.",
			 (long long)in->nScenario, ADVISOR_MANY_SCENARIOS);
		add_problem(pList, "many_scenarios", zMsg);
	}
	if (recommendedPct < in->samplePct) {
		snprintf(zMsg, sizeof(zMsg),
			 "These settings make %lld jobs, over the advised %lld: the recommendation samples %d%%.",
			 (long long)json_integer_value(json_object_get(pEst, "jobs")),
			 (long long)(in->targetJobs > 0 ? in->targetJobs : ADVISOR_DEFAULT_TARGET_JOBS),
			 recommendedPct);
		add_problem(pList, "many_jobs", zMsg);
	}
	if (in->hasBudget) {
		double known = json_real_value(json_object_get(pEst, "known_cost_usd"));
		if (known > in->budgetUsd) {
			snprintf(zMsg, sizeof(zMsg), "The estimated cost $%.2f is above the budget of $%.2f.",
				 known, in->budgetUsd);
			add_problem(pList, "over_budget", zMsg);
		}
	}
	for (i = 0; i < in->nModel; i++) {
		const AdvisorModel *m = &in->aModel[i];
		int seen = 0;
		if (!m->zProvider || !m->lastCheckFailed)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = in->aModel[j].zProvider && in->aModel[j].lastCheckFailed &&
			       !strcmp(in->aModel[j].zProvider, m->zProvider);
		if (seen)
			continue;
		snprintf(zMsg, sizeof(zMsg), "Provider %s was unreachable in its last health check%s%.300s.",
			 m->zProvider, m->zLastCheckError ? ": " : "",
			 m->zLastCheckError ? m->zLastCheckError : "");
		add_problem(pList, "provider_unreachable", zMsg);
	}
	for (i = 0; i < in->nModel; i++) {
		const AdvisorModel *m = &in->aModel[i];
		if (m->zModel && m->deprecated) {
			snprintf(zMsg, sizeof(zMsg), "Model %s:%s is deprecated.", m->zProvider, m->zModel);
			add_problem(pList, "deprecated_model", zMsg);
		}
		if (m->zModel && !m->hasPrice) {
			snprintf(zMsg, sizeof(zMsg),
				 "Model %s:%s has no price in models.json: its cost is unknown.",
				 m->zProvider, m->zModel);
			add_problem(pList, "price_unknown", zMsg);
		}
	}
}

json_t *advisor_run(const AdvisorInput *in)
{
	json_t *pOut = json_object(), *pBlockers = json_array(), *pWarnings = json_array();
	json_t *pRec, *pRecModels = json_array(), *pEst, *pRecEst;
	const char **azChosen = xcalloc((size_t)in->nModel + 1, sizeof(char *));
	const char **azDefault = xcalloc((size_t)in->nModel + 1, sizeof(char *));
	int pct = in->samplePct, samples = in->samples, nValid = 0, recPct, i;
	int64_t target = in->targetJobs > 0 ? in->targetJobs : ADVISOR_DEFAULT_TARGET_JOBS;
	int64_t seed;
	char zReason[256];
	if (pct < SAMPLE_MIN_PCT || pct > SAMPLE_MAX_PCT)
		pct = SAMPLE_MAX_PCT;
	if (samples < 1 || samples > 100)
		samples = 1;
	for (i = 0; i < in->nModel; i++) {
		azChosen[i] = in->aModel[i].zVersion;
		azDefault[i] = in->aModel[i].zDefaultVersion ? in->aModel[i].zDefaultVersion
							      : in->aModel[i].zVersion;
		if (in->aModel[i].zModel)
			nValid++;
	}
	find_blockers(in, pBlockers);
	pEst = estimate(in, pct, samples, azChosen);
	recPct = advisor_recommend_pct(in->nScenario, samples, nValid, target);
	if (recPct > pct)
		recPct = pct; /* never recommend more than asked */
	find_warnings(in, pEst, recPct, pWarnings);
	seed = in->sampleSeed != 0 ? in->sampleSeed : advisor_default_seed(in->definitionId);
	for (i = 0; i < in->nModel; i++) {
		const AdvisorModel *m = &in->aModel[i];
		char zRef[512];
		json_t *pM;
		if (!m->zModel)
			continue;
		snprintf(zRef, sizeof(zRef), "%s:%s@%s", m->zProvider, m->zModel, azDefault[i]);
		pM = json_pack("{s:s, s:s, s:s, s:s, s:b}", "ref", zRef, "provider", m->zProvider, "model",
			       m->zModel, "version", azDefault[i], "is_default", 1);
		if (m->zVersion && strcmp(m->zVersion, azDefault[i]) != 0)
			json_object_set_new(pM, "chosen_version", json_string(m->zVersion));
		json_array_append_new(pRecModels, pM);
	}
	pRecEst = estimate(in, recPct, samples, azDefault);
	if (recPct < pct)
		snprintf(zReason, sizeof(zReason),
			 "Sample %d%% of the scenarios (seed %lld) to keep the run at or under %lld jobs.",
			 recPct, (long long)seed, (long long)target);
	else
		snprintf(zReason, sizeof(zReason),
			 "These settings stay at or under %lld jobs; no sampling is needed.", (long long)target);
	pRec = json_pack("{s:i, s:I, s:i, s:o, s:I, s:b, s:s, s:o}", "sample_pct", recPct, "sample_seed",
			 (json_int_t)seed, "samples", samples, "models", pRecModels, "target_jobs",
			 (json_int_t)target, "changes_sampling", recPct < pct, "reason", zReason,
			 "estimate", pRecEst);
	json_object_set_new(pOut, "ok", json_boolean(json_array_size(pBlockers) == 0));
	json_object_set_new(pOut, "blockers", pBlockers);
	json_object_set_new(pOut, "warnings", pWarnings);
	json_object_set_new(pOut, "estimate", pEst);
	json_object_set_new(pOut, "recommendation", pRec);
	free(azChosen);
	free(azDefault);
	return pOut;
}
