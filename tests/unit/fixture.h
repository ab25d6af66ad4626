/* fixture.h — helpers shared by the unit tests and benches: serving a request in-process, removing a test database. */
#ifndef VR_TEST_FIXTURE_H
#define VR_TEST_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "web/app.h"

/*
 * Run one request through the whole pipeline (parse, route, handler) of
 * pApp, as valuerank.fcgi would for nginx. zBody, if not NULL, is sent as an
 * urlencoded form; zOrigin may be NULL. The caller frees p with response_free().
 */
static inline void fixture_serve(const App *pApp, Response *p, const char *zMethod, const char *zUri,
				 const char *zBody, const char *zCookie, const char *zOrigin)
{
	RequestInput in;
	char zLen[32];
	memset(&in, 0, sizeof(in));
	in.zMethod = zMethod;
	in.zRequestUri = zUri;
	in.zHost = "vr.test";
	in.zOrigin = zOrigin;
	in.zCookie = zCookie;
	in.zRemoteAddr = "127.0.0.1";
	if (zBody) {
		in.zContentType = "application/x-www-form-urlencoded";
		snprintf(zLen, sizeof(zLen), "%zu", strlen(zBody));
		in.zContentLength = zLen;
		in.pBody = zBody;
		in.nBody = strlen(zBody);
	}
	response_init(p);
	app_serve(pApp, &in, p);
}

/* Remove a test database with its WAL and shared-memory files. */
static inline void fixture_remove_db(const char *zPath)
{
	char z[1100];
	unlink(zPath);
	snprintf(z, sizeof(z), "%s-wal", zPath);
	unlink(z);
	snprintf(z, sizeof(z), "%s-shm", zPath);
	unlink(z);
}

#endif
