/* DNS queries over UDP and TCP port 53: from a queued packet to a verdict (and an answer). */
#ifndef BLOCKD_DNSFLOW_H
#define BLOCKD_DNSFLOW_H

#include <stddef.h>

struct worker;
struct match_snapshot;
struct match_hit;
struct pkt;
struct dns_query;

/*
 * dnsflow_udp() (dnsflow.c), dnsflow_tcp() (dnsflow_tcp.c): judge one client
 * packet to UDP or TCP port 53 (snap may be NULL: no list yet). A query for
 * a blocked name is answered from the resolver's address through judge.h
 * (over TCP in the stream, then the client's side closed and the server's
 * reset) and dropped. Over TCP the client's stream is read as the server
 * reads it, in the worker's flow table. Return the verdict (NF_ACCEPT or
 * NF_DROP); DNS flows are never marked.
 */
int dnsflow_udp(struct worker *, const struct match_snapshot *snap, const struct pkt *p);
int dnsflow_tcp(struct worker *, const struct match_snapshot *snap, const struct pkt *p);

/*
 * For both transports, on the worker's thread. dnsflow_lookup(): q matched
 * (snap may be NULL); on a block hit is filled in and ede holds the
 * Extended DNS Error text naming the order. Returns the MATCH_* result.
 * dnsflow_emit(): the event for the blocked query q.
 */
int dnsflow_lookup(struct worker *, const struct match_snapshot *snap, const struct dns_query *q,
    struct match_hit *hit, char *ede, size_t edelen);
void dnsflow_emit(struct worker *, const struct match_snapshot *snap, const struct match_hit *hit,
    const struct pkt *p, const struct dns_query *q);

#endif
