/*
 * Fuzzes the QUIC client Initial parser two ways, chosen by the first input
 * byte's low bit:
 *  - raw: the rest is a UDP payload as it comes off the wire (headers,
 *    coalesced packets, AEAD failures), parsed with and without a flow's
 *    CRYPTO buffer;
 *  - sealed: the rest is the plaintext of Initial packets (frames), protected
 *    with the keys of a fixed DCID (RFC 9001 Appendix A's), so the AEAD opens
 *    and frame parsing, CRYPTO reassembly and the ClientHello are reached.
 *    The second byte cuts the plaintext into two packets; control bits pick
 *    QUIC v2, the packet order, and coalescing both into one datagram.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire/quic.h"
#include "wire/reasm.h"

#define PLAIN_MAX 1400

static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

/* One protected client Initial carrying plain[0..n) at out; returns its length. */
static size_t
seal(
    struct quic_ctx *q, uint32_t version, const uint8_t *plain, size_t n, uint32_t pn, uint8_t *out)
{
	size_t h = 0, pn_off, plen;

	/* The header protection sample needs 20 bytes after the packet number's start. */
	plen = 4 + (n < 4 ? 4 : n) + 16;
	out[h++] = version == QUIC_V2 ? 0xd3 : 0xc3; /* Initial, 4-byte packet number */
	out[h++] = (uint8_t)(version >> 24);
	out[h++] = (uint8_t)(version >> 16);
	out[h++] = (uint8_t)(version >> 8);
	out[h++] = (uint8_t)version;
	out[h++] = sizeof(dcid);
	memcpy(out + h, dcid, sizeof(dcid));
	h += sizeof(dcid);
	out[h++] = 0; /* SCID */
	out[h++] = 0; /* token */
	out[h++] = (uint8_t)(0x40 | plen >> 8);
	out[h++] = (uint8_t)plen;
	pn_off = h;
	out[h++] = (uint8_t)(pn >> 24);
	out[h++] = (uint8_t)(pn >> 16);
	out[h++] = (uint8_t)(pn >> 8);
	out[h++] = (uint8_t)pn;
	memset(out + h, 0, plen - 4); /* PADDING frames, and room for the tag */
	memcpy(out + h, plain, n);
	if (quic_seal_initial(q, version, out, pn_off, 4, pn, pn_off + plen) < 0)
		abort();
	return pn_off + plen;
}

static void
check(int res, const struct quic_info *qi)
{
	if (res < QUIC_NEED_MORE || res > QUIC_MALFORMED || qi->dcid_len > QUIC_CID_MAX)
		abort();
	/* A packet of another connection ends the datagram: nothing after it is opened. */
	if (qi->other_cid > 1)
		abort();
	if ((res == QUIC_SNI || (res == QUIC_ECH && qi->hello.has_sni)) &&
	    strlen(qi->hello.sni) != qi->hello.sni_len)
		abort();
	(void)quic_result_name(res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct quic_ctx *q;
	static struct reasm r;
	static uint8_t dgram[2][2 * (PLAIN_MAX + 64)];
	struct quic_info qi;
	size_t dlen[2] = {0, 0}, cut, n, i;
	uint32_t version;
	int ctl;

	if (q == NULL && (q = quic_ctx_create()) == NULL)
		abort();
	if (size < 1)
		return 0;
	ctl = data[0];
	data++;
	size--;

	if (!(ctl & 1)) {
		reasm_reset(&r);
		check(quic_parse_datagram(q, data, size, &r, &qi), &qi);
		check(quic_parse_datagram(q, data, size, NULL, &qi), &qi);
		return 0;
	}

	if (size < 1)
		return 0;
	version = ctl & 2 ? QUIC_V2 : QUIC_V1;
	cut = (size_t)data[0] * (size - 1) / 255;
	data++;
	size--;
	if (size > 2 * PLAIN_MAX)
		size = 2 * PLAIN_MAX;
	if (cut > PLAIN_MAX)
		cut = PLAIN_MAX;
	n = size - cut > PLAIN_MAX ? PLAIN_MAX : size - cut;
	dlen[0] = seal(q, version, data, cut, 0, dgram[0]);
	if (n > 0 || (ctl & 4))
		dlen[1] = seal(q, version, data + cut, n, 1, dgram[1]);
	if ((ctl & 8) && dlen[1] > 0) {
		/* Coalesced: both packets in one datagram. */
		memcpy(dgram[0] + dlen[0], dgram[1], dlen[1]);
		dlen[0] += dlen[1];
		dlen[1] = 0;
	}
	reasm_reset(&r);
	for (i = 0; i < 2; i++) {
		size_t k = (ctl & 16) ? 1 - i : i;
		int res;

		if (dlen[k] == 0)
			continue;
		res = quic_parse_datagram(q, dgram[k], dlen[k], &r, &qi);
		check(res, &qi);
		if (qi.initials == 0 && res != QUIC_MALFORMED)
			abort(); /* a packet sealed with the right keys failed to open */
	}
	return 0;
}
