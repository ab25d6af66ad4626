/* config.h — valuerank.conf: `key = value` lines shared by every ValueRank program. */
#ifndef VR_CONFIG_H
#define VR_CONFIG_H

#include <stddef.h>

typedef struct Config {
	char *zPath;            /* the file read, or NULL when defaults only */
	char *zDatabase;        /* database */
	char *zModels;          /* models (models.json) */
	char *zTemplates;       /* templates (folder of *.mustache) */
	char *zStatic;          /* static (folder nginx serves at /static/) */
	char *zKeyFile;         /* key_file: NAME=value lines with provider keys, or NULL */
	char *zSocket;          /* web_socket: the FastCGI unix socket */
	int nWebWorkers;        /* web_workers */
	int sessionIdleMinutes; /* session_idle_minutes */
	int sessionMaxHours;    /* session_max_hours */
	int secureCookies;      /* secure_cookies: -1 auto (from HTTPS), 0 off, 1 on */
	double budgetUsd;       /* budget_usd: advisor warning threshold; 0 none */
	int maxInFlight;        /* executor_max_in_flight */
	int heartbeatOfflineS;  /* executor_offline_after_s */
	char *zLogLevel;        /* log_level: debug|info|warn|error */
} Config;

/*
 * Load defaults, then the file zPath (NULL: $VALUERANK_CONFIG, else the
 * installed sysconfdir/valuerank/valuerank.conf when it exists),
 * then $VALUERANK_DB. Returns 0, or -1 with "FILE:LINE: problem" in zErr for
 * an unreadable file, an unknown key or a bad value. Free with config_free().
 */
int config_load(Config *c, const char *zPath, char *zErr, size_t nErr);
void config_free(Config *c);
/* Replace the database path (from --db). */
void config_set_database(Config *c, const char *zPath);

#endif
