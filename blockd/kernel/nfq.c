/* NFQUEUE netlink I/O: bind one queue, receive packets in batches, send verdicts in batches. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfq.h"

#define NFQ_COPY_RANGE 0xffff
#define NFQ_VBUF       ((size_t)64 * 1024)
#define NFQ_VMSG_MAX   64 /* bytes one verdict message takes, rounded up */

/* Sends one config message and waits for the kernel's acknowledgement. */
static int
config_send(struct nfqueue *q, struct nlmsghdr *nlh, char *err, size_t errlen, const char *what)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++q->seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		snprintf(err, errlen, "queue %u: %s: %s", q->queue, what, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
		if (n < 0) {
			snprintf(err, errlen, "queue %u: %s: %s", q->queue, what, strerror(errno));
			return -1;
		}
		int rc = mnl_cb_run(buf, (size_t)n, q->seq, q->portid, NULL, NULL);
		if (rc == MNL_CB_ERROR) {
			snprintf(err, errlen, "queue %u: %s: %s%s", q->queue, what, strerror(errno),
			    errno == EBUSY ? " (another program is bound to this queue)" : "");
			return -1;
		}
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

int
nfqueue_open(struct nfqueue *q, uint16_t queue, unsigned maxlen, size_t rcvbuf, int fail_open,
    char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int one = 1;

	memset(q, 0, sizeof(*q));
	q->queue = queue;
	q->seq = (uint32_t)time(NULL);
	q->rcap = NFQ_COPY_RANGE + MNL_SOCKET_BUFFER_SIZE;
	q->vcap = NFQ_VBUF;
	q->rbuf = malloc(q->rcap);
	q->vbuf = malloc(q->vcap);
	if (q->rbuf == NULL || q->vbuf == NULL) {
		snprintf(err, errlen, "queue %u: out of memory", queue);
		goto fail;
	}
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (q->nl == NULL || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "queue %u: netlink socket: %s (blockd needs CAP_NET_ADMIN)",
		    queue, strerror(errno));
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (config_send(q, nlh, err, errlen, "bind") == -1)
		goto fail;

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, NFQ_COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen);
	uint32_t flags = NFQA_CFG_F_GSO | (fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	if (config_send(q, nlh, err, errlen, "configure") == -1)
		goto fail;

	int fd = mnl_socket_get_fd(q->nl);
	int sz = rcvbuf > (size_t)INT32_MAX ? INT32_MAX : (int)rcvbuf;
	/* FORCE passes rmem_max as root; fall back to the capped option. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	/* Overruns are seen as gaps in packet ids, not as a failing recv(). */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one)) == -1) {
		snprintf(err, errlen, "queue %u: NETLINK_NO_ENOBUFS: %s", queue, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	nfqueue_close(q);
	return -1;
}

void
nfqueue_close(struct nfqueue *q)
{
	if (q->nl) {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		nfqueue_flush(q);
		struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->queue);
		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
		(void)mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
		mnl_socket_close(q->nl);
		q->nl = NULL;
	}
	free(q->rbuf);
	free(q->vbuf);
	q->rbuf = q->vbuf = NULL;
}

int
nfqueue_open_detached(struct nfqueue *q, uint16_t queue)
{
	memset(q, 0, sizeof(*q));
	q->queue = queue;
	q->vcap = NFQ_VBUF;
	q->vbuf = malloc(q->vcap);
	return q->vbuf == NULL ? -1 : 0;
}

int
nfqueue_fd(const struct nfqueue *q)
{
	return mnl_socket_get_fd(q->nl);
}

/* One netlink attribute at a: header and value, padded; returns the bytes it takes. */
static size_t
put_attr(uint8_t *a, uint16_t type, const void *v, size_t len)
{
	struct nlattr h = {(uint16_t)(NLA_HDRLEN + len), type};

	memcpy(a, &h, sizeof(h));
	memcpy(a + NLA_HDRLEN, v, len);
	memset(a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	return NLA_HDRLEN + NLA_ALIGN(len);
}

/* Writes the pending run of equal verdicts into vbuf as one message. */
static void
run_emit(struct nfqueue *q)
{
	if (q->run_n == 0)
		return;
	if (q->vbuf == NULL) {
		q->run_n = 0; /* closed, or never opened: nowhere to write */
		return;
	}
	if (q->vlen + NFQ_VMSG_MAX > q->vcap)
		nfqueue_flush(q);
	/* A batch verdict covers every queued id up to run_last; all earlier ids already have theirs. */
	int type = q->run_n > 1 ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT;
	/*
	 * The message as nfq_nlmsg_put(), nfq_nlmsg_verdict_put() and
	 * nfq_nlmsg_verdict_put_mark() write it, written here in one go.
	 */
	uint8_t *m = q->vbuf + q->vlen;
	struct nlmsghdr nlh = {0};
	struct nfgenmsg g = {AF_UNSPEC, NFNETLINK_V0, htons(q->queue)};
	struct nfqnl_msg_verdict_hdr vh = {htonl((uint32_t)q->run_verdict), htonl(q->run_last)};
	size_t off = NLMSG_HDRLEN;
	memcpy(m + off, &g, sizeof(g));
	off += NLMSG_ALIGN(sizeof(g));
	off += put_attr(m + off, NFQA_VERDICT_HDR, &vh, sizeof(vh));
	if (q->run_setmark) {
		uint32_t mark = htonl(q->run_mark);
		off += put_attr(m + off, NFQA_MARK, &mark, sizeof(mark));
	}
	nlh.nlmsg_len = (uint32_t)off;
	nlh.nlmsg_type = (uint16_t)(NFNL_SUBSYS_QUEUE << 8 | type);
	nlh.nlmsg_flags = NLM_F_REQUEST;
	memcpy(m, &nlh, sizeof(nlh));
	q->vlen += NLMSG_ALIGN(off);
	counter_add(&q->c.verdict_msgs, 1);
	q->run_n = 0;
}

/* The pending run written out, and a new one begun with this verdict (nfqueue_verdict()). */
void
nfqueue_run_start(struct nfqueue *q, uint32_t id, int verdict, int setmark, uint32_t mark)
{
	run_emit(q);
	q->run_last = id;
	q->run_verdict = verdict;
	q->run_setmark = setmark;
	q->run_mark = mark;
	q->run_n = 1;
}

int
nfqueue_flush(struct nfqueue *q)
{
	if (q->run_n && q->vlen + NFQ_VMSG_MAX <= q->vcap)
		run_emit(q);
	if (q->vlen == 0)
		return 0;
	if (q->nl == NULL) {
		q->vlen = 0; /* nfqueue_open_detached(): nowhere to send them */
		return 0;
	}
	ssize_t n = mnl_socket_sendto(q->nl, q->vbuf, q->vlen);
	counter_add(&q->c.sends, 1);
	q->vlen = 0;
	if (n < 0) {
		counter_add(&q->c.send_errors, 1);
		return -1;
	}
	return 0;
}

/* A u32 attribute's value (vlen bytes at v) in host order, if it has four bytes. */
static int
attr_u32(const uint8_t *v, size_t vlen, uint32_t *v32)
{
	if (vlen < 4)
		return -1;
	uint32_t x;
	memcpy(&x, v, 4);
	*v32 = ntohl(x);
	return 0;
}

/* Whether the attribute header at a says type, with len value bytes. */
static inline int
attr_is(const uint8_t *a, uint16_t type, size_t len)
{
	struct nlattr h, want = {(uint16_t)(NLA_HDRLEN + len), type};

	memcpy(&h, a, sizeof(h));
	return memcmp(&h, &want, sizeof(h)) == 0;
}

/* The attributes packet_read() looks at: a bit each, so the others cost one test. */
#define WANTED_ATTRS                                                                         \
	(1u << NFQA_PACKET_HDR | 1u << NFQA_MARK | 1u << NFQA_PAYLOAD | 1u << NFQA_CAP_LEN | \
	    1u << NFQA_SKB_INFO)
_Static_assert(NFQA_SKB_INFO < 32 && NFQA_CAP_LEN < 32, "wanted attributes fit a mask");
_Static_assert((NLMSG_ERROR & 0xff) != NFQNL_MSG_PACKET && (NLMSG_DONE & 0xff) != NFQNL_MSG_PACKET,
    "acks are told from packets by their low byte");

/*
 * The attributes from off on, in any order, into p: the walk. Each length
 * is checked against the message, and only those blockd reads are looked
 * at (what nfq_nlmsg_parse() would validate of the others is never used).
 * have_hdr: NFQA_PACKET_HDR read already. Returns 0, or -1 if the message
 * lacks what we need. Apart: the kernel's own layout never needs it.
 */
static __attribute__((noinline)) int
attrs_walk(const uint8_t *m, size_t off, size_t mlen, struct nfqueue_packet *p, int have_hdr)
{
	struct nfqnl_msg_packet_hdr ph;
	struct nlattr h;
	uint32_t cap = 0;

	p->data = NULL;
	p->len = 0;
	while (off + NLA_HDRLEN <= mlen) {
		memcpy(&h, m + off, sizeof(h));
		size_t alen = h.nla_len;
		unsigned type = h.nla_type & NLA_TYPE_MASK;
		const uint8_t *v = m + off + NLA_HDRLEN;
		/* Below NLA_HDRLEN wraps: one test for too short and too long. */
		if (alen - NLA_HDRLEN > mlen - off - NLA_HDRLEN)
			return -1;
		off += NLA_ALIGN(alen);
		if (type >= 32 || !(WANTED_ATTRS >> type & 1))
			continue;
		size_t vlen = alen - NLA_HDRLEN;
		switch (type) {
		case NFQA_PACKET_HDR:
			if (vlen < sizeof(ph))
				return -1;
			memcpy(&ph, v, sizeof(ph));
			p->id = ntohl(ph.packet_id);
			p->hw_protocol = ntohs(ph.hw_protocol);
			p->hook = ph.hook;
			have_hdr = 1;
			break;
		case NFQA_MARK:
			(void)attr_u32(v, vlen, &p->mark);
			break;
		case NFQA_PAYLOAD:
			p->data = v;
			p->len = vlen;
			break;
		case NFQA_CAP_LEN:
			(void)attr_u32(v, vlen, &cap);
			break;
		case NFQA_SKB_INFO:
			(void)attr_u32(v, vlen, &p->skb_info);
			break;
		default:
			break;
		}
	}
	if (!have_hdr)
		return -1;
	if (cap > p->len)
		p->truncated = 1;
	return 0;
}

/*
 * Turns one packet message into an nfqueue_packet; returns 0, or -1 if it
 * lacks what we need.
 */
static inline __attribute__((always_inline)) int
packet_read(const struct nlmsghdr *nlh, struct nfqueue_packet *p)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	const uint8_t *m = (const uint8_t *)nlh;
	size_t mlen = nlh->nlmsg_len; /* read once: the stores into p may alias it */
	int have_hdr = 0;

	/* What no attribute may set; the rest is set when read (data and len by the walk). */
	p->mark = 0;
	p->truncated = 0;
	p->skb_info = 0;
	/*
	 * The attributes as the kernel orders them (nfqnl_build_packet_message()):
	 * the header, the devices, the mark, the hardware address, ... the
	 * payload last. Those of a fixed size are taken in that order, each
	 * with one compare of its attribute header, and the walk takes the rest
	 * from the first that differs (any layout: it reads any order).
	 */
	struct nfqnl_msg_packet_hdr ph;
	struct nlattr h;
	/* The most the sequence reads: each of its attributes, and the payload's header. */
	enum { U32_ATTR = NLA_HDRLEN + 4 };
	const size_t seq_max = NLA_ALIGN(NLA_HDRLEN + sizeof(ph)) + U32_ATTR + U32_ATTR + U32_ATTR +
	    NLA_HDRLEN + sizeof(struct nfqnl_msg_packet_hw) + NLA_HDRLEN;
	if (off + seq_max <= mlen) { /* so no step of it reads past the message */
		if (attr_is(m + off, NFQA_PACKET_HDR, sizeof(ph))) {
			memcpy(&ph, m + off + NLA_HDRLEN, sizeof(ph));
			p->id = ntohl(ph.packet_id);
			p->hw_protocol = ntohs(ph.hw_protocol);
			p->hook = ph.hook;
			have_hdr = 1;
			off += NLA_ALIGN(NLA_HDRLEN + sizeof(ph));
		}
		if (attr_is(m + off, NFQA_IFINDEX_INDEV, 4))
			off += NLA_HDRLEN + 4;
		if (attr_is(m + off, NFQA_IFINDEX_OUTDEV, 4))
			off += NLA_HDRLEN + 4;
		if (attr_is(m + off, NFQA_MARK, 4)) {
			(void)attr_u32(m + off + NLA_HDRLEN, 4, &p->mark);
			off += NLA_HDRLEN + 4;
		}
		if (attr_is(m + off, NFQA_HWADDR, sizeof(struct nfqnl_msg_packet_hw)))
			off += NLA_HDRLEN + sizeof(struct nfqnl_msg_packet_hw);
		/* The payload, if it comes next with less than an attribute after it: the end. */
		memcpy(&h, m + off, sizeof(h));
		if (h.nla_type == NFQA_PAYLOAD && h.nla_len >= NLA_HDRLEN &&
		    mlen - off - h.nla_len < NLA_HDRLEN) {
			p->data = m + off + NLA_HDRLEN;
			p->len = (size_t)h.nla_len - NLA_HDRLEN;
			return have_hdr ? 0 : -1;
		}
	}
	return attrs_walk(m, off, mlen, p, have_hdr);
}

unsigned
nfqueue_dispatch(struct nfqueue *q, const void *buf, size_t len, nfqueue_packet_fn fn, void *arg)
{
	const uint8_t *m = buf;
	size_t rest = len; /* the bytes from m on */
	unsigned done = 0;
	struct nfqueue_packet *p = &q->pkt;

	/*
	 * mnl_nlmsg_ok() and mnl_nlmsg_next() as a cursor and what is left,
	 * without a library call a message, and with no more values kept
	 * across fn than registers keep.
	 */
	while (rest >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)m;
		size_t mlen = nlh->nlmsg_len;
		if (mlen < sizeof(struct nlmsghdr) || mlen > rest)
			break;
		size_t step = NLMSG_ALIGN(mlen) < rest ? NLMSG_ALIGN(mlen) : rest;
		m += step;
		rest -= step;
		/* A packet first: NLMSG_ERROR and NLMSG_DONE are not NFQNL_MSG_PACKET either. */
		if ((nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET) {
			if (nlh->nlmsg_type != NLMSG_ERROR && nlh->nlmsg_type != NLMSG_DONE)
				counter_add(&q->c.bad_msgs, 1);
			continue; /* else acks of our own messages */
		}
		if (packet_read(nlh, p) == -1) {
			/* No id: the kernel's fail policy is all that can apply. */
			counter_add(&q->c.bad_msgs, 1);
			continue;
		}
		/* Ids are consecutive: a gap counts as missed (wrapping as ever). */
		uint32_t last = q->last_id, gap = p->id - last - 1;
		if (p->id > last) {
			q->last_id = p->id;
			if (gap && last)
				counter_add(&q->c.missed, gap);
		} else if (last == UINT32_MAX && p->id) {
			counter_add(&q->c.missed, gap);
		}
		fn(arg, q, p);
		done++;
	}
	counter_add(&q->c.received, done); /* every packet handed over, counted once a receive */
	return done;
}

int
nfqueue_recv_batch(struct nfqueue *q, unsigned max, nfqueue_packet_fn fn, void *arg)
{
	int fd = mnl_socket_get_fd(q->nl);
	unsigned done = 0;
	int rc = 0;

	while (done < max) {
		ssize_t n = recv(fd, q->rbuf, q->rcap, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			if (errno == ENOBUFS) {
				counter_add(&q->c.enobufs, 1);
				continue;
			}
			counter_add(&q->c.recv_errors, 1);
			rc = -1;
			break;
		}
		done += nfqueue_dispatch(q, q->rbuf, (size_t)n, fn, arg);
	}
	if (nfqueue_flush(q) == -1)
		rc = -1;
	return rc == -1 ? -1 : (int)done;
}

int
nfqueue_kstats_parse(const char *line, struct nfqueue_kstats *s)
{
	/* queue portid total copy_mode copy_range dropped user_dropped id_sequence 1 */
	unsigned long v[9];
	const char *p = line;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 9; i++) {
		char *end;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		v[i] = strtoul(p, &end, 10);
		if (errno || v[i] > UINT32_MAX)
			return -1;
		p = end;
	}
	s->queue = (uint32_t)v[0];
	s->portid = (uint32_t)v[1];
	s->total = (uint32_t)v[2];
	s->dropped = (uint32_t)v[5];
	s->user_dropped = (uint32_t)v[6];
	s->id_sequence = (uint32_t)v[7];
	return 0;
}

int
nfqueue_kstats_read(uint32_t queue, struct nfqueue_kstats *s)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	char line[256];
	int rc = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (nfqueue_kstats_parse(line, s) == 0 && s->queue == queue) {
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}
