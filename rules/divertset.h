/* The divert set: the prefixes whose traffic the core routes to the appliance, and BIRD's routes for it. */
#ifndef BLOCKD_DIVERTSET_H
#define BLOCKD_DIVERTSET_H

#include <stddef.h>
#include <stdint.h>

/*
 * Where a prefix of the divert set comes from. The set is built list first:
 * when it would pass its cap, the list's own address entries are kept and
 * the resolved addresses of listed names are what is left out (counted).
 */
#define DIVERT_SOURCES(X)                                                               \
	X(DIVERT_LIST, "list")         /* an ip or prefix entry of the list in force */ \
	X(DIVERT_ORDER, "order")       /* a prefix an order names for diversion */      \
	X(DIVERT_CONFIG, "config")     /* [divert] prefixes in blockd.conf */           \
	X(DIVERT_RESOLVED, "resolved") /* an address a listed name resolves to */

#define DIVERT_SOURCE_ENUM(id, name) id,
enum divert_source { DIVERT_SOURCE_NONE = 0, DIVERT_SOURCES(DIVERT_SOURCE_ENUM) DIVERT_NSOURCES };
#undef DIVERT_SOURCE_ENUM

struct divert_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t plen;
	uint8_t source; /* enum divert_source */
	uint8_t addr[16];
};

/* divert_source_name(): "list", "order", ... or "?" for a value out of range. */
const char *divert_source_name(int source);

/*
 * divertset_normalise(): p[0..n) in place: host bits cleared, sorted (IPv4
 * first, then by address and length), duplicates and prefixes covered by
 * another dropped (the one kept takes the lowest source value of those it
 * covers, so a listed prefix stays "list"). Returns the new count. Pure.
 */
size_t divertset_normalise(struct divert_prefix *p, size_t n);

/*
 * divertset_cap(): a normalised p[0..n) cut to at most max prefixes, those
 * of lower source value first (list before resolved); the order of those
 * kept is unchanged. Returns the new count; *dropped (may be NULL) gets
 * how many were left out. max 0 means no cap. Pure.
 */
size_t divertset_cap(struct divert_prefix *p, size_t n, size_t max, size_t *dropped);

/* divertset_prefix_text(): "192.0.2.1/32" or "2001:db8::/32" into buf (64 bytes is enough). */
char *divertset_prefix_text(const struct divert_prefix *p, char *buf, size_t bufsz);

/*
 * divertset_bird(): BIRD 2 configuration text for p[0..n): two static
 * protocols, "<proto>4" (ipv4) and "<proto>6" (ipv6), one route each prefix:
 * 'route P via "IFNAME";' when ifname is not NULL (the routes live as long
 * as that interface is up: blockd's own, so they go when blockd goes), else
 * 'route P blackhole;' (failure = closed: announced whether blockd runs or
 * not). comment is written first as "# " lines. Returns a malloc'd
 * NUL-terminated text, or NULL when out of memory or a name is not a plain
 * identifier. Pure.
 */
char *divertset_bird(const struct divert_prefix *p, size_t n, const char *proto, const char *ifname,
    const char *comment);

#define DIVERT_ADDRS_MAX 8 /* addresses kept per name and family */

/* What one listed name resolves to, as diverted: each family's addresses sorted, unique. */
struct divert_addrs {
	uint8_t n4, n6;
	uint8_t a4[DIVERT_ADDRS_MAX][4];
	uint8_t a6[DIVERT_ADDRS_MAX][16];
};

/*
 * divertset_unroutable(): why a resolved address (family 4 or 6, addr 4 or
 * 16 bytes) is left out of the divert set: the special-use range it lies in
 * (safeguard.h; the documentation ranges only without documentation), or,
 * for IPv6, the IPv4-mapped prefix, which no packet carries. NULL: it is
 * diverted. Pure.
 */
const char *divertset_unroutable(int family, const uint8_t *addr, int documentation);

/*
 * divertset_answer(): one query's answer for one family (4: A, 6: AAAA)
 * taken into *cur: got[0..n) its addresses (the first 4 or 16 bytes of
 * each), or n -1 when the query had no answer, which keeps what cur had.
 * The other family is never touched, so a resolver that fails AAAA queries
 * leaves a name's IPv4 addresses diverted. Unroutable addresses are left
 * out and counted in *skipped (may be NULL); at most DIVERT_ADDRS_MAX are
 * kept, the lowest. Returns 1 if cur's addresses of that family changed
 * (as a set: an answer in another order changes nothing), else 0. Pure.
 */
int divertset_answer(struct divert_addrs *cur, int family, const uint8_t (*got)[16], int n,
    int documentation, size_t *skipped);

/*
 * divertset_prefix_parse(): "A.B.C.D[/len]" or "X:Y::Z[/len]" (no length:
 * one address) into *out (source left 0). Returns 0, or -1 with the reason
 * in err. Pure.
 */
int divertset_prefix_parse(const char *s, struct divert_prefix *out, char *err, size_t errlen);

/*
 * divertset_list_parse(): prefixes separated by commas and/or spaces (as
 * [divert] prefixes writes them) into out[0..max) with source src; out
 * may be NULL to check only. Returns the count, or -1 with the reason in
 * err (the first bad prefix, or more than max). Pure.
 */
long divertset_list_parse(
    const char *s, struct divert_prefix *out, size_t max, int src, char *err, size_t errlen);

/*
 * divertset_order_field(): an order's "divert" value (prefixes separated by
 * commas and/or spaces, at most DIVERT_ORDER_MAX, none shorter than the
 * absolute limits of safeguard.h) in its normal form: normalised, separated
 * by single spaces, into out. Returns 0, or -1 with the reason in err. Pure.
 */
#define DIVERT_ORDER_MAX 64
int divertset_order_field(
    const char *s, size_t len, char *out, size_t outsz, char *err, size_t errlen);

#endif
