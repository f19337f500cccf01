/* Overblocking safeguards: entries refused one by one, the rest of the list still applies. */
#ifndef BLOCKD_SAFEGUARD_H
#define BLOCKD_SAFEGUARD_H

#include <stddef.h>
#include <stdint.h>

#include "psl.h"
#include "rulelist.h"

#define SAFEGUARD_V4_FLOOR 24 /* IPv4 prefixes shorter than this need the order's "wide yes" */
#define SAFEGUARD_V6_FLOOR 48 /* likewise for IPv6 */
#define SAFEGUARD_V4_LIMIT 8 /* IPv4 prefixes shorter than this: refused, whatever the order says */
#define SAFEGUARD_V6_LIMIT 16 /* likewise for IPv6 */

enum safeguard_reason {
	SAFEGUARD_PUBLIC_SUFFIX = 1, /* the name (or URL host) is a public suffix */
	SAFEGUARD_COVERS_SUFFIX,     /* a suffix entry above a public suffix */
	SAFEGUARD_WIDE_PREFIX,       /* prefix below the floor, order does not allow it */
	SAFEGUARD_ALLOWLIST,         /* overlaps a local allowlist entry */
	SAFEGUARD_TOO_WIDE,          /* prefix below the absolute limit: no order can pass it */
	SAFEGUARD_SPECIAL_USE,       /* overlaps a special-use range (RFC 6890 registries) */
	SAFEGUARD_SHARED,            /* shared infrastructure, order does not say "shared yes" */
};

struct safeguard_refusal {
	size_t entry;   /* index of the entry in the list checked */
	uint32_t line;  /* line of the entry in the list file */
	uint8_t reason; /* enum safeguard_reason */
	char *msg;      /* "file:line: suffix co.uk (order REF): refused: ..." */
};

struct safeguard_report {
	struct safeguard_refusal *items;
	size_t n;
};

/* Entries read from one file (the allowlist's format), named in messages by fname and line. */
struct safeguard_source {
	const char *fname;
	const struct rule_entry *entries;
	size_t n;
};

#define SAFEGUARD_SHARED_MAX   4 /* shared-infrastructure files: the shipped one, the operator's */
/* Where the packages install the curated list (packaging/shared-infrastructure). */
#define BLOCKD_SHARED_PATH     "/usr/share/blockd/shared-infrastructure"
#define BLOCKRULES_SHARED_PATH "/usr/share/blockrules/shared-infrastructure"

/* What the safeguards check a list against; every pointer may be NULL (or n 0) for none. */
struct safeguard_input {
	const struct psl *psl;          /* NULL only where the caller skips that check */
	const struct rule_entry *allow; /* the ISP's local allowlist */
	size_t nallow;
	struct safeguard_source shared[SAFEGUARD_SHARED_MAX]; /* shared infrastructure */
	size_t nshared;
	int documentation; /* 1: the documentation ranges are not refused (test beds only) */
};

/*
 * safeguard_apply(): checks every entry of l against in: public suffixes, the
 * absolute prefix limits and the floors (order's "wide yes"), special-use
 * ranges, IPv4 addresses embedded in IPv6 (NAT64, IPv4-mapped, 6to4) as IPv4,
 * shared infrastructure (order's "shared yes") and the allowlist. Refused
 * entries are removed from l (the others keep their order) and appended to
 * rep, one item each. fname names the list in messages. Pure. Returns 0, or
 * -1 when out of memory (l and rep are then still consistent: free both).
 */
int safeguard_apply(struct rulelist *l, const char *fname, const struct safeguard_input *in,
    struct safeguard_report *rep);

/*
 * safeguard_apply() in two halves: safeguard_check() only reads l (another
 * thread may read it meanwhile) and appends to rep what it refuses, in list
 * order; safeguard_drop() then removes those entries from l. Returns as
 * safeguard_apply(); after a failure, rep holds the entries refused so far.
 */
int safeguard_check(const struct rulelist *l, const char *fname, const struct safeguard_input *in,
    struct safeguard_report *rep);
void safeguard_drop(struct rulelist *l, const struct safeguard_report *rep);

/*
 * safeguard_special_use(): the special-use range (RFC 6890 registries) that
 * the prefix addr/plen of type RULE_IPV4 or RULE_IPV6 overlaps, as
 * "fe80::/10, link-local (RFC 4291)", or NULL for none; with documentation
 * the documentation ranges are not counted. Pure.
 */
const char *safeguard_special_use(
    int type, const uint8_t addr[16], unsigned plen, int documentation);

/* Frees the items and their messages; rep itself is the caller's. */
void safeguard_report_free(struct safeguard_report *rep);

#endif
