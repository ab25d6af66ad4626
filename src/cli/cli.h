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
/* The value after option zName (e.g. "--email") in the command's arguments, or NULL. */
const char *cli_arg(Cli *c, const char *zName);
/* 1 when the flag zName (e.g. "--superadmin") is among the command's arguments. */
int cli_flag(Cli *c, const char *zName);
/*
 * Record a command-line action on a run in the audit log, under the run's
 * tenant, with the actor "cli". zDetails is short JSON text or NULL.
 */
void cli_audit_run(Cli *c, int64_t runId, const char *zAction, const char *zDetails);
/* Read all of a file (or stdin for "-") into a new NUL-terminated string; NULL on error (message printed). */
char *cli_read_file(const char *zPath, size_t *pn);

/* Subcommands: each returns the process exit code (0 ok, 1 failure, 2 usage). */
int cmd_init(Cli *c);
int cmd_migrate(Cli *c);
int cmd_backup(Cli *c);
int cmd_user_add(Cli *c);
int cmd_user_passwd(Cli *c);
int cmd_user_list(Cli *c);
/* cmd_definition.c */
int cmd_definition_import(Cli *c);
int cmd_definition_export(Cli *c);
int cmd_definition_list(Cli *c);
int cmd_definition_scenarios(Cli *c);
/* cmd_run.c, cmd_decision.c */
int cmd_run_start(Cli *c);
int cmd_run_show(Cli *c);
int cmd_run_list(Cli *c);
int cmd_run_pause(Cli *c);
int cmd_run_resume(Cli *c);
int cmd_run_cancel(Cli *c);
int cmd_run_retry_failed(Cli *c);
int cmd_extract_decision(Cli *c);
/* cmd_export.c */
int cmd_run_export(Cli *c);

#endif
