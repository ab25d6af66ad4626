/* cmd_db.c — valuerank init, migrate and backup. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

int cmd_init(Cli *c)
{
	char zErr[512];
	Db *db = cli_db(c, 1);
	if (!db)
		return 1;
	if (db_migrate(db, zErr, sizeof(zErr)) != DB_OK) {
		fprintf(stderr, "valuerank: %s\n", zErr);
		return 1;
	}
	printf("database %s ready at schema %d\n", db_path(db), db_schema_current(db));
	return 0;
}

int cmd_migrate(Cli *c)
{
	char zErr[512];
	int before;
	Db *db = cli_db(c, 1);
	if (!db)
		return 1;
	before = db_schema_current(db);
	if (db_migrate(db, zErr, sizeof(zErr)) != DB_OK) {
		fprintf(stderr, "valuerank: %s\n", zErr);
		return 1;
	}
	if (before == db_schema_current(db))
		printf("database %s already at schema %d\n", db_path(db), before);
	else
		printf("database %s migrated from schema %d to %d\n", db_path(db), before,
		       db_schema_current(db));
	return 0;
}

int cmd_backup(Cli *c)
{
	char zErr[512];
	const char *zTo = NULL;
	Db *db;
	int i;
	for (i = 0; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--to") == 0 && i + 1 < c->argc)
			zTo = c->argv[++i];
		else {
			fprintf(stderr, "valuerank backup: unexpected argument %s\n", c->argv[i]);
			return 2;
		}
	}
	if (!zTo) {
		fprintf(stderr, "usage: valuerank backup --to FILE\n");
		return 2;
	}
	db = cli_db(c, 0);
	if (!db)
		return 1;
	if (db_backup(db, zTo, zErr, sizeof(zErr)) != DB_OK) {
		fprintf(stderr, "valuerank: %s\n", zErr);
		return 1;
	}
	printf("backup written to %s\n", zTo);
	return 0;
}
