/* valuerank.c — the FastCGI entry point: prefork workers on a unix socket, each looping on FCGX_Accept_r. */
#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/log.h"
#include "lib/util.h"
#include "web/app.h"

static volatile sig_atomic_t stopRequested;

static void on_stop(int sig)
{
	(void)sig;
	stopRequested = 1;
}

/* Writer for the streamed response: body bytes straight to the FastCGI stream. */
static int fcgi_write(void *pArg, const char *p, size_t n)
{
	FCGX_Request *pReq = pArg;
	return FCGX_PutStr(p, (int)n, pReq->out) == (int)n ? 0 : -1;
}

static int fcgi_flush_headers(void *pArg, Response *p)
{
	FCGX_Request *pReq = pArg;
	Buf head = BUF_INIT;
	int rc;
	response_serialise_head(p, &head);
	rc = FCGX_PutStr(head.z, (int)head.n, pReq->out) == (int)head.n ? 0 : -1;
	buf_free(&head);
	return rc;
}

/* Read at most nLimit+1 bytes of the body so an oversized one is refused, not buffered. */
static char *read_body(FCGX_Request *pReq, size_t nLimit, size_t *pn)
{
	const char *zLen = FCGX_GetParam("CONTENT_LENGTH", pReq->envp);
	int64_t declared = 0;
	char *p;
	size_t n = 0, want;
	*pn = 0;
	if (!zLen || parse_int64(zLen, 0, INT64_MAX, &declared) || declared == 0)
		return NULL;
	want = (size_t)declared > nLimit ? 0 : (size_t)declared;
	if (want == 0)
		return NULL;
	p = xmalloc(want + 1);
	while (n < want) {
		int got = FCGX_GetStr(p + n, (int)(want - n), pReq->in);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	*pn = n;
	return p;
}

/* One worker: its own database connection, then accept requests until told to stop. */
static int worker_main(App *pApp, int listenFd)
{
	FCGX_Request req;
	char zErr[512];
	if (app_open_db(pApp, zErr, sizeof(zErr))) {
		log_event(LOG_ERROR, "worker cannot start", "error=\"%s\"", zErr);
		return 1;
	}
	FCGX_Init();
	FCGX_InitRequest(&req, listenFd, 0);
	while (!stopRequested && FCGX_Accept_r(&req) >= 0) {
		RequestInput in;
		Response resp;
		size_t nBody = 0;
		char *pBody;
		memset(&in, 0, sizeof(in));
		in.zMethod = FCGX_GetParam("REQUEST_METHOD", req.envp);
		in.zRequestUri = FCGX_GetParam("REQUEST_URI", req.envp);
		in.zContentType = FCGX_GetParam("CONTENT_TYPE", req.envp);
		in.zContentLength = FCGX_GetParam("CONTENT_LENGTH", req.envp);
		in.zCookie = FCGX_GetParam("HTTP_COOKIE", req.envp);
		in.zAuthorization = FCGX_GetParam("HTTP_AUTHORIZATION", req.envp);
		in.zOrigin = FCGX_GetParam("HTTP_ORIGIN", req.envp);
		in.zReferer = FCGX_GetParam("HTTP_REFERER", req.envp);
		in.zHost = FCGX_GetParam("HTTP_HOST", req.envp);
		in.zHttps = FCGX_GetParam("HTTPS", req.envp);
		in.zAccept = FCGX_GetParam("HTTP_ACCEPT", req.envp);
		in.zRemoteAddr = FCGX_GetParam("REMOTE_ADDR", req.envp);
		in.zUserAgent = FCGX_GetParam("HTTP_USER_AGENT", req.envp);
		pBody = read_body(&req, WEB_MAX_UPLOAD, &nBody);
		in.pBody = pBody;
		in.nBody = nBody;
		response_init(&resp);
		resp.xWrite = fcgi_write;
		resp.pWriteArg = &req;
		resp.xFlushHeaders = fcgi_flush_headers;
		app_serve(pApp, &in, &resp);
		if (!resp.streamed) {
			Buf head = BUF_INIT;
			response_serialise_head(&resp, &head);
			FCGX_PutStr(head.z, (int)head.n, req.out);
			if (resp.body.n)
				FCGX_PutStr(resp.body.z, (int)resp.body.n, req.out);
			buf_free(&head);
		}
		response_free(&resp);
		free(pBody);
		FCGX_Finish_r(&req);
	}
	app_free(pApp);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: valuerank.fcgi [--config FILE] [--db PATH] [--socket PATH] [--socket-mode 0660]\n"
		"                      [--workers N]\n"
		"Serves ValueRank over FastCGI on the unix socket from --socket, else on a listening\n"
		"socket passed as standard input (spawn-fcgi), else on web_socket from valuerank.conf.\n");
}

int main(int argc, char **argv)
{
	static const struct option aOpt[] = {
		{"config", required_argument, 0, 'c'}, {"db", required_argument, 0, 'd'},
		{"socket", required_argument, 0, 's'}, {"workers", required_argument, 0, 'w'},
		{"socket-mode", required_argument, 0, 'm'},
		{"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
	const char *zConfig = NULL, *zDb = NULL, *zSocket = NULL;
	int nWorkers = 0, listenFd = 0, opt, i;
	mode_t socketMode = 0660;
	pid_t *aPid;
	Config config;
	App app;
	char zErr[512];
	struct sigaction sa;
	while ((opt = getopt_long(argc, argv, "c:d:s:w:m:h", aOpt, NULL)) != -1) {
		int64_t v;
		switch (opt) {
		case 'c': zConfig = optarg; break;
		case 'd': zDb = optarg; break;
		case 's': zSocket = optarg; break;
		case 'w':
			if (parse_int64(optarg, 1, 256, &v)) {
				fprintf(stderr, "valuerank.fcgi: --workers must be 1 to 256\n");
				return 2;
			}
			nWorkers = (int)v;
			break;
		case 'm': {
			char *zEnd;
			long m = strtol(optarg, &zEnd, 8);
			if (*zEnd || m < 0 || m > 0777) {
				fprintf(stderr, "valuerank.fcgi: --socket-mode takes an octal mode such as 0660\n");
				return 2;
			}
			socketMode = (mode_t)m;
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	log_setup("web", LOG_INFO);
	if (config_load(&config, zConfig, zErr, sizeof(zErr))) {
		fprintf(stderr, "valuerank.fcgi: %s\n", zErr);
		return 1;
	}
	if (strcmp(config.zLogLevel, "debug") == 0)
		log_setup("web", LOG_DEBUG);
	else if (strcmp(config.zLogLevel, "warn") == 0)
		log_setup("web", LOG_WARN);
	else if (strcmp(config.zLogLevel, "error") == 0)
		log_setup("web", LOG_ERROR);
	if (zDb)
		config_set_database(&config, zDb);
	if (!nWorkers)
		nWorkers = config.nWebWorkers;
	if (app_load_shared(&app, &config, zErr, sizeof(zErr))) {
		fprintf(stderr, "valuerank.fcgi: %s\n", zErr);
		return 1;
	}
	/* Refuse to start against a schema this build does not match. */
	if (app_open_db(&app, zErr, sizeof(zErr))) {
		fprintf(stderr, "valuerank.fcgi: %s\n", zErr);
		return 1;
	}
	db_close(app.db);
	app.db = NULL;
	if (!zSocket) {
		/* Under spawn-fcgi the listening socket is standard input; else use the configured one. */
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		if (getsockname(0, (struct sockaddr *)&ss, &len) != 0)
			zSocket = config.zSocket;
	}
	if (zSocket) {
		unlink(zSocket);
		FCGX_Init();
		listenFd = FCGX_OpenSocket(zSocket, 128);
		if (listenFd < 0) {
			fprintf(stderr, "valuerank.fcgi: cannot listen on %s: %s\n", zSocket, strerror(errno));
			return 1;
		}
		chmod(zSocket, socketMode);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_event(LOG_INFO, "web app started", "workers=%d socket=%s db=%s", nWorkers,
		  zSocket ? zSocket : "stdin", config.zDatabase);
	aPid = xcalloc((size_t)nWorkers, sizeof(pid_t));
	while (!stopRequested) {
		for (i = 0; i < nWorkers && !stopRequested; i++) {
			if (aPid[i] > 0)
				continue;
			aPid[i] = fork();
			if (aPid[i] == 0) {
				int rc;
				sa.sa_handler = SIG_DFL; /* a worker dies at once on TERM; the master waits */
				sigaction(SIGTERM, &sa, NULL);
				sigaction(SIGINT, &sa, NULL);
				rc = worker_main(&app, listenFd);
				free(aPid);
				config_free(&config);
				_exit(rc);
			}
		}
		{
			int status;
			pid_t dead = waitpid(-1, &status, 0);
			if (dead < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			for (i = 0; i < nWorkers; i++) {
				if (aPid[i] == dead) {
					aPid[i] = 0;
					if (!stopRequested) {
						log_event(LOG_WARN, "worker died; restarting",
							  "pid=%d status=%d", (int)dead, status);
						sleep(WIFEXITED(status) && WEXITSTATUS(status) == 1 ? 1 : 0);
					}
				}
			}
		}
	}
	for (i = 0; i < nWorkers; i++)
		if (aPid[i] > 0)
			kill(aPid[i], SIGTERM);
	for (i = 0; i < nWorkers; i++)
		if (aPid[i] > 0)
			waitpid(aPid[i], NULL, 0);
	if (zSocket)
		unlink(zSocket);
	log_event(LOG_INFO, "web app stopped", NULL);
	free(aPid);
	app_free(&app);
	config_free(&config);
	return 0;
}
