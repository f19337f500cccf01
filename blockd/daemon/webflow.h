/* TLS, HTTP and QUIC flows on the [flows] ports: from a queued packet to a verdict. */
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
 * webflow_pick() (webflow_sniff.c): the handler of p, a client packet of a
 * TCP or UDP flow to a [flows] port (QUEUED_WEB): the one its flow has, or
 * the one its first bytes call for (wire/sniff.h): QUEUED_TLS, QUEUED_HTTP
 * or QUEUED_QUIC. QUEUED_NONE when p is decided here, with *verdict and
 * *mark set as a handler sets them: no handler yet (a SYN), a flow whose
 * first bytes are no protocol blockd judges (allowed), late (p came past
 * its flow's queued bytes, marked so by the rules) for a flow the worker
 * does not know (allowed at once), or the in-order segment after an allowed
 * TLS 1.3 hello whose own records show no second hello (allowed:
 * webflow_tls.c wf_tls_next).
 */
int webflow_pick(struct worker *, const struct pkt *p, int late, int *verdict, uint32_t *mark);

/*
 * webflow_tls(), webflow_http(), webflow_quic(): judge one client packet
 * of a TLS, HTTP/1 or QUIC flow (snap may be NULL: no list yet).
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
