/* The divert set: the prefixes whose traffic the core routes to the appliance, and BIRD's routes for it. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "divertset.h"
#include "outbuf.h"
#include "rulelist.h"
#include "safeguard.h"

#define SOURCE_NAME(id, name) [id] = (name),
static const char *const source_names[] = {DIVERT_SOURCES(SOURCE_NAME)};
#undef SOURCE_NAME

const char *
divert_source_name(int source)
{
	if (source <= DIVERT_SOURCE_NONE || source >= DIVERT_NSOURCES)
		return "?";
	return source_names[source];
}

static unsigned
addr_len(const struct divert_prefix *p)
{
	return p->family == 4 ? 4 : 16;
}

static void
clear_host_bits(struct divert_prefix *p)
{
	unsigned i, len = addr_len(p);

	for (i = 0; i < 16; i++) {
		if (i >= len || i * 8 >= p->plen)
			p->addr[i] = 0;
		else if ((i + 1) * 8 > p->plen)
			p->addr[i] &= (uint8_t)(0xff << (8 - (p->plen - i * 8)));
	}
}

static int
prefix_cmp(const void *va, const void *vb)
{
	const struct divert_prefix *a = va, *b = vb;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->addr, b->addr, addr_len(a));
	if (c != 0)
		return c;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	return (int)a->source - (int)b->source;
}

/* Does a (shorter or equal) cover b? Both have their host bits cleared. */
static int
covers(const struct divert_prefix *a, const struct divert_prefix *b)
{
	unsigned full = a->plen / 8, rest = a->plen % 8;

	if (a->family != b->family || a->plen > b->plen)
		return 0;
	if (memcmp(a->addr, b->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a->addr[full] ^ b->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

size_t
divertset_normalise(struct divert_prefix *p, size_t n)
{
	size_t i, out = 0;

	for (i = 0; i < n; i++)
		clear_host_bits(&p[i]);
	qsort(p, n, sizeof(*p), prefix_cmp);
	/*
	 * Sorted by address then length, a covering prefix comes before every
	 * prefix it covers, and those follow it without a gap: one pass keeps
	 * each prefix not covered by the last one kept.
	 */
	for (i = 0; i < n; i++) {
		if (out > 0 && covers(&p[out - 1], &p[i])) {
			if (p[i].source < p[out - 1].source)
				p[out - 1].source = p[i].source;
			continue;
		}
		p[out++] = p[i];
	}
	return out;
}

size_t
divertset_cap(struct divert_prefix *p, size_t n, size_t max, size_t *dropped)
{
	size_t count[DIVERT_NSOURCES] = {0}, i, out = 0, left;
	int s, last = DIVERT_NSOURCES - 1;

	if (dropped != NULL)
		*dropped = 0;
	if (max == 0 || n <= max)
		return n;
	for (i = 0; i < n; i++)
		if (p[i].source < DIVERT_NSOURCES)
			count[p[i].source]++;
	/* The sources kept whole, in order, and how many of the first one cut. */
	left = max;
	for (s = 0; s < DIVERT_NSOURCES; s++) {
		if (count[s] > left) {
			last = s;
			break;
		}
		left -= count[s];
	}
	for (i = 0; i < n; i++) {
		if (p[i].source < last || (p[i].source == last && left > 0)) {
			if (p[i].source == last)
				left--;
			p[out++] = p[i];
		}
	}
	if (dropped != NULL)
		*dropped = n - out;
	return out;
}

char *
divertset_prefix_text(const struct divert_prefix *p, char *buf, size_t bufsz)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	snprintf(buf, bufsz, "%s/%u", a, (unsigned)p->plen);
	return buf;
}

static int
plain_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

char *
divertset_bird(const struct divert_prefix *p, size_t n, const char *proto, const char *ifname,
    const char *comment)
{
	struct outbuf o = {NULL, 0, 256 + n * 48, 0};
	char pt[64];
	const char *c, *nl;
	size_t i, len;
	int fam;

	if (!plain_name(proto) || (ifname != NULL && !plain_name(ifname)))
		return NULL;
	o.p = malloc(o.cap);
	if (o.p == NULL)
		return NULL;
	for (c = comment; c != NULL && *c != '\0'; c = nl) {
		nl = strchr(c, '\n');
		len = nl != NULL ? (size_t)(nl - c) : strlen(c);
		outbuf_printf(&o, "# %.*s\n", (int)len, c);
		nl = c + len + (nl != NULL);
	}
	for (fam = 4; fam <= 6; fam += 2) {
		outbuf_printf(&o, "protocol static %s%d {\n\tipv%d;\n", proto, fam, fam);
		for (i = 0; i < n; i++) {
			if (p[i].family != fam)
				continue;
			divertset_prefix_text(&p[i], pt, sizeof(pt));
			if (ifname != NULL)
				outbuf_printf(&o, "\troute %s via \"%s\";\n", pt, ifname);
			else
				outbuf_printf(&o, "\troute %s blackhole;\n", pt);
		}
		outbuf_printf(&o, "}\n");
	}
	if (o.oom) {
		free(o.p);
		return NULL;
	}
	return o.p;
}

const char *
divertset_unroutable(int family, const uint8_t *addr, int documentation)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	uint8_t a[16] = {0};

	memcpy(a, addr, family == 4 ? 4 : 16);
	if (family == 6 && memcmp(a, mapped, sizeof(mapped)) == 0)
		return "::ffff:0:0/96, IPv4-mapped (RFC 4291)";
	return safeguard_special_use(
	    family == 4 ? RULE_IPV4 : RULE_IPV6, a, family == 4 ? 32 : 128, documentation);
}

int
divertset_answer(struct divert_addrs *cur, int family, const uint8_t (*got)[16], int n,
    int documentation, size_t *skipped)
{
	uint8_t keep[DIVERT_ADDRS_MAX][16];
	size_t alen = family == 4 ? 4 : 16;
	unsigned k = 0, have = family == 4 ? cur->n4 : cur->n6;
	int changed;

	if (n < 0)
		return 0;
	/* Insertion into keep, sorted and unique; past the cap the highest goes. */
	for (int i = 0; i < n; i++) {
		unsigned j = 0;
		if (divertset_unroutable(family, got[i], documentation) != NULL) {
			if (skipped != NULL)
				(*skipped)++;
			continue;
		}
		while (j < k && memcmp(keep[j], got[i], alen) < 0)
			j++;
		if ((j < k && memcmp(keep[j], got[i], alen) == 0) || j == DIVERT_ADDRS_MAX)
			continue;
		if (k == DIVERT_ADDRS_MAX)
			k--;
		memmove(keep[j + 1], keep[j], (k - j) * sizeof(keep[0]));
		memcpy(keep[j], got[i], alen);
		k++;
	}
	changed = k != have;
	for (unsigned i = 0; i < k && !changed; i++)
		changed = memcmp(keep[i], family == 4 ? cur->a4[i] : cur->a6[i], alen) != 0;
	for (unsigned i = 0; i < k; i++)
		memcpy(family == 4 ? cur->a4[i] : cur->a6[i], keep[i], alen);
	if (family == 4)
		cur->n4 = (uint8_t)k;
	else
		cur->n6 = (uint8_t)k;
	return changed;
}

int
divertset_prefix_parse(const char *s, struct divert_prefix *out, char *err, size_t errlen)
{
	char a[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;
	char *end;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(a)) {
		snprintf(err, errlen, "\"%s\" is not an address or prefix", s);
		return -1;
	}
	memcpy(a, s, alen);
	a[alen] = '\0';
	if (inet_pton(AF_INET, a, out->addr) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, a, out->addr) == 1)
		out->family = 6;
	else {
		snprintf(err, errlen, "\"%s\" is not an address or prefix", s);
		return -1;
	}
	out->plen = out->family == 4 ? 32 : 128;
	if (slash != NULL) {
		plen = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || plen > out->plen) {
			snprintf(err, errlen, "\"%s\": prefix length out of range", s);
			return -1;
		}
		out->plen = (uint8_t)plen;
		clear_host_bits(out);
	}
	return 0;
}

long
divertset_list_parse(
    const char *s, struct divert_prefix *out, size_t max, int src, char *err, size_t errlen)
{
	char one[INET6_ADDRSTRLEN + 8];
	struct divert_prefix p;
	size_t n = 0, len;

	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			break;
		len = strcspn(s, ", \t");
		if (len >= sizeof(one)) {
			snprintf(err, errlen, "\"%.*s...\" is not an address or prefix", 16, s);
			return -1;
		}
		memcpy(one, s, len);
		one[len] = '\0';
		if (divertset_prefix_parse(one, &p, err, errlen) < 0)
			return -1;
		if (n == max) {
			snprintf(err, errlen, "more than %zu prefixes", max);
			return -1;
		}
		p.source = (uint8_t)src;
		if (out != NULL)
			out[n] = p;
		n++;
		s += len;
	}
	return (long)n;
}

int
divertset_order_field(const char *s, size_t len, char *out, size_t outsz, char *err, size_t errlen)
{
	struct divert_prefix p[DIVERT_ORDER_MAX];
	char buf[DIVERT_ORDER_MAX * (INET6_ADDRSTRLEN + 6)], pt[64];
	size_t off = 0;
	long n;

	if (len >= sizeof(buf)) {
		snprintf(err, errlen, "longer than %zu bytes", sizeof(buf) - 1);
		return -1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	n = divertset_list_parse(buf, p, DIVERT_ORDER_MAX, DIVERT_ORDER, err, errlen);
	if (n < 0)
		return -1;
	if (n == 0) {
		snprintf(err, errlen, "no prefix");
		return -1;
	}
	for (long i = 0; i < n; i++) {
		if (p[i].plen < (p[i].family == 4 ? SAFEGUARD_V4_LIMIT : SAFEGUARD_V6_LIMIT)) {
			snprintf(err, errlen, "%s: shorter than /%d, which no order may name",
			    divertset_prefix_text(&p[i], pt, sizeof(pt)),
			    p[i].family == 4 ? SAFEGUARD_V4_LIMIT : SAFEGUARD_V6_LIMIT);
			return -1;
		}
	}
	n = (long)divertset_normalise(p, (size_t)n);
	for (long i = 0; i < n; i++) {
		divertset_prefix_text(&p[i], pt, sizeof(pt));
		if (off + strlen(pt) + 2 > outsz) {
			snprintf(err, errlen, "too long");
			return -1;
		}
		off += (size_t)snprintf(out + off, outsz - off, "%s%s", i ? " " : "", pt);
	}
	return 0;
}
