/* export.c — GET /runs/ID/export.csv (session) and /api/v1/runs/ID/export.csv (Bearer): the one streamed response. */
#include "web/pages/dashboard.h"
#include "web/auth.h"
#include "web/render.h"
#include "store/export.h"
#include "domain/csv.h"
#include "lib/log.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Where export rows go for one response: the FastCGI stream, or the buffered body (tests). */
typedef struct ExportSink {
	Response *p;
	int64_t nBytes;
} ExportSink;

/* ExportWriteFn: straight to the client when streaming, else appended to the body. */
static int sink_write(void *pArg, const char *z, size_t n)
{
	ExportSink *s = pArg;
	s->nBytes += (int64_t)n;
	if (s->p->streamed)
		return s->p->xWrite(s->p->pWriteArg, z, n);
	buf_append(&s->p->body, z, n);
	return 0;
}

void page_run_export(Request *r, Response *p)
{
	const char *zText = param_get(&r->query, "text");
	int withText = zText && (!strcmp(zText, "1") || !strcmp(zText, "true"));
	ExportRun run;
	ExportSink sink;
	char zName[64], zDisposition[128], zErr[256], zDetails[96];
	int64_t nRows = 0;
	if (store_export_run(r->db, r->user.tenantId, r->aId[0], &run) != DB_OK) {
		web_error(r, p, 404, "There is no such run.");
		return;
	}
	csv_filename(zName, sizeof(zName), run.runId, time(NULL));
	snprintf(zDisposition, sizeof(zDisposition), "attachment; filename=\"%s\"", zName);
	p->status = 200;
	str_copy(p->zContentType, sizeof(p->zContentType), "text/csv; charset=utf-8");
	response_header(p, "Content-Disposition", zDisposition);
	response_header(p, "X-ValueRank-Partial", run.partial ? "true" : "false");
	/* Audited before the first byte: a download cut short was still an export. */
	snprintf(zDetails, sizeof(zDetails), "{\"text\":%s,\"partial\":%s}", withText ? "true" : "false",
		 run.partial ? "true" : "false");
	auth_audit(r, "run.export", "run", run.runId, zDetails);
	if (strcmp(r->zMethod, "HEAD") == 0)
		return;
	if (r->isApi && !(p->xWrite && p->xFlushHeaders))
		response_header(p, "Cache-Control", "no-store"); /* the router adds it for pages */
	memset(&sink, 0, sizeof(sink));
	sink.p = p;
	if (p->xWrite && p->xFlushHeaders) {
		/* The router adds these after the handler, too late for a stream: send them now. */
		response_security_headers(p);
		response_header(p, "Cache-Control", "no-store");
		p->streamed = 1;
		if (p->xFlushHeaders(p->pWriteArg, p)) {
			log_event(LOG_WARN, "export aborted", "run=%lld reason=\"client gone before headers\"",
				  (long long)run.runId);
			return;
		}
	}
	if (export_run_csv(r->db, run.runId, withText, sink_write, &sink, &nRows, zErr, sizeof(zErr))) {
		log_event(LOG_ERROR, "export failed", "run=%lld rows=%lld error=\"%s\"",
			  (long long)run.runId, (long long)nRows, zErr);
		if (!p->streamed)
			web_error(r, p, 500, "The export failed. The error has been logged.");
		return;
	}
	log_event(LOG_INFO, "export", "run=%lld rows=%lld bytes=%lld text=%d partial=%d",
		  (long long)run.runId, (long long)nRows, (long long)sink.nBytes, withText, run.partial);
}
