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

const uint8_t *
name_table_find(const struct name_table *t, uint64_t h, const char *key, size_t len)
{
	uint64_t i;
	uint16_t fp = name_hash_fp(h), f;

	if (t->fps == NULL)
		return NULL;
	for (i = h & t->mask; (f = t->fps[i]) != 0; i = (i + 1) & t->mask) {
		if (f == fp) {
			const uint8_t *rec = t->recs + (size_t)(t->offs[i] - 1) * 4;

			if (rec[4] == len && memcmp(rec + 5, key, len) == 0)
				return rec;
		}
	}
	return NULL;
}

struct build_key {
	uint32_t item; /* first item with this name */
	uint32_t count;
	uint64_t off; /* record offset in bytes */
	uint32_t fill;
};

static size_t
rec_head(size_t len)
{
	return (5 + len + 3) & ~(size_t)3;
}

int
name_table_build(struct name_table *t, const struct name_item *it, size_t n)
{
	struct build_key *keys = NULL;
	uint32_t *keyof = NULL;
	size_t cap = 16, i, nkeys = 0;
	uint64_t total = 0;

	memset(t, 0, sizeof(*t));
	if (n == 0)
		return 0;
	if (n > MATCH_MAX_REFS)
		return -1;
	/* Load at most 3/4: linear probing stays short and a miss ends at an empty slot. */
	while (cap < n + n / 3 + 1)
		cap <<= 1;
	t->fps = match_table_alloc(cap * sizeof(*t->fps));
	t->offs = match_table_alloc(cap * sizeof(*t->offs));
	keys = malloc(n * sizeof(*keys));
	keyof = malloc(n * sizeof(*keyof));
	if (t->fps == NULL || t->offs == NULL || keys == NULL || keyof == NULL)
		goto fail;
	t->mask = cap - 1;

	/* Pass 1: group items by name; offs[] holds the key number while building. */
	for (i = 0; i < n; i++) {
		uint64_t h = hash_key(it[i].name, it[i].len), j;
		uint16_t fp = name_hash_fp(h);

		for (j = h & t->mask;; j = (j + 1) & t->mask) {
			if (t->fps[j] == 0) {
				keys[nkeys].item = (uint32_t)i;
				keys[nkeys].count = 1;
				keyof[i] = (uint32_t)nkeys;
				t->fps[j] = fp;
				t->offs[j] = (uint32_t)nkeys;
				nkeys++;
				break;
			}
			if (t->fps[j] == fp) {
				uint32_t k = t->offs[j];
				const struct name_item *o = &it[keys[k].item];

				if (o->len == it[i].len && memcmp(o->name, it[i].name, o->len) == 0) {
					keys[k].count++;
					keyof[i] = k;
					break;
				}
			}
		}
	}

	/* Pass 2: lay out the records, then fill members in item order. */
	for (i = 0; i < nkeys; i++) {
		keys[i].off = total;
		keys[i].fill = 0;
		total += rec_head(it[keys[i].item].len) + keys[i].count * sizeof(struct mmember);
	}
	if (total / 4 >= 0xffffffffu)
		goto fail;
	t->recs = match_table_alloc(total);
	if (t->recs == NULL)
		goto fail;
	t->recslen = total;
	for (i = 0; i < nkeys; i++) {
		uint8_t *rec = t->recs + keys[i].off;
		const struct name_item *o = &it[keys[i].item];

		memcpy(rec, &keys[i].count, 4);
		rec[4] = (uint8_t)o->len;
		memcpy(rec + 5, o->name, o->len);
	}
	for (i = 0; i < n; i++) {
		struct build_key *k = &keys[keyof[i]];
		struct mmember m = {it[i].ref, it[i].order};
		uint8_t *rec = t->recs + k->off;

		memcpy(rec + rec_head(rec[4]) + k->fill++ * sizeof(m), &m, sizeof(m));
	}
	for (i = 0; i <= t->mask; i++)
		if (t->fps[i] != 0)
			t->offs[i] = (uint32_t)(keys[t->offs[i]].off / 4 + 1);
	t->nkeys = nkeys;
	free(keys);
	free(keyof);
	return 0;
fail:
	free(keys);
	free(keyof);
	name_table_free(t);
	return -1;
}

void
name_table_free(struct name_table *t)
{
	free(t->fps);
	free(t->offs);
	free(t->recs);
	memset(t, 0, sizeof(*t));
}

size_t
name_table_bytes(const struct name_table *t)
{
	return (t->fps ? (t->mask + 1) * (sizeof(*t->fps) + sizeof(*t->offs)) : 0) + t->recslen;
}
