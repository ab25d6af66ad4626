/* cmd_export.c — valuerank run export ID [--text]: the run's CSV on standard output, the same bytes as the web export. */
#include "cli/cli.h"
#include "store/export.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

/* ExportWriteFn over a FILE. */
static int file_write(void *pArg, const char *p, size_t n)
{
	return fwrite(p, 1, n, (FILE *)pArg) == n ? 0 : -1;
}

int cmd_run_export(Cli *c)
{
	const char *zId = NULL;
	int withText = 0, i;
	int64_t runId, nRows = 0;
	ExportRun run;
	char zErr[256];
	Db *db;
	for (i = 0; i < c->argc; i++) {
		if (!strcmp(c->argv[i], "--text")) {
			withText = 1;
		} else if (!zId && c->argv[i][0] != '-') {
			zId = c->argv[i];
		} else {
			fprintf(stderr, "usage: valuerank run export ID [--text]\n");
			return 2;
		}
	}
	if (!zId || parse_int64(zId, 1, INT64_MAX, &runId)) {
		fprintf(stderr, "usage: valuerank run export ID [--text]  (ID is a run number)\n");
		return 2;
	}
	if (!(db = cli_db(c, 0)))
		return 1;
	if (store_export_run(db, 0, runId, &run) != DB_OK) {
		fprintf(stderr, "valuerank: there is no run %lld\n", (long long)runId);
		return 1;
	}
	if (export_run_csv(db, runId, withText, file_write, stdout, &nRows, zErr, sizeof(zErr)) ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "valuerank: %s\n", zErr[0] ? zErr : "cannot write the export");
		return 1;
	}
	cli_audit_run(c, runId, "run.export", withText ? "{\"text\":true}" : NULL);
	if (run.partial)
		fprintf(stderr, "valuerank: run %lld is %s: the export holds the %lld transcripts completed so far\n",
			(long long)runId, run.zStatus, (long long)nRows);
	return 0;
}
