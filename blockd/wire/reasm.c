/* Per-flow stream reassembly into fixed buffers from a preallocated pool. */
#include <stdlib.h>
#include <string.h>

#include "reasm.h"

struct reasm_pool {
	struct reasm *bufs;
	uint32_t size;
	uint32_t fresh;     /* buffers never used yet are taken in order: untouched till then */
	uint32_t free_head; /* buffers given back, chained: index + 1; 0 when none */
	struct reasm_pool_stats st;
};

/*
 * r emptied, its bitmap cleared in bytes [0, used): everything but the
 * bitmap's clearing is reasm_reset()'s.
 */
static void
reset_to(struct reasm *r, size_t used)
{
	r->marked = 0;
	r->base = 0;
	r->contig = 0;
	r->high = 0;
	r->flags = 0;
	r->conflicts = 0;
	r->noob = 0;
	r->oob_before = 0;
	r->mem = NULL;
	memset(r->user, 0, sizeof(r->user));
	if (used > 0) /* none, for a stream that came in order */
		memset(r->have, 0, used < sizeof(r->have) ? used : sizeof(r->have));
}

void
reasm_reset(struct reasm *r)
{
	reset_to(r, sizeof(r->have));
}

/*
 * reasm_reset() of a pool's buffer, which was zeroed when the pool was
 * made and changed since only by this file, where every bit set lies in
 * the bitmap's first marked bytes: only those can hold any (none, for a
 * stream that came in order). A long buffer kept its bitmap in mem; what
 * have held before it grew is cleared whole.
 */
static void
reset_pooled(struct reasm *r)
{
	reset_to(r, r->mem != NULL ? sizeof(r->have) : r->marked);
}

/* Bits may be set in the bitmap's bytes below n from now on. */
static inline void
mark_to(struct reasm *r, uint32_t n)
{
	if (n > r->marked)
		r->marked = n;
}

/* The bitmap and the data in use, and how many bytes they keep. */
static inline uint8_t *
bitmap(struct reasm *r)
{
	return r->mem != NULL ? r->mem : r->have;
}

static inline const uint8_t *
cbitmap(const struct reasm *r)
{
	return r->mem != NULL ? r->mem : r->have;
}

static inline uint8_t *
bytes(struct reasm *r)
{
	return r->mem != NULL ? r->mem + REASM_LONG / 8 : r->data;
}

void
reasm_grow(struct reasm *r, uint8_t *mem)
{
	if (r->mem != NULL)
		return;
	memcpy(mem, r->have, sizeof(r->have));
	memset(mem + sizeof(r->have), 0, REASM_LONG / 8 - sizeof(r->have));
	memcpy(mem + REASM_LONG / 8, r->data, r->high);
	r->mem = mem;
	r->flags &= ~(uint32_t)REASM_F_TRUNCATED; /* the caller adds again what was cut */
}

uint8_t *
reasm_take_long(struct reasm *r)
{
	uint8_t *mem = r->mem;
	if (mem != NULL)
		reset_pooled(r);
	return mem;
}

/* Offset i's bit, as set: meaningful at or past contig. */
static inline int
bit_at(const struct reasm *r, uint32_t i)
{
	return (cbitmap(r)[i >> 3] >> (i & 7)) & 1;
}

/* Offset i (below high) is stored: below contig all are, whatever their bits. */
static inline int
have_bit(const struct reasm *r, uint32_t i)
{
	return i < r->contig || bit_at(r, i);
}

/*
 * Marks [from, to) present: a mask for each end byte and whole bytes between,
 * so a segment costs the same few steps whatever its ends' alignment.
 */
static void
set_bits(struct reasm *r, uint32_t from, uint32_t to)
{
	uint8_t *have = bitmap(r);
	uint32_t fb, lb;
	uint8_t hm, tm;

	if (from >= to)
		return;
	fb = from >> 3;
	lb = (to - 1) >> 3;
	mark_to(r, lb + 1);
	hm = (uint8_t)(0xffu << (from & 7));
	tm = (uint8_t)(0xffu >> (7 - ((to - 1) & 7)));
	if (fb == lb) {
		have[fb] |= hm & tm;
		return;
	}
	have[fb] |= hm;
	if (lb > fb + 1)
		memset(&have[fb + 1], 0xff, lb - fb - 1);
	have[lb] |= tm;
}

/*
 * The common case: len bytes (at least one, all within the buffer) that
 * are the next in order at start, nothing stored past them (start is
 * contig and high). They end up below contig: no bit is set for them.
 */
static inline int
append(struct reasm *r, uint32_t start, const uint8_t *p, size_t len)
{
	uint32_t end = start + (uint32_t)len;

	memcpy(&bytes(r)[start], p, len);
	r->contig = end;
	r->high = end;
	return REASM_NEW;
}

/* Advances contig over bytes now present. */
static void
grow_contig(struct reasm *r)
{
	uint32_t c = r->contig;

	while (c < r->high && (c & 7) != 0 && bit_at(r, c))
		c++;
	while (c + 8 <= r->high && cbitmap(r)[c >> 3] == 0xff)
		c += 8;
	while (c < r->high && bit_at(r, c))
		c++;
	r->contig = c;
}

int
reasm_add(struct reasm *r, uint64_t off, const uint8_t *p, size_t len)
{
	int res = 0;
	uint32_t start, end, i;
	int conflict = 0;
	uint8_t *data = bytes(r);
	size_t size = reasm_size(r);

	if (len == 0)
		return 0;
	if (off < r->base) {
		/* bytes consumed already: skip them */
		if (len <= r->base - off)
			return 0;
		p += r->base - off;
		len -= (size_t)(r->base - off);
		off = r->base;
	}
	off -= r->base;
	if (off >= size) {
		r->flags |= REASM_F_TRUNCATED;
		return REASM_TRUNCATED;
	}
	start = (uint32_t)off;
	if (len > size - start) {
		len = size - start;
		res |= REASM_TRUNCATED;
		r->flags |= REASM_F_TRUNCATED;
	}
	end = start + (uint32_t)len;

	if (start == r->contig && r->high <= start)
		return res | append(r, start, p, len);

	for (i = start; i < end;) {
		if (have_bit(r, i)) {
			if (data[i] != p[i - start]) {
				conflict = 1;
				if (r->flags & REASM_F_LAST_WINS)
					data[i] = p[i - start];
			}
			i++;
			continue;
		}
		/* A run of missing bytes: copy it in one go. */
		uint32_t j = i + 1;

		while (j < end && !have_bit(r, j))
			j++;
		memcpy(&data[i], p + (i - start), j - i);
		set_bits(r, i, j);
		res |= REASM_NEW;
		i = j;
	}
	if (end > r->high)
		r->high = end;
	if (conflict) {
		res |= REASM_CONFLICT;
		r->flags |= REASM_F_CONFLICT;
		r->conflicts++;
	}
	grow_contig(r);
	return res;
}

/* A piece at wire offset w (out-of-band bytes counted), split around those taken out. */
static int
add_wire(struct reasm *r, uint64_t w, const uint8_t *p, size_t len)
{
	int res = 0;
	uint32_t below = 0; /* out-of-band bytes of the window before w */

	for (uint32_t i = 0; i < r->noob && len > 0; i++) {
		uint64_t h = r->oob[i];
		if (h < w) {
			below++;
			continue;
		}
		if (h >= w + len)
			break;
		size_t k = (size_t)(h - w);
		res |= reasm_add(r, w - r->oob_before - below, p, k);
		below++;
		w = h + 1;
		p += k + 1;
		len -= k + 1;
	}
	if (len > 0)
		res |= reasm_add(r, w - r->oob_before - below, p, len);
	return res;
}

int
reasm_add_tcp(struct reasm *r, uint32_t isn, uint32_t seq, const uint8_t *p, size_t len)
{
	if (r->noob > 0) {
		uint64_t start = r->base + r->oob_before; /* the window's wire offset */
		uint32_t rel = seq - (uint32_t)(isn + 1 + start);

		if (rel >= 0x80000000u) {
			uint32_t skip = (uint32_t)0 - rel;

			if (len <= skip)
				return 0;
			return add_wire(r, start, p + skip, len - skip);
		}
		return add_wire(r, start + rel, p, len);
	}
	uint32_t rel = seq - (uint32_t)(isn + 1 + r->base); /* from the window's start */

	/* The next bytes in order, as most segments are: reasm_add()'s common case, taken here. */
	if (rel == r->contig && r->high == rel && len > 0 && len <= reasm_size(r) - rel)
		return append(r, rel, p, len);
	if (rel >= 0x80000000u) {
		/* Starts before the window: keep only what lies after its start. */
		uint32_t skip = (uint32_t)0 - rel;

		if (len <= skip)
			return 0;
		return reasm_add(r, r->base, p + skip, len - skip);
	}
	return reasm_add(r, r->base + rel, p, len);
}

/* Takes the byte at window position at out: everything above it moves down by one. */
static void
take_out(struct reasm *r, uint32_t at)
{
	uint8_t *have = bitmap(r), *data = bytes(r);

	if (at >= r->high)
		return;
	mark_to(r, (r->high + 7) >> 3); /* the bits below high are all written */
	memmove(data + at, data + at + 1, r->high - at - 1);
	for (uint32_t i = at; i + 1 < r->high; i++) {
		if (have_bit(r, i + 1))
			have[i >> 3] |= (uint8_t)(1u << (i & 7));
		else
			have[i >> 3] &= (uint8_t) ~(1u << (i & 7));
	}
	r->high--;
	have[r->high >> 3] &= (uint8_t) ~(1u << (r->high & 7));
	if (at < r->contig)
		r->contig--;
	grow_contig(r);
}

int
reasm_oob_tcp(struct reasm *r, uint32_t isn, uint32_t useq)
{
	uint64_t start = r->base + r->oob_before;
	uint32_t rel = useq - (uint32_t)(isn + 1 + start);
	uint32_t below = 0, i;

	if (rel >= 0x80000000u)
		return 0; /* before the window: read already */
	uint64_t w = start + rel;
	for (i = 0; i < r->noob && r->oob[i] <= w; i++) {
		if (r->oob[i] == w)
			return 0;
		below++;
	}
	if (r->noob == REASM_OOB_MAX) {
		r->flags |= REASM_F_OOB_FULL;
		return -1;
	}
	memmove(&r->oob[i + 1], &r->oob[i], (r->noob - i) * sizeof(r->oob[0]));
	r->oob[i] = w;
	r->noob++;
	r->flags |= REASM_F_OOB;
	uint64_t at = w - start - below; /* its position in the window */
	if (at < reasm_size(r))
		take_out(r, (uint32_t)at);
	return 1;
}

uint32_t
reasm_next_seq(const struct reasm *r, uint32_t isn)
{
	uint64_t w = r->base + r->oob_before + r->contig;

	/* Out-of-band bytes up to the first gap count in TCP's sequence space. */
	for (uint32_t i = 0; i < r->noob && r->oob[i] <= w; i++)
		w++;
	return (uint32_t)(isn + 1 + w);
}

void
reasm_copy_last_wins(struct reasm *dst, const struct reasm *src)
{
	uint32_t next_free = dst->next_free;
	uint32_t high = src->high < REASM_MAX ? src->high : REASM_MAX;
	size_t nbits = ((size_t)high + 7) >> 3;

	dst->base = src->base;
	dst->contig = src->contig < high ? src->contig : high;
	dst->high = high;
	dst->flags = src->flags | REASM_F_LAST_WINS | (high < src->high ? REASM_F_TRUNCATED : 0);
	dst->conflicts = src->conflicts;
	dst->next_free = next_free;
	dst->noob = src->noob;
	dst->oob_before = src->oob_before;
	memcpy(dst->oob, src->oob, sizeof(dst->oob));
	dst->mem = NULL;
	memcpy(dst->user, src->user, sizeof(dst->user));
	dst->marked = (uint32_t)nbits;
	memcpy(dst->have, cbitmap(src), nbits);
	memset(dst->have + nbits, 0, sizeof(dst->have) - nbits);
	if (high % 8 != 0)
		dst->have[nbits - 1] &= (uint8_t)((1u << (high % 8)) - 1);
	memcpy(dst->data, reasm_data(src), high);
}

/* Out-of-band bytes before the window's start are forgotten, counted in oob_before. */
static void
drop_oob_before(struct reasm *r)
{
	uint32_t k = 0;

	while (k < r->noob && r->oob[k] - r->oob_before - k < r->base)
		k++;
	if (k == 0)
		return;
	memmove(&r->oob[0], &r->oob[k], (r->noob - k) * sizeof(r->oob[0]));
	r->noob -= k;
	r->oob_before += k;
}

/* Moves the window on by n (at most high): bytes before the new start are dropped. */
static void
shift_down(struct reasm *r, uint32_t n)
{
	uint32_t q, b, i, nbytes;
	uint8_t *have = bitmap(r), *data = bytes(r);

	memmove(data, data + n, r->high - n);
	/* shift the bitmap down by n bits: q whole bytes and b bits */
	q = n >> 3;
	b = n & 7;
	nbytes = (r->high + 7) >> 3;
	for (i = 0; i + q < nbytes; i++) {
		unsigned v = have[i + q] >> b;

		if (b && i + q + 1 < nbytes)
			v |= (unsigned)have[i + q + 1] << (8 - b);
		have[i] = (uint8_t)v;
	}
	memset(have + (nbytes - q), 0, q);
	r->high -= n;
	/* bits at or past high must be clear for the next pieces */
	for (i = r->high; i < nbytes * 8 && (i & 7) != 0; i++)
		have[i >> 3] &= (uint8_t) ~(1u << (i & 7));
	r->contig = r->contig > n ? r->contig - n : 0;
	grow_contig(r);
}

void
reasm_consume(struct reasm *r, size_t n)
{
	if (n > r->contig)
		n = r->contig;
	if (n == 0)
		return;
	shift_down(r, (uint32_t)n);
	r->base += n;
	drop_oob_before(r);
}

void
reasm_skip(struct reasm *r, uint64_t n)
{
	if (n == 0)
		return;
	if (n >= r->high) {
		memset(bitmap(r), 0, (r->high + 7) >> 3);
		r->high = 0;
		r->contig = 0;
	} else {
		shift_down(r, (uint32_t)n);
	}
	r->base += n;
	drop_oob_before(r);
}

struct reasm_pool *
reasm_pool_create(uint32_t n)
{
	struct reasm_pool *pool;

	if (n == 0)
		return NULL;
	if ((pool = calloc(1, sizeof(*pool))) == NULL)
		return NULL;
	if ((pool->bufs = calloc(n, sizeof(*pool->bufs))) == NULL) {
		free(pool);
		return NULL;
	}
	pool->size = n;
	pool->st.size = n;
	return pool;
}

void
reasm_pool_destroy(struct reasm_pool *pool)
{
	if (pool == NULL)
		return;
	free(pool->bufs);
	free(pool);
}

struct reasm *
reasm_get(struct reasm_pool *pool)
{
	struct reasm *r;

	if (pool->free_head != 0) {
		r = &pool->bufs[pool->free_head - 1];
		pool->free_head = r->next_free;
	} else if (pool->fresh < pool->size) {
		r = &pool->bufs[pool->fresh++];
	} else {
		pool->st.exhausted++;
		return NULL;
	}
	r->next_free = 0;
	reset_pooled(r);
	pool->st.gets++;
	pool->st.in_use++;
	return r;
}

void
reasm_put(struct reasm_pool *pool, struct reasm *r)
{
	if (r == NULL)
		return;
	r->next_free = pool->free_head;
	pool->free_head = (uint32_t)(r - pool->bufs) + 1;
	pool->st.puts++;
	pool->st.in_use--;
}

void
reasm_pool_stats(const struct reasm_pool *pool, struct reasm_pool_stats *st)
{
	*st = pool->st;
}
