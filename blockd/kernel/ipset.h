/* IP sets: the list's address and prefix entries as sorted, merged intervals, and what changed. */
#ifndef BLOCKD_IPSET_H
#define BLOCKD_IPSET_H

#include <stddef.h>
#include <stdint.h>

#include "rulelist.h"

/*
 * blockd's sets in table inet blockd (hooks.h HOOKS_SET_*), in the order a
 * transaction fills them: the allow sets first, so an allowlisted address
 * never blocks, not even between two messages of one transaction. The
 * block sets are interval sets (prefixes and runs of addresses); the host
 * sets, hash sets of fixed size, hold the single addresses, which a hash
 * takes in several times faster than an interval tree. Their names carry a
 * generation (block4h_0, block4h_1): a load that outgrows them, or one not
 * knowing what they hold, fills a new generation sized for it and points
 * the rules at it in the same transaction (struct ipset_gen).
 */
enum {
	IPSET_ALLOW4,
	IPSET_ALLOW6,
	IPSET_BLOCK4,
	IPSET_BLOCK6,
	IPSET_HOST4,
	IPSET_HOST6,
	IPSET_NSETS
};

/* The set's name in table inet blockd (of a host set: without its generation), and its address width (4 or 16 bytes). */
const char *ipset_name(int set);
unsigned ipset_width(int set);

/*
 * The intervals of one set: sorted, disjoint and never adjacent. Interval i
 * is 2 * w bytes at v + 2 * w * i: its first address, then the address
 * after its last (exclusive end, network order), all zero when it runs to
 * the end of the address space. v is malloc()ed (NULL when n is 0).
 */
struct ipset_ivs {
	size_t n;
	unsigned w;
	uint8_t *v;
};

static inline const uint8_t *
ipset_start(const struct ipset_ivs *s, size_t i)
{
	return s->v + (size_t)2 * s->w * i;
}

static inline const uint8_t *
ipset_end(const struct ipset_ivs *s, size_t i)
{
	return s->v + (size_t)2 * s->w * i + s->w;
}

/*
 * The block entries of one family as they were before merging, kept with a
 * build so that the next can be patched (ipset_update()): inclusive
 * intervals, sorted by first address and the wider first, an address listed
 * by two orders there twice. v is malloc()ed (NULL when n is 0), its
 * elements private to ipset.c and ipset_update.c (ipset_int.h).
 */
struct ipset_raw {
	size_t n;
	void *v;
};

/*
 * What one build puts into the kernel: the sets (IPSET_* order), and the
 * raw intervals the block and host sets were merged from (IPv4, IPv6;
 * empty in what ipset_diff() and ipset_update() say changed).
 */
struct ipset_build {
	struct ipset_ivs set[IPSET_NSETS];
	struct ipset_raw raw[2];
};

/* What one build put into the sets. */
struct ipset_stats {
	size_t block4, block6; /* intervals after merging overlapping entries */
	size_t allow4, allow6;
	size_t entries;      /* address entries of orders in force */
	int64_t next_change; /* first not-before/not-after after now (INT64_MAX: none) */
};

/*
 * ipset_build(): the four sets from list (may be NULL: the sets are empty)
 * and the allowlist's address entries: entries of orders in force at now,
 * overlapping and adjacent ones merged. held (may be NULL: none) is a bitmap
 * over list->entries; an entry whose bit is set (held[i / 8] & 1 << i % 8)
 * stays out of the block sets. out is filled (free with ipset_build_free()),
 * st summarises it. A list in the normal form (entries sorted, rulelist.h)
 * is taken in one pass; any other is sorted first. Returns 0, or -1 (out of
 * memory; out is then empty). Pure apart from allocation.
 */
int ipset_build(const struct rulelist *list, const uint8_t *held, const struct rule_entry *allow,
    size_t nallow, int64_t now, struct ipset_build *out, struct ipset_stats *st);

/*
 * ipset_update(): what ipset_build() makes of the same arguments, into out
 * and st, patched from old (an earlier build, its raw intervals kept)
 * instead of merged afresh; and what changed against old, as ipset_diff()
 * gives it, into gone and came. The new list's address entries are taken
 * in one pass and compared with old's; only the neighbourhood of those
 * that came or went (the merged intervals they touch) is merged again,
 * everything else is copied from old. The allow sets are built afresh.
 * old is not changed. spare (may be NULL) is a build no longer needed (the
 * one before old): its memory is reused for out, whose pages then need not
 * be faulted in again, and it is left empty. Returns 0, or -1 (out of
 * memory; out, gone and came are then empty). Pure apart from allocation.
 */
int ipset_update(const struct ipset_build *old, const struct rulelist *list, const uint8_t *held,
    const struct rule_entry *allow, size_t nallow, int64_t now, struct ipset_build *out,
    struct ipset_stats *st, struct ipset_build *gone, struct ipset_build *came,
    struct ipset_build *spare);

/* ipset_build_free(): frees what ipset_build(), ipset_update() or ipset_diff() allocated; b is left empty. */
void ipset_build_free(struct ipset_build *b);

/*
 * ipset_diff(): per set, the intervals of old that new lacks (gone) and
 * those of new that old lacks (came); an interval that changed bounds is
 * gone and came. Deleting gone, then adding came, turns old into new.
 * Returns 0, or -1 (out of memory; gone and came are then empty). Pure.
 */
int ipset_diff(const struct ipset_build *old, const struct ipset_build *new,
    struct ipset_build *gone, struct ipset_build *came);

/*
 * Which generation of the host sets the rules use, and how many elements
 * each holds at most (hash sets have a fixed size). hooks.c installs
 * generation 0 with IPSET_HOSTS_MIN elements each.
 */
struct ipset_gen {
	unsigned gen;  /* 0 or 1 */
	size_t cap[2]; /* IPv4, IPv6 */
};

#define IPSET_HOSTS_MIN 65536

/*
 * ipset_load(): one netlink transaction making the kernel's sets hold new.
 * With old (what the sets hold now, may be NULL), only the difference is
 * sent (intervals that went deleted, those that came added); without it
 * the interval sets are flushed and refilled. The host sets are refilled in
 * a new generation, sized for new, when old is NULL or new outgrows them:
 * it is filled beforehand, in transactions of about 512 KiB that nothing
 * enforces yet, and the one transaction points the rules at it; *g then
 * names it. Until that transaction commits the kernel enforces what it
 * had; on failure it keeps it, and a new generation filled in part is
 * deleted again.
 * *changed (may be NULL) is the number of intervals sent. Returns 0, or -1
 * with why in err.
 */
int ipset_load(const struct ipset_build *old, const struct ipset_build *new, struct ipset_gen *g,
    size_t *changed, char *err, size_t errlen);

/*
 * ipset_load_changes(): the same with the difference already known (from
 * ipset_update()): gone deleted and came added, in one transaction that
 * makes the sets hold new; the host sets as ipset_load() treats them.
 */
int ipset_load_changes(const struct ipset_build *gone, const struct ipset_build *came,
    const struct ipset_build *new, struct ipset_gen *g, size_t *changed, char *err, size_t errlen);

/*
 * ipset_counter_packets(): the packet count of counter ip_new of table inet
 * blockd (new flows the kernel blocked, logged or not), read by name
 * through netlink. Returns 0 and *n, or -1 with why in err.
 */
int ipset_counter_packets(uint64_t *n, char *err, size_t errlen);

#endif
