/* cli.h — the valuerank command: shared context and one function per subcommand. */
#ifndef VR_CLI_H
#define VR_CLI_H

#include "lib/config.h"
#include "store/db.h"

typedef struct Cli {
	Config config;
	Db *db;      /* opened on demand by cli_db() */
	int argc;    /* arguments after the subcommand words */
	char **argv;
} Cli;

/*
 * Open the database for a command (and check its schema unless
 * skipSchemaCheck). Prints the problem and returns NULL on failure.
 */
Db *cli_db(Cli *c, int skipSchemaCheck);
/* Read all of a file (or stdin for "-") into a new NUL-terminated string; NULL on error (message printed). */
char *cli_read_file(const char *zPath, size_t *pn);

/* Subcommands: each returns the process exit code (0 ok, 1 failure, 2 usage). */
int cmd_init(Cli *c);
int cmd_migrate(Cli *c);
int cmd_backup(Cli *c);
int cmd_user_add(Cli *c);
int cmd_user_passwd(Cli *c);
int cmd_user_list(Cli *c);

#endif
