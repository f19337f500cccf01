/* A parsed, verified block list: header, court orders and entries (shared by rules/ and blockd/). */
#ifndef BLOCKD_RULELIST_H
#define BLOCKD_RULELIST_H

#include <stddef.h>
#include <stdint.h>

#define RULES_FORMAT_VERSION 1
#define RULES_NAME_MAX       253  /* presentation form, no trailing dot */
#define RULES_URL_MAX        2048 /* host + path of a URL-prefix entry */

enum rule_type {
	RULE_DOMAIN = 1, /* exactly this name */
	RULE_SUFFIX,     /* this name and every name below it */
	RULE_IPV4,       /* address (plen 32) or prefix */
	RULE_IPV6,       /* address (plen 128) or prefix */
	RULE_URL,        /* HTTP URL prefix: "host/path..." */
};

/* One court order or regulator decision. Times are UTC seconds since the epoch. */
struct rule_order {
	const char *ref;        /* e.g. "CL-2026-000123"; unique in a list */
	const char *authority;  /* who issued it */
	const char *service;    /* the named service it blocks */
	const char *notice;     /* text shown to subscribers */
	const char *notice_url; /* where the order and appeal route are published */
	int64_t date;
	int64_t not_before;
	int64_t not_after;
	int allow_wide;   /* order explicitly allows prefixes below the floor */
	int allow_shared; /* order explicitly accepts entries on shared infrastructure */
	uint32_t line;
};

/*
 * One entry. name holds the domain (RULE_DOMAIN, RULE_SUFFIX) or "host/path"
 * (RULE_URL), NUL-terminated, lowercase A-labels; addr and plen hold the
 * address (RULE_IPV4: first 4 bytes) for address rules.
 */
struct rule_entry {
	const char *name;
	uint32_t namelen;
	uint32_t order; /* index into rulelist.orders */
	uint32_t line;  /* line in the list file, for messages */
	uint8_t type;   /* enum rule_type */
	uint8_t plen;
	uint8_t addr[16];
};

/*
 * A list as parsed. The struct, orders[] and entries[] are each one malloc()
 * block and every string lives in arena, one more malloc() block; so
 * rulelist_free() frees exactly those four. Immutable once returned: blockd shares it read-only
 * between threads through a match snapshot.
 */
struct rulelist {
	int version;
	const char *issuer;
	const char *scope; /* jurisdiction / scope */
	uint64_t serial;
	int64_t issued;
	int64_t expires;
	const char *previous; /* hex BLAKE2b-512 of the previous list, or NULL */
	uint8_t digest[64];   /* BLAKE2b-512 of the raw file bytes */

	struct rule_order *orders;
	size_t norders;
	struct rule_entry *entries;
	size_t nentries;

	void *arena; /* private to rules/ */
};

/* Is order o in force at time now (UTC seconds)? */
static inline int
rule_order_active(const struct rule_order *o, int64_t now)
{
	return now >= o->not_before && now < o->not_after;
}

void rulelist_free(struct rulelist *);

#endif
