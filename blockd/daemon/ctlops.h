/* The daemon's answers to blockctl: status, reload, lookup and stats over the control socket. */
#ifndef BLOCKD_CTLOPS_H
#define BLOCKD_CTLOPS_H

#include <stdint.h>

#include "ctl.h"

/* The operations ctl_serve() calls; ctx is the struct blockd. Run on the main thread only. */
extern const struct ctl_ops ctlops;

/*
 * ctlops_started(): remember when the daemon started, for uptime. The
 * daemon's own state is read directly from the struct blockd.
 */
void ctlops_started(int64_t now);

#endif
