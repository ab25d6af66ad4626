/* definitions.c — SQL for definitions and the scenarios they expand into. */
#include "store/definitions.h"
#include "domain/expand.h"
#include "lib/buf.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

#define NOW_ISO "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

static const char zDefInsert[] =
	"INSERT INTO definitions(tenant_id, parent_id, name, version, content, created_by,"
	" created_at, updated_at)"
	" VALUES(?1, NULLIF(?2, 0), ?3, ?4, ?5, NULLIF(?6, 0), " NOW_ISO ", " NOW_ISO ")";
static const char zDefUpdate[] =
	"UPDATE definitions SET name = ?3, content = ?4, updated_at = " NOW_ISO
	" WHERE id = ?1 AND tenant_id = ?2 AND deleted_at IS NULL";
static const char zDefSetCounts[] =
	"UPDATE definitions SET scenario_count = ?2, error_count = ?3, warning_count = ?4 WHERE id = ?1";
static const char zScenarioInsert[] =
	"INSERT INTO scenarios(definition_id, idx, name, dimension_scores, preamble, prompt)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
static const char zScenarioDeleteAll[] = "DELETE FROM scenarios WHERE definition_id = ?1";
static const char zDefGet[] =
	"SELECT d.id, d.tenant_id, d.parent_id, d.name, d.version, d.content AS content_json,"
	" d.scenario_count, d.error_count, d.warning_count, u.email AS created_by_email,"
	" d.created_at, d.updated_at, d.last_accessed_at,"
	" (SELECT count(*) FROM runs r WHERE r.definition_id = d.id) AS run_count,"
	" p.name AS parent_name, p.version AS parent_version"
	" FROM definitions d"
	" LEFT JOIN definitions p ON p.id = d.parent_id AND p.tenant_id = d.tenant_id"
	"   AND p.deleted_at IS NULL"
	" LEFT JOIN users u ON u.id = d.created_by"
	" WHERE d.id = ?1 AND d.tenant_id = ?2 AND d.deleted_at IS NULL";
static const char zDefRunCount[] = "SELECT count(*) FROM runs WHERE definition_id = ?1";
static const char zDefList[] =
	"SELECT d.id, d.name, d.version, d.parent_id, d.scenario_count, d.warning_count,"
	" (SELECT count(*) FROM runs r WHERE r.definition_id = d.id) AS run_count,"
	" d.created_at, d.updated_at, d.last_accessed_at"
	" FROM definitions d"
	" WHERE d.tenant_id = ?1 AND d.deleted_at IS NULL AND (?2 IS NULL OR d.name LIKE ?2 ESCAPE '\\')"
	" ORDER BY d.updated_at DESC, d.id DESC LIMIT ?3 OFFSET ?4";
static const char zDefListCount[] =
	"SELECT count(*) FROM definitions d"
	" WHERE d.tenant_id = ?1 AND d.deleted_at IS NULL AND (?2 IS NULL OR d.name LIKE ?2 ESCAPE '\\')";
static const char zDefTouch[] =
	"UPDATE definitions SET last_accessed_at = " NOW_ISO
	" WHERE id = ?1 AND tenant_id = ?2 AND deleted_at IS NULL";
static const char zDefDelete[] =
	"UPDATE definitions SET deleted_at = " NOW_ISO
	" WHERE id = ?1 AND tenant_id = ?2 AND deleted_at IS NULL";
static const char zScenarioPage[] =
	"SELECT id, idx, name, dimension_scores AS dimension_scores_json, preamble, prompt"
	" FROM scenarios WHERE definition_id = ?1 ORDER BY idx LIMIT ?2 OFFSET ?3";
static const char zScenarioGet[] =
	"SELECT s.id, s.idx, s.name, s.dimension_scores AS dimension_scores_json, s.preamble, s.prompt"
	" FROM scenarios s JOIN definitions d ON d.id = s.definition_id"
	" WHERE s.id = ?1 AND s.definition_id = ?2 AND d.tenant_id = ?3 AND d.deleted_at IS NULL";

/* State of one expansion being written: the prepared insert is reused through the db cache. */
typedef struct ScenarioWriter {
	Db *db;
	int64_t definitionId;
	int64_t nWritten;
} ScenarioWriter;

/* expand_each() callback: insert one scenario row; non-zero stops the expansion. */
static int write_scenario(void *pArg, const Scenario *s)
{
	ScenarioWriter *w = pArg;
	if (db_exec(w->db, zScenarioInsert, "iitjtt", w->definitionId, s->index, s->zName, s->pScores,
		    s->zPreamble, s->zPrompt) != DB_OK)
		return 1;
	w->nWritten++;
	return 0;
}

/*
 * Expand d with definitionId as the seed into the scenarios table and record
 * the counts on the definition row. Runs inside the caller's transaction.
 * 0 or -1 with a message.
 */
static int write_scenarios(Db *db, int64_t definitionId, const Definition *d, char *zErr, size_t nErr)
{
	ScenarioWriter w = {db, definitionId, 0};
	if (expand_each(d, definitionId, write_scenario, &w) != 0) {
		snprintf(zErr, nErr, "could not store scenario %lld: %s", (long long)w.nWritten,
			 db_errmsg(db));
		return -1;
	}
	if (db_exec(db, zDefSetCounts, "iiii", definitionId, w.nWritten, (int64_t)d->nError,
		    (int64_t)d->nWarning) != DB_OK) {
		snprintf(zErr, nErr, "could not record the scenario count: %s", db_errmsg(db));
		return -1;
	}
	return 0;
}

int64_t store_definition_create(Db *db, int64_t tenantId, int64_t userId, int64_t parentId,
				int64_t version, const char *zName, const json_t *pContent,
				const Definition *d, char *zErr, size_t nErr)
{
	int64_t id;
	if (db_begin(db) != DB_OK) {
		snprintf(zErr, nErr, "could not start a transaction: %s", db_errmsg(db));
		return -1;
	}
	if (db_exec(db, zDefInsert, "iitiji", tenantId, parentId, zName, version, (json_t *)pContent,
		    userId) != DB_OK) {
		snprintf(zErr, nErr, "could not store the definition: %s", db_errmsg(db));
		goto fail;
	}
	id = db_last_insert_id(db);
	if (write_scenarios(db, id, d, zErr, nErr))
		goto fail;
	if (db_commit(db) != DB_OK) {
		snprintf(zErr, nErr, "could not commit the definition: %s", db_errmsg(db));
		goto fail;
	}
	return id;
fail:
	db_rollback(db);
	return -1;
}

DbRc store_definition_update(Db *db, int64_t tenantId, int64_t id, const char *zName,
			     const json_t *pContent, const Definition *d, char *zErr, size_t nErr)
{
	DbRc rc = DB_ERROR;
	if (db_begin(db) != DB_OK) {
		snprintf(zErr, nErr, "could not start a transaction: %s", db_errmsg(db));
		return DB_ERROR;
	}
	if (db_exec(db, zDefUpdate, "iitj", id, tenantId, zName, (json_t *)pContent) != DB_OK) {
		snprintf(zErr, nErr, "could not update the definition: %s", db_errmsg(db));
		goto fail;
	}
	if (db_changes(db) == 0) {
		snprintf(zErr, nErr, "there is no such definition");
		rc = DB_NOTFOUND;
		goto fail;
	}
	if (db_exec(db, zScenarioDeleteAll, "i", id) != DB_OK) {
		snprintf(zErr, nErr, "could not remove the old scenarios: %s", db_errmsg(db));
		goto fail;
	}
	if (write_scenarios(db, id, d, zErr, nErr))
		goto fail;
	if (db_commit(db) != DB_OK) {
		snprintf(zErr, nErr, "could not commit the definition: %s", db_errmsg(db));
		goto fail;
	}
	return DB_OK;
fail:
	db_rollback(db);
	return rc;
}

json_t *store_definition_get(Db *db, int64_t tenantId, int64_t id)
{
	return db_query_one(db, zDefGet, "ii", id, tenantId);
}

int64_t store_definition_run_count(Db *db, int64_t id)
{
	return db_query_int(db, 0, zDefRunCount, "i", id);
}

json_t *store_definition_list(Db *db, int64_t tenantId, const char *zSearch, int64_t limit,
			      int64_t offset, int64_t *pnTotal)
{
	char *zPattern = db_like_pattern(zSearch);
	json_t *pRows = db_query(db, zDefList, "itii", tenantId, zPattern, limit, offset);
	if (pnTotal)
		*pnTotal = db_query_int(db, 0, zDefListCount, "it", tenantId, zPattern);
	free(zPattern);
	return pRows;
}

DbRc store_definition_touch(Db *db, int64_t tenantId, int64_t id)
{
	return db_exec(db, zDefTouch, "ii", id, tenantId);
}

DbRc store_definition_delete(Db *db, int64_t tenantId, int64_t id)
{
	DbRc rc = db_exec(db, zDefDelete, "ii", id, tenantId);
	if (rc == DB_OK && db_changes(db) == 0)
		return DB_NOTFOUND;
	return rc;
}

json_t *store_scenario_page(Db *db, int64_t definitionId, int64_t limit, int64_t offset)
{
	return db_query(db, zScenarioPage, "iii", definitionId, limit, offset);
}

json_t *store_scenario_get(Db *db, int64_t tenantId, int64_t definitionId, int64_t scenarioId)
{
	return db_query_one(db, zScenarioGet, "iii", scenarioId, definitionId, tenantId);
}
