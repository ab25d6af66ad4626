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
	{"definition", "import", cmd_definition_import, "definition import [--tenant T] FILE...",
	 "import definition files (export format); prints each new id (tenant default demo)"},
	{"definition", "export", cmd_definition_export, "definition export [--tenant T] ID",
	 "print a definition in the export format (the download's bytes)"},
	{"definition", "list", cmd_definition_list, "definition list [--tenant T]",
	 "list definitions: id, name, version, scenario count (tab-separated)"},
	{"definition", "scenarios", cmd_definition_scenarios, "definition scenarios [--tenant T] ID",
	 "expand a definition: one JSON line per scenario (name, scores, full prompt)"},
	/* runs and decisions (executor helper) */
	{"run", "start", cmd_run_start,
	 "run start --definition ID --models P:M[@V],... [--sample-pct P --seed S --samples N"
	 " --temperature T --max-tokens N --cache on|off --name NAME --trigger-id ID] [--wait]",
	 "create a run and its jobs; prints the run id first; --wait follows it (exit 1 if it fails)"},
	{"run", "show", cmd_run_show, "run show ID [--json]", "a run's status, counters and per-model progress"},
	{"run", "list", cmd_run_list, "run list [--limit N]", "recent runs (tab-separated)"},
	{"run", "pause", cmd_run_pause, "run pause ID", "stop claiming new jobs of a run"},
	{"run", "resume", cmd_run_resume, "run resume ID", "resume a paused run"},
	{"run", "cancel", cmd_run_cancel, "run cancel ID", "cancel a run's queued jobs (results are kept)"},
	{"run", "retry-failed", cmd_run_retry_failed, "run retry-failed ID", "queue a run's failed jobs again"},
	{"extract-decision", NULL, cmd_extract_decision, "extract-decision --prompt FILE --response FILE",
	 "print the decision extracted from a response (JSON)"},
	{"run", "export", cmd_run_export, "run export ID [--text]",
	 "write a run's transcripts as CSV to stdout (the web export's bytes)"},
};

const size_t nCliCommand = sizeof(aCliCommand) / sizeof(aCliCommand[0]);
