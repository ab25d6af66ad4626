/* config.c — parse valuerank.conf with line-numbered errors and environment overrides. */
#include "lib/config.h"
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VR_SYSCONFDIR
#define VR_SYSCONFDIR "/etc/valuerank"
#endif
#ifndef VR_DATADIR
#define VR_DATADIR "/usr/share/valuerank"
#endif
#ifndef VR_STATEDIR
#define VR_STATEDIR "/var/lib/valuerank"
#endif

static void set_str(char **pz, const char *zValue)
{
	free(*pz);
	*pz = zValue && *zValue ? xstrdup(zValue) : NULL;
}

void config_set_database(Config *c, const char *zPath)
{
	set_str(&c->zDatabase, zPath);
}

static void config_defaults(Config *c)
{
	memset(c, 0, sizeof(*c));
	set_str(&c->zDatabase, VR_STATEDIR "/valuerank.db");
	set_str(&c->zModels, VR_SYSCONFDIR "/models.json");
	set_str(&c->zTemplates, VR_DATADIR "/templates");
	set_str(&c->zStatic, VR_DATADIR "/static");
	set_str(&c->zSocket, "/run/valuerank/web.sock");
	set_str(&c->zLogLevel, "info");
	c->nWebWorkers = 4;
	c->sessionIdleMinutes = 120;
	c->sessionMaxHours = 24;
	c->secureCookies = -1;
	c->budgetUsd = 0;
	c->maxInFlight = 256;
	c->heartbeatOfflineS = 30;
}

static char *trim(char *z)
{
	char *zEnd;
	while (isspace((unsigned char)*z))
		z++;
	zEnd = z + strlen(z);
	while (zEnd > z && isspace((unsigned char)zEnd[-1]))
		*--zEnd = 0;
	return z;
}

static int set_int(int *p, const char *zValue, int lo, int hi)
{
	int64_t v;
	if (parse_int64(zValue, lo, hi, &v))
		return -1;
	*p = (int)v;
	return 0;
}

/* Apply one key; returns 0, or -1 with a sentence in zWhy. */
static int apply_key(Config *c, const char *zKey, const char *zValue, char *zWhy, size_t nWhy)
{
	if (strcmp(zKey, "database") == 0) {
		set_str(&c->zDatabase, zValue);
	} else if (strcmp(zKey, "models") == 0) {
		set_str(&c->zModels, zValue);
	} else if (strcmp(zKey, "templates") == 0) {
		set_str(&c->zTemplates, zValue);
	} else if (strcmp(zKey, "static") == 0) {
		set_str(&c->zStatic, zValue);
	} else if (strcmp(zKey, "key_file") == 0) {
		set_str(&c->zKeyFile, zValue);
	} else if (strcmp(zKey, "web_socket") == 0) {
		set_str(&c->zSocket, zValue);
	} else if (strcmp(zKey, "web_workers") == 0) {
		if (set_int(&c->nWebWorkers, zValue, 1, 256)) {
			snprintf(zWhy, nWhy, "web_workers must be a whole number from 1 to 256");
			return -1;
		}
	} else if (strcmp(zKey, "session_idle_minutes") == 0) {
		if (set_int(&c->sessionIdleMinutes, zValue, 1, 525600)) {
			snprintf(zWhy, nWhy, "session_idle_minutes must be a whole number of minutes");
			return -1;
		}
	} else if (strcmp(zKey, "session_max_hours") == 0) {
		if (set_int(&c->sessionMaxHours, zValue, 1, 8760)) {
			snprintf(zWhy, nWhy, "session_max_hours must be a whole number of hours");
			return -1;
		}
	} else if (strcmp(zKey, "secure_cookies") == 0) {
		if (strcmp(zValue, "auto") == 0)
			c->secureCookies = -1;
		else if (strcmp(zValue, "on") == 0)
			c->secureCookies = 1;
		else if (strcmp(zValue, "off") == 0)
			c->secureCookies = 0;
		else {
			snprintf(zWhy, nWhy, "secure_cookies must be auto, on or off");
			return -1;
		}
	} else if (strcmp(zKey, "budget_usd") == 0) {
		if (parse_double(zValue, 0, 1e9, &c->budgetUsd)) {
			snprintf(zWhy, nWhy, "budget_usd must be a number of dollars (0 for none)");
			return -1;
		}
	} else if (strcmp(zKey, "executor_max_in_flight") == 0) {
		if (set_int(&c->maxInFlight, zValue, 1, 4096)) {
			snprintf(zWhy, nWhy, "executor_max_in_flight must be a whole number from 1 to 4096");
			return -1;
		}
	} else if (strcmp(zKey, "executor_offline_after_s") == 0) {
		if (set_int(&c->heartbeatOfflineS, zValue, 5, 3600)) {
			snprintf(zWhy, nWhy, "executor_offline_after_s must be 5 to 3600 seconds");
			return -1;
		}
	} else if (strcmp(zKey, "log_level") == 0) {
		if (strcmp(zValue, "debug") && strcmp(zValue, "info") && strcmp(zValue, "warn") &&
		    strcmp(zValue, "error")) {
			snprintf(zWhy, nWhy, "log_level must be debug, info, warn or error");
			return -1;
		}
		set_str(&c->zLogLevel, zValue);
	} else {
		snprintf(zWhy, nWhy, "unknown key \"%.60s\"", zKey);
		return -1;
	}
	return 0;
}

int config_load(Config *c, const char *zPath, char *zErr, size_t nErr)
{
	FILE *f;
	char zLine[4096];
	int lineNo = 0;
	config_defaults(c);
	if (!zPath || !*zPath)
		zPath = getenv("VALUERANK_CONFIG");
	if ((!zPath || !*zPath) && access(VR_SYSCONFDIR "/valuerank.conf", F_OK) == 0)
		zPath = VR_SYSCONFDIR "/valuerank.conf"; /* the installed configuration */
	if (zPath && *zPath) {
		f = fopen(zPath, "r");
		if (!f) {
			snprintf(zErr, nErr, "%s: cannot read: %s", zPath, strerror(errno));
			return -1;
		}
		c->zPath = xstrdup(zPath);
		while (fgets(zLine, sizeof(zLine), f)) {
			char zWhy[200];
			char *zEq, *zKey, *zValue, *z = trim(zLine);
			lineNo++;
			if (*z == 0 || *z == '#')
				continue;
			zEq = strchr(z, '=');
			if (!zEq) {
				snprintf(zErr, nErr, "%s:%d: expected `key = value`", zPath, lineNo);
				fclose(f);
				return -1;
			}
			*zEq = 0;
			zKey = trim(z);
			zValue = trim(zEq + 1);
			if (apply_key(c, zKey, zValue, zWhy, sizeof(zWhy))) {
				snprintf(zErr, nErr, "%s:%d: %s", zPath, lineNo, zWhy);
				fclose(f);
				return -1;
			}
		}
		fclose(f);
	}
	if (getenv("VALUERANK_DB") && *getenv("VALUERANK_DB"))
		set_str(&c->zDatabase, getenv("VALUERANK_DB"));
	return 0;
}

void config_free(Config *c)
{
	free(c->zPath);
	free(c->zDatabase);
	free(c->zModels);
	free(c->zTemplates);
	free(c->zStatic);
	free(c->zKeyFile);
	free(c->zSocket);
	free(c->zLogLevel);
	memset(c, 0, sizeof(*c));
}
