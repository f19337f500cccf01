/* IP sets: the list's address and prefix entries as nftables interval sets, replaced in one transaction. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "ipset.h"
#include "nfcmd.h"

/* An inclusive address interval; IPv4 uses the first 4 bytes. */
struct range {
	uint8_t lo[16], hi[16];
};

static int
range_cmp(const void *a, const void *b, void *width)
{
	const struct range *x = a, *y = b;
	size_t w = *(const size_t *)width;
	int c = memcmp(x->lo, y->lo, w);
	return c ? c : memcmp(x->hi, y->hi, w);
}

static void
prefix_range(const uint8_t *addr, unsigned plen, size_t w, struct range *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < w; i++) {
		unsigned bits = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * (unsigned)i : 0;
		uint8_t mask = bits ? (uint8_t)(0xff << (8 - bits)) : 0;
		r->lo[i] = addr[i] & mask;
		r->hi[i] = (uint8_t)(addr[i] | (uint8_t)~mask);
	}
}

/* Is b's start at most a's end + 1 (overlapping or adjacent)? */
static int
touches(const uint8_t *ahi, const uint8_t *blo, size_t w)
{
	if (memcmp(blo, ahi, w) <= 0)
		return 1;
	uint8_t next[16];
	memcpy(next, ahi, w);
	for (size_t i = w; i-- > 0;) {
		if (++next[i] != 0)
			return memcmp(blo, next, w) == 0;
	}
	return 1; /* ahi was the last address: nothing lies beyond it */
}

/* Sorts r[0..n) and merges overlapping or adjacent intervals; returns the new count. */
static size_t
sort_ranges(struct range *r, size_t n, size_t w)
{
	if (n == 0)
		return 0;
	qsort_r(r, n, sizeof(*r), range_cmp, &w);
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		if (touches(r[k].hi, r[i].lo, w)) {
			if (memcmp(r[i].hi, r[k].hi, w) > 0)
				memcpy(r[k].hi, r[i].hi, w);
		} else {
			r[++k] = r[i];
		}
	}
	return k + 1;
}

struct tbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void
tb_reserve(struct tbuf *b, size_t more)
{
	if (b->oom || b->len + more < b->cap)
		return;
	size_t cap = b->cap ? b->cap : 65536;
	while (cap <= b->len + more)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void
tb_puts(struct tbuf *b, const char *s)
{
	size_t n = strlen(s);
	tb_reserve(b, n + 1);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

#define ELEMENTS_PER_STMT 65536 /* keeps each statement a reasonable size for nft's parser */

static void
emit_set(struct tbuf *b, const char *set, const struct range *r, size_t n, int family)
{
	size_t w = family == 4 ? 4 : 16;
	int af = family == 4 ? AF_INET : AF_INET6;
	char stmt[128];

	snprintf(stmt, sizeof(stmt), "flush set inet %s %s\n", HOOKS_TABLE, set);
	tb_puts(b, stmt);
	for (size_t i = 0; i < n; i++) {
		if (i % ELEMENTS_PER_STMT == 0) {
			snprintf(stmt, sizeof(stmt), "%sadd element inet %s %s { ", i ? " }\n" : "",
			    HOOKS_TABLE, set);
			tb_puts(b, stmt);
		}
		tb_reserve(b, 2 * INET6_ADDRSTRLEN + 4);
		if (b->oom)
			return;
		char *p = b->p + b->len;
		if (i % ELEMENTS_PER_STMT)
			*p++ = ',', *p++ = ' ';
		inet_ntop(af, r[i].lo, p, INET6_ADDRSTRLEN);
		p += strlen(p);
		if (memcmp(r[i].lo, r[i].hi, w) != 0) {
			*p++ = '-';
			inet_ntop(af, r[i].hi, p, INET6_ADDRSTRLEN);
			p += strlen(p);
		}
		*p = '\0';
		b->len = (size_t)(p - b->p);
	}
	if (n)
		tb_puts(b, " }\n");
}

/* Collects the address entries of one family (those not held) into a sorted, merged array. */
static struct range *
collect(const struct rule_entry *e, size_t n, const struct rulelist *l, int64_t now, int type,
    const uint8_t *held, size_t *count, size_t *used)
{
	size_t w = type == RULE_IPV4 ? 4 : 16, k = 0;
	struct range *r = malloc((n ? n : 1) * sizeof(*r));
	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (e[i].type != type || (held && (held[i / 8] >> (i % 8) & 1)))
			continue;
		if (l &&
		    (e[i].order >= l->norders || !rule_order_active(&l->orders[e[i].order], now)))
			continue;
		prefix_range(e[i].addr, e[i].plen, w, &r[k++]);
	}
	if (used)
		*used += k;
	*count = sort_ranges(r, k, w);
	return r;
}

int
ipset_text(const struct rulelist *list, const uint8_t *held, const struct rule_entry *allow,
    size_t nallow, int64_t now, char **out, size_t *outlen, struct ipset_stats *st)
{
	struct tbuf b = {0};
	struct range *r[4] = {0};
	size_t n[4] = {0};
	size_t ne = list ? list->nentries : 0;
	const struct rule_entry *ents = list ? list->entries : NULL;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	st->next_change = INT64_MAX;
	for (size_t i = 0; list && i < list->norders; i++) {
		const struct rule_order *o = &list->orders[i];
		if (o->not_before > now && o->not_before < st->next_change)
			st->next_change = o->not_before;
		if (o->not_after > now && o->not_after < st->next_change)
			st->next_change = o->not_after;
	}
	r[0] = collect(ents, ne, list, now, RULE_IPV4, held, &n[0], &st->entries);
	r[1] = collect(ents, ne, list, now, RULE_IPV6, held, &n[1], &st->entries);
	r[2] = collect(allow, nallow, NULL, now, RULE_IPV4, NULL, &n[2], NULL);
	r[3] = collect(allow, nallow, NULL, now, RULE_IPV6, NULL, &n[3], NULL);
	if (!r[0] || !r[1] || !r[2] || !r[3])
		goto done;
	tb_reserve(&b, (n[0] + n[2]) * 34 + (n[1] + n[3]) * 82 + 4096);
	/* Allow sets first: an allowlisted address never blocks, not even mid-transaction. */
	emit_set(&b, HOOKS_SET_ALLOW4, r[2], n[2], 4);
	emit_set(&b, HOOKS_SET_ALLOW6, r[3], n[3], 6);
	emit_set(&b, HOOKS_SET_BLOCK4, r[0], n[0], 4);
	emit_set(&b, HOOKS_SET_BLOCK6, r[1], n[1], 6);
	if (b.oom)
		goto done;
	st->block4 = n[0];
	st->block6 = n[1];
	st->allow4 = n[2];
	st->allow6 = n[3];
	*out = b.p;
	*outlen = b.len;
	b.p = NULL;
	rc = 0;
done:
	for (int i = 0; i < 4; i++)
		free(r[i]);
	free(b.p);
	return rc;
}

int
ipset_load(const char *text, size_t len, char *err, size_t errlen)
{
	(void)len;
	return nfcmd_nft(text, err, errlen);
}

int
ipset_counter_packets(const char *nft_out, uint64_t *n)
{
	const char *p = nft_out ? strstr(nft_out, "packets ") : NULL;
	char *end;
	if (p == NULL)
		return -1;
	p += 8;
	if (*p < '0' || *p > '9')
		return -1;
	unsigned long long v = strtoull(p, &end, 10);
	if (end == p)
		return -1;
	*n = v;
	return 0;
}
