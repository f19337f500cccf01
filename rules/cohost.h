/* Names co-hosted on one address: server names seen on it, by registrable domain, and the hold decision. */
#ifndef BLOCKD_COHOST_H
#define BLOCKD_COHOST_H

#include <stddef.h>
#include <stdint.h>

#include "psl.h"

/*
 * What an address entry would also block. While a new address or prefix
 * entry is observed, the server names of the flows to it (TLS and QUIC
 * SNI, HTTP Host) are gathered here, each with its flows and whether the
 * list itself names it; names are grouped by registrable domain (the public
 * suffix plus one label) and an entry whose unlisted registrable domains
 * are more than the operator allows is held rather than enforced.
 *
 * Pure: no globals, no I/O; memory is allocated on the caller's thread
 * (never on the packet path) and bounded by names_max and subs_max.
 */

#define COHOST_NAME_MAX 253 /* a name in presentation form, no trailing dot */

/* One distinct name seen. */
struct cohost_name {
	char *name;     /* normal form: lowercase A-labels, no trailing dot, no port */
	size_t domoff;  /* its registrable domain is name + domoff */
	uint64_t flows; /* flows seen with it */
	int listed;     /* a list entry covers the name */
};

/* One entry's measurement. */
struct cohost {
	struct cohost_name *names;
	size_t nnames, capnames;
	size_t names_max;    /* distinct names kept */
	uint64_t names_over; /* flows whose name was new when names_max were kept */
	uint64_t flows;      /* every flow added, named or not */
	uint64_t unreadable; /* flows whose name is not a host name (counted, not kept) */
	uint64_t *subs;      /* open addressing, 0 empty */
	size_t nsubs, capsubs;
	size_t subs_max; /* distinct subscribers counted exactly */
	int subs_over;   /* more than subs_max: nsubs is a floor */
};

/* cohost_init(): empty, with its bounds (0: the defaults below). Allocates nothing. */
#define COHOST_NAMES_DEFAULT 1024
#define COHOST_SUBS_DEFAULT  4096
void cohost_init(struct cohost *, size_t names_max, size_t subs_max);
void cohost_free(struct cohost *);

/*
 * cohost_normalise(): a name as a client sent it (SNI or Host: any case, a
 * trailing dot, a port after an HTTP host, U-labels in UTF-8) into out as
 * lowercase A-labels. An address literal ("192.0.2.1", "[2001:db8::1]") is
 * kept as written (lowercase). Returns the length, or -1 if it is no host
 * name (an empty label, a byte no host name has, too long).
 */
int cohost_normalise(const char *in, size_t len, char *out, size_t outsz);

/*
 * cohost_registrable(): where name's registrable domain starts: the public
 * suffix (by psl; NULL: the last label) plus one label. A name that is
 * itself a public suffix, or an address literal, is its own domain (0).
 * name is in normal form, len its length.
 */
size_t cohost_registrable(const struct psl *, const char *name, size_t len);

/*
 * cohost_add(): one flow to the entry, with the server name it carried
 * (NULL or len 0: none read), whether a list entry covers that name, and
 * its subscriber (a pseudonym's first 64 bits; 0: unknown). Returns 0, or
 * -1 if out of memory (the flow is counted, the name or subscriber not).
 */
int cohost_add(struct cohost *, const struct psl *, const char *name, size_t len, int listed,
    uint64_t subscriber);

/* One registrable domain, as cohost_domains() gives it. */
struct cohost_domain {
	const char *domain; /* points into a cohost_name; valid until the next add or free */
	uint64_t flows;
	unsigned names; /* distinct names under it */
	int listed;     /* the list names at least one of them */
};

/*
 * cohost_domains(): the registrable domains seen, most flows first (then by
 * name), the unlisted ones only if unlisted_only; at most max into out.
 * Returns how many there are in all (which may be more than max).
 */
size_t cohost_domains(
    const struct cohost *, int unlisted_only, struct cohost_domain *out, size_t max);

/*
 * cohost_top(): the names seen, most flows first (then by name), only the
 * listed (listed 1) or unlisted (0) ones; at most max into out. Returns how
 * many there are in all.
 */
size_t cohost_top(const struct cohost *, int listed, const struct cohost_name **out, size_t max);

/* cohost_unlisted(): distinct registrable domains none of whose names the list names. */
size_t cohost_unlisted(const struct cohost *);

/* What becomes of an observed entry. */
enum cohost_decision { COHOST_ENFORCE = 1, COHOST_HOLD };

/*
 * cohost_decide(): COHOST_HOLD if more than max unlisted registrable
 * domains were seen on it and its order does not accept shared
 * infrastructure (shared), else COHOST_ENFORCE.
 */
int cohost_decide(const struct cohost *, size_t max, int shared);

#endif
