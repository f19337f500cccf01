/* DNS queries over UDP and TCP port 53: from a queued packet to a verdict (and an answer). */
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>

#include "evlog/event.h"
#include "match/match.h"
#include "wire/dns.h"
#include "wire/pkt.h"
#include "dnsflow.h"
#include "judge.h"
#include "worker.h"

#define TCP_DNS_OUT   4096 /* answers to the messages of one segment */
#define CNT(w, field) counter_add(&(w)->c.field, 1)

static int
dns_action(const struct worker *w)
{
	return w->block.sinkhole ? EV_SINKHOLE : EV_NXDOMAIN;
}

/* The event for a blocked query q (hit). */
static void
emit(struct worker *w, const struct match_snapshot *snap, const struct match_hit *hit,
    const struct pkt *p, const struct dns_query *q)
{
	judge_event(w, snap, hit, EV_DNS, dns_action(w), p, q->name, q->namelen, NULL);
}

/* Looks q up; on a block fills ede text and hit. Returns the MATCH_* result. */
static int
lookup(struct worker *w, const struct match_snapshot *snap, const struct dns_query *q,
    struct match_hit *hit, char *ede, size_t edelen)
{
	if (snap == NULL)
		return MATCH_NONE;
	int r = match_domain(snap, q->name, q->namelen, w->now, hit);
	if (r == MATCH_ALLOW)
		CNT(w, dns_allowed);
	if (r != MATCH_BLOCK)
		return r;
	const struct rulelist *list = match_list(snap);
	const struct rule_order *o = &list->orders[hit->order];
	if (o->notice_url && o->notice_url[0])
		snprintf(ede, edelen, "blocked under order %s; see %s", o->ref, o->notice_url);
	else
		snprintf(ede, edelen, "blocked under order %s", o->ref);
	return r;
}

int
dnsflow_udp(struct worker *w, const struct match_snapshot *snap, const struct pkt *p)
{
	struct dns_query q;
	struct match_hit hit;
	char ede[DNS_EDE_TEXT_MAX + 1];
	uint8_t ans[512];

	int st = dns_query_parse(p->payload, p->paylen, &q);
	if (st == DNS_ODD_NAME)
		CNT(w, dns_odd_name);
	if (st != DNS_OK) {
		if (st != DNS_ODD_NAME)
			CNT(w, dns_bad);
		return NF_ACCEPT;
	}
	CNT(w, dns_queries);
	if (lookup(w, snap, &q, &hit, ede, sizeof(ede)) != MATCH_BLOCK)
		return NF_ACCEPT;
	/* The name is blocked: whatever happens next, the query does not reach the resolver. */
	if (dns_query_verify(p->payload, p->paylen, &q) == -1) {
		CNT(w, dns_verify_failed);
		return NF_DROP;
	}
	struct dns_block b = w->block;
	b.ede_text = ede;
	size_t alen = dns_answer_block(&q, &b, ans, sizeof(ans));
	if (alen == 0)
		CNT(w, inject_errors);
	else
		judge_answer_udp(w, p, ans, alen);
	CNT(w, dns_blocked);
	emit(w, snap, &hit, p, &q);
	return NF_DROP;
}

/* The slot for p's connection: found (tuple matches) or, with create, taken over. */
static struct tcpdns_slot *
tcpdns_slot(struct worker *w, const struct pkt *p, int create)
{
	uint32_t h = 2166136261u;
	const uint8_t *parts[2] = {p->src, p->dst};
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 16; j++)
			h = (h ^ parts[i][j]) * 16777619u;
	h = (h ^ p->sport) * 16777619u;
	h = (h ^ p->dport) * 16777619u;
	struct tcpdns_slot *s = &w->tcpdns[h % TCPDNS_SLOTS];
	int match = s->used && s->family == p->family && s->sport == p->sport &&
	    s->dport == p->dport && memcmp(s->src, p->src, 16) == 0 &&
	    memcmp(s->dst, p->dst, 16) == 0;
	if (match)
		return s;
	if (!create)
		return NULL;
	s->used = 1;
	s->family = p->family;
	s->sport = p->sport;
	s->dport = p->dport;
	memcpy(s->src, p->src, 16);
	memcpy(s->dst, p->dst, 16);
	s->len = 0;
	return s;
}

int
dnsflow_tcp(struct worker *w, const struct match_snapshot *snap, const struct pkt *p)
{
	const uint8_t *msg, *data = p->payload;
	size_t mlen, off = 0, len = p->paylen, last = 0;
	int r, blocked = 0;
	struct dns_query q;
	struct match_hit hit;
	char ede[DNS_EDE_TEXT_MAX + 1];

	if (p->paylen == 0)
		return NF_ACCEPT;
	/* The rest of a message whose start an earlier segment brought? */
	struct tcpdns_slot *held = tcpdns_slot(w, p, 0);
	if (held) {
		if (held->next_seq == p->seq && w->now - held->time <= TCPDNS_AGE &&
		    held->len + p->paylen <= sizeof(w->joined)) {
			memcpy(w->joined, held->buf, held->len);
			memcpy(w->joined + held->len, p->payload, p->paylen);
			data = w->joined;
			len = held->len + p->paylen;
		}
		held->used = 0;
	}

	/* First pass: is any message in this segment blocked? */
	while ((r = dns_tcp_next(data, len, &off, &msg, &mlen)) == 1) {
		last = off;
		if (dns_query_parse(msg, mlen, &q) != DNS_OK)
			continue;
		CNT(w, dns_queries);
		if (lookup(w, snap, &q, &hit, ede, sizeof(ede)) == MATCH_BLOCK)
			blocked = 1;
	}
	if (r == -1 && !blocked) {
		/* Pass the segment, keep the unfinished message's start for the next one. */
		CNT(w, dns_tcp_partial);
		if (len - last > TCPDNS_HOLD) {
			CNT(w, dns_tcp_unheld);
			return NF_ACCEPT;
		}
		struct tcpdns_slot *s = tcpdns_slot(w, p, 1);
		memcpy(s->buf, data + last, len - last);
		s->len = (uint16_t)(len - last);
		s->next_seq = p->seq + (uint32_t)p->paylen;
		s->time = w->now;
		return NF_ACCEPT;
	}
	if (!blocked)
		return NF_ACCEPT;

	/* Answer every whole message of the segment, then end the connection. */
	uint8_t stream[TCP_DNS_OUT];
	size_t slen = 0;
	off = 0;
	while (dns_tcp_next(data, len, &off, &msg, &mlen) == 1) {
		size_t alen = 0;
		if (slen + 2 >= sizeof(stream))
			break;
		int st = dns_query_parse(msg, mlen, &q);
		if (st != DNS_OK && st != DNS_ODD_NAME)
			continue;
		if (st == DNS_OK && lookup(w, snap, &q, &hit, ede, sizeof(ede)) == MATCH_BLOCK) {
			if (dns_query_verify(msg, mlen, &q) == -1) {
				CNT(w, dns_verify_failed);
				continue;
			}
			struct dns_block b = w->block;
			b.ede_text = ede;
			alen =
			    dns_answer_block(&q, &b, stream + slen + 2, sizeof(stream) - slen - 2);
			if (alen) {
				CNT(w, dns_blocked);
				emit(w, snap, &hit, p, &q);
			}
		} else {
			alen =
			    dns_answer_servfail(&q, stream + slen + 2, sizeof(stream) - slen - 2);
		}
		if (alen == 0)
			continue;
		stream[slen] = (uint8_t)(alen >> 8);
		stream[slen + 1] = (uint8_t)alen;
		slen += 2 + alen;
	}

	/*
	 * The answers, a FIN to the client, a RST to the server where its
	 * window stands: this segment is dropped, the earlier ones (held
	 * starts, other messages) were passed.
	 */
	judge_answer_tcp(w, p, stream, slen, p->seq);
	return NF_DROP;
}
