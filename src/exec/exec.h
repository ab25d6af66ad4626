/* exec.h — valuerankd, the executor daemon: options and the entry point. */
#ifndef VR_EXEC_H
#define VR_EXEC_H

#include <stdint.h>

/* Command-line options of valuerankd (see main.c for their spelling). */
typedef struct ExecOptions {
	const char *zConfigPath; /* --config, NULL: $VALUERANK_CONFIG or defaults */
	const char *zDbPath;     /* --db, NULL: from the configuration */
	const char *zId;         /* --id NAME, NULL: host-pid */
	int maxInFlight;         /* --max-in-flight, 0: config executor_max_in_flight */
	int pollMs;              /* --poll-ms: how often to look for new work when idle */
	int graceS;              /* --grace: seconds to finish in-flight work on SIGTERM */
	int once;                /* --once: exit when no claimable work is left */
	int verbose;             /* -v: debug logging */
	int noPreconnect;        /* --no-preconnect: curl opens every connection itself, on the loop */
	int64_t leaseMs;         /* --lease-ms: lease length */
	int64_t backoffBaseMs;   /* --backoff-base-ms: first retry step */
} ExecOptions;

/* Fill in the defaults. */
void exec_options_defaults(ExecOptions *o);

/*
 * Run the executor until SIGTERM/SIGINT (or, with once, until no work is
 * left). Returns the process exit code: 0 on a clean stop, 1 when it cannot
 * start (configuration, database, schema) with the reason logged.
 */
int exec_main(const ExecOptions *o);

#endif
