/* The daemon's life: load the list, bind the queues, install the hooks, reload, stop. */
#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "collateral.h"
#include "daemon.h"
#include "divert.h"
#include "evlog/evlog.h"
#include "inforce.h"
#include "evlog/evlog_floor.h"
#include "listload.h"
#include "base/log.h"
#include "match/match.h"
#include "worker.h"

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

static const char *
hook_name(int hook)
{
	return hook == CFG_HOOK_FORWARD ? "forward" : hook == CFG_HOOK_LOCAL ? "local" : "both";
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
daemon_serial_floor(
    const struct blockd_config *cfg, struct listload_floor *floor, uint64_t *state_serial)
{
	char err[1024];
	uint8_t digest[64];
	size_t entries;

	memset(floor, 0, sizeof(*floor));
	*state_serial = 0;
	switch (evlog_floor(cfg->log_path, &floor->serial, floor->source, sizeof(floor->source),
	    err, sizeof(err))) {
	case -1:
		log_warnx("serial floor: %s; only state_dir guards against a rollback", err);
		return 0;
	case 0:
		return 0;
	}
	if (accept_last(cfg->state_dir, state_serial, digest, &entries, err, sizeof(err)) == -1)
		log_warnx("serial floor: %s", err);
	if (*state_serial >= floor->serial)
		return 0;
	log_warnx("%s shows serial %" PRIu64 " accepted but %s/rules.serial says %" PRIu64
		  " (0: none): no list below %" PRIu64 " is accepted",
	    floor->source, floor->serial, cfg->state_dir, *state_serial, floor->serial);
	return 1;
}

/* A fresh list in force is recorded as the last accepted (state_dir); ll's result is freed. */
static void
commit(struct blockd *d, struct listload *ll)
{
	char err[1024];

	if (listload_commit(&d->cfg, ll, err, sizeof(err)) == -1)
		log_warnx("list serial %" PRIu64 " is in force but not recorded as accepted: %s",
		    d->serial, err);
	/* What the load took and gave back returns to the system, not kept for the next one. */
	(void)malloc_trim(0);
}

/* Publishes a freshly loaded list; commit() records it afterwards. */
static void
publish(struct blockd *d, struct listload *ll, int reload, long override_uid)
{
	char tl[512] = "";
	const struct rulelist *l = match_list(ll->snap);

	d->serial = l->serial;
	if (d->serial > d->floor.serial) {
		d->floor.serial = d->serial;
		snprintf(d->floor.source, sizeof(d->floor.source), "this appliance");
	}
	/* The public log entry every block of this list ties to. */
	if (ll->res.tlog) {
		strcpy(tl, ", transparency log ");
		tlog_verdict_line(ll->res.tlog, tl + strlen(tl), sizeof(tl) - strlen(tl));
	}
	log_info("list serial %" PRIu64 " in force: %zu entries, %zu orders%s%s", l->serial,
	    l->nentries, l->norders, ll->fresh ? "" : " (last accepted)", tl);
	/* New address entries are staged before the workers see the snapshot. */
	collateral_list(d->coll, ll->snap, ll->fresh, d->log, (int64_t)time(NULL));
	divert_list(d->divert, ll->snap);
	snapref_swap(d->snaps, ll->snap);
	collateral_published(d->coll);
	ll->snap = NULL;
	/* Who skipped max_change or max_serial_jump is part of the record. */
	if (reload && d->log && override_uid >= 0)
		evlog_state(d->log, EVS_RELOAD, d->serial,
		    "list serial %" PRIu64 " accepted with the override, by uid %ld%s", d->serial,
		    override_uid, tl);
	else if (reload && d->log)
		evlog_state(d->log, EVS_RELOAD, d->serial, "list serial %" PRIu64 " accepted%s",
		    d->serial, tl);
	else if (d->log && tl[0])
		evlog_state(d->log, EVS_RELOAD, d->serial, "list serial %" PRIu64 " in force%s",
		    d->serial, tl);
}

/* What start took, after the workers and the IP sets stopped: given back, in reverse order. */
static void
release(struct blockd *d)
{
	divert_close(d->divert);
	d->divert = NULL;
	collateral_close(d->coll);
	d->coll = NULL;
	free(d->workers);
	d->workers = NULL;
	d->nworkers = 0;
	if (d->stopfd != -1)
		close(d->stopfd);
	d->stopfd = -1;
	if (d->log)
		evlog_close(d->log);
	d->log = NULL;
	snapref_destroy(d->snaps);
	d->snaps = NULL;
}

/* The netfilter backend, found by its probes (nft, iptables children) while the list loads. */
struct detect {
	pthread_t tid;
	int started;
	int backend; /* CFG_BACKEND_*, or -1 with err */
	char err[512];
};

static void *
detect_run(void *arg)
{
	struct detect *dt = arg;

	dt->backend = hooks_detect(dt->err, sizeof(dt->err));
	return NULL;
}

/* Starts the probes beside the list load when the backend is "auto"; else nothing to find. */
static void
detect_start(struct detect *dt, int configured)
{
	dt->started = 0;
	dt->backend = configured;
	if (configured != CFG_BACKEND_AUTO)
		return;
	if (pthread_create(&dt->tid, NULL, detect_run, dt) == 0)
		dt->started = 1;
	else
		detect_run(dt); /* no thread: probe in line */
}

static int
detect_join(struct detect *dt, char *err, size_t errlen)
{
	if (dt->started)
		pthread_join(dt->tid, NULL);
	dt->started = 0;
	if (dt->backend == -1)
		snprintf(err, errlen, "%s", dt->err);
	return dt->backend;
}

int
daemon_start(struct blockd *d, char *err, size_t errlen)
{
	struct listload ll;
	struct detect dt;

	memset(&ll, 0, sizeof(ll));
	d->stopfd = -1;
	d->ipset_efd = -1;
	d->nworkers = queue_count(&d->cfg);
	d->snaps = snapref_create(d->nworkers + 1); /* the last slot: the NFLOG listener */
	if (d->snaps == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((d->coll = collateral_open(&d->cfg, d->nworkers, err, errlen)) == NULL)
		goto fail;
	uint64_t state_serial = 0;
	int floor_mismatch = daemon_serial_floor(&d->cfg, &d->floor, &state_serial);
	startprof_mark(&d->prof, "log floor");
	/* Both cores: the backend's probes run while the list is read, verified and indexed. */
	detect_start(&dt, d->cfg.backend);
	if (listload(&d->cfg, LISTLOAD_START, &d->floor, &d->prof, &ll, err, errlen) == -1) {
		char e[512];

		(void)detect_join(&dt, e, sizeof(e));
		listload_done(&ll);
		goto fail;
	}
	if (ll.snap) {
		publish(d, &ll, 0, -1);
		startprof_mark(&d->prof, "published");
	} else {
		log_warnx("no block list in %s/%s and none accepted before in %s: passing all "
			  "traffic until one arrives (then send SIGHUP)",
		    d->cfg.rules_dir, LISTLOAD_FILE, d->cfg.state_dir);
	}

	int backend = detect_join(&dt, err, errlen);
	if (backend == -1)
		goto fail;
	startprof_mark(&d->prof, "backend"); /* what is left of the probes once the list is in */
	log_debug("netfilter backend %s (%s)", backend == CFG_BACKEND_NFT ? "nft" : "iptables",
	    d->cfg.backend == CFG_BACKEND_AUTO ? "detected" : "configured");
	d->spec = (struct hooks_spec){
	    .backend = backend,
	    .hook = d->cfg.hook,
	    .fail_open = d->cfg.failure == CFG_FAIL_OPEN,
	    .qfirst = d->cfg.queue_base,
	    .qlast = d->cfg.queue_base + d->nworkers - 1,
	    .mark = d->cfg.mark,
	    .mark_block = d->cfg.mark_block,
	    .mark_late = d->cfg.mark_late,
	    .mark_hello = d->cfg.mark_hello,
	    .ports = d->cfg.ports,
	    .one_way = d->cfg.paths == CFG_PATHS_ONE,
	    .ip_action = d->cfg.ip_action,
	    .ip_log_rate = d->cfg.ip_log_rate,
	    .nflog_group = d->cfg.nflog_group,
	};

	struct evlog_opts eo;
	evlog_opts_config(&eo, &d->cfg);
	eo.serial = d->serial;
	d->log = evlog_open(&eo);
	if (d->log == NULL) {
		snprintf(
		    err, errlen, "cannot open the enforcement log %s (see above)", d->cfg.log_path);
		goto fail;
	}
	d->divert = divert_open(&d->cfg, d->log, err, errlen);
	if (d->divert == NULL && err[0] != '\0')
		goto fail;
	divert_list(d->divert, snapref_peek(d->snaps));
	if (floor_mismatch)
		evlog_state(d->log, EVS_SERIAL_FLOOR, d->floor.serial,
		    "%s shows serial %" PRIu64 " accepted, %s/rules.serial says %" PRIu64
		    " (0: none): no list below %" PRIu64 " is accepted",
		    d->floor.source, d->floor.serial, d->cfg.state_dir, state_serial,
		    d->floor.serial);
	startprof_mark(&d->prof, "enforcement log");

	d->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->workers = calloc(d->nworkers, sizeof(*d->workers));
	if (d->stopfd == -1 || d->workers == NULL) {
		snprintf(err, errlen, "eventfd/calloc: %s", strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < d->nworkers; i++) {
		if (worker_start(&d->workers[i], i, (uint16_t)(d->cfg.queue_base + i), &d->cfg,
			d->snaps, d->log, d->stopfd, err, errlen) == -1) {
			d->nworkers = i;
			goto fail;
		}
		log_debug("queue %u bound, worker %u started", d->cfg.queue_base + i, i);
	}
	for (unsigned i = 0; i < d->nworkers; i++)
		(void)nfqueue_kstats_read(d->cfg.queue_base + i, &d->kprev[i]);
	startprof_mark(&d->prof, "workers");
	if (inforce_ip_start(d, err, errlen) == -1)
		goto fail;
	startprof_mark(&d->prof, "nflog");
	if (hooks_install(&d->spec, err, errlen) == -1)
		goto fail;
	d->hooks_installed = 1;
	startprof_mark(&d->prof, "rules");
	if (inforce_ip_sync(d, "start", 1) == -1) {
		char e[512];
		snprintf(err, errlen, "cannot load the IP sets (see above)");
		(void)hooks_remove(e, sizeof(e));
		d->hooks_installed = 0;
		goto fail;
	}
	startprof_mark(&d->prof, "ip sets");
	/* Traffic is diverted here only once every hook is in place to judge it. */
	if (divert_run(d->divert, err, errlen) == -1) {
		char e[512];
		(void)hooks_remove(e, sizeof(e));
		d->hooks_installed = 0;
		goto fail;
	}
	divert_health(d->divert, 1, "blockd started");
	startprof_enforcing(&d->prof);
	/* In force: only now is it recorded as the last accepted, off the way to enforcement. */
	commit(d, &ll);
	startprof_mark(&d->prof, "state copy");
	log_info("state start backend=%s hook=%s queues=%u-%u failure=%s",
	    backend == CFG_BACKEND_NFT ? "nft" : "iptables", hook_name(d->cfg.hook), d->spec.qfirst,
	    d->spec.qlast, d->spec.fail_open ? "open" : "closed");
	return 0;
fail:
	listload_done(&ll);
	workers_stop(d);
	inforce_ip_stop(d);
	release(d);
	return -1;
}

/*
 * A reload's list work (read, verify, parse, safeguards, index: about a
 * second of CPU for a million entries) runs in a thread of its own at a
 * lower priority, while the control thread waits for it as before: on a
 * machine with as many cores as workers, the workers judging packets then
 * win the CPU from it, and a reload under load loses no more queries than
 * the same load without one. Raising a thread's own nice value needs no
 * privilege; the thread ends with the load.
 */
#define RELOAD_NICE 10

struct reload_job {
	const struct blockd_config *cfg;
	const struct listload_floor *floor;
	int mode;
	struct listload *ll;
	char *err;
	size_t errlen;
	int rc;
};

static void *
reload_main(void *arg)
{
	struct reload_job *j = arg;

	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), RELOAD_NICE);
	j->rc = listload(j->cfg, j->mode, j->floor, NULL, j->ll, j->err, j->errlen);
	return NULL;
}

/* listload() for a reload, in its low-priority thread (here, if no thread can be made). */
static int
reload_load(struct blockd *d, int mode, struct listload *ll, char *err, size_t errlen)
{
	struct reload_job j = {&d->cfg, &d->floor, mode, ll, err, errlen, -1};
	pthread_t t;

	if (pthread_create(&t, NULL, reload_main, &j) != 0)
		return listload(&d->cfg, mode, &d->floor, NULL, ll, err, errlen);
	pthread_join(t, NULL);
	return j.rc;
}

static int
reload_list(struct blockd *d, int override, unsigned uid, char *err, size_t errlen)
{
	struct listload ll;

	memset(&ll, 0, sizeof(ll)); /* filled by the reload's thread */
	int mode = override ? LISTLOAD_RELOAD_OVERRIDE : LISTLOAD_RELOAD;
	if (reload_load(d, mode, &ll, err, errlen) == -1) {
		log_warnx("reload refused, serial %" PRIu64 " stays in force: %s", d->serial, err);
		evlog_state(d->log, EVS_RELOAD_REFUSED, ll.res.serial ? ll.res.serial : d->serial,
		    "%s", err);
		listload_done(&ll);
		return -1;
	}
	if (ll.same || ll.snap == NULL) {
		log_info("reload: %s", ll.same ? err : "nothing new");
		listload_done(&ll);
		return 0;
	}
	publish(d, &ll, 1, override ? (long)uid : -1);
	commit(d, &ll);
	if (d->hooks_installed)
		(void)inforce_ip_sync(d, "reload", 0);
	return 0;
}

/*
 * The queues' health: packets the kernel dropped, a fail-open queue full,
 * packets a worker missed; a fail-open period is recorded when it begins and
 * when every queued packet is judged again.
 */
static void
queue_health(struct blockd *d)
{
	struct counter_values sum;
	uint64_t missed;
	int full = 0;

	worker_counters_sum(d->workers, d->nworkers, &sum);
	missed = sum.v[CTR_missed];
	for (unsigned i = 0; i < d->nworkers; i++) {
		struct nfqueue_kstats k;
		if (nfqueue_kstats_read(d->cfg.queue_base + i, &k) == -1)
			continue;
		uint32_t dq = k.dropped - d->kprev[i].dropped;
		uint32_t du = k.user_dropped - d->kprev[i].user_dropped;
		if (dq || du)
			log_warnx("queue %" PRIu32 ": the kernel dropped %" PRIu32
				  " packets (queue full) and %" PRIu32
				  " (delivery failed); raise queue_maxlen or rcvbuf_mb",
			    k.queue, dq, du);
		/*
		 * A full fail-open queue passes packets without counting them
		 * anywhere; seeing it full is all the evidence there is.
		 */
		if (k.total >= d->cfg.queue_maxlen && d->cfg.failure == CFG_FAIL_OPEN) {
			log_warnx("fail-open: queue %" PRIu32 " is full (%" PRIu32
				  " packets waiting): new packets pass unjudged",
			    k.queue, k.total);
			full = 1;
		}
		d->kprev[i] = k;
	}
	if (full && !d->failopen) {
		evlog_state(d->log, EVS_FAILOPEN, 0, "a queue is full: packets pass unjudged");
		d->failopen = 1;
	}
	if (missed != d->missed_prev) {
		uint64_t n = missed - d->missed_prev;
		d->missed_prev = missed;
		if (d->cfg.failure == CFG_FAIL_OPEN) {
			log_warnx(
			    "fail-open: %" PRIu64 " packets passed unjudged (queue overrun)", n);
			evlog_state(d->log, EVS_FAILOPEN, 0,
			    "queue overrun: %" PRIu64 " packets passed unjudged", n);
			d->failopen = 1;
		} else {
			log_warnx(
			    "fail-closed: %" PRIu64 " packets dropped unjudged (queue overrun)", n);
		}
	} else if (d->failopen && !full) {
		evlog_state(d->log, EVS_FAILOPEN_CLEARED, 0, "every queued packet judged again");
		d->failopen = 0;
	}
}

void
daemon_check_enforcement(struct blockd *d)
{
	inforce_tick(d);
	queue_health(d);
	divert_health(d->divert, !d->failopen,
	    d->failopen ? "fail-open: packets pass unjudged" : "every queued packet judged again");
}

void
daemon_stop(struct blockd *d)
{
	char err[1024];

	daemon_check_enforcement(d);
	/* The core sends the traffic elsewhere before the rules that judge it go. */
	divert_close(d->divert);
	d->divert = NULL;
	inforce_ip_wait(d); /* the rules go (or stay) with a finished load, not half of one */
	if (d->hooks_installed)
		inforce_ip_report(d);
	if (d->hooks_installed) {
		if (d->cfg.on_stop == CFG_STOP_KEEP) {
			const char *what = d->cfg.failure == CFG_FAIL_OPEN
			    ? "passes unjudged (queue bypass)"
			    : "is dropped";
			log_warnx("state %s rules kept at stop: traffic for the queues %s until "
				  "blockd runs again",
			    d->cfg.failure == CFG_FAIL_OPEN ? "fail-open" : "fail-closed", what);
			if (d->cfg.failure == CFG_FAIL_OPEN)
				evlog_state(d->log, EVS_FAILOPEN, 0,
				    "stopped with rules kept: traffic passes unjudged");
		} else if (hooks_remove(err, sizeof(err)) == -1) {
			log_warnx("removing netfilter rules: %s", err);
		} else {
			log_info("rules removed");
		}
	}
	workers_stop(d);
	inforce_ip_stop(d);
	for (unsigned i = 0; i < d->nworkers; i++) {
		struct counter_values v;
		char line[1024];

		worker_counters_sum(&d->workers[i], 1, &v);
		log_info(
		    "queue %u: %s", d->workers[i].queue, counters_log_line(&v, line, sizeof(line)));
	}
	release(d);
}

/* ---- operations: service manager notifications ---- */

int
daemon_reload(struct blockd *d, int override, unsigned uid, char *err, size_t errlen)
{
	(void)notify_send(&d->notify, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading",
	    notify_now_usec());
	int rc = reload_list(d, override, uid, err, errlen);
	if (rc == 0) {
		d->reloads_ok++;
	} else {
		d->reloads_refused++;
		d->last_refusal_at = (int64_t)time(NULL);
		snprintf(d->last_refusal, sizeof(d->last_refusal), "%s", err);
	}
	daemon_ops_ready(d);
	return rc;
}

void
daemon_ops_ready(struct blockd *d)
{
	if (d->serial)
		(void)notify_send(
		    &d->notify, "READY=1\nSTATUS=enforcing list serial %" PRIu64, d->serial);
	else
		(void)notify_send(&d->notify, "READY=1\nSTATUS=no list: passing all traffic");
}

void
daemon_ops_tick(struct blockd *d)
{
	notify_tick(&d->notify, notify_now_usec());
}

void
daemon_ops_stopping(struct blockd *d)
{
	(void)notify_send(&d->notify, "STOPPING=1\nSTATUS=stopping");
}
