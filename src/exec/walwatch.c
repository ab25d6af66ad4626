/*
 * walwatch.c — wake when another connection may have committed.
 *
 * Every commit, by any process on this host, writes the database's
 * write-ahead log. An inotify watch on the database's folder wakes the loop
 * when the "-wal" file is written; the loop then asks the database thread to
 * read PRAGMA data_version (dbthread.c), which tells another connection's
 * commit from this daemon's own. Without inotify the database thread looks
 * every 10 ms instead.
 */
#include "exec/exec_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

int walwatch_open(struct Loop *L, const char *zDbPath)
{
	char zDir[PATH_MAX];
	const char *zSlash = strrchr(zDbPath, '/');
	struct epoll_event ev;
	size_t nDir;
	L->walWatchFd = -1;
	if (zSlash) {
		nDir = (size_t)(zSlash - zDbPath);
		if (nDir == 0)
			nDir = 1; /* the root folder */
		if (nDir >= sizeof(zDir))
			return -1;
		memcpy(zDir, zDbPath, nDir);
		zDir[nDir] = 0;
	} else {
		strcpy(zDir, ".");
	}
	if (snprintf(L->zWalName, sizeof(L->zWalName), "%s-wal", zSlash ? zSlash + 1 : zDbPath) >=
	    (int)sizeof(L->zWalName))
		return -1;
	L->walWatchFd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (L->walWatchFd < 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = L->walWatchFd;
	/* The folder, not the file: the log may not exist yet, or be made anew. */
	if (inotify_add_watch(L->walWatchFd, zDir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0 ||
	    epoll_ctl(L->epollFd, EPOLL_CTL_ADD, L->walWatchFd, &ev) < 0) {
		close(L->walWatchFd);
		L->walWatchFd = -1;
		return -1;
	}
	return 0;
}

int walwatch_drain(struct Loop *L)
{
	/* Aligned as struct inotify_event requires. */
	char aBuf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int touched = 0;
	ssize_t n;
	while ((n = read(L->walWatchFd, aBuf, sizeof(aBuf))) > 0) {
		ssize_t off = 0;
		while (off + (ssize_t)sizeof(struct inotify_event) <= n) {
			const struct inotify_event *e = (const struct inotify_event *)(aBuf + off);
			if (e->len > 0 && strcmp(e->name, L->zWalName) == 0)
				touched = 1;
			off += (ssize_t)sizeof(struct inotify_event) + e->len;
		}
	}
	return touched;
}

void walwatch_close(struct Loop *L)
{
	if (L->walWatchFd >= 0)
		close(L->walWatchFd);
	L->walWatchFd = -1;
}
