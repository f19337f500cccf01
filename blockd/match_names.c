/* The name table: domain names and URL hosts hashed from the right, checked byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

/* 1: lowercase letter, digit, '-' or '_'; 2: uppercase letter. */
static const uint8_t name_class[256] = {
    ['0' ... '9'] = 1,
    ['a' ... 'z'] = 1,
    ['A' ... 'Z'] = 2,
    ['-'] = 1,
    ['_'] = 1,
};

int
match_name_normalize(const char *name, size_t len, char *out)
{
	size_t i, lab = 0;

	if (len > RULES_NAME_MAX + 1)
		return -1; /* before reading a byte of it */
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > RULES_NAME_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		uint8_t c = (uint8_t)name[i], k;

		if (c == '.') {
			if (lab == 0)
				return -1;
			lab = 0;
			out[i] = '.';
			continue;
		}
		k = name_class[c];
		if (k == 0 || ++lab > 63)
			return -1;
		out[i] = (char)(c | (uint8_t)((k >> 1) << 5));
	}
	if (lab == 0)
		return -1;
	out[len] = '\0';
	return (int)len;
}

static uint64_t
hash_key(const char *key, size_t len)
{
	uint64_t h = NAME_HASH_SEED;

	while (len > 0)
		h = name_hash_step(h, (uint8_t)key[--len]);
	return name_hash_final(h);
}

int
name_table_find(const struct name_table *t, uint64_t h, const char *key, size_t len,
    struct name_rec *r)
{
	const uint8_t *b;
	uint16_t fp = (uint16_t)h;

	if (!name_table_maybe(t, h))
		return 0;
	for (b = name_home(t, h);; b += NAME_BUCKET) {
		const uint8_t *p = b + 2, *end = p + b[0];

		while (p < end) {
			uint16_t f;
			uint8_t l = p[2], nm = p[3];

			memcpy(&f, p, 2);
			if (f == fp && l == len) {
				if (nm != NAME_EXT && memcmp(p + 4, key, len) == 0) {
					r->nmemb = nm;
					r->members = p + 4 + len;
					return 1;
				}
				if (nm == NAME_EXT) {
					const uint8_t *x;
					uint32_t off;

					memcpy(&off, p + 4, 4);
					x = t->ext + off;
					if (memcmp(x + 4, key, len) == 0) {
						memcpy(&r->nmemb, x, 4);
						r->members = x + 4 + len;
						return 1;
					}
				}
			}
			p += nm == NAME_EXT ? 8 : 4 + l + (size_t)nm * sizeof(struct mmember);
		}
		if (!b[1])
			return 0;
	}
}

struct build_key {
	uint64_t h;
	uint32_t item;  /* first item with this name */
	uint32_t count; /* items with this name */
	uint32_t first; /* into the members scratch, grouped by key */
	uint32_t home;
	uint32_t size; /* bytes in a bucket */
};

static int
home_cmp(const void *a, const void *b)
{
	const struct build_key *x = a, *y = b;

	return x->home < y->home ? -1 : x->home > y->home;
}

int
name_table_build(struct name_table *t, const struct name_item *it, size_t n)
{
	struct build_key *keys = NULL;
	uint32_t *keyof = NULL, *dedup = NULL, *fill = NULL;
	struct mmember *mem = NULL;
	size_t dcap = 16, i, k, nkeys = 0, inl = 0, ext = 0, nb, cur, used, xoff;
	double target;

	memset(t, 0, sizeof(*t));
	if (n == 0)
		return 0;
	if (n > MATCH_MAX_REFS)
		return -1;
	while (dcap < 2 * n)
		dcap <<= 1;
	keys = malloc(n * sizeof(*keys));
	keyof = malloc(n * sizeof(*keyof));
	dedup = calloc(dcap, sizeof(*dedup));
	mem = malloc(n * sizeof(*mem));
	if (keys == NULL || keyof == NULL || dedup == NULL || mem == NULL)
		goto fail;

	/* Group items by name (a scratch table of key numbers). */
	for (i = 0; i < n; i++) {
		uint64_t h = hash_key(it[i].name, it[i].len), j;

		for (j = h & (dcap - 1);; j = (j + 1) & (dcap - 1)) {
			if (dedup[j] == 0) {
				keys[nkeys] = (struct build_key){h, (uint32_t)i, 1, 0, 0, 0};
				keyof[i] = (uint32_t)nkeys;
				dedup[j] = (uint32_t)++nkeys;
				break;
			}
			k = dedup[j] - 1;
			if (keys[k].h == h && it[keys[k].item].len == it[i].len &&
			    memcmp(it[keys[k].item].name, it[i].name, it[i].len) == 0) {
				keys[k].count++;
				keyof[i] = (uint32_t)k;
				break;
			}
		}
	}
	free(dedup);
	dedup = NULL;

	/* Members grouped by key, each group in item order. */
	fill = malloc(nkeys * sizeof(*fill));
	if (fill == NULL)
		goto fail;
	for (k = 0, used = 0; k < nkeys; k++) {
		size_t sz = 4 + it[keys[k].item].len + (size_t)keys[k].count * sizeof(struct mmember);

		keys[k].first = (uint32_t)used;
		fill[k] = (uint32_t)used;
		used += keys[k].count;
		if (sz > NAME_BUCKET_DATA || keys[k].count >= NAME_EXT) {
			keys[k].size = 8;
			ext += sz;
		} else
			keys[k].size = (uint32_t)sz;
		inl += keys[k].size;
	}
	for (i = 0; i < n; i++)
		mem[fill[keyof[i]]++] = (struct mmember){it[i].ref, it[i].order};
	free(fill);
	fill = NULL;
	free(keyof);
	keyof = NULL;

	/* Buckets about 70% full: short overflow runs, and a few bytes of slack per key. */
	target = (double)inl / (NAME_BUCKET_DATA * 0.7);
	t->nhome = target < 1 ? 1 : target > 0xffffffffu ? 0xffffffffu : (uint32_t)target;
	for (k = 0; k < nkeys; k++)
		keys[k].home = (uint32_t)(((keys[k].h >> 32) * t->nhome) >> 32);
	qsort(keys, nkeys, sizeof(*keys), home_cmp);

	/* Place records in home order; count the buckets, tail included. */
	for (k = 0, cur = 0, used = 0; k < nkeys; k++) {
		if (keys[k].home > cur) {
			cur = keys[k].home;
			used = 0;
		}
		if (used + keys[k].size > NAME_BUCKET_DATA) {
			cur++;
			used = 0;
		}
		used += keys[k].size;
	}
	nb = cur + 1;
	if (nb < t->nhome)
		nb = t->nhome;
	if (ext > 0xffffffffu)
		goto fail;
	t->buckets = match_table_alloc(nb * NAME_BUCKET);
	t->ext = ext ? malloc(ext) : NULL;
	for (t->bloom_mask = 1; t->bloom_mask * 64 < nkeys * 8; t->bloom_mask <<= 1)
		;
	t->bloom = match_table_alloc(t->bloom_mask * sizeof(*t->bloom));
	t->bloom_mask--;
	if (t->buckets == NULL || (ext && t->ext == NULL) || t->bloom == NULL)
		goto fail;
	t->nbuckets = nb;
	t->extlen = ext;

	for (k = 0, cur = 0, xoff = 0; k < nkeys; k++) {
		const struct build_key *bk = &keys[k];
		const struct name_item *o = &it[bk->item];
		uint8_t *b, *p;
		uint16_t fp = (uint16_t)bk->h;
		size_t c;

		if (bk->home > cur)
			cur = bk->home;
		if (t->buckets[cur * NAME_BUCKET] + bk->size > NAME_BUCKET_DATA)
			cur++;
		/* Every bucket from home up to here must send lookups further on. */
		for (c = bk->home; c < cur; c++)
			t->buckets[c * NAME_BUCKET + 1] = 1;
		b = t->buckets + cur * NAME_BUCKET;
		p = b + 2 + b[0];
		b[0] = (uint8_t)(b[0] + bk->size);
		memcpy(p, &fp, 2);
		p[2] = (uint8_t)o->len;
		if (bk->size == 8) {
			uint32_t off = (uint32_t)xoff;
			uint8_t *x = t->ext + xoff;

			p[3] = NAME_EXT;
			memcpy(p + 4, &off, 4);
			memcpy(x, &bk->count, 4);
			memcpy(x + 4, o->name, o->len);
			memcpy(x + 4 + o->len, mem + bk->first, bk->count * sizeof(*mem));
			xoff += 4 + o->len + bk->count * sizeof(*mem);
		} else {
			p[3] = (uint8_t)bk->count;
			memcpy(p + 4, o->name, o->len);
			memcpy(p + 4 + o->len, mem + bk->first, bk->count * sizeof(*mem));
		}
		t->bloom[(bk->h >> 40) & t->bloom_mask] |= name_bloom_bits(bk->h);
	}
	t->nkeys = nkeys;
	free(keys);
	free(mem);
	return 0;
fail:
	free(keys);
	free(keyof);
	free(dedup);
	free(mem);
	free(fill);
	name_table_free(t);
	return -1;
}

void
name_table_free(struct name_table *t)
{
	free(t->bloom);
	free(t->buckets);
	free(t->ext);
	memset(t, 0, sizeof(*t));
}

size_t
name_table_bytes(const struct name_table *t)
{
	return t->nbuckets * NAME_BUCKET + t->extlen +
	    (t->bloom ? (t->bloom_mask + 1) * sizeof(*t->bloom) : 0);
}
