/* cmd_decision.c — valuerank extract-decision: run decision extraction on a prompt and a response file. */
#include "cli/cli.h"
#include "domain/decision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_extract_decision(Cli *c)
{
	const char *zPromptPath = NULL, *zResponsePath = NULL;
	char *zPrompt = NULL, *zResponse = NULL, *zJson;
	json_t *pOut;
	Decision d;
	int i, rc = 1;
	for (i = 0; i < c->argc; i++) {
		if (!strcmp(c->argv[i], "--prompt") && i + 1 < c->argc) {
			zPromptPath = c->argv[++i];
		} else if (!strcmp(c->argv[i], "--response") && i + 1 < c->argc) {
			zResponsePath = c->argv[++i];
		} else {
			fprintf(stderr, "valuerank extract-decision: unexpected argument %s\n", c->argv[i]);
			return 2;
		}
	}
	if (!zPromptPath || !zResponsePath) {
		fprintf(stderr, "usage: valuerank extract-decision --prompt FILE --response FILE  (\"-\" reads stdin)\n");
		return 2;
	}
	if (!strcmp(zPromptPath, "-") && !strcmp(zResponsePath, "-")) {
		fprintf(stderr, "valuerank extract-decision: only one of --prompt and --response can be \"-\"\n");
		return 2;
	}
	if (!(zPrompt = cli_read_file(zPromptPath, NULL)) || !(zResponse = cli_read_file(zResponsePath, NULL)))
		goto out;
	decision_extract(zPrompt, zResponse, &d);
	pOut = decision_to_json(&d);
	zJson = json_dumps(pOut, JSON_COMPACT | JSON_PRESERVE_ORDER);
	printf("%s\n", zJson);
	free(zJson);
	json_decref(pOut);
	rc = 0;
out:
	free(zPrompt);
	free(zResponse);
	return rc;
}
