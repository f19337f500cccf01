/* Name sets for the public suffix list, the allowlist and the RPZ writer. */
#include <stdlib.h>
#include <string.h>

#include "strset.h"

struct slot {
	char *name; /* NULL: empty */
	uint32_t len;
	uint32_t hash;
	unsigned flags;
	uint32_t aux;
};

struct strset {
	struct slot *slots;
	size_t cap, n; /* cap is a power of two, kept at least twice n */
};

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

/*
 * FNV-1a over the bytes from the last to the first: a name's hash then
 * passes through the hash of each name above it (strset_name()).
 */
static uint32_t
hash(const char *s, size_t n)
{
	uint32_t h = FNV_BASIS;

	while (n--)
		h = (h ^ (uint8_t)s[n]) * FNV_PRIME;
	return h;
}

struct strset *
strset_create(void)
{
	struct strset *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->cap = 64;
	s->slots = calloc(s->cap, sizeof *s->slots);
	if (s->slots == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
strset_free(struct strset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->cap; i++)
		free(s->slots[i].name);
	free(s->slots);
	free(s);
}

static struct slot *
find(const struct strset *s, const char *name, size_t len, uint32_t h)
{
	size_t i = h & (s->cap - 1);

	while (s->slots[i].name) {
		if (s->slots[i].hash == h && s->slots[i].len == len &&
		    memcmp(s->slots[i].name, name, len) == 0)
			return &s->slots[i];
		i = (i + 1) & (s->cap - 1);
	}
	return &s->slots[i];
}

static int
grow(struct strset *s)
{
	struct slot *old = s->slots, *d;
	size_t oldcap = s->cap, i;

	s->slots = calloc(oldcap * 2, sizeof *s->slots);
	if (s->slots == NULL) {
		s->slots = old;
		return -1;
	}
	s->cap = oldcap * 2;
	for (i = 0; i < oldcap; i++) {
		if (old[i].name == NULL)
			continue;
		d = find(s, old[i].name, old[i].len, old[i].hash);
		*d = old[i];
	}
	free(old);
	return 0;
}

int
strset_add(struct strset *s, const char *name, size_t len, unsigned flags, uint32_t aux)
{
	uint32_t h = hash(name, len);
	struct slot *sl;

	if ((s->n + 1) * 2 > s->cap && grow(s) != 0)
		return -1;
	sl = find(s, name, len, h);
	if (sl->name) {
		sl->flags |= flags;
		if (sl->aux == STRSET_NOAUX)
			sl->aux = aux;
		return 0;
	}
	sl->name = malloc(len + 1);
	if (sl->name == NULL)
		return -1;
	memcpy(sl->name, name, len);
	sl->name[len] = '\0';
	sl->len = (uint32_t)len;
	sl->hash = h;
	sl->flags = flags;
	sl->aux = aux;
	s->n++;
	return 0;
}

unsigned
strset_get(const struct strset *s, const char *name, size_t len, uint32_t *aux)
{
	const struct slot *sl = find(s, name, len, hash(name, len));

	if (sl->name == NULL)
		return 0;
	if (aux)
		*aux = sl->aux;
	return sl->flags;
}

size_t
strset_count(const struct strset *s)
{
	return s->n;
}

void
strset_name(struct strset_name *sn, const char *name, size_t len)
{
	uint32_t h = FNV_BASIS, off[STRSET_SUFFIX_MAX], hs[STRSET_SUFFIX_MAX];
	unsigned n = 0, i;
	size_t k = len;

	/* Right to left: each dot closes the suffix after it, the first byte the name. */
	while (k > 0) {
		k--;
		if (name[k] == '.') {
			off[n % STRSET_SUFFIX_MAX] = (uint32_t)(k + 1);
			hs[n % STRSET_SUFFIX_MAX] = h;
			n++;
		}
		h = (h ^ (uint8_t)name[k]) * FNV_PRIME;
	}
	off[n % STRSET_SUFFIX_MAX] = 0;
	hs[n % STRSET_SUFFIX_MAX] = h;
	n++;
	/* Longest first, as callers walk up from the name. */
	sn->name = name;
	sn->len = len;
	sn->n = n < STRSET_SUFFIX_MAX ? n : STRSET_SUFFIX_MAX;
	for (i = 0; i < sn->n; i++) {
		unsigned j = (n - 1 - i) % STRSET_SUFFIX_MAX;
		sn->off[i] = off[j];
		sn->hash[i] = hs[j];
	}
}

unsigned
strset_get_suffix(const struct strset *s, const struct strset_name *sn, unsigned i, uint32_t *aux)
{
	const struct slot *sl = find(s, sn->name + sn->off[i], sn->len - sn->off[i], sn->hash[i]);

	if (sl->name == NULL)
		return 0;
	if (aux)
		*aux = sl->aux;
	return sl->flags;
}
