/* The daemon's life: load the list, bind the queues, install the hooks, reload, stop. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "match.h"
#include "worker.h"

void
state_emit(const char *what, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_info("state %s %s", what, buf);
}

int
daemon_load_list(
    const struct blockd_config *cfg, struct match_snapshot **out, char *err, size_t errlen)
{
	(void)cfg;
	(void)err;
	(void)errlen;
	*out = NULL;
	return 0;
}

static unsigned
queue_count(const struct blockd_config *cfg)
{
	unsigned n = cfg->queues;
	if (n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (unsigned)cpus : 1;
	}
	return n > DAEMON_QUEUES_MAX ? DAEMON_QUEUES_MAX : n;
}

static void
workers_stop(struct blockd *d)
{
	uint64_t one = 1;
	if (d->stopfd != -1)
		(void)!write(d->stopfd, &one, sizeof(one));
	for (unsigned i = 0; i < d->nworkers; i++)
		worker_join(&d->workers[i]);
}

int
daemon_start(struct blockd *d, char *err, size_t errlen)
{
	struct match_snapshot *snap = NULL;
	char e[512];

	d->stopfd = -1;
	d->nworkers = queue_count(&d->cfg);
	if (daemon_load_list(&d->cfg, &snap, err, errlen) == -1)
		return -1;
	d->snaps = snapref_create(d->nworkers);
	if (d->snaps == NULL) {
		snprintf(err, errlen, "out of memory");
		match_free(snap);
		return -1;
	}
	if (snap) {
		state_emit("list", "serial=%" PRIu64 " entries=%zu", match_list(snap)->serial,
		    match_list(snap)->nentries);
		snapref_swap(d->snaps, snap);
	} else {
		log_warnx("no block list in %s or %s yet: passing all traffic until one arrives",
		    d->cfg.rules_dir, d->cfg.state_dir);
	}

	int backend = d->cfg.backend;
	if (backend == CFG_BACKEND_AUTO && (backend = hooks_detect(err, errlen)) == -1)
		goto fail;
	d->spec = (struct hooks_spec){
	    .backend = backend,
	    .hook = d->cfg.hook,
	    .fail_open = d->cfg.failure == CFG_FAIL_OPEN,
	    .qfirst = d->cfg.queue_base,
	    .qlast = d->cfg.queue_base + d->nworkers - 1,
	    .mark = d->cfg.mark,
	    .mark_block = d->cfg.mark_block,
	    .first_packets = 8,
	};

	d->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->workers = calloc(d->nworkers, sizeof(*d->workers));
	if (d->stopfd == -1 || d->workers == NULL) {
		snprintf(err, errlen, "eventfd/calloc: %s", strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < d->nworkers; i++) {
		if (worker_start(&d->workers[i], i, (uint16_t)(d->cfg.queue_base + i), &d->cfg,
			d->snaps, d->stopfd, err, errlen) == -1) {
			d->nworkers = i;
			goto fail;
		}
	}
	for (unsigned i = 0; i < d->nworkers; i++)
		(void)nfqueue_kstats_read(d->cfg.queue_base + i, &d->kprev[i]);
	if (hooks_install(&d->spec, err, errlen) == -1)
		goto fail;
	d->hooks_installed = 1;
	state_emit("start", "backend=%s hook=%s queues=%u-%u failure=%s",
	    backend == CFG_BACKEND_NFT ? "nft" : "iptables",
	    d->cfg.hook == CFG_HOOK_FORWARD     ? "forward"
		: d->cfg.hook == CFG_HOOK_LOCAL ? "local"
						: "both",
	    d->spec.qfirst, d->spec.qlast, d->spec.fail_open ? "open" : "closed");
	return 0;
fail:
	workers_stop(d);
	free(d->workers);
	d->workers = NULL;
	d->nworkers = 0;
	if (d->stopfd != -1)
		close(d->stopfd);
	d->stopfd = -1;
	snapref_destroy(d->snaps);
	d->snaps = NULL;
	(void)e;
	return -1;
}

int
daemon_reload(struct blockd *d)
{
	struct match_snapshot *snap = NULL;
	char err[1024];

	if (daemon_load_list(&d->cfg, &snap, err, sizeof(err)) == -1) {
		log_warnx("reload failed, keeping the current list: %s", err);
		return -1;
	}
	if (snap == NULL) {
		log_warnx(
		    "reload: no list found in %s; keeping the current list", d->cfg.rules_dir);
		return -1;
	}
	state_emit("reload", "serial=%" PRIu64 " entries=%zu", match_list(snap)->serial,
	    match_list(snap)->nentries);
	snapref_swap(d->snaps, snap);
	return 0;
}

void
daemon_poll_stats(struct blockd *d)
{
	uint64_t missed = 0;

	for (unsigned i = 0; i < d->nworkers; i++) {
		struct nfqueue_kstats k;
		missed += __atomic_load_n(&d->workers[i].q.c.missed, __ATOMIC_RELAXED);
		if (nfqueue_kstats_read(d->cfg.queue_base + i, &k) == -1)
			continue;
		uint32_t dq = k.dropped - d->kprev[i].dropped;
		uint32_t du = k.user_dropped - d->kprev[i].user_dropped;
		if (dq || du) {
			d->failopen_kernel += dq + du;
			state_emit("overload",
			    "queue=%u queue_full_dropped=%" PRIu32 " delivery_dropped=%" PRIu32,
			    k.queue, dq, du);
		}
		d->kprev[i] = k;
	}
	if (missed != d->missed_prev) {
		state_emit(d->cfg.failure == CFG_FAIL_OPEN ? "fail-open" : "fail-closed",
		    "packets_not_delivered=%" PRIu64 " total=%" PRIu64, missed - d->missed_prev,
		    missed);
		d->missed_prev = missed;
	}
}

void
daemon_stop(struct blockd *d)
{
	char err[1024];

	daemon_poll_stats(d);
	if (d->hooks_installed) {
		if (d->cfg.on_stop == CFG_STOP_KEEP) {
			state_emit(d->cfg.failure == CFG_FAIL_OPEN ? "fail-open" : "fail-closed",
			    "rules kept at stop: queued traffic is %s until blockd runs again",
			    d->cfg.failure == CFG_FAIL_OPEN ? "passed unchecked" : "dropped");
		} else if (hooks_remove(err, sizeof(err)) == -1) {
			log_warnx("removing netfilter rules: %s", err);
		} else {
			state_emit("stop", "rules removed: traffic passes unchecked");
		}
	}
	workers_stop(d);
	for (unsigned i = 0; i < d->nworkers; i++) {
		const struct worker *w = &d->workers[i];
		const struct nfqueue_counters *q = &w->q.c;
		log_info("queue %u: received=%" PRIu64 " accepted=%" PRIu64 " dropped=%" PRIu64
			 " missed=%" PRIu64 " enobufs=%" PRIu64 " verdict_msgs=%" PRIu64
			 " dns_queries=%" PRIu64 " dns_blocked=%" PRIu64 " dns_bad=%" PRIu64
			 " fragments=%" PRIu64 " inject_errors=%" PRIu64,
		    w->queue, q->received, q->accepted, q->dropped, q->missed, q->enobufs,
		    q->verdict_msgs, w->c.dns_queries, w->c.dns_blocked, w->c.dns_bad,
		    w->c.pkt_bad[3], w->c.inject_errors);
	}
	free(d->workers);
	d->workers = NULL;
	d->nworkers = 0;
	if (d->stopfd != -1)
		close(d->stopfd);
	d->stopfd = -1;
	snapref_destroy(d->snaps);
	d->snaps = NULL;
}
