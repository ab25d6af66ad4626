/* cmd_user.c — valuerank user add, passwd and list. */
#include "cli/cli.h"
#include "store/accounts.h"
#include "web/auth.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * Password from standard input when it is not a terminal (first line), else
 * generated and printed once. Returns 0 and fills zOut, or -1.
 */
static int read_or_generate_password(char *zOut, size_t nOut, int *pGenerated)
{
	*pGenerated = 0;
	if (!isatty(STDIN_FILENO)) {
		if (fgets(zOut, (int)nOut, stdin)) {
			zOut[strcspn(zOut, "\r\n")] = 0;
			if (strlen(zOut) > 0) {
				if (strlen(zOut) < 8) {
					fprintf(stderr, "valuerank: the password must have at least 8 characters\n");
					return -1;
				}
				return 0;
			}
		}
	}
	*pGenerated = 1;
	return auth_generate_password(zOut, nOut);
}

int cmd_user_add(Cli *c)
{
	const char *zEmail = cli_arg(c, "--email");
	const char *zTenant = cli_arg(c, "--tenant");
	const char *zRole = cli_arg(c, "--role");
	char zPassword[1024], zHash[256];
	int generated;
	int64_t tenantId, userId;
	DbRc rc;
	Db *db;
	if (!zEmail || !zTenant || !zRole) {
		fprintf(stderr, "usage: valuerank user add --email E --tenant T --role viewer|researcher|admin [--superadmin]\n");
		return 2;
	}
	if (!strchr(zEmail, '@') || strlen(zEmail) > 254) {
		fprintf(stderr, "valuerank: \"%s\" is not an email address\n", zEmail);
		return 2;
	}
	if (auth_role_rank(zRole) == 0) {
		fprintf(stderr, "valuerank: role must be viewer, researcher or admin, not \"%s\"\n", zRole);
		return 2;
	}
	if (!*zTenant || strlen(zTenant) > 60) {
		fprintf(stderr, "valuerank: tenant must be 1 to 60 characters\n");
		return 2;
	}
	if (!(db = cli_db(c, 0)))
		return 1;
	if (read_or_generate_password(zPassword, sizeof(zPassword), &generated) ||
	    auth_hash_password(zPassword, zHash, sizeof(zHash))) {
		fprintf(stderr, "valuerank: could not set a password\n");
		return 1;
	}
	db_begin(db);
	tenantId = store_tenant_ensure(db, zTenant, zTenant);
	userId = tenantId < 0 ? -1 : store_user_add(db, tenantId, zEmail, zHash, zRole, cli_flag(c, "--superadmin"), &rc);
	if (userId < 0) {
		db_rollback(db);
		if (rc == DB_CONFLICT)
			fprintf(stderr, "valuerank: a user with email %s already exists\n", zEmail);
		else
			fprintf(stderr, "valuerank: could not add the user: %s\n", db_errmsg(db));
		return 1;
	}
	store_audit(db, tenantId, 0, "cli", "user.create", "user", userId, NULL, "cli");
	db_commit(db);
	printf("user %lld %s added to tenant %s as %s%s\n", (long long)userId, zEmail, zTenant, zRole,
	       cli_flag(c, "--superadmin") ? " (superadmin)" : "");
	if (generated)
		printf("password: %s\n", zPassword);
	return 0;
}

int cmd_user_passwd(Cli *c)
{
	const char *zEmail = cli_arg(c, "--email");
	char zPassword[1024], zHash[256];
	int generated;
	json_t *pUser;
	Db *db;
	if (!zEmail) {
		fprintf(stderr, "usage: valuerank user passwd --email E\n");
		return 2;
	}
	if (!(db = cli_db(c, 0)))
		return 1;
	pUser = store_user_by_email(db, zEmail);
	if (!pUser) {
		fprintf(stderr, "valuerank: no user with email %s\n", zEmail);
		return 1;
	}
	if (read_or_generate_password(zPassword, sizeof(zPassword), &generated) ||
	    auth_hash_password(zPassword, zHash, sizeof(zHash)) ||
	    store_user_set_password(db, json_integer_value(json_object_get(pUser, "id")), zHash) != DB_OK) {
		fprintf(stderr, "valuerank: could not set the password\n");
		json_decref(pUser);
		return 1;
	}
	store_audit(db, json_integer_value(json_object_get(pUser, "tenant_id")), 0, "cli", "user.passwd",
		    "user", json_integer_value(json_object_get(pUser, "id")), NULL, "cli");
	json_decref(pUser);
	printf("password changed for %s\n", zEmail);
	if (generated)
		printf("password: %s\n", zPassword);
	return 0;
}

int cmd_user_list(Cli *c)
{
	Db *db = cli_db(c, 0);
	json_t *pList, *pRow;
	size_t i;
	if (!db)
		return 1;
	pList = store_user_list(db, 0);
	json_array_foreach(pList, i, pRow)
	{
		printf("%lld\t%s\t%s\t%s%s%s\n", (long long)json_integer_value(json_object_get(pRow, "id")),
		       json_string_value(json_object_get(pRow, "email")),
		       json_string_value(json_object_get(pRow, "tenant_slug")),
		       json_string_value(json_object_get(pRow, "role")),
		       json_integer_value(json_object_get(pRow, "is_superadmin")) ? "\tsuperadmin" : "",
		       json_integer_value(json_object_get(pRow, "disabled")) ? "\tdisabled" : "");
	}
	json_decref(pList);
	return 0;
}
