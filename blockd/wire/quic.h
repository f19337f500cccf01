/* QUIC client Initial parser (v1 and v2): remove protection, gather CRYPTO frames, read the ClientHello's SNI. */
#ifndef BLOCKD_QUIC_H
#define BLOCKD_QUIC_H

#include <stddef.h>
#include <stdint.h>

#include "reasm.h"
#include "tls.h"

#define QUIC_V1 0x00000001u /* RFC 9000, RFC 9001 */
#define QUIC_V2 0x6b3343cfu /* RFC 9369 */

#define QUIC_CID_MAX 20

enum quic_result {
	QUIC_NEED_MORE = 0, /* Initial(s) read; the ClientHello is not complete yet */
	QUIC_SNI,           /* hello.sni */
	QUIC_NO_SNI,
	QUIC_ECH, /* hello.ech; hello.sni is the outer name if hello.has_sni */
	QUIC_NOT_INITIAL, /* no client Initial of v1/v2 in the datagram (short header, other version, ...) */
	QUIC_DECRYPT_FAILED, /* an Initial failed header or AEAD authentication; none opened */
	QUIC_MALFORMED,      /* a packet header, frame or the ClientHello breaks the format: why */
};

/* What quic_parse_datagram() found. */
struct quic_info {
	struct tls_hello hello;     /* valid for QUIC_SNI, QUIC_NO_SNI, QUIC_ECH, QUIC_NEED_MORE */
	uint32_t version;           /* of the first long-header packet (also an unsupported one) */
	uint8_t dcid[QUIC_CID_MAX]; /* the datagram's connection: its first v1/v2 packet's DCID */
	uint8_t dcid_len;
	uint8_t conflict;       /* CRYPTO bytes overlapped earlier ones with other values */
	uint16_t initials;      /* Initial packets opened */
	uint16_t failed;        /* Initial packets that did not authenticate */
	uint16_t crypto_frames; /* CRYPTO frames taken */
	uint16_t other_frames;  /* frames not allowed in Initial packets: rest of packet skipped */
	uint16_t skipped;       /* 0-RTT / Handshake packets skipped in the datagram */
	uint16_t other_cid;     /* a coalesced packet named another DCID: it and the rest ignored */
	const char *why;        /* QUIC_MALFORMED, QUIC_NOT_INITIAL: static text */
};

/* Initial packet protection keys for the client direction. */
struct quic_keys {
	uint8_t key[16];
	uint8_t iv[12];
	uint8_t hp[16];
};

/*
 * A quic_ctx holds one worker's OpenSSL cipher contexts (AES-128-ECB,
 * AES-128-GCM), a packet-sized scratch buffer and the last DCID's keys,
 * all made in quic_ctx_create(); parsing then allocates nothing: the
 * contexts are only re-keyed (measured: no OpenSSL allocation per
 * datagram), and HKDF runs on sha256.c, since OpenSSL 3.0 allocates on
 * every digest or MAC initialisation. One ctx per thread.
 * quic_ctx_create() returns NULL if OpenSSL lacks an algorithm or memory
 * is short.
 */
struct quic_ctx;

struct quic_ctx *quic_ctx_create(void);
void quic_ctx_destroy(struct quic_ctx *);

/*
 * quic_parse_datagram(): reads every packet coalesced in one UDP payload
 * from the client. Client Initials of v1 and v2 are opened (keys from their
 * DCID) and their CRYPTO frames added to crypto by offset, so a ClientHello
 * spread over several packets and datagrams is put together across calls
 * (first copy wins, as in reasm.h); pass the flow's buffer each time, or
 * NULL to use a scratch buffer that holds this datagram only. 0-RTT and
 * Handshake packets are skipped by their length; a short header or an
 * unknown version ends the datagram, and so does a packet whose DCID is not
 * the first packet's (RFC 9000 12.2: a server ignores it; out->dcid is the
 * first's, the connection the datagram belongs to). Then the contiguous CRYPTO bytes are
 * given to tls_parse_handshake() (with TLS_PARTIAL_OK once the buffer is
 * full).
 *
 * The packet number is taken to be its truncated value: right for a
 * client's first Initials, which is all this is for.
 *
 * Returns an enum quic_result; *out is filled in every case.
 */
int quic_parse_datagram(struct quic_ctx *, const uint8_t *dgram, size_t len, struct reasm *crypto,
    struct quic_info *out);

/*
 * quic_initial_keys(): the client Initial keys for version and dcid.
 * Returns 0, or -1 for an unsupported version or a DCID over 20 bytes.
 */
int quic_initial_keys(
    struct quic_ctx *, uint32_t version, const uint8_t *dcid, size_t dcid_len, struct quic_keys *);

/*
 * quic_seal_initial(): protects a client Initial in place, for tests and
 * benchmarks (the packet path never calls it). pkt holds the header with
 * its packet number at pn_off (pn_len bytes, the low bits of the first
 * byte already saying so), then the plaintext, then 16 spare bytes for the
 * tag; total is the whole length including the tag. Returns 0 or -1.
 */
int quic_seal_initial(struct quic_ctx *, uint32_t version, uint8_t *pkt, size_t pn_off,
    size_t pn_len, uint64_t pn, size_t total);

const char *quic_result_name(int);

#endif
