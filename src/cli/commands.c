/* commands.c — the one table of valuerank subcommands. */
#include "cli/commands.h"

const CliCommand aCliCommand[] = {
	{"init", NULL, cmd_init, "init", "create the database and apply migrations (safe to repeat)"},
	{"migrate", NULL, cmd_migrate, "migrate", "apply new migrations"},
	{"backup", NULL, cmd_backup, "backup --to FILE", "online backup of the database"},
	{"user", "add", cmd_user_add, "user add --email E --tenant T --role R [--superadmin]",
	 "create a user (password from stdin, or generated and printed)"},
	{"user", "passwd", cmd_user_passwd, "user passwd --email E", "set a password (from stdin, or generated)"},
	{"user", "list", cmd_user_list, "user list", "list users"},
};

const size_t nCliCommand = sizeof(aCliCommand) / sizeof(aCliCommand[0]);
