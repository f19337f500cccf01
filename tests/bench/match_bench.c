/* Benchmark of the match snapshot: build time, memory per rule and lookups/s on a million names. */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "match/match.h"
#include "match/match_int.h"

#ifndef NDOMAINS
#define NDOMAINS 1000000
#endif
#define NV4      100000
#define NV6      20000
#define NORDERS  1000
#define NQUERIES (1u << 20)
#define NOW      1800000000

/* Floors this machine must meet. */
#define FLOOR_BUILD_S        1.0
#define FLOOR_DOMAIN_LPS     5e6
#define FLOOR_V4_LPS         10e6
#define FLOOR_BYTES_PER_RULE 64.0

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * CPU time of this thread: the machine may be shared, and time spent
 * descheduled is not the matcher's. Lookup rates take the best of several
 * rounds for the same reason.
 */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
rss_bytes(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * (size_t)sysconf(_SC_PAGESIZE);
}

/* A TLD mix shaped like real block lists: .com-heavy, a tail of ccTLDs and new gTLDs. */
static const struct {
	const char *tld;
	unsigned weight;
} tlds[] = {
    {"com", 460},
    {"net", 60},
    {"org", 50},
    {"de", 40},
    {"ru", 40},
    {"co.uk", 30},
    {"xyz", 30},
    {"top", 30},
    {"io", 20},
    {"info", 20},
    {"cn", 20},
    {"com.br", 20},
    {"fr", 15},
    {"nl", 15},
    {"online", 15},
    {"site", 15},
    {"tk", 15},
    {"pl", 10},
    {"it", 10},
    {"jp", 10},
    {"me", 10},
    {"club", 10},
    {"shop", 10},
    {"vip", 10},
    {"app", 10},
    {"cc", 10},
    {"com.au", 10},
    {"in", 10},
    {"es", 10},
    {"live", 5},
    {"icu", 5},
    {"biz", 5},
    {"tv", 5},
};

static const char *
pick_tld(void)
{
	static unsigned total;
	unsigned i, r;

	if (total == 0)
		for (i = 0; i < sizeof(tlds) / sizeof(tlds[0]); i++)
			total += tlds[i].weight;
	r = (unsigned)(rng() % total);
	for (i = 0; r >= tlds[i].weight; i++)
		r -= tlds[i].weight;
	return tlds[i].tld;
}

static size_t
rand_label(char *p, unsigned minlen, unsigned spread)
{
	static const char alnum[] =
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = minlen + rng() % spread + rng() % spread, i;

	for (i = 0; i < n; i++)
		p[i] = alnum[rng() % (sizeof(alnum) - 1)];
	if (n > 4 && rng() % 8 == 0)
		p[1 + rng() % (n - 2)] = '-';
	return n;
}

/* A registrable name, sometimes with a host label in front. Returns its length. */
static size_t
rand_name(char *p)
{
	static const char *hosts[] = {"www", "m", "cdn", "api", "img", "static", "media", "app",
	    "video", "live", "stream", "files"};
	size_t n = 0;

	if (rng() % 4 == 0) {
		if (rng() % 2) {
			const char *h = hosts[rng() % (sizeof(hosts) / sizeof(hosts[0]))];

			n = strlen(h);
			memcpy(p, h, n);
		} else
			n = rand_label(p, 2, 5);
		p[n++] = '.';
	}
	n += rand_label(p + n, 3, 7);
	p[n++] = '.';
	n += (size_t)sprintf(p + n, "%s", pick_tld());
	return n;
}

/* Buckets a lookup of a listed name reads, on average and at worst. */
static void
probe_stats(const struct name_table *t, double *mean, size_t *worst)
{
	size_t b, total = 0, nrec = 0;

	*worst = 0;
	for (b = 0; b < t->nbuckets; b++) {
		const uint8_t *bk = t->buckets + b * NAME_BUCKET, *p = bk + 2, *end = p + bk[0];

		while (p < end) {
			char buf[NAME_BUF] = {0};
			size_t home, d;

			memcpy(buf, name_rec_name(t->ext, p), p[2]);
			home =
			    (size_t)(name_home(t, name_hash(buf, p[2])) - t->buckets) / NAME_BUCKET;
			d = b - home + 1;
			total += d;
			nrec++;
			*worst = d > *worst ? d : *worst;
			p += name_rec_size(p);
		}
	}
	*mean = nrec ? (double)total / (double)nrec : 0;
}

struct gen {
	struct rulelist *list;
	size_t arena_bytes;
};

/* The list a parser would hand over: struct, orders, entries and one arena. */
static struct gen
gen_list(void)
{
	struct gen g = {0};
	struct rulelist *l = calloc(1, sizeof(*l));
	size_t cap = (size_t)NDOMAINS * 40 + NORDERS * 64, used = 0, i;
	char *arena = malloc(cap);

	l->nentries = NDOMAINS + NV4 + NV6;
	l->entries = calloc(l->nentries, sizeof(*l->entries));
	l->norders = NORDERS;
	l->orders = calloc(NORDERS, sizeof(*l->orders));
	l->serial = 1;
	for (i = 0; i < NORDERS; i++) {
		struct rule_order *o = &l->orders[i];

		o->ref = arena + used;
		used += (size_t)sprintf(arena + used, "CL-2026-%06zu", i) + 1;
		o->service = o->authority = o->notice = o->notice_url = arena + used - 1;
		o->not_before = 0;
		o->not_after = INT64_MAX;
	}
	for (i = 0; i < NDOMAINS; i++) {
		struct rule_entry *e = &l->entries[i];
		char *p = arena + used;

		e->namelen = (uint32_t)rand_name(p);
		p[e->namelen] = '\0';
		e->name = p;
		used += e->namelen + 1;
		e->type = rng() % 10 < 7 ? RULE_SUFFIX : RULE_DOMAIN;
		e->order = (uint32_t)(rng() % NORDERS);
		e->line = (uint32_t)(i + 10);
	}
	for (i = NDOMAINS; i < l->nentries; i++) {
		struct rule_entry *e = &l->entries[i];
		uint64_t r = rng(), k = rng() % 100;

		e->name = arena + used - 1; /* "" */
		e->order = (uint32_t)(rng() % NORDERS);
		e->line = (uint32_t)(i + 10);
		if (i < NDOMAINS + NV4) {
			e->type = RULE_IPV4;
			e->plen = k < 50 ? 32 : k < 75 ? 24 : k < 90 ? 20 + r % 4 : 16 + r % 4;
			memcpy(e->addr, &r, 4);
		} else {
			e->type = RULE_IPV6;
			e->plen = k < 40 ? 128 : k < 80 ? 64 : 32 + (uint8_t)(r % 32);
			e->addr[0] = 0x20;
			e->addr[1] = 0x01;
			memcpy(e->addr + 2, &r, 8);
			r = rng();
			memcpy(e->addr + 10, &r, 6);
		}
	}
	l->arena = arena;
	g.list = l;
	g.arena_bytes = used;
	return g;
}

struct queries {
	char *buf;
	uint32_t *off;
	uint8_t *len;
	uint8_t (*addr)[4];
};

/* Half names (or names below suffixes) from the list, half fresh names; some in 0x20 case. */
static struct queries
gen_queries(const struct rulelist *l)
{
	struct queries q;
	size_t used = 0, i;

	q.buf = malloc((size_t)NQUERIES * 280);
	q.off = malloc(NQUERIES * sizeof(*q.off));
	q.len = malloc(NQUERIES);
	q.addr = malloc(NQUERIES * sizeof(*q.addr));
	for (i = 0; i < NQUERIES; i++) {
		char *p = q.buf + used;
		size_t n = 0, k;

		if (i % 2 == 0) {
			const struct rule_entry *e = &l->entries[rng() % NDOMAINS];

			if (e->type == RULE_SUFFIX && rng() % 2) {
				n = rand_label(p, 1, 5);
				p[n++] = '.';
			}
			memcpy(p + n, e->name, e->namelen);
			n += e->namelen;
		} else
			n = rand_name(p);
		if (rng() % 4 == 0)
			for (k = 0; k < n; k++)
				if (p[k] >= 'a' && p[k] <= 'z' && rng() % 2)
					p[k] ^= 0x20;
		q.off[i] = (uint32_t)used;
		q.len[i] = (uint8_t)n;
		used += n;
	}
	for (i = 0; i < NQUERIES; i++) {
		uint32_t a = (uint32_t)rng();

		if (i % 2 == 0) {
			const struct rule_entry *e = &l->entries[NDOMAINS + rng() % NV4];
			uint32_t base = (uint32_t)e->addr[0] << 24 | (uint32_t)e->addr[1] << 16 |
			    (uint32_t)e->addr[2] << 8 | e->addr[3];
			uint32_t host =
			    e->plen == 32 ? 0 : (uint32_t)((1ull << (32 - e->plen)) - 1);

			a = (base & ~host) | (a & host);
		}
		q.addr[i][0] = (uint8_t)(a >> 24);
		q.addr[i][1] = (uint8_t)(a >> 16);
		q.addr[i][2] = (uint8_t)(a >> 8);
		q.addr[i][3] = (uint8_t)a;
	}
	return q;
}

/* The generated domain entries as "name exact|suffix" lines, for the Unbound comparison. */
static int
write_names(const char *path, const struct rulelist *l)
{
	FILE *f = fopen(path, "w");
	size_t i;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	for (i = 0; i < NDOMAINS; i++)
		fprintf(f, "%s %s\n", l->entries[i].name,
		    l->entries[i].type == RULE_SUFFIX ? "suffix" : "exact");
	if (fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

/*
 * Loading from text as the daemon would, minus signature checks: read the
 * names file, split it into entries in place, build the snapshot.
 */
static double
load_from_text(const char *path, size_t *rss_delta)
{
	struct rulelist *l = calloc(1, sizeof(*l));
	struct match_snapshot *s;
	char err[256], *p, *end;
	FILE *f;
	long sz;
	size_t rss0 = rss_bytes();
	double t0 = now_s(), t1;

	f = fopen(path, "r");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0) {
		perror(path);
		exit(1);
	}
	rewind(f);
	l->arena = p = malloc((size_t)sz + 64);
	if (fread(p, 1, (size_t)sz, f) != (size_t)sz) {
		perror(path);
		exit(1);
	}
	fclose(f);
	end = p + sz;
	l->orders = calloc(1, sizeof(*l->orders));
	l->orders[0].not_before = 0;
	l->orders[0].not_after = INT64_MAX;
	l->norders = 1;
	l->entries = malloc(NDOMAINS * sizeof(*l->entries));
	while (p < end && l->nentries < NDOMAINS) {
		struct rule_entry *e = &l->entries[l->nentries++];
		char *sp = memchr(p, ' ', (size_t)(end - p)), *nl;

		nl = memchr(sp, '\n', (size_t)(end - sp));
		*sp = '\0';
		memset(e, 0, sizeof(*e));
		e->name = p;
		e->namelen = (uint32_t)(sp - p);
		e->type = sp[1] == 's' ? RULE_SUFFIX : RULE_DOMAIN;
		p = nl + 1;
	}
	if (match_build(l, NULL, 0, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "match_bench: %s\n", err);
		exit(1);
	}
	t1 = now_s();
	*rss_delta = rss_bytes() - rss0;
	match_free(s);
	return t1 - t0;
}

int
main(int argc, char **argv)
{
	const char *json = NULL, *names = NULL;
	int build_only = 0, i, ok = 1;
	struct gen g;
	struct queries q;
	struct match_snapshot *s;
	char err[256];
	size_t rss0, rss_snap, acct, nrules, rss_text = 0;
	double t0, build_s, dom_lps = 0, v4_lps = 0, hit_ratio = 0, v4_hit_ratio = 0, text_s = 0;
	double bpr, tc, build_cpu_s, split_lps[2] = {0, 0}, probe_mean;
	size_t probe_worst;
	unsigned long long sink = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json = argv[++i];
		else if (strcmp(argv[i], "--names") == 0 && i + 1 < argc)
			names = argv[++i];
		else if (strcmp(argv[i], "--build-only") == 0)
			build_only = 1;
		else {
			fprintf(stderr,
			    "usage: match_bench [--json FILE] [--names FILE] "
			    "[--build-only]\n");
			return 2;
		}
	}
	/* Fixed thresholds: freed build scratch goes back to the system, so RSS deltas are honest. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);

	g = gen_list();
	nrules = g.list->nentries;
	rss0 = rss_bytes();
	t0 = now_s();
	tc = cpu_s();
	if (match_build(g.list, NULL, 0, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "match_bench: %s\n", err);
		return 1;
	}
	build_cpu_s = cpu_s() - tc;
	build_s = now_s() - t0;
	rss_snap = rss_bytes() - rss0;
	acct = sizeof(*s) + name_table_bytes(&s->names) + name_table_bytes(&s->urls) +
	    pfx_table_bytes(&s->v4) + pfx_table_bytes(&s->v6);
	bpr = (double)(rss_snap > acct ? rss_snap : acct) / (double)nrules;
	printf("list: %d domain rules (70%% suffix), %d IPv4 + %d IPv6 prefixes, %d orders\n",
	    NDOMAINS, NV4, NV6, NORDERS);
	printf("build: %.3f s (%.3f s CPU); snapshot %.1f MB (accounted %.1f MB): %.1f bytes/rule; "
	       "list arena %.1f MB (%.1f bytes/rule) + entries %.1f MB\n",
	    build_s, build_cpu_s, rss_snap / 1e6, acct / 1e6, bpr, g.arena_bytes / 1e6,
	    (double)g.arena_bytes / (double)nrules, nrules * sizeof(struct rule_entry) / 1e6);
	printf("  names: %zu keys, %.1f MB buckets (%u home + %zu overflow) + %.1f MB long "
	       "records + %.1f MB Bloom filter; v4: %zu intervals; v6: %zu intervals\n",
	    s->names.nkeys, s->names.nbuckets * NAME_BUCKET / 1e6, s->names.nhome,
	    s->names.nbuckets - s->names.nhome, s->names.extlen / 1e6,
	    (s->names.bloom_mask + 1) * 8 / 1e6, s->v4.nint, s->v6.nint);
	probe_stats(&s->names, &probe_mean, &probe_worst);
	printf("  buckets read per listed name: %.2f on average, %zu at worst\n", probe_mean,
	    probe_worst);

	if (!build_only) {
		unsigned rounds = 8, r, hits = 0, n, k;
		double t, best;

		q = gen_queries(g.list);
		for (n = 0; n < NQUERIES; n++) /* warm-up and hit count */
			hits +=
			    match_domain(s, q.buf + q.off[n], q.len[n], NOW, NULL) != MATCH_NONE;
		hit_ratio = (double)hits / NQUERIES;
		for (r = 0, best = 1e9; r < rounds; r++) {
			t = cpu_s();
			for (n = 0; n < NQUERIES; n++) {
				struct match_hit h;

				sink +=
				    (unsigned)match_domain(s, q.buf + q.off[n], q.len[n], NOW, &h);
			}
			t = cpu_s() - t;
			best = t < best ? t : best;
		}
		dom_lps = NQUERIES / best;
		/* The same queries split: listed names (even) and fresh ones (odd). */
		for (k = 0; k < 2; k++) {
			for (r = 0, best = 1e9; r < 3; r++) {
				t = cpu_s();
				for (n = k; n < NQUERIES; n += 2) {
					struct match_hit h;

					sink += (unsigned)match_domain(
					    s, q.buf + q.off[n], q.len[n], NOW, &h);
				}
				t = cpu_s() - t;
				best = t < best ? t : best;
			}
			split_lps[k] = NQUERIES / 2 / best;
		}

		hits = 0;
		for (n = 0; n < NQUERIES; n++)
			hits += match_addr(s, 4, q.addr[n], NOW, NULL) != MATCH_NONE;
		v4_hit_ratio = (double)hits / NQUERIES;
		rounds = 16;
		for (r = 0, best = 1e9; r < rounds; r++) {
			t = cpu_s();
			for (n = 0; n < NQUERIES; n++) {
				struct match_hit h;

				sink += (unsigned)match_addr(s, 4, q.addr[n], NOW, &h);
			}
			t = cpu_s() - t;
			best = t < best ? t : best;
		}
		v4_lps = NQUERIES / best;
		printf("domain lookups: %.2f M/s on one core (%.1f%% hits, 25%% in mixed case)\n",
		    dom_lps / 1e6, hit_ratio * 100);
		printf("  listed names only: %.2f M/s; unlisted names only: %.2f M/s\n",
		    split_lps[0] / 1e6, split_lps[1] / 1e6);
		printf("IPv4 lookups: %.2f M/s on one core (%.1f%% hits)\n", v4_lps / 1e6,
		    v4_hit_ratio * 100);
		free(q.buf);
		free(q.off);
		free(q.len);
		free(q.addr);
	}
	if (names != NULL && write_names(names, match_list(s)) != 0)
		return 1;
	match_free(s);
	if (names != NULL) {
		text_s = load_from_text(names, &rss_text);
		printf("load from text (%s): %.3f s, RSS %.1f MB for %d names\n", names, text_s,
		    rss_text / 1e6, NDOMAINS);
	}

	if (build_cpu_s >= FLOOR_BUILD_S || bpr > FLOOR_BYTES_PER_RULE)
		ok = 0;
	if (!build_only && (dom_lps < FLOOR_DOMAIN_LPS || v4_lps < FLOOR_V4_LPS))
		ok = 0;
	printf("floors (build < %.0f s, <= %.0f bytes/rule, >= %.0fM domain/s, >= %.0fM IPv4/s): "
	       "%s\n",
	    FLOOR_BUILD_S, FLOOR_BYTES_PER_RULE, FLOOR_DOMAIN_LPS / 1e6, FLOOR_V4_LPS / 1e6,
	    ok ? "met" : "NOT MET");
	if (json != NULL) {
		FILE *f = fopen(json, "w");

		if (f == NULL) {
			perror(json);
			return 1;
		}
		fprintf(f,
		    "{\"bench\":\"match\",\"domains\":%d,\"suffix_share\":0.7,\"ipv4_prefixes\":%d,"
		    "\"ipv6_prefixes\":%d,\"rules\":%zu,\"build_s\":%.4f,\"build_cpu_s\":%.4f,"
		    "\"snapshot_rss_bytes\":%zu,\"snapshot_accounted_bytes\":%zu,"
		    "\"snapshot_bytes_per_rule\":%.2f,\"list_arena_bytes\":%zu,"
		    "\"list_entries_bytes\":%zu,\"domain_lookups_per_s\":%.0f,"
		    "\"domain_hit_ratio\":%.3f,\"domain_listed_lookups_per_s\":%.0f,"
		    "\"domain_unlisted_lookups_per_s\":%.0f,\"ipv4_lookups_per_s\":%.0f,\"ipv4_hit_"
		    "ratio\":%.3f,"
		    "\"text_load_s\":%.4f,\"text_load_rss_bytes\":%zu,\"floors_met\":%s}\n",
		    NDOMAINS, NV4, NV6, nrules, build_s, build_cpu_s, rss_snap, acct, bpr,
		    g.arena_bytes, nrules * sizeof(struct rule_entry), dom_lps, hit_ratio,
		    split_lps[0], split_lps[1], v4_lps, v4_hit_ratio, text_s, rss_text,
		    ok ? "true" : "false");
		fclose(f);
	}
	if (sink == 1)
		printf("\n");
	return ok ? 0 : 1;
}
