/* nf_tables through netlink (libmnl, libnftnl): batched transactions, a named counter, tables by name. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "nfnl.h"

#define ANSWER_BUF   65536 /* one read of the kernel's answers */
#define WAIT_SECONDS 60    /* for an answer that is already queued when the write returns */

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* A netfilter netlink socket, close-on-exec, bound; the batch size decides the send buffer. */
static struct mnl_socket *
open_socket(size_t sndbuf, char *err, size_t errlen)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return NULL;
	}
	int one = 1;
	struct timeval tv = {WAIT_SECONDS, 0};
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sndbuf > 0) {
		/* A batch is one write: the kernel refuses one larger than the send buffer. */
		int sz = sndbuf > (size_t)INT32_MAX / 2 ? INT32_MAX / 2 : (int)sndbuf;
		if (setsockopt(
			mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) == -1)
			(void)setsockopt(
			    mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	return nl;
}

static int
reserve(struct nfnl_batch *b, size_t more)
{
	if (b->oom)
		return -1;
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 1 << 20;
	while (cap < b->len + more)
		cap *= 2;
	char *p = realloc(b->buf, cap);
	if (p == NULL) {
		b->oom = 1;
		return -1;
	}
	b->buf = p;
	b->cap = cap;
	return 0;
}

int
nfnl_batch_init(struct nfnl_batch *b)
{
	memset(b, 0, sizeof(*b));
	return nfnl_batch_reset(b);
}

struct nlmsghdr *
nfnl_batch_msg(struct nfnl_batch *b, uint16_t type, uint16_t family, uint16_t flags, size_t room,
    const char *what)
{
	if (reserve(b, MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg) + room) == -1)
		return NULL;
	if (b->nwhat == b->capwhat) {
		size_t cap = b->capwhat ? 2 * b->capwhat : 64;
		const char **w = realloc(b->what, cap * sizeof(*w));
		if (w == NULL) {
			b->oom = 1;
			return NULL;
		}
		b->what = w;
		b->capwhat = cap;
	}
	b->what[b->nwhat] = what;
	return nftnl_nlmsg_build_hdr(b->buf + b->len, type, family, flags, b->seq);
}

void
nfnl_batch_put(struct nfnl_batch *b, struct nlmsghdr *nlh)
{
	b->last = nlh;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->nwhat++;
	b->seq++;
}

int
nfnl_batch_reset(struct nfnl_batch *b)
{
	char *buf = b->buf;
	const char **what = b->what;
	size_t cap = b->cap, capwhat = b->capwhat, sndbuf = b->sndbuf;
	struct mnl_socket *nl = b->nl;

	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = cap;
	b->what = what;
	b->capwhat = capwhat;
	b->nl = nl;
	b->sndbuf = sndbuf;
	b->seq0 = b->seq = (uint32_t)time(NULL) << 8;
	if (reserve(b, MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg)) == -1)
		return -1;
	struct nlmsghdr *h = nftnl_batch_begin(b->buf, b->seq++);
	b->len += h->nlmsg_len;
	return 0;
}

void
nfnl_batch_free(struct nfnl_batch *b)
{
	free(b->buf);
	free(b->what);
	if (b->nl)
		mnl_socket_close(b->nl);
	memset(b, 0, sizeof(*b));
}

/* What the message with sequence number seq did, for an error. */
static const char *
what_of(const struct nfnl_batch *b, uint32_t seq)
{
	if (seq == b->seq0)
		return "commit";
	uint32_t i = seq - b->seq0 - 1;
	return i < b->nwhat && b->what[i] ? b->what[i] : "transaction";
}

/*
 * Reads answers until the message with sequence number want was
 * acknowledged (or, with want 0, until the kernel ends a dump), handing
 * other messages to cb. The first error ends it. Returns 0, or -1 with err.
 */
static int
answers(struct mnl_socket *nl, uint32_t want, struct nfnl_batch *b,
    int (*cb)(const struct nlmsghdr *, void *), void *arg, char *err, size_t errlen)
{
	char *buf = malloc(ANSWER_BUF);
	int done = 0, rc = 0;

	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Once the wanted answer came, what is already queued is read too: a late error wins. */
	while (rc == 0) {
		ssize_t n = recv(mnl_socket_get_fd(nl), buf, ANSWER_BUF, done ? MSG_DONTWAIT : 0);
		if (n == -1 && done && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			snprintf(err, errlen, "netlink: %s",
			    n == 0                ? "no answer"
				: errno == EAGAIN ? "no answer in time"
						  : strerror(errno));
			rc = -1;
			break;
		}
		int len = (int)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
				if (e->error != 0) {
					if (b)
						b->error = -e->error;
					snprintf(err, errlen, "%s: %s",
					    b ? what_of(b, e->msg.nlmsg_seq) : "netlink",
					    strerror(-e->error));
					rc = -1;
					break;
				}
				if (want && e->msg.nlmsg_seq == want)
					done = 1;
			} else if (h->nlmsg_type == NLMSG_DONE) {
				if (!want)
					done = 1;
			} else if (cb && cb(h, arg) == -1) {
				snprintf(err, errlen, "netlink: cannot read the kernel's answer");
				rc = -1;
				break;
			}
		}
		if (done && !b)
			break; /* a request's answer, not a batch: nothing more to wait for */
	}
	free(buf);
	return rc;
}

int
nfnl_batch_commit(struct nfnl_batch *b, char *err, size_t errlen)
{
	if (b->oom || reserve(b, MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg)) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (b->last == NULL)
		return 0; /* nothing to do */
	/* Only the last message asks for an acknowledgement: it comes once all is committed. */
	b->last->nlmsg_flags |= NLM_F_ACK;
	uint32_t want = b->last->nlmsg_seq;
	struct nlmsghdr *h = nftnl_batch_end(b->buf + b->len, b->seq);
	b->len += h->nlmsg_len;

	/* The socket stays for the batch's next transactions; its send buffer grows with them. */
	if (b->nl == NULL && (b->nl = open_socket(0, err, errlen)) == NULL)
		return -1;
	if (b->len + 65536 > b->sndbuf) {
		int sz =
		    b->len + 65536 > (size_t)INT32_MAX / 2 ? INT32_MAX / 2 : (int)(b->len + 65536);
		if (setsockopt(mnl_socket_get_fd(b->nl), SOL_SOCKET, SO_SNDBUFFORCE, &sz,
			sizeof(sz)) == -1)
			(void)setsockopt(
			    mnl_socket_get_fd(b->nl), SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		b->sndbuf = (size_t)sz;
	}
	int rc = 0;
	if (mnl_socket_sendto(b->nl, b->buf, b->len) == -1) {
		snprintf(err, errlen, "netlink: sending %zu bytes: %s", b->len, strerror(errno));
		rc = -1;
	} else {
		rc = answers(b->nl, want, b, NULL, NULL, err, errlen);
	}
	if (rc == -1) {
		/* Answers the failure left unread must not be taken for the next transaction's. */
		mnl_socket_close(b->nl);
		b->nl = NULL;
		b->sndbuf = 0;
	}
	return rc;
}

/* One request, not a batch: its answers handed to cb, until its ack or the dump's end. */
static int
request(char *msg, int dump, int (*cb)(const struct nlmsghdr *, void *), void *arg, char *err,
    size_t errlen)
{
	struct nlmsghdr *h = (struct nlmsghdr *)msg;
	struct mnl_socket *nl = open_socket(0, err, errlen);
	if (nl == NULL)
		return -1;
	int rc = 0;
	if (mnl_socket_sendto(nl, msg, h->nlmsg_len) == -1) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		rc = -1;
	} else {
		rc = answers(nl, dump ? 0 : h->nlmsg_seq, NULL, cb, arg, err, errlen);
	}
	mnl_socket_close(nl);
	return rc;
}

struct counter_ans {
	uint64_t pkts;
	int seen;
};

static int
counter_cb(const struct nlmsghdr *h, void *arg)
{
	struct counter_ans *a = arg;
	struct nftnl_obj *o = nftnl_obj_alloc();
	if (o == NULL)
		return -1;
	int rc = nftnl_obj_nlmsg_parse(h, o) < 0 ? -1 : 0;
	if (rc == 0 && nftnl_obj_is_set(o, NFTNL_OBJ_CTR_PKTS)) {
		a->pkts = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
		a->seen = 1;
	}
	nftnl_obj_free(o);
	return rc;
}

int
nfnl_counter_packets(const char *table, const char *name, uint64_t *pkts, char *err, size_t errlen)
{
	char msg[512];
	struct counter_ans a = {0, 0};
	struct nftnl_obj *o = nftnl_obj_alloc();

	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, table);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	struct nlmsghdr *h = nftnl_nlmsg_build_hdr(
	    msg, NFT_MSG_GETOBJ, NFPROTO_INET, NLM_F_ACK, (uint32_t)time(NULL));
	nftnl_obj_nlmsg_build_payload(h, o);
	nftnl_obj_free(o);
	if (request(msg, 0, counter_cb, &a, err, errlen) == -1)
		return -1;
	if (!a.seen) {
		snprintf(
		    err, errlen, "counter inet %s %s: no packet count in the answer", table, name);
		return -1;
	}
	*pkts = a.pkts;
	return 0;
}

int
nfnl_table_delete(const char *name, char *err, size_t errlen)
{
	struct nfnl_batch b;
	char e[256];
	struct nftnl_table *t = nftnl_table_alloc();

	if (t == NULL || nfnl_batch_init(&b) == -1) {
		nftnl_table_free(t);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	struct nlmsghdr *h =
	    nfnl_batch_msg(&b, NFT_MSG_DELTABLE, NFPROTO_INET, 0, 256, "delete table");
	if (h) {
		nftnl_table_nlmsg_build_payload(h, t);
		nfnl_batch_put(&b, h);
	}
	nftnl_table_free(t);
	int rc = nfnl_batch_commit(&b, e, sizeof(e));
	int gone = rc == -1 && b.error == ENOENT; /* there was no such table */
	nfnl_batch_free(&b);
	if (rc == -1 && !gone) {
		snprintf(err, errlen, "table inet %s: %s", name, e);
		return -1;
	}
	return 0;
}

struct tables_ans {
	char *out;
	size_t len, cap;
	int over;
};

static const char *
family_name(uint32_t f)
{
	switch (f) {
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_NETDEV:
		return "netdev";
	default:
		return "unknown";
	}
}

static int
tables_cb(const struct nlmsghdr *h, void *arg)
{
	struct tables_ans *a = arg;
	struct nftnl_table *t = nftnl_table_alloc();
	if (t == NULL)
		return -1;
	if (nftnl_table_nlmsg_parse(h, t) < 0) {
		nftnl_table_free(t);
		return -1;
	}
	int n = snprintf(a->out + a->len, a->cap - a->len, "table %s %s\n",
	    family_name(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY)),
	    nftnl_table_get_str(t, NFTNL_TABLE_NAME));
	if (n < 0 || (size_t)n >= a->cap - a->len)
		a->over = 1;
	else
		a->len += (size_t)n;
	nftnl_table_free(t);
	return 0;
}

int
nfnl_tables(char *out, size_t outlen, char *err, size_t errlen)
{
	char msg[256];
	struct tables_ans a = {out, 0, outlen, 0};

	if (outlen == 0) {
		snprintf(err, errlen, "no room for the tables");
		return -1;
	}
	out[0] = '\0';
	(void)nftnl_nlmsg_build_hdr(
	    msg, NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NLM_F_DUMP, (uint32_t)time(NULL));
	if (request(msg, 1, tables_cb, &a, err, errlen) == -1)
		return -1;
	if (a.over) {
		snprintf(err, errlen, "more tables than fit in %zu bytes", outlen);
		return -1;
	}
	return 0;
}
