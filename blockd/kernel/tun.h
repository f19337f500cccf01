/* The liveness interface: a TUN device that exists exactly as long as blockd holds it open. */
#ifndef BLOCKD_TUN_H
#define BLOCKD_TUN_H

#include <stddef.h>

/*
 * Routes that a local routing daemon (BIRD) announces "via" this interface
 * are withdrawn when it goes down or away. It is created non-persistent, so
 * the kernel removes it when blockd's descriptor closes: at stop, and also
 * when blockd is killed or crashes, with nothing left to clean up.
 *
 * tun_open(): the interface named name (at most 15 bytes), created and
 * left down. Returns its descriptor (close-on-exec, owned by the caller), or
 * -1 with the reason in err (in use by another process: EBUSY).
 * tun_set_up(): the interface up (up 1) or down (0). Returns 0, or -1 with
 * the reason in err.
 */
int tun_open(const char *name, char *err, size_t errlen);
int tun_set_up(const char *name, int up, char *err, size_t errlen);

#endif
