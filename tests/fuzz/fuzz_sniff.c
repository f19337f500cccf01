/*
 * Fuzzes the first-bytes sniffer (sniff_tcp, sniff_udp) against the readers
 * it hands flows to: bytes it calls no protocol must be bytes the TLS and
 * HTTP readers refuse too, and bytes it hands to QUIC must be ones the QUIC
 * reader looks into.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "wire/http.h"
#include "wire/sniff.h"
#include "wire/tls.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_hello h;
	struct http_parser hp;
	struct http_request req;
	size_t used;
	int maybe;

	int r = sniff_tcp(data, size, &maybe);
	if (r < SNIFF_MORE || r > SNIFF_NONE || r == SNIFF_QUIC)
		abort();
	if (r == SNIFF_MORE && size > 0 && maybe != SNIFF_TLS && maybe != SNIFF_HTTP)
		abort();
	if (r != SNIFF_MORE && maybe != SNIFF_NONE)
		abort();
	/* A longer stream never turns a decided start into another one. */
	if (r != SNIFF_MORE && size > 1) {
		int m2, r2 = sniff_tcp(data, size - 1, &m2);
		if (r2 != r && !(r2 == SNIFF_MORE && m2 == r) &&
		    !(r2 == SNIFF_MORE && r == SNIFF_NONE))
			abort();
	}
	if (r == SNIFF_NONE) {
		int t = tls_parse_client_hello(data, size, 0, &h);
		/* An SSLv2-format start is waited for up to its fifth byte by the TLS reader. */
		if (t != TLS_NOT_TLS && !(t == TLS_NEED_MORE && size < 5 && (data[0] & 0x80)))
			abort();
		http_parser_init(&hp);
		if (http_parse(&hp, data, size, &used, &req) != HTTP_NOT_HTTP)
			abort();
	}
	r = sniff_udp(data, size);
	if (r != SNIFF_QUIC && r != SNIFF_NONE)
		abort();
	if (r == SNIFF_QUIC && (size < 5 || !(data[0] & 0x80)))
		abort();
	return 0;
}
