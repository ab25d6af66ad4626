/* advisor_data.c — SQL for the run advisor's inputs: provider status, executors, history, prompt sizes. */
#include "store/advisor_data.h"
#include "store/db_internal.h"

#include <sqlite3.h>

static const char zProviderStatusAll[] =
	"SELECT provider, configured, connected, checked_at, latency_ms, error, rate_limited_until"
	" FROM provider_status ORDER BY provider";
static const char zExecutorsAlive[] =
	"SELECT count(*) FROM workers WHERE stopped_at IS NULL AND heartbeat_ms >= ?1";
static const char zModelHistory[] =
	"SELECT t.provider, t.model_id, count(*) AS n,"
	" avg(t.output_tokens * 1.0 / max(t.turn_count, 1)) AS output_per_turn,"
	" avg(t.duration_ms * 1.0 / max(t.turn_count, 1)) AS ms_per_turn"
	" FROM transcripts t JOIN runs r ON r.id = t.run_id"
	" WHERE r.tenant_id = ?1 AND t.output_tokens IS NOT NULL AND t.cache_hit = 0"
	" GROUP BY t.provider, t.model_id";
/* length() counts characters of TEXT, which is what the estimate wants. */
static const char zPromptStats[] =
	"SELECT count(*) AS n, coalesce(sum(length(prompt) + CASE WHEN preamble IS NULL OR preamble = ''"
	" THEN 0 ELSE length(preamble) + 2 END), 0) AS total_chars"
	" FROM scenarios WHERE definition_id = ?1";
static const char zRunsSince[] =
	"SELECT count(*) FROM runs WHERE tenant_id = ?1 AND created_at >= ?2";

json_t *store_provider_status_all(Db *db)
{
	return db_query(db, zProviderStatusAll, "");
}

int64_t store_executors_alive(Db *db, int64_t sinceMs)
{
	return db_query_int(db, 0, zExecutorsAlive, "i", sinceMs);
}

json_t *store_model_history(Db *db, int64_t tenantId)
{
	return db_query(db, zModelHistory, "i", tenantId);
}

json_t *store_definition_prompt_stats(Db *db, int64_t definitionId)
{
	return db_query_one(db, zPromptStats, "i", definitionId);
}

int store_db_writable(Db *db)
{
	/* SQLite opens a file it cannot write read-only; asking costs no lock, whereas a
	 * trial BEGIN IMMEDIATE would queue behind valuerankd's writes on every check. */
	return sqlite3_db_readonly(db_handle(db), "main") == 0;
}

int64_t store_runs_created_since(Db *db, int64_t tenantId, const char *zSinceIso)
{
	return db_query_int(db, 0, zRunsSince, "it", tenantId, zSinceIso);
}
