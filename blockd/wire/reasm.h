/* Per-flow stream reassembly: the client's first bytes, in order, from segments or CRYPTO frames. */
#ifndef BLOCKD_REASM_H
#define BLOCKD_REASM_H

#include <stddef.h>
#include <stdint.h>

/*
 * A reasm buffer holds a window of REASM_MAX bytes of one direction of one
 * stream (a TCP client's byte stream, or a QUIC Initial CRYPTO stream),
 * indexed by stream offset. The window starts at offset 0 (the first
 * byte) and moves only when the caller consumes bytes it has parsed
 * (reasm_consume(), for HTTP keep-alive); base is the stream offset of
 * reasm_data()[0]. Pieces may arrive in any order, repeated or
 * overlapping; reasm_contig() tells how many bytes from base are present
 * without a gap, and reasm_data() points at them. Bytes before base were
 * consumed already and are ignored.
 *
 * Policy for overlapping data (documented here because it decides what the
 * parsers see):
 *  - First copy wins. A byte, once stored, is never overwritten.
 *  - A later piece that covers stored bytes with different values is a
 *    conflict: its new bytes (the gaps it fills) are still stored, the
 *    stored bytes are kept, REASM_CONFLICT is returned, the buffer's
 *    conflicts count goes up and REASM_F_CONFLICT stays set. Real stacks
 *    retransmit the same bytes; differing overlaps are a known way to show
 *    a middlebox one name and the server another, so the worker should
 *    treat a flow with this flag as evasive and not trust the name it
 *    reads alone: reasm_copy_last_wins() keeps the other version beside
 *    it, and a blocked name in either is blocked.
 *  - Bytes at or beyond the buffer's size (REASM_MAX, or REASM_LONG once
 *    grown) are not stored: REASM_TRUNCATED is returned and
 *    REASM_F_TRUNCATED set.
 *
 * A buffer keeps REASM_MAX bytes, enough for every hello and request head
 * real clients send. A longer one (padded to hide its name) grows it:
 * reasm_grow() moves its window into REASM_LONG bytes of memory the caller
 * owns (a few such blocks per worker), and reasm_take_long() hands the
 * memory back before the buffer is reused.
 *
 * Buffers come from a reasm_pool created once per worker; nothing is
 * allocated per packet. Not thread-safe: one pool per worker thread.
 */

#define REASM_MAX  16384 /* bytes kept per stream */
#define REASM_LONG 65536 /* bytes kept per grown stream: a flow's whole byte budget */

/* Memory for a grown stream: REASM_LONG / 8 bitmap bytes, then REASM_LONG data bytes. */
#define REASM_LONG_MEM (REASM_LONG / 8 + REASM_LONG)

/* reasm_add() result bits. 0 means the piece added nothing (pure duplicate, or empty). */
#define REASM_NEW       0x1 /* at least one byte was stored */
#define REASM_CONFLICT  0x2 /* overlapped stored bytes with different values */
#define REASM_TRUNCATED 0x4 /* some bytes lay beyond REASM_MAX and were dropped */

/* Sticky flags, kept in reasm.flags until reasm_reset(). */
#define REASM_F_CONFLICT  0x1
#define REASM_F_TRUNCATED 0x2
#define REASM_F_LAST_WINS 0x4  /* a copy made by reasm_copy_last_wins() */
#define REASM_F_OOB       0x8  /* out-of-band bytes were taken out (reasm_oob_tcp()) */
#define REASM_F_OOB_FULL  0x10 /* more of them than REASM_OOB_MAX: the rest left in */

#define REASM_OOB_MAX 4 /* out-of-band bytes a stream keeps out of its data */

struct reasm {
	uint64_t base;      /* stream offset of data[0] */
	uint32_t contig;    /* bytes present from base without a gap */
	uint32_t high;      /* one past the highest stored offset, from base */
	uint32_t flags;     /* REASM_F_* */
	uint32_t conflicts; /* pieces that conflicted */
	uint32_t next_free; /* pool free list link (internal) */
	uint32_t marked;    /* bitmap bytes [0, marked) may hold set bits; the rest are clear */
	/*
	 * Out-of-band bytes (TCP urgent data): wire offsets (stream offsets
	 * counting them) of those not consumed yet, ascending, and how many
	 * lie before the window (so the wire offset of base is base + oob_before).
	 */
	uint32_t noob;
	uint64_t oob_before;
	uint64_t oob[REASM_OOB_MAX];
	uint8_t *mem; /* NULL, or REASM_LONG_MEM bytes in use instead of have and data */
	/*
	 * The owner's, for the state of its reading of these bytes (a
	 * parser's, for a second buffer whose bytes it reads apart from the
	 * flow's own): zeroed by reasm_reset(), copied by
	 * reasm_copy_last_wins(), never read here.
	 */
	uint64_t user[4];
	/*
	 * Bitmap of stored offsets at or past contig; those below it are
	 * stored, whatever their bits say (bytes appended in order set none).
	 */
	uint8_t have[REASM_MAX / 8];
	uint8_t data[REASM_MAX];
};

/* Forget everything; the buffer is then empty, of REASM_MAX bytes (mem taken back first). */
void reasm_reset(struct reasm *);

/*
 * reasm_grow(): the buffer keeps REASM_LONG bytes from now on, in mem
 * (REASM_LONG_MEM bytes, the caller's until reasm_take_long() returns
 * it); what it holds is kept and REASM_F_TRUNCATED cleared, so the caller
 * adds again the piece that was cut. No-op if it was grown already.
 */
void reasm_grow(struct reasm *, uint8_t *mem);

/*
 * reasm_take_long(): the memory reasm_grow() gave (NULL if none); a grown
 * buffer is then reset. One that never grew is left as it is: a pool's
 * buffer is reset when reasm_get() hands it out again.
 */
uint8_t *reasm_take_long(struct reasm *);

/* reasm_size(): how many bytes from the window's start the buffer keeps. */
static inline size_t
reasm_size(const struct reasm *r)
{
	return r->mem != NULL ? REASM_LONG : REASM_MAX;
}

/*
 * reasm_add(): stores len bytes of p at stream offset off (any 64-bit
 * offset; only [base, base + REASM_MAX) is kept). Returns REASM_* bits as
 * above.
 */
int reasm_add(struct reasm *, uint64_t off, const uint8_t *p, size_t len);

/*
 * reasm_add_tcp(): as reasm_add() for a TCP segment with sequence number
 * seq on a stream whose initial sequence number (the SYN's) is isn: the
 * first data byte is isn + 1. Sequence arithmetic wraps modulo 2^32; bytes
 * before the window (the SYN's own sequence number, or bytes consumed
 * already) are ignored; a segment more than 2^31 bytes ahead of the
 * window is taken as lying before it. Streams of any length work as long
 * as the window keeps up (reasm_consume()).
 */
int reasm_add_tcp(struct reasm *, uint32_t isn, uint32_t seq, const uint8_t *p, size_t len);

/*
 * reasm_oob_tcp(): the byte at sequence number useq (of the stream whose
 * initial sequence number is isn) is out of band: it is taken out of the
 * stream, stored already or not, and every later byte moves down by one,
 * as a receiver that leaves urgent data out of line reads it (RFC 9293
 * 3.8.5, RFC 6093). Pieces reasm_add_tcp() adds later skip it too. Returns
 * 1 if taken out, 0 if it lies before the window or was out already, -1 if
 * REASM_OOB_MAX are out already (REASM_F_OOB_FULL set, the byte left in).
 */
int reasm_oob_tcp(struct reasm *, uint32_t isn, uint32_t useq);

/*
 * reasm_next_seq(): the sequence number a TCP receiver expects next on
 * this stream: the first byte missing from the window (out-of-band bytes
 * counted, as TCP counts them), for a stream with initial sequence
 * number isn.
 */
uint32_t reasm_next_seq(const struct reasm *, uint32_t isn);

/*
 * reasm_copy_last_wins(): makes dst (an empty buffer of the same pool, not
 * src; its first REASM_MAX bytes if src has grown) a copy of src whose later reasm_add() calls keep the last copy of
 * each byte instead of the first: a conflicting piece overwrites what is
 * stored (still returning REASM_CONFLICT and counting). Kept side by side
 * with its first-copy original, it shows the other version of a stream
 * whose copies disagree.
 */
void reasm_copy_last_wins(struct reasm *dst, const struct reasm *src);

/*
 * reasm_consume(): drops the first n bytes of the contiguous prefix
 * (n <= reasm_contig()) and moves the window on by n, keeping the pieces
 * stored beyond them.
 */
void reasm_consume(struct reasm *, size_t n);

/*
 * reasm_skip(): moves the window on by n bytes, stored or not (past the
 * end of a message too long to hold, say): bytes before the new start are
 * dropped, those stored after it kept, and later pieces for the skipped
 * bytes ignored as consumed. reasm_consume() for n <= reasm_contig().
 */
void reasm_skip(struct reasm *, uint64_t n);

/* Contiguous prefix: reasm_data(r)[0 .. reasm_contig(r)) is the stream's start. */
static inline size_t
reasm_contig(const struct reasm *r)
{
	return r->contig;
}

static inline const uint8_t *
reasm_data(const struct reasm *r)
{
	return r->mem != NULL ? r->mem + REASM_LONG / 8 : r->data;
}

/* A fixed pool of buffers, allocated once. */
struct reasm_pool;

struct reasm_pool_stats {
	uint64_t gets;      /* buffers handed out */
	uint64_t puts;      /* buffers returned */
	uint64_t exhausted; /* reasm_get() found none free */
	uint32_t in_use;
	uint32_t size;
};

/* reasm_pool_create(): n buffers (about 18 KiB each). NULL if n is 0 or memory is short. */
struct reasm_pool *reasm_pool_create(uint32_t n);
void reasm_pool_destroy(struct reasm_pool *);
/* reasm_get(): an empty buffer, or NULL when all are in use (counted in exhausted). */
struct reasm *reasm_get(struct reasm_pool *);
/* reasm_put(): gives r (from this pool) back; NULL is ignored. */
void reasm_put(struct reasm_pool *, struct reasm *r);
void reasm_pool_stats(const struct reasm_pool *, struct reasm_pool_stats *);

#endif
