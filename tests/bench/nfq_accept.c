/* The NFQUEUE floor: accepts every queued packet, configured and batched as blockd's queues are. */
/*
 * Usage: nfq_accept [-q FIRST] [-n COUNT] [-m MAXLEN] [-r RCVBUF_MB] [-c]
 * Binds queues FIRST..FIRST+COUNT-1 (one thread each) with whole-packet copies,
 * NFQA_CFG_F_GSO, MAXLEN queued packets, the given receive buffer,
 * NETLINK_NO_ENOBUFS and, unless -c (fail closed), NFQA_CFG_F_FAIL_OPEN. Reads up
 * to 64 packets per wakeup and answers them with one NFQNL_MSG_VERDICT_BATCH,
 * as blockd does. Runs until SIGTERM/SIGINT; prints the packets accepted.
 * With --json FILE (how make bench calls every bench program) it does nothing:
 * the DNS bench starts it itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define COPY_RANGE 0xffff
#define BATCH      64

struct floorq {
	pthread_t thread;
	uint16_t num;
	struct mnl_socket *nl;
	uint8_t *rbuf;
	size_t rcap;
	uint64_t accepted;
};

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Sends one config message and reads the kernel's acknowledgement; exits on failure. */
static void
config_send(struct floorq *q, struct nlmsghdr *nlh, const char *what)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t portid = mnl_socket_get_portid(q->nl);

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		fprintf(stderr, "nfq_accept: queue %u: %s: %s\n", q->num, what, strerror(errno));
		exit(1);
	}
	ssize_t n = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL) < 0) {
		fprintf(stderr, "nfq_accept: queue %u: %s: %s\n", q->num, what, strerror(errno));
		exit(1);
	}
}

static void
queue_open(struct floorq *q, unsigned maxlen, int rcvbuf, int fail_open)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int one = 1;

	q->rcap = COPY_RANGE + MNL_SOCKET_BUFFER_SIZE;
	q->rbuf = malloc(q->rcap);
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (q->rbuf == NULL || q->nl == NULL || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(
		    stderr, "nfq_accept: queue %u: netlink socket: %s\n", q->num, strerror(errno));
		exit(1);
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	config_send(q, nlh, "bind");

	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen);
	uint32_t flags = NFQA_CFG_F_GSO | (fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
	config_send(q, nlh, "configure");

	int fd = mnl_socket_get_fd(q->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
}

/* One batch verdict (or a single one) accepting every queued id up to last. */
static void
accept_upto(struct floorq *q, uint32_t last, unsigned n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh =
	    nfq_nlmsg_put(buf, n > 1 ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT, q->num);
	nfq_nlmsg_verdict_put(nlh, (int)last, NF_ACCEPT);
	(void)mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
	q->accepted += n;
}

static void *
queue_main(void *arg)
{
	struct floorq *q = arg;
	int fd = mnl_socket_get_fd(q->nl);
	struct pollfd pf = {fd, POLLIN, 0};

	while (!stopping) {
		if (poll(&pf, 1, 200) <= 0)
			continue;
		unsigned done = 0;
		uint32_t last = 0;
		while (done < BATCH) {
			ssize_t n = recv(fd, q->rbuf, q->rcap, MSG_DONTWAIT);
			if (n < 0) {
				if (errno == ENOBUFS)
					continue;
				break;
			}
			const struct nlmsghdr *nlh = (const struct nlmsghdr *)q->rbuf;
			int len = (int)n;
			for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
				struct nlattr *attr[NFQA_MAX + 1] = {0};
				if ((nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET ||
				    nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL)
					continue;
				const struct nfqnl_msg_packet_hdr *ph =
				    mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
				uint32_t id = ntohl(ph->packet_id);
				if (id > last)
					last = id;
				done++;
			}
		}
		if (done)
			accept_upto(q, last, done);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	unsigned first = 4200, count = 2, maxlen = 8192, rcvbuf_mb = 16;
	int fail_open = 1, c;

	if (argc >= 2 && strcmp(argv[1], "--json") == 0)
		return 0;
	while ((c = getopt(argc, argv, "q:n:m:r:c")) != -1) {
		switch (c) {
		case 'q':
			first = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			count = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			maxlen = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rcvbuf_mb = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			fail_open = 0;
			break;
		default:
			fprintf(stderr,
			    "usage: nfq_accept [-q FIRST] [-n COUNT] [-m MAXLEN] "
			    "[-r RCVBUF_MB] [-c]\n");
			return 2;
		}
	}
	if (count == 0 || count > 64 || first + count > 65536 || rcvbuf_mb == 0 ||
	    rcvbuf_mb > 1024) {
		fprintf(stderr, "nfq_accept: queues %u..%u or rcvbuf %u MB out of range\n", first,
		    first + count - 1, rcvbuf_mb);
		return 2;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct floorq *qs = calloc(count, sizeof(*qs));
	if (qs == NULL)
		return 1;
	for (unsigned i = 0; i < count; i++) {
		qs[i].num = (uint16_t)(first + i);
		queue_open(&qs[i], maxlen, (int)(rcvbuf_mb << 20), fail_open);
	}
	for (unsigned i = 0; i < count; i++)
		if (pthread_create(&qs[i].thread, NULL, queue_main, &qs[i]) != 0) {
			fprintf(stderr, "nfq_accept: cannot start a thread\n");
			return 1;
		}
	printf("nfq_accept: queues %u-%u ready\n", first, first + count - 1);
	fflush(stdout);
	uint64_t total = 0;
	for (unsigned i = 0; i < count; i++) {
		pthread_join(qs[i].thread, NULL);
		total += qs[i].accepted;
		mnl_socket_close(qs[i].nl);
		free(qs[i].rbuf);
	}
	printf("nfq_accept: %llu packets accepted\n", (unsigned long long)total);
	free(qs);
	return 0;
}
