/*
 * libFuzzer target for the protocol parsers: the first input byte picks
 * TLS, QUIC, HTTP, or QUIC frames (the input sealed as an Initial's
 * payload, so frame parsing is reached past the AEAD); the rest is fed
 * whole and in two pieces through reasm.
 * Build and run (not part of make check):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iblockd \
 *     tests/fuzz/fuzz_parsers.c blockd/tls.c blockd/quic.c blockd/sha256.c blockd/http.c \
 *     blockd/reasm.c -lcrypto -o build/fuzz_parsers
 *   build/fuzz_parsers -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "quic.h"
#include "reasm.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct quic_ctx *q;
	static struct reasm r;
	struct tls_hello h;
	struct quic_info qi;
	struct http_parser hp;
	struct http_request req;
	size_t cut, used, off;
	int guard = 0;

	if (size < 2)
		return 0;
	if (q == NULL && (q = quic_ctx_create()) == NULL)
		abort();
	cut = data[1] % size;
	switch (data[0] % 4) {
	case 0:
		(void)tls_parse_client_hello(data + 2, size - 2, 0, &h);
		(void)tls_parse_client_hello(data + 2, size - 2, TLS_PARTIAL_OK, &h);
		(void)tls_parse_handshake(data + 2, size - 2, TLS_PARTIAL_OK, &h);
		reasm_reset(&r);
		reasm_add(&r, cut, data + cut, size - cut);
		reasm_add(&r, 0, data, cut);
		if (reasm_contig(&r) != size)
			abort();
		break;
	case 1:
		reasm_reset(&r);
		(void)quic_parse_datagram(q, data + 2, size - 2, &r, &qi);
		(void)quic_parse_datagram(q, data + 2, size - 2, NULL, &qi);
		break;
	case 2:
		http_parser_init(&hp);
		off = 2;
		while (http_parse(&hp, data + off, size - off, &used, &req) == HTTP_REQUEST &&
		    guard++ < 100) {
			if (used > size - off || strlen(req.host) != req.host_len ||
			    strlen(req.path) != req.path_len)
				abort();
			off += used;
		}
		break;
	case 3: {
		static uint8_t pkt[2048];
		size_t n = size - 2 > 1500 ? 1500 : size - 2, plen = 4 + n + 16, h = 0;

		if (plen < 24)
			plen = 24;
		memset(pkt, 0, sizeof(pkt));
		memcpy(pkt, "\xc3\x00\x00\x00\x01\x08\x83\x94\xc8\xf0\x3e\x51\x57\x08\x00\x00", 16);
		h = 16;
		pkt[h++] = (uint8_t)(0x40 | plen >> 8);
		pkt[h++] = (uint8_t)plen;
		h += 4; /* packet number 0 */
		memcpy(pkt + h, data + 2, n);
		if (quic_seal_initial(q, QUIC_V1, pkt, h - 4, 4, 0, h - 4 + plen) < 0)
			abort();
		reasm_reset(&r);
		(void)quic_parse_datagram(q, pkt, h - 4 + plen, &r, &qi);
		break;
	}
	}
	return 0;
}
