/* Sandbox: a seccomp allow-list for the daemon and the nft/iptables children it spawns. */
#ifndef BLOCKD_SANDBOX_H
#define BLOCKD_SANDBOX_H

#include <stddef.h>

/*
 * sandbox_apply(): installs the filter on every thread of the process (TSYNC)
 * and, as filters survive execve, on every child spawned later. A system call
 * off the list fails with EPERM and is logged by the kernel (audit), rather
 * than killing the process: a list too short for some nft or iptables version
 * shows up as a failed reload with a log line, not as a dead daemon that
 * leaves the queues without a reader. Needs no_new_privs set first.
 * Returns 0, or -1 with err.
 */
int sandbox_apply(char *err, size_t errlen);

#endif
