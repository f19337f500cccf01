/* A parsed, verified block list: header, court orders and entries (shared by rules/ and blockd/). */
#ifndef BLOCKD_RULELIST_H
#define BLOCKD_RULELIST_H

#include <stddef.h>
#include <stdint.h>

#define RULES_FORMAT_VERSION 1
#define RULES_NAME_MAX       253  /* presentation form, no trailing dot */
#define RULES_URL_MAX        2048 /* host + path of a URL-prefix entry */

/*
 * The entry types, listed once; everything that names or counts types is
 * generated from here. X(TYPE, name, keyword, bits, label):
 *   TYPE     the type is RULE_TYPE (enum rule_type, from 1 in the table's order)
 *   name     its name in the enforcement log and in blockctl status --json
 *   keyword  its keyword in the list file; an address type's entries shorter
 *            than bits are written "prefix" instead
 *   bits     an address's length in bits; 0: the value is a name (the entry's name)
 *   label    its name in counts for people (blockctl status, blockrules show)
 * A new type is a row here, its value check (rule_entry_parse_value() in
 * rules/values.c) and its matcher (blockd/match/match.c).
 */
#define RULE_TYPES(X)                                                                      \
	X(DOMAIN, "domain", "domain", 0, "domain") /* exactly this name */                 \
	X(SUFFIX, "suffix", "suffix", 0, "suffix") /* this name and every name below it */ \
	X(IPV4, "ipv4", "ip", 32, "IPv4")          /* address (plen 32) or prefix */       \
	X(IPV6, "ipv6", "ip", 128, "IPv6")         /* address (plen 128) or prefix */      \
	X(URL, "url", "url", 0, "url")             /* HTTP URL prefix: "host/path..." */

enum rule_type {
	RULE_NONE, /* 0: no type; no entry has it */
#define RULE_TYPE_ENUM(t, ...) RULE_##t,
	RULE_TYPES(RULE_TYPE_ENUM)
#undef RULE_TYPE_ENUM
	    RULE_NTYPES /* one past the last: arrays indexed by type have RULE_NTYPES elements */
};

/* One row of RULE_TYPES, as data; rule_types[RULE_NONE] is all zeros. */
struct rule_type_info {
	const char *name;
	const char *keyword;
	const char *label;
	unsigned bits;
};

extern const struct rule_type_info rule_types[RULE_NTYPES];

/* rule_type_name(): a type's name ("domain", "ipv4", ...), or NULL for none. */
const char *rule_type_name(int type);

/* rule_type_bits(): an address type's length in bits; 0 when the value is a name, or no type. */
unsigned rule_type_bits(int type);

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
	const char
	    *divert; /* prefixes to divert to the appliances (divertset.h normal form), or NULL */
	uint32_t line;
};

/*
 * One entry, 32 bytes (a million of them are held at once). A name type's
 * (rule_type_bits() 0) name holds the domain (RULE_DOMAIN, RULE_SUFFIX) or
 * "host/path" (RULE_URL), NUL-terminated, lowercase A-labels; an address
 * type's addr and plen hold the address (RULE_IPV4: first 4 bytes). The two
 * share their bytes: an address entry has no name, and name and namelen are
 * read or written only for the name types.
 */
struct rule_entry {
	uint32_t order; /* index into rulelist.orders */
	uint32_t line;  /* line in the list file, for messages */
	union {
		struct {
			const char *name;
			uint32_t namelen;
		};
		uint8_t addr[16];
	};
	uint8_t type; /* enum rule_type */
	uint8_t plen;
};
_Static_assert(sizeof(struct rule_entry) == 32, "a rule entry is 32 bytes");

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
