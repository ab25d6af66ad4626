/* bench_run_page.c — server time of GET /runs/ID for a run with 10,000 transcripts, in-process (limit 100 ms). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/timeutil.h"
#include "store/accounts.h"
#include "web/app.h"
#include "web/auth.h"
#include "web/web.h"
#include "../tests/unit/run_fixture.h"
#include "../tests/unit/fixture.h"

#define LIMIT_MS 100.0

/* Serve one request in-process into p (the caller frees it). */
static void serve(App *pApp, Response *p, const char *zMethod, const char *zUri, const char *zBody,
		  const char *zCookie)
{
	fixture_serve(pApp, p, zMethod, zUri, zBody, zCookie, "http://vr.test");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *zSrc = getenv("VR_SRCDIR") ? getenv("VR_SRCDIR") : ".";
	int nScenario = 2500, samples = 2, nRep = 20, i, rc = 1;
	char zDb[256], zErr[512], zPath[512], zHash[256], zCookie[128], zUrl[64];
	double aMs[64], median;
	int64_t tenant, defId, runId, t0;
	App app;
	Config config;
	Response resp;
	DbRc dbrc;
	const char *z;
	if (argc > 1)
		nScenario = atoi(argv[1]);
	memset(&app, 0, sizeof(app));
	snprintf(zDb, sizeof(zDb), "/tmp/vr-bench-runpage-%d.db", (int)getpid());
	unlink(zDb);
	if (config_load(&config, NULL, zErr, sizeof(zErr))) {
		fprintf(stderr, "%s\n", zErr);
		return 1;
	}
	config_set_database(&config, zDb);
	snprintf(zPath, sizeof(zPath), "%s/templates", zSrc);
	free(config.zTemplates);
	config.zTemplates = strdup(zPath);
	snprintf(zPath, sizeof(zPath), "%s/etc/models.json", zSrc);
	free(config.zModels);
	config.zModels = strdup(zPath);
	{
		Db *db = db_open(zDb, zErr, sizeof(zErr));
		if (!db || db_migrate(db, zErr, sizeof(zErr)) != DB_OK) {
			fprintf(stderr, "%s\n", zErr);
			return 1;
		}
		auth_hash_password("bench password", zHash, sizeof(zHash));
		tenant = store_tenant_ensure(db, "bench", "Bench");
		store_user_add(db, tenant, "bench@example.org", zHash, "researcher", 0, &dbrc);
		t0 = time_mono_ms();
		defId = fixture_definition(db, tenant, "Bench definition", nScenario);
		runId = fixture_run(db, tenant, defId, samples, "bench-trigger");
		if (defId < 0 || runId < 0 || fixture_complete_run(db, runId)) {
			fprintf(stderr, "fixture failed: %s\n", db_errmsg(db));
			return 1;
		}
		printf("built run %lld: %lld transcripts in %lld ms\n", (long long)runId,
		       (long long)db_query_int(db, 0, "SELECT count(*) FROM transcripts WHERE run_id = ?1", "i",
					       runId),
		       (long long)(time_mono_ms() - t0));
		db_close(db);
	}
	if (app_load_shared(&app, &config, zErr, sizeof(zErr)) || app_open_db(&app, zErr, sizeof(zErr))) {
		fprintf(stderr, "%s\n", zErr);
		return 1;
	}
	serve(&app, &resp, "POST", "/login", "email=bench%40example.org&password=bench+password", NULL);
	z = strstr(buf_str(&resp.headers), "Set-Cookie: vr_session=");
	if (resp.status != 303 || !z) {
		fprintf(stderr, "login failed: %d\n", resp.status);
		goto out;
	}
	z += strlen("Set-Cookie: ");
	snprintf(zCookie, sizeof(zCookie), "%.*s", (int)strcspn(z, ";"), z);
	response_free(&resp);
	snprintf(zUrl, sizeof(zUrl), "/runs/%lld", (long long)runId);
	for (i = 0; i < nRep + 1; i++) {
		int64_t tStart = time_mono_ms();
		double ms;
		serve(&app, &resp, "GET", zUrl, NULL, zCookie);
		ms = (double)(time_mono_ms() - tStart);
		if (resp.status != 200 || !strstr(buf_str(&resp.body), "results-models")) {
			fprintf(stderr, "GET %s: status %d\n", zUrl, resp.status);
			response_free(&resp);
			goto out;
		}
		if (i == 0)
			printf("first request (cold statement cache, touches last_accessed_at): %.0f ms, %zu bytes\n",
			       ms, resp.body.n);
		else
			aMs[i - 1] = ms;
		response_free(&resp);
	}
	qsort(aMs, (size_t)nRep, sizeof(double), cmp_double);
	median = aMs[nRep / 2];
	printf("GET /runs/%lld with %d scenarios x 2 models x %d samples: median %.0f ms, min %.0f ms, max %.0f ms"
	       " over %d requests\n", (long long)runId, nScenario, samples, median, aMs[0], aMs[nRep - 1], nRep);
	printf("ratio to the %.0f ms limit: %.2f (%s)\n", LIMIT_MS, median / LIMIT_MS,
	       median < LIMIT_MS ? "within" : "OVER");
	rc = median < LIMIT_MS ? 0 : 2;
out:
	app_free(&app);
	config_free(&config);
	if (getenv("VR_BENCH_KEEP")) {
		printf("kept %s\n", zDb);
		return rc;
	}
	unlink(zDb);
	snprintf(zPath, sizeof(zPath), "%s-wal", zDb);
	unlink(zPath);
	snprintf(zPath, sizeof(zPath), "%s-shm", zDb);
	unlink(zPath);
	return rc;
}
