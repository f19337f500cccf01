/* What the compliance probe sends and reads: DNS queries, ClientHellos, QUIC Initials, HTTP heads. */
#ifndef BLOCKD_PROBEMSG_H
#define BLOCKD_PROBEMSG_H

#include <stddef.h>
#include <stdint.h>

#include "quic.h"

/*
 * Pure: bytes out and bytes in, no I/O. The probe (blockd/daemon/probe.c)
 * sends these as a subscriber's client would, so blockd judges them as it
 * judges real traffic. Builders return the length written, 0 if cap is too
 * small or a name too long.
 */

/* probemsg_dns_query(): a recursive query for name (A: 1, AAAA: 28) with an EDNS OPT record. */
size_t probemsg_dns_query(uint8_t *out, size_t cap, uint16_t id, const char *name, uint16_t qtype);

#define PROBEMSG_ADDRS 4
struct probemsg_dns {
	int rcode;    /* 0 NOERROR, 3 NXDOMAIN ... */
	int ede;      /* Extended DNS Error info-code (RFC 8914), -1 if none */
	size_t naddr; /* A and AAAA records in the answer, as text */
	char addr[PROBEMSG_ADDRS][46];
};

/* probemsg_dns_answer(): reads the answer to query id. 0, or -1 if it is not one (malformed). */
int probemsg_dns_answer(const uint8_t *p, size_t len, uint16_t id, struct probemsg_dns *out);

/*
 * probemsg_hello(): a TLS 1.3 ClientHello handshake message naming sni;
 * random gives the 32-byte random, session id and X25519 share (96 bytes).
 * quic: ALPN h3 and QUIC transport parameters, else ALPN http/1.1.
 */
size_t probemsg_hello(
    uint8_t *out, size_t cap, const char *sni, const uint8_t random[96], int quic);

/* probemsg_record(): hs wrapped in one TLS handshake record. */
size_t probemsg_record(uint8_t *out, size_t cap, const uint8_t *hs, size_t hslen);

/*
 * probemsg_quic_initial(): a QUIC v1 client Initial datagram of 1200 bytes
 * carrying hs in one CRYPTO frame, protected with the keys of dcid (8 bytes).
 */
size_t probemsg_quic_initial(struct quic_ctx *q, uint8_t *out, size_t cap, const uint8_t dcid[8],
    const uint8_t *hs, size_t hslen);

/* probemsg_http_get(): "GET path HTTP/1.1" with Host host, closing the connection. */
size_t probemsg_http_get(char *out, size_t cap, const char *host, const char *path);

/* probemsg_http_status(): the status code of a response's first bytes, or -1 if none yet. */
int probemsg_http_status(const uint8_t *p, size_t len);

#endif
