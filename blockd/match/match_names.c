/* The name table: domain names and URL hosts hashed from the right, checked byte for byte. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "hugemem.h"
#include "match_int.h"

int
match_name_split(const char *name, size_t len, char *out, uint8_t *lab, int *nlab)
{
	size_t i, start = 0;
	int n = 0;
	uint64_t bad = 0;

	if (len > RULES_NAME_MAX + 1)
		return -1; /* before reading a byte of it */
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > RULES_NAME_MAX)
		return -1;
	lab[n++] = 0;
	/*
	 * Eight bytes a step: every byte must be a letter, digit, '-', '_' or
	 * '.'; capitals are lowered; each dot ends a label of 1..63 bytes. The
	 * name is read only up to len; out has room for whole words.
	 */
	for (i = 0; i < len; i += 8) {
		uint64_t w = 0, live = SWAR_HIGH, up, dots, valid;

		if (len - i >= 8) {
			memcpy(&w, name + i, 8);
		} else if (len >= 8) {
			/* The last eight bytes of the name, shifted down past those already read. */
			memcpy(&w, name + len - 8, 8);
			w >>= 8 * (8 - (len - i));
			live >>= 8 * (8 - (len - i)); /* little-endian: the first bytes are low */
		} else {
			for (size_t k = 0; k < len; k++)
				w |= (uint64_t)(uint8_t)name[k] << (8 * k);
			live >>= 8 * (8 - len);
		}
		bad |= w & SWAR_HIGH;
		up = swar_in_range(w, 'A', 'Z');
		dots = swar_in_range(w, '.', '.') & live;
		valid = up | swar_in_range(w, 'a', 'z') | swar_in_range(w, '0', '9') |
		    swar_in_range(w, '-', '.') | swar_in_range(w, '_', '_');
		bad |= live & ~valid;
		w |= up >> 2; /* 0x80 >> 2 is the case bit */
		memcpy(out + i, &w, 8);
		while (dots) {
			size_t at = i + (size_t)(__builtin_ctzll(dots) >> 3);

			bad |= at - start - 1 > 62; /* an empty label, or one over 63 bytes */
			lab[n++] = (uint8_t)(at + 1);
			start = at + 1;
			dots &= dots - 1;
		}
	}
	if (bad || len - start - 1 > 62)
		return -1;
	lab[n] = (uint8_t)len;
	memset(out + len, 0, NAME_BUF_PAD + 1);
	*nlab = n;
	return (int)len;
}

int
match_name_normalize(const char *name, size_t len, char *out)
{
	uint8_t lab[RULES_NAME_MAX + 2];
	int n;

	return match_name_split(name, len, out, lab, &n);
}

static uint64_t
hash_key(const char *key, size_t len)
{
	char buf[NAME_BUF];

	memcpy(buf, key, len);
	memset(buf + len, 0, NAME_BUF_PAD);
	return name_hash(buf, len);
}

static int
count_labels(const char *name, size_t len)
{
	int n = 1;

	while (len-- > 0)
		n += name[len] == '.';
	return n;
}

int
name_table_find(
    const struct name_table *t, uint64_t h, const char *key, size_t len, struct name_rec *r)
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
			if (f == fp && l == len &&
			    memcmp(name_rec_name(t->ext, p), key, len) == 0) {
				if (nm != NAME_EXT) {
					r->nmemb = nm;
					r->members = p + NAME_REC_HEAD;
				} else {
					uint32_t off;

					memcpy(&off, p + 4, 4);
					memcpy(&r->nmemb, t->ext + off, 4);
					r->members = t->ext + off + NAME_REC_HEAD;
				}
				return 1;
			}
			p += name_rec_size(p);
		}
		if (!b[1])
			return 0;
	}
}

/* Item i's ref: its entry (or allowlist entry) index with the MREF_ flags. */
static inline uint32_t
src_ref(const struct name_src *src, size_t i)
{
	if (i < src->nlist)
		return (uint32_t)i | (i >= src->sfx ? MREF_SUFFIX : 0);
	return src->refs[i - src->nlist];
}

/* Item i of src: an entry of the list or of the allowlist copy, as a key. */
static struct name_item
src_item(const struct name_src *src, size_t i)
{
	uint32_t ref = src_ref(src, i);
	const struct rule_entry *e =
	    ref & MREF_ALLOW ? &src->allow[ref & MREF_INDEX] : &src->entries[ref & MREF_INDEX];
	struct name_item it = {e->name, e->namelen, ref, ref & MREF_ALLOW ? 0 : e->order};

	if (src->hosts) /* "host/path": the host is the key */
		it.len = (uint32_t)((const char *)memchr(e->name, '/', e->namelen) - e->name);
	return it;
}

/* How many keys ahead the build fetches what it reads at random. */
#define NAME_AHEAD ((size_t)16)

/* A key during the build: a run of items in sorted order with the same name. */
struct build_key {
	size_t first, count; /* into the sorted order */
	uint32_t size;       /* bytes it takes in a bucket */
};

/*
 * The run of items starting at sorted position i that share a name with it,
 * among those up to end (the rest of its home bucket's items): equal names
 * have equal fingerprints, which are adjacent.
 */
static struct build_key
next_key(const struct name_src *src, uint16_t *fps, uint32_t *order, size_t i, size_t end)
{
	struct build_key k = {i, 1, 0};
	/* order[] is a permutation of 0..n-1, filled by the counting sort in the caller. */
	/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.ArraySubscript) */
	struct name_item a = {0}, b;
	size_t j, sz;

	/* An entry is read (at random) only when another has the same fingerprint. */
	for (j = i + 1; j < end && fps[j] == fps[i]; j++) {
		if (a.name == NULL)
			a = src_item(src, order[i]);
		b = src_item(src, order[j]);

		if (b.len == a.len && memcmp(b.name, a.name, a.len) == 0) {
			/* Bring it next to the run, keeping item order within both groups. */
			uint32_t x = order[j];

			memmove(order + i + k.count + 1, order + i + k.count,
			    (j - i - k.count) * sizeof(*order));
			order[i + k.count++] = x;
		}
	}
	sz = NAME_REC_HEAD + k.count * sizeof(struct mmember);
	k.size = sz > NAME_BUCKET_DATA || k.count >= NAME_EXT ? 8 : (uint32_t)sz;
	return k;
}

static uint32_t
home_of(const struct name_table *t, uint64_t h)
{
	return (uint32_t)(((h >> 32) * t->nhome) >> 32);
}

/* Item i's key hashed. */
static uint64_t
item_hash(const struct name_src *src, size_t i)
{
	struct name_item it = src_item(src, i);

	return hash_key(it.name, it.len);
}

/*
 * The build keeps 6 bytes an item besides the table: the items in bucket
 * order (4) and their fingerprints in that order (2). The Bloom filter is
 * filled while hashing, sized by the items (the keys, unless names repeat),
 * and the hashes are computed twice rather than kept.
 */
int
name_table_build(struct name_table *t, const struct name_src *src, size_t n)
{
	uint32_t *order = NULL, *start = NULL;
	uint16_t *fps = NULL;
	size_t i, j, nb, cur, used, ext = 0, xoff = 0, nkeys = 0, home, end;
	double bytes;
	int max_labels = 0, min_labels = INT_MAX;

	memset(t, 0, sizeof(*t));
	if (n == 0)
		return 0;
	if (n > MATCH_MAX_REFS)
		return -1;
	/*
	 * Buckets about 75% full (less with repeated names): with records of
	 * 20 bytes a bucket holds six, so a listed name is found in its home
	 * bucket or the next one but rarely further (1.2 buckets on average for
	 * a million names, as with the longer records at 65%).
	 */
	bytes = (double)n * (double)(NAME_REC_HEAD + sizeof(struct mmember));
	bytes /= NAME_BUCKET_DATA * 0.75;
	t->nhome = bytes < 1 ? 1 : bytes > 0x7fffffff ? 0x7fffffff : (uint32_t)bytes;
	for (t->bloom_mask = 1; t->bloom_mask * 64 < n * 8; t->bloom_mask <<= 1)
		;
	/* About 8 bits a key: a million names keep their filter in 1 MiB of cache. */
	t->bloom = huge_calloc(t->bloom_mask, sizeof(*t->bloom));
	t->bloom_mask--;
	order = huge_alloc(n * sizeof(*order));
	fps = huge_alloc(n * sizeof(*fps));
	start = calloc((size_t)t->nhome + 1, sizeof(*start));
	if (t->bloom == NULL || order == NULL || fps == NULL || start == NULL)
		goto fail;

	/* Items by home bucket (counting sort, stable); the filter on the way. */
	for (i = 0; i < n; i++) {
		struct name_item it = src_item(src, i);
		uint64_t h = hash_key(it.name, it.len);
		int nl = count_labels(it.name, it.len);

		start[home_of(t, h) + 1]++;
		t->bloom[(h >> 40) & t->bloom_mask] |= name_bloom_bits(h);
		max_labels = nl > max_labels ? nl : max_labels;
		min_labels = nl < min_labels ? nl : min_labels;
	}
	for (i = 0; i < t->nhome; i++)
		start[i + 1] += start[i];
	for (i = 0; i < n; i++) {
		uint64_t h = item_hash(src, i);
		uint32_t at = start[home_of(t, h)]++;

		order[at] = (uint32_t)i;
		fps[at] = (uint16_t)h;
	}
	/* start[b] is now where home b ends (and b + 1 begins); by fingerprint within one. */
	for (home = 0, i = 0; home < t->nhome; i = start[home++]) {
		for (j = i + 1; j < start[home]; j++) {
			uint32_t x = order[j];
			uint16_t f = fps[j];
			size_t k;

			for (k = j; k > i && fps[k - 1] > f; k--) {
				order[k] = order[k - 1];
				fps[k] = fps[k - 1];
			}
			order[k] = x;
			fps[k] = f;
		}
	}

	/* Sizing pass: the buckets the greedy placement below will use. */
	for (home = 0, i = 0, cur = 0, used = 0; home < t->nhome; home++) {
		if (home > cur) {
			cur = home;
			used = 0;
		}
		for (end = start[home]; i < end; i += j) {
			struct build_key k = next_key(src, fps, order, i, end);

			j = k.count;
			if (used + k.size > NAME_BUCKET_DATA) {
				cur++;
				used = 0;
			}
			used += k.size;
			if (k.size == 8)
				ext += NAME_REC_HEAD + k.count * sizeof(struct mmember);
			nkeys++;
		}
	}
	nb = cur + 1 > t->nhome ? cur + 1 : t->nhome;
	if (ext > 0xffffffffu)
		goto fail;
	t->buckets = huge_calloc(nb, NAME_BUCKET); /* read at random: TLB misses too */
	t->ext = ext ? malloc(ext) : NULL;
	if (t->buckets == NULL || (ext && t->ext == NULL))
		goto fail;
	t->nbuckets = nb;
	t->extlen = ext;

	/*
	 * Placement pass: records in home order, each in its home or the next
	 * bucket with room. The entries are read in that (random) order: each is
	 * fetched some keys ahead.
	 */
	for (home = 0, i = 0, cur = 0; home < t->nhome; home++) {
		if (home > cur)
			cur = home;
		for (end = start[home]; i < end; i += j) {
			if (i + NAME_AHEAD < n) {
				uint32_t r = src_ref(src, order[i + NAME_AHEAD]);

				__builtin_prefetch(r & MREF_ALLOW ? &src->allow[r & MREF_INDEX]
								  : &src->entries[r & MREF_INDEX]);
			}
			struct build_key k = next_key(src, fps, order, i, end);
			const struct name_item o = src_item(src, order[i]);
			uint16_t fp = fps[i];
			uint8_t *b, *p, *m;
			size_t c;

			j = k.count;
			if (t->buckets[cur * NAME_BUCKET] + k.size > NAME_BUCKET_DATA)
				cur++;
			for (c = home; c < cur; c++) /* lookups from home must read on to here */
				t->buckets[c * NAME_BUCKET + 1] = 1;
			b = t->buckets + cur * NAME_BUCKET;
			p = b + 2 + b[0];
			b[0] = (uint8_t)(b[0] + k.size);
			memcpy(p, &fp, 2);
			p[2] = (uint8_t)o.len;
			if (k.size == 8) {
				uint32_t off = (uint32_t)xoff, cnt = (uint32_t)k.count;
				uint8_t *x = t->ext + xoff;

				p[3] = NAME_EXT;
				memcpy(p + 4, &off, 4);
				/* k.size is 8 only for keys counted into ext, so ext was allocated. */
				memcpy(x, &cnt,
				    4); /* NOLINT(clang-analyzer-core.NonNullParamChecker) */
				memcpy(x + 4, &o.name, sizeof(o.name));
				m = x + NAME_REC_HEAD;
				xoff += NAME_REC_HEAD + k.count * sizeof(struct mmember);
			} else {
				p[3] = (uint8_t)k.count;
				memcpy(p + 4, &o.name, sizeof(o.name));
				m = p + NAME_REC_HEAD;
			}
			for (c = 0; c < k.count; c++) {
				const struct name_item e = c ? src_item(src, order[i + c]) : o;
				struct mmember mm = {e.ref, e.order};

				memcpy(m + c * sizeof(mm), &mm, sizeof(mm));
			}
		}
	}
	t->nkeys = nkeys;
	t->max_labels = max_labels;
	t->min_labels = min_labels;
	free(order);
	free(fps);
	free(start);
	return 0;
fail:
	free(order);
	free(fps);
	free(start);
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
