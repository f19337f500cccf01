/* New TLS flows per second: many short TCP flows, each a 517-byte ClientHello, and their server. */
/*
 * Usage: tls_flows ADDR PORT SECONDS CONCURRENT ALLOWED BLOCKED [junk]
 *        tls_flows -l PORT...
 * The client keeps CONCURRENT flows in flight to ADDR:PORT for SECONDS:
 * each connects, sends one 517-byte ClientHello (every other one naming
 * BLOCKED, the rest ALLOWED; with "junk", 517 bytes no protocol starts
 * with), waits for the server's first byte or a reset, and ends with a
 * reset (SO_LINGER 0), so no TIME_WAIT is left. A flow is done when
 * answered or reset: a blocked one by blockd, an allowed one by the server.
 * Prints "flows N seconds S per_second R answered A reset B failed F cpu_s C"
 * (failed: no answer within 2 s, or no connection; C: the client's own CPU
 * time, user and system).
 * The server (-l) accepts on each PORT, IPv4 and IPv6, answers a client's
 * first bytes with one byte and closes once the client resets: cheap, so
 * that the appliance in between is what limits the rate.
 * With --json FILE (how make bench calls every bench program) it does
 * nothing: tests/bench/b_flows.sh starts it itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HELLO_LEN 517
#define MAXCONC   4096
#define TIMEOUT   2.0

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
put16(uint8_t *p, size_t off, unsigned v)
{
	p[off] = (uint8_t)(v >> 8);
	p[off + 1] = (uint8_t)v;
	return off + 2;
}

/* A TLS 1.3 ClientHello record for name, padded (extension 21) to HELLO_LEN bytes. */
static void
hello(uint8_t *h, const char *name)
{
	size_t n = strlen(name), o = 0, ext, body;

	memset(h, 0, HELLO_LEN);
	h[o++] = 0x16;
	o = put16(h, o, 0x0301);
	o = put16(h, o, HELLO_LEN - 5);
	h[o++] = 1;
	h[o++] = 0;
	o = put16(h, o, HELLO_LEN - 9);
	body = o;
	o = put16(h, o, 0x0303);
	for (int i = 0; i < 32; i++)
		h[o++] = (uint8_t)rand();
	h[o++] = 32;
	for (int i = 0; i < 32; i++)
		h[o++] = (uint8_t)rand();
	o = put16(h, o, 6);
	o = put16(h, o, 0x1301);
	o = put16(h, o, 0x1302);
	o = put16(h, o, 0x1303);
	h[o++] = 1;
	h[o++] = 0;
	ext = o;
	o += 2;
	o = put16(h, o, 0); /* server_name */
	o = put16(h, o, (unsigned)n + 5);
	o = put16(h, o, (unsigned)n + 3);
	h[o++] = 0;
	o = put16(h, o, (unsigned)n);
	memcpy(h + o, name, n);
	o += n;
	o = put16(h, o, 43); /* supported_versions: TLS 1.3 */
	o = put16(h, o, 3);
	h[o++] = 2;
	o = put16(h, o, 0x0304);
	o = put16(h, o, 10); /* supported_groups: x25519 */
	o = put16(h, o, 4);
	o = put16(h, o, 2);
	o = put16(h, o, 29);
	o = put16(h, o, 13); /* signature_algorithms */
	o = put16(h, o, 4);
	o = put16(h, o, 2);
	o = put16(h, o, 0x0403);
	o = put16(h, o, 51); /* key_share: x25519 */
	o = put16(h, o, 38);
	o = put16(h, o, 36);
	o = put16(h, o, 29);
	o = put16(h, o, 32);
	for (int i = 0; i < 32; i++)
		h[o++] = (uint8_t)rand();
	o = put16(h, o, 21); /* padding to the end */
	o = put16(h, o, (unsigned)(HELLO_LEN - o - 2));
	(void)put16(h, ext, (unsigned)(HELLO_LEN - ext - 2));
	(void)body;
}

struct conn {
	int fd;
	int sent;
	double start;
};

static int
server(int argc, char **argv)
{
	int ep = epoll_create1(0);
	int nl = 0;

	for (int i = 1; i < argc; i++) {
		int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0), on = 1, off = 0;
		struct sockaddr_in6 a = {
		    .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(argv[i]))};
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		if (fd == -1 || bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
		    listen(fd, 4096) == -1) {
			perror(argv[i]);
			return 1;
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)fd << 1 | 1};
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		nl++;
	}
	printf("listening on %d ports\n", nl);
	fflush(stdout);
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = (int)(evs[i].data.u64 >> 1);
			char buf[2048];
			if (evs[i].data.u64 & 1) {
				int c;
				while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
					struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
					    .data.u64 = (uint64_t)c << 1};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r > 0) {
				(void)!write(fd, "x", 1);
				continue;
			}
			if (r == -1 && errno == EAGAIN)
				continue;
			close(fd);
		}
	}
}

/* Ends c with a reset (SO_LINGER 0): no TIME_WAIT left on either side. */
static void
finish(int ep, struct conn *c)
{
	struct linger l = {1, 0};
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
}

static int
start(int ep, struct conn *c, const struct sockaddr_storage *sa, socklen_t salen)
{
	c->fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	c->sent = 0;
	c->start = now();
	if (c->fd == -1)
		return -1;
	if (connect(c->fd, (const struct sockaddr *)sa, salen) == -1 && errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.ptr = c};
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--json") == 0)
		return 0;
	if (argc >= 3 && strcmp(argv[1], "-l") == 0)
		return server(argc - 1, argv + 1);
	if (argc < 7) {
		fprintf(stderr,
		    "usage: tls_flows ADDR PORT SECONDS CONCURRENT ALLOWED BLOCKED [junk]\n"
		    "       tls_flows -l PORT...\n");
		return 2;
	}
	struct sockaddr_storage sa;
	socklen_t salen;
	memset(&sa, 0, sizeof(sa));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
	uint16_t port = (uint16_t)atoi(argv[2]);
	if (inet_pton(AF_INET, argv[1], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		salen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, argv[1], &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		salen = sizeof(*s6);
	} else {
		fprintf(stderr, "tls_flows: %s: not an address\n", argv[1]);
		return 2;
	}
	double secs = atof(argv[3]);
	int conc = atoi(argv[4]);
	if (conc < 1 || conc > MAXCONC) {
		fprintf(stderr, "tls_flows: 1..%d flows at a time\n", MAXCONC);
		return 2;
	}
	static uint8_t h[2][HELLO_LEN];
	srand((unsigned)time(NULL));
	hello(h[0], argv[5]);
	hello(h[1], argv[6]);
	if (argc > 7 && strcmp(argv[7], "junk") == 0)
		for (int k = 0; k < 2; k++)
			for (int i = 0; i < HELLO_LEN; i++)
				h[k][i] =
				    (uint8_t)(i & 0x3f); /* control bytes first: no protocol */

	static struct conn cs[MAXCONC];
	unsigned long flows = 0, answered = 0, reset = 0, failed = 0, seq = 0;
	int ep = epoll_create1(0);
	double t0 = now(), end = t0 + secs;
	for (int i = 0; i < conc; i++)
		if (start(ep, &cs[i], &sa, salen) == -1)
			failed++;
	while (now() < end) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 50);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			char buf[64];
			if (c->fd == -1)
				continue;
			if (!c->sent && (evs[i].events & EPOLLOUT) && !(evs[i].events & EPOLLERR)) {
				ssize_t w = write(c->fd, h[seq++ & 1], HELLO_LEN);
				if (w == HELLO_LEN) {
					c->sent = 1;
					struct epoll_event ev = {
					    .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
					continue;
				}
			}
			if (!c->sent && !(evs[i].events & (EPOLLERR | EPOLLHUP)))
				continue;
			ssize_t r = read(c->fd, buf, sizeof(buf));
			if (r > 0)
				answered++;
			else if (c->sent)
				reset++;
			else
				failed++;
			flows += r > 0 || c->sent;
			finish(ep, c);
			if (start(ep, c, &sa, salen) == -1)
				failed++;
		}
		/* Flows that hang (a dropped packet) are given up after TIMEOUT. */
		double t = now();
		for (int i = 0; i < conc; i++)
			if (cs[i].fd != -1 && t - cs[i].start > TIMEOUT) {
				failed++;
				finish(ep, &cs[i]);
				if (start(ep, &cs[i], &sa, salen) == -1)
					failed++;
			}
	}
	double took = now() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf(
	    "flows %lu seconds %.2f per_second %.0f answered %lu reset %lu failed %lu cpu_s %.3f\n",
	    flows, took, (double)flows / took, answered, reset, failed, cpu);
	return 0;
}
