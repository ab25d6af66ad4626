/* definitions.h — definitions (tenant-scoped, versioned, soft-deleted) and their expanded scenarios. */
#ifndef VR_STORE_DEFINITIONS_H
#define VR_STORE_DEFINITIONS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/definition.h"
#include "store/db.h"

/*
 * Every function takes the caller's tenant: a definition of another tenant,
 * or one that was soft-deleted, is DB_NOTFOUND / NULL, exactly like a
 * definition that never existed.
 */

/*
 * Insert a new definition row and then its scenarios, expanded with the new
 * row's id as the seed, in one transaction (nested inside the caller's, if
 * any). d must be def_parse_json(zName, pContent) with d->nError == 0.
 * parentId 0 means no parent; userId 0 means no user (the CLI). Returns the
 * new id, or -1 with a message in zErr (nothing written).
 */
int64_t store_definition_create(Db *db, int64_t tenantId, int64_t userId, int64_t parentId,
				int64_t version, const char *zName, const json_t *pContent,
				const Definition *d, char *zErr, size_t nErr);

/*
 * Replace a definition's name and content in place and re-expand its
 * scenarios, in one transaction. Only for a definition no run uses (its
 * scenarios are deleted). d as for store_definition_create(). Returns DB_OK,
 * DB_NOTFOUND, or DB_ERROR with a message in zErr.
 */
DbRc store_definition_update(Db *db, int64_t tenantId, int64_t id, const char *zName,
			     const json_t *pContent, const Definition *d, char *zErr, size_t nErr);

/*
 * One definition: {id, tenant_id, parent_id, name, version, content (parsed
 * JSON), scenario_count, error_count, warning_count, created_by_email,
 * created_at, updated_at, last_accessed_at, run_count, parent_name,
 * parent_version}; parent_* are null when the parent is gone. NULL when not
 * found. The caller decrefs.
 */
json_t *store_definition_get(Db *db, int64_t tenantId, int64_t id);

/* Number of runs (any state) that use definition id. */
int64_t store_definition_run_count(Db *db, int64_t id);

/*
 * A page of the tenant's live definitions, most recently updated first:
 * rows {id, name, version, parent_id, scenario_count, warning_count,
 * run_count, created_at, updated_at, last_accessed_at}. zSearch (NULL or ""
 * for all) matches names containing it, ASCII case-insensitively, with % and
 * _ taken literally. *pnTotal gets the number of matching definitions.
 * Returns a new array (caller decrefs), or NULL on a database error.
 */
json_t *store_definition_list(Db *db, int64_t tenantId, const char *zSearch, int64_t limit,
			      int64_t offset, int64_t *pnTotal);

/* Set last_accessed_at to now. */
DbRc store_definition_touch(Db *db, int64_t tenantId, int64_t id);

/* Soft-delete: the row stays for the runs that used it. DB_OK or DB_NOTFOUND. */
DbRc store_definition_delete(Db *db, int64_t tenantId, int64_t id);

/*
 * Scenarios of a definition (which the caller has already looked up for its
 * tenant) in index order: rows {id, idx, name, dimension_scores (JSON
 * object), preamble, prompt}. New array, caller decrefs; NULL on error.
 */
json_t *store_scenario_page(Db *db, int64_t definitionId, int64_t limit, int64_t offset);

/* One scenario of a live definition of the tenant, same shape; NULL when not found. */
json_t *store_scenario_get(Db *db, int64_t tenantId, int64_t definitionId, int64_t scenarioId);

#endif
