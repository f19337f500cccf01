/* The daemon's answers to blockctl: status, reload, lookup and stats over the control socket. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "collateral.h"
#include "ctlops.h"
#include "divert.h"
#include "daemon.h"
#include "evlog/evlog.h"
#include "base/json.h"
#include "match/match.h"
#include "rulefmt.h"
#include "worker.h"

#define CTL_JSON_MAX (256 * 1024)

static int64_t started;

void
ctlops_started(int64_t now)
{
	started = now;
}

/*
 * Is addr in the kernel's block set? The sets hold exactly what the snapshot
 * they were built from blocked at build time (ipset.h), so that answers it
 * without dumping a set of a million elements through nft. Returns 1, 0,
 * or -1 when the sets were built from another list than the one in force
 * (a reload under way, or a load nft refused).
 */
static int
kernel_set_has(
    const struct blockd *d, const struct match_snapshot *s, int family, const uint8_t *addr)
{
	struct match_hit h;
	if (!d->hooks_installed || s != d->ipset_snap || d->ipset_dirty)
		return -1;
	if (s == NULL)
		return 0;
	if (match_addr(s, family, addr, d->ipset_built, &h) != MATCH_BLOCK)
		return 0;
	/* A staged entry (observed or held) is kept out of the sets. */
	const uint8_t *held = collateral_held(d->coll, s);
	return held == NULL || !((held[h.entry / 8] >> (h.entry % 8)) & 1);
}

static void
jbuf_print(struct jbuf *j, FILE *out)
{
	if (j->overflow)
		fputs("{\"error\":\"answer too large\"}\n", out);
	else
		fprintf(out, "%.*s\n", (int)j->len, j->p);
}

static void
time_fmt(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
op_status(void *ctx, int json, FILE *out)
{
	struct blockd *d = ctx;
	const struct match_snapshot *s = snapref_peek(d->snaps);
	const struct rulelist *l = s ? match_list(s) : NULL;
	int64_t now = (int64_t)time(NULL);
	size_t counts[RULE_NTYPES] = {0}, observing, held;
	struct counter_values sum;
	uint64_t missed;
	char t[32];

	if (s)
		match_counts(s, counts);
	collateral_counts(d->coll, &observing, &held);
	worker_counters_sum(d->workers, d->nworkers, &sum);
	missed = sum.v[CTR_missed];
	if (json) {
		static char mem[CTL_JSON_MAX];
		struct jbuf j;
		jbuf_init(&j, mem, sizeof(mem));
		jbuf_open(&j);
		jbuf_kstr(&j, "version", BLOCKD_VERSION);
		jbuf_kint(&j, "uptime", now - started);
		jbuf_kbool(&j, "failing_open", d->failopen);
		jbuf_kuint(&j, "queues", d->nworkers);
		jbuf_kuint(&j, "queue_first", d->spec.qfirst);
		jbuf_kuint(&j, "packets_missed", missed);
		jbuf_kobj(&j, "collateral");
		jbuf_kuint(&j, "observing", observing);
		jbuf_kuint(&j, "held", held);
		jbuf_close(&j);
		if (d->last_refusal_at) {
			jbuf_kobj(&j, "last_refusal");
			jbuf_kint(&j, "time", d->last_refusal_at);
			jbuf_kstr(&j, "reason", d->last_refusal);
			jbuf_close(&j);
		}
		if (d->hooks_installed) {
			jbuf_kobj(&j, "ip_sets");
			jbuf_kuint(&j, "serial", d->ipset_serial);
			jbuf_kbool(&j, "loading", d->ipset_job != NULL);
			if (d->ipset_job)
				jbuf_kuint(&j, "loading_serial", d->ipset_loading);
			jbuf_kbool(&j, "failed", d->ipset_dirty);
			jbuf_close(&j);
		}
		if (l) {
			jbuf_kobj(&j, "list");
			jbuf_kuint(&j, "serial", l->serial);
			jbuf_kstr(&j, "issuer", l->issuer);
			jbuf_kint(&j, "expires", l->expires);
			jbuf_kobj(&j, "entries");
			for (int i = RULE_NONE + 1; i < RULE_NTYPES; i++)
				jbuf_kuint(&j, rule_types[i].name, counts[i]);
			jbuf_close(&j);
			jbuf_kobj(&j, "orders");
			for (size_t i = 0; i < l->norders; i++) {
				jbuf_kobj(&j, l->orders[i].ref);
				jbuf_kstr(&j, "service", l->orders[i].service);
				jbuf_kint(&j, "not_after", l->orders[i].not_after);
				jbuf_kbool(&j, "in_force", rule_order_active(&l->orders[i], now));
				jbuf_close(&j);
			}
			jbuf_close(&j);
			jbuf_close(&j);
		}
		startprof_json(&d->prof, &j);
		jbuf_close(&j);
		jbuf_print(&j, out);
		return 0;
	}
	fprintf(out, "blockd %s, up %" PRId64 " s\n", BLOCKD_VERSION, now - started);
	if (d->last_refusal_at) {
		time_fmt(d->last_refusal_at, t, sizeof(t));
		fprintf(out, "last reload refused at %s: %s\n", t, d->last_refusal);
	}
	if (l) {
		time_fmt(l->expires, t, sizeof(t));
		fprintf(out, "list: serial %" PRIu64 " from %s, expires %s%s\n", l->serial,
		    l->issuer, t, l->expires <= now ? " (EXPIRED)" : "");
		fputs("entries:", out);
		for (int i = RULE_NONE + 1; i < RULE_NTYPES; i++)
			fprintf(out, "%s %zu %s", i > RULE_NONE + 1 ? "," : "", counts[i],
			    rule_types[i].label);
		fputc('\n', out);
		for (size_t i = 0; i < l->norders; i++) {
			time_fmt(l->orders[i].not_after, t, sizeof(t));
			fprintf(out, "order %s (%s): until %s%s\n", l->orders[i].ref,
			    l->orders[i].service, t,
			    rule_order_active(&l->orders[i], now) ? "" : ", not in force");
		}
		if (observing || held)
			fprintf(out,
			    "address entries: %zu under observation, %zu held for the services "
			    "they "
			    "also carry (blockctl collateral)\n",
			    observing, held);
	} else {
		fprintf(out, "list: none; all traffic passes\n");
	}
	if (d->hooks_installed) {
		fprintf(out, "ip sets: serial %" PRIu64 " in the kernel", d->ipset_serial);
		if (d->ipset_job)
			fprintf(out, ", serial %" PRIu64 " loading", d->ipset_loading);
		else if (d->ipset_dirty)
			fputs(", the last load failed (retried every second)", out);
		fputc('\n', out);
	}
	fprintf(out, "queues: %u from %u, %" PRIu64 " packets missed; %s\n", d->nworkers,
	    d->spec.qfirst, missed,
	    d->failopen ? "FAILING OPEN: packets pass unjudged" : "enforcing");
	return 0;
}

static int
op_reload(void *ctx, int override, unsigned uid, int json, FILE *out)
{
	struct blockd *d = ctx;
	char err[2048];
	int rc = daemon_reload(d, override, uid, err, sizeof(err));

	if (json) {
		fputs("{\"ok\":", out);
		fputs(rc == 0 ? "true" : "false", out);
		fprintf(out, ",\"serial\":%" PRIu64, d->serial);
		if (rc == -1) {
			fputs(",\"reason\":", out);
			json_fstr(out, err);
		}
		fputs("}\n", out);
	} else if (rc == 0) {
		fprintf(out, "serial %" PRIu64 " in force\n", d->serial);
	} else {
		fprintf(out, "refused, serial %" PRIu64 " stays in force: %s\n", d->serial, err);
	}
	return rc == 0 ? 0 : 1;
}

static int
op_lookup(void *ctx, const char *what, int json, FILE *out)
{
	struct blockd *d = ctx;
	const struct match_snapshot *s = snapref_peek(d->snaps);
	struct match_hit hit;
	uint8_t addr[16];
	int r = MATCH_NONE;
	const char *action;
	int64_t now = (int64_t)time(NULL);
	int family = 0, inset = -1;

	if (inet_pton(AF_INET, what, addr) == 1)
		family = 4;
	else if (inet_pton(AF_INET6, what, addr) == 1)
		family = 6;
	if (family) {
		/* The snapshot the kernel's sets were built from, and what the kernel holds now. */
		r = s ? match_addr(s, family, addr, now, &hit) : MATCH_NONE;
		action = d->cfg.ip_action == CFG_IP_DROP ? "drop" : "reject";
		inset = kernel_set_has(d, s, family, addr);
	} else if (strncmp(what, "http://", 7) == 0) {
		const char *host = what + 7, *path = strchr(host, '/');
		size_t hl = path ? (size_t)(path - host) : strlen(host);
		r = s
		    ? match_url(s, host, hl, path ? path : "/", path ? strlen(path) : 1, now, &hit)
		    : MATCH_NONE;
		action = "notice";
	} else {
		r = s ? match_domain(s, what, strlen(what), now, &hit) : MATCH_NONE;
		action = d->cfg.dns_action == CFG_DNS_SINKHOLE ? "sinkhole" : "nxdomain";
	}

	const struct rulelist *l = s ? match_list(s) : NULL;
	const struct rule_entry *e = r == MATCH_BLOCK ? &l->entries[hit.entry] : NULL;
	const struct rule_order *o = e ? &l->orders[hit.order] : NULL;
	if (json) {
		fputs("{\"query\":", out);
		json_fstr(out, what);
		fprintf(out, ",\"blocked\":%s,\"allowlisted\":%s", e ? "true" : "false",
		    r == MATCH_ALLOW ? "true" : "false");
		if (e) {
			fputs(",\"entry\":", out);
			json_fstr(out, rule_type_bits(e->type) == 0 && e->name ? e->name : "");
			fprintf(out, ",\"type\":\"%s\",\"line\":%" PRIu32 ",\"order\":",
			    rule_entry_keyword(e), e->line);
			json_fstr(out, o->ref);
			fputs(",\"service\":", out);
			json_fstr(out, o->service);
			fprintf(out, ",\"action\":\"%s\"", action);
		}
		if (family)
			fprintf(out, ",\"kernel_set\":%s,\"set_serial\":%" PRIu64,
			    inset == 1       ? "true"
				: inset == 0 ? "false"
					     : "null",
			    d->ipset_serial);
		fputs("}\n", out);
	} else if (e) {
		char a[INET6_ADDRSTRLEN] = "", val[INET6_ADDRSTRLEN + 8];
		if (e->type == RULE_IPV4 || e->type == RULE_IPV6) {
			inet_ntop(e->type == RULE_IPV4 ? AF_INET : AF_INET6, e->addr, a, sizeof(a));
			snprintf(val, sizeof(val), "%s/%u", a, e->plen);
		}
		fprintf(out, "%s: blocked by %s %s (line %" PRIu32 ") of order %s (%s): %s\n", what,
		    rule_entry_keyword(e), a[0] ? val : e->name, e->line, o->ref, o->service,
		    action);
	} else if (r == MATCH_ALLOW) {
		fprintf(
		    out, "%s: covered by the list, but the local allowlist lets it pass\n", what);
	} else {
		fprintf(out, "%s: not blocked\n", what);
	}
	if (family)
		fprintf(out, "%s: %s the kernel's block set (built from serial %" PRIu64 ")\n",
		    what,
		    inset == 1       ? "in"
			: inset == 0 ? "not in"
				     : "cannot tell whether it is in",
		    d->ipset_serial);
	return e ? 0 : 1;
}

static int
op_stats(void *ctx, int json, FILE *out)
{
	struct blockd *d = ctx;
	struct evlog_stats es = {0};
	static char mem[CTL_JSON_MAX];
	struct jbuf j;

	if (d->log)
		evlog_stats(d->log, &es);
	jbuf_init(&j, mem, sizeof(mem));
	jbuf_open(&j);
	for (unsigned i = 0; i < d->nworkers; i++) {
		struct counter_values v;
		char key[16];

		worker_counters_sum(&d->workers[i], 1, &v);
		snprintf(key, sizeof(key), "queue%u", d->workers[i].queue);
		jbuf_kobj(&j, key);
		for (size_t k = 0; k < CTR_N; k++)
			if (counters_first(k, 0))
				jbuf_kuint(&j, counter_info[k].stats,
				    counters_stat(&v, counter_info[k].stats));
		jbuf_close(&j);
	}
	jbuf_kobj(&j, "log");
	jbuf_kuint(&j, "queued", es.queued);
	jbuf_kuint(&j, "dropped", es.dropped);
	jbuf_kuint(&j, "written", es.written);
	jbuf_kuint(&j, "write_errors", es.write_errors);
	jbuf_close(&j);
	jbuf_close(&j);
	if (json) {
		jbuf_print(&j, out);
		return 0;
	}
	/* Text: the same numbers, one "name value" line each. */
	struct jfield f[512];
	static char sb[CTL_JSON_MAX];
	const char *err;
	int n = j.overflow ? -1 : json_parse_flat(j.p, j.len, f, 512, sb, sizeof(sb), &err);
	for (int i = 0; i < n; i++)
		fprintf(out, "%s %s\n", f[i].key, f[i].val);
	return 0;
}

static int
op_collateral(void *ctx, const char *entry, int json, FILE *out)
{
	struct blockd *d = ctx;
	return collateral_answer(
	    d->coll, snapref_peek(d->snaps), entry, json, (int64_t)time(NULL), out);
}

static int
op_divert(void *ctx, int json, FILE *out)
{
	struct blockd *d = ctx;
	return divert_answer(d->divert, json, out);
}

const struct ctl_ops ctlops = {
    .status = op_status,
    .reload = op_reload,
    .lookup = op_lookup,
    .stats = op_stats,
    .collateral = op_collateral,
    .divert = op_divert,
};
