/* Judgement for every protocol handler: earlier verdicts issued, then resets, answers, events, counts. */
#ifndef BLOCKD_JUDGE_H
#define BLOCKD_JUDGE_H

#include <stddef.h>
#include <stdint.h>

struct worker;
struct match_snapshot;
struct match_hit;
struct pkt;

/*
 * Every handler (dnsflow.c, webflow.c) ends a judgement here, so the tail
 * of the packet path is written once:
 *
 *  - Order. Whatever blockd injects into a connection goes out only after
 *    every verdict the worker gave before it was issued (the verdict batch
 *    is flushed first): an earlier segment of the same flow that was
 *    accepted reaches the server before the reset that follows it, so the
 *    reset lands at the sequence number the server then expects.
 *  - Sequence numbers. A handler says where the server's window stands
 *    (server_next: the first byte the server has not received, the end of
 *    the bytes of the flow accepted in order so far); the packet being
 *    judged is never among them, since a blocked packet is dropped.
 *  - Unjudged decisions. When a handler must decide without having read
 *    a name, judge_unjudged() applies the operator's policy (unjudged, or
 *    failure for exhausted resources), counts the reason and logs it.
 *
 * All functions run on the worker's thread, never block and never allocate.
 */

/* Why a flow was decided without a name read (one counter row and one log reason each). */
#define JUDGE_REASONS(X)                                                                     \
	X(JUDGE_QUEUE_END, "queue_end", 0)       /* its queued byte budget is spent */       \
	X(JUDGE_CLIENT_SHARE, "client_share", 0) /* its client is over its share of flows */ \
	X(JUDGE_NO_BUFFER, "no_buffer", 1)       /* exhausted: no stream buffer free */

#define JUDGE_REASON_ENUM(id, name, exhausted) id,
enum judge_reason { JUDGE_REASONS(JUDGE_REASON_ENUM) JUDGE_NREASONS };
#undef JUDGE_REASON_ENUM

/* judge_reason_name(): the reason as logged ("queue_end", ...). */
const char *judge_reason_name(int reason);
/* judge_reason_exhausted(): 1 if the reason is an exhausted resource (failure decides). */
int judge_reason_exhausted(int reason);

/*
 * judge_event(): hands one enforcement event to the log (counted, or
 * counted as lost). hit may be NULL (an unjudged decision); reason is
 * NULL or the reason logged with it.
 */
void judge_event(struct worker *, const struct match_snapshot *snap, const struct match_hit *hit,
    int method, int action, const struct pkt *p, const char *ind, size_t indlen,
    const char *reason);

/*
 * judge_reset(): ends p's TCP connection both ways once earlier verdicts
 * are issued: a RST to the client as if from the server (at p's ack, the
 * byte the client expects next) and one to the server as if from the
 * client at server_next.
 */
void judge_reset(struct worker *, const struct pkt *p, uint32_t server_next);

/*
 * judge_answer_tcp(): writes data (len bytes: DNS answers, the 451 notice)
 * to the client as the server's next bytes, then a FIN; then, earlier
 * verdicts issued, a RST to the server at server_next.
 */
void judge_answer_tcp(
    struct worker *, const struct pkt *p, const uint8_t *data, size_t len, uint32_t server_next);

/* judge_answer_udp(): sends data to the client as a datagram from the address it asked. */
void judge_answer_udp(struct worker *, const struct pkt *p, const uint8_t *data, size_t len);

/*
 * judge_unjudged(): p's flow must be decided without a name read, for
 * reason (enum judge_reason) by method (enum ev_method). The policy is
 * [flows] unjudged, or [netfilter] failure for an exhausted resource
 * (failure = closed blocks). Counts the reason, logs an unjudged_pass or
 * unjudged_block event, and for a blocked TCP flow resets both ends
 * (server_next as for judge_reset()). Returns 1 if the flow is blocked,
 * 0 if it passes.
 */
int judge_unjudged(
    struct worker *, const struct pkt *p, int method, int reason, uint32_t server_next);

#endif
