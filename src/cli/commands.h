/* commands.h — the table of valuerank subcommands (defined in commands.c). */
#ifndef VR_CLI_COMMANDS_H
#define VR_CLI_COMMANDS_H

#include <stddef.h>

#include "cli/cli.h"

typedef struct CliCommand {
	const char *zWord;  /* first word, e.g. "user" */
	const char *zWord2; /* second word or NULL, e.g. "add" */
	int (*xRun)(Cli *c);
	const char *zUsage;
	const char *zHelp;
} CliCommand;

extern const CliCommand aCliCommand[];
extern const size_t nCliCommand;

#endif
