/* Service manager notifications (the sd_notify datagram protocol) without libsystemd. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end != '\0')
		return -1;
	*v = x;
	return 0;
}

int
notify_open(struct notify *n, const char *sock, const char *watchdog_usec, const char *watchdog_pid,
    pid_t self, char *err, size_t errlen)
{
	size_t len;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (sock == NULL || sock[0] == '\0')
		return 0;
	len = strlen(sock);
	if ((sock[0] != '/' && sock[0] != '@') || len >= sizeof(n->sa.sun_path) || len < 2) {
		snprintf(
		    err, errlen, "NOTIFY_SOCKET=%s: not a socket path or @abstract name", sock);
		return -1;
	}
	n->sa.sun_family = AF_UNIX;
	memcpy(n->sa.sun_path, sock, len);
	if (sock[0] == '@')
		n->sa.sun_path[0] = '\0'; /* abstract: no terminating NUL counted */
	n->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (sock[0] == '/'));

	uint64_t pid = 0;
	int for_self = watchdog_pid == NULL || watchdog_pid[0] == '\0' ||
	    (parse_u64(watchdog_pid, &pid) == 0 && pid == (uint64_t)self);
	/* Unset, unparsable or meant for another process: no watchdog. */
	if (!for_self || parse_u64(watchdog_usec, &n->watchdog_usec) == -1)
		n->watchdog_usec = 0;

	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd == -1) {
		snprintf(err, errlen, "NOTIFY_SOCKET=%s: socket: %s", sock, strerror(errno));
		return -1;
	}
	return 0;
}

int
notify_send(struct notify *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (n->fd <= 0 || n->salen == 0)
		return 0; /* never opened (a zeroed struct) or no service manager */
	va_start(ap, fmt);
	int len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(msg)) {
		errno = EMSGSIZE;
		return -1;
	}
	if (sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL, (struct sockaddr *)&n->sa, n->salen) !=
	    len)
		return -1;
	return 0;
}

uint64_t
notify_now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void
notify_tick(struct notify *n, uint64_t now_usec)
{
	if (n->watchdog_usec == 0)
		return;
	if (n->last_ping_usec != 0 && now_usec - n->last_ping_usec < n->watchdog_usec / 2)
		return;
	if (notify_send(n, "WATCHDOG=1") == 0)
		n->last_ping_usec = now_usec;
}

void
notify_close(struct notify *n)
{
	if (n->fd > 0)
		close(n->fd);
	n->fd = -1;
}
