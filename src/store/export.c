/* export.c — the CSV export of a run: one SQL statement stepped over its transcripts, written row by row. */
#include "store/export.h"
#include "store/db_internal.h"
#include "domain/csv.h"
#include "lib/buf.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char zExportRun[] =
	"SELECT id, tenant_id, status FROM runs WHERE id = ?1 AND (?2 = 0 OR tenant_id = ?2)";
static const char zExportDimensions[] =
	"SELECT definition_snapshot AS definition_json FROM runs WHERE id = ?1";
#define EXPORT_COLUMNS \
	"SELECT t.run_id, t.scenario_id, s.name AS scenario_name, t.model_id, t.model_version," \
	" t.provider, t.sample_index, s.dimension_scores, t.decision," \
	" t.decision_value, t.decision_class, t.turn_count, t.word_count, t.input_tokens," \
	" t.output_tokens, t.cost_usd, t.duration_ms, t.created_at, t.id AS transcript_id"
/* The order follows the transcripts_export index, so SQLite never sorts. */
#define EXPORT_FROM \
	" FROM transcripts t JOIN scenarios s ON s.id = t.scenario_id WHERE t.run_id = ?1" \
	" ORDER BY t.model_id, t.model_version, t.provider, t.scenario_id, t.sample_index"
static const char zExportRows[] = EXPORT_COLUMNS EXPORT_FROM;
/* The turns' prompts and responses joined by "\n\n---\n\n" in SQLite's own JSON code (faster than jansson here). */
#define EXPORT_TURNS_JOINED(zPath, zAlt) \
	"(SELECT group_concat(x, char(10,10,45,45,45,10,10)) FROM (SELECT coalesce(" \
	"json_extract(j.value, '" zPath "'), json_extract(j.value, '" zAlt "'), '') AS x" \
	" FROM json_each(t.turns) j ORDER BY j.key))"
static const char zExportRowsText[] =
	EXPORT_COLUMNS ", " EXPORT_TURNS_JOINED("$.prompt", "$.user") " AS prompt_text, "
	EXPORT_TURNS_JOINED("$.response", "$.text") " AS response_text" EXPORT_FROM;

/* Column positions in zExportRows: the lead columns, then these. */
enum { COL_LEAD_END = 7, COL_SCORES = 7, COL_TAIL = 8, COL_CREATED = 17, COL_TURNS = 19 };

/* The fixed columns before and after the dim_<Name> columns (DOMAIN.md). */
static const char *const azLeadColumn[] = {"run_id", "scenario_id", "scenario_name", "model_id",
					   "model_version", "provider", "sample_index"};
static const char *const azTailColumn[] = {
	"decision",      "decision_value", "decision_class", "turn_count", "word_count",
	"input_tokens",  "output_tokens",  "cost_usd",       "duration_ms", "created_at",
	"transcript_id"};

DbRc store_export_run(Db *db, int64_t tenantId, int64_t runId, ExportRun *pRun)
{
	json_t *pRow = db_query_one(db, zExportRun, "ii", runId, tenantId);
	const char *zStatus;
	memset(pRun, 0, sizeof(*pRun));
	if (!pRow)
		return DB_NOTFOUND;
	pRun->runId = runId;
	pRun->tenantId = json_integer_value(json_object_get(pRow, "tenant_id"));
	zStatus = json_string_value(json_object_get(pRow, "status"));
	str_copy(pRun->zStatus, sizeof(pRun->zStatus), zStatus ? zStatus : "");
	pRun->partial = !strcmp(pRun->zStatus, "pending") || !strcmp(pRun->zStatus, "running") ||
			!strcmp(pRun->zStatus, "paused");
	json_decref(pRow);
	return DB_OK;
}

/* The run's dimension names in definition order, as a new JSON array of strings. */
static json_t *dimension_names(Db *db, int64_t runId)
{
	json_t *pRow = db_query_one(db, zExportDimensions, "i", runId), *pNames = json_array(), *pDim;
	json_t *pDims = json_object_get(json_object_get(pRow, "definition"), "dimensions");
	size_t i;
	json_array_foreach(pDims, i, pDim) {
		json_t *pName = json_object_get(pDim, "name");
		if (json_is_string(pName))
			json_array_append(pNames, pName);
	}
	json_decref(pRow);
	return pNames;
}

/*
 * A real-number cell written so that it reads back as exactly the stored
 * double: the fewest decimals (fixed notation, never an exponent) that
 * round-trip. csv_double() keeps 6 significant digits, which is right for
 * display but would make the export differ from the database.
 */
static void cell_exact_double(Buf *b, double v, int *pFirst)
{
	char z[96];
	int nDigit, nDecimal;
	if (!isfinite(v) || fabs(v) >= 1e15 || (v != 0 && fabs(v) < 1e-30)) {
		csv_double(b, v, pFirst);
		return;
	}
	/* Usually 15 significant digits round-trip; %g drops trailing zeros. */
	for (nDigit = 15; nDigit <= 17; nDigit++) {
		snprintf(z, sizeof(z), "%.*g", nDigit, v);
		if (strtod(z, NULL) == v)
			break;
	}
	if (strchr(z, 'e')) { /* tiny values: %g chose an exponent, so find the fixed form */
		for (nDecimal = 0; nDecimal <= 40; nDecimal++) {
			snprintf(z, sizeof(z), "%.*f", nDecimal, v);
			if (strtod(z, NULL) == v)
				break;
		}
	}
	if (strcmp(z, "-0") == 0)
		str_copy(z, sizeof(z), "0");
	csv_null(b, pFirst); /* the separator */
	buf_puts(b, z);
}

/* One cell from a database value: integers and reals bare, text guarded and quoted, NULL empty. */
static void cell_from_json(Buf *b, json_t *v, int *pFirst)
{
	if (json_is_integer(v))
		csv_int(b, (int64_t)json_integer_value(v), pFirst);
	else if (json_is_real(v))
		cell_exact_double(b, json_real_value(v), pFirst);
	else if (json_is_string(v))
		csv_text(b, json_string_value(v), pFirst);
	else
		csv_null(b, pFirst);
}

/* Write the header row. */
static void write_header(Buf *b, json_t *pDims, int withText)
{
	Buf name = BUF_INIT;
	int first = 1;
	size_t i;
	json_t *pName;
	for (i = 0; i < ARRAY_SIZE(azLeadColumn); i++)
		csv_text(b, azLeadColumn[i], &first);
	json_array_foreach(pDims, i, pName) {
		buf_reset(&name);
		buf_puts(&name, "dim_");
		buf_puts(&name, json_string_value(pName));
		csv_text(b, buf_str(&name), &first);
	}
	for (i = 0; i < ARRAY_SIZE(azTailColumn); i++)
		csv_text(b, azTailColumn[i], &first);
	if (withText) {
		csv_text(b, "prompt", &first);
		csv_text(b, "response", &first);
	}
	csv_end_row(b, &first);
	buf_free(&name);
}

/* An integer cell without printf (the export writes millions of them). */
static void cell_int(Buf *b, int64_t v, int *pFirst)
{
	char z[24];
	int n = (int)sizeof(z);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		z[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		z[--n] = '-';
	csv_null(b, pFirst); /* the separator */
	buf_append(b, z + n, sizeof(z) - (size_t)n);
}

/*
 * The created_at cell as ISO-8601 UTC "2026-11-21T23:07:40Z": stored that
 * way it is copied; another spelling SQLite accepts ("2026-11-21 23:07:40")
 * is converted; anything else is written as it is.
 */
static void cell_iso_time(Buf *b, const char *z, int *pFirst)
{
	char zIso[TIME_ISO_LEN];
	time_t t;
	if (z && strlen(z) == 20 && z[10] == 'T' && z[19] == 'Z') {
		csv_text(b, z, pFirst);
	} else if (z && time_parse_iso(z, &t) == 0) {
		time_iso_from_epoch(zIso, t);
		csv_text(b, zIso, pFirst);
	} else {
		csv_text(b, z, pFirst);
	}
}

/* One cell from column i of the current row: integers and reals bare, text guarded and quoted, NULL empty. */
static void cell_from_column(Buf *b, sqlite3_stmt *pStmt, int i, int *pFirst)
{
	switch (sqlite3_column_type(pStmt, i)) {
	case SQLITE_INTEGER:
		cell_int(b, sqlite3_column_int64(pStmt, i), pFirst);
		break;
	case SQLITE_FLOAT:
		cell_exact_double(b, sqlite3_column_double(pStmt, i), pFirst);
		break;
	case SQLITE_NULL:
		csv_null(b, pFirst);
		break;
	default:
		csv_text(b, (const char *)sqlite3_column_text(pStmt, i), pFirst);
	}
}

/*
 * The parsed dimension scores of the scenario last seen. Rows come ordered
 * by model then scenario then sample, so consecutive rows mostly share a
 * scenario and its JSON is parsed once, not once per row.
 */
typedef struct ScoreCache {
	int64_t scenarioId;
	json_t *pScores;
} ScoreCache;

/* The scores object of the current row's scenario (borrowed from the cache). */
static json_t *scores_for_row(ScoreCache *c, sqlite3_stmt *pStmt)
{
	int64_t id = sqlite3_column_int64(pStmt, 1);
	if (c->pScores && c->scenarioId == id)
		return c->pScores;
	json_decref(c->pScores);
	c->pScores = json_loadb((const char *)sqlite3_column_text(pStmt, COL_SCORES),
				(size_t)sqlite3_column_bytes(pStmt, COL_SCORES), 0, NULL);
	c->scenarioId = id;
	return c->pScores;
}

/* Write one transcript row (the statement's current row). */
static void write_row(Buf *b, sqlite3_stmt *pStmt, ScoreCache *pCache, json_t *pDims,
		      int withText)
{
	json_t *pScores = scores_for_row(pCache, pStmt), *pName;
	int first = 1, i;
	size_t k;
	for (i = 0; i < COL_LEAD_END; i++)
		cell_from_column(b, pStmt, i, &first);
	json_array_foreach(pDims, k, pName) {
		json_t *v = json_object_get(pScores, json_string_value(pName));
		if (json_is_integer(v))
			cell_int(b, (int64_t)json_integer_value(v), &first);
		else
			cell_from_json(b, v, &first);
	}
	for (i = COL_TAIL; i < COL_TURNS; i++) {
		if (i == COL_CREATED && sqlite3_column_type(pStmt, i) == SQLITE_TEXT)
			cell_iso_time(b, (const char *)sqlite3_column_text(pStmt, i), &first);
		else
			cell_from_column(b, pStmt, i, &first);
	}
	if (withText) {
		csv_text(b, (const char *)sqlite3_column_text(pStmt, COL_TURNS), &first);
		csv_text(b, (const char *)sqlite3_column_text(pStmt, COL_TURNS + 1), &first);
	}
	csv_end_row(b, &first);
}

/* Hand the buffer to the writer and empty it; 0 or -1. */
static int flush(Buf *b, ExportWriteFn xWrite, void *pArg)
{
	int rc = 0;
	if (b->n)
		rc = xWrite(pArg, b->z, b->n);
	buf_reset(b);
	return rc;
}

int export_run_csv(Db *db, int64_t runId, int withText, ExportWriteFn xWrite, void *pArg,
		   int64_t *pnRows, char *zErr, size_t nErr)
{
	Buf b = BUF_INIT;
	json_t *pDims = dimension_names(db, runId);
	ScoreCache cache = {0, NULL};
	sqlite3_stmt *pStmt = NULL;
	int64_t nRow = 0;
	int rc = -1, step;
	if (pnRows)
		*pnRows = 0;
	csv_bom(&b);
	write_header(&b, pDims, withText);
	/*
	 * A plain statement stepped row by row: constant memory, and no JSON
	 * object per row (db_cursor_next() builds one), which halves the time.
	 */
	if (sqlite3_prepare_v2(db_handle(db), withText ? zExportRowsText : zExportRows, -1, &pStmt, NULL) !=
		    SQLITE_OK ||
	    sqlite3_bind_int64(pStmt, 1, runId) != SQLITE_OK) {
		snprintf(zErr, nErr, "cannot read the transcripts: %s", db_errmsg(db));
		goto out;
	}
	while ((step = sqlite3_step(pStmt)) == SQLITE_ROW) {
		write_row(&b, pStmt, &cache, pDims, withText);
		nRow++;
		if (b.n >= EXPORT_FLUSH_BYTES && flush(&b, xWrite, pArg)) {
			snprintf(zErr, nErr, "the export was interrupted after %lld rows: the reader went away",
				 (long long)nRow);
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		snprintf(zErr, nErr, "reading the transcripts failed after %lld rows: %s", (long long)nRow,
			 db_errmsg(db));
		goto out;
	}
	if (flush(&b, xWrite, pArg)) {
		snprintf(zErr, nErr, "the export was interrupted: the reader went away");
		goto out;
	}
	rc = 0;
	if (pnRows)
		*pnRows = nRow;
out:
	sqlite3_finalize(pStmt);
	json_decref(cache.pScores);
	json_decref(pDims);
	buf_free(&b);
	return rc;
}
