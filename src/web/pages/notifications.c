/* notifications.c — /notifications (post-run summaries, webhook delivery), dismissing, and the banner on every page. */
#include "web/pages/dashboard.h"
#include "web/render.h"
#include "store/notifications.h"
#include "domain/cost.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

#define BANNER_MAX 5
#define NOTIFICATIONS_PER_PAGE 50

/* One sentence summing up a run's end, e.g. "Run 7 “Nov 21-A” completed with errors: 98/100 done, 2 failed." */
static void summary_sentence(Buf *b, json_t *pSummary)
{
	json_t *pCounts = json_object_get(pSummary, "counts");
	const char *zName = json_string_value(json_object_get(pSummary, "name"));
	const char *zStatus = json_string_value(json_object_get(pSummary, "display_status"));
	char zLabel[64];
	size_t i;
	str_copy(zLabel, sizeof(zLabel), run_status_label(zStatus));
	for (i = 0; zLabel[i]; i++)
		if (zLabel[i] >= 'A' && zLabel[i] <= 'Z')
			zLabel[i] = (char)(zLabel[i] - 'A' + 'a');
	buf_printf(b, "Run %lld \"%s\" %s: %lld/%lld done", (long long)json_integer_value(json_object_get(pSummary, "run_id")),
		   zName ? zName : "", zLabel,
		   (long long)json_integer_value(json_object_get(pCounts, "completed")),
		   (long long)json_integer_value(json_object_get(pCounts, "total")));
	if (json_integer_value(json_object_get(pCounts, "failed")) > 0)
		buf_printf(b, ", %lld failed", (long long)json_integer_value(json_object_get(pCounts, "failed")));
	if (json_integer_value(json_object_get(pCounts, "cancelled")) > 0)
		buf_printf(b, ", %lld cancelled",
			   (long long)json_integer_value(json_object_get(pCounts, "cancelled")));
	buf_puts(b, ".");
}

void notifications_banner_load(Request *r)
{
	json_t *pRows, *pRow, *pItems;
	size_t i;
	Buf b = BUF_INIT;
	if (!r->hasUser || r->isApi || r->pBanner)
		return;
	pRows = store_notifications_undismissed(r->db, r->user.id, BANNER_MAX);
	if (!pRows || json_array_size(pRows) == 0) {
		json_decref(pRows);
		return;
	}
	pItems = json_array();
	json_array_foreach(pRows, i, pRow) {
		json_t *pSummary = json_object_get(pRow, "summary");
		const char *zLink = json_string_value(json_object_get(pSummary, "link"));
		buf_reset(&b);
		summary_sentence(&b, pSummary);
		json_array_append_new(pItems, json_pack("{s:s, s:s, s:I}", "text", buf_str(&b), "link",
							zLink ? zLink : "/notifications", "id",
							json_integer_value(json_object_get(pRow, "id"))));
	}
	r->pBanner = json_pack("{s:o}", "items", pItems);
	json_decref(pRows);
	buf_free(&b);
}

/* Presentation fields of one notification row: sentence, models, cost, duration, delivery. */
static void decorate_notification(json_t *pRow, int64_t userId)
{
	json_t *pSummary = json_object_get(pRow, "summary"), *pModel, *pCost, *pDur;
	const char *zState = json_string_value(json_object_get(pRow, "webhook_state"));
	Buf b = BUF_INIT;
	char z[64];
	size_t i;
	summary_sentence(&b, pSummary);
	json_object_set_new(pRow, "text", json_string(buf_str(&b)));
	json_object_set_new(pRow, "mine", json_boolean(json_integer_value(json_object_get(pRow, "user_id")) == userId));
	json_object_set_new(pRow, "dismissed", json_boolean(json_is_string(json_object_get(pRow, "dismissed_at"))));
	json_object_set_new(pRow, "has_webhook_attempts",
			    json_boolean(json_integer_value(json_object_get(pRow, "webhook_attempts")) > 0));
	pCost = json_object_get(pSummary, "cost_usd");
	cost_format(z, sizeof(z), json_is_number(pCost) ? json_number_value(pCost) : COST_UNKNOWN);
	json_object_set_new(pRow, "cost_text", json_string(z));
	pDur = json_object_get(pSummary, "duration_s");
	duration_text(z, sizeof(z), json_is_integer(pDur) ? json_integer_value(pDur) : -1);
	json_object_set_new(pRow, "duration_text", json_string(z));
	json_array_foreach(json_object_get(pSummary, "models"), i, pModel) {
		json_t *pMean = json_object_get(pModel, "mean_decision");
		if (json_is_number(pMean)) {
			snprintf(z, sizeof(z), "%.2f", json_number_value(pMean));
			json_object_set_new(pModel, "mean_text", json_string(z));
		} else {
			json_object_set_new(pModel, "mean_text", json_string("—"));
		}
	}
	json_object_set_new(pRow, "webhook_label",
			    json_string(!zState ? "no webhook"
					: !strcmp(zState, "delivered") ? "delivered"
					: !strcmp(zState, "failed")    ? "failed (gave up)"
					: !strcmp(zState, "retrying")  ? "retrying"
					: !strcmp(zState, "sending")   ? "sending"
					: !strcmp(zState, "skipped")   ? "skipped"
								       : "waiting for valuerankd"));
	buf_free(&b);
}

void page_notifications(Request *r, Response *p)
{
	json_t *pView = json_object(), *pRows, *pRow;
	int64_t page = 1, total = store_notifications_count(r->db, r->user.tenantId), pages;
	const char *zPage = param_get(&r->query, "page");
	size_t i;
	if (zPage && parse_int64(zPage, 1, 1000000, &page))
		page = 1;
	pages = total > 0 ? (total + NOTIFICATIONS_PER_PAGE - 1) / NOTIFICATIONS_PER_PAGE : 1;
	if (page > pages)
		page = pages;
	pRows = store_notifications_list(r->db, r->user.tenantId, NOTIFICATIONS_PER_PAGE,
					 (page - 1) * NOTIFICATIONS_PER_PAGE);
	if (!pRows)
		pRows = json_array();
	json_array_foreach(pRows, i, pRow)
		decorate_notification(pRow, r->user.id);
	json_object_set_new(pView, "notifications", pRows);
	json_object_set_new(pView, "total", json_integer(total));
	json_object_set_new(pView, "page", json_integer(page));
	json_object_set_new(pView, "pages", json_integer(pages));
	if (page > 1)
		json_object_set_new(pView, "prev_page", json_integer(page - 1));
	if (page < pages)
		json_object_set_new(pView, "next_page", json_integer(page + 1));
	web_render(r, p, "notifications", "Notifications", pView);
}

void page_notification_dismiss(Request *r, Response *p)
{
	const char *zNext = param_get(&r->form, "next");
	if (store_notification_dismiss(r->db, r->user.id, r->aId[0]) != DB_OK) {
		web_error(r, p, 404, "There is no such notification of yours.");
		return;
	}
	if (r->isApi) {
		web_json(p, 200, json_pack("{s:I, s:b}", "id", (json_int_t)r->aId[0], "dismissed", 1));
		return;
	}
	/* Only a local path: never an open redirect. */
	if (zNext && zNext[0] == '/' && zNext[1] != '/' && !strpbrk(zNext, "\\\r\n"))
		response_redirect(p, zNext);
	else
		response_redirect(p, "/notifications");
}
