/* test_dashboard_store.c — unit tests for the export writer, dashboard filters, the notification trigger and webhook delivery. */
#include <check.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exec/webhook.h"
#include "lib/buf.h"
#include "store/dashboard.h"
#include "store/db.h"
#include "store/export.h"
#include "store/notifications.h"
#include "fixture.h"

static char zDbPath[256];

/* A migrated database with tenant 1, user 1, definition 1 (dimensions A, B) and two scenarios. */
static Db *fresh_db(void)
{
	char zErr[256];
	Db *db;
	snprintf(zDbPath, sizeof(zDbPath), "/tmp/vr-test-dashboard-%d.db", (int)getpid());
	unlink(zDbPath);
	db = db_open(zDbPath, zErr, sizeof(zErr));
	ck_assert_msg(db != NULL, "%s", zErr);
	ck_assert_int_eq(db_migrate(db, zErr, sizeof(zErr)), DB_OK);
	ck_assert_int_eq(db_exec(db, "INSERT INTO tenants(id, slug, name, created_at) VALUES(1, 't', 'T', 'x')", ""), DB_OK);
	ck_assert_int_eq(db_exec(db, "INSERT INTO users(id, tenant_id, email, password_hash, role, created_at)"
				     " VALUES(1, 1, 'u@x', 'h', 'admin', 'x')", ""), DB_OK);
	ck_assert_int_eq(db_exec(db, "INSERT INTO definitions(id, tenant_id, name, content, created_at, updated_at)"
				     " VALUES(1, 1, 'D', ?1, 'x', 'x')", "t",
				 "{\"dimensions\":[{\"name\":\"A\"},{\"name\":\"B b\"}]}"), DB_OK);
	ck_assert_int_eq(db_exec(db, "INSERT INTO scenarios(id, definition_id, idx, name, dimension_scores, prompt)"
				     " VALUES(1, 1, 0, '=1+1', '{\"A\":1,\"B b\":5}', 'p'),"
				     " (2, 1, 1, 'a,\"b\"', '{\"A\":3}', 'p')", ""), DB_OK);
	return db;
}

static void drop_db(Db *db)
{
	db_close(db);
	fixture_remove_db(zDbPath);
}

/* A run of tenant 1 by user 1 with the given status, name and creation time. */
static int64_t add_run(Db *db, const char *zName, const char *zStatus, const char *zCreated, int64_t failed)
{
	static int n;
	char zTrigger[32];
	snprintf(zTrigger, sizeof(zTrigger), "t%d", ++n);
	ck_assert_int_eq(db_exec(db, "INSERT INTO runs(tenant_id, definition_id, name, status, config,"
				     " definition_snapshot, trigger_id, trigger_source, created_by, total_jobs,"
				     " completed_jobs, failed_jobs, created_at, started_at)"
				     " VALUES(1, 1, ?1, ?2, '{\"models\":[]}', ?3, ?4, 'cli_tool', 1, 4, 2, ?5, ?6,"
				     " '2026-01-01T00:00:00Z')",
				 "ttttit", zName, zStatus, "{\"dimensions\":[{\"name\":\"A\"},{\"name\":\"B b\"}]}",
				 zTrigger, failed, zCreated), DB_OK);
	return db_last_insert_id(db);
}

/* A transcript (and its job) of run runId. */
static void add_transcript(Db *db, int64_t runId, int64_t scenarioId, const char *zModel, int64_t sample,
			   double cost, const char *zTurns)
{
	ck_assert_int_eq(db_exec(db, "INSERT INTO jobs(run_id, scenario_id, provider, model_id, model_version,"
				     " sample_index, state) VALUES(?1, ?2, 'p', ?3, 'v1', ?4, 'done')",
				 "iiti", runId, scenarioId, zModel, sample), DB_OK);
	ck_assert_int_eq(db_exec(db, "INSERT INTO transcripts(run_id, job_id, scenario_id, provider, model_id,"
				     " model_version, sample_index, turns, turn_count, word_count, input_tokens,"
				     " output_tokens, cost_usd, decision, decision_value, decision_class, duration_ms,"
				     " created_at) VALUES(?1, ?2, ?3, 'p', ?4, 'v1', ?5, ?6, 1, 7, 10, NULL, ?7, '4', 4,"
				     " 'exact', 99, '2026-01-02 03:04:05')",
				 "iiititd", runId, db_last_insert_id(db), scenarioId, zModel, sample, zTurns, cost),
			 DB_OK);
}

/* ExportWriteFn into a Buf, counting the calls. */
static int nWrites;
static int buf_write(void *pArg, const char *p, size_t n)
{
	nWrites++;
	buf_append(pArg, p, n);
	return 0;
}

static int failing_write(void *pArg, const char *p, size_t n)
{
	(void)pArg;
	(void)p;
	(void)n;
	return -1;
}

#define HEADER "run_id,scenario_id,scenario_name,model_id,model_version,provider,sample_index,dim_A,dim_B b," \
	       "decision,decision_value,decision_class,turn_count,word_count,input_tokens,output_tokens," \
	       "cost_usd,duration_ms,created_at,transcript_id"

START_TEST(test_export_exact_bytes)
{
	Db *db = fresh_db();
	int64_t runId = add_run(db, "R", "running", "2026-01-01T00:00:00Z", 0), nRows = -1;
	Buf b = BUF_INIT;
	char zErr[256], zWant[2048];
	ExportRun run;
	/* a header-only file first */
	ck_assert_int_eq(export_run_csv(db, runId, 0, buf_write, &b, &nRows, zErr, sizeof(zErr)), 0);
	ck_assert_int_eq((int)nRows, 0);
	ck_assert_str_eq(buf_str(&b), "\xEF\xBB\xBF" HEADER "\r\n");
	add_transcript(db, runId, 2, "m-b", 0, 0.000123456789, "[{\"prompt\":\"P1\",\"response\":\"-R1\"}]");
	add_transcript(db, runId, 1, "m-b", 1, 0.5, "[{\"prompt\":\"P1\",\"response\":\"R1\"},{\"prompt\":\"P2\",\"response\":\"R2\"}]");
	add_transcript(db, runId, 1, "m-a", 0, 1e-7, "[{\"prompt\":\"P\",\"response\":\"x\\ny\"}]");
	buf_reset(&b);
	ck_assert_int_eq(export_run_csv(db, runId, 0, buf_write, &b, &nRows, zErr, sizeof(zErr)), 0);
	ck_assert_int_eq((int)nRows, 3);
	snprintf(zWant, sizeof(zWant),
		 "\xEF\xBB\xBF" HEADER "\r\n"
		 "%lld,1,'=1+1,m-a,v1,p,0,1,5,4,4,exact,1,7,10,,0.0000001,99,2026-01-02T03:04:05Z,3\r\n"
		 "%lld,1,'=1+1,m-b,v1,p,1,1,5,4,4,exact,1,7,10,,0.5,99,2026-01-02T03:04:05Z,2\r\n"
		 "%lld,2,\"a,\"\"b\"\"\",m-b,v1,p,0,3,,4,4,exact,1,7,10,,0.000123456789,99,2026-01-02T03:04:05Z,1\r\n",
		 (long long)runId, (long long)runId, (long long)runId);
	ck_assert_str_eq(buf_str(&b), zWant);
	/* text columns: turns joined, formula guard, quoting */
	buf_reset(&b);
	ck_assert_int_eq(export_run_csv(db, runId, 1, buf_write, &b, &nRows, zErr, sizeof(zErr)), 0);
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ",transcript_id,prompt,response\r\n"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ",2,\"P1\n\n---\n\nP2\",\"R1\n\n---\n\nR2\"\r\n"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ",1,P1,'-R1\r\n"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), ",3,P,\"x\ny\"\r\n"));
	/* a writer that gives up stops the export with a message */
	ck_assert_int_eq(export_run_csv(db, runId, 0, failing_write, NULL, &nRows, zErr, sizeof(zErr)), -1);
	ck_assert_ptr_nonnull(strstr(zErr, "went away"));
	/* the run lookup: tenant check and the partial flag */
	ck_assert_int_eq(store_export_run(db, 1, runId, &run), DB_OK);
	ck_assert_int_eq(run.partial, 1);
	ck_assert_int_eq(store_export_run(db, 2, runId, &run), DB_NOTFOUND);
	ck_assert_int_eq(store_export_run(db, 0, runId + 100, &run), DB_NOTFOUND);
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'completed' WHERE id = ?1", "i", runId), DB_OK);
	ck_assert_int_eq(store_export_run(db, 0, runId, &run), DB_OK);
	ck_assert_int_eq(run.partial, 0);
	buf_free(&b);
	drop_db(db);
}
END_TEST

START_TEST(test_export_streams_in_chunks)
{
	Db *db = fresh_db();
	int64_t runId = add_run(db, "R", "completed", "2026-01-01T00:00:00Z", 0), nRows = 0, i;
	Buf b = BUF_INIT;
	char zErr[256];
	ck_assert_int_eq(db_begin(db), DB_OK);
	for (i = 0; i < 3000; i++)
		add_transcript(db, runId, 1 + i % 2, "m", i, 0.25, "[{\"prompt\":\"p\",\"response\":\"r\"}]");
	ck_assert_int_eq(db_commit(db), DB_OK);
	nWrites = 0;
	ck_assert_int_eq(export_run_csv(db, runId, 1, buf_write, &b, &nRows, zErr, sizeof(zErr)), 0);
	ck_assert_int_eq((int)nRows, 3000);
	ck_assert_int_gt(nWrites, 2); /* flushed every EXPORT_FLUSH_BYTES, not once at the end */
	ck_assert_int_le(nWrites, (int)(b.n / EXPORT_FLUSH_BYTES) + 1);
	buf_free(&b);
	drop_db(db);
}
END_TEST

/* Ids of a run list, in order, as "1,2,3". */
static void ids_text(json_t *pRows, char *zOut, size_t n)
{
	json_t *pRow;
	size_t i, off = 0;
	zOut[0] = 0;
	json_array_foreach(pRows, i, pRow)
		off += (size_t)snprintf(zOut + off, n - off, "%s%lld", i ? "," : "",
					(long long)json_integer_value(json_object_get(pRow, "id")));
}

START_TEST(test_dashboard_filters)
{
	Db *db = fresh_db();
	RunFilter f;
	json_t *pRows;
	char z[256];
	int64_t a = add_run(db, "Alpha 100%", "completed", "2026-01-01T10:00:00Z", 0);
	int64_t b = add_run(db, "beta_x", "completed", "2026-01-02T10:00:00Z", 2);
	int64_t c = add_run(db, "Gamma", "running", "2026-01-03T10:00:00Z", 0);
	(void)a;
	memset(&f, 0, sizeof(f));
	f.tenantId = 1;
	f.descending = 1;
	ck_assert_int_eq((int)store_dashboard_count(db, &f), 3);
	pRows = store_dashboard_runs(db, &f);
	ids_text(pRows, z, sizeof(z));
	ck_assert_str_eq(z, "3,2,1");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pRows, 1), "display_status")),
			 "completed_with_errors");
	json_decref(pRows);
	f.zStatus = "completed";
	pRows = store_dashboard_runs(db, &f);
	ids_text(pRows, z, sizeof(z));
	ck_assert_str_eq(z, "1");
	json_decref(pRows);
	f.zStatus = "completed_with_errors";
	ck_assert_int_eq((int)store_dashboard_count(db, &f), 1);
	f.zStatus = NULL;
	f.zSearch = "%"; /* LIKE wildcards are literal */
	pRows = store_dashboard_runs(db, &f);
	ids_text(pRows, z, sizeof(z));
	ck_assert_str_eq(z, "1");
	json_decref(pRows);
	f.zSearch = "_";
	ck_assert_int_eq((int)store_dashboard_count(db, &f), 1);
	f.zSearch = "GAMMA";
	ck_assert_int_eq((int)store_dashboard_count(db, &f), 1);
	f.zSearch = NULL;
	f.zFrom = "2026-01-02";
	f.zTo = "2026-01-03";
	pRows = store_dashboard_runs(db, &f);
	ids_text(pRows, z, sizeof(z));
	ck_assert_str_eq(z, "2");
	json_decref(pRows);
	f.zFrom = f.zTo = NULL;
	f.tenantId = 2;
	ck_assert_int_eq((int)store_dashboard_count(db, &f), 0);
	f.tenantId = 0;
	f.descending = 0;
	f.limit = 1;
	f.offset = 1;
	pRows = store_dashboard_runs(db, &f);
	ids_text(pRows, z, sizeof(z));
	ck_assert_str_eq(z, "2");
	json_decref(pRows);
	(void)b;
	(void)c;
	drop_db(db);
}
END_TEST

START_TEST(test_trigger_writes_one_summary)
{
	Db *db = fresh_db();
	int64_t runId = add_run(db, "R", "running", "2026-01-01T00:00:00Z", 1);
	json_t *pRows, *pSummary;
	add_transcript(db, runId, 1, "m-a", 0, 0.25, "[]");
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'paused' WHERE id = ?1", "i", runId), DB_OK);
	ck_assert_int_eq((int)db_query_int(db, -1, "SELECT count(*) FROM notifications", ""), 0);
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'completed', completed_at = '2026-01-01T00:01:40Z'"
				     " WHERE id = ?1", "i", runId), DB_OK);
	ck_assert_int_eq((int)db_query_int(db, -1, "SELECT count(*) FROM notifications", ""), 1);
	pRows = store_notifications_undismissed(db, 1, 5);
	pSummary = json_object_get(json_array_get(pRows, 0), "summary");
	ck_assert_str_eq(json_string_value(json_object_get(pSummary, "display_status")), "completed_with_errors");
	json_decref(pRows);
	/* Ending again (after "retry failed") updates the one notification to the new outcome. */
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'running' WHERE id = ?1", "i", runId), DB_OK);
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'failed' WHERE id = ?1", "i", runId), DB_OK);
	ck_assert_int_eq((int)db_query_int(db, -1, "SELECT count(*) FROM notifications", ""), 1);
	pRows = store_notifications_undismissed(db, 1, 5);
	ck_assert_int_eq((int)json_array_size(pRows), 1);
	pSummary = json_object_get(json_array_get(pRows, 0), "summary");
	ck_assert_str_eq(json_string_value(json_object_get(pSummary, "display_status")), "failed");
	ck_assert_int_eq((int)json_integer_value(json_object_get(pSummary, "duration_s")), 100);
	ck_assert(json_real_value(json_object_get(pSummary, "cost_usd")) == 0.25);
	ck_assert_int_eq((int)json_array_size(json_object_get(pSummary, "models")), 1);
	ck_assert_int_eq(store_notification_dismiss(db, 2, json_integer_value(json_object_get(json_array_get(pRows, 0), "id"))),
			 DB_NOTFOUND);
	ck_assert_int_eq(store_notification_dismiss(db, 1, json_integer_value(json_object_get(json_array_get(pRows, 0), "id"))),
			 DB_OK);
	json_decref(pRows);
	pRows = store_notifications_undismissed(db, 1, 5);
	ck_assert_int_eq((int)json_array_size(pRows), 0);
	json_decref(pRows);
	drop_db(db);
}
END_TEST

/* A one-connection-at-a-time HTTP server answering each request with aStatus[i]. */
typedef struct HookServer {
	int fd;
	int port;
	int aStatus[8];
	int nStatus;
	int nSeen;
	char zLastBody[4096];
} HookServer;

static void *hook_server_main(void *pArg)
{
	HookServer *s = pArg;
	while (s->nSeen < s->nStatus) {
		char zReq[8192], zResp[128];
		size_t n = 0;
		char *zBody;
		int fd = accept(s->fd, NULL, NULL);
		if (fd < 0)
			break;
		/* read until the headers and the announced body are in */
		for (;;) {
			ssize_t got = recv(fd, zReq + n, sizeof(zReq) - 1 - n, 0);
			char *zLen;
			if (got <= 0)
				break;
			n += (size_t)got;
			zReq[n] = 0;
			zBody = strstr(zReq, "\r\n\r\n");
			zLen = strcasestr(zReq, "Content-Length:");
			if (zBody && zLen && (size_t)(zReq + n - (zBody + 4)) >= (size_t)atoi(zLen + 15))
				break;
		}
		zBody = strstr(zReq, "\r\n\r\n");
		snprintf(s->zLastBody, sizeof(s->zLastBody), "%s", zBody ? zBody + 4 : "");
		snprintf(zResp, sizeof(zResp), "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			 s->aStatus[s->nSeen]);
		s->nSeen++;
		if (send(fd, zResp, strlen(zResp), 0) < 0)
			break;
		close(fd);
	}
	return NULL;
}

START_TEST(test_webhook_delivery_retries_and_gives_up)
{
	Db *db = fresh_db();
	HookServer s;
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	pthread_t thread;
	char zUrl[64];
	int64_t runId, id, t = 1000000;
	json_t *pRow;
	memset(&s, 0, sizeof(s));
	s.fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s.fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(s.fd, 4), 0);
	getsockname(s.fd, (struct sockaddr *)&addr, &len);
	s.port = ntohs(addr.sin_port);
	s.aStatus[0] = 500;
	s.aStatus[1] = 200;
	s.nStatus = 2;
	ck_assert_int_eq(pthread_create(&thread, NULL, hook_server_main, &s), 0);
	snprintf(zUrl, sizeof(zUrl), "http://127.0.0.1:%d/hook", s.port);
	ck_assert_int_eq(store_tenant_set_webhook(db, 1, zUrl), DB_OK);
	runId = add_run(db, "Hooked", "running", "2026-01-01T00:00:00Z", 0);
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'cancelled' WHERE id = ?1", "i", runId), DB_OK);
	id = db_query_int(db, 0, "SELECT id FROM notifications WHERE run_id = ?1", "i", runId);
	ck_assert_int_gt((int)id, 0);
	/* first attempt: HTTP 500, retried later */
	ck_assert_int_eq(webhook_deliver_due(db, t, 1000), 1);
	pRow = db_query_one(db, "SELECT webhook_state, webhook_attempts, webhook_last_error FROM notifications"
				" WHERE id = ?1", "i", id);
	ck_assert_str_eq(json_string_value(json_object_get(pRow, "webhook_state")), "retrying");
	ck_assert_int_eq((int)json_integer_value(json_object_get(pRow, "webhook_attempts")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(pRow, "webhook_last_error")), "HTTP 500");
	json_decref(pRow);
	ck_assert_int_eq(webhook_deliver_due(db, t, 1000), 0); /* not due yet at the same time */
	/* due later: delivered, with the summary as the body */
	ck_assert_int_eq(db_exec(db, "UPDATE notifications SET webhook_next_ms = 0 WHERE id = ?1", "i", id), DB_OK);
	ck_assert_int_eq(webhook_deliver_due(db, t, 1000), 1);
	pthread_join(thread, NULL);
	close(s.fd);
	ck_assert_ptr_nonnull(strstr(s.zLastBody, "\"status\":\"cancelled\""));
	pRow = db_query_one(db, "SELECT webhook_state, webhook_attempts, webhook_last_error FROM notifications"
				" WHERE id = ?1", "i", id);
	ck_assert_str_eq(json_string_value(json_object_get(pRow, "webhook_state")), "delivered");
	ck_assert_int_eq((int)json_integer_value(json_object_get(pRow, "webhook_attempts")), 2);
	ck_assert(json_is_null(json_object_get(pRow, "webhook_last_error")));
	json_decref(pRow);
	ck_assert_int_eq(webhook_deliver_due(db, t, 1000), 0);
	/* an unreachable URL fails 5 times, then gives up */
	ck_assert_int_eq(store_tenant_set_webhook(db, 1, "http://127.0.0.1:1/nothing-listens"), DB_OK);
	runId = add_run(db, "Hooked 2", "running", "2026-01-01T00:00:00Z", 0);
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'completed' WHERE id = ?1", "i", runId), DB_OK);
	id = db_query_int(db, 0, "SELECT id FROM notifications WHERE run_id = ?1", "i", runId);
	for (int i = 0; i < WEBHOOK_MAX_ATTEMPTS; i++) {
		ck_assert_int_eq(db_exec(db, "UPDATE notifications SET webhook_next_ms = 0 WHERE id = ?1", "i", id), DB_OK);
		ck_assert_int_eq(webhook_deliver_due(db, t, 1), 1);
	}
	ck_assert_int_eq(db_exec(db, "UPDATE notifications SET webhook_next_ms = 0 WHERE id = ?1", "i", id), DB_OK);
	ck_assert_int_eq(webhook_deliver_due(db, t, 1), 0);
	pRow = db_query_one(db, "SELECT webhook_state, webhook_attempts FROM notifications WHERE id = ?1", "i", id);
	ck_assert_str_eq(json_string_value(json_object_get(pRow, "webhook_state")), "failed");
	ck_assert_int_eq((int)json_integer_value(json_object_get(pRow, "webhook_attempts")), WEBHOOK_MAX_ATTEMPTS);
	json_decref(pRow);
	/* a tenant that removed its URL: skipped, not sent */
	ck_assert_int_eq(store_tenant_set_webhook(db, 1, "http://127.0.0.1:1/x"), DB_OK);
	runId = add_run(db, "Hooked 3", "running", "2026-01-01T00:00:00Z", 0);
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'completed' WHERE id = ?1", "i", runId), DB_OK);
	ck_assert_int_eq(store_tenant_set_webhook(db, 1, NULL), DB_OK);
	ck_assert_int_eq(webhook_deliver_due(db, t, 1), 0);
	ck_assert_int_eq((int)db_query_int(db, 0, "SELECT count(*) FROM notifications WHERE webhook_state = 'skipped'", ""), 1);
	drop_db(db);
}
END_TEST

START_TEST(test_webhook_thread_starts_and_stops)
{
	Db *db = fresh_db();
	ck_assert_int_eq(webhook_thread_start(zDbPath), 0);
	ck_assert_int_eq(webhook_thread_start(zDbPath), -1);
	webhook_thread_stop();
	webhook_thread_stop(); /* harmless twice */
	ck_assert_int_eq(webhook_thread_start("/nonexistent-dir/x.db"), -1);
	drop_db(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dashboard_store");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nFailed;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_export_exact_bytes);
	tcase_add_test(tc, test_export_streams_in_chunks);
	tcase_add_test(tc, test_dashboard_filters);
	tcase_add_test(tc, test_trigger_writes_one_summary);
	tcase_add_test(tc, test_webhook_delivery_retries_and_gives_up);
	tcase_add_test(tc, test_webhook_thread_starts_and_stops);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	nFailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return nFailed == 0 ? 0 : 1;
}
