/* Time DNS queries spend inside the appliance: arrival on one interface to departure, kernel-stamped. */
/*
 * Usage: dns_transit IN_IF OUT_IF SECONDS   (in the appliance's namespace, as root)
 *
 * A packet socket on each interface takes kernel receive and transmit
 * timestamps. A UDP query to port 53 arriving on IN_IF (from subscribers)
 * starts a clock, keyed by its source port and DNS ID; it stops when the
 * query leaves on OUT_IF (passed towards the resolver) or when an answer to
 * it leaves on IN_IF before that (blockd answered it: blocked). So the time
 * is what the queue, blockd and the kernel's forwarding added to that one
 * packet, without the client's or the resolver's scheduling. Prints one line:
 *   passed N blocked N unmatched N p50_us X p99_us Y p999_us Z max_us W
 * With --json FILE (how make bench calls every bench program) it does nothing:
 * the DNS bench runs it itself.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (1u << 22)

/* When a query with this (port, id) arrived; 0 when none is in flight. */
static uint64_t pending[65536][4];
static uint32_t pending_port[65536][4];

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
open_tap(const char *ifname)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	int on = 1, big = 16 << 20, fd;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0) {
		fprintf(stderr, "dns_transit: no interface %s\n", ifname);
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (fd == -1 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == -1) {
		perror("dns_transit: packet socket");
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	return fd;
}

/*
 * The UDP header of an IPv4 or IPv6 packet (no extension headers: the
 * bench sends none), or NULL. *end is where the packet ends.
 */
static const uint8_t *
udp_of(const uint8_t *p, size_t n, uint16_t proto)
{
	if (proto == ETH_P_IP && n >= 20 && (p[0] >> 4) == 4 && p[9] == IPPROTO_UDP) {
		size_t hl = (size_t)(p[0] & 15) * 4;
		if ((p[6] & 0x3f) != 0 || p[7] != 0) /* a fragment */
			return NULL;
		return n >= hl + 8 + 12 ? p + hl : NULL;
	}
	if (proto == ETH_P_IPV6 && n >= 40 + 8 + 12 && (p[0] >> 4) == 6 && p[6] == IPPROTO_UDP)
		return p + 40;
	return NULL;
}

struct samples {
	uint32_t *v;
	size_t n;
};

static void
add(struct samples *s, uint64_t ns)
{
	if (s->n < MAX_SAMPLES)
		s->v[s->n++] = (uint32_t)(ns / 1000 > UINT32_MAX ? UINT32_MAX : ns / 1000);
}

/* One DNS packet seen on either interface. */
struct ev {
	uint64_t t;
	uint16_t sport, dport, id;
	uint8_t inbound; /* on IN_IF */
	uint8_t out;     /* leaving the appliance */
};

#define EV_MAX 8192

/* Appends what is waiting on fd to ev (up to EV_MAX in all); inbound says which interface it is. */
static size_t
collect(int fd, int inbound, struct ev *ev, size_t n)
{
	uint8_t buf[2048];
	char cbuf[256];

	while (n < EV_MAX) {
		struct sockaddr_ll from;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr m = {.msg_name = &from,
		    .msg_namelen = sizeof(from),
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = cbuf,
		    .msg_controllen = sizeof(cbuf)};
		ssize_t r = recvmsg(fd, &m, 0);
		uint64_t t = 0;

		if (r <= 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
			}
		const uint8_t *u = udp_of(buf, (size_t)r, ntohs(from.sll_protocol));
		if (u == NULL || t == 0)
			continue;
		ev[n].t = t;
		ev[n].sport = (uint16_t)(u[0] << 8 | u[1]);
		ev[n].dport = (uint16_t)(u[2] << 8 | u[3]);
		ev[n].id = (uint16_t)(u[8] << 8 | u[9]);
		ev[n].inbound = (uint8_t)inbound;
		ev[n].out = from.sll_pkttype == PACKET_OUTGOING;
		if ((ev[n].dport == 53) != (ev[n].sport == 53))
			n++;
	}
	return n;
}

static int
cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t;
}

/*
 * One event, in time order: a query arriving on IN_IF starts its clock; the
 * same query leaving on OUT_IF (passed), or an answer to it leaving on IN_IF
 * first (answered by blockd), stops it.
 */
static void
account(const struct ev *e, struct samples *passed, struct samples *blocked)
{
	uint32_t port = e->dport == 53 ? e->sport : e->dport;
	uint64_t *slot = NULL;

	for (int k = 0; k < 4; k++)
		if (pending[e->id][k] && pending_port[e->id][k] == port)
			slot = &pending[e->id][k];
	if (e->inbound && !e->out && e->dport == 53) {
		for (int k = 0; k < 4 && slot == NULL; k++)
			if (!pending[e->id][k]) {
				slot = &pending[e->id][k];
				pending_port[e->id][k] = port;
			}
		if (slot)
			*slot = e->t;
	} else if (slot && e->out &&
	    ((!e->inbound && e->dport == 53) || (e->inbound && e->sport == 53))) {
		add(e->inbound ? blocked : passed, e->t > *slot ? e->t - *slot : 0);
		*slot = 0;
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--json") == 0)
		return 0;
	if (argc != 4 || strtod(argv[3], NULL) <= 0) {
		fprintf(stderr, "usage: dns_transit IN_IF OUT_IF SECONDS\n");
		return 2;
	}
	int in = open_tap(argv[1]), out = open_tap(argv[2]);
	struct samples passed = {calloc(MAX_SAMPLES, 4), 0}, blocked = {calloc(MAX_SAMPLES, 4), 0};
	uint32_t *all = calloc(2 * MAX_SAMPLES, 4);
	static struct ev ev[EV_MAX];

	if (in == -1 || out == -1 || passed.v == NULL || blocked.v == NULL || all == NULL)
		return 1;
	uint64_t end = now_ns() + (uint64_t)(strtod(argv[3], NULL) * 1e9);
	printf("ready\n");
	fflush(stdout);
	while (now_ns() < end) {
		struct pollfd pf[2] = {{in, POLLIN, 0}, {out, POLLIN, 0}};
		size_t n;

		if (poll(pf, 2, 100) <= 0)
			continue;
		n = collect(in, 1, ev, 0);
		n = collect(out, 0, ev, n);
		qsort(ev, n, sizeof(*ev), cmp_ev);
		for (size_t i = 0; i < n; i++)
			account(&ev[i], &passed, &blocked);
	}
	size_t unmatched = 0, n = 0;
	for (size_t i = 0; i < 65536; i++)
		for (int k = 0; k < 4; k++)
			unmatched += pending[i][k] != 0;
	memcpy(all, passed.v, passed.n * 4);
	memcpy(all + passed.n, blocked.v, blocked.n * 4);
	n = passed.n + blocked.n;
	qsort(all, n, 4, cmp_u32);
	printf("passed %zu blocked %zu unmatched %zu p50_us %u p99_us %u p999_us %u max_us %u\n",
	    passed.n, blocked.n, unmatched, n ? all[n / 2] : 0, n ? all[n * 99 / 100] : 0,
	    n ? all[n * 999 / 1000] : 0, n ? all[n - 1] : 0);
	free(passed.v);
	free(blocked.v);
	free(all);
	close(in);
	close(out);
	return 0;
}
