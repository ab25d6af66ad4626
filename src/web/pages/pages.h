/* pages.h — every page handler, one source file per page (see router.c for the URLs). */
#ifndef VR_PAGES_H
#define VR_PAGES_H

#include "web/web.h"

/* pages/login.c */
void page_login_form(Request *r, Response *p);
void page_login_submit(Request *r, Response *p);
void page_logout(Request *r, Response *p);
/* pages/home.c */
void page_home(Request *r, Response *p);
void page_healthz(Request *r, Response *p);
void page_me(Request *r, Response *p);
/* pages/tokens.c */
void page_tokens(Request *r, Response *p);
void page_token_create(Request *r, Response *p);
void page_token_revoke(Request *r, Response *p);
/* pages/runs.c */
void page_runs(Request *r, Response *p);

#endif
