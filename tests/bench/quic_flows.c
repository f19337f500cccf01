/* New QUIC flows per second: many fresh UDP flows, each one protected client Initial (QUIC v1), and their server. */
/*
 * Usage: quic_flows ADDR PORT SECONDS PAIRS ALLOWED BLOCKED [-o OFFSET] [SRC...]
 *        quic_flows -l PORT
 *        quic_flows --check
 * The client keeps PAIRS pairs of new flows in flight to ADDR:PORT for
 * SECONDS. A pair is two UDP flows, each from a source port of its own and
 * carrying one 1200-byte QUIC v1 client Initial (RFC 9000, protected as
 * RFC 9001 says, by blockd's own quic_seal_initial()) with a connection ID
 * of its own: first one naming BLOCKED, then one naming ALLOWED. The pair
 * is done when the server answers the allowed one; the blocked one, which
 * blockd drops, is then looked at once: an answer there counts as leaked
 * (what the floor and no queue give, never blockd). Each pair counts as two
 * flows, so with blockd on the path the figure is Initials judged per
 * second, half of them blocked. No answer within 2 s: failed.
 * The packets are built before the clock starts (POOL of each name, each
 * with its own random connection ID and ClientHello random), so that the
 * generator spends its time on the sockets alone. Source ports run
 * 1024..65535 from OFFSET on (then over each SRC address in turn, when
 * given), so that a run reuses no flow that conntrack may still hold.
 * Prints "flows N seconds S per_second R answered A leaked L failed F
 * cpu_s C" (C: the client's own CPU time, user and system).
 * --check: the RFC 9001 Appendix A client keys and packet, reproduced
 * before any run (also at every client start), and a built Initial read
 * back by blockd's parser.
 * The server (-l) answers each datagram on PORT (IPv4 and IPv6) with one
 * byte, in batches: cheap, so that the appliance in between is what limits
 * the rate.
 * With --json FILE (how make bench calls every bench program) it does
 * nothing: tests/bench/b_flows.sh starts it itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wire/probemsg.h"
#include "wire/quic.h"

#define PKT_LEN  1200
#define POOL     8192
#define MAXPAIRS 2048
#define TIMEOUT  2.0
#define PORT_LO  1024
#define NPORTS   (65536 - PORT_LO)
#define MAXSRC   64

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
unhex(const char *s, uint8_t *out)
{
	for (size_t i = 0; s[2 * i]; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static size_t
read_file(const char *path, uint8_t *out, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(out, 1, cap, f);
	fclose(f);
	return n;
}

/*
 * RFC 9001 Appendix A: the client keys of DCID 8394c8f03e515708 (A.1), and
 * its client Initial (A.2) sealed from the RFC's CRYPTO frame byte for byte
 * (tests/data/quic, as the unit tests use them); then one Initial built as
 * the run builds them, read back by blockd's parser. 0, or -1 said on stderr.
 */
static int
check(struct quic_ctx *q)
{
	static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
	uint8_t want[PKT_LEN], pkt[PKT_LEN] = {0}, hs[1100], rnd[96] = {1};
	struct quic_keys k;
	struct quic_info qi;
	uint8_t key[16], iv[12], hp[16];

	unhex("1f369613dd76d5467730efcbe3b1a22d", key);
	unhex("fa044b2f42a3fd3b46fb255c", iv);
	unhex("9f50449e04a0e810283a1e9933adedd2", hp);
	if (quic_initial_keys(q, QUIC_V1, dcid, sizeof(dcid), &k) == -1 ||
	    memcmp(k.key, key, 16) != 0 || memcmp(k.iv, iv, 12) != 0 || memcmp(k.hp, hp, 16) != 0) {
		fprintf(stderr, "quic_flows: RFC 9001 A.1 client keys differ\n");
		return -1;
	}
	unhex("c300000001088394c8f03e5157080000449e00000002", pkt);
	if (read_file("tests/data/quic/rfc9001-client-initial.bin", want, sizeof(want)) !=
		PKT_LEN ||
	    read_file("tests/data/quic/rfc9001-client-crypto-frame.bin", pkt + 22,
		sizeof(pkt) - 22) == 0) {
		fprintf(stderr,
		    "quic_flows: tests/data/quic/rfc9001-*.bin missing (run from the "
		    "source tree)\n");
		return -1;
	}
	if (quic_seal_initial(q, QUIC_V1, pkt, 18, 4, 2, PKT_LEN) == -1 ||
	    memcmp(pkt, want, PKT_LEN) != 0) {
		fprintf(stderr, "quic_flows: RFC 9001 A.2 client Initial not reproduced\n");
		return -1;
	}
	size_t hl = probemsg_hello(hs, sizeof(hs), "check.example", rnd, 1);
	if (hl == 0 || probemsg_quic_initial(q, pkt, sizeof(pkt), dcid, hs, hl) != PKT_LEN ||
	    quic_parse_datagram(q, pkt, PKT_LEN, NULL, &qi) != QUIC_SNI ||
	    qi.hello.sni_len != strlen("check.example") ||
	    memcmp(qi.hello.sni, "check.example", qi.hello.sni_len) != 0) {
		fprintf(
		    stderr, "quic_flows: a built Initial does not read back as check.example\n");
		return -1;
	}
	return 0;
}

static uint64_t
rnd64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* POOL Initials naming name, each with a connection ID and ClientHello random of its own. */
static int
build_pool(struct quic_ctx *q, uint8_t *pool, const char *name, uint64_t *seed)
{
	uint8_t hs[1100], random[96], dcid[8];

	for (size_t i = 0; i < POOL; i++) {
		for (size_t j = 0; j < sizeof(random); j += 8) {
			uint64_t v = rnd64(seed);
			memcpy(random + j, &v, 8);
		}
		uint64_t v = rnd64(seed);
		memcpy(dcid, &v, 8);
		size_t hl = probemsg_hello(hs, sizeof(hs), name, random, 1);
		if (hl == 0 ||
		    probemsg_quic_initial(q, pool + i * PKT_LEN, PKT_LEN, dcid, hs, hl) != PKT_LEN)
			return -1;
	}
	return 0;
}

static int
server(const char *port)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), off = 0, big = 8 << 20;
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(port))};

	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (fd == -1 || bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		perror(port);
		return 1;
	}
	printf("listening on udp %s\n", port);
	fflush(stdout);
	enum { B = 64 };
	static uint8_t bufs[B][PKT_LEN + 64];
	static struct sockaddr_in6 from[B];
	static struct iovec iov[B], one[B];
	static struct mmsghdr in[B], out[B];
	for (;;) {
		for (int i = 0; i < B; i++) {
			iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
			in[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
			    .msg_namelen = sizeof(from[i]),
			    .msg_iov = &iov[i],
			    .msg_iovlen = 1};
		}
		int n = recvmmsg(fd, in, B, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			one[i] = (struct iovec){(void *)"x", 1};
			out[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
			    .msg_namelen = in[i].msg_hdr.msg_namelen,
			    .msg_iov = &one[i],
			    .msg_iovlen = 1};
		}
		(void)sendmmsg(fd, out, (unsigned)n, 0);
	}
}

/* Where the flows come from: the next source port, over each source address in turn. */
struct src {
	struct sockaddr_storage addr[MAXSRC];
	int naddr;
	uint64_t next; /* flows started: port PORT_LO + next % NPORTS of address next / NPORTS */
	unsigned long busy;
};

struct pair {
	int fa, fb; /* allowed, blocked */
	double start;
};

/* A fresh UDP flow to sa carrying pkt: a socket of its own from the next free source port. */
static int
flow(struct src *s, const struct sockaddr_storage *sa, socklen_t salen, const uint8_t *pkt)
{
	for (int tries = 0; tries < 64; tries++) {
		uint64_t k = s->next++;
		int fd = socket(sa->ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		struct sockaddr_storage b;
		uint16_t port = htons((uint16_t)(PORT_LO + k % NPORTS));
		socklen_t blen;
		if (fd == -1)
			return -1;
		memset(&b, 0, sizeof(b));
		if (s->naddr)
			b = s->addr[(k / NPORTS) % (uint64_t)s->naddr];
		b.ss_family = sa->ss_family;
		if (sa->ss_family == AF_INET) {
			((struct sockaddr_in *)&b)->sin_port = port;
			blen = sizeof(struct sockaddr_in);
		} else {
			((struct sockaddr_in6 *)&b)->sin6_port = port;
			blen = sizeof(struct sockaddr_in6);
		}
		if (bind(fd, (struct sockaddr *)&b, blen) == -1) {
			close(fd);
			s->busy++;
			continue;
		}
		if (connect(fd, (const struct sockaddr *)sa, salen) == -1 ||
		    send(fd, pkt, PKT_LEN, 0) != PKT_LEN) {
			close(fd);
			return -1;
		}
		return fd;
	}
	return -1;
}

static int
start(int ep, struct pair *p, struct src *s, const struct sockaddr_storage *sa, socklen_t salen,
    const uint8_t *allowed, const uint8_t *blocked)
{
	p->start = now();
	p->fb = flow(s, sa, salen, blocked);
	p->fa = p->fb == -1 ? -1 : flow(s, sa, salen, allowed);
	if (p->fa == -1) {
		if (p->fb != -1)
			close(p->fb);
		p->fb = -1;
		return -1;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
	epoll_ctl(ep, EPOLL_CTL_ADD, p->fa, &ev);
	return 0;
}

static void
finish(struct pair *p)
{
	if (p->fa != -1)
		close(p->fa); /* also leaves the epoll set */
	if (p->fb != -1)
		close(p->fb);
	p->fa = p->fb = -1;
}

static int
parse_addr(const char *s, uint16_t port, struct sockaddr_storage *sa, socklen_t *salen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*salen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*salen = sizeof(*s6);
		return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--json") == 0)
		return 0;
	if (argc == 3 && strcmp(argv[1], "-l") == 0)
		return server(argv[2]);
	struct quic_ctx *q = quic_ctx_create();
	if (q == NULL) {
		fprintf(stderr, "quic_flows: no QUIC context (OpenSSL)\n");
		return 1;
	}
	if (check(q) == -1)
		return 1;
	if (argc == 2 && strcmp(argv[1], "--check") == 0) {
		printf("quic_flows: RFC 9001 A.1 keys and A.2 Initial reproduced, a built Initial "
		       "reads back\n");
		return 0;
	}
	if (argc < 7) {
		fprintf(stderr,
		    "usage: quic_flows ADDR PORT SECONDS PAIRS ALLOWED BLOCKED [-o "
		    "OFFSET] [SRC...]\n"
		    "       quic_flows -l PORT\n"
		    "       quic_flows --check\n");
		return 2;
	}
	struct sockaddr_storage sa;
	socklen_t salen, dummy;
	if (parse_addr(argv[1], (uint16_t)atoi(argv[2]), &sa, &salen) == -1) {
		fprintf(stderr, "quic_flows: %s: not an address\n", argv[1]);
		return 2;
	}
	double secs = atof(argv[3]);
	int npairs = atoi(argv[4]);
	if (npairs < 1 || npairs > MAXPAIRS) {
		fprintf(stderr, "quic_flows: 1..%d pairs at a time\n", MAXPAIRS);
		return 2;
	}
	static struct src s;
	for (int i = 7; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
			s.next = strtoull(argv[++i], NULL, 10);
			continue;
		}
		if (s.naddr == MAXSRC || parse_addr(argv[i], 0, &s.addr[s.naddr], &dummy) == -1 ||
		    s.addr[s.naddr].ss_family != sa.ss_family) {
			fprintf(stderr, "quic_flows: %s: not a source address of ADDR's family\n",
			    argv[i]);
			return 2;
		}
		s.naddr++;
	}
	uint8_t *allowed = malloc((size_t)POOL * PKT_LEN),
		*blocked = malloc((size_t)POOL * PKT_LEN);
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u | 1;
	if (allowed == NULL || blocked == NULL || build_pool(q, allowed, argv[5], &seed) == -1 ||
	    build_pool(q, blocked, argv[6], &seed) == -1) {
		fprintf(stderr, "quic_flows: cannot build the Initials\n");
		return 1;
	}
	quic_ctx_destroy(q);

	static struct pair ps[MAXPAIRS];
	unsigned long pairs = 0, leaked = 0, failed = 0, seq = 0;
	int ep = epoll_create1(0);
	double t0 = now(), end = t0 + secs;
	struct rusage ru0;
	getrusage(RUSAGE_SELF, &ru0);
#define NEXT_PKTS allowed + (seq % POOL) * PKT_LEN, blocked + (seq % POOL) * PKT_LEN
	for (int i = 0; i < npairs; i++, seq++)
		if (start(ep, &ps[i], &s, &sa, salen, NEXT_PKTS) == -1)
			failed++;
	while (now() < end) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 50);
		for (int i = 0; i < n; i++) {
			struct pair *p = evs[i].data.ptr;
			char buf[64];
			if (p->fa == -1 || recv(p->fa, buf, sizeof(buf), 0) <= 0)
				continue;
			pairs++;
			if (recv(p->fb, buf, sizeof(buf), 0) > 0)
				leaked++;
			finish(p);
			if (start(ep, p, &s, &sa, salen, NEXT_PKTS) == -1)
				failed++;
			seq++;
		}
		/* Pairs whose allowed flow was never answered (a dropped packet) are given up. */
		double t = now();
		for (int i = 0; i < npairs; i++)
			if (t - ps[i].start > TIMEOUT) {
				if (ps[i].fa != -1)
					failed++;
				finish(&ps[i]);
				if (start(ep, &ps[i], &s, &sa, salen, NEXT_PKTS) == -1)
					failed++;
				seq++;
			}
	}
	double took = now() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)(ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
	    (double)(ru.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
	    (double)(ru.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	printf("flows %lu seconds %.2f per_second %.0f answered %lu leaked %lu failed %lu cpu_s "
	       "%.3f ports_busy %lu next %llu\n",
	    2 * pairs, took, (double)(2 * pairs) / took, pairs, leaked, failed, cpu, s.busy,
	    (unsigned long long)s.next);
	return 0;
}
