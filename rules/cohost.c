/* Names co-hosted on one address: server names seen on it, by registrable domain, and the hold decision. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cohost.h"

void
cohost_init(struct cohost *c, size_t names_max, size_t subs_max)
{
	memset(c, 0, sizeof(*c));
	c->names_max = names_max ? names_max : COHOST_NAMES_DEFAULT;
	c->subs_max = subs_max ? subs_max : COHOST_SUBS_DEFAULT;
}

void
cohost_free(struct cohost *c)
{
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i].name);
	free(c->names);
	free(c->subs);
	memset(c, 0, sizeof(*c));
}

/* "[2001:db8::1]", optionally followed by ":port": the literal, lowercase. */
static int
bracketed(const char *in, size_t len, char *out, size_t outsz)
{
	const char *end = memchr(in, ']', len);
	size_t n, i;

	if (end == NULL)
		return -1;
	n = (size_t)(end - in) + 1;
	if (n < len && (in[n] != ':' || n + 1 == len))
		return -1;
	for (i = n + 1; i < len; i++)
		if (in[i] < '0' || in[i] > '9')
			return -1;
	if (n + 1 > outsz || n < 3)
		return -1;
	for (i = 0; i < n; i++) {
		char ch = in[i];
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch + 32);
		if (i > 0 && i < n - 1 &&
		    !(ch == ':' || ch == '.' || (ch >= '0' && ch <= '9') ||
			(ch >= 'a' && ch <= 'f')))
			return -1;
		out[i] = ch;
	}
	out[n] = '\0';
	return (int)n;
}

int
cohost_normalise(const char *in, size_t len, char *out, size_t outsz)
{
	char tmp[4 * COHOST_NAME_MAX + 8];
	const char *colon;
	size_t i, lab = 0;
	int n;

	if (len > 0 && in[0] == '[')
		return bracketed(in, len, out, outsz);
	/* An HTTP host may carry a port: "name:8080". */
	if ((colon = memchr(in, ':', len)) != NULL) {
		for (i = (size_t)(colon - in) + 1; i < len; i++)
			if (in[i] < '0' || in[i] > '9')
				return -1;
		len = (size_t)(colon - in);
	}
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (ch < 0x80 &&
		    !(ch == '.' || ch == '-' || ch == '_' || (ch >= '0' && ch <= '9') ||
			((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')))
			return -1;
	}
	memcpy(tmp, in, len);
	tmp[len] = '\0';
	if ((n = psl_aname(tmp, len, out, outsz)) < 0 || n > COHOST_NAME_MAX)
		return -1;
	for (i = 0; i <= (size_t)n; i++) {
		if (i == (size_t)n || out[i] == '.') {
			if (lab == 0 || lab > 63)
				return -1;
			lab = 0;
		} else {
			lab++;
		}
	}
	return n;
}

/* An IPv4 literal: digits and dots only (what no registrable domain is). */
static int
ipv4_literal(const char *name, size_t len)
{
	char a[16];
	unsigned char b[4];

	if (len >= sizeof(a))
		return 0;
	memcpy(a, name, len);
	a[len] = '\0';
	return inet_pton(AF_INET, a, b) == 1;
}

size_t
cohost_registrable(const struct psl *psl, const char *name, size_t len)
{
	size_t starts[128], k = 0;

	if (len == 0 || name[0] == '[' || ipv4_literal(name, len))
		return 0;
	starts[k++] = 0;
	for (size_t i = 0; i < len && k < sizeof(starts) / sizeof(starts[0]); i++)
		if (name[i] == '.' && i + 1 < len)
			starts[k++] = i + 1;
	if (psl == NULL)
		return k >= 2 ? starts[k - 2] : 0;
	/* The longest suffix that is public; the domain is one label more. */
	for (size_t i = 0; i < k; i++)
		if (psl_is_suffix(psl, name + starts[i], len - starts[i]))
			return i == 0 ? 0 : starts[i - 1];
	return 0;
}

/* 1 if the subscriber was new, 0 if known or not counted, -1 out of memory. */
static int
sub_add(struct cohost *c, uint64_t id)
{
	if (id == 0)
		return 0;
	for (size_t i = c->capsubs ? id & (c->capsubs - 1) : 0; c->capsubs != 0;
	     i = (i + 1) & (c->capsubs - 1)) {
		if (c->subs[i] == id)
			return 0;
		if (c->subs[i] == 0)
			break;
	}
	if (c->nsubs >= c->subs_max) {
		c->subs_over = 1; /* known ones are still recognised; a new one is not counted */
		return 0;
	}
	if ((c->nsubs + 1) * 2 > c->capsubs) {
		size_t nc = c->capsubs ? c->capsubs * 2 : 64;
		uint64_t *ns = calloc(nc, sizeof(*ns));
		if (ns == NULL)
			return -1;
		for (size_t i = 0; i < c->capsubs; i++) {
			if (c->subs[i] == 0)
				continue;
			size_t j = c->subs[i] & (nc - 1);
			while (ns[j] != 0)
				j = (j + 1) & (nc - 1);
			ns[j] = c->subs[i];
		}
		free(c->subs);
		c->subs = ns;
		c->capsubs = nc;
	}
	size_t i = id & (c->capsubs - 1);
	while (c->subs[i] != 0)
		i = (i + 1) & (c->capsubs - 1);
	c->subs[i] = id;
	c->nsubs++;
	return 1;
}

int
cohost_add(struct cohost *c, const struct psl *psl, const char *name, size_t len, int listed,
    uint64_t subscriber)
{
	char norm[4 * COHOST_NAME_MAX + 8];
	int n, rc = 0;

	c->flows++;
	if (sub_add(c, subscriber) < 0)
		rc = -1;
	if (name == NULL || len == 0)
		return rc;
	if ((n = cohost_normalise(name, len, norm, sizeof(norm))) < 0) {
		c->unreadable++;
		return rc;
	}
	for (size_t i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i].name, norm) == 0) {
			c->names[i].flows++;
			c->names[i].listed |= listed != 0;
			return rc;
		}
	if (c->nnames >= c->names_max) {
		c->names_over++;
		return rc;
	}
	if (c->nnames == c->capnames) {
		size_t nc = c->capnames ? c->capnames * 2 : 16;
		struct cohost_name *nn = realloc(c->names, nc * sizeof(*nn));
		if (nn == NULL)
			return -1;
		c->names = nn;
		c->capnames = nc;
	}
	struct cohost_name *e = &c->names[c->nnames];
	if ((e->name = strdup(norm)) == NULL)
		return -1;
	e->domoff = cohost_registrable(psl, norm, (size_t)n);
	e->flows = 1;
	e->listed = listed != 0;
	c->nnames++;
	return rc;
}

static const char *
dom(const struct cohost_name *n)
{
	return n->name + n->domoff;
}

/* Does a goes before b: more flows, then the name. */
static int
before(uint64_t fa, const char *a, uint64_t fb, const char *b)
{
	return fa != fb ? fa > fb : strcmp(a, b) < 0;
}

/*
 * Groups are found without allocating: a name is its domain's first if no
 * earlier name has the same domain, and the group sums it with every later
 * one. Names per entry are bounded (names_max), so this stays cheap.
 */
static void
group_of(const struct cohost *c, size_t first, struct cohost_domain *g)
{
	g->domain = dom(&c->names[first]);
	g->flows = 0;
	g->names = 0;
	g->listed = 0;
	for (size_t k = first; k < c->nnames; k++)
		if (strcmp(dom(&c->names[k]), g->domain) == 0) {
			g->flows += c->names[k].flows;
			g->names++;
			g->listed |= c->names[k].listed;
		}
}

static int
is_first(const struct cohost *c, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(dom(&c->names[j]), dom(&c->names[i])) == 0)
			return 0;
	return 1;
}

size_t
cohost_domains(const struct cohost *c, int unlisted_only, struct cohost_domain *out, size_t max)
{
	size_t total = 0, kept = 0;

	for (size_t i = 0; i < c->nnames; i++) {
		struct cohost_domain g;
		if (!is_first(c, i))
			continue;
		group_of(c, i, &g);
		if (unlisted_only && g.listed)
			continue;
		total++;
		/* Insertion into the top max, most flows first. */
		size_t at = kept;
		while (at > 0 && before(g.flows, g.domain, out[at - 1].flows, out[at - 1].domain))
			at--;
		if (at >= max)
			continue;
		if (kept < max)
			kept++;
		memmove(&out[at + 1], &out[at], (kept - 1 - at) * sizeof(*out));
		out[at] = g;
	}
	return total;
}

size_t
cohost_top(const struct cohost *c, int listed, const struct cohost_name **out, size_t max)
{
	size_t total = 0, kept = 0;

	for (size_t i = 0; i < c->nnames; i++) {
		const struct cohost_name *n = &c->names[i];
		if ((n->listed != 0) != (listed != 0))
			continue;
		total++;
		size_t at = kept;
		while (at > 0 && before(n->flows, n->name, out[at - 1]->flows, out[at - 1]->name))
			at--;
		if (at >= max)
			continue;
		if (kept < max)
			kept++;
		memmove(
		    &out[at + 1], &out[at], (kept - 1 - at) * sizeof(const struct cohost_name *));
		out[at] = n;
	}
	return total;
}

size_t
cohost_unlisted(const struct cohost *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nnames; i++) {
		struct cohost_domain g;
		if (!is_first(c, i))
			continue;
		group_of(c, i, &g);
		n += !g.listed;
	}
	return n;
}

int
cohost_decide(const struct cohost *c, size_t max, int shared)
{
	if (shared)
		return COHOST_ENFORCE;
	return cohost_unlisted(c) > max ? COHOST_HOLD : COHOST_ENFORCE;
}
