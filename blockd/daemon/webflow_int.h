/* What the web flow handlers share: the flow's life, its buffers and its verdicts (webflow.c). */
#ifndef BLOCKD_WEBFLOW_INT_H
#define BLOCKD_WEBFLOW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/counters.h"
#include "kernel/queued.h"
#include "wire/flow.h"
#include "wire/pkt.h"
#include "wire/reasm.h"

struct worker;
struct match_snapshot;
struct match_hit;

#define CNT(w, field) counter_add(&(w)->c.field, 1)

#define FLOW_EXPIRE_N 8 /* idle flows dropped per packet, so expiry never stalls one */

/*
 * Used only by webflow.c and the handlers beside it (webflow_tls.c,
 * webflow_http.c, webflow_quic.c, and dnsflow_tcp.c for DNS over TCP), on
 * the worker's thread. Flows belong to
 * the worker's flow table; buffers to its pool. The verdict functions
 * (wf_allow(), wf_block(), wf_unjudged(), wf_decided(), wf_alone_failed())
 * return the packet's netfilter verdict and set *mark.
 */

/* wf_emit(): the event for a blocked flow (hit): what was read, by method, and the action. */
void wf_emit(struct worker *, const struct match_snapshot *snap, const struct match_hit *hit,
    int method, int action, const struct pkt *p, const char *ind, size_t indlen);
/* wf_key_of(): p's flow key, client side first. */
void wf_key_of(const struct pkt *p, struct flow_key *k);
/* wf_key(): p's flow key (the worker's, made and hashed once per packet). */
const struct flow_key *wf_key(struct worker *, const struct pkt *p);
/* wf_flow_new(): p's flow, found or made within its client's share; NULL over the share. */
struct flow *wf_flow_new(
    struct worker *, const struct flow_key *k, const struct pkt *p, int *created);
/* wf_scratch_flow(): the worker's one scratch flow, for a packet judged alone. */
struct flow *wf_scratch_flow(
    struct worker *, const struct flow_key *k, const struct pkt *p, int app);
/* wf_is_scratch(): 1 if f is the scratch flow (nothing of it is kept). */
int wf_is_scratch(const struct worker *, const struct flow *f);
/* wf_tcp_flow(): the TCP flow for p (made on its SYN), the scratch flow, or NULL: nothing to judge. */
struct flow *wf_tcp_flow(struct worker *, const struct pkt *p, int app);
/* wf_last_queued(): 1 if f has spent the bytes it may be read for (queued.h). */
static inline int
wf_last_queued(const struct flow *f)
{
	unsigned n = queued_judge_bytes(f->app);
	return n != 0 && f->app_state >= n;
}
/* wf_release(): f's buffers go back to the pool and its client's share. */
void wf_release(struct worker *, struct flow *f);
/* wf_stream_for(): the buffer to read into (*alone: the scratch one), or NULL: pool exhausted. */
struct reasm *wf_stream_for(struct worker *, struct flow *f, int *alone);
/* wf_stream_alt(): f's second buffer for last copies, or NULL. */
struct reasm *wf_stream_alt(struct worker *, struct flow *f);
/*
 * wf_server_next(): where the server's window stands before p: the first
 * byte of f it has not received, the end of f's stream s read in order so
 * far (every segment of it was passed; p itself is not yet among them).
 */
static inline uint32_t
wf_server_next(const struct flow *f, const struct reasm *s)
{
	return f->client_isn + 1 + (uint32_t)(s->base + reasm_contig(s));
}
/* wf_next_seq(): the sequence number the server expects next from f's client. */
uint32_t wf_next_seq(const struct flow *f);
/*
 * wf_doubted(): counts why a segment may never reach the server's stream
 * (WF_LOW_TTL, or what tcpin_check() said of it); returns 1.
 */
#define WF_LOW_TTL (-1)
int wf_doubted(struct worker *, int why);
/*
 * wf_doubtful(): 1 if p, a client segment of f, may never reach the
 * server's stream (counted by reason): below the flow's TTL, or one a
 * Linux server's stack discards (tcpin.h). Read as one more copy at most,
 * never as the stream.
 */
static inline int
wf_doubtful(struct worker *w, struct flow *f, const struct pkt *p)
{
	if (p->ttl < f->ttl)
		return wf_doubted(w, WF_LOW_TTL);
	int v = tcpin_check(&f->tcp, p);
	return v == TCPIN_TAKE ? 0 : wf_doubted(w, v);
}
/* wf_urgent_take(): wf_urgent() of a segment with the URG flag. */
void wf_urgent_take(struct worker *, struct flow *f, const struct pkt *p);
/* wf_urgent(): p's urgent byte taken out of f's buffers, as the server's stack does. */
static inline void
wf_urgent(struct worker *w, struct flow *f, const struct pkt *p)
{
	if (p->tcp_flags & PKT_TCP_URG) /* most segments carry none */
		wf_urgent_take(w, f, p);
}
/* wf_stream_add(): p's data into r where the server's stack puts it; reasm_add()'s flags. */
static inline int
wf_stream_add(const struct flow *f, struct reasm *r, const struct pkt *p)
{
	return reasm_add_tcp(r, f->client_isn, tcpin_data_seq(p), p->payload, p->paylen);
}
/* wf_read_grow(): wf_read() of p, which passed the end of r (res: what it added). */
int wf_read_grow(struct worker *, struct flow *f, struct reasm *r, const struct pkt *p, int res);
/* wf_read(): wf_stream_add() into f's buffer, grown (flow_stream_grow()) when p passes its end. */
static inline int
wf_read(struct worker *w, struct flow *f, struct reasm *r, const struct pkt *p)
{
	int res = wf_stream_add(f, r, p);
	return (res & REASM_TRUNCATED) ? wf_read_grow(w, f, r, p, res) : res;
}

/*
 * wf_tls_next() (webflow_tls.c): the verdict of p, the next segment of a
 * TLS flow f whose first hello allowed it, when p's own records show that
 * no second hello comes; -1 when webflow_tls() must read it.
 */
int wf_tls_next(struct worker *, struct flow *f, const struct pkt *p, uint32_t *mark);

int wf_allow(struct worker *, struct flow *f, uint32_t *mark);
int wf_block(struct worker *, struct flow *f, uint32_t *mark);
int wf_unjudged(struct worker *, struct flow *f, const struct pkt *p, int method, int reason,
    uint32_t next, uint32_t *mark);
int wf_alone_failed(struct worker *, struct flow *f, const struct pkt *p, int method, uint32_t next,
    uint32_t *mark);
/* wf_decided(): the verdict of a flow already decided, or -1 while f is undecided. */
int wf_decided(struct worker *, const struct flow *f, uint32_t *mark);

#endif
