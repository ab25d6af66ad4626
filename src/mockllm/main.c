/* main.c — valuerank-mockllm: command line, loopback check, signals; serves until SIGINT/SIGTERM. */
#include "lib/log.h"
#include "lib/memory.h"
#include "lib/util.h"
#include "mockllm/mock_answer.h"
#include "mockllm/mock_config.h"
#include "mockllm/mock_server.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char zUsage[] =
	"usage: valuerank-mockllm [options]\n"
	"A local stand-in for the OpenAI, Anthropic and Gemini HTTP APIs.\n"
	"  --listen ADDR        address to bind (default 127.0.0.1; loopback only)\n"
	"  --port N             port (default 8091; 0 picks a free one, printed at start)\n"
	"  --allow-nonlocal     allow binding an address that is not loopback\n"
	"  --api-key KEY        the only key accepted (default mock-key)\n"
	"  --model ID           serve one more model id (repeatable; built in: mock-a,\n"
	"                       mock-b, mock-c, mock-no-temp, mock-claude, mock-gemini)\n"
	"  --latency-ms MS      mean added latency (default 0)\n"
	"  --jitter-ms MS       latency varies by +/- MS (default 0)\n"
	"  --rate-429 P, --rate-500 P, --rate-503 P, --rate-hang P, --rate-reset P,\n"
	"  --rate-malformed P, --rate-empty P, --rate-filter P\n"
	"                       probability (0..1) of each injected fault (default 0)\n"
	"  --retry-after S      Retry-After seconds sent with a 429 (default 1)\n"
	"  --hang-ms MS         how long a hang lasts before the connection closes (default 400000)\n"
	"  --seed S             seed of the fault generator (default 1)\n"
	"  --threads N          server threads sharing the port (default 2, at most 16)\n"
	"  --verbose            log one line per request to stderr\n"
	"  --help               show this help\n"
	"At run time: GET /_mock/stats, POST /_mock/config {\"rate-429\": 1}, POST /_mock/reset.\n";

enum { OPT_LISTEN = 1000, OPT_PORT, OPT_ALLOW_NONLOCAL, OPT_API_KEY, OPT_MODEL, OPT_VERBOSE,
       OPT_HELP, OPT_SETTING, OPT_THREADS };

/*
 * Server threads by default: a provider answers many requests at once, and
 * one thread would line every reply of a burst up behind the others.
 */
#define DEFAULT_THREADS 2

/* The listening address, IPv4 or IPv6, and its text for the startup line. */
typedef struct ListenAddr {
	struct sockaddr_storage ss;
	char zText[INET6_ADDRSTRLEN];
} ListenAddr;

/*
 * Parse zHost ("127.0.0.1", "::1", "localhost") and port into *pOut. Returns 0,
 * or -1 with a message in zErr when it is not an address or, without
 * allowNonlocal, not a loopback address.
 */
static int listen_addr_parse(const char *zHost, unsigned port, int allowNonlocal, ListenAddr *pOut,
			     char *zErr, size_t nErr)
{
	struct sockaddr_in *p4 = (struct sockaddr_in *)&pOut->ss;
	struct sockaddr_in6 *p6 = (struct sockaddr_in6 *)&pOut->ss;
	int loopback;
	memset(pOut, 0, sizeof(*pOut));
	if (strcmp(zHost, "localhost") == 0)
		zHost = "127.0.0.1";
	if (inet_pton(AF_INET, zHost, &p4->sin_addr) == 1) {
		p4->sin_family = AF_INET;
		p4->sin_port = htons((uint16_t)port);
		loopback = (ntohl(p4->sin_addr.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, zHost, &p6->sin6_addr) == 1) {
		p6->sin6_family = AF_INET6;
		p6->sin6_port = htons((uint16_t)port);
		loopback = IN6_IS_ADDR_LOOPBACK(&p6->sin6_addr);
	} else {
		snprintf(zErr, nErr, "--listen needs a numeric IP address such as 127.0.0.1, not \"%s\"",
			 zHost);
		return -1;
	}
	if (!loopback && !allowNonlocal) {
		snprintf(zErr, nErr, "refusing to listen on %s: it is not a loopback address "
			 "(pass --allow-nonlocal to expose the mock on the network)", zHost);
		return -1;
	}
	str_copy(pOut->zText, sizeof(pOut->zText), zHost);
	return 0;
}

/* Raise the open-file limit towards the connection limit: each connection is a descriptor. */
static void raise_file_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Parse options, start the server, wait for SIGINT/SIGTERM. Exit status: 0
 * after a clean stop, 1 on a bad value or bind failure, 2 on a usage error.
 */
int main(int argc, char **argv)
{
	static const struct option aOption[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"port", required_argument, NULL, OPT_PORT},
		{"allow-nonlocal", no_argument, NULL, OPT_ALLOW_NONLOCAL},
		{"api-key", required_argument, NULL, OPT_API_KEY},
		{"model", required_argument, NULL, OPT_MODEL},
		{"verbose", no_argument, NULL, OPT_VERBOSE},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"help", no_argument, NULL, OPT_HELP},
		{"latency-ms", required_argument, NULL, OPT_SETTING},
		{"jitter-ms", required_argument, NULL, OPT_SETTING},
		{"retry-after", required_argument, NULL, OPT_SETTING},
		{"hang-ms", required_argument, NULL, OPT_SETTING},
		{"rate-429", required_argument, NULL, OPT_SETTING},
		{"rate-500", required_argument, NULL, OPT_SETTING},
		{"rate-503", required_argument, NULL, OPT_SETTING},
		{"rate-hang", required_argument, NULL, OPT_SETTING},
		{"rate-reset", required_argument, NULL, OPT_SETTING},
		{"rate-malformed", required_argument, NULL, OPT_SETTING},
		{"rate-empty", required_argument, NULL, OPT_SETTING},
		{"rate-filter", required_argument, NULL, OPT_SETTING},
		{"seed", required_argument, NULL, OPT_SETTING},
		{NULL, 0, NULL, 0},
	};
	const char *zListen = "127.0.0.1", *zApiKey = "mock-key";
	int64_t port = 8091, nThreads = DEFAULT_THREADS;
	int allowNonlocal = 0, verbose = 0, opt, optIndex, rc = 1, sig;
	unsigned boundPort = 0;
	char zErr[300];
	MockFaultConfig config;
	MockModelSet models;
	MockServer *pServer = NULL;
	ListenAddr addr;
	sigset_t stopSignals;

	log_setup("mockllm", LOG_INFO);
	memory_keep_freed(); /* before the server threads start */
	mock_config_defaults(&config);
	mock_models_init(&models);
	while ((opt = getopt_long(argc, argv, "", aOption, &optIndex)) != -1) {
		switch (opt) {
		case OPT_LISTEN: zListen = optarg; break;
		case OPT_PORT:
			if (parse_int64(optarg, 0, 65535, &port) != 0) {
				fprintf(stderr, "valuerank-mockllm: --port needs a number from 0 to 65535, "
					"not \"%s\"\n", optarg);
				goto out;
			}
			break;
		case OPT_ALLOW_NONLOCAL: allowNonlocal = 1; break;
		case OPT_API_KEY: zApiKey = optarg; break;
		case OPT_MODEL: mock_models_add(&models, optarg); break;
		case OPT_VERBOSE: verbose = 1; break;
		case OPT_THREADS:
			if (parse_int64(optarg, 1, MOCK_MAX_THREADS, &nThreads) != 0) {
				fprintf(stderr, "valuerank-mockllm: --threads needs a number from 1 to %d, "
					"not \"%s\"\n", MOCK_MAX_THREADS, optarg);
				goto out;
			}
			break;
		case OPT_HELP:
			fputs(zUsage, stdout);
			rc = 0;
			goto out;
		case OPT_SETTING:
			if (mock_config_set_text(&config, aOption[optIndex].name, optarg, zErr,
						 sizeof(zErr)) != 0) {
				fprintf(stderr, "valuerank-mockllm: %s\n", zErr);
				goto out;
			}
			break;
		default:
			fputs(zUsage, stderr);
			rc = 2;
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "valuerank-mockllm: unexpected argument \"%s\"\n%s", argv[optind], zUsage);
		rc = 2;
		goto out;
	}
	if (!*zApiKey) {
		fprintf(stderr, "valuerank-mockllm: --api-key must not be empty\n");
		goto out;
	}
	if (listen_addr_parse(zListen, (unsigned)port, allowNonlocal, &addr, zErr, sizeof(zErr)) != 0) {
		fprintf(stderr, "valuerank-mockllm: %s\n", zErr);
		goto out;
	}
	log_add_secret(zApiKey);
	raise_file_limit();

	/* Block the stop signals before any thread starts, so only sigwait() below sees them. */
	sigemptyset(&stopSignals);
	sigaddset(&stopSignals, SIGINT);
	sigaddset(&stopSignals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stopSignals, NULL);
	signal(SIGPIPE, SIG_IGN);

	pServer = mock_server_new(zApiKey, &models, &config, verbose, (int)nThreads);
	if (mock_server_start(pServer, (const struct sockaddr *)&addr.ss, &boundPort, zErr,
			      sizeof(zErr)) != 0) {
		fprintf(stderr, "valuerank-mockllm: %s:%lld: %s\n", addr.zText, (long long)port, zErr);
		goto out;
	}
	log_event(LOG_INFO, "listening", "addr=%s port=%u threads=%lld", addr.zText, boundPort,
		  (long long)nThreads);
	do {
		if (sigwait(&stopSignals, &sig) != 0)
			sig = 0;
	} while (sig != SIGINT && sig != SIGTERM);
	log_event(LOG_INFO, "stopping", "signal=%d", sig);
	mock_server_stop(pServer);
	rc = 0;
out:
	mock_server_free(pServer);
	mock_models_free(&models);
	log_clear_secrets();
	return rc;
}
