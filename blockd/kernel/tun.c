/* The liveness interface: a TUN device that exists exactly as long as blockd holds it open. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tun.h"

int
tun_open(const char *name, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd;

	if (strlen(name) == 0 || strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "interface name \"%s\": 1 to %d bytes", name, IFNAMSIZ - 1);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	/* No packet is ever routed into it: BIRD only needs it to exist and be up. */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "interface %s: %s%s", name, strerror(errno),
		    errno == EBUSY ? " (another process holds it)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

int
tun_set_up(const char *name, int up, char *err, size_t errlen)
{
	struct ifreq ifr;
	int s, rc = -1;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "interface %s: %s", name, strerror(errno));
		goto out;
	}
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		snprintf(
		    err, errlen, "interface %s %s: %s", name, up ? "up" : "down", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(s);
	return rc;
}
