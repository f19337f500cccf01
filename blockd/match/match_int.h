/* Inside the match snapshot: the name table and the prefix tables that match.c assembles. */
#ifndef BLOCKD_MATCH_INT_H
#define BLOCKD_MATCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "match.h"

/*
 * A member ties one list (or allowlist) entry to a key. ref holds the entry
 * index and two flags; order is the index into the list's orders (unused for
 * allowlist members).
 */
#define MREF_SUFFIX    0x80000000u /* covers the key's subdomains too */
#define MREF_ALLOW     0x40000000u /* index is into the allowlist copy */
#define MREF_INDEX     0x3fffffffu
#define MATCH_MAX_REFS MREF_INDEX

struct mmember {
	uint32_t ref;
	uint32_t order;
};

/*
 * Names: a hash table of the lowercase keys (domain names, or URL hosts),
 * laid out so that a listed name costs one trip to main memory and an
 * unlisted one usually none:
 * - bloom[]: a blocked Bloom filter (about 8 bits a key, three bits set in
 *   one 64-bit word), 1 MiB for a million names, turns most absent names
 *   away from cache;
 * - buckets[]: 128 bytes (two cache lines, fetched together), each
 *   [u8 used][u8 more][records...]; a key's record sits in its home bucket
 *   or, if that filled up, in a following one ("more" says to keep
 *   looking). A record is
 *   [u16 fingerprint][u8 len][u8 nmemb][const char *name][struct mmember * nmemb],
 *   unaligned; a key with too many members for a bucket leaves an 8-byte
 *   stub [u16 fp][u8 len][0xff][u32 offset] and keeps
 *   [u32 nmemb][const char *name][members] in ext[].
 * The name is not copied: the record points at the entry's own name (in the
 * list's or the allowlist copy's strings, which live as long as the
 * snapshot), and is checked byte for byte on every fingerprint hit, the
 * one more read a listed name costs. Copying the names would double the
 * memory they take for a million entries.
 */
#define NAME_BUCKET      128
#define NAME_BUCKET_DATA (NAME_BUCKET - 2)
#define NAME_EXT         0xff
#define NAME_REC_HEAD    (4 + sizeof(const char *))

/* The name a record (or its ext stub) points at; its length is p[2]. */
static inline const char *
name_rec_name(const uint8_t *ext, const uint8_t *p)
{
	const char *name;
	uint32_t off;

	if (p[3] == NAME_EXT) {
		__builtin_memcpy(&off, p + 4, 4);
		p = ext + off;
	}
	__builtin_memcpy(&name, p + 4, sizeof(name));
	return name;
}

/* The bytes a record takes in its bucket. */
static inline size_t
name_rec_size(const uint8_t *p)
{
	return p[3] == NAME_EXT ? 8 : NAME_REC_HEAD + (size_t)p[3] * 8;
}

struct name_table {
	uint64_t *bloom;
	uint64_t bloom_mask;
	uint8_t *buckets;
	size_t nbuckets; /* including the overflow tail */
	uint32_t nhome;  /* buckets that are some key's home */
	uint8_t *ext;
	size_t extlen;
	size_t nkeys;
	int max_labels; /* of any key: longer suffixes of a query need no probe */
	int min_labels; /* of any key (at least 1): nor do shorter ones */
};

/* A found key: its members are read with name_rec_member(). */
struct name_rec {
	uint32_t nmemb;
	const uint8_t *members;
};

static inline struct mmember
name_rec_member(const struct name_rec *r, uint32_t k)
{
	struct mmember m;

	__builtin_memcpy(&m, r->members + (size_t)k * sizeof(m), sizeof(m));
	return m;
}

/* One key to insert: name is lowercase, already validated, and outlives the table. */
struct name_item {
	const char *name;
	uint32_t len;
	uint32_t ref;
	uint32_t order;
};

/*
 * The keys to insert, without copying them: key i is entry i of entries[]
 * for i below nlist (with MREF_SUFFIX from sfx on: a list in canonical order
 * holds its domains, then its suffixes), and after that refs[i - nlist], an
 * entry of entries[] (or, with MREF_ALLOW, of allow[]) with its MREF_ flags:
 * the member it becomes. Its name is the key, or with hosts only the host
 * before the first '/' (URL entries).
 */
struct name_src {
	const struct rule_entry *entries, *allow;
	const uint32_t *refs;
	size_t nlist, sfx;
	int hosts;
};

/* Build from src's n keys (any order, duplicates grouped); 0, or -1 on allocation failure. */
int name_table_build(struct name_table *, const struct name_src *src, size_t n);
void name_table_free(struct name_table *);
size_t name_table_bytes(const struct name_table *);

/*
 * Hashing shared by build and lookup: each suffix of a name is one string
 * (dots included), hashed eight bytes at a time from its right end, so
 * every suffix's words are the shorter suffix's words and a few more: a
 * query hashes all its suffixes in one pass from the right
 * (match.c domain_scan). Buffers passed here have NAME_BUF_PAD bytes of
 * slack after the name: words are read whole.
 */
#define NAME_HASH_SEED 0xcbf29ce484222325ull
#define NAME_BUF_PAD   8
#define NAME_BUF       (RULES_NAME_MAX + 1 + NAME_BUF_PAD)
static inline uint64_t
name_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9fb21c651e98df25ull;
	return h ^ (h >> 29);
}
static inline uint64_t name_hash_final(uint64_t h);
/*
 * The hash of the len-byte string at p, given h: the mix of its words
 * taken from the right end, all but its first rem = len % 8 bytes.
 */
static inline uint64_t
name_hash_end(uint64_t h, const char *p, size_t rem, size_t len)
{
	uint64_t w;

	if (rem > 0) {
		__builtin_memcpy(&w, p, 8);
		h = name_mix(h, w & ((1ull << (rem * 8)) - 1));
	}
	return name_hash_final(h ^ len);
}
static inline uint64_t
name_hash(const char *p, size_t len)
{
	uint64_t h = NAME_HASH_SEED, w;
	size_t k;

	for (k = len; k >= 8; k -= 8) {
		__builtin_memcpy(&w, p + k - 8, 8);
		h = name_mix(h, w);
	}
	return name_hash_end(h, p, k, len);
}
/* One wide multiply, its halves folded (as wyhash ends): every bit of h reaches every bit. */
static inline uint64_t
name_hash_final(uint64_t h)
{
	unsigned __int128 r = (unsigned __int128)h * 0xc4ceb9fe1a85ec53ull;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Bits of the hash: fingerprint 0..15, Bloom bits 16..33, Bloom block 40.., home bucket 32... */
static inline uint64_t
name_bloom_bits(uint64_t h)
{
	return 1ull << ((h >> 16) & 63) | 1ull << ((h >> 22) & 63) | 1ull << ((h >> 28) & 63);
}
static inline const uint64_t *
name_bloom_word(const struct name_table *t, uint64_t h)
{
	return &t->bloom[(h >> 40) & t->bloom_mask];
}
static inline const uint8_t *
name_home(const struct name_table *t, uint64_t h)
{
	return t->buckets + (size_t)(((h >> 32) * t->nhome) >> 32) * NAME_BUCKET;
}
/* Might key with hash h be in t? False means certainly not. */
static inline int
name_table_maybe(const struct name_table *t, uint64_t h)
{
	uint64_t b = name_bloom_bits(h);

	return t->bloom != NULL && (*name_bloom_word(t, h) & b) == b;
}

/* Find key (len bytes, lowercase) with final hash h: 1 and *r filled, or 0. */
int name_table_find(
    const struct name_table *, uint64_t h, const char *key, size_t len, struct name_rec *r);

/*
 * Prefixes of one family, flattened into disjoint intervals: starts[] is
 * sorted, and interval i (starts[i] up to the next start) is covered most
 * specifically by node nodes[i] (0: none). Each node lists its members and
 * its parent, the next less specific prefix, so lookups can fall through
 * entries whose order is not in force.
 */
struct pfx_node {
	uint32_t parent;
	uint32_t first; /* into members */
	uint32_t n;
};

/* Per interval: its most specific node and that node's first member, so most lookups stop here. */
#define PFX_MORE 0x80000000u /* in leaf ref: the node has more members */
struct pfx_leaf {
	uint32_t node;
	uint32_t ref;
	uint32_t order;
};

struct pfx_table {
	int family;
	size_t nint;
	uint32_t *starts4;          /* family 4 */
	unsigned __int128 *starts6; /* family 6 */
	uint32_t *bucket4;          /* family 4: 65537 entries, interval holding (k << 16) */
	struct pfx_leaf *leaves;    /* per interval */
	struct pfx_node *nodes;     /* nodes[0] unused */
	size_t nnodes;
	struct mmember *members;
	size_t nmembers;
};

struct pfx_item {
	unsigned __int128 lo, hi;
	uint32_t ref;
	uint32_t order;
};

/* Build from items (may be reordered); 0, or -1 on allocation failure. */
int pfx_table_build(struct pfx_table *, int family, struct pfx_item *, size_t n);
void pfx_table_free(struct pfx_table *);
size_t pfx_table_bytes(const struct pfx_table *);
/* The interval holding a (its node is 0 if no prefix covers a); NULL if the table is empty. */
const struct pfx_leaf *pfx_table_find4(const struct pfx_table *, uint32_t a);
const struct pfx_leaf *pfx_table_find6(const struct pfx_table *, unsigned __int128 a);

/*
 * Domain names as lookups take them: checks the syntax (LDH and '_', labels
 * of 1..63 bytes, at most 253 bytes without the optional trailing dot) and
 * writes the lowercase form to out (NAME_BUF bytes), NUL-terminated.
 * Returns the length, or -1 if the name is malformed. match_name_split()
 * also gives where each label starts (lab: RULES_NAME_MAX + 2 entries) and
 * how many there are.
 */
int match_name_normalize(const char *name, size_t len, char *out);
int match_name_split(const char *name, size_t len, char *out, uint8_t *lab, int *nlab);

/* An order's window, copied out of struct rule_order: small enough to stay in cache. */
struct order_win {
	int64_t not_before, not_after;
};

struct match_snapshot {
	struct rulelist *list;
	struct order_win *win; /* per order */
	struct rule_entry *allow;
	size_t nallow;
	struct name_table names; /* RULE_DOMAIN, RULE_SUFFIX and allowlist names */
	struct name_table urls;  /* RULE_URL, keyed by host */
	struct pfx_table v4, v6;
	int names_allow, v4_allow, v6_allow; /* any allowlist members there? */
	size_t counts[RULE_NTYPES];
};

#endif
