/* main.c — the valuerank admin and scripting command: global options and subcommand dispatch. */
#include "cli/cli.h"
#include "cli/commands.h"
#include "lib/log.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	size_t i;
	fprintf(f, "usage: valuerank [--config FILE] [--db PATH] COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < nCliCommand; i++)
		fprintf(f, "  %-22s %s\n", aCliCommand[i].zUsage, aCliCommand[i].zHelp);
}

int main(int argc, char **argv)
{
	Cli c;
	const char *zConfig = NULL, *zDb = NULL;
	char zErr[512];
	int i = 1, rc;
	size_t k;
	memset(&c, 0, sizeof(c));
	log_setup("cli", LOG_WARN);
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			zConfig = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			zDb = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "valuerank: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (config_load(&c.config, zConfig, zErr, sizeof(zErr))) {
		fprintf(stderr, "valuerank: %s\n", zErr);
		return 1;
	}
	if (zDb)
		config_set_database(&c.config, zDb);
	for (k = 0; k < nCliCommand; k++) {
		const CliCommand *pCmd = &aCliCommand[k];
		int nWord = pCmd->zWord2 ? 2 : 1;
		if (strcmp(argv[i], pCmd->zWord) != 0)
			continue;
		if (pCmd->zWord2 && (i + 1 >= argc || strcmp(argv[i + 1], pCmd->zWord2) != 0))
			continue;
		c.argc = argc - i - nWord;
		c.argv = argv + i + nWord;
		rc = pCmd->xRun(&c);
		db_close(c.db);
		config_free(&c.config);
		return rc;
	}
	fprintf(stderr, "valuerank: unknown command \"%s\"\n", argv[i]);
	usage(stderr);
	config_free(&c.config);
	return 2;
}
