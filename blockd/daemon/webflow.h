/* TLS (TCP 443), HTTP (TCP 80) and QUIC (UDP 443) flows: from a queued packet to a verdict. */
#ifndef BLOCKD_WEBFLOW_H
#define BLOCKD_WEBFLOW_H

#include <stddef.h>
#include <stdint.h>

struct worker;
struct match_snapshot;
struct pkt;

/*
 * webflow_open(): the worker's flow table, QUIC context and notice
 * template, all allocated here, once. Returns 0, or -1 with a message in
 * err (nothing left allocated). webflow_close() frees them.
 */
int webflow_open(struct worker *, char *err, size_t errlen);
void webflow_close(struct worker *);

/*
 * webflow_tls(), webflow_http(), webflow_quic(): judge one client packet
 * of a TCP 443, TCP 80 or UDP 443 flow (snap may be NULL: no list yet).
 * Return the verdict (NF_ACCEPT or NF_DROP); *mark gets the mark bit to
 * set when the flow is decided and may leave the queue, else 0.
 */
int webflow_tls(
    struct worker *, const struct match_snapshot *snap, const struct pkt *p, uint32_t *mark);
int webflow_http(
    struct worker *, const struct match_snapshot *snap, const struct pkt *p, uint32_t *mark);
int webflow_quic(
    struct worker *, const struct match_snapshot *snap, const struct pkt *p, uint32_t *mark);

#endif
