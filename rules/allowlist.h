/* The ISP's local allowlist: names and addresses no block list entry may cover. */
#ifndef BLOCKD_ALLOWLIST_H
#define BLOCKD_ALLOWLIST_H

#include <stddef.h>

#include "rulelist.h"

/*
 * One entry a line: "domain NAME", "suffix NAME", "ip ADDR" or "prefix CIDR";
 * blank lines and lines starting with '#' are ignored; fields are separated
 * by spaces or tabs. Values follow the block list rules (lowercase A-labels,
 * normal-form addresses, no host bits).
 */
struct allowlist {
	struct rule_entry *entries; /* order is 0, line is the allowlist line */
	size_t n;
	char *arena; /* the names */
};

/*
 * allowlist_parse(): pure. Returns 0 and *out (free with allowlist_free()), or
 * -1 with "fname:line: what is wrong" in err.
 */
int allowlist_parse(const char *buf, size_t len, const char *fname, struct allowlist **out,
    char *err, size_t errlen);
/* allowlist_load(): reads path (capped at 16 MiB) and parses it. As above. */
int allowlist_load(const char *path, struct allowlist **out, char *err, size_t errlen);
void allowlist_free(struct allowlist *);

#endif
