/* Benchmark helper: blockd's netlink load of 1M IPv4 + 200k IPv6 addresses, a 1% reload and the stop, in a namespace. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/config.h"
#include "kernel/hooks.h"
#include "kernel/ipset.h"
#include "kernel/nfcmd.h"
#include "kernel/nfnl.h"

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* This thread's CPU time, the kernel's work in its system calls included. */
static double
cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
tv_ms(const struct timeval *tv)
{
	return tv->tv_sec * 1e3 + tv->tv_usec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* xorshift64*: the same addresses for the same seed, here and in the baselines' files. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void
random_entry(struct rule_entry *e, int v6, uint64_t *s)
{
	memset(e, 0, sizeof(*e));
	e->type = v6 ? RULE_IPV6 : RULE_IPV4;
	e->plen = v6 ? 128 : 32;
	uint64_t a = rnd(s), b = rnd(s);
	memcpy(e->addr, &a, 8);
	memcpy(e->addr + 8, &b, 8);
	if (v6) {
		e->addr[0] = 0x20; /* global unicast, 2000::/3 */
		e->addr[1] = (uint8_t)(e->addr[1] | 1);
	} else if (e->addr[0] == 0 || e->addr[0] >= 224) {
		e->addr[0] = 11;
	}
}

/* The order of a list in the normal form for these entries (addresses only): IPv4 first, then by address. */
static int
cmp_entry(const void *a, const void *b)
{
	const struct rule_entry *x = a, *y = b;
	if (x->type != y->type)
		return x->type == RULE_IPV4 ? -1 : 1;
	return memcmp(x->addr, y->addr, x->type == RULE_IPV4 ? 4 : 16);
}

/* l's entries as a list in the normal form holds them: sorted, each once. */
static void
normal_form(struct rulelist *l)
{
	size_t k = 0;
	qsort(l->entries, l->nentries, sizeof(*l->entries), cmp_entry);
	for (size_t i = 0; i < l->nentries; i++)
		if (k == 0 || cmp_entry(&l->entries[k - 1], &l->entries[i]) != 0)
			l->entries[k++] = l->entries[i];
	l->nentries = k;
}

/* One order always in force; entries is n4 + n6 long before normal_form(). */
static struct rulelist *
make_list(size_t n4, size_t n6, uint64_t seed)
{
	struct rulelist *l = calloc(1, sizeof(*l));
	l->orders = calloc(1, sizeof(*l->orders));
	l->entries = calloc(n4 + n6, sizeof(*l->entries));
	l->arena = malloc(1);
	l->norders = 1;
	l->nentries = n4 + n6;
	l->serial = 1;
	l->orders[0].not_before = INT64_MIN;
	l->orders[0].not_after = INT64_MAX;
	for (size_t i = 0; i < n4 + n6; i++)
		random_entry(&l->entries[i], i >= n4, &seed);
	return l;
}

static void
write_addrs(const struct rulelist *l, const char *path)
{
	FILE *f = fopen(path, "w");
	char a[INET6_ADDRSTRLEN];
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	for (size_t i = 0; i < l->nentries; i++) {
		const struct rule_entry *e = &l->entries[i];
		inet_ntop(e->type == RULE_IPV4 ? AF_INET : AF_INET6, e->addr, a, sizeof(a));
		fprintf(f, "%s %s\n", e->type == RULE_IPV4 ? "4" : "6", a);
	}
	fclose(f);
}

static void
install(void)
{
	struct hooks_spec s = {.backend = CFG_BACKEND_IPTABLES,
	    .hook = CFG_HOOK_FORWARD,
	    .mark = 0x100000,
	    .mark_block = 0x200000,
	    .ip_action = CFG_IP_REJECT,
	    .ip_log_rate = 10,
	    .nflog_group = 4242};
	char text[16384], err[512];
	if (nfnl_table_delete(HOOKS_TABLE, err, sizeof(err)) == -1 ||
	    hooks_nft_ruleset(&s, text, sizeof(text)) == 0 ||
	    nfcmd_nft(text, err, sizeof(err)) == -1) {
		fprintf(stderr, "ipset_bench: table inet blockd: %s\n", err);
		exit(1);
	}
}

static void
load(const struct ipset_build *old, const struct ipset_build *b, struct ipset_gen *g)
{
	char err[1024];
	size_t n;
	if (ipset_load(old, b, g, &n, err, sizeof(err)) == -1) {
		fprintf(stderr, "ipset_bench: load: %s\n", err);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	size_t n4 = 1000000, n6 = 200000;
	uint64_t seed = 20260101;
	int rounds = 3, keep = 0;
	const char *json = NULL, *addrs = NULL, *changed = NULL;
	double fbuild[16], fsend[16], fsys[16];
	double full[16], diff[16], stop[16], build[16], fullcpu[16], diffcpu[16];

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--v4") == 0)
			n4 = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--v6") == 0)
			n6 = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0)
			seed = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--rounds") == 0)
			rounds = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--json") == 0)
			json = argv[i + 1];
		else if (strcmp(argv[i], "--addrs") == 0)
			addrs = argv[i + 1];
		else if (strcmp(argv[i], "--changed") == 0)
			changed = argv[i + 1];
		else if (strcmp(argv[i], "--keep") == 0)
			keep = atoi(argv[i + 1]);
	}
	if (argc % 2 == 0 || rounds < 1 || rounds > 16) {
		fprintf(stderr,
		    "usage: ipset_bench [--v4 N] [--v6 N] [--seed S] [--rounds R] "
		    "[--addrs FILE] [--changed FILE] [--keep 1] [--json FILE]   (root, in a "
		    "namespace of its own)\n");
		return 2;
	}
	struct rulelist *l = make_list(n4, n6, seed);
	/* The reload: 1% of each family replaced by other addresses. */
	struct rulelist *l2 = make_list(n4, n6, seed);
	uint64_t s2 = seed ^ 0x5eed;
	for (size_t i = 0; i < l2->nentries; i += 100)
		random_entry(&l2->entries[i], i >= n4, &s2);
	normal_form(l);
	normal_form(l2);
	if (addrs)
		write_addrs(l, addrs);
	if (changed)
		write_addrs(l2, changed);

	struct ipset_stats st, st2;
	for (int r = 0; r < rounds; r++) {
		struct ipset_build b, b2, gone, came, spare;
		char err[512];
		uint64_t pkts;
		struct ipset_gen g = {0, {IPSET_HOSTS_MIN, IPSET_HOSTS_MIN}};
		install();
		/* From the list accepted to the sets committed: build, then the transaction. */
		double t0 = now_ms(), c0 = cpu_ms();
		if (ipset_build(l, NULL, NULL, 0, 0, &b, &st) == -1)
			return 1;
		double tb = now_ms(), cb = cpu_ms();
		struct rusage ru0, ru1;
		getrusage(RUSAGE_THREAD, &ru0);
		load(NULL, &b, &g);
		getrusage(RUSAGE_THREAD, &ru1);
		full[r] = now_ms() - t0;
		fullcpu[r] = cpu_ms() - c0;
		fbuild[r] = cb - c0;
		fsend[r] = now_ms() - tb;
		fsys[r] = tv_ms(&ru1.ru_stime) - tv_ms(&ru0.ru_stime);
		/*
		 * As in the daemon from its second load on, the build before the one in force
		 * lends its memory to the next (made here untimed).
		 */
		if (ipset_build(l, NULL, NULL, 0, 0, &spare, &st2) == -1)
			return 1;
		t0 = now_ms();
		c0 = cpu_ms();
		/* The reload: the kept build patched with the new list, the difference sent. */
		if (ipset_update(&b, l2, NULL, NULL, 0, 0, &b2, &st2, &gone, &came, &spare) == -1)
			return 1;
		build[r] = cpu_ms() - c0;
		if (ipset_load_changes(&gone, &came, &b2, &g, NULL, err, sizeof(err)) == -1) {
			fprintf(stderr, "ipset_bench: reload: %s\n", err);
			return 1;
		}
		diff[r] = now_ms() - t0;
		diffcpu[r] = cpu_ms() - c0;
		if (keep && r == rounds - 1)
			return 0; /* the sets stay, for a look with nft */
		/* What stop does with the sets in force: the counter read, the table removed. */
		t0 = now_ms();
		if (ipset_counter_packets(&pkts, err, sizeof(err)) == -1 ||
		    hooks_remove(err, sizeof(err)) == -1) {
			fprintf(stderr, "ipset_bench: stop: %s\n", err);
			return 1;
		}
		stop[r] = now_ms() - t0;
		ipset_build_free(&b);
		ipset_build_free(&b2);
		ipset_build_free(&gone);
		ipset_build_free(&came);
		printf("round %d: load %.0f ms (CPU %.0f ms: build %.0f ms; sets sent and "
		       "committed %.0f "
		       "ms, of which kernel CPU %.0f ms), 1%% reload %.0f ms (CPU %.0f ms, of "
		       "which "
		       "patching the sets %.0f ms), stop %.0f ms\n",
		    r + 1, full[r], fullcpu[r], fbuild[r], fsend[r], fsys[r], diff[r], diffcpu[r],
		    build[r], stop[r]);
	}
	double mf = median(full, rounds), md = median(diff, rounds), ms = median(stop, rounds);
	double mfc = median(fullcpu, rounds), mdc = median(diffcpu, rounds);
	double mfk = median(fsys, rounds);
	printf("ipset_bench: %zu IPv4 + %zu IPv6 (%zu+%zu intervals): load %.0f ms (CPU %.0f ms, "
	       "of which kernel %.0f ms), 1%% reload %.0f ms (CPU %.0f ms), stop %.0f ms (medians "
	       "of %d)\n",
	    n4, n6, st.block4, st.block6, mf, mfc, mfk, md, mdc, ms, rounds);
	if (json) {
		FILE *f = fopen(json, "w");
		if (f == NULL) {
			perror(json);
			return 1;
		}
		fprintf(f,
		    "{\"v4\":%zu,\"v6\":%zu,\"rounds\":%d,\"load_ms\":%.1f,\"reload_1pct_ms\":%.1f,"
		    "\"stop_ms\":%.1f,\"load_cpu_ms\":%.1f,\"load_kernel_cpu_ms\":%.1f,"
		    "\"reload_1pct_cpu_ms\":%.1f}\n",
		    n4, n6, rounds, mf, md, ms, mfc, mfk, mdc);
		fclose(f);
	}
	rulelist_free(l);
	rulelist_free(l2);
	return 0;
}
