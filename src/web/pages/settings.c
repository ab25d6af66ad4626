/* settings.c — GET /settings: system health (providers, executors, queue, database), test run, models, webhook. */
#include "web/pages/dashboard.h"
#include "web/render.h"
#include "store/accounts.h"
#include "store/health.h"
#include "providers/models.h"
#include "domain/cost.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* A "Check now" unanswered for this long stops the page refreshing (no executor is listening). */
#define CHECK_WAIT_S 60

/* Seconds since an ISO timestamp, or -1 when it is missing or malformed. */
static int64_t seconds_since(const char *zIso)
{
	time_t t;
	if (!zIso || time_parse_iso(zIso, &t))
		return -1;
	return (int64_t)(time(NULL) - t);
}

/* Bytes as "12.3 MB". */
static json_t *size_text(int64_t n)
{
	char z[32];
	if (n < 1024)
		snprintf(z, sizeof(z), "%lld bytes", (long long)n);
	else if (n < 1024 * 1024)
		snprintf(z, sizeof(z), "%.1f KB", (double)n / 1024);
	else if (n < 1024LL * 1024 * 1024)
		snprintf(z, sizeof(z), "%.1f MB", (double)n / (1024 * 1024));
	else
		snprintf(z, sizeof(z), "%.2f GB", (double)n / (1024.0 * 1024 * 1024));
	return json_string(z);
}

/* 1 when a provider's error text says the key was refused rather than the server unreachable. */
static int error_is_auth(const char *zError)
{
	static const char *const azAuth[] = {"401", "403", "auth", "Auth", "AUTH", "api key",
					     "API key", "api_key", "Unauthorized", "unauthorized",
					     "permission", "Permission", "invalid x-api-key"};
	size_t i;
	for (i = 0; zError && i < ARRAY_SIZE(azAuth); i++)
		if (strstr(zError, azAuth[i]))
			return 1;
	return 0;
}

/* Where keys go, said once for every advice sentence. */
static void key_places(Buf *b, const Request *r)
{
	const char *zKeyFile = r->pApp->pConfig->zKeyFile;
	buf_puts(b, "the EnvironmentFile /etc/valuerank/keys.env that valuerankd.service reads, or the key_file named in valuerank.conf");
	if (zKeyFile && *zKeyFile)
		buf_printf(b, " (now %s)", zKeyFile);
}

/* One provider's health and what to do next. pStatus is its provider_status row or NULL. */
static json_t *provider_view(const Request *r, const ProviderConf *pProv, json_t *pStatus, int *pPending)
{
	json_t *pOut = json_object(), *pAdvice = json_array();
	int needsKey = models_provider_needs_key(pProv);
	json_t *pConfigured = json_object_get(pStatus, "configured");
	json_t *pConnected = json_object_get(pStatus, "connected");
	const char *zError = json_string_value(json_object_get(pStatus, "error"));
	const char *zRequested = json_string_value(json_object_get(pStatus, "check_requested_at"));
	const char *zState, *zLabel;
	int64_t waited = seconds_since(zRequested);
	Buf b = BUF_INIT;
	json_object_set_new(pOut, "id", json_string(pProv->zId));
	json_object_set_new(pOut, "name", json_string(pProv->zName));
	json_object_set_new(pOut, "base_url", json_string(pProv->zBaseUrl));
	json_object_set_new(pOut, "key_env", json_str_or_null(pProv->zKeyEnv));
	json_object_set_new(pOut, "needs_key", json_boolean(needsKey));
	json_object_set(pOut, "latency_ms", pStatus ? json_object_get(pStatus, "latency_ms") : json_null());
	json_object_set(pOut, "checked_at", pStatus ? json_object_get(pStatus, "checked_at") : json_null());
	json_object_set_new(pOut, "error", json_str_or_null(zError));
	json_object_set(pOut, "rate_limited_until",
			pStatus ? json_object_get(pStatus, "rate_limited_until") : json_null());
	if (zRequested && waited < CHECK_WAIT_S) {
		json_object_set_new(pOut, "check_pending", json_true());
		*pPending = 1;
	} else if (zRequested) {
		json_object_set_new(pOut, "check_unanswered", json_true());
	}
	if (!pStatus || (json_is_null(pConnected) && !(needsKey && json_is_integer(pConfigured) &&
							json_integer_value(pConfigured) == 0))) {
		zState = "unknown";
		zLabel = "not checked yet";
		buf_puts(&b, "Not checked yet: start valuerankd (it checks every provider at start-up) or press Check now.");
		json_array_append_new(pAdvice, json_string(buf_str(&b)));
	} else if (needsKey && json_integer_value(pConfigured) == 0) {
		zState = "not_configured";
		zLabel = "no API key";
		buf_printf(&b, "Set %s for valuerankd: add a line %s=YOUR-KEY to ", pProv->zKeyEnv,
			   pProv->zKeyEnv);
		key_places(&b, r);
		buf_puts(&b, ", then restart valuerankd (systemctl restart valuerankd). Only valuerankd reads keys.");
		json_array_append_new(pAdvice, json_string(buf_str(&b)));
	} else if (json_integer_value(pConnected) == 1) {
		zState = "connected";
		zLabel = "connected";
	} else if (error_is_auth(zError)) {
		zState = "error";
		zLabel = "key refused";
		buf_printf(&b, "%s refused the key in %s. Check that the key is current and allowed to use "
			       "the models API, replace it in ",
			   pProv->zName, pProv->zKeyEnv ? pProv->zKeyEnv : "its key variable");
		key_places(&b, r);
		buf_puts(&b, ", restart valuerankd and press Check now.");
		json_array_append_new(pAdvice, json_string(buf_str(&b)));
	} else {
		zState = "error";
		zLabel = "unreachable";
		buf_printf(&b, "valuerankd could not reach %s at %s. Check the server's network, DNS, proxy "
			       "and firewall, and the base URL in models.json; then press Check now.",
			   pProv->zName, pProv->zBaseUrl);
		json_array_append_new(pAdvice, json_string(buf_str(&b)));
	}
	json_object_set_new(pOut, "configured",
			    !needsKey ? json_true()
				      : json_is_integer(pConfigured)
					    ? json_boolean(json_integer_value(pConfigured) != 0)
					    : json_null());
	json_object_set_new(pOut, "key_state",
			    json_string(!needsKey ? "none needed"
					: !json_is_integer(pConfigured) ? "not reported yet"
					: json_integer_value(pConfigured) ? "configured" : "not configured"));
	json_object_set_new(pOut, "state", json_string(zState));
	json_object_set_new(pOut, "state_label", json_string(zLabel));
	json_object_set_new(pOut, "advice", pAdvice);
	buf_free(&b);
	return pOut;
}

/* The provider_status row of zId in pRows (borrowed), or NULL. */
static json_t *status_row(json_t *pRows, const char *zId)
{
	json_t *pRow;
	size_t i;
	json_array_foreach(pRows, i, pRow) {
		const char *z = json_string_value(json_object_get(pRow, "provider"));
		if (z && !strcmp(z, zId))
			return pRow;
	}
	return NULL;
}

/* The providers section; sets *pPending while a requested check is unanswered. */
static json_t *providers_view(Request *r, int *pPending)
{
	const ModelCatalog *pCat = r->pApp->pCatalog;
	json_t *pRows = store_health_providers(r->db), *pOut = json_array();
	int i;
	for (i = 0; pCat && i < pCat->nProvider; i++)
		json_array_append_new(pOut, provider_view(r, &pCat->aProvider[i],
							  status_row(pRows, pCat->aProvider[i].zId), pPending));
	json_decref(pRows);
	return pOut;
}

/* Executors with their offline flags; *pnOnline counts the live ones. */
static json_t *workers_view(Request *r, int *pnOnline)
{
	int64_t offlineMs = (int64_t)r->pApp->pConfig->heartbeatOfflineS * 1000;
	json_t *pRows = store_health_workers(r->db, time_now_ms(), offlineMs), *pRow;
	size_t i;
	*pnOnline = 0;
	if (!pRows)
		return json_array();
	json_array_foreach(pRows, i, pRow) {
		int offline = json_integer_value(json_object_get(pRow, "offline")) != 0;
		int stopped = json_integer_value(json_object_get(pRow, "stopped")) != 0;
		char zAge[32];
		json_object_set_new(pRow, "offline", json_boolean(offline));
		json_object_set_new(pRow, "stopped", json_boolean(stopped));
		json_object_set_new(pRow, "online", json_boolean(!offline && !stopped));
		duration_text(zAge, sizeof(zAge), json_integer_value(json_object_get(pRow, "heartbeat_age_s")));
		json_object_set_new(pRow, "heartbeat_age_text", json_string(zAge));
		if (!offline && !stopped)
			(*pnOnline)++;
	}
	return pRows;
}

/* The models of the catalogue with their prices ("price unknown", never $0). */
static json_t *models_view(const ModelCatalog *pCat)
{
	json_t *pOut = json_array();
	int i, v;
	for (i = 0; pCat && i < pCat->nModel; i++) {
		const ModelConf *m = &pCat->aModel[i];
		json_t *pVersions = json_array();
		char zIn[32], zOut[32];
		for (v = 0; v < m->nVersion; v++)
			json_array_append_new(pVersions, json_string(m->azVersion[v]));
		if (m->hasPrice) {
			snprintf(zIn, sizeof(zIn), "$%.2f", m->priceIn);
			snprintf(zOut, sizeof(zOut), "$%.2f", m->priceOut);
		}
		json_array_append_new(
			pOut, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:s, s:s, s:b}", "ref_id",
					m->pProvider->zId, "id", m->zId, "provider", m->pProvider->zName,
					"display_name", m->zDisplayName, "default_version", m->zDefaultVersion,
					"versions", pVersions, "has_price", m->hasPrice, "price_in",
					m->hasPrice ? zIn : "price unknown", "price_out",
					m->hasPrice ? zOut : "price unknown", "deprecated", m->deprecated));
	}
	return pOut;
}

/* The newest test run, with its first turn's prompt and response; *pActive while it runs. */
static json_t *test_run_view(Request *r, int *pActive)
{
	json_t *pRun = store_test_run_latest(r->db, r->user.tenantId), *pTurn;
	const char *zStatus;
	if (!pRun)
		return json_null();
	zStatus = json_string_value(json_object_get(pRun, "status"));
	*pActive = zStatus && (!strcmp(zStatus, "pending") || !strcmp(zStatus, "running"));
	json_object_set_new(pRun, "active", json_boolean(*pActive));
	json_object_set_new(pRun, "status_label", json_string(run_status_label(zStatus)));
	pTurn = json_array_get(json_object_get(pRun, "turns"), 0);
	if (pTurn) {
		json_object_set(pRun, "prompt", json_object_get(pTurn, "prompt"));
		json_object_set(pRun, "response", json_is_string(json_object_get(pTurn, "response"))
							  ? json_object_get(pTurn, "response")
							  : json_object_get(pTurn, "text"));
	}
	json_object_del(pRun, "turns");
	if (json_is_real(json_object_get(pRun, "cost_usd"))) {
		char z[32];
		cost_format(z, sizeof(z), json_real_value(json_object_get(pRun, "cost_usd")));
		json_object_set_new(pRun, "cost_text", json_string(z));
	} else {
		json_object_set_new(pRun, "cost_text", json_string("price unknown"));
	}
	return pRun;
}

void settings_render(Request *r, Response *p, const char *zError, const char *zNotice)
{
	json_t *pView = json_object(), *pDb, *pTenant, *pDefs;
	int pending = 0, testActive = 0, nOnline = 0;
	char zTrigger[33], zCommand[600];
	const char *zConf = r->pApp->pConfig->zPath;
	int canRun = strcmp(r->user.zRole, "viewer") != 0 || r->user.isSuperadmin;
	int isAdmin = strcmp(r->user.zRole, "admin") == 0 || r->user.isSuperadmin;
	json_object_set_new(pView, "providers", providers_view(r, &pending));
	json_object_set_new(pView, "catalog_error", json_str_or_null(r->pApp->zCatalogError));
	json_object_set_new(pView, "workers", workers_view(r, &nOnline));
	json_object_set_new(pView, "executors_online", json_integer(nOnline));
	json_object_set_new(pView, "no_executor", json_boolean(nOnline == 0));
	json_object_set_new(pView, "offline_after_s", json_integer(r->pApp->pConfig->heartbeatOfflineS));
	snprintf(zCommand, sizeof(zCommand), "valuerankd --config %s",
		 zConf && *zConf ? zConf : "/etc/valuerank/valuerank.conf");
	json_object_set_new(pView, "start_command", json_string(zCommand));
	json_object_set_new(pView, "service_command", json_string("systemctl start valuerankd"));
	{
		json_t *pQueue = store_health_queue(r->db);
		json_object_set_new(pView, "queue", pQueue ? pQueue : json_array());
	}
	pDb = store_health_database(r->db);
	json_object_set_new(pDb, "size_text", size_text(json_integer_value(json_object_get(pDb, "size_bytes"))));
	json_object_set_new(pDb, "wal_text", size_text(json_integer_value(json_object_get(pDb, "wal_bytes"))));
	{
		const char *zMode = json_string_value(json_object_get(pDb, "journal_mode"));
		json_object_set_new(pDb, "wal_on", json_boolean(zMode && !strcmp(zMode, "wal")));
	}
	json_object_set_new(pView, "database", pDb);
	json_object_set_new(pView, "models", models_view(r->pApp->pCatalog));
	json_object_set_new(pView, "test_run", test_run_view(r, &testActive));
	pDefs = store_health_test_definitions(r->db, r->user.tenantId);
	json_object_set_new(pView, "test_definitions", pDefs ? pDefs : json_array());
	json_object_set_new(pView, "can_run", json_boolean(canRun));
	json_object_set_new(pView, "is_admin", json_boolean(isAdmin));
	if (random_hex(zTrigger, 16) == 0)
		json_object_set_new(pView, "trigger_id", json_string(zTrigger));
	pTenant = store_tenant_get(r->db, r->user.tenantId);
	json_object_set(pView, "webhook_url",
			pTenant && json_object_get(pTenant, "webhook_url") ? json_object_get(pTenant, "webhook_url")
									  : json_null());
	json_decref(pTenant);
	json_object_set_new(pView, "check_pending", json_boolean(pending));
	if (zError)
		json_object_set_new(pView, "error", json_string(zError));
	if (zNotice)
		json_object_set_new(pView, "notice", json_string(zNotice));
	if ((pending || testActive) && !zError)
		json_object_set_new(pView, "refresh", json_integer(5));
	web_render(r, p, "settings", "Settings", pView);
}

void page_settings(Request *r, Response *p)
{
	const char *zDone = param_get(&r->query, "done");
	const char *zNotice = NULL;
	if (zDone && !strcmp(zDone, "check"))
		zNotice = "valuerankd has been asked to check the providers; this page refreshes until it answers.";
	else if (zDone && !strcmp(zDone, "test"))
		zNotice = "The test run has been queued; its transcript appears below when valuerankd has run it.";
	else if (zDone && !strcmp(zDone, "webhook"))
		zNotice = "The webhook URL has been saved.";
	settings_render(r, p, NULL, zNotice);
}
