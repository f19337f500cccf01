/* What is in force as time passes: a list withdrawn at its expiry, its addresses in the kernel's sets. */
#ifndef BLOCKD_INFORCE_H
#define BLOCKD_INFORCE_H

#include <stddef.h>

struct blockd;

/*
 * IP enforcement. The kernel blocks listed addresses itself (ipset.h sets in
 * table inet blockd, hooks.c chains); user space only rebuilds the sets when
 * the snapshot or the set of orders in force changes, and turns the NFLOG
 * copies of blocked flows' first packets into events. All of it runs on the
 * control thread, but for the netlink transaction of a load (a thread of
 * its own), and keeps its state in struct blockd (ipset_*, nflog).
 */

/* inforce_ip_start(): the NFLOG listener, before the hooks. 0, or -1 with err. */
int inforce_ip_start(struct blockd *, char *err, size_t errlen);
/*
 * inforce_ip_sync(): the kernel's sets rebuilt from the current snapshot in
 * one netlink transaction (only the differences when the sets' contents are
 * known); why names the occasion in the log. The intervals are built here;
 * the transaction runs in a thread of its own unless wait is set, and its
 * result is taken by the tick (or inforce_ip_wait()) once inforce_ip_fd()
 * is readable. Until it commits the kernel enforces the sets it had. With a
 * load under way nothing is started: the tick syncs again after it. Returns
 * 0 (with wait: loaded), or -1 with the reason logged: the kernel keeps the
 * sets it has and the next tick retries.
 */
int inforce_ip_sync(struct blockd *, const char *why, int wait);
/* inforce_ip_fd(): readable once a load finished (for the main loop's poll); -1 before the start. */
int inforce_ip_fd(const struct blockd *);
/* inforce_ip_wait(): waits for a load under way and takes its result. */
void inforce_ip_wait(struct blockd *);
/* inforce_ip_report(): before the rules go, log the kernel's count of blocked flows against NFLOG's. */
void inforce_ip_report(struct blockd *);
/*
 * inforce_ip_stop(): after the workers (stopfd readable): a load under way
 * waited for, the listener stopped, its counters logged.
 */
void inforce_ip_stop(struct blockd *);

/*
 * inforce_tick(): from the control thread's tick. A list past its expiry
 * stops being enforced (logged, and recorded as a list_expired record); staged
 * address entries are measured and decided (collateral_tick()); the
 * kernel's sets are rebuilt when the snapshot changed, an order started or
 * ended, a staged entry is enforced, or the last load failed.
 */
void inforce_tick(struct blockd *);

#endif
