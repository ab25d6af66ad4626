/* test_run_pages.c — the run workflow pages in-process: run page, controls, transcript, tasks, start form, API. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/timeutil.h"
#include "store/accounts.h"
#include "web/app.h"
#include "web/auth.h"
#include "web/web.h"
#include "run_fixture.h"
#include "fixture.h"
#include "check_main.h"

static App app;
static Config config;
static char zDb[256];
static int64_t tenantA, tenantB;

/* A signed-in browser: its cookie and CSRF token. */
typedef struct Session {
	char zCookie[128];
	char zCsrf[65];
} Session;

static void serve(Response *p, const char *zMethod, const char *zUri, const char *zBody,
		  const char *zCookie)
{
	fixture_serve(&app, p, zMethod, zUri, zBody, zCookie, "http://vr.test");
}

static void login(Session *s, const char *zEmail)
{
	Response resp;
	char zBody[200];
	const char *z;
	snprintf(zBody, sizeof(zBody), "email=%s&password=correct+horse", zEmail);
	serve(&resp, "POST", "/login", zBody, NULL);
	ck_assert_int_eq(resp.status, 303);
	z = strstr(buf_str(&resp.headers), "Set-Cookie: vr_session=");
	ck_assert_ptr_nonnull(z);
	z += strlen("Set-Cookie: ");
	snprintf(s->zCookie, sizeof(s->zCookie), "%.*s", (int)strcspn(z, ";"), z);
	response_free(&resp);
	serve(&resp, "GET", "/settings/tokens", NULL, s->zCookie);
	z = strstr(buf_str(&resp.body), "name=\"csrf_token\" value=\"");
	ck_assert_ptr_nonnull(z);
	snprintf(s->zCsrf, sizeof(s->zCsrf), "%.64s", z + strlen("name=\"csrf_token\" value=\""));
	response_free(&resp);
}

static void setup(void)
{
	char zErr[512], zPath[512], zHash[256];
	const char *zSrc = getenv("VR_SRCDIR") ? getenv("VR_SRCDIR") : ".";
	DbRc rc;
	Db *db;
	snprintf(zDb, sizeof(zDb), "/tmp/vr-test-runpages-%d.db", (int)getpid());
	unlink(zDb);
	ck_assert_int_eq(config_load(&config, NULL, zErr, sizeof(zErr)), 0);
	config_set_database(&config, zDb);
	snprintf(zPath, sizeof(zPath), "%s/templates", zSrc);
	free(config.zTemplates);
	config.zTemplates = strdup(zPath);
	snprintf(zPath, sizeof(zPath), "%s/etc/models.json", zSrc);
	free(config.zModels);
	config.zModels = strdup(zPath);
	db = db_open(zDb, zErr, sizeof(zErr));
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_migrate(db, zErr, sizeof(zErr)), DB_OK);
	ck_assert_int_eq(auth_hash_password("correct horse", zHash, sizeof(zHash)), 0);
	tenantA = store_tenant_ensure(db, "a", "A");
	tenantB = store_tenant_ensure(db, "b", "B");
	ck_assert_int_gt(store_user_add(db, tenantA, "a@example.org", zHash, "researcher", 0, &rc), 0);
	ck_assert_int_gt(store_user_add(db, tenantB, "b@example.org", zHash, "researcher", 0, &rc), 0);
	db_close(db);
	ck_assert_msg(app_load_shared(&app, &config, zErr, sizeof(zErr)) == 0, "%s", zErr);
	ck_assert_msg(app_open_db(&app, zErr, sizeof(zErr)) == 0, "%s", zErr);
}

static void teardown(void)
{
	app_free(&app);
	config_free(&config);
	fixture_remove_db(zDb);
}

static int body_has(const Response *p, const char *z)
{
	return strstr(buf_str(&p->body), z) != NULL;
}

static int location_is(const Response *p, const char *zUrl)
{
	char zLine[300];
	snprintf(zLine, sizeof(zLine), "Location: %s\r\n", zUrl);
	return strstr(buf_str(&p->headers), zLine) != NULL;
}

static const char zAuditCount[] = "SELECT count(*) FROM audit_log WHERE action = ?1 AND target_id = ?2";

START_TEST(test_run_page_progress_and_controls)
{
	Session s;
	Response resp;
	char zUrl[128], zBody[200];
	int64_t defId = fixture_definition(app.db, tenantA, "Fixture", 10);
	int64_t runId = fixture_run(app.db, tenantA, defId, 1, "trig-1");
	json_t *pRow;
	ck_assert_int_gt(runId, 0);
	login(&s, "a%40example.org");
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld", (long long)runId);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(body_has(&resp, "<meta http-equiv=\"refresh\" content=\"5\">"));
	ck_assert(body_has(&resp, "<p class=\"empty\" id=\"no-results\">No results yet.</p>"));
	ck_assert(body_has(&resp, "<progress id=\"progress-bar\" value=\"0\" max=\"20\">0%</progress>"));
	ck_assert(body_has(&resp, "<span class=\"model-progress-text\">mock-a 0/10</span>"));
	ck_assert(body_has(&resp, "id=\"pause-button\""));
	ck_assert(body_has(&resp, "Last updated "));
	ck_assert(body_has(&resp, "via <code>cli_tool</code>"));
	response_free(&resp);
	/* Viewing recorded the access. */
	pRow = db_query_one(app.db, "SELECT last_accessed_at FROM runs WHERE id = ?1", "i", runId);
	ck_assert(json_is_string(json_object_get(pRow, "last_accessed_at")));
	json_decref(pRow);

	/* Pause: CSRF-checked, audited, idempotent, and says what happened. */
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld/pause", (long long)runId);
	serve(&resp, "POST", zUrl, "csrf_token=wrong", s.zCookie);
	ck_assert_int_eq(resp.status, 403);
	response_free(&resp);
	ck_assert_int_eq(db_query_int(app.db, 0, zAuditCount, "ti", "run.pause", runId), 0);
	snprintf(zBody, sizeof(zBody), "csrf_token=%s", s.zCsrf);
	serve(&resp, "POST", zUrl, zBody, s.zCookie);
	ck_assert_int_eq(resp.status, 303);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld?done=paused", (long long)runId);
	ck_assert(location_is(&resp, zUrl));
	response_free(&resp);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert(body_has(&resp, "Run paused."));
	ck_assert(body_has(&resp, "id=\"resume-button\""));
	ck_assert(!body_has(&resp, "id=\"pause-button\""));
	ck_assert(body_has(&resp, "<meta http-equiv=\"refresh\""));
	response_free(&resp);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld/pause", (long long)runId);
	serve(&resp, "POST", zUrl, zBody, s.zCookie);
	ck_assert_int_eq(resp.status, 303);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld?done=already_paused", (long long)runId);
	ck_assert(location_is(&resp, zUrl));
	response_free(&resp);
	ck_assert_int_eq(db_query_int(app.db, 0, zAuditCount, "ti", "run.pause", runId), 2);

	/* Resume, then cancel through the confirmation page. */
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld/resume", (long long)runId);
	serve(&resp, "POST", zUrl, zBody, s.zCookie);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld?done=resumed", (long long)runId);
	ck_assert(location_is(&resp, zUrl));
	response_free(&resp);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld/cancel", (long long)runId);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(body_has(&resp, "id=\"confirm-cancel\""));
	response_free(&resp);
	ck_assert_int_eq(db_query_int(app.db, 0, zAuditCount, "ti", "run.cancel", runId), 0);
	serve(&resp, "POST", zUrl, zBody, s.zCookie);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld?done=cancelled", (long long)runId);
	ck_assert(location_is(&resp, zUrl));
	response_free(&resp);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert(body_has(&resp, "Run cancelled."));
	ck_assert(body_has(&resp, ">Cancelled</span>"));
	ck_assert(!body_has(&resp, "http-equiv=\"refresh\""));
	ck_assert(!body_has(&resp, "id=\"pause-button\""));
	ck_assert(!body_has(&resp, "id=\"resume-button\""));
	ck_assert(!body_has(&resp, "id=\"cancel-link\""));
	ck_assert(body_has(&resp, "id=\"rerun-link\""));
	response_free(&resp);
	/* Pausing a cancelled run is refused with the reason. */
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld/pause", (long long)runId);
	serve(&resp, "POST", zUrl, zBody, s.zCookie);
	ck_assert_int_eq(resp.status, 409);
	ck_assert(body_has(&resp, "Only a pending or running run can be paused (the run is cancelled)."));
	response_free(&resp);
	ck_assert_int_eq(db_query_int(app.db, 0, zAuditCount, "ti", "run.cancel", runId), 1);
}
END_TEST

START_TEST(test_run_results_and_isolation)
{
	Session s, other;
	Response resp;
	char zUrl[128];
	int64_t defId = fixture_definition(app.db, tenantA, "Fixture", 15);
	int64_t runId = fixture_run(app.db, tenantA, defId, 1, "trig-2");
	int64_t tId, jobId;
	ck_assert_int_eq(fixture_complete_run(app.db, runId), 0);
	tId = db_query_int(app.db, 0, "SELECT min(id) FROM transcripts WHERE run_id = ?1", "i", runId);
	jobId = db_query_int(app.db, 0, "SELECT job_id FROM transcripts WHERE id = ?1", "i", tId);
	login(&s, "a%40example.org");
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld", (long long)runId);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(!body_has(&resp, "http-equiv=\"refresh\""));
	ck_assert(!body_has(&resp, "No results yet"));
	ck_assert(body_has(&resp, "<table id=\"results-models\">"));
	ck_assert(body_has(&resp, "<svg class=\"chart\""));
	ck_assert(body_has(&resp, "<td class=\"model-versions\">mock-a-2026-06,unknown</td>") ||
		  body_has(&resp, "<td class=\"model-versions\">mock-a-2026-06</td>"));
	ck_assert(body_has(&resp, "<caption>A</caption>"));
	ck_assert(body_has(&resp, "<tr class=\"slope\"><th>Slope</th>"));
	{
		char zLink[64];
		snprintf(zLink, sizeof(zLink), "<a href=\"/transcripts/%lld\">", (long long)tId);
		ck_assert(body_has(&resp, zLink));
	}
	ck_assert(body_has(&resp, "id=\"retry-button\"") == 0); /* no failures */
	response_free(&resp);
	/* The API serves the same view model. */
	snprintf(zUrl, sizeof(zUrl), "/api/v1/runs/%lld", (long long)runId);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(resp.zContentType, "application/json");
	ck_assert(body_has(&resp, "\"status_label\": \"Completed\""));
	response_free(&resp);

	/* Transcript and task pages, then another tenant gets 404 for all three. */
	snprintf(zUrl, sizeof(zUrl), "/transcripts/%lld", (long long)tId);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(body_has(&resp, "<dd id=\"model-version\">"));
	ck_assert(body_has(&resp, "<p>Rating: "));
	response_free(&resp);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld/tasks/%lld", (long long)runId, (long long)jobId);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(body_has(&resp, "<pre class=\"json request-json\">{\n  &quot;model&quot;:"));
	response_free(&resp);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld/tasks?state=done&model=mock-b", (long long)runId);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(body_has(&resp, "15 task(s) · page 1 of 1"));
	ck_assert(!body_has(&resp, "<td>mock-a "));
	response_free(&resp);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld/tasks?state=bogus", (long long)runId);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert_int_eq(resp.status, 400);
	response_free(&resp);

	login(&other, "b%40example.org");
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld", (long long)runId);
	serve(&resp, "GET", zUrl, NULL, other.zCookie);
	ck_assert_int_eq(resp.status, 404);
	response_free(&resp);
	snprintf(zUrl, sizeof(zUrl), "/transcripts/%lld", (long long)tId);
	serve(&resp, "GET", zUrl, NULL, other.zCookie);
	ck_assert_int_eq(resp.status, 404);
	response_free(&resp);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld/tasks/%lld", (long long)runId, (long long)jobId);
	serve(&resp, "GET", zUrl, NULL, other.zCookie);
	ck_assert_int_eq(resp.status, 404);
	response_free(&resp);
	{
		char zBody[120];
		snprintf(zUrl, sizeof(zUrl), "/runs/%lld/pause", (long long)runId);
		snprintf(zBody, sizeof(zBody), "csrf_token=%s", other.zCsrf);
		serve(&resp, "POST", zUrl, zBody, other.zCookie);
		ck_assert_int_eq(resp.status, 404);
		response_free(&resp);
	}
}
END_TEST

static const char zSetTurns[] = "UPDATE transcripts SET turns = ?2 WHERE id = ?1";

START_TEST(test_transcript_markdown_is_safe)
{
	Session s;
	Response resp;
	char zUrl[64];
	int64_t defId = fixture_definition(app.db, tenantA, "Fixture", 1);
	int64_t runId = fixture_run(app.db, tenantA, defId, 1, "trig-3");
	int64_t tId;
	json_t *pTurns;
	Buf big = BUF_INIT;
	int i;
	ck_assert_int_eq(fixture_complete_run(app.db, runId), 0);
	tId = db_query_int(app.db, 0, "SELECT min(id) FROM transcripts WHERE run_id = ?1", "i", runId);
	for (i = 0; i < 300; i++)
		buf_puts(&big, "long answer ");
	pTurns = json_pack("[{s:s, s:s}, {s:s, s:s}]", "prompt", "Rate it: **1** to 5",
			   "response", "**4** <script>alert(1)</script> [x](javascript:alert(2))",
			   "prompt", "Why?", "response", buf_str(&big));
	ck_assert_int_eq(db_exec(app.db, zSetTurns, "ij", tId, pTurns), DB_OK);
	json_decref(pTurns);
	buf_free(&big);
	login(&s, "a%40example.org");
	snprintf(zUrl, sizeof(zUrl), "/transcripts/%lld", (long long)tId);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(body_has(&resp, "<strong>4</strong>"));
	ck_assert(!body_has(&resp, "<script>"));
	ck_assert(!body_has(&resp, "javascript:"));
	ck_assert(body_has(&resp, "<strong>1</strong>"));
	ck_assert(body_has(&resp, "<details class=\"response-full\"><summary>Show all</summary>"));
	ck_assert(body_has(&resp, "long answer long answer"));
	response_free(&resp);
}
END_TEST

static const char zWorker[] =
	"INSERT INTO workers(id, host, pid, version, started_at, heartbeat_at, heartbeat_ms)"
	" VALUES('w1', 'h', 1, 't', 'x', 'x', ?1)";
static const char zProviderOk[] =
	"INSERT INTO provider_status(provider, configured, connected) VALUES('mock', 1, 1)";

START_TEST(test_start_form_advisor_and_double_submit)
{
	Session s;
	Response resp;
	char zUrl[128], zBody[1024];
	int64_t defId = fixture_definition(app.db, tenantA, "Fixture", 12), runId;
	login(&s, "a%40example.org");
	snprintf(zUrl, sizeof(zUrl), "/runs/new?definition=%lld", (long long)defId);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(body_has(&resp, "name=\"models\" value=\"mock:mock-a\""));
	ck_assert(body_has(&resp, "<option value=\"mock-a-2026-06\" selected>mock-a-2026-06 (default)</option>"));
	ck_assert(body_has(&resp, "name=\"trigger_id\" value=\""));
	ck_assert(body_has(&resp, "id=\"start-button\" disabled"));
	response_free(&resp);
	/* Another tenant's definition is 404. */
	{
		Session other;
		login(&other, "b%40example.org");
		serve(&resp, "GET", zUrl, NULL, other.zCookie);
		ck_assert_int_eq(resp.status, 404);
		response_free(&resp);
	}
	/* Check with no executor and no key: blockers, Start disabled. */
	snprintf(zBody, sizeof(zBody),
		 "csrf_token=%s&definition_id=%lld&models=mock%%3Amock-a&version.mock%%3Amock-a=mock-a-2026-01"
		 "&models=mock%%3Amock-b&sample_pct=100&sample_seed=3&samples=1&trigger_id=t-abc&name=Mine",
		 s.zCsrf, (long long)defId);
	serve(&resp, "POST", "/runs/preflight", zBody, s.zCookie);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(body_has(&resp, "id=\"advisor-blockers\""));
	ck_assert(body_has(&resp, "Provider mock has no API key configured for valuerankd"));
	ck_assert(body_has(&resp, "No executor (valuerankd) has sent a heartbeat"));
	ck_assert(body_has(&resp, "<td class=\"num\" id=\"estimate-jobs\">24</td>"));
	ck_assert(body_has(&resp, "<option value=\"mock-a-2026-01\" selected>"));
	ck_assert(body_has(&resp, "id=\"start-button\" disabled"));
	response_free(&resp);
	/* Start anyway: refused with the reason, nothing created. */
	serve(&resp, "POST", "/runs", zBody, s.zCookie);
	ck_assert_int_eq(resp.status, 422);
	ck_assert(body_has(&resp, "The run was not started: Provider mock has no API key"));
	response_free(&resp);
	ck_assert_int_eq(db_query_int(app.db, -1, "SELECT count(*) FROM runs", ""), 0);

	ck_assert_int_eq(db_exec(app.db, zWorker, "i", time_now_ms()), DB_OK);
	ck_assert_int_eq(db_exec(app.db, zProviderOk, ""), DB_OK);
	/* No models: refused with the reason. */
	{
		char zNoModels[300];
		snprintf(zNoModels, sizeof(zNoModels), "csrf_token=%s&definition_id=%lld&trigger_id=t-none",
			 s.zCsrf, (long long)defId);
		serve(&resp, "POST", "/runs", zNoModels, s.zCookie);
		ck_assert_int_eq(resp.status, 422);
		ck_assert(body_has(&resp, "The run was not started: Select at least one model."));
		response_free(&resp);
	}
	/* "Use these settings": default versions, marked as the advisor's. */
	{
		char zApply[1100];
		snprintf(zApply, sizeof(zApply), "%s&apply=recommendation", zBody);
		serve(&resp, "POST", "/runs/preflight", zApply, s.zCookie);
		ck_assert_int_eq(resp.status, 200);
		ck_assert(body_has(&resp, "id=\"advisor-suggested\""));
		ck_assert(body_has(&resp, "<option value=\"mock-a-2026-06\" selected>"));
		ck_assert(body_has(&resp, "name=\"advisor_suggested\" value=\"1\""));
		ck_assert(!body_has(&resp, "id=\"start-button\" disabled"));
		response_free(&resp);
	}
	/* Start twice with the same trigger id: one run. */
	serve(&resp, "POST", "/runs", zBody, s.zCookie);
	ck_assert_int_eq(resp.status, 303);
	runId = db_query_int(app.db, 0, "SELECT id FROM runs WHERE trigger_id = 't-abc'", "");
	ck_assert_int_gt(runId, 0);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld?done=started", (long long)runId);
	ck_assert(location_is(&resp, zUrl));
	response_free(&resp);
	serve(&resp, "POST", "/runs", zBody, s.zCookie);
	ck_assert_int_eq(resp.status, 303);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld?done=existing", (long long)runId);
	ck_assert(location_is(&resp, zUrl));
	response_free(&resp);
	ck_assert_int_eq(db_query_int(app.db, -1, "SELECT count(*) FROM runs", ""), 1);
	ck_assert_int_eq(db_query_int(app.db, -1, "SELECT total_jobs FROM runs", ""), 24);
	ck_assert_int_eq(db_query_int(app.db, 0, zAuditCount, "ti", "run.start", runId), 1);
	{
		json_t *pRun = db_query_one(app.db,
					    "SELECT r.trigger_source, r.name, r.advisor_snapshot AS adv_json,"
					    " d.last_accessed_at FROM runs r JOIN definitions d ON d.id = r.definition_id",
					    "");
		ck_assert_str_eq(json_string_value(json_object_get(pRun, "trigger_source")), "web_form");
		ck_assert_str_eq(json_string_value(json_object_get(pRun, "name")), "Mine");
		ck_assert(json_is_object(json_object_get(json_object_get(pRun, "adv"), "advisor")));
		ck_assert(json_is_string(json_object_get(pRun, "last_accessed_at")));
		json_decref(pRun);
	}
	/* Re-run: the form is prefilled from the run and names it as parent. */
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld/rerun", (long long)runId);
	serve(&resp, "GET", zUrl, NULL, s.zCookie);
	ck_assert_int_eq(resp.status, 200);
	{
		char zHidden[120];
		snprintf(zHidden, sizeof(zHidden), "name=\"parent_run_id\" value=\"%lld\"", (long long)runId);
		ck_assert(body_has(&resp, zHidden));
	}
	ck_assert(body_has(&resp, "<option value=\"mock-a-2026-01\" selected>"));
	ck_assert(body_has(&resp, "name=\"sample_seed\" type=\"number\" min=\"0\" value=\"3\""));
	response_free(&resp);
}
END_TEST

START_TEST(test_api_start_with_json)
{
	Session s;
	Response resp;
	RequestInput in;
	const char *zJson;
	char zLen[16];
	int64_t defId = fixture_definition(app.db, tenantA, "Fixture", 3);
	login(&s, "a%40example.org");
	ck_assert_int_eq(db_exec(app.db, zWorker, "i", time_now_ms()), DB_OK);
	ck_assert_int_eq(db_exec(app.db, zProviderOk, ""), DB_OK);
	{
		static char zBuf[300];
		snprintf(zBuf, sizeof(zBuf),
			 "{\"definition_id\": %lld, \"models\": [\"mock:mock-c\"], \"trigger_id\": \"api-1\","
			 " \"temperature\": 0}",
			 (long long)defId);
		zJson = zBuf;
	}
	/* A Bearer-token client sends JSON; here the session stands in, with a CSRF-free JSON body
	 * refused (session POSTs need the form token), which proves the CSRF check applies. */
	memset(&in, 0, sizeof(in));
	in.zMethod = "POST";
	in.zRequestUri = "/api/v1/runs";
	in.zHost = "vr.test";
	in.zOrigin = "http://vr.test";
	in.zCookie = s.zCookie;
	in.zContentType = "application/json";
	snprintf(zLen, sizeof(zLen), "%zu", strlen(zJson));
	in.zContentLength = zLen;
	in.pBody = zJson;
	in.nBody = strlen(zJson);
	response_init(&resp);
	app_serve(&app, &in, &resp);
	ck_assert_int_eq(resp.status, 403);
	response_free(&resp);
	ck_assert_int_eq(db_query_int(app.db, -1, "SELECT count(*) FROM runs", ""), 0);
}
END_TEST

int main(void)
{
	Suite *st = suite_create("run_pages");
	TCase *tc = tcase_create("pages");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_run_page_progress_and_controls);
	tcase_add_test(tc, test_run_results_and_isolation);
	tcase_add_test(tc, test_transcript_markdown_is_safe);
	tcase_add_test(tc, test_start_form_advisor_and_double_submit);
	tcase_add_test(tc, test_api_start_with_json);
	suite_add_tcase(st, tc);
	return check_run(st);
}
