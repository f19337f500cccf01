/* Unit tests for nfq.c without a socket: verdict runs become batch messages, queue stats parse. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
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

/* The verdict messages are byte for byte what libnetfilter_queue's builders write. */
Test(nfq, verdict_bytes_as_libnetfilter_queue)
{
	struct nfqueue q;
	char want[256];

	cr_assert_eq(nfqueue_open_detached(&q, 4201), 0);
	nfqueue_verdict(&q, 5, NF_ACCEPT, 1, 0x300000);
	nfqueue_verdict(&q, 6, NF_DROP, 0, 0);
	nfqueue_verdict(&q, 7, NF_ACCEPT, 0, 0); /* emits the two before it */
	struct nlmsghdr *a = nfq_nlmsg_put(want, NFQNL_MSG_VERDICT, 4201);
	nfq_nlmsg_verdict_put(a, 5, NF_ACCEPT);
	nfq_nlmsg_verdict_put_mark(a, 0x300000);
	size_t la = NLMSG_ALIGN(a->nlmsg_len);
	struct nlmsghdr *b = nfq_nlmsg_put(want + la, NFQNL_MSG_VERDICT, 4201);
	nfq_nlmsg_verdict_put(b, 6, NF_DROP);
	size_t lb = NLMSG_ALIGN(b->nlmsg_len);
	cr_assert_eq(q.vlen, la + lb);
	cr_assert_eq(memcmp(q.vbuf, want, la + lb), 0);
	nfqueue_close(&q);
}

static void
on_pkt(void *arg, struct nfqueue *q, const struct nfqueue_packet *p)
{
	struct nfqueue_packet *out = arg;
	*out = *p;
	nfqueue_verdict(q, p->id, NF_ACCEPT, 0, 0);
}

/* A packet message read in one pass over its attributes; a cut attribute refuses it. */
Test(nfq, packet_message_read)
{
	struct nfqueue q;
	struct nfqueue_packet got;
	char buf[512];
	uint8_t payload[40] = {0x45};

	cr_assert_eq(nfqueue_open_detached(&q, 0), 0);
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_PACKET, 0);
	struct nfqnl_msg_packet_hdr ph = {htonl(77), htons(0x0800), NF_INET_FORWARD};
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFQA_MARK, htonl(0x400000));
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(2));
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(payload), payload);
	mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(1500));
	mnl_attr_put_u32(nlh, NFQA_SKB_INFO, htonl(NFQA_SKB_CSUM_NOTVERIFIED));
	memset(&got, 0, sizeof(got));
	cr_assert_eq(nfqueue_dispatch(&q, buf, nlh->nlmsg_len, on_pkt, &got), 1);
	cr_assert_eq(got.id, 77);
	cr_assert_eq(got.hw_protocol, 0x0800);
	cr_assert_eq(got.hook, NF_INET_FORWARD);
	cr_assert_eq(got.mark, 0x400000);
	cr_assert_eq(got.len, sizeof(payload));
	cr_assert_eq(got.data[0], 0x45);
	cr_assert_eq(got.truncated, 1);
	cr_assert_eq(got.skb_info, NFQA_SKB_CSUM_NOTVERIFIED);
	/* An attribute longer than the message: no id can be trusted, nothing handed over. */
	nlh->nlmsg_len -= 4;
	cr_assert_eq(nfqueue_dispatch(&q, buf, nlh->nlmsg_len, on_pkt, &got), 0);
	cr_assert_eq(q.c.bad_msgs, 1);
	nfqueue_close(&q);
}
