/* main.c — valuerankd command line: parse options, set up logging, run the executor. */
#include "exec/exec.h"
#include "lib/log.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

static const char zUsage[] =
	"usage: valuerankd [options]\n"
	"The ValueRank executor: claims jobs from the database and probes the providers.\n"
	"  --config FILE        valuerank.conf (default $VALUERANK_CONFIG)\n"
	"  --db PATH            database (overrides the configuration and $VALUERANK_DB)\n"
	"  --id NAME            worker name in the workers table (default host-pid)\n"
	"  --max-in-flight N    global cap on requests in flight (default executor_max_in_flight)\n"
	"  --poll-ms MS         how often to look for new work when idle (default 200)\n"
	"  --grace S            seconds to finish in-flight work after SIGTERM (default 20)\n"
	"  --lease-ms MS        job lease length (default 60000)\n"
	"  --backoff-base-ms MS first retry delay step (default 1000)\n"
	"  --once               exit when no work is left in active runs\n"
	"  --no-preconnect      open every provider connection on the event loop (no helper thread)\n"
	"  -v                   debug logging\n"
	"Signals: SIGTERM/SIGINT stop gracefully, SIGHUP reloads models.json.\n";

/* Parse one whole-number option value; 0, or -1 with a message printed. */
static int int_arg(const char *zName, const char *zValue, int64_t lo, int64_t hi, int64_t *pOut)
{
	if (!zValue || parse_int64(zValue, lo, hi, pOut)) {
		fprintf(stderr, "valuerankd: %s needs a whole number from %lld to %lld\n", zName,
			(long long)lo, (long long)hi);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	ExecOptions o;
	int i;
	int64_t v;
	exec_options_defaults(&o);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *zVal = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(zUsage, stdout);
			return 0;
		} else if (!strcmp(a, "--once")) {
			o.once = 1;
		} else if (!strcmp(a, "--no-preconnect")) {
			o.noPreconnect = 1;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o.verbose = 1;
		} else if (!strcmp(a, "--config") && zVal) {
			o.zConfigPath = argv[++i];
		} else if (!strcmp(a, "--db") && zVal) {
			o.zDbPath = argv[++i];
		} else if (!strcmp(a, "--id") && zVal) {
			if (!*zVal || strlen(zVal) > 100) {
				fprintf(stderr, "valuerankd: --id needs a name of 1 to 100 characters\n");
				return 2;
			}
			o.zId = argv[++i];
		} else if (!strcmp(a, "--max-in-flight")) {
			if (int_arg(a, zVal, 1, 4096, &v))
				return 2;
			o.maxInFlight = (int)v;
			i++;
		} else if (!strcmp(a, "--poll-ms")) {
			if (int_arg(a, zVal, 1, 60000, &v))
				return 2;
			o.pollMs = (int)v;
			i++;
		} else if (!strcmp(a, "--grace")) {
			if (int_arg(a, zVal, 0, 3600, &v))
				return 2;
			o.graceS = (int)v;
			i++;
		} else if (!strcmp(a, "--lease-ms")) {
			if (int_arg(a, zVal, 200, 3600000, &v))
				return 2;
			o.leaseMs = v;
			i++;
		} else if (!strcmp(a, "--backoff-base-ms")) {
			if (int_arg(a, zVal, 1, 600000, &v))
				return 2;
			o.backoffBaseMs = v;
			i++;
		} else {
			fprintf(stderr, "valuerankd: unknown option %s\n%s", a, zUsage);
			return 2;
		}
	}
	log_setup("valuerankd", o.verbose ? LOG_DEBUG : LOG_INFO);
	return exec_main(&o);
}
