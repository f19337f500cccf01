/* NFQUEUE netlink I/O: bind one queue, receive packets in batches, send verdicts in batches. */
#ifndef BLOCKD_NFQ_H
#define BLOCKD_NFQ_H

#include <stddef.h>
#include <stdint.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "base/counters.h"

/* One queued packet as the callback sees it. data points into the queue's buffer. */
struct nfqueue_packet {
	uint32_t id;
	uint16_t hw_protocol; /* ETH_P_IP / ETH_P_IPV6, host order */
	uint8_t hook;
	uint32_t mark;
	const uint8_t *data; /* the IP packet */
	size_t len;
	int truncated;     /* NFQA_CAP_LEN said the kernel copied less than the packet */
	uint32_t skb_info; /* NFQA_SKB_INFO flags (NFQA_SKB_*), 0 when the kernel sent none */
};

struct nfqueue {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t queue;
	uint32_t seq;
	uint8_t *rbuf; /* one received message */
	size_t rcap;
	uint8_t *vbuf; /* verdict messages waiting for nfqueue_flush() */
	size_t vlen, vcap;
	uint32_t last_id; /* highest packet id seen */
	/* the run of equal verdicts not yet written to vbuf */
	uint32_t run_last;
	int run_verdict;
	int run_setmark;
	uint32_t run_mark;
	unsigned run_n;
	struct nfqueue_packet
	    pkt; /* the one being handed over: not on the stack, which a frame guards */
	struct nfqueue_counters c;
};

/*
 * nfqueue_csum_unchecked(): 1 if the kernel neither checked the packet's
 * transport checksum nor leaves it to be filled in: NFQA_SKB_CSUM_NOTVERIFIED
 * without NFQA_SKB_CSUMNOTREADY (a partial sum, locally made or after receive
 * offload) or NFQA_SKB_GSO (a super-packet the header's sum does not cover).
 * With NFQA_CFG_F_GSO the kernel sends the flags whenever one is set, so none
 * means checked. Inline: asked of every TCP packet.
 */
static inline int
nfqueue_csum_unchecked(const struct nfqueue_packet *p)
{
	return (p->skb_info & NFQA_SKB_CSUM_NOTVERIFIED) &&
	    !(p->skb_info & (NFQA_SKB_CSUMNOTREADY | NFQA_SKB_GSO));
}

/*
 * nfqueue_open(): binds queue number queue and configures it: whole packets
 * (GSO super-packets kept whole), maxlen queued packets, the socket receive
 * buffer sized rcvbuf bytes, NETLINK_NO_ENOBUFS, and NFQA_CFG_F_FAIL_OPEN
 * when fail_open. Returns 0, or -1 with a message in err.
 */
int nfqueue_open(struct nfqueue *, uint16_t queue, unsigned maxlen, size_t rcvbuf, int fail_open,
    char *err, size_t errlen);
/*
 * nfqueue_open_detached(): a queue bound to nothing, for benches and tests
 * that hand it messages themselves (nfqueue_dispatch()): its verdicts are
 * batched as on a bound queue, and nfqueue_flush() drops them. Returns 0,
 * or -1 out of memory. Closed with nfqueue_close().
 */
int nfqueue_open_detached(struct nfqueue *, uint16_t queue);
/* nfqueue_close(): flushes pending verdicts, unbinds and frees. Safe on a zeroed or closed nfq. */
void nfqueue_close(struct nfqueue *);
int nfqueue_fd(const struct nfqueue *);

typedef void (*nfqueue_packet_fn)(void *arg, struct nfqueue *, const struct nfqueue_packet *);

/*
 * nfqueue_recv_batch(): reads up to max packet messages that are already waiting
 * (never blocks), calls fn for each, then sends every verdict fn gave with
 * one sendto(). fn must call nfqueue_verdict() exactly once per packet. Returns
 * the number of packets handled, or -1 on a socket error (counted).
 */
int nfqueue_recv_batch(struct nfqueue *, unsigned max, nfqueue_packet_fn fn, void *arg);

/*
 * nfqueue_dispatch(): the packet messages in buf (len bytes, as one recv()
 * returns them), each passed to fn as nfqueue_recv_batch() does, without
 * flushing the verdicts. Returns the number of packets handed to fn.
 */
unsigned nfqueue_dispatch(
    struct nfqueue *, const void *buf, size_t len, nfqueue_packet_fn fn, void *arg);

/* nfqueue_run_start(): nfqueue_verdict() of a verdict that does not extend the pending run. */
void nfqueue_run_start(struct nfqueue *, uint32_t id, int verdict, int setmark, uint32_t mark);

/*
 * nfqueue_verdict(): records the verdict (NF_ACCEPT, NF_DROP) for packet id,
 * setting the packet mark to mark when setmark. Consecutive packets with the
 * same verdict and mark become one NFQNL_MSG_VERDICT_BATCH message. Inline:
 * every packet's, and most extend the run.
 */
static inline void
nfqueue_verdict(struct nfqueue *q, uint32_t id, int verdict, int setmark, uint32_t mark)
{
	if (verdict == NF_DROP)
		counter_add(&q->c.dropped, 1);
	else
		counter_add(&q->c.accepted, 1);
	/*
	 * With no run pending (run_n 0), the last one's fields are left: to
	 * extend them is to start a run as nfqueue_run_start() would.
	 */
	if (q->run_verdict == verdict && q->run_setmark == setmark &&
	    (!setmark || q->run_mark == mark) && id > q->run_last) {
		q->run_last = id;
		q->run_n++;
		return;
	}
	nfqueue_run_start(q, id, verdict, setmark, mark);
}
/* nfqueue_flush(): sends the recorded verdicts. Returns 0, or -1 (counted). */
int nfqueue_flush(struct nfqueue *);

/* Kernel view of a queue, from /proc/net/netfilter/nfnetlink_queue. */
struct nfqueue_kstats {
	uint32_t queue;
	uint32_t portid;
	uint32_t total;        /* packets waiting now */
	uint32_t dropped;      /* queue full, fail-closed */
	uint32_t user_dropped; /* netlink delivery failed, fail-closed */
	uint32_t id_sequence;
};

/*
 * nfqueue_kstats_parse(): parses one line of that file. Returns 0, or -1 if the
 * line is not in the expected format. Pure.
 */
int nfqueue_kstats_parse(const char *line, struct nfqueue_kstats *);
/* nfqueue_kstats_read(): the stats of queue number queue. Returns 0, or -1 if not listed. */
int nfqueue_kstats_read(uint32_t queue, struct nfqueue_kstats *);

#endif
