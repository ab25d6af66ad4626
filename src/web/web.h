/* web.h — the request, the response and the application context every page handler sees. */
#ifndef VR_WEB_H
#define VR_WEB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "store/db.h"

/* Limits on what a request may carry; beyond them the request gets a 4xx. */
#define WEB_MAX_URL 8192
#define WEB_MAX_BODY (1024 * 1024)        /* urlencoded forms and JSON */
#define WEB_MAX_UPLOAD (2 * 1024 * 1024)  /* multipart definition uploads */
#define WEB_MAX_PARAMS 256
#define WEB_MAX_COOKIES 64
#define WEB_MAX_PATH_ARGS 4

typedef struct TplSet TplSet;
typedef struct ModelCatalog ModelCatalog;

/* Process-wide, read-only after start-up: shared by every request of a worker. */
typedef struct App {
	Config *pConfig;
	Db *db;
	TplSet *pTemplates;
	ModelCatalog *pCatalog; /* may be NULL when models.json failed to load */
	char *zCatalogError;    /* why pCatalog is NULL */
} App;

typedef struct Param {
	char *zName;
	char *zValue;
	size_t nValue;
} Param;

typedef struct ParamList {
	Param *a;
	int n;
} ParamList;

/* An uploaded file from a multipart/form-data body. */
typedef struct Upload {
	char *zField;
	char *zFilename;
	char *zContentType;
	char *pData;
	size_t nData;
} Upload;

/* The signed-in user, from a session cookie or a Bearer token. */
typedef struct User {
	int64_t id;
	int64_t tenantId;
	int64_t sessionId; /* 0 for a Bearer token */
	char zEmail[256];
	char zRole[16];     /* viewer | researcher | admin */
	int isSuperadmin;
	char zTenantSlug[64];
	char zTenantName[128];
	char zCsrf[65];
} User;

/* Everything a CGI-style front end knows about a request, before parsing. */
typedef struct RequestInput {
	const char *zMethod;
	const char *zRequestUri; /* path and query as sent */
	const char *zContentType;
	const char *zContentLength;
	const char *zCookie;
	const char *zAuthorization;
	const char *zOrigin;
	const char *zReferer;
	const char *zHost;
	const char *zHttps;      /* "on" behind TLS */
	const char *zAccept;
	const char *zRemoteAddr;
	const char *zUserAgent;
	const char *pBody;
	size_t nBody;
} RequestInput;

typedef struct Request {
	const App *pApp;
	Db *db;
	char zMethod[16];
	char *zPath;        /* percent-decoded path */
	char *zQueryString; /* raw query string, for links that keep filters */
	ParamList query;
	ParamList form;
	ParamList cookies;
	Upload *aUpload;
	int nUpload;
	char *pBody; /* raw body (JSON API); NUL-terminated */
	size_t nBody;
	const char *zContentType;
	const char *zAuthorization;
	const char *zOrigin;
	const char *zReferer;
	const char *zHost;
	const char *zAccept;
	const char *zRemoteAddr;
	const char *zUserAgent;
	int isHttps;
	int isApi;         /* path under /api/v1/ or Accept: application/json */
	int64_t aId[WEB_MAX_PATH_ARGS]; /* numeric path arguments in order */
	int nId;
	User user;         /* valid when hasUser */
	int hasUser;
	json_t *pBanner;   /* notifications shown on this page, or NULL */
	int64_t startMs;
} Request;

/* Streaming writer used by the one streamed response (CSV export). */
typedef int (*WebWriteFn)(void *pArg, const char *p, size_t n);

typedef struct Response {
	int status;
	Buf headers; /* extra header lines, each ending in \r\n */
	Buf body;
	char zContentType[96];
	/* Set by a streaming handler: headers already sent, body written directly. */
	int streamed;
	WebWriteFn xWrite;
	void *pWriteArg;
	int (*xFlushHeaders)(void *pArg, struct Response *p);
} Response;

/* Parse a request; 0 on success, else an HTTP status (400/413/414/415) with a message. */
int request_parse(Request *r, const RequestInput *in, char *zErr, size_t nErr);
void request_free(Request *r);
/* First value of a parameter, or NULL. */
const char *param_get(const ParamList *l, const char *zName);
/* Number of values of a parameter, and the i-th. */
int param_count(const ParamList *l, const char *zName);
const char *param_nth(const ParamList *l, const char *zName, int i);
/*
 * Decode percent-escapes (and '+' as space when plusIsSpace) of n bytes.
 * Returns a new string (caller frees) or NULL for a bad escape or a NUL byte.
 */
char *url_decode(const char *z, size_t n, int plusIsSpace, size_t *pnOut);
/* Parse a Cookie header into l; -1 when it is malformed or holds too many cookies. */
int cookies_parse(ParamList *l, const char *zHeader);
void params_free(ParamList *l);

void response_init(Response *p);
void response_free(Response *p);
void response_header(Response *p, const char *zName, const char *zValue);
void response_redirect(Response *p, const char *zLocation);
/* Security headers every response carries (CSP, frame, nosniff, referrer). */
void response_security_headers(Response *p);
/* Serialise status, headers and body into out (for the FastCGI writer and tests). */
void response_serialise_head(const Response *p, Buf *out);

/* Main entry: route and run the handler; always leaves a complete response. */
void web_handle(const App *pApp, Request *r, Response *p);

#endif
