/* Overblocking safeguards: entries refused one by one, the rest of the list still applies. */
#ifndef BLOCKD_SAFEGUARD_H
#define BLOCKD_SAFEGUARD_H

#include <stddef.h>
#include <stdint.h>

#include "psl.h"
#include "rulelist.h"

#define SAFEGUARD_V4_FLOOR 24 /* IPv4 prefixes shorter than this need the order's "wide yes" */
#define SAFEGUARD_V6_FLOOR 48 /* likewise for IPv6 */

enum safeguard_reason {
	SAFEGUARD_PUBLIC_SUFFIX = 1, /* the name (or URL host) is a public suffix */
	SAFEGUARD_COVERS_SUFFIX,     /* a suffix entry above a public suffix */
	SAFEGUARD_WIDE_PREFIX,       /* prefix below the floor, order does not allow it */
	SAFEGUARD_ALLOWLIST,         /* overlaps a local allowlist entry */
};

struct safeguard_refusal {
	uint32_t line;  /* line of the entry in the list file */
	uint8_t reason; /* enum safeguard_reason */
	char *msg;      /* "file:line: suffix co.uk (order REF): refused: ..." */
};

struct safeguard_report {
	struct safeguard_refusal *items;
	size_t n;
};

/*
 * safeguard_apply(): checks every entry of l against the public suffix list
 * (psl may be NULL only if the caller has decided to skip that check), the
 * prefix floors and the allowlist; refused entries are removed from l (the
 * others keep their order) and appended to rep, one item each. fname names
 * the list in messages. Returns 0, or -1 when out of memory (l and rep are
 * then still consistent: free both as usual).
 */
int safeguard_apply(struct rulelist *l, const char *fname, const struct psl *psl,
    const struct rule_entry *allow, size_t nallow, struct safeguard_report *rep);

/* Frees the items and their messages; rep itself is the caller's. */
void safeguard_report_free(struct safeguard_report *rep);

#endif
