/* Exporting a list as a DNS Response Policy Zone, for resolvers that enforce by RPZ. */
#ifndef BLOCKD_RPZ_H
#define BLOCKD_RPZ_H

#include <stddef.h>
#include <stdint.h>

#include "rulelist.h"

/*
 * rpz_format(): the zone text for origin (absolute, with trailing dot):
 * SOA (serial: the list serial's low 32 bits) and NS, then "NAME CNAME ."
 * for domain entries, "NAME" and "*.NAME" for suffix entries, and rpz-ip
 * owners for address entries, each with its order reference in a comment.
 * Only orders in force at now are exported; URL entries, which RPZ cannot
 * express, become comments. Pure. Returns a malloc'd buffer and *lenp, or NULL
 * when out of memory.
 */
char *rpz_format(const struct rulelist *l, const char *origin, int64_t now, size_t *lenp);

/* rpz_ip_owner(): the rpz-ip owner label sequence for an address entry, into buf. */
char *rpz_ip_owner(const struct rule_entry *e, char *buf, size_t bufsz);

#endif
