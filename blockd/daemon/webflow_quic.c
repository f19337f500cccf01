/* QUIC on UDP 443: the client Initial decrypted, its ClientHello name judged. */
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
 * UDP 443. A datagram of a client over its share of flow slots or buffers
 * is judged alone: an Initial that needs more datagrams is dropped for the
 * client to send again; one that is not readable is passed undecided. With
 * no buffer free at all, the datagram alone is still judged.
 */
int
webflow_quic(
    struct worker *w, const struct match_snapshot *snap, const struct pkt *p, uint32_t *mark)
{
	struct flow_key k;
	int created = 0;

	*mark = 0;
	wf_key_of(p, &k);
	flow_expire(w->flows, w->now, FLOW_EXPIRE_N);
	struct flow *f = wf_flow_new(w, &k, p, &created);
	if (f == NULL) {
		CNT(w, share_exceeded);
		f = wf_scratch_flow(w, &k, p, QUEUED_QUIC);
		f->app_state = 0;
	}
	if (created || wf_is_scratch(w, f))
		f->app = QUEUED_QUIC;
	int d = wf_decided(w, f, mark);
	if (d != -1)
		return d;
	f->app_state += (uint32_t)p->l3len; /* bytes seen: queued_judge_bytes() decides */
	int alone = 0;
	struct reasm *s = wf_stream_for(w, f, &alone);
	if (s == NULL)
		CNT(w, flow_no_stream); /* this datagram alone is still judged */
	struct quic_info qi;
	int r = quic_parse_datagram(w->quic, p->payload, p->paylen, s, &qi);
	if (qi.initials)
		CNT(w, quic_initials);
	switch (r) {
	case QUIC_NEED_MORE:
		break;
	case QUIC_NOT_INITIAL:
		/* A short header or another version: nothing this flow will show. */
		CNT(w, quic_other);
		return wf_allow(w, f, mark);
	case QUIC_DECRYPT_FAILED:
	case QUIC_MALFORMED:
		/* Not decided: a later datagram may still bring a readable Initial. */
		CNT(w, quic_other);
		break;
	}
	if (r == QUIC_NEED_MORE || r == QUIC_DECRYPT_FAILED || r == QUIC_MALFORMED) {
		if (alone && r == QUIC_NEED_MORE && !wf_last_queued(f))
			return wf_alone_failed(w, f, p, EV_QUIC, 0, mark);
		/* No buffer free at all, and this datagram alone is not the hello: failure decides. */
		if (s == NULL && r == QUIC_NEED_MORE)
			return wf_unjudged(w, f, p, EV_QUIC, JUDGE_NO_BUFFER, 0, mark);
		if (!wf_last_queued(f))
			return NF_ACCEPT;
		/*
		 * No hello by the last datagram the rules queue (junk Initials sent
		 * first, say): what follows passes unseen, so unjudged decides now.
		 */
		CNT(w, quic_unfinished);
		return wf_unjudged(w, f, p, EV_QUIC, JUDGE_QUEUE_END, 0, mark);
	}
	/*
	 * CRYPTO bytes that disagreed with earlier ones: the name the first
	 * copies give is still judged (a blocked one is dropped); an allowed one
	 * is not trusted, and no_sni decides.
	 */
	int evasive = qi.conflict || (s != NULL && (s->flags & REASM_F_CONFLICT));
	if (evasive)
		CNT(w, quic_evasive);
	int named = (r == QUIC_SNI || r == QUIC_ECH) && qi.hello.has_sni;
	collateral_seen(w, snap, p, EV_QUIC, named ? qi.hello.sni : NULL, qi.hello.sni_len);
	if (named) {
		struct match_hit hit;
		if (snap != NULL &&
		    match_domain(snap, qi.hello.sni, qi.hello.sni_len, w->now, &hit) ==
			MATCH_BLOCK) {
			CNT(w, quic_blocked);
			wf_emit(w, snap, &hit, EV_QUIC, EV_DROP, p, qi.hello.sni, qi.hello.sni_len);
			return wf_block(w, f, mark);
		}
		if (!evasive)
			return wf_allow(w, f, mark);
	}
	if (!evasive)
		CNT(w, quic_no_sni);
	if (w->cfg->no_sni != CFG_NOSNI_BLOCK)
		return wf_allow(w, f, mark);
	return wf_block(w, f, mark);
}
