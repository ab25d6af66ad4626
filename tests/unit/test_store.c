/* test_store.c — unit tests for the store core: migrations, typed queries, nesting transactions, the idle detector. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/accounts.h"
#include "store/db.h"
#include "store/db_internal.h"
#include "store/jobs.h"
#include "fixture.h"
#include "run_fixture.h"
#include "check_main.h"

static char zDbPath[256];

static Db *fresh_db(void)
{
	char zErr[256];
	Db *db;
	snprintf(zDbPath, sizeof(zDbPath), "/tmp/vr-test-store-%d.db", (int)getpid());
	unlink(zDbPath);
	db = db_open(zDbPath, zErr, sizeof(zErr));
	ck_assert_msg(db != NULL, "%s", zErr);
	ck_assert_int_eq(db_migrate(db, zErr, sizeof(zErr)), DB_OK);
	return db;
}

static void drop_db(Db *db)
{
	db_close(db);
	fixture_remove_db(zDbPath);
}

START_TEST(test_migrate_twice_is_harmless)
{
	char zErr[256];
	Db *db = fresh_db();
	ck_assert_int_eq(db_schema_current(db), db_schema_latest());
	ck_assert_int_eq(db_migrate(db, zErr, sizeof(zErr)), DB_OK);
	ck_assert_int_eq(db_schema_current(db), db_schema_latest());
	ck_assert_int_eq(db_schema_check(db, zErr, sizeof(zErr)), 0);
	ck_assert_int_eq((int)db_query_int(db, -1, "SELECT count(*) FROM schema_migrations", ""),
			 db_schema_latest());
	drop_db(db);
}
END_TEST

START_TEST(test_schema_check_names_the_command)
{
	char zErr[256];
	Db *db;
	snprintf(zDbPath, sizeof(zDbPath), "/tmp/vr-test-store-empty-%d.db", (int)getpid());
	unlink(zDbPath);
	db = db_open(zDbPath, zErr, sizeof(zErr));
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_schema_check(db, zErr, sizeof(zErr)), -1);
	ck_assert_msg(strstr(zErr, "valuerank init") != NULL, "%s", zErr);
	drop_db(db);
}
END_TEST

START_TEST(test_typed_query_binds_and_returns_json)
{
	Db *db = fresh_db();
	json_t *pRow;
	int64_t t = store_tenant_ensure(db, "acme", "Acme <Labs>");
	ck_assert_int_gt(t, 0);
	ck_assert_int_eq(store_tenant_ensure(db, "acme", "ignored"), t);
	pRow = store_tenant_get(db, t);
	ck_assert_ptr_nonnull(pRow);
	ck_assert_str_eq(json_string_value(json_object_get(pRow, "name")), "Acme <Labs>");
	ck_assert(json_is_null(json_object_get(pRow, "webhook_url")));
	json_decref(pRow);
	/* A hostile value is data, never SQL. */
	ck_assert_int_gt(store_tenant_ensure(db, "x'); DROP TABLE tenants; --", "x"), 0);
	ck_assert_int_eq((int)db_query_int(db, -1, "SELECT count(*) FROM tenants", ""), 2);
	pRow = db_query_one(db, "SELECT '{\"a\":[1,2]}' AS thing_json, 2.5 AS d", "");
	ck_assert_int_eq((int)json_array_size(json_object_get(json_object_get(pRow, "thing"), "a")), 2);
	ck_assert(json_real_value(json_object_get(pRow, "d")) == 2.5);
	json_decref(pRow);
	drop_db(db);
}
END_TEST

START_TEST(test_unique_email_conflict)
{
	Db *db = fresh_db();
	DbRc rc;
	int64_t t = store_tenant_ensure(db, "demo", "demo");
	ck_assert_int_gt(store_user_add(db, t, "a@example.org", "$argon2id$x", "admin", 1, &rc), 0);
	ck_assert_int_eq(store_user_add(db, t, "A@example.org", "$argon2id$x", "viewer", 0, &rc), -1);
	ck_assert_int_eq(rc, DB_CONFLICT);
	ck_assert_int_eq(store_user_add(db, t, "b@example.org", "$argon2id$x", "root", 0, &rc), -1);
	ck_assert_int_eq(rc, DB_CONFLICT); /* the role CHECK constraint */
	drop_db(db);
}
END_TEST

START_TEST(test_nested_transactions)
{
	Db *db = fresh_db();
	ck_assert_int_eq(db_begin(db), DB_OK);
	store_tenant_ensure(db, "outer", "outer");
	ck_assert_int_eq(db_begin(db), DB_OK);
	ck_assert_int_eq(db_tx_depth(db), 2);
	store_tenant_ensure(db, "inner", "inner");
	ck_assert_int_eq(db_rollback(db), DB_OK); /* undoes only the inner work */
	ck_assert_int_eq(db_commit(db), DB_OK);
	ck_assert_int_eq(db_tx_depth(db), 0);
	ck_assert_int_eq((int)db_query_int(db, -1, "SELECT count(*) FROM tenants WHERE slug='outer'", ""), 1);
	ck_assert_int_eq((int)db_query_int(db, -1, "SELECT count(*) FROM tenants WHERE slug='inner'", ""), 0);
	ck_assert_int_eq(db_commit(db), DB_ERROR); /* unbalanced commit is refused */
	drop_db(db);
}
END_TEST

START_TEST(test_idle_detector_fires_on_open_transaction)
{
	char zErr[256];
	Db *db = fresh_db();
	ck_assert_int_eq(db_check_idle(db, zErr, sizeof(zErr)), 0);
	db_begin(db);
	store_tenant_ensure(db, "leak", "leak");
	ck_assert_int_eq(db_check_idle(db, zErr, sizeof(zErr)), -1);
	ck_assert_msg(strstr(zErr, "transaction left open") != NULL, "%s", zErr);
	/* The detector rolled the forgotten work back and the connection is usable. */
	ck_assert_int_eq(db_tx_depth(db), 0);
	ck_assert_int_eq((int)db_query_int(db, -1, "SELECT count(*) FROM tenants WHERE slug='leak'", ""), 0);
	ck_assert_int_eq(db_check_idle(db, zErr, sizeof(zErr)), 0);
	drop_db(db);
}
END_TEST

START_TEST(test_idle_detector_fires_on_running_statement)
{
	char zErr[256];
	Db *db = fresh_db();
	sqlite3_stmt *pStmt;
	int owned;
	store_tenant_ensure(db, "a", "a");
	store_tenant_ensure(db, "b", "b");
	pStmt = db_prepare(db, "SELECT slug FROM tenants", &owned);
	ck_assert_int_eq(sqlite3_step(pStmt), SQLITE_ROW); /* stepped and never reset */
	ck_assert_int_eq(db_check_idle(db, zErr, sizeof(zErr)), -1);
	ck_assert_msg(strstr(zErr, "statement left running: SELECT slug FROM tenants") != NULL, "%s", zErr);
	ck_assert_int_eq(db_check_idle(db, zErr, sizeof(zErr)), 0);
	db_release(pStmt, owned);
	drop_db(db);
}
END_TEST

START_TEST(test_cursor_streams_rows)
{
	Db *db = fresh_db();
	DbCursor *c;
	json_t *pRow;
	int n = 0;
	store_tenant_ensure(db, "a", "a");
	store_tenant_ensure(db, "b", "b");
	c = db_cursor_open(db, "SELECT slug FROM tenants ORDER BY slug", "");
	ck_assert_ptr_nonnull(c);
	while (db_cursor_next(c, &pRow) == 1) {
		ck_assert_str_eq(json_string_value(json_object_get(pRow, "slug")), n == 0 ? "a" : "b");
		n++;
	}
	db_cursor_close(c);
	ck_assert_int_eq(n, 2);
	drop_db(db);
}
END_TEST

START_TEST(test_backup_copies_everything)
{
	char zErr[256], zDest[300];
	Db *db = fresh_db(), *pCopy;
	store_tenant_ensure(db, "kept", "kept");
	snprintf(zDest, sizeof(zDest), "%s.backup", zDbPath);
	unlink(zDest);
	ck_assert_int_eq(db_backup(db, zDest, zErr, sizeof(zErr)), DB_OK);
	pCopy = db_open(zDest, zErr, sizeof(zErr));
	ck_assert_ptr_nonnull(pCopy);
	ck_assert_int_eq((int)db_query_int(pCopy, -1, "SELECT count(*) FROM tenants WHERE slug='kept'", ""), 1);
	db_close(pCopy);
	unlink(zDest);
	drop_db(db);
}
END_TEST

/* The executor's tuning skips CHECK constraints on its own connection only. */
START_TEST(test_executor_tuning_keeps_checks_elsewhere)
{
	static const char zBadUser[] =
		"INSERT INTO users(tenant_id, email, password_hash, role, created_at)"
		" SELECT id, ?1, 'x', 'bogus', 'now' FROM tenants WHERE slug = 'kept'";
	char zErr[256];
	Db *db = fresh_db(), *pOther;
	store_tenant_ensure(db, "kept", "kept");
	ck_assert_int_eq(store_jobs_tune(db), DB_OK);
	pOther = db_open(zDbPath, zErr, sizeof(zErr));
	ck_assert_ptr_nonnull(pOther);
	ck_assert_int_ne(db_exec(pOther, zBadUser, "t", "other@example.org"), DB_OK);
	ck_assert_int_eq((int)db_query_int(pOther, -1, "SELECT count(*) FROM users", ""), 0);
	/* The tuned connection really skips them (it only ever writes literal states). */
	ck_assert_int_eq(db_exec(db, zBadUser, "t", "tuned@example.org"), DB_OK);
	db_close(pOther);
	drop_db(db);
}
END_TEST

/* data_version moves when another connection commits, not for the connection's own commits. */
START_TEST(test_data_version_sees_other_commits)
{
	char zErr[256];
	Db *db = fresh_db(), *pOther;
	int64_t v1, v2;
	pOther = db_open(zDbPath, zErr, sizeof(zErr));
	ck_assert_ptr_nonnull(pOther);
	v1 = store_data_version(db);
	ck_assert_int_ge(v1, 0);
	ck_assert_int_eq(store_data_version(db), v1);
	store_tenant_ensure(pOther, "other", "other");
	v2 = store_data_version(db);
	ck_assert_int_ne(v2, v1);
	store_tenant_ensure(db, "mine", "mine");
	ck_assert_int_eq(store_data_version(db), v2);
	db_close(pOther);
	drop_db(db);
}
END_TEST

/* The run ids of a claim's jobs, in the order claimed, as "1,1,2". */
static void claimed_runs(json_t *pJobs, char *zOut, size_t n)
{
	size_t i, k = 0;
	json_t *pJob;
	zOut[0] = 0;
	json_array_foreach(pJobs, i, pJob) {
		k += (size_t)snprintf(zOut + k, n - k, "%s%lld", i ? "," : "",
				      (long long)json_integer_value(json_object_get(pJob, "run_id")));
		if (k >= n)
			break;
	}
}

/* Claims go run by run, oldest first; a paused run's jobs are never claimed, nor even read. */
START_TEST(test_claims_skip_paused_runs_oldest_run_first)
{
	Db *db = fresh_db();
	int64_t tenant = store_tenant_ensure(db, "t", "t");
	int64_t def = fixture_definition(db, tenant, "d", 3);
	int64_t run1 = fixture_run(db, tenant, def, 1, "claim-1"), run2 = fixture_run(db, tenant, def, 1, "claim-2");
	json_t *pJobs, *pPlan;
	char zRuns[256];
	size_t i;
	json_t *pRow;
	int usesIndex = 0, sorts = 0;
	ck_assert_int_gt(run1, 0);
	ck_assert_int_gt(run2, run1);
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'paused' WHERE id = ?1", "i", run1), DB_OK);
	/* 6 jobs per run (3 scenarios x 2 models); only run 2's can be claimed. */
	pJobs = store_jobs_claim(db, "owner/1", "mock", 1000, 60000, 100);
	ck_assert_ptr_nonnull(pJobs);
	claimed_runs(pJobs, zRuns, sizeof(zRuns));
	ck_assert_str_eq(zRuns, "2,2,2,2,2,2");
	ck_assert_int_eq((int)db_query_int(db, 0, "SELECT status = 'running' FROM runs WHERE id = ?1", "i", run2), 1);
	json_decref(pJobs);
	/* Resumed, run 1 is served; a limit stops inside it, oldest job first. */
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'running' WHERE id = ?1", "i", run1), DB_OK);
	pJobs = store_jobs_claim(db, "owner/1", "mock", 1000, 60000, 4);
	claimed_runs(pJobs, zRuns, sizeof(zRuns));
	ck_assert_str_eq(zRuns, "1,1,1,1");
	for (i = 1; i < json_array_size(pJobs); i++)
		ck_assert_int_lt(json_integer_value(json_object_get(json_array_get(pJobs, i - 1), "id")),
				 json_integer_value(json_object_get(json_array_get(pJobs, i), "id")));
	json_decref(pJobs);
	/* Another provider has nothing queued. */
	pJobs = store_jobs_claim(db, "owner/1", "other", 1000, 60000, 4);
	ck_assert_int_eq((int)json_array_size(pJobs), 0);
	json_decref(pJobs);
	/* Within a run the claim walks jobs_run_claim in order: no scan of other runs, no sort. */
	pPlan = db_query(db, "EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE run_id = ?1 AND state = 'queued'"
			 " AND provider = 'mock' AND not_before_ms <= 0 AND attempts < max_attempts"
			 " ORDER BY not_before_ms, id LIMIT 5", "i", run1);
	ck_assert_ptr_nonnull(pPlan);
	json_array_foreach(pPlan, i, pRow) {
		const char *zDetail = json_string_value(json_object_get(pRow, "detail"));
		usesIndex |= zDetail && strstr(zDetail, "USING INDEX jobs_run_claim") != NULL;
		sorts |= zDetail && strstr(zDetail, "TEMP B-TREE") != NULL;
	}
	ck_assert_int_eq(usesIndex, 1);
	ck_assert_int_eq(sorts, 0);
	json_decref(pPlan);
	drop_db(db);
}
END_TEST

/* What a read says a claim could find, and that the read takes no write transaction. */
START_TEST(test_claimable_reads_what_a_claim_would_find)
{
	Db *db = fresh_db();
	int64_t tenant = store_tenant_ensure(db, "t", "t");
	int64_t def = fixture_definition(db, tenant, "d", 2);
	int64_t run = fixture_run(db, tenant, def, 1, "claimable"), writes;
	json_t *pJobs;
	ck_assert_int_gt(run, 0);
	writes = db_write_transactions(db);
	ck_assert_int_eq(store_jobs_claimable(db, "mock", 1000), 1);
	ck_assert_int_eq(store_jobs_claimable(db, "other", 1000), 0);
	ck_assert_int_eq(db_write_transactions(db), writes); /* reads only */
	/* Paused: nothing to claim. */
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'paused' WHERE id = ?1", "i", run), DB_OK);
	ck_assert_int_eq(store_jobs_claimable(db, "mock", 1000), 0);
	ck_assert_int_eq(db_exec(db, "UPDATE runs SET status = 'running' WHERE id = ?1", "i", run), DB_OK);
	/* Not before its backoff has passed. */
	ck_assert_int_eq(db_exec(db, "UPDATE jobs SET not_before_ms = 5000 WHERE run_id = ?1", "i", run), DB_OK);
	ck_assert_int_eq(store_jobs_claimable(db, "mock", 1000), 0);
	ck_assert_int_eq(store_jobs_claimable(db, "mock", 5000), 1);
	/* Once every job is leased, nothing is left. */
	pJobs = store_jobs_claim(db, "owner/1", "mock", 5000, 60000, 100);
	ck_assert_int_eq((int)json_array_size(pJobs), 4);
	json_decref(pJobs);
	ck_assert_int_eq(store_jobs_claimable(db, "mock", 5000), 0);
	/* Leases: extending them writes; with none held by the owner, nothing is written. */
	writes = db_write_transactions(db);
	ck_assert_int_eq(store_jobs_extend_leases(db, "owner/2", 90000), DB_OK);
	ck_assert_int_eq(db_write_transactions(db), writes);
	ck_assert_int_eq(store_jobs_extend_leases(db, "owner/1", 90000), DB_OK);
	ck_assert_int_eq(db_write_transactions(db), writes + 1);
	ck_assert_int_eq((int)db_query_int(db, 0, "SELECT count(*) FROM jobs WHERE lease_expires_ms = 90000", ""), 4);
	drop_db(db);
}
END_TEST

/* The delay the executor would draw: attempts x 1000 ms, recording what it was asked. */
static int64_t fixed_delay(void *pArg, int64_t attempts)
{
	int64_t *pLastAttempts = pArg;
	*pLastAttempts = attempts;
	return attempts * 1000;
}

/* A dead executor's jobs come back after their lease, backed off like a network error, and fail on the last attempt. */
START_TEST(test_expired_leases_back_off_then_fail)
{
	Db *db = fresh_db();
	int64_t tenant = store_tenant_ensure(db, "t", "t");
	int64_t def = fixture_definition(db, tenant, "d", 1);
	int64_t run = fixture_run(db, tenant, def, 1, "expire"), asked = 0, first;
	json_t *pJobs;
	int n = -1;
	ck_assert_int_gt(run, 0);
	/* 2 jobs (1 scenario x 2 models), leased until 61000. */
	pJobs = store_jobs_claim(db, "dead/1", "mock", 1000, 60000, 100);
	ck_assert_int_eq((int)json_array_size(pJobs), 2);
	first = json_integer_value(json_object_get(json_array_get(pJobs, 0), "id"));
	json_decref(pJobs);
	ck_assert_int_eq(db_exec(db, "UPDATE jobs SET max_attempts = 2 WHERE id = ?1", "i", first), DB_OK);
	/* Not yet expired. */
	ck_assert_int_eq(store_jobs_requeue_expired(db, 61000, fixed_delay, &asked, &n), DB_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(store_jobs_requeue_expired(db, 61001, fixed_delay, &asked, &n), DB_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq((int)asked, 1);
	ck_assert_int_eq((int)db_query_int(db, 0, "SELECT count(*) FROM jobs WHERE state = 'queued' AND lease_owner IS NULL"
					    " AND not_before_ms = 62001 AND last_error_class = 'network'", ""), 2);
	ck_assert_int_eq((int)db_query_int(db, 0, "SELECT count(*) FROM job_attempts WHERE worker_id = 'dead/1'"
					    " AND message LIKE 'lease expired%' AND error_class = 'network'", ""), 2);
	/* Not claimable before the backoff has passed. */
	ck_assert_int_eq(store_jobs_claimable(db, "mock", 62000), 0);
	pJobs = store_jobs_claim(db, "dead/2", "mock", 62001, 60000, 100);
	ck_assert_int_eq((int)json_array_size(pJobs), 2);
	json_decref(pJobs);
	/* The second expiry is the last attempt of the first job: it fails; the other backs off 2 s. */
	ck_assert_int_eq(store_jobs_requeue_expired(db, 122002, fixed_delay, &asked, &n), DB_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq((int)asked, 2);
	ck_assert_int_eq((int)db_query_int(db, 0, "SELECT state = 'failed' FROM jobs WHERE id = ?1", "i", first), 1);
	ck_assert_int_eq((int)db_query_int(db, 0, "SELECT not_before_ms FROM jobs WHERE id <> ?1 AND run_id = ?2", "ii",
					   first, run), 124002);
	ck_assert_int_eq((int)db_query_int(db, 0, "SELECT failed_jobs FROM runs WHERE id = ?1", "i", run), 1);
	drop_db(db);
}
END_TEST

/* Another connection holding the write lock for a while, then committing. */
typedef struct LockHolder {
	Db *db;
	int holdMs;
	int rc;
} LockHolder;

static void *hold_write_lock(void *pArg)
{
	LockHolder *h = pArg;
	usleep((useconds_t)h->holdMs * 1000);
	h->rc = db_commit(h->db);
	return NULL;
}

/* A writer waits for a lock another connection holds (on_busy) and gets it once it is free. */
START_TEST(test_writer_waits_for_a_held_lock)
{
	char zErr[256];
	Db *db = fresh_db();
	LockHolder h;
	pthread_t thread;
	h.db = db_open(zDbPath, zErr, sizeof(zErr));
	ck_assert_ptr_nonnull(h.db);
	h.holdMs = 150;
	h.rc = -1;
	ck_assert_int_eq(db_begin(h.db), DB_OK);
	ck_assert_int_eq(db_exec(h.db, "INSERT INTO tenants(slug, name, created_at) VALUES('held', 'held', 'now')", ""),
			 DB_OK);
	ck_assert_int_eq(pthread_create(&thread, NULL, hold_write_lock, &h), 0);
	/* Busy at first; the handler keeps trying until the holder commits. */
	ck_assert_int_eq(db_exec(db, "INSERT INTO tenants(slug, name, created_at) VALUES('waited', 'waited', 'now')", ""),
			 DB_OK);
	pthread_join(thread, NULL);
	ck_assert_int_eq(h.rc, DB_OK);
	ck_assert_int_eq((int)db_query_int(db, 0, "SELECT count(*) FROM tenants WHERE slug IN ('held', 'waited')", ""), 2);
	db_close(h.db);
	drop_db(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_migrate_twice_is_harmless);
	tcase_add_test(tc, test_schema_check_names_the_command);
	tcase_add_test(tc, test_typed_query_binds_and_returns_json);
	tcase_add_test(tc, test_unique_email_conflict);
	tcase_add_test(tc, test_nested_transactions);
	tcase_add_test(tc, test_idle_detector_fires_on_open_transaction);
	tcase_add_test(tc, test_idle_detector_fires_on_running_statement);
	tcase_add_test(tc, test_cursor_streams_rows);
	tcase_add_test(tc, test_backup_copies_everything);
	tcase_add_test(tc, test_executor_tuning_keeps_checks_elsewhere);
	tcase_add_test(tc, test_data_version_sees_other_commits);
	tcase_add_test(tc, test_claimable_reads_what_a_claim_would_find);
	tcase_add_test(tc, test_expired_leases_back_off_then_fail);
	tcase_add_test(tc, test_claims_skip_paused_runs_oldest_run_first);
	tcase_add_test(tc, test_writer_waits_for_a_held_lock);
	suite_add_tcase(s, tc);
	return check_run(s);
}
