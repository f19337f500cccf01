/* The compliance probe: every entry of a list and every control tested on the wire, as a subscriber. */
#ifndef BLOCKD_PROBE_H
#define BLOCKD_PROBE_H

#include <stddef.h>
#include <stdio.h>

#include "probefmt.h"
#include "rulelist.h"

/*
 * What `blockctl probe` runs, from a vantage point that sees the network as a
 * subscriber does. Every entry of list is tested by each method that applies
 * (a name: DNS through the resolver, then TLS, HTTP and QUIC to its address;
 * a URL: HTTP; an address or prefix: a TCP connection), each expected to be
 * blocked; every control (names and addresses that must not be blocked) by
 * the same methods, expected to pass. The checks go out at most rate a
 * second, and those not reached within max_seconds are written as skipped.
 */
struct probe_opts {
	const struct rulelist *list;       /* the list in force, verified by the caller */
	const struct rule_entry *controls; /* names and addresses that must not be blocked */
	size_t ncontrols;
	int siblings;          /* add controls next to each domain entry (www.NAME, its parent) */
	const char *resolver;  /* the subscriber's resolver (an address) */
	const char *lookup;    /* a resolver that does not filter, for names' addresses; or NULL */
	const char *test_addr; /* connect here for every name instead; or NULL */
	unsigned methods;      /* 1 << enum probe_method */
	double rate;           /* checks a second, > 0 */
	int timeout_ms;        /* for each check's answer */
	int max_seconds;       /* for the whole run */
	int ip_port;           /* the port address entries are tested on */
	const char *vantage;   /* a label for where the probe ran */
	FILE *progress;        /* a line rewritten as checks finish, or NULL */
};

/*
 * probe_run(): runs every check into r (zeroed by the caller; free with
 * probe_report_free()). 0, or -1 with the reason in err (out of memory, a
 * resolver or address that is not one). Checks that fail are results, not
 * errors.
 */
int probe_run(const struct probe_opts *o, struct probe_report *r, char *err, size_t errlen);

#endif
