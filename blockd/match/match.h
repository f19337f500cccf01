/* Match snapshot: is this name, address or URL blocked, by which entry of which order? */
#ifndef BLOCKD_MATCH_H
#define BLOCKD_MATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rulelist.h"

struct match_snapshot;

/* What a lookup found. entry and order index the snapshot's rule list. */
struct match_hit {
	uint32_t entry;
	uint32_t order;
	uint8_t type; /* enum rule_type of the matching entry */
};

/* Lookup results. */
#define MATCH_NONE  0 /* no entry covers it */
#define MATCH_BLOCK 1 /* hit is filled in */
#define MATCH_ALLOW 2 /* covered by an entry, but the local allowlist overrides it */
/*
 * With MATCH_ALLOW, hit names the entry that was overridden. An allowlist
 * entry covering the name (or address) overrides every block entry,
 * however specific.
 */

/*
 * match_build(): builds an immutable snapshot from an accepted list and the
 * local allowlist (entries of type RULE_DOMAIN, RULE_SUFFIX, RULE_IPV4,
 * RULE_IPV6; their order field is ignored). On success the snapshot takes
 * ownership of list (freed by match_free()) and returns 0; allow is copied.
 * On failure returns -1 with a message in err and list still owned by the
 * caller.
 */
int match_build(struct rulelist *list, const struct rule_entry *allow, size_t nallow,
    struct match_snapshot **out, char *err, size_t errlen);
void match_free(struct match_snapshot *);
/* match_disown(): frees a snapshot that was never shared and gives its list back. */
struct rulelist *match_disown(struct match_snapshot *);
const struct rulelist *match_list(const struct match_snapshot *);
/* match_allowlist(): the snapshot's copy of the local allowlist (*n entries; owned by the snapshot). */
const struct rule_entry *match_allowlist(const struct match_snapshot *, size_t *n);

/*
 * Lookups: pure, lock-free, never allocate; safe from any number of threads.
 * now is UTC seconds: entries whose order is not in force at now are skipped,
 * so an order stops at its not-after without a reload.
 *
 * match_domain(): name in presentation form, any case, optional trailing dot;
 * the most specific entry wins (an exact entry over a suffix entry of the same
 * name, a longer suffix over a shorter one).
 * match_addr(): family is 4 or 6, addr is 4 or 16 bytes; longest prefix wins.
 * match_url(): host as in match_domain(), path as in the request-target
 * (starts with '/'); URL-prefix entries for host first (longest prefix wins),
 * then domain and suffix entries for host.
 */
int match_domain(
    const struct match_snapshot *, const char *name, size_t len, int64_t now, struct match_hit *);
/*
 * match_domain_labels(): match_domain() of a name a reader has already put
 * in the form lookups use, so it is not checked and split again: len bytes
 * of lowercase letters, digits, '-', '_' and dots, labels of 1..63 bytes,
 * at most 253 bytes, no trailing dot; lab[0..nlab) where each label starts
 * (lab[0] = 0); and at least MATCH_NAME_SLACK readable bytes after the name
 * (words are read whole; what the bytes hold does not matter). Gives what
 * match_domain() gives for the same name. struct tls_hello's sni and lab
 * are in this form when has_sni is set.
 */
#define MATCH_NAME_SLACK 8
int match_domain_labels(const struct match_snapshot *, const char *name, size_t len,
    const uint8_t *lab, int nlab, int64_t now, struct match_hit *);
int match_addr(const struct match_snapshot *, int family, const uint8_t *addr, int64_t now,
    struct match_hit *);
int match_url(const struct match_snapshot *, const char *host, size_t hostlen, const char *path,
    size_t pathlen, int64_t now, struct match_hit *);

/* Entry counts by type, for status and metrics. counts[] is indexed by enum rule_type. */
void match_counts(const struct match_snapshot *, size_t counts[RULE_NTYPES]);

/*
 * The current snapshot, shared by the packet workers: readers take no lock,
 * a reload swaps it atomically, and the old one is freed only after every
 * reader has left it (epochs). Reader slots are numbered 0..nreaders-1 and
 * each is used by one thread only.
 */
struct snapref_reader {
	_Atomic uint64_t epoch;
	char pad[64 - sizeof(uint64_t)]; /* one cache line per reader */
};

/* Here for snapref_enter() and snapref_leave(), inline: every packet judged enters. */
struct snapref {
	_Atomic(struct match_snapshot *) cur;
	_Atomic uint64_t epoch;
	pthread_mutex_t swap_lock; /* swaps come from the control thread; serialise anyway */
	unsigned nreaders;
	struct snapref_reader *readers;
};

struct snapref *snapref_create(unsigned nreaders);
void snapref_destroy(struct snapref *); /* frees the current snapshot */

/* Pin and return the current snapshot (may be NULL before the first list). */
static inline const struct match_snapshot *
snapref_enter(struct snapref *r, unsigned reader)
{
	/* Announce first, then read the pointer: the swap side checks in the opposite order. */
	atomic_store(&r->readers[reader].epoch, atomic_load(&r->epoch));
	return atomic_load(&r->cur);
}

static inline void
snapref_leave(struct snapref *r, unsigned reader)
{
	atomic_store_explicit(&r->readers[reader].epoch, 0, memory_order_release);
}
/* Publish s (ownership passes); waits for readers of the old one, then frees it. */
void snapref_swap(struct snapref *, struct match_snapshot *s);
/* The current snapshot for the single control thread (not pinned; do not swap concurrently). */
const struct match_snapshot *snapref_peek(struct snapref *);

#endif
