/* QUIC on UDP 443: each connection's client Initials decrypted, its ClientHello name judged. */
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "evlog/event.h"
#include "kernel/queued.h"
#include "match/match.h"
#include "wire/flow.h"
#include "wire/pkt.h"
#include "wire/reasm.h"
#include "wire/tcpin.h"
#include "wire/quic.h"
#include "collateral.h"
#include "judge.h"
#include "webflow.h"
#include "webflow_int.h"
#include "worker.h"

/*
 * A server tells QUIC connections apart by their Destination Connection
 * ID, not by address and port: one UDP flow may carry a decoy connection
 * and then the real one. So a flow keeps, in app_data, the connection it
 * reads or last judged (its DCID); only a datagram with a client Initial
 * that opens (v1, v2) counts, and f->app_state is the open connection's
 * bytes (its budget, queued_judge_bytes()).
 *
 * An allowed connection marks the flow allowed: the rules then keep only
 * its client Initials coming to the queue (hooks_nft.c, hooks_ipt.c), so
 * a new connection on the same ports is judged anew. A blocked one marks
 * the flow blocked: the kernel drops the rest of it, every later
 * connection on the same ports included.
 */
enum {
	QC_NONE = 0, /* no Initial read yet */
	QC_OPEN,     /* its hello is being put together in f->stream */
	QC_JUDGED,   /* its hello was judged (allowed, or passed by policy) */
};

struct quic_conn {
	uint8_t state; /* QC_* */
	uint8_t dcid_len;
	uint8_t dcid[QUIC_CID_MAX];
};

_Static_assert(sizeof(struct quic_conn) <= sizeof(((struct flow *)0)->app_data),
    "a QUIC connection's state fits a flow's app_data");

static void
conn_get(const struct flow *f, struct quic_conn *c)
{
	memcpy(c, f->app_data, sizeof(*c));
}

static void
conn_put(struct flow *f, const struct quic_conn *c)
{
	memcpy(f->app_data, c, sizeof(*c));
}

/* The flow's connection becomes qi's, in state. */
static void
conn_set(struct flow *f, const struct quic_info *qi, int state)
{
	struct quic_conn c = {.state = (uint8_t)state, .dcid_len = qi->dcid_len};
	memcpy(c.dcid, qi->dcid, qi->dcid_len);
	conn_put(f, &c);
}

/* After a verdict on f's open connection: an allowed flow has judged it. */
static int
conn_decided(struct flow *f, int verdict)
{
	struct quic_conn c;

	conn_get(f, &c);
	if (f->verdict == FLOW_ALLOWED && c.state == QC_OPEN) {
		c.state = QC_JUDGED;
		conn_put(f, &c);
	}
	return verdict;
}

static int
is_hello(int r)
{
	return r == QUIC_SNI || r == QUIC_NO_SNI || r == QUIC_ECH;
}

/*
 * A whole hello, judged. keep: the hello is the flow's connection (allowed:
 * the flow is marked allowed); otherwise it is another one, seen while
 * the flow's own is still open: allowed, it passes and nothing changes.
 * A blocked name, or no name under no_sni = block, blocks the flow either way.
 */
static int
judge_hello(struct worker *w, const struct match_snapshot *snap, struct flow *f,
    const struct pkt *p, int r, const struct quic_info *qi, int evasive, int keep, uint32_t *mark)
{
	if (evasive)
		CNT(w, quic_evasive);
	int named = (r == QUIC_SNI || r == QUIC_ECH) && qi->hello.has_sni;
	int allowed = 0;
	collateral_seen(w, snap, p, EV_QUIC, named ? qi->hello.sni : NULL, qi->hello.sni_len);
	if (named) {
		struct match_hit hit;
		if (snap != NULL &&
		    match_domain(snap, qi->hello.sni, qi->hello.sni_len, w->now, &hit) ==
			MATCH_BLOCK) {
			CNT(w, quic_blocked);
			wf_emit(
			    w, snap, &hit, EV_QUIC, EV_DROP, p, qi->hello.sni, qi->hello.sni_len);
			return wf_block(w, f, mark);
		}
		allowed = !evasive;
	}
	/*
	 * CRYPTO bytes that disagreed with earlier ones: the name the first
	 * copies give was judged (a blocked one dropped); an allowed one is
	 * not trusted, and no_sni decides.
	 */
	if (!allowed) {
		if (!evasive)
			CNT(w, quic_no_sni);
		if (w->cfg->no_sni == CFG_NOSNI_BLOCK)
			return wf_block(w, f, mark);
	}
	if (!keep)
		return NF_ACCEPT;
	conn_set(f, qi, QC_JUDGED);
	return wf_allow(w, f, mark);
}

/* The verdict for a datagram that decides nothing: an allowed flow stays so marked. */
static int
undecided(const struct worker *w, const struct flow *f, uint32_t *mark)
{
	if (f->verdict == FLOW_ALLOWED)
		*mark = w->cfg->mark;
	return NF_ACCEPT;
}

/*
 * A datagram of the flow's open connection: its CRYPTO frames join the
 * connection's stream. A client over its share of buffers has p judged
 * alone: an Initial that needs more datagrams is dropped for the client to
 * send again; one that is not readable is passed undecided. With no buffer
 * free at all, the datagram alone is still judged.
 */
static int
read_open(struct worker *w, const struct match_snapshot *snap, struct flow *f, const struct pkt *p,
    uint32_t *mark)
{
	struct quic_info qi;
	int alone = 0;

	f->app_state += (uint32_t)p->l3len; /* bytes seen: queued_judge_bytes() decides */
	struct reasm *s = wf_stream_for(w, f, &alone);
	if (s == NULL)
		CNT(w, flow_no_stream); /* this datagram alone is still judged */
	int r = quic_parse_datagram(w->quic, p->payload, p->paylen, s, &qi);
	if (is_hello(r)) {
		int evasive = qi.conflict || (s != NULL && (s->flags & REASM_F_CONFLICT));
		return conn_decided(f, judge_hello(w, snap, f, p, r, &qi, evasive, 1, mark));
	}
	if (r == QUIC_MALFORMED)
		CNT(w, quic_other); /* not decided: a later datagram may still bring a hello */
	if (alone && r == QUIC_NEED_MORE && !wf_last_queued(f))
		return conn_decided(f, wf_alone_failed(w, f, p, EV_QUIC, 0, mark));
	/* No buffer free at all, and this datagram alone is not the hello: failure decides. */
	if (s == NULL && r == QUIC_NEED_MORE)
		return conn_decided(f, wf_unjudged(w, f, p, EV_QUIC, JUDGE_NO_BUFFER, 0, mark));
	if (!wf_last_queued(f))
		return undecided(w, f, mark);
	/* No hello within the connection's byte budget: unjudged decides it. */
	CNT(w, quic_unfinished);
	return conn_decided(f, wf_unjudged(w, f, p, EV_QUIC, JUDGE_QUEUE_END, 0, mark));
}

/*
 * UDP 443. Datagrams without a client Initial that opens (junk, Initials
 * that do not authenticate, other versions, 0-RTT, Handshake, short
 * headers) pass and decide nothing: the server makes no connection of
 * them. An Initial is read as part of its connection, by its DCID:
 *  - the open connection's: into its stream, until its hello is whole;
 *  - one without CRYPTO frames (an acknowledgement, sent to the server's
 *    own connection ID once it answered): passes, decides nothing;
 *  - another connection while one is open (its hello passed in part): a
 *    whole hello in p is judged; a part of one is held back (dropped for
 *    the client to send again, on the open one's budget), since it could
 *    be the open one's, sent to the server's connection ID;
 *  - the judged connection's again, or a new one: a whole hello in p is
 *    judged (a retransmission of an allowed one passes again); a part of
 *    one opens the connection anew, read from a fresh stream.
 */
int
webflow_quic(
    struct worker *w, const struct match_snapshot *snap, const struct pkt *p, uint32_t *mark)
{
	const struct flow_key *k = wf_key(w, p);
	struct quic_info qi;
	struct quic_conn c;
	int created = 0;

	*mark = 0;
	flow_expire(w->flows, w->now, FLOW_EXPIRE_N);
	struct flow *f = wf_flow_new(w, k, p, &created);
	if (f == NULL) {
		CNT(w, share_exceeded);
		f = wf_scratch_flow(w, k, p, QUEUED_QUIC);
		f->app_state = 0;
	}
	if (created || wf_is_scratch(w, f))
		f->app = QUEUED_QUIC;
	if (f->verdict == FLOW_BLOCKED)
		return wf_decided(w, f, mark);
	/* First p alone: which connection, and is it a whole hello by itself? */
	int r = quic_parse_datagram(w->quic, p->payload, p->paylen, NULL, &qi);
	if (qi.other_cid)
		CNT(w, quic_other_cid);
	if (qi.initials == 0) {
		CNT(w, quic_not_initial);
		return undecided(w, f, mark);
	}
	CNT(w, quic_initials);
	if (wf_is_scratch(w, f)) {
		/* Nothing of a client over its share of flows is kept: p is judged alone. */
		if (is_hello(r))
			return judge_hello(w, snap, f, p, r, &qi, qi.conflict, 0, mark);
		if (r == QUIC_NEED_MORE)
			return wf_alone_failed(w, f, p, EV_QUIC, 0, mark);
		CNT(w, quic_other);
		return NF_ACCEPT;
	}
	conn_get(f, &c);
	int same = c.state != QC_NONE && c.dcid_len == qi.dcid_len &&
	    memcmp(c.dcid, qi.dcid, qi.dcid_len) == 0;
	if (same && c.state == QC_OPEN)
		return read_open(w, snap, f, p, mark);
	if (qi.crypto_frames == 0) {
		CNT(w, quic_no_crypto);
		return undecided(w, f, mark);
	}
	if (c.state == QC_OPEN) {
		if (is_hello(r))
			return judge_hello(w, snap, f, p, r, &qi, qi.conflict, 0, mark);
		CNT(w, quic_held_back);
		f->app_state += (uint32_t)p->l3len;
		if (!wf_last_queued(f))
			return NF_DROP;
		CNT(w, quic_unfinished);
		return conn_decided(f, wf_unjudged(w, f, p, EV_QUIC, JUDGE_QUEUE_END, 0, mark));
	}
	CNT(w, quic_connections);
	if (is_hello(r))
		return judge_hello(w, snap, f, p, r, &qi, qi.conflict, 1, mark);
	/* A part of a hello: the connection is read from here on, from a fresh stream. */
	conn_set(f, &qi, QC_OPEN);
	f->app_state = 0;
	if (f->stream != NULL)
		reasm_reset(f->stream);
	return read_open(w, snap, f, p, mark);
}
