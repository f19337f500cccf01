/* Unit tests for notify.c: datagrams reach path and abstract sockets; the watchdog pings at half its interval. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kernel/notify.h"

/* A listening datagram socket at name ("@..." abstract, else a path); returns its fd. */
static int
listener(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	cr_assert(fd >= 0);
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	else
		len++;
	cr_assert(bind(fd, (struct sockaddr *)&sa,
		      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) == 0);
	return fd;
}

static const char *
take(int fd)
{
	static char buf[600];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

Test(notify, abstract_socket)
{
	char name[64], err[256];
	struct notify n;
	snprintf(name, sizeof(name), "@blockd-notify-test-%d", (int)getpid());
	int fd = listener(name);
	cr_assert_eq(notify_open(&n, name, NULL, NULL, getpid(), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(notify_send(&n, "READY=1\nSTATUS=enforcing list serial %d", 7), 0);
	const char *got = take(fd);
	cr_assert_not_null(got);
	cr_assert_str_eq(got, "READY=1\nSTATUS=enforcing list serial 7");
	notify_close(&n);
	close(fd);
}

Test(notify, path_socket)
{
	char dir[] = "/tmp/notify-test-XXXXXX", path[128], err[256];
	struct notify n;
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	int fd = listener(path);
	cr_assert_eq(notify_open(&n, path, NULL, NULL, getpid(), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(notify_send(&n, "STOPPING=1"), 0);
	cr_assert_str_eq(take(fd), "STOPPING=1");
	notify_close(&n);
	close(fd);
	unlink(path);
	rmdir(dir);
}

Test(notify, unset_is_silent)
{
	char err[256];
	struct notify n, zero;
	cr_assert_eq(notify_open(&n, NULL, "1000000", NULL, getpid(), err, sizeof(err)), 0);
	cr_assert_eq(n.fd, -1);
	cr_assert_eq(notify_send(&n, "READY=1"), 0);
	memset(&zero, 0, sizeof(zero));
	cr_assert_eq(notify_send(&zero, "READY=1"), 0); /* never touches fd 0 */
}

Test(notify, bad_socket_name)
{
	char err[256];
	struct notify n;
	cr_assert_eq(notify_open(&n, "relative/path", NULL, NULL, getpid(), err, sizeof(err)), -1);
	cr_assert(strstr(err, "NOTIFY_SOCKET=relative/path") != NULL, "%s", err);
}

Test(notify, watchdog_at_half_interval)
{
	char name[64], err[256];
	struct notify n;
	snprintf(name, sizeof(name), "@blockd-notify-wd-%d", (int)getpid());
	int fd = listener(name);
	cr_assert_eq(
	    notify_open(&n, name, "1000000", NULL, getpid(), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n.watchdog_usec, 1000000);
	notify_tick(&n, 5000000);
	cr_assert_str_eq(take(fd), "WATCHDOG=1");
	notify_tick(&n, 5000000 + 499999);
	cr_assert_null(take(fd), "pinged before half the interval");
	notify_tick(&n, 5000000 + 500000);
	cr_assert_str_eq(take(fd), "WATCHDOG=1");
	notify_close(&n);
	close(fd);
}

Test(notify, watchdog_for_another_pid)
{
	char name[64], err[256];
	struct notify n;
	snprintf(name, sizeof(name), "@blockd-notify-pid-%d", (int)getpid());
	int fd = listener(name);
	cr_assert_eq(notify_open(&n, name, "1000000", "1", getpid(), err, sizeof(err)), 0);
	cr_assert_eq(n.watchdog_usec, 0);
	notify_tick(&n, 5000000);
	cr_assert_null(take(fd));
	cr_assert_eq(notify_open(&n, name, "junk", NULL, getpid(), err, sizeof(err)), 0);
	cr_assert_eq(n.watchdog_usec, 0);
	notify_close(&n);
	close(fd);
}
