/* tokens.c — API tokens: list, create (shown once) and revoke, each audited. */
#include "web/auth.h"
#include "web/pages/pages.h"
#include "web/render.h"
#include "store/accounts.h"
#include "lib/sha256.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

static void render_tokens(Request *r, Response *p, const char *zNewToken, const char *zError)
{
	json_t *pView = json_object();
	json_t *pList = store_token_list(r->db, r->user.id);
	json_object_set_new(pView, "tokens", pList ? pList : json_array());
	if (zNewToken)
		json_object_set_new(pView, "new_token", json_string(zNewToken));
	if (zError)
		json_object_set_new(pView, "error", json_string(zError));
	web_render(r, p, "tokens", "API tokens", pView);
}

void page_tokens(Request *r, Response *p)
{
	render_tokens(r, p, NULL, NULL);
}

void page_token_create(Request *r, Response *p)
{
	const char *zName = param_get(&r->form, "name");
	char zRandom[65], zToken[80], zHash[65], zPrefix[16], zDetails[160];
	int64_t id;
	if (!zName || !*zName || strlen(zName) > 100) {
		p->status = 400;
		render_tokens(r, p, NULL, "Give the token a name of 1 to 100 characters.");
		return;
	}
	if (random_hex(zRandom, 32)) {
		web_error(r, p, 500, "Could not generate a token.");
		return;
	}
	snprintf(zToken, sizeof(zToken), "vr_%s", zRandom);
	sha256_hex(zToken, strlen(zToken), zHash);
	str_copy(zPrefix, sizeof(zPrefix), zToken);
	id = store_token_create(r->db, r->user.id, zName, zHash, zPrefix);
	if (id < 0) {
		web_error(r, p, 500, "Could not save the token.");
		return;
	}
	snprintf(zDetails, sizeof(zDetails), "{\"prefix\":\"%s\"}", zPrefix);
	auth_audit(r, "token.create", "api_token", id, zDetails);
	render_tokens(r, p, zToken, NULL);
}

void page_token_revoke(Request *r, Response *p)
{
	DbRc rc = store_token_revoke(r->db, r->user.id, r->aId[0]);
	if (rc == DB_NOTFOUND) {
		web_error(r, p, 404, "There is no such token.");
		return;
	}
	auth_audit(r, "token.revoke", "api_token", r->aId[0], NULL);
	response_redirect(p, "/settings/tokens");
}
