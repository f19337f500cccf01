/* The rules directory watched: a list or signature put in place triggers a reload once writes settle. */
#ifndef BLOCKD_WATCH_H
#define BLOCKD_WATCH_H

#include <stddef.h>

#define WATCH_DEBOUNCE_MS 200 /* quiet time after the last change before reloading */

struct watch {
	int ifd; /* inotify on the directory */
	int tfd; /* timerfd: the debounce */
	int armed;
};

/*
 * watch_relevant(): 1 for the names a list update consists of ("blocklist",
 * "blocklist.minisig", "blocklist.minisig.N"); dot-files, editor and
 * temporary files are 0. Pure.
 */
int watch_relevant(const char *name);
/* watch_open(): inotify on dir and the debounce timer. Returns 0, or -1 with err (w's fds -1). */
int watch_open(struct watch *w, const char *dir, char *err, size_t errlen);
/* watch_changed(): drains the inotify events (ifd readable); a relevant one (re)arms the timer. */
void watch_changed(struct watch *w);
/* watch_due(): the timer fired (tfd readable): returns 1 when a reload is due, then disarms. */
int watch_due(struct watch *w);
void watch_close(struct watch *w);

#endif
