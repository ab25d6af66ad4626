/* test_web.c — unit tests for request parsing, cookies, routing, and the in-process request pipeline. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/config.h"
#include "store/accounts.h"
#include "web/app.h"
#include "web/auth.h"
#include "web/router.h"
#include "web/template.h"
#include "web/web.h"
#include "fixture.h"
#include "check_main.h"

START_TEST(test_url_decode)
{
	size_t n;
	char *z = url_decode("a%20b+c%2B", 10, 1, &n);
	ck_assert_str_eq(z, "a b c+");
	ck_assert_int_eq((int)n, 6);
	free(z);
	z = url_decode("a+b", 3, 0, NULL);
	ck_assert_str_eq(z, "a+b");
	free(z);
	ck_assert_ptr_null(url_decode("%zz", 3, 1, NULL));
	ck_assert_ptr_null(url_decode("%4", 2, 1, NULL));
	ck_assert_ptr_null(url_decode("abc%", 4, 1, NULL));
	ck_assert_ptr_null(url_decode("a%00b", 5, 1, NULL));
	z = url_decode("%C3%A9", 6, 1, NULL);
	ck_assert_str_eq(z, "\xc3\xa9");
	free(z);
}
END_TEST

START_TEST(test_cookies)
{
	ParamList l = {0};
	ck_assert_int_eq(cookies_parse(&l, "a=1; vr_session=abc; q=\"x y\""), 0);
	ck_assert_int_eq(l.n, 3);
	ck_assert_str_eq(param_get(&l, "vr_session"), "abc");
	ck_assert_str_eq(param_get(&l, "q"), "x y");
	params_free(&l);
	ck_assert_int_eq(cookies_parse(&l, "novalue"), -1);
	params_free(&l);
	ck_assert_int_eq(cookies_parse(&l, "=x"), -1);
	params_free(&l);
	{
		char zMany[20000];
		size_t off = 0;
		int i;
		for (i = 0; i < 2000; i++)
			off += (size_t)snprintf(zMany + off, sizeof(zMany) - off, "c%d=1; ", i);
		ck_assert_int_eq(cookies_parse(&l, zMany), -1);
		params_free(&l);
	}
}
END_TEST

static int parse(Request *r, const char *zMethod, const char *zUri, const char *zType,
		 const char *pBody, size_t nBody, char *zErr)
{
	RequestInput in;
	char zLen[32];
	memset(&in, 0, sizeof(in));
	memset(r, 0, sizeof(*r));
	in.zMethod = zMethod;
	in.zRequestUri = zUri;
	in.zContentType = zType;
	snprintf(zLen, sizeof(zLen), "%zu", nBody);
	in.zContentLength = zLen;
	in.pBody = pBody;
	in.nBody = nBody;
	return request_parse(r, &in, zErr, 256);
}

START_TEST(test_request_parse)
{
	Request r;
	char zErr[256];
	const char *zBody = "email=a%40b.org&password=p%26w&models=x&models=y";
	ck_assert_int_eq(parse(&r, "POST", "/runs/12/pause?x=1&y=%41", "application/x-www-form-urlencoded",
			       zBody, strlen(zBody), zErr), 0);
	ck_assert_str_eq(r.zPath, "/runs/12/pause");
	ck_assert_str_eq(param_get(&r.query, "y"), "A");
	ck_assert_str_eq(param_get(&r.form, "email"), "a@b.org");
	ck_assert_str_eq(param_get(&r.form, "password"), "p&w");
	ck_assert_int_eq(param_count(&r.form, "models"), 2);
	ck_assert_str_eq(param_nth(&r.form, "models", 1), "y");
	request_free(&r);
	ck_assert_int_eq(parse(&r, "GET", "/a%zz", NULL, NULL, 0, zErr), 400);
	request_free(&r);
	ck_assert_int_eq(parse(&r, "GET", "/a?b=%00", NULL, NULL, 0, zErr), 400);
	request_free(&r);
	ck_assert_int_eq(parse(&r, "POST", "/x", "application/x-www-form-urlencoded", "a=%2", 4, zErr), 400);
	request_free(&r);
	ck_assert_int_eq(parse(&r, "POST", "/x", "text/plain", "hello", 5, zErr), 415);
	request_free(&r);
	{
		char *zLong = malloc(70000);
		memset(zLong, 'a', 69999);
		zLong[0] = '/';
		zLong[69999] = 0;
		ck_assert_int_eq(parse(&r, "GET", zLong, NULL, NULL, 0, zErr), 414);
		request_free(&r);
		free(zLong);
	}
	{
		RequestInput in;
		memset(&in, 0, sizeof(in));
		memset(&r, 0, sizeof(r));
		in.zMethod = "POST";
		in.zRequestUri = "/login";
		in.zContentType = "application/x-www-form-urlencoded";
		in.zContentLength = "10485760"; /* 10 MB declared: refused before reading */
		ck_assert_int_eq(request_parse(&r, &in, zErr, sizeof(zErr)), 413);
		request_free(&r);
	}
}
END_TEST

START_TEST(test_multipart)
{
	Request r;
	char zErr[256];
	const char *zBody =
		"--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.json\"\r\n"
		"Content-Type: application/json\r\n\r\n{\"a\":\r\n1}\r\n--XyZ--\r\n";
	ck_assert_int_eq(parse(&r, "POST", "/definitions/import", "multipart/form-data; boundary=XyZ", zBody,
			       strlen(zBody), zErr), 0);
	ck_assert_str_eq(param_get(&r.form, "csrf_token"), "abc");
	ck_assert_int_eq(r.nUpload, 1);
	ck_assert_str_eq(r.aUpload[0].zFilename, "d.json");
	ck_assert_str_eq(r.aUpload[0].pData, "{\"a\":\r\n1}");
	request_free(&r);
	ck_assert_int_eq(parse(&r, "POST", "/x", "multipart/form-data; boundary=XyZ", "--XyZ\r\nbroken", 14, zErr), 400);
	request_free(&r);
	ck_assert_int_eq(parse(&r, "POST", "/x", "multipart/form-data", "--a--", 5, zErr), 400);
	request_free(&r);
}
END_TEST

START_TEST(test_route_match)
{
	int64_t aId[WEB_MAX_PATH_ARGS];
	int n;
	ck_assert(route_match("/runs/#/tasks/#", "/runs/12/tasks/345", aId, &n));
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq((int)aId[0], 12);
	ck_assert_int_eq((int)aId[1], 345);
	ck_assert(!route_match("/runs/#", "/runs/0", aId, &n));
	ck_assert(!route_match("/runs/#", "/runs/12x", aId, &n));
	ck_assert(!route_match("/runs/#", "/runs/", aId, &n));
	ck_assert(!route_match("/runs/#", "/runs/99999999999999999999", aId, &n));
	ck_assert(!route_match("/runs", "/runs/", aId, &n));
	ck_assert(route_match("/runs", "/runs", aId, &n));
}
END_TEST

/* ---- The whole pipeline in-process: templates, a temporary database, one App. ---- */

static App app;
static Config config;
static char zDb[256];

static void pipeline_setup(void)
{
	char zErr[512], zTemplates[512];
	const char *zSrc = getenv("VR_SRCDIR") ? getenv("VR_SRCDIR") : ".";
	DbRc rc;
	char zHash[256];
	Db *db;
	snprintf(zDb, sizeof(zDb), "/tmp/vr-test-web-%d.db", (int)getpid());
	unlink(zDb);
	ck_assert_int_eq(config_load(&config, NULL, zErr, sizeof(zErr)), 0);
	config_set_database(&config, zDb);
	snprintf(zTemplates, sizeof(zTemplates), "%s/templates", zSrc);
	free(config.zTemplates);
	config.zTemplates = strdup(zTemplates);
	free(config.zModels);
	config.zModels = strdup("/nonexistent/models.json");
	db = db_open(zDb, zErr, sizeof(zErr));
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_migrate(db, zErr, sizeof(zErr)), DB_OK);
	ck_assert_int_eq(auth_hash_password("correct horse", zHash, sizeof(zHash)), 0);
	ck_assert_int_gt(store_user_add(db, store_tenant_ensure(db, "demo", "demo"), "u@example.org", zHash,
					"researcher", 0, &rc), 0);
	db_close(db);
	ck_assert_msg(app_load_shared(&app, &config, zErr, sizeof(zErr)) == 0, "%s", zErr);
	ck_assert_msg(app_open_db(&app, zErr, sizeof(zErr)) == 0, "%s", zErr);
}

static void pipeline_teardown(void)
{
	app_free(&app);
	config_free(&config);
	fixture_remove_db(zDb);
}

static void serve(Response *p, const char *zMethod, const char *zUri, const char *zBody,
		  const char *zCookie, const char *zOrigin)
{
	fixture_serve(&app, p, zMethod, zUri, zBody, zCookie, zOrigin);
}

static int has_header(const Response *p, const char *zLine)
{
	return strstr(buf_str(&p->headers), zLine) != NULL;
}

START_TEST(test_pipeline_login_page_and_headers)
{
	Response resp;
	serve(&resp, "GET", "/login", NULL, NULL, NULL);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(strstr(buf_str(&resp.body), "<h1>Sign in</h1>") != NULL);
	ck_assert(has_header(&resp, "X-Frame-Options: DENY\r\n"));
	ck_assert(has_header(&resp, "X-Content-Type-Options: nosniff\r\n"));
	ck_assert(has_header(&resp, "Referrer-Policy: same-origin\r\n"));
	ck_assert(has_header(&resp, "Content-Security-Policy: default-src 'self'"));
	ck_assert(strstr(buf_str(&resp.headers), "unsafe-inline") == NULL);
	response_free(&resp);
}
END_TEST

START_TEST(test_pipeline_errors_in_layout)
{
	Response resp;
	serve(&resp, "GET", "/no/such/page", NULL, NULL, NULL);
	ck_assert_int_eq(resp.status, 404);
	ck_assert(strstr(buf_str(&resp.body), "<h1>Not found</h1>") != NULL);
	ck_assert(strstr(buf_str(&resp.body), "class=\"site\"") != NULL);
	ck_assert(has_header(&resp, "X-Frame-Options: DENY\r\n"));
	response_free(&resp);
	serve(&resp, "DELETE", "/login", NULL, NULL, NULL);
	ck_assert_int_eq(resp.status, 405);
	response_free(&resp);
	serve(&resp, "GET", "/login?next=%G1", NULL, NULL, NULL);
	ck_assert_int_eq(resp.status, 400);
	ck_assert(strstr(buf_str(&resp.body), "malformed") != NULL);
	response_free(&resp);
	serve(&resp, "GET", "/runs", NULL, NULL, NULL);
	ck_assert_int_eq(resp.status, 303);
	ck_assert(has_header(&resp, "Location: /login?next=%2Fruns\r\n"));
	response_free(&resp);
	serve(&resp, "GET", "/api/v1/me", NULL, NULL, NULL);
	ck_assert_int_eq(resp.status, 401);
	ck_assert_str_eq(resp.zContentType, "application/json");
	response_free(&resp);
}
END_TEST

/* Extract the session cookie value from Set-Cookie into zOut. */
static void session_cookie(const Response *p, char *zOut, size_t n)
{
	const char *z = strstr(buf_str(&p->headers), "Set-Cookie: vr_session=");
	ck_assert_ptr_nonnull(z);
	z += strlen("Set-Cookie: ");
	snprintf(zOut, n, "%.*s", (int)strcspn(z, ";"), z);
}

START_TEST(test_pipeline_login_csrf_logout)
{
	Response resp;
	char zCookie[128], zCsrf[65], zBody[200];
	const char *z;
	/* No Origin: refused, nothing happens. */
	serve(&resp, "POST", "/login", "email=u%40example.org&password=correct+horse", NULL, NULL);
	ck_assert_int_eq(resp.status, 403);
	response_free(&resp);
	/* Cross-site Origin: refused. */
	serve(&resp, "POST", "/login", "email=u%40example.org&password=correct+horse", NULL, "http://evil.test");
	ck_assert_int_eq(resp.status, 403);
	response_free(&resp);
	/* Wrong password and unknown account: the same message. */
	serve(&resp, "POST", "/login", "email=u%40example.org&password=wrong", NULL, "http://vr.test");
	ck_assert_int_eq(resp.status, 401);
	ck_assert(strstr(buf_str(&resp.body), "The email address or password is not right.") != NULL);
	response_free(&resp);
	serve(&resp, "POST", "/login", "email=nobody%40example.org&password=wrong", NULL, "http://vr.test");
	ck_assert_int_eq(resp.status, 401);
	ck_assert(strstr(buf_str(&resp.body), "The email address or password is not right.") != NULL);
	response_free(&resp);
	serve(&resp, "POST", "/login", "email=u%40example.org&password=correct+horse", NULL, "http://vr.test");
	ck_assert_int_eq(resp.status, 303);
	ck_assert(has_header(&resp, "HttpOnly; SameSite=Lax"));
	session_cookie(&resp, zCookie, sizeof(zCookie));
	response_free(&resp);
	serve(&resp, "GET", "/runs", NULL, zCookie, NULL);
	ck_assert_int_eq(resp.status, 200);
	z = strstr(buf_str(&resp.body), "name=\"csrf_token\" value=\"");
	ck_assert_ptr_nonnull(z);
	snprintf(zCsrf, sizeof(zCsrf), "%.64s", z + strlen("name=\"csrf_token\" value=\""));
	response_free(&resp);
	/* Logout without the token: 403 and the session survives. */
	serve(&resp, "POST", "/logout", "csrf_token=0000", zCookie, "http://vr.test");
	ck_assert_int_eq(resp.status, 403);
	response_free(&resp);
	serve(&resp, "GET", "/api/v1/me", NULL, zCookie, NULL);
	ck_assert_int_eq(resp.status, 200);
	ck_assert(strstr(buf_str(&resp.body), "\"email\": \"u@example.org\"") != NULL);
	response_free(&resp);
	snprintf(zBody, sizeof(zBody), "csrf_token=%s", zCsrf);
	serve(&resp, "POST", "/logout", zBody, zCookie, "http://vr.test");
	ck_assert_int_eq(resp.status, 303);
	response_free(&resp);
	serve(&resp, "GET", "/api/v1/me", NULL, zCookie, NULL);
	ck_assert_int_eq(resp.status, 401);
	response_free(&resp);
}
END_TEST

START_TEST(test_pipeline_login_throttled)
{
	Response resp;
	int i;
	for (i = 0; i < 5; i++) {
		serve(&resp, "POST", "/login", "email=u%40example.org&password=bad", NULL, "http://vr.test");
		ck_assert_int_eq(resp.status, 401);
		response_free(&resp);
	}
	/* Even the right password waits now. */
	serve(&resp, "POST", "/login", "email=u%40example.org&password=correct+horse", NULL, "http://vr.test");
	ck_assert_int_eq(resp.status, 429);
	ck_assert(strstr(buf_str(&resp.body), "Too many failed sign-ins") != NULL);
	response_free(&resp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("web");
	TCase *tc = tcase_create("parsing");
	TCase *tp = tcase_create("pipeline");
	tcase_add_test(tc, test_url_decode);
	tcase_add_test(tc, test_cookies);
	tcase_add_test(tc, test_request_parse);
	tcase_add_test(tc, test_multipart);
	tcase_add_test(tc, test_route_match);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tp, pipeline_setup, pipeline_teardown);
	tcase_set_timeout(tp, 120);
	tcase_add_test(tp, test_pipeline_login_page_and_headers);
	tcase_add_test(tp, test_pipeline_errors_in_layout);
	tcase_add_test(tp, test_pipeline_login_csrf_logout);
	tcase_add_test(tp, test_pipeline_login_throttled);
	suite_add_tcase(s, tp);
	return check_run(s);
}
