/* The list blockd enforces: accepted from rules_dir or restored from state_dir, as a match snapshot. */
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "accept.h"
#include "allowlist.h"
#include "listload.h"
#include "base/log.h"
#include "match/match.h"
#include "safeguard.h"
#include "startprof.h"

static void
policy_init(const struct blockd_config *cfg, const struct allowlist *allow, int override,
    struct accept_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->keys_dir = cfg->keys_dir;
	p->threshold = cfg->signatures_required;
	p->max_list_bytes = (size_t)cfg->max_list_bytes;
	p->max_change = cfg->max_change;
	p->max_serial_jump = cfg->max_serial_jump;
	p->override = override;
	p->max_validity = (int64_t)cfg->max_validity_days * 86400;
	p->max_skew = cfg->clock_skew;
	p->state_dir = cfg->state_dir;
	p->psl_path = cfg->public_suffix;
	p->allow = allow ? allow->entries : NULL;
	p->nallow = allow ? allow->n : 0;
	p->documentation = cfg->documentation_ranges;
	p->now = (int64_t)time(NULL);
}

static const char *
mode_name(int mode)
{
	switch (mode) {
	case LISTLOAD_START:
		return "start";
	case LISTLOAD_CHECK:
		return "check";
	case LISTLOAD_RELOAD:
		return "reload";
	default:
		return "reload with override";
	}
}

/* -v: what was accepted, and what of it the safeguards left out. */
static void
debug_accepted(const char *what, const struct accept_result *res)
{
	log_debug("%s: serial %" PRIu64 " accepted with %u trusted signature(s): %zu entries "
		  "signed, %zu refused by the safeguards",
	    what, res->serial, res->valid_keys, res->signed_entries, res->report.n);
}

/*
 * The shared-infrastructure lists into p: the curated one (required: without it
 * the safeguard would silently be off) and the operator's additions, if present.
 */
static int
shared_load(const struct blockd_config *cfg, struct allowlist *lists[2], struct accept_policy *p,
    char *err, size_t errlen)
{
	const char *paths[2] = {cfg->shared_infrastructure, cfg->shared_infrastructure_local};
	char why[1024];
	struct stat st;

	if (paths[0][0] == '\0') {
		snprintf(err, errlen,
		    "[blockd] shared_infrastructure: no file named (the package installs %s)",
		    BLOCKD_SHARED_PATH);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		if (paths[i][0] == '\0' || (i == 1 && stat(paths[i], &st) != 0 && errno == ENOENT))
			continue;
		if (allowlist_load(paths[i], &lists[i], why, sizeof(why)) == -1) {
			snprintf(err, errlen, "shared infrastructure: %s", why);
			return -1;
		}
		p->shared[p->nshared].fname = paths[i];
		p->shared[p->nshared].entries = lists[i]->entries;
		p->shared[p->nshared].n = lists[i]->n;
		p->nshared++;
	}
	return 0;
}

/* Logs what the safeguards refused: the rest of the list still applies. */
static void
report_refusals(const struct accept_result *res)
{
	for (size_t i = 0; i < res->report.n; i++)
		log_warnx("%s", res->report.items[i].msg);
}

static int
build(struct accept_result *res, const struct allowlist *allow, struct match_snapshot **out,
    char *err, size_t errlen)
{
	struct rulelist *l = res->list;
	if (match_build(l, allow ? allow->entries : NULL, allow ? allow->n : 0, out, err, errlen) ==
	    -1)
		return -1;
	res->list = NULL; /* the snapshot owns it now */
	return 0;
}

/*
 * The snapshot built from the whole list in a thread of its own while the
 * safeguards check it on this one: both only read it. Entries are seldom
 * refused; when some are, this snapshot is dropped and the list's remainder
 * indexed once more, so what is enforced is always what a build after the
 * safeguards gives.
 */
struct early {
	pthread_t tid;
	int started, rc;
	struct rulelist *list;
	const struct allowlist *allow;
	struct match_snapshot *snap;
	char err[1024];
};

static void *
early_run(void *arg)
{
	struct early *b = arg;

	b->rc = match_build(b->list, b->allow ? b->allow->entries : NULL,
	    b->allow ? b->allow->n : 0, &b->snap, b->err, sizeof(b->err));
	return NULL;
}

/*
 * Safeguards and index for an ACCEPT_NEW result of a deferred check (one
 * thread each); the outcome, with ll->snap built when it is ACCEPT_NEW.
 * -1 with err only when the snapshot cannot be built.
 */
static int
safeguard_and_build(const struct accept_policy *pol, const char *path,
    const struct allowlist *allow, struct startprof *prof, struct listload *ll, int *outcome,
    char *err, size_t errlen)
{
	struct early b = {.list = ll->res.list, .allow = allow, .rc = -1};

	b.started = pthread_create(&b.tid, NULL, early_run, &b) == 0;
	(void)accept_safeguards(pol, path, &ll->res);
	if (b.started)
		pthread_join(b.tid, NULL);
	*outcome = accept_finish(pol, path, &ll->res);
	if (b.started && b.rc == 0 && *outcome == ACCEPT_NEW && ll->res.report.n == 0) {
		ll->snap = b.snap;
		ll->res.list = NULL; /* the snapshot owns it now */
		startprof_mark(prof, "snapshot");
		return 0;
	}
	/* Refused entries, a failed build or no thread: the snapshot after the safeguards. */
	if (b.started && b.rc == 0)
		(void)match_disown(b.snap); /* the list stays res's (or was freed when refused) */
	if (*outcome != ACCEPT_NEW)
		return 0;
	if (build(&ll->res, allow, &ll->snap, err, errlen) == -1)
		return -1;
	startprof_mark(prof, "snapshot");
	return 0;
}

int
listload(const struct blockd_config *cfg, int mode, const struct listload_floor *floor,
    struct startprof *prof, struct listload *ll, char *err, size_t errlen)
{
	struct allowlist *allow = NULL, *shared[2] = {NULL, NULL};
	struct accept_policy pol;
	struct tlog_policy tlog;
	char path[512], why[2048];
	struct stat st;
	int rc = -1;

	memset(ll, 0, sizeof(*ll));
	if (cfg->allowlist[0] && allowlist_load(cfg->allowlist, &allow, err, errlen) == -1)
		return -1;
	if (allow)
		log_debug("allowlist %s: %zu entries", cfg->allowlist, allow->n);
	policy_init(cfg, allow, mode == LISTLOAD_RELOAD_OVERRIDE, &pol);
	pol.restart = mode == LISTLOAD_START || mode == LISTLOAD_CHECK;
	pol.defer_safeguards = 1; /* safeguard_and_build() */
	if (shared_load(cfg, shared, &pol, err, errlen) == -1)
		goto out;
	if (prof != NULL) {
		pol.phase = startprof_mark;
		pol.phase_arg = prof;
		startprof_mark(prof, "allowlists");
	}
	if (cfg->tlog_log_key[0]) {
		if (tlog_policy_parse(cfg->tlog_log_key, cfg->tlog_witnesses,
			cfg->tlog_witnesses_required, &tlog, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "[transparency] %s", why);
			goto out;
		}
		pol.tlog = &tlog;
	}
	if (floor && floor->serial) {
		pol.serial_floor = floor->serial;
		pol.floor_source = floor->source;
	}
	if (snprintf(path, sizeof(path), "%s/%s", cfg->rules_dir, LISTLOAD_FILE) >=
	    (int)sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", cfg->rules_dir);
		goto out;
	}

	int have_new = stat(path, &st) == 0;
	if (have_new) {
		log_debug("%s (%s): checking size, signatures, serial, expiry, change and "
			  "safeguards",
		    path, mode_name(mode));
		int o = accept_check(&pol, path, &ll->res);
		ll->checked = 1;
		if (o == ACCEPT_NEW &&
		    safeguard_and_build(&pol, path, allow, prof, ll, &o, err, errlen) == -1)
			goto out;
		if (o == ACCEPT_NEW) {
			debug_accepted(path, &ll->res);
			report_refusals(&ll->res);
			log_debug("%s: serial %" PRIu64 " ready to enforce", path, ll->res.serial);
			/* The last accepted list again (a restart) is restored, not new. */
			ll->fresh = ll->res.serial != ll->res.last_serial;
			rc = 0;
			goto out;
		}
		if (o == ACCEPT_SAME && mode != LISTLOAD_START && mode != LISTLOAD_CHECK) {
			/* Already in force: nothing to swap. */
			snprintf(err, errlen, "%s: serial %" PRIu64 " is already in force", path,
			    ll->res.serial);
			ll->same = 1;
			rc = 0;
			goto out;
		}
		if (o == ACCEPT_REFUSED) {
			/* Only a starting daemon falls back; a check or reload reports it. */
			if (mode != LISTLOAD_START) {
				accept_explain(&ll->res, pol.threshold, err, errlen);
				goto out;
			}
			accept_explain(&ll->res, pol.threshold, why, sizeof(why));
			log_warnx("%s refused, using the last accepted list: %s", path, why);
		}
		accept_result_free(&ll->res);
		ll->checked = 0;
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	} else if (mode != LISTLOAD_START && mode != LISTLOAD_CHECK) {
		snprintf(err, errlen, "%s: no list there", path);
		goto out;
	}

	/* Start (or -n): the last accepted list, if there is one. */
	log_debug("%s (%s): looking for the last accepted list", cfg->state_dir, mode_name(mode));
	int o = accept_restore(&pol, &ll->res);
	ll->checked = 1;
	if (o == ACCEPT_NEW) {
		char copy[4096];

		accept_state_list(cfg->state_dir, copy, sizeof(copy));
		if (safeguard_and_build(&pol, copy, allow, prof, ll, &o, err, errlen) == -1)
			goto out;
	}
	if (o == ACCEPT_NEW) {
		debug_accepted(cfg->state_dir, &ll->res);
		report_refusals(&ll->res);
		rc = 0;
	} else if (ll->res.serial == 0) {
		rc = 0; /* no list at all yet */
	} else {
		accept_explain(&ll->res, pol.threshold, why, sizeof(why));
		snprintf(err, errlen, "last accepted list in %s: %s", cfg->state_dir, why);
	}
out:
	if (rc == -1 && ll->checked) {
		accept_result_free(&ll->res);
		ll->checked = 0;
	}
	allowlist_free(allow);
	allowlist_free(shared[0]);
	allowlist_free(shared[1]);
	return rc;
}

int
listload_commit(const struct blockd_config *cfg, struct listload *ll, char *err, size_t errlen)
{
	struct accept_policy pol;
	int rc = 0;

	if (ll->fresh) {
		policy_init(cfg, NULL, 0, &pol);
		rc = accept_commit(&pol, &ll->res, err, errlen);
		if (rc == 0)
			log_debug("serial %" PRIu64 " recorded as the last accepted list in %s",
			    ll->res.serial, cfg->state_dir);
	}
	listload_done(ll);
	return rc;
}

void
listload_done(struct listload *ll)
{
	if (ll->checked)
		accept_result_free(&ll->res);
	ll->checked = 0;
	ll->fresh = 0;
}
