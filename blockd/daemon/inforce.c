/* What is in force as time passes: a list withdrawn at its expiry, its addresses in the kernel's sets. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "collateral.h"
#include "daemon.h"
#include "evlog/evlog.h"
#include "inforce.h"
#include "base/log.h"
#include "match/match.h"
#include "kernel/nfcmd.h"
#include "kernel/nflog.h"

int
inforce_ip_sync(struct blockd *d, const char *why)
{
	const struct match_snapshot *s = snapref_peek(d->snaps);
	const struct rulelist *l = s ? match_list(s) : NULL;
	const struct rule_entry *allow = NULL;
	size_t nallow = 0, len = 0;
	char *text = NULL, err[1024];
	struct ipset_stats st;
	struct timespec t0, t1;
	int64_t now = (int64_t)time(NULL);

	if (s)
		allow = match_allowlist(s, &nallow);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ipset_text(l, collateral_held(d->coll, s), allow, nallow, now, &text, &len, &st) ==
	    -1) {
		log_warnx("ip sets (%s): out of memory; the kernel keeps serial %" PRIu64 "'s sets",
		    why, d->ipset_serial);
		d->ipset_dirty = 1;
		return -1;
	}
	int rc = ipset_load(text, len, err, sizeof(err));
	free(text);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == -1) {
		log_warnx("ip sets (%s): nft -f: %s; the kernel keeps serial %" PRIu64 "'s sets",
		    why, err, d->ipset_serial);
		d->ipset_dirty = 1;
		return -1;
	}
	d->ipset_snap = s;
	d->ipset_serial = l ? l->serial : 0;
	d->ipset_built = now;
	d->ipset_dirty = 0;
	d->ipset_st = st;
	log_info("ip sets (%s): serial %" PRIu64 ", %zu entries in force as %zu IPv4 and %zu IPv6 "
		 "intervals, %zu+%zu allowlisted, loaded in %ld ms",
	    why, d->ipset_serial, st.entries, st.block4, st.block6, st.allow4, st.allow6,
	    (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return 0;
}

/* A new or withdrawn snapshot, or an order starting or ending, rebuilds the sets. */
static void
ip_tick(struct blockd *d)
{
	if (!d->hooks_installed)
		return;
	const struct match_snapshot *s = snapref_peek(d->snaps);
	if (s != d->ipset_snap)
		(void)inforce_ip_sync(d, "list changed");
	else if ((int64_t)time(NULL) >= d->ipset_st.next_change)
		(void)inforce_ip_sync(d, "an order started or ended");
	else if (d->ipset_dirty)
		(void)inforce_ip_sync(d, "retry");
}

int
inforce_ip_start(struct blockd *d, char *err, size_t errlen)
{
	d->nflog = calloc(1, sizeof(*d->nflog));
	if (d->nflog == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (nflog_start(d->nflog, d->cfg.nflog_group,
		d->cfg.ip_action == CFG_IP_DROP ? EV_DROP : EV_REJECT, d->snaps, d->nworkers,
		d->log, d->stopfd, err, errlen) == -1) {
		free(d->nflog);
		d->nflog = NULL;
		return -1;
	}
	return 0;
}

/*
 * Before the rules go: the kernel's count of new blocked flows; those it
 * did not log (ip_log_rate) are the difference to what NFLOG delivered.
 */
void
inforce_ip_report(struct blockd *d)
{
	char out[1024], e[256];
	uint64_t flows;
	char *const argv[] = {"nft", "list", "counter", "inet", HOOKS_TABLE, "ip_new", NULL};
	if (d->nflog == NULL || nfcmd_run(argv, NULL, out, sizeof(out), e, sizeof(e)) != 0 ||
	    ipset_counter_packets(out, &flows) == -1)
		return;
	uint64_t got = atomic_load_explicit(&d->nflog->c.received, memory_order_relaxed);
	log_info("ip: %" PRIu64 " new flows blocked in the kernel, %" PRIu64
		 " not logged (over ip_log_rate or lost)",
	    flows, flows > got ? flows - got : 0);
}

/* After the workers: stopfd is already readable. */
void
inforce_ip_stop(struct blockd *d)
{
	if (d->nflog == NULL)
		return;
	nflog_stop(d->nflog);
	const struct nflog_counters *c = &d->nflog->c;
	log_info("nflog group %u: received=%" PRIu64 " events=%" PRIu64 " unmatched=%" PRIu64
		 " bad=%" PRIu64 " lost=%" PRIu64,
	    d->nflog->group, atomic_load_explicit(&c->received, memory_order_relaxed),
	    atomic_load_explicit(&c->events, memory_order_relaxed),
	    atomic_load_explicit(&c->unmatched, memory_order_relaxed),
	    atomic_load_explicit(&c->bad, memory_order_relaxed),
	    atomic_load_explicit(&c->lost, memory_order_relaxed));
	free(d->nflog);
	d->nflog = NULL;
}

/* A list past its expiry is stale: it stops being enforced, and that is recorded. */
static void
check_expiry(struct blockd *d)
{
	const struct match_snapshot *s = snapref_peek(d->snaps);
	if (s == NULL)
		return;
	const struct rulelist *l = match_list(s);
	if (l->expires > (int64_t)time(NULL))
		return;
	log_warnx("list serial %" PRIu64 " expired: nothing is enforced until a newer list "
		  "arrives",
	    l->serial);
	evlog_state(
	    d->log, EVS_LIST_EXPIRED, l->serial, "list serial %" PRIu64 " expired", l->serial);
	snapref_swap(d->snaps, NULL);
}

void
inforce_tick(struct blockd *d)
{
	check_expiry(d);
	/* A staged address entry whose window ended and is enforced joins the kernel's sets. */
	if (collateral_tick(d->coll, snapref_peek(d->snaps), d->log, (int64_t)time(NULL)) &&
	    d->hooks_installed)
		(void)inforce_ip_sync(d, "observation ended");
	ip_tick(d);
}
