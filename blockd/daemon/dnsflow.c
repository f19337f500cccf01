/* DNS queries over UDP port 53, and the lookup both transports share: a query to a verdict. */
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

#define CNT(w, field) counter_add(&(w)->c.field, 1)

static int
dns_action(const struct worker *w)
{
	return w->block.sinkhole ? EV_SINKHOLE : EV_NXDOMAIN;
}

/* The event for a blocked query q (hit). */
void
dnsflow_emit(struct worker *w, const struct match_snapshot *snap, const struct match_hit *hit,
    const struct pkt *p, const struct dns_query *q)
{
	judge_event(w, snap, hit, EV_DNS, dns_action(w), p, q->name, q->namelen, NULL);
}

/* Looks q up; on a block fills ede text and hit. Returns the MATCH_* result. */
int
dnsflow_lookup(struct worker *w, const struct match_snapshot *snap, const struct dns_query *q,
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
	if (dnsflow_lookup(w, snap, &q, &hit, ede, sizeof(ede)) != MATCH_BLOCK)
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
	dnsflow_emit(w, snap, &hit, p, &q);
	return NF_DROP;
}
