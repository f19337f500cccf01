/* Packet headers: IPv4/IPv6 (with extension headers), TCP and UDP, parsed in place. */
#ifndef BLOCKD_PKT_H
#define BLOCKD_PKT_H

#include <stddef.h>
#include <stdint.h>

/* pkt_parse() results. */
enum pkt_status {
	PKT_OK = 0,      /* headers parsed; payload is the transport payload */
	PKT_TRUNCATED,   /* a length field points past the buffer */
	PKT_MALFORMED,   /* version, header length or extension chain is invalid */
	PKT_FRAGMENT,    /* a non-first fragment: no transport header to read */
	PKT_OTHER_PROTO, /* neither TCP nor UDP (ICMP, ESP, no next header, ...) */
};

#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10
#define PKT_TCP_URG 0x20

/* TCP options pkt_parse() notes in pkt.tcp_opts. */
#define PKT_OPT_TS  0x01 /* a timestamp (RFC 7323): tsval is set */
#define PKT_OPT_MD5 0x02 /* an MD5 signature (RFC 2385) */
#define PKT_OPT_AO  0x04 /* a TCP-AO authentication option (RFC 5925) */
#define PKT_OPT_BAD 0x08 /* an option whose length runs past the header, or is below 2 */

/*
 * What pkt_parse() found. Pointers point into the caller's buffer, which
 * must outlive the struct. Addresses: IPv4 in the first 4 bytes.
 */
struct pkt {
	uint8_t family;         /* 4 or 6 */
	uint8_t proto;          /* IPPROTO_TCP, IPPROTO_UDP, or the last next-header seen */
	uint8_t ttl;            /* TTL or hop limit */
	uint8_t first_fragment; /* 1: more fragments follow, payload is incomplete */
	uint8_t routed; /* IPv6 Routing header with segments left: dst is not the last hop */
	uint8_t src[16];
	uint8_t dst[16];
	const uint8_t *l3; /* start of the IP header */
	size_t l3len;      /* IP total length (may be less than the buffer) */
	size_t l4off;      /* offset of the transport header from l3 */
	uint16_t sport, dport;
	/* TCP only */
	uint32_t seq, ack;
	uint16_t window;
	uint16_t urg_ptr; /* the urgent pointer, as sent (meaningful with PKT_TCP_URG) */
	uint8_t tcp_flags;
	uint8_t tcp_opts; /* PKT_OPT_* */
	uint32_t tsval;   /* the timestamp option's TSval, with PKT_OPT_TS */
	const uint8_t *payload;
	size_t paylen;
};

/*
 * pkt_parse(): parses the IP packet buf[0..len) as handed over by NFQUEUE
 * (starting at the IP header). Returns an enum pkt_status; on PKT_OK (and on
 * PKT_OTHER_PROTO for the addresses and proto) p is filled in. Pure, no
 * allocation; never reads outside buf.
 *
 * IPv6 extension headers are walked as Linux receives them: a Hop-by-Hop
 * Options header anywhere but first after the IPv6 header (RFC 8200 4.3,
 * and so also a second one) makes the packet PKT_MALFORMED, because the
 * receiving stack discards it and nothing in it reaches a server.
 */
int pkt_parse(const uint8_t *buf, size_t len, struct pkt *p);

/*
 * pkt_tcp_csum_ok(): 1 if the TCP checksum of p (a PKT_OK TCP packet) is
 * right over the IPv4 or IPv6 pseudo-header, the header and the payload, or
 * cannot be checked from p alone (a first fragment; an IPv6 Routing header
 * with segments left, whose final destination the sum covers); 0 if wrong.
 * Pure.
 */
int pkt_tcp_csum_ok(const struct pkt *p);

/*
 * inet_csum_add(): sum plus buf's 16-bit words (RFC 1071), folded only
 * below 2^17 (add at most 2^31 more before inet_csum()): for
 * pseudo-headers and other partial sums. inet_csum(): the Internet
 * checksum of buf with an initial partial sum (0 over data whose checksum
 * is right). Pure, shared by the parser and inject.c's packet builders.
 */
uint32_t inet_csum_add(const void *buf, size_t len, uint32_t sum);
uint16_t inet_csum(const void *buf, size_t len, uint32_t sum);

/* pkt_status_name(): a short name for a status, for counters and messages. */
const char *pkt_status_name(int status);

#endif
