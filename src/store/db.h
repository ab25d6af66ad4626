/* db.h — the SQLite connection, statement cache, typed queries and nesting transactions. */
#ifndef VR_DB_H
#define VR_DB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Only src/store/ includes <sqlite3.h>. Callers outside the store see an
 * opaque Db and the store_* functions; SQL text never leaves this folder.
 */
typedef struct Db Db;

/* Outcome of a store call. */
typedef enum DbRc {
	DB_OK = 0,
	DB_NOTFOUND = 1, /* no such row (or not visible to this tenant) */
	DB_CONFLICT = 2, /* a unique or check constraint refused the change */
	DB_BUSY = 3,     /* the database stayed locked past the busy timeout */
	DB_ERROR = 4     /* anything else; the message is in db_errmsg() */
} DbRc;

/*
 * Open (creating if needed) the database at zPath with WAL, a busy timeout,
 * foreign keys on. Returns NULL with a message in zErr on failure. Close
 * with db_close().
 */
Db *db_open(const char *zPath, char *zErr, size_t nErr);
void db_close(Db *db);
const char *db_errmsg(Db *db);
const char *db_path(Db *db);

/* Apply every migration not yet recorded in schema_migrations. Safe to repeat. */
DbRc db_migrate(Db *db, char *zErr, size_t nErr);
/* Latest migration number this build knows, and the one the database is at. */
int db_schema_latest(void);
int db_schema_current(Db *db);
/*
 * 0 when the database schema matches this build; otherwise -1 with a
 * message naming the command to run (`valuerank migrate` or an upgrade).
 */
int db_schema_check(Db *db, char *zErr, size_t nErr);

/*
 * Transactions nest by counter: the outermost db_begin() is BEGIN IMMEDIATE,
 * inner ones are savepoints. Every db_begin() is paired with exactly one
 * db_commit() or db_rollback().
 */
DbRc db_begin(Db *db);
DbRc db_commit(Db *db);
DbRc db_rollback(Db *db);
int db_tx_depth(Db *db);
/* Write transactions this connection has begun (each takes the database's write lock). */
int64_t db_write_transactions(Db *db);

/*
 * End-of-request check: a statement still running or a transaction still
 * open is a bug. Returns 0 when clean; otherwise resets/rolls back, writes
 * a description into zErr and returns -1.
 */
int db_check_idle(Db *db, char *zErr, size_t nErr);

/*
 * Typed queries over statements declared as static strings in src/store/.
 * zTypes names each bound value in order:
 *   'i' int64_t, 'd' double, 't' const char * (NULL binds NULL),
 *   'j' json_t * (serialised compact; NULL binds NULL), 'n' NULL (no argument).
 * db_exec returns DB_OK/DB_CONFLICT/...; db_query returns a new JSON array
 * of row objects (column name → value) or NULL on error; db_query_one
 * returns the first row object or NULL. Callers json_decref() the result.
 * Columns whose name ends in "_json" are parsed into JSON values (and the
 * suffix is removed from the key).
 */
DbRc db_exec(Db *db, const char *zSql, const char *zTypes, ...);
json_t *db_query(Db *db, const char *zSql, const char *zTypes, ...);
json_t *db_query_one(Db *db, const char *zSql, const char *zTypes, ...);
/* First column of the first row as an integer; dflt when no row. */
int64_t db_query_int(Db *db, int64_t dflt, const char *zSql, const char *zTypes, ...);
int64_t db_last_insert_id(Db *db);
int db_changes(Db *db);

/*
 * A cursor over a query's rows, for results too large to hold (CSV export).
 * db_cursor_next() returns 1 with the row as a borrowed JSON object (valid
 * until the next call), 0 at the end, -1 on error. db_cursor_close() always.
 */
typedef struct DbCursor DbCursor;
DbCursor *db_cursor_open(Db *db, const char *zSql, const char *zTypes, ...);
int db_cursor_next(DbCursor *c, json_t **ppRow);
void db_cursor_close(DbCursor *c);

/*
 * A LIKE pattern matching zSearch anywhere, with %, _ and \ escaped (use
 * `LIKE ?N ESCAPE '\'`). NULL for an empty search. Caller frees.
 */
char *db_like_pattern(const char *zSearch);

/* Online backup of the whole database into zDest (SQLite backup API). */
DbRc db_backup(Db *db, const char *zDest, char *zErr, size_t nErr);

#endif
