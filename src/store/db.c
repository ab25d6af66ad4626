/* db.c — SQLite connection, statement cache, typed binding, transactions and idle checks. */
#include "store/db.h"
#include "store/db_internal.h"
#include "lib/buf.h"
#include "lib/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long a statement waits for another connection's lock before it gives up with SQLITE_BUSY. */
#define BUSY_TIMEOUT_MS 10000

/*
 * Waiting for a lock another connection holds. SQLite's own timeout handler
 * sleeps 1, 2, 5, 10, 15, 20, 25 ms and so on between tries, so a lock held
 * for a millisecond can cost a waiter 30 ms or more; write transactions here
 * last a few milliseconds, so the waits start at 0.1 ms and double up to
 * 5 ms, for BUSY_TIMEOUT_MS in all.
 */
static int on_busy(void *pArg, int nTry)
{
	Db *db = pArg;
	struct timespec ts, now;
	int64_t waitUs = 100;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (nTry == 0)
		db->busySinceMs = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	else if ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - db->busySinceMs >= BUSY_TIMEOUT_MS)
		return 0;
	while (nTry-- > 0 && waitUs < 5000)
		waitUs *= 2;
	if (waitUs > 5000)
		waitUs = 5000;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)waitUs * 1000;
	nanosleep(&ts, NULL);
	return 1;
}

Db *db_open(const char *zPath, char *zErr, size_t nErr)
{
	Db *db = xcalloc(1, sizeof(*db));
	int rc = sqlite3_open_v2(zPath, &db->pDb,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(zErr, nErr, "cannot open database %s: %s", zPath,
			 db->pDb ? sqlite3_errmsg(db->pDb) : sqlite3_errstr(rc));
		goto fail;
	}
	db->zPath = xstrdup(zPath);
	sqlite3_busy_handler(db->pDb, on_busy, db);
	sqlite3_extended_result_codes(db->pDb, 1);
	if (sqlite3_exec(db->pDb,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(zErr, nErr, "cannot configure database %s: %s", zPath, sqlite3_errmsg(db->pDb));
		goto fail;
	}
	return db;
fail:
	db_close(db);
	return NULL;
}

void db_close(Db *db)
{
	int i;
	if (!db)
		return;
	for (i = 0; i < db->nCache; i++)
		sqlite3_finalize(db->aCache[i].pStmt);
	free(db->aCache);
	if (db->pDb)
		sqlite3_close_v2(db->pDb);
	free(db->zPath);
	free(db);
}

const char *db_errmsg(Db *db)
{
	return sqlite3_errmsg(db->pDb);
}

const char *db_path(Db *db)
{
	return db->zPath;
}

sqlite3 *db_handle(Db *db)
{
	return db->pDb;
}

/*
 * Return a reset statement for zSql, preparing it on first use. Statements
 * are cached by the address of their static SQL text. If the cached one is
 * still running (a nested use), a fresh uncached statement is returned and
 * *pOwned is set so the caller finalizes it. NULL on a prepare error.
 */
sqlite3_stmt *db_prepare(Db *db, const char *zSql, int *pOwned)
{
	int i;
	sqlite3_stmt *pStmt = NULL;
	*pOwned = 0;
	for (i = 0; i < db->nCache; i++) {
		if (db->aCache[i].zSql == zSql) {
			if (sqlite3_stmt_busy(db->aCache[i].pStmt))
				break;
			return db->aCache[i].pStmt;
		}
	}
	if (sqlite3_prepare_v3(db->pDb, zSql, -1, SQLITE_PREPARE_PERSISTENT, &pStmt, NULL) != SQLITE_OK)
		return NULL;
	if (i < db->nCache) {
		*pOwned = 1;
		return pStmt;
	}
	db->aCache = xrealloc(db->aCache, sizeof(*db->aCache) * (size_t)(db->nCache + 1));
	db->aCache[db->nCache].zSql = zSql;
	db->aCache[db->nCache].pStmt = pStmt;
	db->nCache++;
	return pStmt;
}

/* Finish with a statement from db_prepare(). */
void db_release(sqlite3_stmt *pStmt, int owned)
{
	if (!pStmt)
		return;
	if (owned) {
		sqlite3_finalize(pStmt);
	} else {
		sqlite3_reset(pStmt);
		sqlite3_clear_bindings(pStmt);
	}
}

/* Bind values described by zTypes from ap. Returns SQLITE_OK or an error code. */
int db_bind_va(sqlite3_stmt *pStmt, const char *zTypes, va_list ap)
{
	int i, rc = SQLITE_OK;
	for (i = 0; zTypes && zTypes[i] && rc == SQLITE_OK; i++) {
		int iCol = i + 1;
		switch (zTypes[i]) {
		case 'i':
			rc = sqlite3_bind_int64(pStmt, iCol, va_arg(ap, int64_t));
			break;
		case 'd':
			rc = sqlite3_bind_double(pStmt, iCol, va_arg(ap, double));
			break;
		case 't': {
			const char *z = va_arg(ap, const char *);
			rc = z ? sqlite3_bind_text(pStmt, iCol, z, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(pStmt, iCol);
			break;
		}
		case 'j': {
			json_t *p = va_arg(ap, json_t *);
			if (p) {
				char *z = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
				rc = sqlite3_bind_text(pStmt, iCol, z ? z : "null", -1, SQLITE_TRANSIENT);
				free(z);
			} else {
				rc = sqlite3_bind_null(pStmt, iCol);
			}
			break;
		}
		case 'n':
			rc = sqlite3_bind_null(pStmt, iCol);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc;
}

static DbRc map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return DB_OK;
	case SQLITE_CONSTRAINT:
		return DB_CONFLICT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_BUSY;
	default:
		return DB_ERROR;
	}
}

/* Convert the current row into a new JSON object (caller decrefs). */
json_t *db_row_json(sqlite3_stmt *pStmt)
{
	json_t *pRow = json_object();
	int i, n = sqlite3_column_count(pStmt);
	for (i = 0; i < n; i++) {
		const char *zName = sqlite3_column_name(pStmt, i);
		size_t nName = strlen(zName);
		json_t *pVal;
		switch (sqlite3_column_type(pStmt, i)) {
		case SQLITE_INTEGER:
			pVal = json_integer(sqlite3_column_int64(pStmt, i));
			break;
		case SQLITE_FLOAT:
			pVal = json_real(sqlite3_column_double(pStmt, i));
			break;
		case SQLITE_NULL:
			pVal = json_null();
			break;
		default: {
			const char *z = (const char *)sqlite3_column_text(pStmt, i);
			int nz = sqlite3_column_bytes(pStmt, i);
			if (nName > 5 && strcmp(zName + nName - 5, "_json") == 0) {
				pVal = json_loadb(z, (size_t)nz, JSON_DECODE_ANY, NULL);
				if (!pVal)
					pVal = json_null();
			} else {
				pVal = json_stringn(z ? z : "", (size_t)nz);
				if (!pVal)
					pVal = json_string("(invalid UTF-8)");
			}
		}
		}
		if (nName > 5 && strcmp(zName + nName - 5, "_json") == 0) {
			char *zKey = xstrndup(zName, nName - 5);
			json_object_set_new(pRow, zKey, pVal);
			free(zKey);
		} else {
			json_object_set_new(pRow, zName, pVal);
		}
	}
	return pRow;
}

/* A statement that writes, run outside a transaction, is a write transaction of its own. */
static void count_autocommit_write(Db *db, sqlite3_stmt *pStmt)
{
	if (db->txDepth == 0 && sqlite3_get_autocommit(db->pDb) && !sqlite3_stmt_readonly(pStmt))
		db->nWriteTx++;
}

DbRc db_exec(Db *db, const char *zSql, const char *zTypes, ...)
{
	va_list ap;
	int owned, rc;
	sqlite3_stmt *pStmt = db_prepare(db, zSql, &owned);
	if (!pStmt)
		return DB_ERROR;
	va_start(ap, zTypes);
	rc = db_bind_va(pStmt, zTypes, ap);
	va_end(ap);
	if (rc == SQLITE_OK) {
		count_autocommit_write(db, pStmt);
		while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW) {
		}
	}
	db->lastChanges = sqlite3_changes(db->pDb);
	db_release(pStmt, owned);
	return map_rc(rc);
}

static json_t *query_va(Db *db, int onlyFirst, const char *zSql, const char *zTypes, va_list ap)
{
	int owned, rc;
	json_t *pOut = NULL;
	sqlite3_stmt *pStmt = db_prepare(db, zSql, &owned);
	if (!pStmt)
		return NULL;
	rc = db_bind_va(pStmt, zTypes, ap);
	if (rc != SQLITE_OK)
		goto out;
	count_autocommit_write(db, pStmt);
	if (onlyFirst) {
		rc = sqlite3_step(pStmt);
		if (rc == SQLITE_ROW)
			pOut = db_row_json(pStmt);
	} else {
		pOut = json_array();
		while ((rc = sqlite3_step(pStmt)) == SQLITE_ROW)
			json_array_append_new(pOut, db_row_json(pStmt));
		if (rc != SQLITE_DONE) {
			json_decref(pOut);
			pOut = NULL;
		}
	}
out:
	db_release(pStmt, owned);
	return pOut;
}

json_t *db_query(Db *db, const char *zSql, const char *zTypes, ...)
{
	va_list ap;
	json_t *p;
	va_start(ap, zTypes);
	p = query_va(db, 0, zSql, zTypes, ap);
	va_end(ap);
	return p;
}

json_t *db_query_one(Db *db, const char *zSql, const char *zTypes, ...)
{
	va_list ap;
	json_t *p;
	va_start(ap, zTypes);
	p = query_va(db, 1, zSql, zTypes, ap);
	va_end(ap);
	return p;
}

int64_t db_query_int(Db *db, int64_t dflt, const char *zSql, const char *zTypes, ...)
{
	va_list ap;
	int owned;
	int64_t v = dflt;
	sqlite3_stmt *pStmt = db_prepare(db, zSql, &owned);
	if (!pStmt)
		return dflt;
	count_autocommit_write(db, pStmt);
	va_start(ap, zTypes);
	if (db_bind_va(pStmt, zTypes, ap) == SQLITE_OK && sqlite3_step(pStmt) == SQLITE_ROW &&
	    sqlite3_column_type(pStmt, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(pStmt, 0);
	va_end(ap);
	db_release(pStmt, owned);
	return v;
}

int64_t db_last_insert_id(Db *db)
{
	return sqlite3_last_insert_rowid(db->pDb);
}

int db_changes(Db *db)
{
	return db->lastChanges;
}

struct DbCursor {
	sqlite3_stmt *pStmt;
	json_t *pRow;
	int done;
};

DbCursor *db_cursor_open(Db *db, const char *zSql, const char *zTypes, ...)
{
	va_list ap;
	DbCursor *c;
	sqlite3_stmt *pStmt = NULL;
	if (sqlite3_prepare_v2(db->pDb, zSql, -1, &pStmt, NULL) != SQLITE_OK)
		return NULL;
	va_start(ap, zTypes);
	if (db_bind_va(pStmt, zTypes, ap) != SQLITE_OK) {
		va_end(ap);
		sqlite3_finalize(pStmt);
		return NULL;
	}
	va_end(ap);
	c = xcalloc(1, sizeof(*c));
	c->pStmt = pStmt;
	return c;
}

int db_cursor_next(DbCursor *c, json_t **ppRow)
{
	int rc;
	json_decref(c->pRow);
	c->pRow = NULL;
	if (c->done)
		return 0;
	rc = sqlite3_step(c->pStmt);
	if (rc == SQLITE_ROW) {
		c->pRow = db_row_json(c->pStmt);
		*ppRow = c->pRow;
		return 1;
	}
	c->done = 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

void db_cursor_close(DbCursor *c)
{
	if (!c)
		return;
	json_decref(c->pRow);
	sqlite3_finalize(c->pStmt);
	free(c);
}

DbRc db_begin(Db *db)
{
	int rc;
	if (db->txDepth == 0)
		rc = sqlite3_exec(db->pDb, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	else
		rc = sqlite3_exec(db->pDb, "SAVEPOINT vr_nested", NULL, NULL, NULL);
	if (rc == SQLITE_OK && db->txDepth++ == 0)
		db->nWriteTx++;
	return map_rc(rc);
}

DbRc db_commit(Db *db)
{
	int rc;
	if (db->txDepth <= 0)
		return DB_ERROR;
	if (db->txDepth == 1)
		rc = sqlite3_exec(db->pDb, "COMMIT", NULL, NULL, NULL);
	else
		rc = sqlite3_exec(db->pDb, "RELEASE vr_nested", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		db->txDepth--;
	return map_rc(rc);
}

DbRc db_rollback(Db *db)
{
	int rc;
	if (db->txDepth <= 0)
		return DB_ERROR;
	if (db->txDepth == 1)
		rc = sqlite3_exec(db->pDb, "ROLLBACK", NULL, NULL, NULL);
	else
		rc = sqlite3_exec(db->pDb, "ROLLBACK TO vr_nested; RELEASE vr_nested", NULL, NULL, NULL);
	db->txDepth--;
	return map_rc(rc);
}

int db_tx_depth(Db *db)
{
	return db->txDepth;
}

int64_t db_write_transactions(Db *db)
{
	return db->nWriteTx;
}

int db_check_idle(Db *db, char *zErr, size_t nErr)
{
	sqlite3_stmt *pStmt = NULL;
	Buf b = BUF_INIT;
	int bad = 0;
	while ((pStmt = sqlite3_next_stmt(db->pDb, pStmt)) != NULL) {
		if (sqlite3_stmt_busy(pStmt)) {
			const char *zSql = sqlite3_sql(pStmt);
			buf_printf(&b, "%sstatement left running: %.80s", bad ? "; " : "", zSql ? zSql : "?");
			sqlite3_reset(pStmt);
			bad = 1;
		}
	}
	if (db->txDepth > 0 || !sqlite3_get_autocommit(db->pDb)) {
		buf_printf(&b, "%stransaction left open (depth %d)", bad ? "; " : "", db->txDepth);
		sqlite3_exec(db->pDb, "ROLLBACK", NULL, NULL, NULL);
		db->txDepth = 0;
		bad = 1;
	}
	snprintf(zErr, nErr, "%s", buf_str(&b));
	buf_free(&b);
	return bad ? -1 : 0;
}

DbRc db_backup(Db *db, const char *zDest, char *zErr, size_t nErr)
{
	sqlite3 *pDest = NULL;
	sqlite3_backup *pBackup;
	int rc = sqlite3_open_v2(zDest, &pDest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(zErr, nErr, "cannot create %s: %s", zDest, sqlite3_errstr(rc));
		sqlite3_close(pDest);
		return DB_ERROR;
	}
	pBackup = sqlite3_backup_init(pDest, "main", db->pDb, "main");
	if (!pBackup) {
		snprintf(zErr, nErr, "cannot start backup: %s", sqlite3_errmsg(pDest));
		sqlite3_close(pDest);
		return DB_ERROR;
	}
	/*
	 * Copy everything in one step: in WAL mode this reads one consistent
	 * snapshot without blocking writers. Copying in small steps would restart
	 * whenever another connection commits, and never finish under a busy run.
	 */
	do {
		rc = sqlite3_backup_step(pBackup, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(pBackup);
	if (rc != SQLITE_DONE) {
		snprintf(zErr, nErr, "backup failed: %s", sqlite3_errstr(rc));
		sqlite3_close(pDest);
		return DB_ERROR;
	}
	rc = sqlite3_close(pDest);
	return rc == SQLITE_OK ? DB_OK : DB_ERROR;
}

char *db_like_pattern(const char *zSearch)
{
	Buf b = BUF_INIT;
	const char *z;
	if (!zSearch || !*zSearch)
		return NULL;
	buf_putc(&b, '%');
	for (z = zSearch; *z; z++) {
		if (*z == '%' || *z == '_' || *z == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, *z);
	}
	buf_putc(&b, '%');
	return buf_detach(&b);
}
