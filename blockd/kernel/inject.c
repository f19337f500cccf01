/* Injected packets: build UDP/TCP segments as if from a flow's peer and send them on raw sockets. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/bytes.h"
#include "inject.h"
#include "wire/pkt.h"

/* IP header for a transport segment of l4len bytes; returns the header length or 0. */
static size_t
put_ip(uint8_t *out, size_t outlen, const struct inj_tuple *t, uint8_t proto, uint16_t ipid,
    size_t l4len, uint32_t *pseudo)
{
	if (t->family == 4) {
		if (outlen < 20 + l4len || 20 + l4len > 0xffff)
			return 0;
		memset(out, 0, 20);
		out[0] = 0x45;
		wr16(out + 2, (uint16_t)(20 + l4len));
		wr16(out + 4, ipid);
		wr16(out + 6, 0x4000); /* DF */
		out[8] = t->ttl;
		out[9] = proto;
		memcpy(out + 12, t->src, 4);
		memcpy(out + 16, t->dst, 4);
		wr16(out + 10, inet_csum(out, 20, 0));
		/* The pseudo-header's addresses, summed where the header holds them side by side. */
		*pseudo = inet_csum_add(out + 12, 8, 0) + proto + (uint32_t)l4len;
		return 20;
	}
	if (outlen < 40 + l4len || l4len > 0xffff)
		return 0;
	memset(out, 0, 40);
	out[0] = 0x60;
	wr16(out + 4, (uint16_t)l4len);
	out[6] = proto;
	out[7] = t->ttl;
	memcpy(out + 8, t->src, 16);
	memcpy(out + 24, t->dst, 16);
	*pseudo = inet_csum_add(out + 8, 32, 0) + proto + (uint32_t)l4len;
	return 40;
}

size_t
inject_build_udp(uint8_t *out, size_t outlen, const struct inj_tuple *t, uint16_t ipid,
    const uint8_t *payload, size_t plen)
{
	uint32_t pseudo;
	size_t l4len = 8 + plen;
	size_t h = put_ip(out, outlen, t, IPPROTO_UDP, ipid, l4len, &pseudo);
	if (h == 0)
		return 0;
	uint8_t *u = out + h;
	wr16(u, t->sport);
	wr16(u + 2, t->dport);
	wr16(u + 4, (uint16_t)l4len);
	wr16(u + 6, 0);
	memcpy(u + 8, payload, plen);
	uint16_t c = inet_csum(u, l4len, pseudo);
	wr16(u + 6, c ? c : 0xffff); /* 0 means "no checksum" in UDP */
	return h + l4len;
}

size_t
inject_build_tcp(uint8_t *out, size_t outlen, const struct inj_tuple *t, uint16_t ipid,
    uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window, const uint8_t *payload, size_t plen)
{
	uint32_t pseudo;
	size_t l4len = 20 + plen;
	size_t h = put_ip(out, outlen, t, IPPROTO_TCP, ipid, l4len, &pseudo);
	if (h == 0)
		return 0;
	uint8_t *s = out + h;
	memset(s, 0, 20);
	wr16(s, t->sport);
	wr16(s + 2, t->dport);
	wr32(s + 4, seq);
	wr32(s + 8, ack);
	s[12] = 5 << 4;
	s[13] = flags;
	wr16(s + 14, window);
	if (plen)
		memcpy(s + 20, payload, plen);
	wr16(s + 16, inet_csum(s, l4len, pseudo));
	return h + l4len;
}

/*
 * The reset's fixed fields: IPv4 (version 4, header 5 words, total length
 * 40, DF, protocol TCP) or IPv6 (version 6, payload length 20, next header
 * TCP), then TCP (data offset 5 words, RST|ACK, window 0). The words that
 * vary are zero here and patched in.
 */
static const uint8_t rst4[40] = {
    0x45, 0, 0, 40, 0, 0, 0x40, 0, 0, IPPROTO_TCP, [32] = 5 << 4, [33] = PKT_TCP_RST | PKT_TCP_ACK};
static const uint8_t rst6[60] = {
    0x60, 0, 0, 0, 0, 20, IPPROTO_TCP, [52] = 5 << 4, [53] = PKT_TCP_RST | PKT_TCP_ACK};
/* Their fixed words summed: the IPv4 header's, and TCP's with its pseudo-header's protocol and length. */
#define RST4_IP_SUM (0x4500u + 40u + 0x4000u + IPPROTO_TCP)
#define RST_TCP_SUM (IPPROTO_TCP + 20u + ((5u << 12) | PKT_TCP_RST | PKT_TCP_ACK))

void
inject_rst_init(struct inj_rst *r, uint8_t family, uint8_t ttl, const uint8_t *client,
    uint16_t cport, const uint8_t *server, uint16_t sport)
{
	uint64_t acc;

	r->client = client;
	r->server = server;
	r->cport = cport;
	r->sport = sport;
	r->family = family;
	r->ttl = ttl;
	if (family == 4) {
		uint32_t a, b;
		memcpy(&a, client, 4);
		memcpy(&b, server, 4);
		acc = (uint64_t)be32toh(a) + be32toh(b);
	} else {
		uint64_t a[2], b[2];
		memcpy(a, client, 16);
		memcpy(b, server, 16);
		acc = 0;
		for (int i = 0; i < 2; i++) {
			uint64_t x = be64toh(a[i]), y = be64toh(b[i]);
			acc += (x >> 32) + (x & 0xffffffffu) + (y >> 32) + (y & 0xffffffffu);
		}
	}
	/* 32-bit words summed: folded to 16 bits (end-around carries kept). */
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	r->sum = (uint32_t)acc;
}

/* sum folded to 16 bits and inverted: a checksum field. */
static inline uint16_t
csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t
inject_build_rst(uint8_t *out, size_t outlen, const struct inj_rst *r, int to_client, uint16_t ipid,
    uint32_t seq, uint32_t ack)
{
	const uint8_t *src = to_client ? r->server : r->client;
	const uint8_t *dst = to_client ? r->client : r->server;
	uint16_t sport = to_client ? r->sport : r->cport;
	uint16_t dport = to_client ? r->cport : r->sport;
	uint32_t tcp = r->sum + RST_TCP_SUM + r->cport + r->sport + (seq >> 16) + (seq & 0xffff) +
	    (ack >> 16) + (ack & 0xffff);
	uint8_t *s;
	size_t h;

	if (r->family == 4) {
		if (outlen < sizeof(rst4))
			return 0;
		memcpy(out, rst4, sizeof(rst4));
		wr16(out + 4, ipid);
		out[8] = r->ttl;
		memcpy(out + 12, src, 4);
		memcpy(out + 16, dst, 4);
		wr16(out + 10, csum_fold(r->sum + RST4_IP_SUM + ipid + ((uint32_t)r->ttl << 8)));
		h = 20;
	} else {
		if (outlen < sizeof(rst6))
			return 0;
		memcpy(out, rst6, sizeof(rst6));
		out[7] = r->ttl;
		memcpy(out + 8, src, 16);
		memcpy(out + 24, dst, 16);
		h = 40;
	}
	s = out + h;
	wr16(s, sport);
	wr16(s + 2, dport);
	wr32(s + 4, seq);
	wr32(s + 8, ack);
	wr16(s + 16, csum_fold(tcp));
	return h + 20;
}

int
inject_open(struct injector *in, uint32_t mark, char *err, size_t errlen)
{
	int one = 1;

	in->fd4 = in->fd6 = -1;
	if (getrandom(&in->rng, sizeof(in->rng), 0) != sizeof(in->rng) || in->rng == 0)
		in->rng = 0x9e3779b97f4a7c15ULL;
	in->fd4 = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
	if (in->fd4 == -1 || setsockopt(in->fd4, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) == -1) {
		snprintf(
		    err, errlen, "raw IPv4 socket: %s (blockd needs CAP_NET_RAW)", strerror(errno));
		inject_close(in);
		return -1;
	}
	/* On Linux an IPv6 IPPROTO_RAW socket takes whole packets, header included. */
	in->fd6 = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
	if (in->fd6 == -1) {
		snprintf(err, errlen, "raw IPv6 socket: %s", strerror(errno));
		inject_close(in);
		return -1;
	}
	if (setsockopt(in->fd4, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == -1 ||
	    setsockopt(in->fd6, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == -1) {
		snprintf(err, errlen, "SO_MARK on raw sockets: %s (blockd needs CAP_NET_ADMIN)",
		    strerror(errno));
		inject_close(in);
		return -1;
	}
	return 0;
}

void
inject_close(struct injector *in)
{
	if (in->fd4 != -1)
		close(in->fd4);
	if (in->fd6 != -1)
		close(in->fd6);
	in->fd4 = in->fd6 = -1;
}

uint16_t
inject_ipid(struct injector *in)
{
	uint64_t x = in->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	in->rng = x;
	return (uint16_t)(x >> 24);
}

int
inject_send(struct injector *in, const uint8_t *pkt, size_t len)
{
	ssize_t n;

	if (len >= 20 && pkt[0] >> 4 == 4) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		memcpy(&sin.sin_addr, pkt + 16, 4);
		n = sendto(in->fd4, pkt, len, 0, (struct sockaddr *)&sin, sizeof(sin));
	} else if (len >= 40 && pkt[0] >> 4 == 6) {
		struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
		memcpy(&sin6.sin6_addr, pkt + 24, 16);
		n = sendto(in->fd6, pkt, len, 0, (struct sockaddr *)&sin6, sizeof(sin6));
	} else {
		errno = EINVAL;
		return -1;
	}
	if (n != (ssize_t)len) {
		if (n >= 0)
			errno = EMSGSIZE;
		return -1;
	}
	return 0;
}
