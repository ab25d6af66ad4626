/* run_fixture.h — test and bench fixtures: a definition with N scenarios, a run, and its transcripts, by SQL. */
#ifndef VR_TEST_RUN_FIXTURE_H
#define VR_TEST_RUN_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include "store/db.h"
#include "store/runs.h"

/*
 * Header-only (static inline functions) so that tests/unit/test_run_pages.c and
 * bench/bench_run_page.c share one fixture. Every statement is static text
 * with bound values, as in src/store/.
 */

static const char zFixtureDefinition[] =
	"INSERT INTO definitions(tenant_id, name, version, content, scenario_count, created_at, updated_at)"
	" VALUES(?1, ?2, 1, '{\"schema_version\":1,\"template\":\"[A] [B]\",\"dimensions\":[],"
	"\"followups\":[{\"label\":\"why\",\"prompt\":\"Why?\"}]}', ?3,"
	" '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')";
/* Scenario i gets A = i % 5 + 1 and B = (i / 5) % 3 * 2 + 1: two dimensions with levels. */
static const char zFixtureScenarios[] =
	"WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < ?2)"
	" INSERT INTO scenarios(definition_id, idx, name, dimension_scores, preamble, prompt)"
	" SELECT ?1, i, 'A_' || (i % 5 + 1) || ' / B_' || ((i / 5) % 3 * 2 + 1) || ' #' || i,"
	" json_object('A', i % 5 + 1, 'B', (i / 5) % 3 * 2 + 1), 'Think it through.',"
	" 'Scenario ' || i || ': rate it from 1 to 5.' FROM k";
/* One transcript per job; decisions vary deterministically, every 13th is a refusal and
 * every 17th unknown; model_version is NULL for every 50th (shown as "unknown"). */
static const char zFixtureTranscripts[] =
	"INSERT INTO transcripts(run_id, job_id, scenario_id, provider, model_id, model_version,"
	" sample_index, turns, request, response, turn_count, word_count, input_tokens, output_tokens,"
	" cost_usd, decision, decision_value, decision_class, decision_details, duration_ms,"
	" cache_hit, created_at)"
	" SELECT j.run_id, j.id, j.scenario_id, j.provider, j.model_id,"
	" CASE WHEN j.id % 50 = 0 THEN NULL ELSE j.model_version END, j.sample_index,"
	" json_array(json_object('turn', 1, 'prompt', 'Scenario prompt', 'response',"
	"   'Rating: ' || ((j.id * 7 + j.scenario_id) % 5 + 1) || ' ' || hex(zeroblob(1200)),"
	"   'input_tokens', 40, 'output_tokens', 12)),"
	" '{\"model\":\"' || j.model_version || '\",\"pad\":\"' || hex(zeroblob(600)) || '\"}',"
	" '{\"id\":\"r' || j.id || '\",\"pad\":\"' || hex(zeroblob(1200)) || '\"}', 1, 30, 40, 12,"
	" 0.00005, CASE WHEN j.id % 13 = 0 THEN 'refusal' WHEN j.id % 17 = 0 THEN 'unknown'"
	"   ELSE CAST((j.id * 7 + j.scenario_id) % 5 + 1 AS TEXT) END,"
	" CASE WHEN j.id % 13 = 0 OR j.id % 17 = 0 THEN NULL ELSE (j.id * 7 + j.scenario_id) % 5 + 1 END,"
	" 'exact', '{\"rule\":\"explicit_rating\",\"excerpt\":\"Rating\"}', 120, 0, '2026-01-01T00:00:00Z'"
	" FROM jobs j WHERE j.run_id = ?1";
static const char zFixtureJobsDone[] =
	"UPDATE jobs SET state = 'done', attempts = 1, duration_ms = 120 WHERE run_id = ?1";
static const char zFixtureRunDone[] =
	"UPDATE runs SET status = 'completed', completed_jobs = total_jobs,"
	" started_at = '2026-01-01T00:00:00Z', completed_at = '2026-01-01T00:05:00Z' WHERE id = ?1";

/* A definition with nScenario scenarios for the tenant; returns its id (or -1). */
static inline int64_t fixture_definition(Db *db, int64_t tenantId, const char *zName, int64_t nScenario)
{
	int64_t id;
	if (db_exec(db, zFixtureDefinition, "iti", tenantId, zName, nScenario) != DB_OK)
		return -1;
	id = db_last_insert_id(db);
	if (db_exec(db, zFixtureScenarios, "ii", id, nScenario) != DB_OK)
		return -1;
	return id;
}

/* A pending run of two mock models (samples each) over every scenario; returns its id (or -1). */
static inline int64_t fixture_run(Db *db, int64_t tenantId, int64_t defId, int samples, const char *zTrigger)
{
	static const RunModel aModel[] = {{"mock", "mock-a", "mock-a-2026-06"},
					  {"mock", "mock-b", "mock-b-2026-06"}};
	RunCreateSpec spec;
	int64_t runId = 0;
	int existing = 0;
	char zErr[256];
	memset(&spec, 0, sizeof(spec));
	spec.tenantId = tenantId;
	spec.definitionId = defId;
	spec.aModel = aModel;
	spec.nModel = 2;
	spec.samplePct = 100;
	spec.sampleSeed = 1;
	spec.samples = samples;
	spec.cache = -1;
	spec.zName = "fixture run";
	spec.zTriggerId = zTrigger;
	spec.zTriggerSource = "cli_tool";
	if (store_run_create(db, &spec, &runId, &existing, zErr, sizeof(zErr)) != DB_OK)
		return -1;
	return runId;
}

/* Every job of the run done with a transcript, and the run completed. 0 or -1. */
static inline int fixture_complete_run(Db *db, int64_t runId)
{
	if (db_exec(db, zFixtureTranscripts, "i", runId) != DB_OK ||
	    db_exec(db, zFixtureJobsDone, "i", runId) != DB_OK ||
	    db_exec(db, zFixtureRunDone, "i", runId) != DB_OK)
		return -1;
	return 0;
}

#endif
