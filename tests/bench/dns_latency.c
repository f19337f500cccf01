/* DNS latency at a fixed rate: UDP queries paced evenly, each reply timed, p50/p99 printed. */
/*
 * Usage: dns_latency SERVER RATE SECONDS
 * Sends RATE A queries per second to SERVER port 53 for SECONDS: nine in ten for
 * allowed.example, one in ten for bNNNNNNN.blocked.example (N random below
 * 1,000,000, the bench's block list). Prints one line:
 *   sent N replies N lost N p50_us X p99_us Y
 * With --json FILE (how make bench calls every bench program) it does nothing:
 * the DNS bench runs it itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Writes a query for name (dotted, no trailing dot) with id into buf; returns its length. */
static size_t
query_put(uint8_t *buf, uint16_t id, const char *name)
{
	size_t n = 12;
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;    /* QDCOUNT */
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, name, l);
		n += l;
		name += l + (dot != NULL);
	}
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = 1; /* A */
	buf[n++] = 0;
	buf[n++] = 1; /* IN */
	return n;
}

static uint32_t
next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
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
	if (argc != 4) {
		fprintf(stderr, "usage: dns_latency SERVER RATE SECONDS\n");
		return 2;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	double rate = strtod(argv[2], NULL), secs = strtod(argv[3], NULL);
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || rate < 1 || secs <= 0 ||
	    rate * secs > 50e6) {
		fprintf(stderr, "dns_latency: bad server, rate or duration\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int big = 8 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		perror("dns_latency: socket");
		return 1;
	}
	size_t total = (size_t)(rate * secs);
	uint64_t *sent_at = calloc(65536, sizeof(*sent_at));
	uint32_t *lat = calloc(total + 1, sizeof(*lat));
	if (sent_at == NULL || lat == NULL) {
		free(sent_at);
		free(lat);
		return 1;
	}
	uint64_t interval = (uint64_t)(1e9 / rate), start = now_ns(),
		 end = start + (uint64_t)(secs * 1e9);
	uint64_t grace = end + 1000000000u; /* replies may arrive up to 1 s after the last query */
	size_t sent = 0, got = 0;
	uint8_t q[512], r[4096];
	char name[64];
	uint32_t seed = 12345; /* the same names every run: xorshift32 */
	for (;;) {
		uint64_t t = now_ns();
		while (sent < total && t >= start + sent * interval) {
			uint16_t id = (uint16_t)sent;
			if (sent % 10 == 9)
				snprintf(name, sizeof(name), "b%07d.blocked.example",
				    (int)(next_rand(&seed) % 1000000));
			else
				snprintf(name, sizeof(name), "allowed.example");
			size_t len = query_put(q, id, name);
			sent_at[id] = now_ns();
			if (send(fd, q, len, 0) == -1 && errno != EAGAIN)
				break;
			sent++;
		}
		for (;;) {
			ssize_t n = recv(fd, r, sizeof(r), 0);
			if (n < 12)
				break;
			uint16_t id = (uint16_t)(r[0] << 8 | r[1]);
			if (sent_at[id] && got < total) {
				lat[got++] = (uint32_t)((now_ns() - sent_at[id]) / 1000);
				sent_at[id] = 0;
			}
		}
		t = now_ns();
		if ((sent >= total && got >= sent) || t >= grace)
			break;
		uint64_t next = sent < total ? start + sent * interval : t + 1000000;
		if (next > t) {
			struct timespec to = {0, (long)(next - t)};
			struct pollfd pf = {fd, POLLIN, 0};
			(void)ppoll(&pf, 1, &to, NULL);
		}
	}
	qsort(lat, got, sizeof(*lat), cmp_u32);
	uint32_t p50 = got ? lat[got / 2] : 0, p99 = got ? lat[got * 99 / 100] : 0;
	printf(
	    "sent %zu replies %zu lost %zu p50_us %u p99_us %u\n", sent, got, sent - got, p50, p99);
	free(sent_at);
	free(lat);
	close(fd);
	return 0;
}
