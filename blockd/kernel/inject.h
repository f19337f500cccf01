/* Injected packets: build UDP/TCP segments as if from a flow's peer and send them on raw sockets. */
#ifndef BLOCKD_INJECT_H
#define BLOCKD_INJECT_H

#include <stddef.h>
#include <stdint.h>

/* Addresses and ports of the packet to build (src is who it claims to be from). */
struct inj_tuple {
	uint8_t family; /* 4 or 6 */
	uint8_t ttl;    /* TTL / hop limit */
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport, dport;
};

#define INJECT_MAX 1500 /* largest packet we build */

/*
 * inject_build_udp(), inject_build_tcp(): write a whole IP packet (header,
 * transport header with a correct checksum, payload) into out. ipid is the
 * IPv4 identification (ignored for IPv6). Return the length, or 0 if it does
 * not fit. Pure, no allocation.
 */
size_t inject_build_udp(uint8_t *out, size_t outlen, const struct inj_tuple *t, uint16_t ipid,
    const uint8_t *payload, size_t plen);
size_t inject_build_tcp(uint8_t *out, size_t outlen, const struct inj_tuple *t, uint16_t ipid,
    uint32_t seq, uint32_t ack, uint8_t flags, uint16_t window, const uint8_t *payload,
    size_t plen);

/*
 * One flow's resets (RST|ACK, window 0, no options or payload), both ways,
 * copied from a fixed template and patched: inject_rst_init() sums the
 * addresses once (the same both ways), inject_build_rst() writes
 * the packet from the side named by to_client (from the server to the
 * client if 1, else from the client to the server) with its IPv4
 * identification, sequence and acknowledgement numbers, and finishes the
 * checksums from the template's sum (RFC 1624). The bytes are those
 * inject_build_tcp() builds for the same segment. client and server point
 * at 16 bytes each (4 used for IPv4) that must outlive r. Pure.
 */
struct inj_rst {
	const uint8_t *client, *server;
	uint16_t cport, sport;
	uint8_t family, ttl;
	uint32_t sum; /* the two addresses, folded below 2^17 */
};

void inject_rst_init(struct inj_rst *r, uint8_t family, uint8_t ttl, const uint8_t *client,
    uint16_t cport, const uint8_t *server, uint16_t sport);
/* Returns the length (40 or 60), or 0 if outlen is too small. */
size_t inject_build_rst(uint8_t *out, size_t outlen, const struct inj_rst *r, int to_client,
    uint16_t ipid, uint32_t seq, uint32_t ack);

/*
 * A sender: one raw socket per family, owned by one worker thread. Every
 * packet sent carries mark (SO_MARK) so blockd's own rules recognise it.
 * inject_open() returns 0, or -1 with a message in err.
 */
struct injector {
	int fd4;
	int fd6;
	uint64_t rng; /* xorshift state for IPv4 identification values */
};

int inject_open(struct injector *, uint32_t mark, char *err, size_t errlen);
void inject_close(struct injector *);
/* A fresh, unpredictable IPv4 identification. */
uint16_t inject_ipid(struct injector *);
/* inject_send(): sends a packet built above. Returns 0, or -1 with errno set. Never blocks. */
int inject_send(struct injector *, const uint8_t *pkt, size_t len);

#endif
