/* run_common.c — helpers the run pages share: loading a run, status labels, durations, SVG, Markdown. */
#include "web/pages/runs_pages.h"
#include "web/render.h"
#include "store/runs.h"
#include "lib/buf.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *run_load(Request *r, Response *p, int64_t runId)
{
	json_t *pRun = store_run_get(r->db, r->user.tenantId, runId);
	if (!pRun)
		web_error(r, p, 404, "There is no such run.");
	return pRun;
}

int run_status_active(const char *zStatus)
{
	return zStatus && (!strcmp(zStatus, "pending") || !strcmp(zStatus, "running") ||
			   !strcmp(zStatus, "paused"));
}

void run_add_status_label(json_t *pRun)
{
	const char *zStatus = json_string_value(json_object_get(pRun, "status"));
	int64_t nFailed = json_integer_value(json_object_get(pRun, "failed_jobs"));
	const char *zLabel, *zClass = zStatus ? zStatus : "pending";
	if (!zStatus)
		zLabel = "Unknown";
	else if (!strcmp(zStatus, "completed") && nFailed > 0) {
		zLabel = "Completed with errors";
		zClass = "completed_with_errors";
	} else if (!strcmp(zStatus, "pending"))
		zLabel = "Pending";
	else if (!strcmp(zStatus, "running"))
		zLabel = "Running";
	else if (!strcmp(zStatus, "paused"))
		zLabel = "Paused";
	else if (!strcmp(zStatus, "completed"))
		zLabel = "Completed";
	else if (!strcmp(zStatus, "failed"))
		zLabel = "Failed";
	else if (!strcmp(zStatus, "cancelled"))
		zLabel = "Cancelled";
	else
		zLabel = zStatus;
	json_object_set_new(pRun, "status_label", json_string(zLabel));
	json_object_set_new(pRun, "status_class", json_string(zClass));
}

void run_format_duration(char *zOut, size_t n, const char *zStart, const char *zEnd)
{
	time_t tStart, tEnd;
	long long s;
	zOut[0] = 0;
	if (!zStart || time_parse_iso(zStart, &tStart))
		return;
	if (!zEnd || time_parse_iso(zEnd, &tEnd))
		tEnd = time(NULL);
	s = (long long)(tEnd - tStart);
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(zOut, n, "%lld h %02lld min", s / 3600, (s % 3600) / 60);
	else if (s >= 60)
		snprintf(zOut, n, "%lld min %02lld s", s / 60, s % 60);
	else
		snprintf(zOut, n, "%lld s", s);
}

char *run_chart_svg(const int64_t aCount[5])
{
	/* 5 bars of 24 px with 8 px gaps over a 64 px plot; labels below. */
	const int barW = 24, gap = 8, plotH = 64, width = 5 * 24 + 4 * 8;
	int64_t max = 0;
	Buf b = BUF_INIT;
	int i;
	for (i = 0; i < 5; i++)
		if (aCount[i] > max)
			max = aCount[i];
	buf_printf(&b,
		   "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
		   " viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Decisions 1 to 5: %lld, %lld, %lld,"
		   " %lld, %lld\">",
		   width, plotH + 16, width, plotH + 16, (long long)aCount[0], (long long)aCount[1],
		   (long long)aCount[2], (long long)aCount[3], (long long)aCount[4]);
	buf_printf(&b, "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d0d7de\"/>", plotH, width,
		   plotH);
	for (i = 0; i < 5; i++) {
		int h = max > 0 ? (int)((aCount[i] * plotH + max - 1) / max) : 0;
		int x = i * (barW + gap);
		if (aCount[i] > 0 && h < 1)
			h = 1;
		buf_printf(&b,
			   "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#0b5cad\">"
			   "<title>%d: %lld</title></rect>",
			   x, plotH - h, barW, h, i + 1, (long long)aCount[i]);
		buf_printf(&b,
			   "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"#57606a\">%d</text>",
			   x + barW / 2, plotH + 13, i + 1);
	}
	buf_puts(&b, "</svg>");
	return buf_detach(&b);
}

char *render_markdown_safe(const char *zText)
{
	/* cmark 0.29+ is safe by default (raw HTML becomes a comment, javascript: links are
	 * dropped) unless CMARK_OPT_UNSAFE is given; CMARK_OPT_SAFE keeps older versions safe.
	 * Hard breaks keep a prompt's scale lines ("1 - ...", "2 - ...") on their own lines. */
	const char *z = zText ? zText : "";
	char *zHtml = cmark_markdown_to_html(z, strlen(z),
					     CMARK_OPT_DEFAULT | CMARK_OPT_SAFE | CMARK_OPT_HARDBREAKS);
	char *zOut = xstrdup(zHtml ? zHtml : "");
	free(zHtml);
	return zOut;
}

char *json_text_pretty(const char *zText)
{
	json_t *pVal;
	char *zOut;
	if (!zText)
		return NULL;
	pVal = json_loads(zText, JSON_DECODE_ANY, NULL);
	if (!pVal)
		return xstrdup(zText);
	zOut = json_dumps(pVal, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	json_decref(pVal);
	if (!zOut)
		return xstrdup(zText);
	/* jansson allocates with malloc by default; copy so callers free one kind. */
	{
		char *zCopy = xstrdup(zOut);
		free(zOut);
		return zCopy;
	}
}
