/*
 * Fuzzes the TLS ClientHello parser the way the packet path drives it: the
 * stream arrives segment by segment through reassembly and is parsed after
 * each one. The input starts with a control byte (low 3 bits: segment
 * count - 1; bit 3: deliver the first two segments swapped; bit 4: resend
 * the first segment at the end), then one length byte per segment (0 means
 * "the rest"), then the stream. The result must not depend on how the
 * stream was cut: the streamed answer is checked against parsing the whole
 * stream at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire/reasm.h"
#include "wire/tls.h"

#define SEG_MAX 8

static void
check_hello(int res, const struct tls_hello *h)
{
	size_t i;

	if (res < TLS_NEED_MORE || res > TLS_HELLO_DONE)
		abort();
	if ((res == TLS_SNI || (res == TLS_ECH && h->has_sni)) &&
	    (h->sni_len == 0 || h->sni_len > TLS_SNI_MAX || strlen(h->sni) != h->sni_len))
		abort();
	if (res == TLS_SNI || (res == TLS_ECH && h->has_sni))
		for (i = 0; i < h->sni_len; i++)
			if (!((h->sni[i] >= 'a' && h->sni[i] <= 'z') ||
				(h->sni[i] >= '0' && h->sni[i] <= '9') || h->sni[i] == '-' ||
				h->sni[i] == '_' || h->sni[i] == '.'))
				abort();
	if ((res == TLS_MALFORMED || res == TLS_NOT_TLS || res == TLS_HELLO_DONE) && h->why == NULL)
		abort();
	(void)tls_result_name(res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reasm r;
	struct tls_hello h, whole;
	size_t nseg, i, off, stream_len, seg_off[SEG_MAX + 1], seg_len[SEG_MAX + 1],
	    order[SEG_MAX + 1];
	const uint8_t *stream;
	int res = TLS_NEED_MORE, whole_res, ctl;

	if (size < 1)
		return 0;
	ctl = data[0];
	nseg = (size_t)(ctl & 7) + 1;
	if (size < 1 + nseg)
		return 0;
	stream = data + 1 + nseg;
	stream_len = size - 1 - nseg;

	/* Cut the stream: each length byte, the last segment takes the rest. */
	for (off = 0, i = 0; i < nseg; i++) {
		size_t l = data[1 + i];

		if (i == nseg - 1 || l == 0 || off + l > stream_len)
			l = stream_len - off;
		seg_off[i] = off;
		seg_len[i] = l;
		off += l;
	}
	for (i = 0; i < nseg; i++)
		order[i] = i;
	if ((ctl & 8) && nseg > 1) {
		order[0] = 1;
		order[1] = 0;
	}
	if (ctl & 16)
		order[nseg++] = order[0];

	/* Streamed: as a worker does, parse after each segment until decided. */
	reasm_reset(&r);
	for (i = 0; i < nseg && res == TLS_NEED_MORE; i++) {
		size_t s = order[i];

		(void)reasm_add_tcp(
		    &r, 1000, (uint32_t)(1001 + seg_off[s]), stream + seg_off[s], seg_len[s]);
		if (reasm_contig(&r) == 0)
			continue;
		memset(&h, 0, sizeof(h));
		res = tls_parse_client_hello(reasm_data(&r), reasm_contig(&r),
		    reasm_contig(&r) == REASM_MAX ? TLS_PARTIAL_OK : 0, &h);
		check_hello(res, &h);
		if (res == TLS_NEED_MORE && h.need != 0 && h.need <= reasm_contig(&r) &&
		    reasm_contig(&r) < REASM_MAX)
			abort(); /* asked for bytes it already had */
	}

	/* Whole: the same bytes at once must give the same answer once one is given. */
	{
		size_t n = stream_len < REASM_MAX ? stream_len : REASM_MAX;

		memset(&whole, 0, sizeof(whole));
		whole_res =
		    tls_parse_client_hello(stream, n, n == REASM_MAX ? TLS_PARTIAL_OK : 0, &whole);
		check_hello(whole_res, &whole);
		if (res != TLS_NEED_MORE && res != whole_res)
			abort();
		if (res == TLS_SNI && strcmp(h.sni, whole.sni) != 0)
			abort();
		/* What follows a whole hello: a second one after a HelloRetryRequest, or none. */
		if ((whole_res == TLS_SNI || whole_res == TLS_NO_SNI || whole_res == TLS_ECH) &&
		    !whole.truncated) {
			struct tls_hello second;

			if (whole.end > n)
				abort();
			memset(&second, 0, sizeof(second));
			res = tls_parse_retry(stream, n, &whole, 0, &second);
			check_hello(res, &second);
			if (res == TLS_NEED_MORE && second.need <= n)
				abort();
			if (res != TLS_NEED_MORE && res != TLS_HELLO_DONE && res != TLS_NOT_TLS &&
			    second.end > n)
				abort();
		}
	}

	/* The same bytes as a QUIC CRYPTO stream (no records), and with PARTIAL_OK. */
	memset(&h, 0, sizeof(h));
	check_hello(tls_parse_handshake(stream, stream_len, 0, &h), &h);
	memset(&h, 0, sizeof(h));
	check_hello(tls_parse_handshake(stream, stream_len, TLS_PARTIAL_OK, &h), &h);
	return 0;
}
