/* db_internal.h — the Db structure and statement helpers shared by src/store/ files only. */
#ifndef VR_DB_INTERNAL_H
#define VR_DB_INTERNAL_H

#include <sqlite3.h>
#include <stdarg.h>

#include "store/db.h"

typedef struct DbCachedStmt {
	const char *zSql; /* address of the static SQL text: the cache key */
	sqlite3_stmt *pStmt;
} DbCachedStmt;

struct Db {
	sqlite3 *pDb;
	char *zPath;
	DbCachedStmt *aCache;
	int nCache;
	int txDepth;
	int lastChanges;
	int64_t busySinceMs;   /* monotonic ms of the first wait for the lock now awaited (on_busy) */
	int64_t nWriteTx;      /* write transactions begun: BEGIN IMMEDIATE, or a writing statement outside one */
};

sqlite3 *db_handle(Db *db);
sqlite3_stmt *db_prepare(Db *db, const char *zSql, int *pOwned);
void db_release(sqlite3_stmt *pStmt, int owned);
int db_bind_va(sqlite3_stmt *pStmt, const char *zTypes, va_list ap);
json_t *db_row_json(sqlite3_stmt *pStmt);

#endif
