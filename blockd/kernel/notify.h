/* Service manager notifications (the sd_notify datagram protocol) without libsystemd. */
#ifndef BLOCKD_NOTIFY_H
#define BLOCKD_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

struct notify {
	int fd; /* -1: no service manager listening, every call is a no-op */
	struct sockaddr_un sa;
	socklen_t salen;
	uint64_t watchdog_usec; /* 0: no watchdog */
	uint64_t last_ping_usec;
};

/*
 * notify_open(): from the values of $NOTIFY_SOCKET, $WATCHDOG_USEC and
 * $WATCHDOG_PID (each may be NULL); a path or an abstract name ("@name").
 * The watchdog applies only when WATCHDOG_PID is unset or is self.
 * Returns 0 (n->fd -1 when socket is NULL or empty), or -1 with err.
 */
int notify_open(struct notify *n, const char *socket, const char *watchdog_usec,
    const char *watchdog_pid, pid_t self, char *err, size_t errlen);
/* notify_send(): one datagram of "KEY=value" lines. Returns 0, or -1 (errno) when it was not sent. */
int notify_send(struct notify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* notify_tick(): WATCHDOG=1 once half the watchdog interval passed since the last one (now: monotonic µs). */
void notify_tick(struct notify *n, uint64_t now_usec);
/* notify_now_usec(): CLOCK_MONOTONIC in µs, the clock the service manager uses. */
uint64_t notify_now_usec(void);
void notify_close(struct notify *n);

#endif
