/* What is in force as time passes: a list withdrawn at its expiry, its addresses in the kernel's sets. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "collateral.h"
#include "daemon.h"
#include "evlog/evlog.h"
#include "inforce.h"
#include "base/log.h"
#include "match/match.h"
#include "kernel/nflog.h"

/*
 * A load of the kernel's sets: the intervals are built on the control thread
 * (when the sets' contents are known, patched from them: one pass over the
 * list's address entries, then only the intervals that changed merged
 * again), the netlink transaction runs in the job's thread, and the control
 * thread takes the result once the thread has written to d->ipset_efd.
 * While it runs the control thread reads nothing the thread writes, and
 * changes nothing it reads (d->ipset_kernel).
 */
struct ipset_job {
	pthread_t tid;
	int threaded; /* tid runs it; else it ran on the control thread */
	atomic_int finished;
	int efd;
	int diff; /* gone and came hold the difference; else flush and refill */
	struct ipset_build new, gone, came;
	struct ipset_gen gen; /* d->ipset_gen, and the thread's result */
	struct ipset_stats st;
	const struct match_snapshot *snap;
	uint64_t serial;
	int64_t built;
	const char *why;
	struct timespec t0; /* when the list was taken */
	/* written by the thread */
	int rc;
	size_t changed;
	long ms;
	char err[1024];
};

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

static void *
load_thread(void *arg)
{
	struct ipset_job *j = arg;
	uint64_t one = 1;

	if (j->diff)
		j->rc = ipset_load_changes(
		    &j->gone, &j->came, &j->new, &j->gen, &j->changed, j->err, sizeof(j->err));
	else
		j->rc = ipset_load(NULL, &j->new, &j->gen, &j->changed, j->err, sizeof(j->err));
	j->ms = ms_since(&j->t0);
	atomic_store_explicit(&j->finished, 1, memory_order_release);
	(void)!write(j->efd, &one, sizeof(one));
	return NULL;
}

/* The job's result taken into d once its thread is done (joined here). 0, or -1 logged. */
static int
load_finish(struct blockd *d)
{
	struct ipset_job *j = d->ipset_job;
	uint64_t v;

	if (j->threaded)
		pthread_join(j->tid, NULL);
	(void)!read(d->ipset_efd, &v, sizeof(v));
	d->ipset_job = NULL;
	ipset_build_free(&j->gone);
	ipset_build_free(&j->came);
	if (j->rc == -1) {
		log_warnx("ip sets (%s): %s; the kernel keeps serial %" PRIu64 "'s sets", j->why,
		    j->err, d->ipset_serial);
		d->ipset_dirty = 1;
		/* Whatever the kernel holds, the retry does not rely on knowing it. */
		ipset_build_free(&d->ipset_kernel);
		d->ipset_known = 0;
		ipset_build_free(&j->new);
		free(j);
		return -1;
	}
	/* What the sets held lends its memory to the next build. */
	ipset_build_free(&d->ipset_spare);
	d->ipset_spare = d->ipset_kernel;
	d->ipset_kernel = j->new;
	d->ipset_known = 1;
	d->ipset_gen = j->gen;
	d->ipset_snap = j->snap;
	d->ipset_serial = j->serial;
	d->ipset_built = j->built;
	d->ipset_dirty = 0;
	d->ipset_st = j->st;
	const struct ipset_stats *st = &j->st;
	log_info("ip sets (%s): serial %" PRIu64 ", %zu entries in force as %zu IPv4 and %zu IPv6 "
		 "intervals, %zu+%zu allowlisted, %s %zu intervals, loaded in %ld ms",
	    j->why, d->ipset_serial, st->entries, st->block4, st->block6, st->allow4, st->allow6,
	    j->diff ? "changed" : "sent", j->changed, j->ms);
	free(j);
	return 0;
}

int
inforce_ip_sync(struct blockd *d, const char *why, int wait)
{
	const struct match_snapshot *s = snapref_peek(d->snaps);
	const struct rulelist *l = s ? match_list(s) : NULL;
	const struct rule_entry *allow = NULL;
	size_t nallow = 0;
	int64_t now = (int64_t)time(NULL);
	struct ipset_job *j;

	if (d->ipset_job) {
		d->ipset_again = 1; /* the tick syncs again once the load under way is done */
		return 0;
	}
	d->ipset_again = 0;
	if (s)
		allow = match_allowlist(s, &nallow);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto oom;
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	const uint8_t *held = collateral_held(d->coll, s);
	j->diff = d->ipset_known;
	if ((j->diff ? ipset_update(&d->ipset_kernel, l, held, allow, nallow, now, &j->new, &j->st,
			   &j->gone, &j->came, &d->ipset_spare)
		     : ipset_build(l, held, allow, nallow, now, &j->new, &j->st)) == -1) {
		free(j);
		goto oom;
	}
	j->efd = d->ipset_efd;
	j->gen = d->ipset_gen;
	j->snap = s;
	j->serial = l ? l->serial : 0;
	j->built = now;
	j->why = why;
	d->ipset_job = j;
	d->ipset_loading = j->serial;
	if (!wait && pthread_create(&j->tid, NULL, load_thread, j) == 0) {
		j->threaded = 1;
		return 0;
	}
	/* At start, or without a thread: the load here, the result taken at once. */
	load_thread(j);
	return load_finish(d);
oom:
	log_warnx("ip sets (%s): out of memory; the kernel keeps serial %" PRIu64 "'s sets", why,
	    d->ipset_serial);
	d->ipset_dirty = 1;
	return -1;
}

int
inforce_ip_fd(const struct blockd *d)
{
	return d->ipset_efd;
}

void
inforce_ip_wait(struct blockd *d)
{
	if (d->ipset_job)
		(void)load_finish(d);
}

/* A new or withdrawn snapshot, or an order starting or ending, rebuilds the sets. */
static void
ip_tick(struct blockd *d)
{
	if (d->ipset_job) {
		if (!atomic_load_explicit(&d->ipset_job->finished, memory_order_acquire))
			return;
		(void)load_finish(d);
	}
	if (!d->hooks_installed)
		return;
	const struct match_snapshot *s = snapref_peek(d->snaps);
	if (s != d->ipset_snap)
		(void)inforce_ip_sync(d, "list changed", 0);
	else if ((int64_t)time(NULL) >= d->ipset_st.next_change)
		(void)inforce_ip_sync(d, "an order started or ended", 0);
	else if (d->ipset_dirty)
		(void)inforce_ip_sync(d, "retry", 0);
	else if (d->ipset_again)
		(void)inforce_ip_sync(d, "asked for during a load", 0);
}

int
inforce_ip_start(struct blockd *d, char *err, size_t errlen)
{
	/* hooks_install() makes the host sets' generation 0. */
	d->ipset_gen = (struct ipset_gen){0, {IPSET_HOSTS_MIN, IPSET_HOSTS_MIN}};
	d->ipset_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->ipset_efd == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
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
	char e[256];
	uint64_t flows;
	if (d->nflog == NULL)
		return;
	if (ipset_counter_packets(&flows, e, sizeof(e)) == -1) {
		log_warnx("ip: cannot read the kernel's count of blocked flows: %s", e);
		return;
	}
	uint64_t got = atomic_load_explicit(&d->nflog->c.received, memory_order_relaxed);
	log_info("ip: %" PRIu64 " new flows blocked in the kernel, %" PRIu64
		 " not logged (over ip_log_rate or lost)",
	    flows, flows > got ? flows - got : 0);
}

/* After the workers: stopfd is already readable. */
void
inforce_ip_stop(struct blockd *d)
{
	inforce_ip_wait(d);
	ipset_build_free(&d->ipset_kernel);
	ipset_build_free(&d->ipset_spare);
	d->ipset_known = 0;
	if (d->ipset_efd != -1)
		close(d->ipset_efd);
	d->ipset_efd = -1;
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
		(void)inforce_ip_sync(d, "observation ended", 0);
	ip_tick(d);
}
