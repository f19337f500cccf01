/* DNS queries over UDP and TCP port 53: from a queued packet to a verdict (and an answer). */
#ifndef BLOCKD_DNSFLOW_H
#define BLOCKD_DNSFLOW_H

struct worker;
struct match_snapshot;
struct pkt;

/*
 * dnsflow_udp(), dnsflow_tcp(): judge one client packet to UDP or TCP port
 * 53 (snap may be NULL: no list yet). A query for a blocked name is
 * answered from the resolver's address through judge.h (over TCP in the
 * stream, then the client's side closed and the server's reset) and
 * dropped. Return the verdict (NF_ACCEPT or NF_DROP).
 */
int dnsflow_udp(struct worker *, const struct match_snapshot *snap, const struct pkt *p);
int dnsflow_tcp(struct worker *, const struct match_snapshot *snap, const struct pkt *p);

#endif
