/* A flow's first bytes: which reader blockd gives it (TLS, HTTP/1, QUIC), whatever its port. */
#ifndef BLOCKD_SNIFF_H
#define BLOCKD_SNIFF_H

#include <stddef.h>
#include <stdint.h>

enum sniff_result {
	SNIFF_MORE = 0, /* a strict prefix of what could start TLS or HTTP/1: *maybe says which */
	SNIFF_TLS,  /* a TLS record header (type 20-24, version 3.x), or an SSLv2-format hello */
	SNIFF_HTTP, /* an HTTP/1 request line's method token and the blank after it */
	SNIFF_QUIC, /* a QUIC v1 or v2 long header packet */
	SNIFF_NONE, /* none of them: not a protocol blockd judges */
};

/*
 * sniff_tcp(): what the first bytes of a TCP client stream (buf, len: from
 * its first byte on, as far as they are in order) start: read as wire/tls.c
 * and wire/http.c read them, so nothing either reader would take is called
 * SNIFF_NONE. A strict prefix of a TLS or HTTP/1 start (a hello cut after
 * its first byte, say) is SNIFF_MORE, never SNIFF_NONE, and *maybe gets the
 * only one of the two it can still be (the first byte tells them apart).
 * Pure.
 */
int sniff_tcp(const uint8_t *buf, size_t len, int *maybe);

/*
 * sniff_tcp_kind(): the reader the first bytes go to: sniff_tcp()'s
 * result, or for a strict prefix the only one it can still be (*maybe);
 * SNIFF_NONE for none, and for no bytes at all. Pure.
 */
int sniff_tcp_kind(const uint8_t *buf, size_t len);

/*
 * sniff_udp(): SNIFF_QUIC if the datagram starts with a long header packet
 * of QUIC v1 or v2 (what wire/quic.c opens), else SNIFF_NONE. Pure.
 */
int sniff_udp(const uint8_t *buf, size_t len);

#endif
