/* Flow table: fixed arrays, keyed hash with chains, LRU list, all indices so nothing moves. */
#include <stdlib.h>
#include <string.h>

#include "flow.h"

struct flow_table {
	struct flow_table_live live; /* first: flow_expire() reads it */
	struct flow *flows;
	uint32_t *buckets; /* index + 1 of chain head; 0 empty */
	uint32_t nbuckets; /* power of two */
	uint32_t capacity;
	uint32_t nfree;     /* flows never used yet are taken in order */
	uint32_t free_head; /* freed flows, chained through hnext */
	uint32_t lru_head, lru_tail;
	uint32_t timeout;
	uint64_t secret[6]; /* flow_hash()'s, made from the seed */
	struct reasm_pool *pool;
	uint8_t *longmem;   /* nlong blocks of REASM_LONG_MEM bytes */
	uint8_t **longfree; /* the blocks not in use */
	uint32_t nlong, nlongfree;
	struct flow_stats st;
	void (*on_drop)(void *arg, const struct flow *f);
	void *on_drop_arg;
};

static inline uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* The 128-bit product of a and b, its halves folded: the step of the keyed hash below. */
static inline uint64_t
mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * (unsigned __int128)b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * Keyed hash over the key's 40 bytes: its words paired, each word masked
 * by its own secret (t->secret, from the seed), each pair folded by one
 * wide multiply, the fifth word with what the others made, as wyhash
 * does: without the secrets no one can aim keys at one chain. The bucket
 * is its low bits (flow_bucket()).
 */
uint32_t
flow_hash(const struct flow_table *t, const struct flow_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	const uint64_t *s = t->secret;
	uint64_t w0, w1, w2, w3, w4;

	_Static_assert(sizeof(struct flow_key) == 40, "flow_key is five words");
	/* Each word loaded where it is: the compiler copies the key to the stack otherwise. */
	memcpy(&w0, b, 8);
	memcpy(&w1, b + 8, 8);
	memcpy(&w2, b + 16, 8);
	memcpy(&w3, b + 24, 8);
	memcpy(&w4, b + 32, 8);
	uint64_t h = mum(w0 ^ s[0], w1 ^ s[1]) ^ mum(w2 ^ s[2], w3 ^ s[3]);
	return (uint32_t)mum(h ^ s[4], w4 ^ s[5]);
}

static inline uint32_t
flow_bucket(const struct flow_table *t, uint32_t hash)
{
	return hash & (t->nbuckets - 1);
}

struct flow_table *
flow_table_create(uint32_t capacity, uint32_t nstreams, uint32_t timeout, uint64_t seed)
{
	struct flow_table *t;
	uint32_t nb = 1;

	if (capacity == 0 || nstreams == 0 || timeout == 0 || capacity > 0x40000000u)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	while (nb < capacity)
		nb <<= 1;
	t->live.live_at = INT64_MIN;
	t->nbuckets = nb;
	t->capacity = capacity;
	t->timeout = timeout;
	for (int i = 0; i < 6; i++) {
		seed += 0x9e3779b97f4a7c15ULL;
		t->secret[i] = mix(seed);
	}
	t->flows = calloc(capacity, sizeof(*t->flows));
	t->buckets = calloc(nb, sizeof(*t->buckets));
	t->pool = reasm_pool_create(nstreams);
	t->nlong = nstreams / FLOW_LONG_SHARE > 0 ? nstreams / FLOW_LONG_SHARE : 1;
	t->longmem = malloc((size_t)t->nlong * REASM_LONG_MEM);
	t->longfree = calloc(t->nlong, sizeof(*t->longfree));
	if (t->flows == NULL || t->buckets == NULL || t->pool == NULL || t->longmem == NULL ||
	    t->longfree == NULL) {
		flow_table_destroy(t);
		return NULL;
	}
	for (uint32_t i = 0; i < t->nlong; i++)
		t->longfree[i] = t->longmem + (size_t)i * REASM_LONG_MEM;
	t->nlongfree = t->nlong;
	t->st.capacity = capacity;
	t->st.long_size = t->nlong;
	return t;
}

void
flow_table_destroy(struct flow_table *t)
{
	if (t == NULL)
		return;
	reasm_pool_destroy(t->pool);
	free(t->longmem);
	free(t->longfree);
	free(t->buckets);
	free(t->flows);
	free(t);
}

void
flow_table_on_drop(struct flow_table *t, void (*fn)(void *arg, const struct flow *f), void *arg)
{
	t->on_drop = fn;
	t->on_drop_arg = arg;
}

static inline uint32_t
idx(const struct flow_table *t, const struct flow *f)
{
	return (uint32_t)(f - t->flows) + 1;
}

static inline struct flow *
at(struct flow_table *t, uint32_t i)
{
	return &t->flows[i - 1];
}

/* Another flow (index i, or none) is the least recently used: whether it is live is not known. */
static inline void
tail_is(struct flow_table *t, uint32_t i)
{
	t->lru_tail = i;
	t->live.live_at = INT64_MIN;
}

/*
 * A flow touched at now: if the clock went back, it may be older than the
 * now the table was found live at, which then no longer says anything.
 */
static inline void
touched_at(struct flow_table *t, int64_t now)
{
	if (now < t->live.live_at)
		t->live.live_at = INT64_MIN;
}

static void
lru_unlink(struct flow_table *t, struct flow *f)
{
	if (f->prev)
		at(t, f->prev)->next = f->next;
	else
		t->lru_head = f->next;
	if (f->next)
		at(t, f->next)->prev = f->prev;
	else
		tail_is(t, f->prev);
	f->prev = f->next = 0;
}

/* Unlinks f from its chain and the LRU list, frees its stream and its slot. */
static void
drop(struct flow_table *t, struct flow *f)
{
	uint32_t i = idx(t, f);
	uint32_t *pp = &t->buckets[flow_bucket(t, f->hash)];

	while (*pp && *pp != i)
		pp = &at(t, *pp)->hnext;
	if (*pp == i)
		*pp = f->hnext;
	lru_unlink(t, f);
	if (t->on_drop != NULL)
		t->on_drop(t->on_drop_arg, f);
	flow_stream_release(t, f);
	memset(f, 0, sizeof(*f));
	f->hnext = t->free_head;
	t->free_head = i;
	t->st.active--;
}

static inline int
expired(const struct flow_table *t, const struct flow *f, int64_t now)
{
	return now - f->last_seen >= (int64_t)t->timeout;
}

/* The index of key k's flow (hash h) in its chain, or 0; the whole hash is compared before the key. */
static uint32_t
find(struct flow_table *t, const struct flow_key *k, uint32_t h)
{
	uint32_t i;

	for (i = t->buckets[flow_bucket(t, h)]; i; i = at(t, i)->hnext) {
		struct flow *f = at(t, i);

		if (f->hash == h && memcmp(&f->key, k, sizeof(*k)) == 0)
			return i;
	}
	return 0;
}

/* f (index i) made the most recently used: lru_unlink() and lru_push_head() in one. */
static inline void
lru_to_head(struct flow_table *t, struct flow *f, uint32_t i)
{
	if (t->lru_head == i)
		return;
	/* Not the head, so it has a prev, and the head is another flow. */
	at(t, f->prev)->next = f->next;
	if (f->next)
		at(t, f->next)->prev = f->prev;
	else
		tail_is(t, f->prev);
	f->prev = 0;
	f->next = t->lru_head;
	at(t, t->lru_head)->prev = i;
	t->lru_head = i;
}

struct flow *
flow_lookup(struct flow_table *t, const struct flow_key *k, int64_t now)
{
	return flow_lookup_h(t, k, flow_hash(t, k), now);
}

/* flow_lookup_h() of an expired flow, apart: a live one's lookup makes no call and needs no frame. */
static __attribute__((noinline)) struct flow *
lookup_expired(struct flow_table *t, struct flow *f)
{
	drop(t, f);
	t->st.expirations++;
	return NULL;
}

struct flow *
flow_lookup_h(struct flow_table *t, const struct flow_key *k, uint32_t hash, int64_t now)
{
	struct flow *f;
	uint32_t i;

	t->st.lookups++;
	if ((i = find(t, k, hash)) == 0)
		return NULL;
	f = at(t, i);
	if (expired(t, f, now))
		return lookup_expired(t, f);
	t->st.hits++;
	f->last_seen = now;
	touched_at(t, now);
	lru_to_head(t, f, i);
	return f;
}

struct flow *
flow_insert(struct flow_table *t, const struct flow_key *k, int64_t now, int *created)
{
	struct flow *f;
	uint32_t h = flow_hash(t, k);

	if ((f = flow_lookup_h(t, k, h, now)) != NULL) {
		if (created)
			*created = 0;
		return f;
	}
	if (created)
		*created = 1;
	return flow_add_h(t, k, h, now);
}

/* Full: the least recently used goes, expired or not. Apart: an insert with room needs no frame. */
static __attribute__((noinline)) void
evict(struct flow_table *t, int64_t now)
{
	struct flow *old = at(t, t->lru_tail);

	if (expired(t, old, now))
		t->st.expirations++;
	else
		t->st.evictions++;
	drop(t, old);
}

struct flow *
flow_add(struct flow_table *t, const struct flow_key *k, int64_t now)
{
	return flow_add_h(t, k, flow_hash(t, k), now);
}

/* flow_add_h() with room in the table: a leaf, so the common insert saves no registers. */
static inline __attribute__((always_inline)) struct flow *
add(struct flow_table *t, const struct flow_key *k, uint32_t hash, int64_t now)
{
	struct flow *f;
	uint32_t b, i;

	if (t->free_head) {
		i = t->free_head;
		t->free_head = at(t, i)->hnext;
	} else {
		i = ++t->nfree;
	}
	f = at(t, i);
	/* Zeroed already: by calloc() when never used, by drop() when freed. */
	f->key = *k;
	f->last_seen = now;
	touched_at(t, now);
	f->hash = hash;
	b = flow_bucket(t, hash);
	f->hnext = t->buckets[b];
	t->buckets[b] = i;
	/* at the head of the LRU list */
	f->next = t->lru_head;
	if (t->lru_head)
		at(t, t->lru_head)->prev = i;
	else
		tail_is(t, i);
	t->lru_head = i;
	t->st.active++;
	t->st.inserts++;
	return f;
}

/* Full: the least recently used goes first (evict()). */
static __attribute__((noinline)) struct flow *
add_full(struct flow_table *t, const struct flow_key *k, uint32_t hash, int64_t now)
{
	evict(t, now);
	return add(t, k, hash, now);
}

struct flow *
flow_add_h(struct flow_table *t, const struct flow_key *k, uint32_t hash, int64_t now)
{
	if (t->st.active == t->capacity)
		return add_full(t, k, hash, now);
	return add(t, k, hash, now);
}

void
flow_remove(struct flow_table *t, struct flow *f)
{
	drop(t, f);
	t->st.removals++;
}

struct reasm *
flow_stream(struct flow_table *t, struct flow *f)
{
	if (f->stream == NULL && (f->stream = reasm_get(t->pool)) == NULL)
		f->flags |= FLOW_F_NOSTREAM;
	return f->stream;
}

/* A grown buffer's memory back to the table's blocks. */
static void
long_put(struct flow_table *t, struct reasm *r)
{
	uint8_t *mem;

	if (r == NULL || (mem = reasm_take_long(r)) == NULL)
		return;
	t->longfree[t->nlongfree++] = mem;
	t->st.long_in_use--;
}

struct reasm *
flow_stream_grow(struct flow_table *t, struct flow *f)
{
	if (f->stream == NULL)
		return NULL;
	if (f->stream->mem != NULL)
		return f->stream;
	if (t->nlongfree == 0) {
		t->st.long_exhausted++;
		return NULL;
	}
	reasm_grow(f->stream, t->longfree[--t->nlongfree]);
	t->st.long_gets++;
	t->st.long_in_use++;
	return f->stream;
}

void
flow_stream_release(struct flow_table *t, struct flow *f)
{
	long_put(t, f->stream);
	reasm_put(t->pool, f->stream);
	reasm_put(t->pool, f->alt);
	f->stream = NULL;
	f->alt = NULL;
}

struct reasm *
flow_stream_alt(struct flow_table *t, struct flow *f)
{
	if (f->alt != NULL || f->stream == NULL)
		return f->alt;
	if ((f->alt = reasm_get(t->pool)) == NULL) {
		f->flags |= FLOW_F_NOSTREAM;
		return NULL;
	}
	reasm_copy_last_wins(f->alt, f->stream);
	return f->alt;
}

/* The expiring part of flow_expire(), apart: the check before it runs on every packet. */
static __attribute__((noinline)) size_t
expire_tail(struct flow_table *t, int64_t now, size_t max)
{
	size_t n = 0;

	/* The LRU tail is the longest idle, so stop at the first live one. */
	while (n < max && t->lru_tail && expired(t, at(t, t->lru_tail), now)) {
		drop(t, at(t, t->lru_tail));
		t->st.expirations++;
		n++;
	}
	if (n < max)
		t->live.live_at = now; /* the tail live, or none */
	return n;
}

size_t
flow_expire_run(struct flow_table *t, int64_t now, size_t max)
{
	if (t->lru_tail == 0 || !expired(t, at(t, t->lru_tail), now)) {
		if (max > 0)
			t->live.live_at = now;
		return 0;
	}
	return expire_tail(t, now, max);
}

void
flow_stats(const struct flow_table *t, struct flow_stats *st)
{
	*st = t->st;
	reasm_pool_stats(t->pool, &st->streams);
}
