/* schema.c — numbered migrations that create and upgrade the ValueRank schema. */
#include "store/db.h"
#include "store/db_internal.h"

#include <stdio.h>
#include <string.h>

/*
 * Each migration runs once, inside one transaction, and is recorded in
 * schema_migrations. Never edit a migration that has shipped: add a new one.
 * Human-facing timestamps are ISO-8601 UTC text; the executor's scheduling
 * fields (*_ms) are integer milliseconds since the epoch, because they are
 * compared on every claim.
 */
typedef struct Migration {
	int version;
	const char *zName;
	const char *zSql;
} Migration;

static const Migration aMigration[] = {
{1, "initial schema",
"CREATE TABLE tenants(\n"
"  id INTEGER PRIMARY KEY,\n"
"  slug TEXT NOT NULL UNIQUE,\n"
"  name TEXT NOT NULL,\n"
"  webhook_url TEXT,\n"
"  budget_usd REAL,\n"
"  disabled INTEGER NOT NULL DEFAULT 0,\n"
"  created_at TEXT NOT NULL\n"
");\n"
"CREATE TABLE users(\n"
"  id INTEGER PRIMARY KEY,\n"
"  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
"  password_hash TEXT NOT NULL,\n"
"  role TEXT NOT NULL CHECK(role IN ('viewer','researcher','admin')),\n"
"  is_superadmin INTEGER NOT NULL DEFAULT 0,\n"
"  disabled INTEGER NOT NULL DEFAULT 0,\n"
"  created_at TEXT NOT NULL,\n"
"  last_login_at TEXT\n"
");\n"
"CREATE INDEX users_tenant ON users(tenant_id);\n"
"CREATE TABLE sessions(\n"
"  id INTEGER PRIMARY KEY,\n"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
"  token_hash TEXT NOT NULL UNIQUE,\n"
"  csrf_token TEXT NOT NULL,\n"
"  client_addr TEXT,\n"
"  user_agent TEXT,\n"
"  created_at TEXT NOT NULL,\n"
"  last_seen_at TEXT NOT NULL,\n"
"  expires_at TEXT NOT NULL\n"
");\n"
"CREATE INDEX sessions_user ON sessions(user_id);\n"
"CREATE TABLE api_tokens(\n"
"  id INTEGER PRIMARY KEY,\n"
"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
"  name TEXT NOT NULL,\n"
"  token_hash TEXT NOT NULL UNIQUE,\n"
"  token_prefix TEXT NOT NULL,\n"
"  created_at TEXT NOT NULL,\n"
"  last_used_at TEXT,\n"
"  revoked_at TEXT\n"
");\n"
"CREATE INDEX api_tokens_user ON api_tokens(user_id);\n"
"CREATE TABLE login_attempts(\n"
"  id INTEGER PRIMARY KEY,\n"
"  email TEXT NOT NULL COLLATE NOCASE,\n"
"  client_addr TEXT NOT NULL,\n"
"  succeeded INTEGER NOT NULL,\n"
"  at_ms INTEGER NOT NULL\n"
");\n"
"CREATE INDEX login_attempts_email ON login_attempts(email, at_ms);\n"
"CREATE INDEX login_attempts_addr ON login_attempts(client_addr, at_ms);\n"
"CREATE TABLE audit_log(\n"
"  id INTEGER PRIMARY KEY,\n"
"  tenant_id INTEGER REFERENCES tenants(id),\n"
"  user_id INTEGER REFERENCES users(id),\n"
"  actor_email TEXT,\n"
"  action TEXT NOT NULL,\n"
"  target_type TEXT,\n"
"  target_id INTEGER,\n"
"  details TEXT,\n"
"  client_addr TEXT,\n"
"  created_at TEXT NOT NULL\n"
");\n"
"CREATE INDEX audit_log_tenant ON audit_log(tenant_id, id);\n"
"CREATE TABLE definitions(\n"
"  id INTEGER PRIMARY KEY,\n"
"  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
"  parent_id INTEGER REFERENCES definitions(id),\n"
"  name TEXT NOT NULL,\n"
"  version INTEGER NOT NULL DEFAULT 1,\n"
"  content TEXT NOT NULL,\n"
"  scenario_count INTEGER NOT NULL DEFAULT 0,\n"
"  error_count INTEGER NOT NULL DEFAULT 0,\n"
"  warning_count INTEGER NOT NULL DEFAULT 0,\n"
"  created_by INTEGER REFERENCES users(id),\n"
"  created_at TEXT NOT NULL,\n"
"  updated_at TEXT NOT NULL,\n"
"  last_accessed_at TEXT,\n"
"  deleted_at TEXT\n"
");\n"
"CREATE INDEX definitions_tenant ON definitions(tenant_id, deleted_at, updated_at);\n"
"CREATE TABLE scenarios(\n"
"  id INTEGER PRIMARY KEY,\n"
"  definition_id INTEGER NOT NULL REFERENCES definitions(id),\n"
"  idx INTEGER NOT NULL,\n"
"  name TEXT NOT NULL,\n"
"  dimension_scores TEXT NOT NULL,\n"
"  preamble TEXT,\n"
"  prompt TEXT NOT NULL,\n"
"  UNIQUE(definition_id, idx)\n"
");\n"
"CREATE TABLE runs(\n"
"  id INTEGER PRIMARY KEY,\n"
"  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
"  definition_id INTEGER NOT NULL REFERENCES definitions(id),\n"
"  parent_run_id INTEGER REFERENCES runs(id),\n"
"  name TEXT NOT NULL,\n"
"  status TEXT NOT NULL DEFAULT 'pending'\n"
"    CHECK(status IN ('pending','running','paused','completed','failed','cancelled')),\n"
"  run_type TEXT NOT NULL DEFAULT 'standard',\n"
"  config TEXT NOT NULL,\n"
"  definition_snapshot TEXT NOT NULL,\n"
"  trigger_id TEXT NOT NULL UNIQUE,\n"
"  trigger_source TEXT NOT NULL\n"
"    CHECK(trigger_source IN ('web_form','api_client','cli_tool','test_run')),\n"
"  created_by INTEGER REFERENCES users(id),\n"
"  advisor_snapshot TEXT,\n"
"  total_jobs INTEGER NOT NULL DEFAULT 0,\n"
"  completed_jobs INTEGER NOT NULL DEFAULT 0,\n"
"  failed_jobs INTEGER NOT NULL DEFAULT 0,\n"
"  cancelled_jobs INTEGER NOT NULL DEFAULT 0,\n"
"  created_at TEXT NOT NULL,\n"
"  queued_at TEXT,\n"
"  started_at TEXT,\n"
"  completed_at TEXT,\n"
"  last_accessed_at TEXT,\n"
"  summary TEXT\n"
");\n"
"CREATE INDEX runs_tenant ON runs(tenant_id, created_at);\n"
"CREATE INDEX runs_status ON runs(status);\n"
"CREATE INDEX runs_parent ON runs(parent_run_id);\n"
"CREATE TABLE jobs(\n"
"  id INTEGER PRIMARY KEY,\n"
"  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
"  scenario_id INTEGER NOT NULL REFERENCES scenarios(id),\n"
"  provider TEXT NOT NULL,\n"
"  model_id TEXT NOT NULL,\n"
"  model_version TEXT NOT NULL,\n"
"  sample_index INTEGER NOT NULL DEFAULT 0,\n"
"  state TEXT NOT NULL DEFAULT 'queued'\n"
"    CHECK(state IN ('queued','leased','done','failed','cancelled')),\n"
"  attempts INTEGER NOT NULL DEFAULT 0,\n"
"  max_attempts INTEGER NOT NULL DEFAULT 5,\n"
"  not_before_ms INTEGER NOT NULL DEFAULT 0,\n"
"  lease_owner TEXT,\n"
"  lease_expires_ms INTEGER,\n"
"  last_error TEXT,\n"
"  last_error_class TEXT,\n"
"  started_at TEXT,\n"
"  finished_at TEXT,\n"
"  duration_ms INTEGER,\n"
"  cache_hit INTEGER NOT NULL DEFAULT 0,\n"
"  UNIQUE(run_id, scenario_id, provider, model_id, model_version, sample_index)\n"
");\n"
"CREATE INDEX jobs_claim ON jobs(state, not_before_ms);\n"
"CREATE INDEX jobs_run_state ON jobs(run_id, state);\n"
"CREATE INDEX jobs_claim_provider ON jobs(state, provider, not_before_ms);\n"

"CREATE TABLE job_attempts(\n"
"  id INTEGER PRIMARY KEY,\n"
"  job_id INTEGER NOT NULL REFERENCES jobs(id),\n"
"  attempt INTEGER NOT NULL,\n"
"  worker_id TEXT,\n"
"  started_at TEXT NOT NULL,\n"
"  duration_ms INTEGER,\n"
"  http_status INTEGER,\n"
"  error_class TEXT,\n"
"  message TEXT,\n"
"  started_ms INTEGER\n"
");\n"
"CREATE INDEX job_attempts_job ON job_attempts(job_id);\n"
"CREATE TABLE transcripts(\n"
"  id INTEGER PRIMARY KEY,\n"
"  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
"  job_id INTEGER NOT NULL UNIQUE REFERENCES jobs(id),\n"
"  scenario_id INTEGER NOT NULL REFERENCES scenarios(id),\n"
"  provider TEXT NOT NULL,\n"
"  model_id TEXT NOT NULL,\n"
"  model_version TEXT,\n"
"  sample_index INTEGER NOT NULL DEFAULT 0,\n"
"  turns TEXT NOT NULL,\n"
"  request TEXT,\n"
"  response TEXT,\n"
"  turn_count INTEGER NOT NULL DEFAULT 0,\n"
"  word_count INTEGER NOT NULL DEFAULT 0,\n"
"  input_tokens INTEGER,\n"
"  output_tokens INTEGER,\n"
"  cost_usd REAL,\n"
"  decision TEXT,\n"
"  decision_value INTEGER,\n"
"  decision_class TEXT,\n"
"  decision_details TEXT,\n"
"  duration_ms INTEGER,\n"
"  cache_hit INTEGER NOT NULL DEFAULT 0,\n"
"  temperature_dropped INTEGER NOT NULL DEFAULT 0,\n"
"  created_at TEXT NOT NULL,\n"
"  last_accessed_at TEXT\n"
");\n"
"CREATE INDEX transcripts_run ON transcripts(run_id, model_id, scenario_id, sample_index);\n"
"CREATE TABLE response_cache(\n"
"  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
"  request_hash TEXT NOT NULL,\n"
"  response TEXT NOT NULL,\n"
"  created_at TEXT NOT NULL,\n"
"  PRIMARY KEY(run_id, request_hash)\n"
");\n"
"CREATE TABLE workers(\n"
"  id TEXT PRIMARY KEY,\n"
"  host TEXT NOT NULL,\n"
"  pid INTEGER NOT NULL,\n"
"  version TEXT NOT NULL,\n"
"  started_at TEXT NOT NULL,\n"
"  heartbeat_at TEXT NOT NULL,\n"
"  heartbeat_ms INTEGER NOT NULL,\n"
"  in_flight INTEGER NOT NULL DEFAULT 0,\n"
"  done_count INTEGER NOT NULL DEFAULT 0,\n"
"  failed_count INTEGER NOT NULL DEFAULT 0,\n"
"  stopped_at TEXT\n"
");\n"
"CREATE TABLE provider_status(\n"
"  provider TEXT PRIMARY KEY,\n"
"  configured INTEGER NOT NULL DEFAULT 0,\n"
"  connected INTEGER,\n"
"  checked_at TEXT,\n"
"  latency_ms INTEGER,\n"
"  error TEXT,\n"
"  check_requested_at TEXT,\n"
"  rate_limited_until TEXT\n"
");\n"
"CREATE TABLE notifications(\n"
"  id INTEGER PRIMARY KEY,\n"
"  tenant_id INTEGER NOT NULL REFERENCES tenants(id),\n"
"  user_id INTEGER REFERENCES users(id),\n"
"  run_id INTEGER NOT NULL UNIQUE REFERENCES runs(id),\n"
"  summary TEXT NOT NULL,\n"
"  created_at TEXT NOT NULL,\n"
"  dismissed_at TEXT,\n"
"  webhook_state TEXT,\n"
"  webhook_attempts INTEGER NOT NULL DEFAULT 0,\n"
"  webhook_next_ms INTEGER,\n"
"  webhook_last_error TEXT\n"
");\n"
/* dashboard, export, settings, notifications (issue 6) */
"CREATE INDEX notifications_user ON notifications(user_id, dismissed_at);\n"
"CREATE INDEX notifications_webhook ON notifications(webhook_state, webhook_next_ms);\n"
"CREATE INDEX transcripts_export ON transcripts(run_id, model_id, model_version, provider,"
" scenario_id, sample_index);\n"
"CREATE INDEX job_attempts_started ON job_attempts(started_at);\n"
/*
 * The post-run summary is written by the database itself, in the same
 * transaction as the status change that ends the run, whichever process
 * makes it; run_id is UNIQUE, so a run that ends twice (retry, crash and
 * replay) still has exactly one notification.
 */
"CREATE TRIGGER runs_notify_on_end AFTER UPDATE OF status ON runs\n"
"WHEN new.status IN ('completed','failed','cancelled')\n"
" AND old.status NOT IN ('completed','failed','cancelled')\n"
"BEGIN\n"
" INSERT INTO notifications(tenant_id, user_id, run_id, summary, created_at,\n"
"  webhook_state, webhook_next_ms)\n"
" SELECT new.tenant_id, new.created_by, new.id, json_object(\n"
"  'run_id', new.id, 'name', new.name, 'status', new.status,\n"
"  'display_status', CASE WHEN new.status = 'completed' AND new.failed_jobs > 0\n"
"   THEN 'completed_with_errors' ELSE new.status END,\n"
"  'definition_id', new.definition_id,\n"
"  'counts', json_object('total', new.total_jobs, 'completed', new.completed_jobs,\n"
"   'failed', new.failed_jobs, 'cancelled', new.cancelled_jobs),\n"
"  'started_at', new.started_at,\n"
"  'completed_at', coalesce(new.completed_at, strftime('%Y-%m-%dT%H:%M:%SZ','now')),\n"
"  'duration_s', CASE WHEN new.started_at IS NULL THEN NULL ELSE CAST(round((\n"
"   julianday(coalesce(new.completed_at, 'now')) - julianday(new.started_at)) * 86400) AS INTEGER) END,\n"
"  'cost_usd', (SELECT round(sum(x.cost_usd), 6) FROM transcripts x WHERE x.run_id = new.id),\n"
"  'models', json((SELECT json_group_array(json_object('provider', m.provider,\n"
"    'model_id', m.model_id, 'model_version', m.model_version, 'transcripts', m.n,\n"
"    'decisions', m.nd, 'mean_decision', m.mean))\n"
"   FROM (SELECT x.provider, x.model_id, x.model_version, count(*) AS n,\n"
"    count(x.decision_value) AS nd, round(avg(x.decision_value), 3) AS mean\n"
"    FROM transcripts x WHERE x.run_id = new.id\n"
"    GROUP BY x.provider, x.model_id, x.model_version\n"
"    ORDER BY x.provider, x.model_id, x.model_version) m)),\n"
"  'link', '/runs/' || new.id),\n"
"  strftime('%Y-%m-%dT%H:%M:%SZ','now'),\n"
"  CASE WHEN t.webhook_url IS NOT NULL AND t.webhook_url <> '' THEN 'pending' END, 0\n"
" FROM tenants t WHERE t.id = new.tenant_id\n"
/*
 * A run that ends again (after "retry failed") keeps its one notification,
 * updated to the new outcome and shown again, and its webhook is re-sent.
 */
" ON CONFLICT(run_id) DO UPDATE SET summary = excluded.summary, created_at = excluded.created_at,\n"
"  dismissed_at = NULL, webhook_state = excluded.webhook_state, webhook_attempts = 0,\n"
"  webhook_next_ms = 0, webhook_last_error = NULL;\n"
"END;\n"
/*
 * run page (issue 5): covering indexes so the score tables, the per-model
 * totals and the progress rows of a 10,000-transcript run are read from
 * small index entries, never from the large transcript rows (turns JSON).
 */
"CREATE INDEX transcripts_run_scores ON transcripts(run_id, scenario_id, model_id, decision);\n"
"CREATE INDEX transcripts_run_totals ON transcripts(run_id, model_id, provider, model_version,"
" input_tokens, output_tokens, cost_usd, cache_hit, duration_ms);\n"
"CREATE INDEX jobs_run_progress ON jobs(run_id, provider, model_id, model_version, state);\n"
},
/*
 * Every claim and every result changes a job's state, and each index that
 * holds the state is rewritten each time. jobs_claim_provider starts with
 * the state too, so it serves every query jobs_claim served.
 */
{2, "executor write path: drop a redundant jobs index, cover decision values in the totals index",
"DROP INDEX jobs_claim;\n"
/*
 * The post-run summary (trigger runs_notify_on_end) counts and averages
 * decision_value per model in the transaction that ends the run; with the
 * value in this index it reads index entries, not every transcript row.
 */
"DROP INDEX transcripts_run_totals;\n"
"CREATE INDEX transcripts_run_totals ON transcripts(run_id, model_id, provider, model_version,"
" input_tokens, output_tokens, cost_usd, cache_hit, duration_ms, decision_value);\n"
},
/*
 * Claims go run by run (store_jobs_claim): with the provider and the time a
 * job may start in the index, a claim reads exactly the jobs it takes, and
 * the queued jobs of a paused run are never read. It starts with
 * (run_id, state), so it serves every query jobs_run_state served.
 */
{3, "executor claims: read each active run's queue in order, skip paused runs",
"DROP INDEX jobs_run_state;\n"
"CREATE INDEX jobs_run_claim ON jobs(run_id, state, provider, not_before_ms);\n"
},
};

static const char zCreateMigrations[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations("
	"version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
static const char zSelectVersion[] = "SELECT max(version) FROM schema_migrations";
static const char zInsertMigration[] =
	"INSERT INTO schema_migrations(version, name, applied_at) "
	"VALUES(?1, ?2, strftime('%Y-%m-%dT%H:%M:%SZ','now'))";
static const char zHasMigrations[] =
	"SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_migrations'";

int db_schema_latest(void)
{
	return aMigration[sizeof(aMigration) / sizeof(aMigration[0]) - 1].version;
}

int db_schema_current(Db *db)
{
	if (db_query_int(db, 0, zHasMigrations, "") == 0)
		return 0;
	return (int)db_query_int(db, 0, zSelectVersion, "");
}

DbRc db_migrate(Db *db, char *zErr, size_t nErr)
{
	size_t i;
	int current;
	if (sqlite3_exec(db_handle(db), zCreateMigrations, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(zErr, nErr, "cannot create schema_migrations: %s", db_errmsg(db));
		return DB_ERROR;
	}
	current = db_schema_current(db);
	if (current > db_schema_latest()) {
		snprintf(zErr, nErr,
			 "database schema %d is newer than this build (%d): upgrade ValueRank", current,
			 db_schema_latest());
		return DB_ERROR;
	}
	for (i = 0; i < sizeof(aMigration) / sizeof(aMigration[0]); i++) {
		const Migration *m = &aMigration[i];
		char *zMsg = NULL;
		if (m->version <= current)
			continue;
		if (db_begin(db) != DB_OK) {
			snprintf(zErr, nErr, "cannot start migration %d: %s", m->version, db_errmsg(db));
			return DB_ERROR;
		}
		/* Re-check inside the write lock: another process may have migrated. */
		if (db_query_int(db, 0, zSelectVersion, "") >= m->version) {
			db_commit(db);
			continue;
		}
		if (sqlite3_exec(db_handle(db), m->zSql, NULL, NULL, &zMsg) != SQLITE_OK ||
		    db_exec(db, zInsertMigration, "it", (int64_t)m->version, m->zName) != DB_OK) {
			snprintf(zErr, nErr, "migration %d (%s) failed: %s", m->version, m->zName,
				 zMsg ? zMsg : db_errmsg(db));
			sqlite3_free(zMsg);
			db_rollback(db);
			return DB_ERROR;
		}
		if (db_commit(db) != DB_OK) {
			snprintf(zErr, nErr, "cannot commit migration %d: %s", m->version, db_errmsg(db));
			db_rollback(db);
			return DB_ERROR;
		}
	}
	return DB_OK;
}

int db_schema_check(Db *db, char *zErr, size_t nErr)
{
	int current = db_schema_current(db);
	int latest = db_schema_latest();
	if (current == latest)
		return 0;
	if (current == 0)
		snprintf(zErr, nErr,
			 "database %s has no ValueRank schema: run `valuerank init` (or `valuerank migrate`)",
			 db_path(db));
	else if (current < latest)
		snprintf(zErr, nErr,
			 "database %s is at schema %d but this build needs %d: run `valuerank migrate`",
			 db_path(db), current, latest);
	else
		snprintf(zErr, nErr,
			 "database %s is at schema %d, newer than this build (%d): install the newer ValueRank",
			 db_path(db), current, latest);
	return -1;
}
