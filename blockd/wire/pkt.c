/* Packet headers: IPv4/IPv6 (with extension headers), TCP and UDP, parsed in place. */
#include <netinet/in.h>
#include <endian.h>
#include <string.h>

#include "base/bytes.h"
#include "pkt.h"

/*
 * The TCP options of a header of doff bytes at l4, walked: what pkt.tcp_opts
 * and tsval say. Returns PKT_OK, the reader's result, so it is a tail call.
 */
static __attribute__((noinline)) int
tcp_options_walk(struct pkt *p, const uint8_t *l4, size_t doff)
{
	size_t i = 20;

	while (i < doff) {
		uint8_t kind = l4[i];
		if (kind == 0) /* end of options */
			break;
		if (kind == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= doff || l4[i + 1] < 2 || i + l4[i + 1] > doff) {
			p->tcp_opts |= PKT_OPT_BAD;
			break;
		}
		size_t olen = l4[i + 1];
		if (kind == 8 && olen == 10) {
			p->tcp_opts |= PKT_OPT_TS;
			p->tsval = rd32(l4 + i + 2);
		} else if (kind == 19) {
			p->tcp_opts |= PKT_OPT_MD5;
		} else if (kind == 29) {
			p->tcp_opts |= PKT_OPT_AO;
		}
		i += olen;
	}
	return PKT_OK;
}

/*
 * The TCP options: the layouts Linux (and most stacks) send, read as the
 * walk would read them, without it: NOP, NOP, timestamp on the segments
 * after the handshake; MSS, SACK permitted, timestamp, NOP, window scale
 * on the SYN. In the reader, without a call; the walk for any other.
 */
static inline __attribute__((always_inline)) int
tcp_options(struct pkt *p, const uint8_t *l4, size_t doff)
{
	if (doff == 32 && rd32(l4 + 20) == 0x0101080au) {
		p->tcp_opts = PKT_OPT_TS;
		p->tsval = rd32(l4 + 24);
		return PKT_OK;
	}
	if (doff == 40 && rd16(l4 + 20) == 0x0204u && rd32(l4 + 24) == 0x0402080au &&
	    rd32(l4 + 36) >> 8 == 0x010303u) {
		p->tcp_opts = PKT_OPT_TS;
		p->tsval = rd32(l4 + 28);
		return PKT_OK;
	}
	return doff > 20 ? tcp_options_walk(p, l4, doff) : PKT_OK;
}

/* Transport header at p->l3 + off, bounded by the IP length; in each reader, without a call. */
static inline __attribute__((always_inline)) int
parse_l4(struct pkt *p, size_t off)
{
	const uint8_t *l4 = p->l3 + off;
	size_t rem = p->l3len - off;

	p->l4off = off;
	if (p->proto == IPPROTO_UDP) {
		if (rem < 8)
			return PKT_TRUNCATED;
		size_t ulen = rd16(l4 + 4);
		/* A first fragment carries only part of the datagram. */
		if (!p->first_fragment) {
			if (ulen < 8 || ulen > rem)
				return ulen < 8 ? PKT_MALFORMED : PKT_TRUNCATED;
			rem = ulen;
		}
		p->sport = rd16(l4);
		p->dport = rd16(l4 + 2);
		p->payload = l4 + 8;
		p->paylen = rem - 8;
		return PKT_OK;
	}
	if (p->proto == IPPROTO_TCP) {
		if (rem < 20)
			return PKT_TRUNCATED;
		size_t doff = (size_t)(l4[12] >> 4) * 4;
		if (doff < 20)
			return PKT_MALFORMED;
		if (doff > rem)
			return PKT_TRUNCATED;
		p->sport = rd16(l4);
		p->dport = rd16(l4 + 2);
		p->seq = rd32(l4 + 4);
		p->ack = rd32(l4 + 8);
		p->tcp_flags = l4[13];
		p->window = rd16(l4 + 14);
		p->urg_ptr = rd16(l4 + 18);
		p->payload = l4 + doff;
		p->paylen = rem - doff;
		return tcp_options(p, l4, doff); /* last: the walk a tail call */
	}
	return PKT_OTHER_PROTO;
}

static int
parse_v4(const uint8_t *buf, size_t len, struct pkt *p)
{
	if (len < 20)
		return PKT_TRUNCATED;
	size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
	size_t tot = rd16(buf + 2);
	if (ihl < 20 || tot < ihl)
		return PKT_MALFORMED;
	if (tot > len)
		return PKT_TRUNCATED;
	p->l3len = tot;
	p->ttl = buf[8];
	p->proto = buf[9];
	memcpy(p->src, buf + 12, 4);
	memcpy(p->dst, buf + 16, 4);
	uint16_t frag = rd16(buf + 6);
	if ((frag & 0x1fff) != 0)
		return PKT_FRAGMENT;
	p->first_fragment = (frag & 0x2000) != 0;
	return parse_l4(p, ihl);
}

static int
parse_v6(const uint8_t *buf, size_t len, struct pkt *p)
{
	if (len < 40)
		return PKT_TRUNCATED;
	size_t tot = 40 + (size_t)rd16(buf + 4);
	if (tot > len)
		return PKT_TRUNCATED;
	p->l3len = tot;
	p->ttl = buf[7];
	memcpy(p->src, buf + 8, 16);
	memcpy(p->dst, buf + 24, 16);

	uint8_t nh = buf[6];
	size_t off = 40;
	/* No extension headers, as most packets come: the walk's first step, without its switch. */
	if (nh == IPPROTO_TCP || nh == IPPROTO_UDP) {
		p->proto = nh;
		return parse_l4(p, off);
	}
	/* Walk the extension headers we can skip; a bounded chain. */
	for (int n = 0; n < 16; n++) {
		p->proto = nh;
		/* Hop-by-Hop only right after the IPv6 header: Linux drops the packet otherwise. */
		if (nh == IPPROTO_HOPOPTS && off != 40)
			return PKT_MALFORMED;
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (off + 8 > tot)
				return PKT_TRUNCATED;
			if (nh == IPPROTO_ROUTING && buf[off + 3] != 0)
				p->routed = 1;
			nh = buf[off];
			off += ((size_t)buf[off + 1] + 1) * 8;
			if (off > tot)
				return PKT_TRUNCATED;
			continue;
		case IPPROTO_AH:
			if (off + 8 > tot)
				return PKT_TRUNCATED;
			nh = buf[off];
			off += ((size_t)buf[off + 1] + 2) * 4;
			if (off > tot)
				return PKT_TRUNCATED;
			continue;
		case IPPROTO_FRAGMENT: {
			if (off + 8 > tot)
				return PKT_TRUNCATED;
			uint16_t fo = rd16(buf + off + 2);
			nh = buf[off];
			off += 8;
			if ((fo & 0xfff8) != 0)
				return PKT_FRAGMENT;
			if (fo & 1)
				p->first_fragment = 1;
			continue;
		}
		default:
			return parse_l4(p, off);
		}
	}
	return PKT_MALFORMED;
}

int
pkt_parse(const uint8_t *buf, size_t len, struct pkt *p)
{
	/* In two parts: the whole struct at once becomes a string store, a step per word. */
	_Static_assert(sizeof(*p) > 64, "struct pkt is zeroed in two parts");
	memset(p, 0, 64);
	memset((uint8_t *)p + 64, 0, sizeof(*p) - 64);
	p->l3 = buf;
	if (len < 1)
		return PKT_TRUNCATED;
	switch (buf[0] >> 4) {
	case 4:
		p->family = 4;
		return parse_v4(buf, len, p);
	case 6:
		p->family = 6;
		return parse_v6(buf, len, p);
	default:
		return PKT_MALFORMED;
	}
}

/*
 * Eight bytes a step: two big-endian 32-bit words into a 64-bit sum, which
 * is the same sum of 16-bit words modulo 0xffff; folded (end-around
 * carries, so a sum of anything but zeros never folds to 0) below 2^17.
 */
uint32_t
inet_csum_add(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *b = buf;
	uint64_t acc = sum;

	for (; len >= 8; b += 8, len -= 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		w = be64toh(w);
		acc += (w >> 32) + (w & 0xffffffffu);
	}
	for (; len >= 2; b += 2, len -= 2)
		acc += (uint32_t)(b[0] << 8 | b[1]);
	if (len)
		acc += (uint32_t)b[0] << 8;
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)((acc & 0xffff) + (acc >> 16));
}

uint16_t
inet_csum(const void *buf, size_t len, uint32_t sum)
{
	sum = inet_csum_add(buf, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
pkt_tcp_csum_ok(const struct pkt *p)
{
	if (p->first_fragment || p->routed || p->l3len < p->l4off)
		return 1;
	size_t alen = p->family == 4 ? 4 : 16;
	size_t l4len = p->l3len - p->l4off;
	/* The pseudo-header: addresses, protocol and the TCP length (in 32 bits for IPv6). */
	uint32_t sum = 0;
	for (size_t i = 0; i < alen; i += 2)
		sum += (uint32_t)(p->src[i] << 8 | p->src[i + 1]) +
		    (uint32_t)(p->dst[i] << 8 | p->dst[i + 1]);
	sum += IPPROTO_TCP + (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff);
	return inet_csum(p->l3 + p->l4off, l4len, sum) == 0;
}

const char *
pkt_status_name(int status)
{
	switch (status) {
	case PKT_OK:
		return "ok";
	case PKT_TRUNCATED:
		return "truncated";
	case PKT_MALFORMED:
		return "malformed";
	case PKT_FRAGMENT:
		return "fragment";
	case PKT_OTHER_PROTO:
		return "other-proto";
	}
	return "unknown";
}
