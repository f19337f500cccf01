/* Flow table: one worker's flows by 5-tuple, bounded, with timeouts, LRU eviction and a stream buffer each. */
#ifndef BLOCKD_FLOW_H
#define BLOCKD_FLOW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "reasm.h"
#include "tcpin.h"

/*
 * A flow is keyed by the client-to-server 5-tuple as the worker sees it on
 * the queue (only original-direction packets are queued, so no direction
 * normalisation is done). Build keys with flow_key_v4()/flow_key_v6() so the
 * unused address bytes are zero; the key is compared and hashed bytewise.
 */
struct flow_key {
	uint8_t saddr[16]; /* IPv4: first 4 bytes, rest zero */
	uint8_t daddr[16];
	uint16_t sport; /* host byte order */
	uint16_t dport;
	uint8_t family; /* 4 or 6 */
	uint8_t proto;  /* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t pad[2]; /* zero */
};

/* Inline: every queued packet of a flow builds its key. */
static inline void
flow_key_v4(struct flow_key *k, uint8_t proto, const uint8_t saddr[4], uint16_t sport,
    const uint8_t daddr[4], uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, saddr, 4);
	memcpy(k->daddr, daddr, 4);
	k->sport = sport;
	k->dport = dport;
	k->family = 4;
	k->proto = proto;
}

static inline void
flow_key_v6(struct flow_key *k, uint8_t proto, const uint8_t saddr[16], uint16_t sport,
    const uint8_t daddr[16], uint16_t dport)
{
	memcpy(k->saddr, saddr, 16);
	memcpy(k->daddr, daddr, 16);
	k->sport = sport;
	k->dport = dport;
	k->family = 6;
	k->proto = proto;
	k->pad[0] = k->pad[1] = 0;
}

/*
 * How a worker uses a flow (TCP): on the SYN, insert the flow and set
 * client_isn and FLOW_F_ISN; on a data segment, flow_stream() and
 * reasm_add_tcp(stream, client_isn, seq, ...), set FLOW_F_EVASIVE if it
 * returns REASM_CONFLICT (and keep the other version in flow_stream_alt()
 * if the parser should see both), then hand reasm_data()/reasm_contig() to
 * tls_parse_client_hello() or http_parse() (the latter followed by
 * reasm_consume() of what it consumed); once verdict is decided, release
 * the stream. QUIC: one flow per UDP 5-tuple, its stream is the CRYPTO
 * stream given to quic_parse_datagram().
 */

enum flow_verdict {
	FLOW_UNDECIDED = 0,
	FLOW_ALLOWED,
	FLOW_BLOCKED,
};

#define FLOW_F_ISN      0x01 /* client_isn is set */
#define FLOW_F_EVASIVE  0x02 /* conflicting overlaps or similar: treat as suspicious */
#define FLOW_F_NOSTREAM 0x04 /* wanted a stream buffer, the pool had none */

/*
 * A flow's fields are the worker's to read and write, except key, stream
 * and the internal links. A flow pointer stays valid until the next
 * flow_insert(), flow_lookup() or flow_expire() on the same table (any of
 * which may evict or expire it) or flow_remove() of it.
 */
struct flow {
	struct flow_key key;
	int64_t last_seen; /* the now of the last lookup or insert */
	uint32_t client_isn;
	uint8_t verdict; /* enum flow_verdict */
	uint8_t flags;   /* FLOW_F_* */
	uint16_t app;    /* free for the worker: e.g. which parser owns the stream */
	uint32_t app_state;
	uint8_t ttl; /* the client's TTL (hop limit): the SYN's, else the first data segment's */
	struct tcpin tcp;     /* what the server's stack takes of the client's segments (TCP) */
	uint64_t app_data[4]; /* free for the worker: a parser's per-flow state */
	struct reasm *stream; /* NULL until flow_stream() */
	struct reasm *alt;    /* NULL until flow_stream_alt(): the last copy of each byte */
	/* internal */
	uint32_t hash;  /* flow_hash() of key: its chain, found again without hashing */
	uint32_t hnext; /* hash chain, index + 1 */
	uint32_t prev;  /* LRU list, index + 1; head is most recent */
	uint32_t next;
};

struct flow_stats {
	uint64_t lookups;     /* flow_lookup() and flow_insert() calls */
	uint64_t hits;        /* ... that found a live flow */
	uint64_t inserts;     /* new flows */
	uint64_t evictions;   /* live flows dropped to make room (table full) */
	uint64_t expirations; /* flows dropped after timeout */
	uint64_t removals;    /* flow_remove() */
	uint32_t active;
	uint32_t capacity;
	struct reasm_pool_stats streams;
	uint64_t long_gets;      /* streams grown to REASM_LONG bytes */
	uint64_t long_exhausted; /* ... that could not be: every block in use */
	uint32_t long_in_use;
	uint32_t long_size;
};

/* One stream buffer in FLOW_LONG_SHARE may grow to REASM_LONG bytes at a time. */
#define FLOW_LONG_SHARE 16

struct flow_table;

/*
 * flow_table_create(): room for capacity flows and nstreams stream buffers
 * (REASM_MAX bytes each, and REASM_LONG for one in FLOW_LONG_SHARE of them
 * at a time), all allocated here; timeout is the idle time in
 * seconds after which a flow is dropped; seed keys the hash (pass random
 * bytes so peers cannot aim collisions at one chain). Returns NULL if an
 * argument is 0 or memory is short.
 */
struct flow_table *flow_table_create(
    uint32_t capacity, uint32_t nstreams, uint32_t timeout, uint64_t seed);
/* flow_table_destroy(): frees the table, its flows and every stream buffer; NULL is ignored. */
void flow_table_destroy(struct flow_table *);

/*
 * flow_table_on_drop(): fn(arg, f) is called for each flow the table drops
 * (flow_remove(), expired, evicted), before it goes, its stream buffers
 * still set; the worker keeps its per-client counts exact with it. fn must
 * not call back into the table.
 */
void flow_table_on_drop(
    struct flow_table *, void (*fn)(void *arg, const struct flow *f), void *arg);

/*
 * flow_hash(): key's keyed hash in this table, for flow_lookup_h() and
 * flow_add_h(): a caller that asks for one key more than once (looked up,
 * then added) hashes it once. Pure.
 */
uint32_t flow_hash(const struct flow_table *, const struct flow_key *);

/*
 * flow_lookup(): the live flow for key, or NULL. A flow idle for timeout
 * seconds or more at now is expired instead (counted) and NULL returned.
 * A hit refreshes last_seen and makes the flow most recently used.
 */
struct flow *flow_lookup(struct flow_table *, const struct flow_key *, int64_t now);
/* flow_lookup_h(): flow_lookup() of key, whose flow_hash() is hash. */
struct flow *flow_lookup_h(
    struct flow_table *, const struct flow_key *, uint32_t hash, int64_t now);

/*
 * flow_insert(): the flow for key, created (zeroed, UNDECIDED) if absent.
 * When the table is full, the least recently used flow is evicted
 * (counted). Sets *created to 1 for a new flow, 0 otherwise (created may be
 * NULL). Never fails.
 */
struct flow *flow_insert(struct flow_table *, const struct flow_key *, int64_t now, int *created);
/*
 * flow_add(): flow_insert() of a key the caller has just looked up and not
 * found (flow_lookup() returned NULL, nothing changed the table since):
 * the new flow, without looking again.
 */
struct flow *flow_add(struct flow_table *, const struct flow_key *, int64_t now);
/* flow_add_h(): flow_add() of key, whose flow_hash() is hash. */
struct flow *flow_add_h(struct flow_table *, const struct flow_key *, uint32_t hash, int64_t now);

/* flow_remove(): drops f now and returns its stream buffer to the pool. */
void flow_remove(struct flow_table *, struct flow *f);

/*
 * flow_stream(): f's stream buffer, taken from the pool on first use; NULL
 * when the pool is exhausted (counted, and FLOW_F_NOSTREAM set on f).
 * flow_stream_release(): returns it early, e.g. once a verdict is reached.
 */
struct reasm *flow_stream(struct flow_table *, struct flow *f);
void flow_stream_release(struct flow_table *, struct flow *f);

/*
 * flow_stream_grow(): f's stream grown to keep REASM_LONG bytes (a hello
 * or request head longer than any client sends unless padded to hide its
 * name), its memory taken from the table's blocks (nstreams /
 * FLOW_LONG_SHARE of them, at least one) until the stream is released.
 * NULL if f has no stream or every block is in use (counted).
 */
struct reasm *flow_stream_grow(struct flow_table *, struct flow *f);

/*
 * flow_stream_alt(): f's second buffer, for a stream whose copies disagree:
 * taken from the pool on first use as reasm_copy_last_wins() of f's stream
 * (which must exist), so it keeps the last copy of each byte where the
 * stream keeps the first. NULL when the pool is exhausted (counted).
 * Released with the stream, by flow_stream_release() and flow_remove().
 */
struct reasm *flow_stream_alt(struct flow_table *, struct flow *f);

/*
 * What of a table flow_expire() reads inline: the now at which its least
 * recently used flow was last found live (so every flow was), INT64_MIN
 * when not known. The table's first member.
 */
struct flow_table_live {
	int64_t live_at;
};

/* flow_expire_run(): flow_expire() past its inline check. */
size_t flow_expire_run(struct flow_table *, int64_t now, size_t max);

/*
 * flow_expire(): drops up to max flows idle for timeout at now; returns how
 * many. Inline: asked on every packet, and at one now, once the oldest
 * flow is found live, nothing is idle for long enough until now moves.
 */
static inline size_t
flow_expire(struct flow_table *t, int64_t now, size_t max)
{
	if (((const struct flow_table_live *)(const void *)t)->live_at == now)
		return 0;
	return flow_expire_run(t, now, max);
}

void flow_stats(const struct flow_table *, struct flow_stats *);

#endif
