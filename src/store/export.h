/* export.h — a run's transcripts as CSV (DOMAIN.md "CSV export"), streamed from a cursor. */
#ifndef VR_STORE_EXPORT_H
#define VR_STORE_EXPORT_H

#include "store/db.h"

/* Where the CSV bytes go: return 0 to continue, -1 to stop (client gone). */
typedef int (*ExportWriteFn)(void *pArg, const char *p, size_t n);

/* Bytes gathered before each call of the writer. */
#define EXPORT_FLUSH_BYTES (64 * 1024)

/* What the caller needs before the first byte is written. */
typedef struct ExportRun {
	int64_t runId;
	int64_t tenantId;
	char zStatus[16];
	int partial; /* 1 while the run is pending, running or paused */
} ExportRun;

/*
 * Look up run runId for export, visible to tenantId (0: any tenant, the CLI).
 * Returns DB_OK and fills *pRun, or DB_NOTFOUND.
 */
DbRc store_export_run(Db *db, int64_t tenantId, int64_t runId, ExportRun *pRun);

/*
 * Write the whole export of run runId through xWrite: the BOM, the header
 * row, then one row per transcript ordered by model, scenario and sample,
 * with DOMAIN.md's columns (plus prompt and response when withText). Memory
 * stays constant: rows come from a cursor and are flushed every
 * EXPORT_FLUSH_BYTES. The web page and `valuerank run export` both call
 * this, so they write the same bytes. Returns 0 and the number of rows in
 * *pnRows (may be NULL), or -1 with a sentence in zErr (a database error,
 * or the writer gave up).
 */
int export_run_csv(Db *db, int64_t runId, int withText, ExportWriteFn xWrite, void *pArg,
		   int64_t *pnRows, char *zErr, size_t nErr);

#endif
