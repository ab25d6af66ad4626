/* health.c — provider health checks: GET each provider's models list, record the result in provider_status. */
#include "exec/exec_internal.h"
#include "lib/log.h"
#include "lib/timeutil.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

/* A health check waits at most this long, whatever the provider's request timeout. */
#define HEALTH_TIMEOUT_MS 30000L

void health_start(struct Loop *L, ProviderRt *pr)
{
	Transfer *t;
	long timeoutMs;
	pr->healthWanted = 0;
	if (!pr->pConf)
		return;
	if (!pr->zKey) {
		char zMsg[300];
		snprintf(zMsg, sizeof(zMsg), "no API key: set %s or add it to the key_file",
			 pr->pConf->zKeyEnv ? pr->pConf->zKeyEnv : "the key");
		dbshared_note(loop_shared(L), NOTE_HEALTH, pr->zId, zMsg, 0, 0);
		return;
	}
	t = loop_transfer_new(L, XFER_HEALTH);
	if (provider_build_models_request(pr->pConf, pr->zKey, &t->spec) != ERR_NONE) {
		loop_transfer_free(L, t);
		dbshared_note(loop_shared(L), NOTE_HEALTH, pr->zId, "cannot build the models request", 0, 0);
		return;
	}
	t->pProv = pr;
	timeoutMs = (long)pr->pConf->requestTimeoutS * 1000L;
	if (timeoutMs > HEALTH_TIMEOUT_MS || timeoutMs <= 0)
		timeoutMs = HEALTH_TIMEOUT_MS;
	if (loop_transfer_start(L, t, timeoutMs) != 0) {
		dbshared_note(loop_shared(L), NOTE_HEALTH, pr->zId, "cannot start the models request", 0, 0);
		return;
	}
	pr->healthBusy = 1;
	pr->pHealthXfer = t;
}

void health_on_done(struct Loop *L, Transfer *t, CURLcode cc, long httpStatus)
{
	ProviderRt *pr = t->pProv;
	ProviderHealth h;
	int64_t latency = time_mono_ms() - t->startMono;
	char zMsg[400];
	pr->healthBusy = 0;
	if (cc != CURLE_OK) {
		snprintf(zMsg, sizeof(zMsg), "%s", curl_easy_strerror(cc));
		dbshared_note(loop_shared(L), NOTE_HEALTH, pr->zId, zMsg, 0, latency);
		log_event(LOG_WARN, "provider health check failed", "provider=%s error=\"%s\"", pr->zId, zMsg);
		return;
	}
	if (!pr->pConf)
		return; /* removed from models.json while the check ran */
	provider_parse_models_response(pr->pConf, (int)httpStatus,
				       buf_str(&t->headers), t->body.z, t->body.n, &h);
	if (h.zErrMessage) {
		char *zClean = log_redact(h.zErrMessage);
		free(h.zErrMessage);
		h.zErrMessage = zClean;
	}
	if (h.connected) {
		dbshared_note(loop_shared(L), NOTE_HEALTH, pr->zId, NULL, 1, latency);
		log_event(LOG_INFO, "provider health check ok", "provider=%s latency_ms=%lld models=%d",
			  pr->zId, (long long)latency, h.nModel);
	} else {
		char zQuoted[400];
		dbshared_note(loop_shared(L), NOTE_HEALTH, pr->zId,
			      h.zErrMessage ? h.zErrMessage : "unreadable models list", 0, latency);
		log_quote(zQuoted, sizeof(zQuoted), h.zErrMessage ? h.zErrMessage : "");
		log_event(LOG_WARN, "provider health check failed", "provider=%s http=%ld error=%s",
			  pr->zId, httpStatus, zQuoted);
	}
	provider_health_free(&h);
}
