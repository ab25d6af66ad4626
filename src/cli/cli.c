/* cli.c — helpers shared by the valuerank subcommands: opening the database, reading files. */
#include "cli/cli.h"
#include "lib/buf.h"
#include "store/accounts.h"
#include "store/runs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

Db *cli_db(Cli *c, int skipSchemaCheck)
{
	char zErr[512];
	if (c->db)
		return c->db;
	c->db = db_open(c->config.zDatabase, zErr, sizeof(zErr));
	if (!c->db) {
		fprintf(stderr, "valuerank: %s\n", zErr);
		return NULL;
	}
	if (!skipSchemaCheck && db_schema_check(c->db, zErr, sizeof(zErr))) {
		fprintf(stderr, "valuerank: %s\n", zErr);
		db_close(c->db);
		c->db = NULL;
		return NULL;
	}
	return c->db;
}

char *cli_read_file(const char *zPath, size_t *pn)
{
	FILE *f = strcmp(zPath, "-") == 0 ? stdin : fopen(zPath, "rb");
	Buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	if (!f) {
		fprintf(stderr, "valuerank: cannot read %s: %s\n", zPath, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	if (ferror(f)) {
		fprintf(stderr, "valuerank: cannot read %s: %s\n", zPath, strerror(errno));
		if (f != stdin)
			fclose(f);
		buf_free(&b);
		return NULL;
	}
	if (f != stdin)
		fclose(f);
	if (pn)
		*pn = b.n;
	return buf_detach(&b);
}


const char *cli_arg(Cli *c, const char *zName)
{
	int i;
	for (i = 0; i + 1 < c->argc; i++)
		if (strcmp(c->argv[i], zName) == 0)
			return c->argv[i + 1];
	return NULL;
}

int cli_flag(Cli *c, const char *zName)
{
	int i;
	for (i = 0; i < c->argc; i++)
		if (strcmp(c->argv[i], zName) == 0)
			return 1;
	return 0;
}

void cli_audit_run(Cli *c, int64_t runId, const char *zAction, const char *zDetails)
{
	json_t *pRun;
	if (!c->db)
		return;
	pRun = store_run_get(c->db, 0, runId);
	if (!pRun)
		return;
	store_audit(c->db, json_integer_value(json_object_get(pRun, "tenant_id")), 0, "cli", zAction, "run",
		    runId, zDetails, "cli");
	json_decref(pRun);
}
