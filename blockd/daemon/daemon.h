/* The daemon's life: load the list, bind the queues, install the hooks, reload, stop. */
#ifndef BLOCKD_DAEMON_H
#define BLOCKD_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "kernel/hooks.h"
#include "kernel/ipset.h"
#include "kernel/nfq.h"
#include "kernel/notify.h"
#include "listload.h"
#include "startprof.h"

#define DAEMON_QUEUES_MAX 64

struct worker;
struct snapref;
struct evlog;
struct nflog;
struct match_snapshot;
struct collateral;
struct ipset_job;
struct divert;

struct blockd {
	struct blockd_config cfg;
	struct snapref *snaps;
	struct evlog *log;
	struct worker *workers;
	unsigned nworkers;
	int stopfd;
	int hooks_installed;
	struct hooks_spec spec;
	uint64_t serial;             /* list serial in force, 0 for none */
	struct listload_floor floor; /* no list below it: the log's, then every serial in force */
	struct nfqueue_kstats kprev[DAEMON_QUEUES_MAX];
	uint64_t missed_prev;
	int failopen; /* a fail-open period is in progress (packets went unjudged) */

	/* IP enforcement: the kernel's sets and the NFLOG listener (inforce.c inforce_ip_*) */
	struct nflog *nflog;
	const struct match_snapshot *ipset_snap; /* snapshot the sets were built from */
	uint64_t ipset_serial;                   /* its serial, 0 for none */
	int64_t ipset_built;                     /* when (UTC seconds), 0 never */
	int ipset_dirty;                         /* the last load failed: retry on the tick */
	struct ipset_stats ipset_st;
	struct collateral *coll;         /* new address entries observed before they are enforced */
	struct ipset_build ipset_kernel; /* what the sets hold, when ipset_known */
	int ipset_known;                 /* so a reload sends only the differences */
	struct ipset_build ipset_spare;  /* the build before: its memory reused by the next */
	struct ipset_gen ipset_gen;      /* the host sets' generation in the kernel */
	struct ipset_job *ipset_job;     /* a load under way in its thread, NULL for none */
	uint64_t ipset_loading;          /* the serial it loads (with ipset_job) */
	int ipset_efd;                   /* eventfd: a load finished (polled by the main loop) */
	int ipset_again;                 /* a sync was asked for while a load ran */
	struct divert *divert;           /* the divert set and BIRD ([divert]), NULL when off */

	struct startprof prof; /* the start, step by step (startprof_mark() from main() on) */

	/* operations: service manager, rules_dir watch, metrics (daemon.c's ops_ functions) */
	struct notify notify;
	uint64_t reloads_ok, reloads_refused;
	int64_t last_refusal_at; /* 0: none since start */
	char last_refusal[1024]; /* why the last refused reload was refused */
};

/*
 * daemon_start(): the list and its snapshot first, then the enforcement log,
 * the queues and their workers, and only then the hooks, so no packet is
 * queued before a worker can judge it. Returns 0, or -1 with err
 * (everything started is stopped again).
 */
int daemon_start(struct blockd *, char *err, size_t errlen);
/*
 * daemon_serial_floor(): the highest serial the enforcement log shows
 * accepted, into floor (serial 0: none). 1 when state_dir's last accepted
 * serial (*state_serial, 0 for none) is lower, which is logged; else 0.
 */
int daemon_serial_floor(
    const struct blockd_config *, struct listload_floor *floor, uint64_t *state_serial);
/*
 * daemon_reload(): a new snapshot from rules_dir, or the old one kept and the
 * reason logged (and recorded). override accepts a change above max_change or a
 * serial jump above max_serial_jump; uid (who asked) is then recorded with it.
 * Returns 0, or -1 with the reason in err.
 */
int daemon_reload(struct blockd *, int override, unsigned uid, char *err, size_t errlen);
/*
 * daemon_check_enforcement(): the control thread's tick (each time round the
 * main loop, at least once a second) and once more at stop. What is in force
 * kept current (inforce_tick(): list expiry, the kernel's IP sets as orders
 * start and end), then the queues' health: kernel drops logged, fail-open
 * periods recorded when packets go unjudged and when that ends.
 */
void daemon_check_enforcement(struct blockd *);
/*
 * daemon_ops_*: the service manager's view. ready: READY=1 and STATUS= with
 * the serial (after start and after each reload); tick: the watchdog, from
 * the main loop; stopping: STOPPING=1.
 */
void daemon_ops_ready(struct blockd *);
void daemon_ops_tick(struct blockd *);
void daemon_ops_stopping(struct blockd *);
/* daemon_stop(): hooks removed (or kept per on_stop, and recorded), workers stopped, counters logged. */
void daemon_stop(struct blockd *);

#endif
