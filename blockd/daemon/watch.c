/* The rules directory watched: a list or signature put in place triggers a reload once writes settle. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "listload.h"
#include "base/log.h"
#include "watch.h"

int
watch_relevant(const char *name)
{
	static const char sig[] = LISTLOAD_FILE ".minisig";
	size_t n = strlen(LISTLOAD_FILE);

	if (strcmp(name, LISTLOAD_FILE) == 0 || strcmp(name, sig) == 0)
		return 1;
	/* blocklist.minisig.2, .3, ...: further signatures, digits only */
	n = sizeof(sig) - 1;
	if (strncmp(name, sig, n) != 0 || name[n] != '.' || name[n + 1] == '\0')
		return 0;
	for (const char *p = name + n + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

int
watch_open(struct watch *w, const char *dir, char *err, size_t errlen)
{
	w->armed = 0;
	w->tfd = -1;
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd == -1) {
		snprintf(err, errlen, "inotify: %s", strerror(errno));
		return -1;
	}
	/* Written in place (close after write) or renamed into place. */
	if (inotify_add_watch(w->ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) == -1) {
		snprintf(err, errlen, "%s: inotify watch: %s", dir, strerror(errno));
		goto fail;
	}
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->tfd == -1) {
		snprintf(err, errlen, "timerfd: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	watch_close(w);
	return -1;
}

void
watch_changed(struct watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;
	int relevant = 0;

	while ((len = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			/* Events lost (overflow): assume the list changed. */
			if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 && watch_relevant(ev->name)))
				relevant = 1;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (!relevant)
		return;
	/* Each change restarts the quiet period: a list and its signature arrive as one update. */
	struct itimerspec its = {.it_value = {.tv_nsec = WATCH_DEBOUNCE_MS * 1000000L}};
	if (timerfd_settime(w->tfd, 0, &its, NULL) == -1)
		log_warn("rules directory watch: timerfd");
	else
		w->armed = 1;
}

int
watch_due(struct watch *w)
{
	uint64_t n;
	if (read(w->tfd, &n, sizeof(n)) != sizeof(n) || !w->armed)
		return 0;
	w->armed = 0;
	return 1;
}

void
watch_close(struct watch *w)
{
	if (w->ifd != -1)
		close(w->ifd);
	if (w->tfd != -1)
		close(w->tfd);
	w->ifd = w->tfd = -1;
}
