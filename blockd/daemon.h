/* The daemon's life: load the list, bind the queues, install the hooks, reload, stop. */
#ifndef BLOCKD_DAEMON_H
#define BLOCKD_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hooks.h"
#include "nfq.h"

#define DAEMON_QUEUES_MAX 64

struct worker;
struct snapref;
struct match_snapshot;

struct blockd {
	struct blockd_config cfg;
	struct snapref *snaps;
	struct worker *workers;
	unsigned nworkers;
	int stopfd;
	int hooks_installed;
	struct hooks_spec spec;
	struct nfqueue_kstats kprev[DAEMON_QUEUES_MAX];
	uint64_t missed_prev;
	uint64_t failopen_kernel; /* packets the kernel passed or dropped without us */
};

/*
 * daemon_load_list(): verifies and loads the list in cfg.rules_dir (falling
 * back to the last accepted one in state_dir) and builds a match snapshot.
 * Returns 0 with *out set (NULL when there is no list at all yet, which is
 * not an error), or -1 with exactly why in err.
 */
int daemon_load_list(
    const struct blockd_config *, struct match_snapshot **out, char *err, size_t errlen);

/*
 * daemon_start(): snapshot first, then the queues and their workers, then
 * the hooks, so no packet is queued before a worker can judge it. Returns 0,
 * or -1 with err (everything started is stopped again).
 */
int daemon_start(struct blockd *, char *err, size_t errlen);
/* daemon_reload(): a new snapshot, or the old one kept and the reason logged. Returns 0 or -1. */
int daemon_reload(struct blockd *);
/* daemon_poll_stats(): reads the kernel's queue counters and logs every fail-open moment. */
void daemon_poll_stats(struct blockd *);
/* daemon_stop(): hooks removed (or kept per on_stop, and said so), workers stopped, counters logged. */
void daemon_stop(struct blockd *);

/* state_emit(): a state record (start, stop, reload, fail-open) for the enforcement log. */
void state_emit(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
