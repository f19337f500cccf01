/* IP sets: the list's address and prefix entries as nftables interval sets, replaced in one transaction. */
#ifndef BLOCKD_IPSET_H
#define BLOCKD_IPSET_H

#include <stddef.h>
#include <stdint.h>

#include "rulelist.h"

/* What one build put into the sets. */
struct ipset_stats {
	size_t block4, block6; /* intervals after merging overlapping entries */
	size_t allow4, allow6;
	size_t entries;      /* address entries of orders in force */
	int64_t next_change; /* first not-before/not-after after now (INT64_MAX: none) */
};

/*
 * ipset_text(): the nft -f input that flushes and refills blockd's four sets
 * (hooks.h HOOKS_SET_*, declared with the hooks' table) from list (may be
 * NULL: the sets are emptied) and the allowlist's address entries: entries
 * of orders in force at now, overlapping and adjacent ones
 * merged into intervals. held is NULL, or a bitmap over list->entries: bit
 * i (held[i / 8] >> (i % 8) & 1) set keeps entries[i] out of the block sets
 * (an address entry observed or held, blockd/daemon/collateral.h). The text is one transaction, so the kernel swaps
 * old contents for new atomically. *out is malloc()ed (caller frees), *outlen
 * its length. Returns 0, or -1 (out of memory). Pure apart from allocation.
 */
int ipset_text(const struct rulelist *list, const uint8_t *held, const struct rule_entry *allow,
    size_t nallow, int64_t now, char **out, size_t *outlen, struct ipset_stats *st);

/*
 * ipset_load(): runs nft -f with text. Returns 0, or -1 with nft's complaint
 * in err; on failure the sets keep what they held.
 */
int ipset_load(const char *text, size_t len, char *err, size_t errlen);

/*
 * ipset_counter_packets(): the packet count in `nft list counter` output
 * (counter ip_new of hooks.c: new flows the kernel blocked, logged or not).
 * Returns 0 and *n, or -1 when the text holds none. Pure.
 */
int ipset_counter_packets(const char *nft_out, uint64_t *n);

#endif
