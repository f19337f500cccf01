/* Unit tests for nfq.c without a socket: verdict runs become batch messages, queue stats parse. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/nfq.h"

struct seen {
	int type;
	uint32_t id;
	uint32_t verdict;
	int has_mark;
	uint32_t mark;
};

/* Reads the verdict messages recorded in q->vbuf. */
static size_t
decode(const struct nfqueue *q, struct seen *out, size_t max)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)q->vbuf;
	int len = (int)q->vlen;
	size_t n = 0;

	for (; mnl_nlmsg_ok(nlh, len) && n < max; nlh = mnl_nlmsg_next(nlh, &len), n++) {
		struct nlattr *a;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].type = nlh->nlmsg_type & 0xff;
		cr_assert_eq(nlh->nlmsg_type >> 8, NFNL_SUBSYS_QUEUE);
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		{
			if (mnl_attr_get_type(a) == NFQA_VERDICT_HDR) {
				const struct nfqnl_msg_verdict_hdr *v = mnl_attr_get_payload(a);
				out[n].id = ntohl(v->id);
				out[n].verdict = ntohl(v->verdict);
			} else if (mnl_attr_get_type(a) == NFQA_MARK) {
				out[n].has_mark = 1;
				out[n].mark = ntohl(mnl_attr_get_u32(a));
			}
		}
	}
	return n;
}

Test(nfq, verdict_runs_batched)
{
	struct nfqueue q;
	struct seen s[8];

	memset(&q, 0, sizeof(q));
	q.queue = 7;
	q.vcap = 4096;
	q.vbuf = malloc(q.vcap);
	cr_assert_not_null(q.vbuf);

	nfqueue_verdict(&q, 1, NF_ACCEPT, 0, 0);
	nfqueue_verdict(&q, 2, NF_ACCEPT, 0, 0);
	nfqueue_verdict(&q, 3, NF_ACCEPT, 0, 0);
	nfqueue_verdict(&q, 4, NF_DROP, 0, 0);
	nfqueue_verdict(&q, 5, NF_ACCEPT, 1, 0x100000);
	nfqueue_verdict(&q, 6, NF_ACCEPT, 1, 0x100000);
	nfqueue_verdict(&q, 7, NF_ACCEPT, 1, 0x200000); /* another mark: a new run */
	nfqueue_verdict(&q, 8, NF_ACCEPT, 0, 0);        /* the last run stays pending */

	size_t n = decode(&q, s, 8);
	cr_assert_eq(n, 4);
	cr_assert_eq(s[0].type, NFQNL_MSG_VERDICT_BATCH);
	cr_assert_eq(s[0].id, 3);
	cr_assert_eq(s[0].verdict, NF_ACCEPT);
	cr_assert_eq(s[0].has_mark, 0);
	cr_assert_eq(s[1].type, NFQNL_MSG_VERDICT);
	cr_assert_eq(s[1].id, 4);
	cr_assert_eq(s[1].verdict, NF_DROP);
	cr_assert_eq(s[2].type, NFQNL_MSG_VERDICT_BATCH);
	cr_assert_eq(s[2].id, 6);
	cr_assert_eq(s[2].mark, 0x100000);
	cr_assert_eq(s[3].type, NFQNL_MSG_VERDICT);
	cr_assert_eq(s[3].id, 7);
	cr_assert_eq(s[3].mark, 0x200000);
	cr_assert_eq(q.c.accepted, 7);
	cr_assert_eq(q.c.dropped, 1);
	cr_assert_eq(q.c.verdict_msgs, 4);
	cr_assert_eq(q.run_n, 1);
	cr_assert_eq(q.run_last, 8);
	free(q.vbuf);
}

Test(nfq, out_of_order_id_starts_a_new_run)
{
	struct nfqueue q;
	struct seen s[4];

	memset(&q, 0, sizeof(q));
	q.vcap = 4096;
	q.vbuf = malloc(q.vcap);
	nfqueue_verdict(&q, 10, NF_ACCEPT, 0, 0);
	nfqueue_verdict(&q, 9, NF_ACCEPT, 0, 0); /* never folded into a batch covering 10 */
	nfqueue_verdict(&q, 11, NF_DROP, 0, 0);
	cr_assert_eq(decode(&q, s, 4), 2);
	cr_assert_eq(s[0].id, 10);
	cr_assert_eq(s[0].type, NFQNL_MSG_VERDICT);
	cr_assert_eq(s[1].id, 9);
	cr_assert_eq(s[1].type, NFQNL_MSG_VERDICT);
	free(q.vbuf);
}

Test(nfq, kstats_line)
{
	struct nfqueue_kstats s;
	cr_assert_eq(
	    nfqueue_kstats_parse("4200  12345     3 2 65535     7     9   1234  1\n", &s), 0);
	cr_assert_eq(s.queue, 4200);
	cr_assert_eq(s.portid, 12345);
	cr_assert_eq(s.total, 3);
	cr_assert_eq(s.dropped, 7);
	cr_assert_eq(s.user_dropped, 9);
	cr_assert_eq(s.id_sequence, 1234);
	cr_assert_eq(nfqueue_kstats_parse("garbage\n", &s), -1);
	cr_assert_eq(nfqueue_kstats_parse("1 2 3\n", &s), -1);
	cr_assert_eq(nfqueue_kstats_parse("1 2 3 4 5 6 7 99999999999 1\n", &s), -1);
}

/* The kernel's skb flags: only a sum it left unchecked, and not partial or GSO, is checked. */
Test(nfq, csum_unchecked)
{
	struct nfqueue_packet p = {0};
	cr_assert_eq(nfqueue_csum_unchecked(&p), 0); /* no NFQA_SKB_INFO: checked */
	p.skb_info = NFQA_SKB_CSUM_NOTVERIFIED;
	cr_assert_eq(nfqueue_csum_unchecked(&p), 1);
	p.skb_info = NFQA_SKB_CSUM_NOTVERIFIED | NFQA_SKB_CSUMNOTREADY;
	cr_assert_eq(nfqueue_csum_unchecked(&p), 0);
	p.skb_info = NFQA_SKB_CSUM_NOTVERIFIED | NFQA_SKB_GSO;
	cr_assert_eq(nfqueue_csum_unchecked(&p), 0);
	p.skb_info = NFQA_SKB_CSUMNOTREADY;
	cr_assert_eq(nfqueue_csum_unchecked(&p), 0);
}
