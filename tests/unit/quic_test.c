/* Unit tests for quic.c: RFC 9001 and RFC 9369 vectors, split, coalesced and damaged Initials. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello_build.h"
#include "wire/quic.h"
#include "base/sha256.h"

static struct quic_ctx *q;
static struct reasm *crypto;
static const uint8_t dcid[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};

static void
setup(void)
{
	q = quic_ctx_create();
	cr_assert_not_null(q);
	crypto = malloc(sizeof(*crypto));
	reasm_reset(crypto);
}

static void
teardown(void)
{
	quic_ctx_destroy(q);
	free(crypto);
}

TestSuite(quic, .init = setup, .fini = teardown);

static void
unhex(const char *h, uint8_t *out)
{
	while (h[0] && h[1]) {
		unsigned v;

		sscanf(h, "%2x", &v);
		*out++ = (uint8_t)v;
		h += 2;
	}
}

static size_t
load(const char *name, uint8_t *buf, size_t cap)
{
	char path[256];
	size_t n;

	snprintf(path, sizeof(path), "../data/quic/%s", name);
	n = hello_read_file(path, buf, cap);
	cr_assert_gt(n, 0, "tests/data/quic/%s missing", name);
	return n;
}

static void
check_keys(uint32_t version, const char *key, const char *iv, const char *hp)
{
	struct quic_keys k;
	uint8_t want[16];

	cr_assert_eq(quic_initial_keys(q, version, dcid, sizeof(dcid), &k), 0);
	unhex(key, want);
	cr_assert_eq(memcmp(k.key, want, 16), 0, "key");
	unhex(iv, want);
	cr_assert_eq(memcmp(k.iv, want, 12), 0, "iv");
	unhex(hp, want);
	cr_assert_eq(memcmp(k.hp, want, 16), 0, "hp");
}

/* RFC 9001 A.1 and RFC 9369 A.1, client keys. */
Test(quic, initial_keys_v1_v2)
{
	struct quic_keys k;

	check_keys(QUIC_V1, "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
	    "9f50449e04a0e810283a1e9933adedd2");
	check_keys(QUIC_V2, "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
	    "45b95e15235d6f45a6b19cbcb0294ba9");
	/* again, from the one-entry cache, and then v1 once more */
	check_keys(QUIC_V2, "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
	    "45b95e15235d6f45a6b19cbcb0294ba9");
	check_keys(QUIC_V1, "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
	    "9f50449e04a0e810283a1e9933adedd2");
	cr_assert_eq(quic_initial_keys(q, 0xff00001d, dcid, sizeof(dcid), &k), -1);
}

static void
check_rfc_packet(const char *file, uint32_t version)
{
	uint8_t pkt[1200];
	struct quic_info qi;
	int r;

	cr_assert_eq(load(file, pkt, sizeof(pkt)), 1200);
	r = quic_parse_datagram(q, pkt, sizeof(pkt), crypto, &qi);
	cr_assert_eq(r, QUIC_SNI, "%s: %s %s", file, quic_result_name(r), qi.why ? qi.why : "");
	cr_assert_str_eq(qi.hello.sni, "example.com");
	cr_assert_eq(qi.version, version);
	cr_assert_eq(qi.initials, 1);
	cr_assert_eq(qi.crypto_frames, 1);
	cr_assert_eq(qi.dcid_len, 8);
	cr_assert_eq(memcmp(qi.dcid, dcid, 8), 0);
	/* the same again with the scratch buffer */
	cr_assert_eq(quic_parse_datagram(q, pkt, sizeof(pkt), NULL, &qi), QUIC_SNI);
}

Test(quic, rfc9001_client_initial)
{
	check_rfc_packet("rfc9001-client-initial.bin", QUIC_V1);
}

Test(quic, rfc9369_client_initial)
{
	check_rfc_packet("rfc9369-client-initial.bin", QUIC_V2);
}

/* Sealing the RFC's plaintext must give the RFC's packet byte for byte. */
static void
check_seal(const char *file, uint32_t version, const char *header)
{
	uint8_t want[1200], pkt[1200] = {0};

	load(file, want, sizeof(want));
	unhex(header, pkt);
	load("rfc9001-client-crypto-frame.bin", pkt + 22, sizeof(pkt) - 22);
	cr_assert_eq(quic_seal_initial(q, version, pkt, 18, 4, 2, 1200), 0);
	cr_assert_eq(memcmp(pkt, want, 1200), 0, "%s differs", file);
}

Test(quic, seal_reproduces_rfc_packets)
{
	check_seal(
	    "rfc9001-client-initial.bin", QUIC_V1, "c300000001088394c8f03e5157080000449e00000002");
	check_seal(
	    "rfc9369-client-initial.bin", QUIC_V2, "d36b3343cf088394c8f03e5157080000449e00000002");
}

Test(quic, damaged_packets_rejected)
{
	uint8_t pkt[1200], orig[1200];
	struct quic_info qi;
	size_t i;

	load("rfc9001-client-initial.bin", orig, sizeof(orig));
	memcpy(pkt, orig, sizeof(pkt));
	pkt[1199] ^= 1; /* tag */
	cr_assert_eq(quic_parse_datagram(q, pkt, sizeof(pkt), crypto, &qi), QUIC_DECRYPT_FAILED);
	cr_assert_eq(qi.failed, 1);
	cr_assert_eq(reasm_contig(crypto), 0, "nothing from a forged packet is kept");
	memcpy(pkt, orig, sizeof(pkt));
	pkt[600] ^= 0x80; /* ciphertext */
	cr_assert_eq(quic_parse_datagram(q, pkt, sizeof(pkt), crypto, &qi), QUIC_DECRYPT_FAILED);
	memcpy(pkt, orig, sizeof(pkt));
	pkt[20] ^= 0x01; /* protected packet number */
	cr_assert_eq(quic_parse_datagram(q, pkt, sizeof(pkt), crypto, &qi), QUIC_DECRYPT_FAILED);
	memcpy(pkt, orig, sizeof(pkt));
	pkt[6] ^= 0x01; /* DCID: other keys */
	cr_assert_eq(quic_parse_datagram(q, pkt, sizeof(pkt), crypto, &qi), QUIC_DECRYPT_FAILED);
	/* truncated: the Length field runs past the datagram */
	cr_assert_eq(quic_parse_datagram(q, orig, 1199, crypto, &qi), QUIC_MALFORMED);
	for (i = 0; i < 40; i++)
		cr_assert(quic_parse_datagram(q, orig, i, crypto, &qi) != QUIC_SNI);
}

Test(quic, not_initial)
{
	uint8_t pkt[1200];
	struct quic_info qi;

	load("rfc9001-client-initial.bin", pkt, sizeof(pkt));
	pkt[0] = 0x40; /* short header */
	cr_assert_eq(quic_parse_datagram(q, pkt, sizeof(pkt), crypto, &qi), QUIC_NOT_INITIAL);
	load("rfc9001-client-initial.bin", pkt, sizeof(pkt));
	memset(pkt + 1, 0, 4); /* version negotiation */
	cr_assert_eq(quic_parse_datagram(q, pkt, sizeof(pkt), crypto, &qi), QUIC_NOT_INITIAL);
	cr_assert_str_eq(qi.why, "version negotiation");
	load("rfc9001-client-initial.bin", pkt, sizeof(pkt));
	pkt[4] = 0x1d; /* 0xff00001d, draft 29 */
	pkt[1] = 0xff;
	cr_assert_eq(quic_parse_datagram(q, pkt, sizeof(pkt), crypto, &qi), QUIC_NOT_INITIAL);
	cr_assert_eq(qi.version, 0xff00001d);
	load("rfc9001-client-initial.bin", pkt, sizeof(pkt));
	pkt[0] = 0xe0; /* v1 Handshake type: skipped, so no Initial */
	cr_assert_eq(quic_parse_datagram(q, pkt, sizeof(pkt), crypto, &qi), QUIC_NOT_INITIAL);
	cr_assert_eq(qi.skipped, 1);
	cr_assert_eq(quic_parse_datagram(q, pkt, 0, crypto, &qi), QUIC_NOT_INITIAL);
}

/* Builds one protected Initial: header, frames, PADDING up to size bytes in all. */
static size_t
build_initial(
    uint8_t *out, uint32_t version, uint64_t pn, const uint8_t *frames, size_t flen, size_t size)
{
	size_t h = 0, plen;

	out[h++] = version == QUIC_V2 ? 0xd3 : 0xc3;
	out[h++] = (uint8_t)(version >> 24);
	out[h++] = (uint8_t)(version >> 16);
	out[h++] = (uint8_t)(version >> 8);
	out[h++] = (uint8_t)version;
	out[h++] = 8;
	memcpy(out + h, dcid, 8);
	h += 8;
	out[h++] = 4; /* SCID */
	memcpy(out + h, "\x01\x02\x03\x04", 4);
	h += 4;
	out[h++] = 0; /* token length */
	if (size < h + 2 + 4 + flen + 16)
		size = h + 2 + 4 + flen + 16;
	plen = size - h - 2;
	out[h++] = (uint8_t)(0x40 | plen >> 8);
	out[h++] = (uint8_t)plen;
	out[h++] = (uint8_t)(pn >> 24);
	out[h++] = (uint8_t)(pn >> 16);
	out[h++] = (uint8_t)(pn >> 8);
	out[h++] = (uint8_t)pn;
	memcpy(out + h, frames, flen);
	memset(out + h + flen, 0, size - h - flen);
	cr_assert_eq(quic_seal_initial(q, version, out, h - 4, 4, pn, size), 0);
	return size;
}

/* Appends a CRYPTO frame for hs[off..off+n). */
static size_t
crypto_frame(uint8_t *out, const uint8_t *hs, size_t off, size_t n)
{
	size_t i = 0;

	out[i++] = 0x06;
	out[i++] = (uint8_t)(0x40 | off >> 8);
	out[i++] = (uint8_t)off;
	out[i++] = (uint8_t)(0x40 | n >> 8);
	out[i++] = (uint8_t)n;
	memcpy(out + i, hs + off, n);
	return i + n;
}

static uint8_t hs[8192];

Test(quic, hello_split_across_two_initials_in_two_datagrams)
{
	struct hello_opts o = {.sni = "video.blocked.example", .grease = 1, .pq = 1};
	size_t hl = hello_build(hs, sizeof(hs), &o), cut = 1100, n1, n2, f;
	uint8_t frames[2048], d1[1400], d2[1400];
	struct quic_info qi;
	uint32_t v;

	cr_assert_gt(hl, 1200);
	for (v = 0; v < 2; v++) {
		uint32_t version = v ? QUIC_V2 : QUIC_V1;

		f = crypto_frame(frames, hs, 0, cut);
		n1 = build_initial(d1, version, 0, frames, f, 1252);
		f = crypto_frame(frames, hs, cut, hl - cut);
		n2 = build_initial(d2, version, 1, frames, f, 1252);

		reasm_reset(crypto);
		cr_assert_eq(quic_parse_datagram(q, d1, n1, crypto, &qi), QUIC_NEED_MORE);
		cr_assert_eq(qi.hello.need, hl);
		cr_assert_eq(quic_parse_datagram(q, d2, n2, crypto, &qi), QUIC_SNI);
		cr_assert_str_eq(qi.hello.sni, "video.blocked.example");

		/* the second datagram first */
		reasm_reset(crypto);
		cr_assert_eq(quic_parse_datagram(q, d2, n2, crypto, &qi), QUIC_NEED_MORE);
		cr_assert_eq(quic_parse_datagram(q, d1, n1, crypto, &qi), QUIC_SNI);
		cr_assert_str_eq(qi.hello.sni, "video.blocked.example");
		cr_assert_eq(qi.conflict, 0);
	}
}

Test(quic, coalesced_initials_and_0rtt_in_one_datagram)
{
	struct hello_opts o = {.sni = "coalesced.blocked.example", .pq = 1};
	size_t hl = hello_build(hs, sizeof(hs), &o), cut = 700, n = 0, f;
	uint8_t frames[2048], d[4096];
	struct quic_info qi;

	f = crypto_frame(frames, hs, cut, hl - cut); /* later part in the first packet */
	n += build_initial(d + n, QUIC_V1, 1, frames, f, 0);
	f = crypto_frame(frames, hs, 0, cut);
	n += build_initial(d + n, QUIC_V1, 0, frames, f, 0);
	/* a 0-RTT packet: type 1, length 30, contents opaque */
	memcpy(d + n, "\xd3\x00\x00\x00\x01\x08\x83\x94\xc8\xf0\x3e\x51\x57\x08\x00\x40\x1e", 17);
	memset(d + n + 17, 0xaa, 30);
	n += 17 + 30;
	cr_assert_eq(quic_parse_datagram(q, d, n, NULL, &qi), QUIC_SNI);
	cr_assert_str_eq(qi.hello.sni, "coalesced.blocked.example");
	cr_assert_eq(qi.initials, 2);
	cr_assert_eq(qi.skipped, 1);
}

Test(quic, coalesced_packet_of_another_connection_ignored)
{
	struct hello_opts o = {.sni = "other.blocked.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o), n = 0, n0, f;
	uint8_t frames[2048], d[4096];
	struct quic_info qi;

	/* A 0-RTT packet first names the datagram's connection ... */
	memcpy(d, "\xd3\x00\x00\x00\x01\x08\x11\x22\x33\x44\x55\x66\x77\x88\x00\x40\x1e", 17);
	memset(d + 17, 0xaa, 30);
	n = n0 = 17 + 30;
	/* ... so a hello in an Initial to another DCID is ignored, as a server ignores it. */
	f = crypto_frame(frames, hs, 0, hl);
	n += build_initial(d + n, QUIC_V1, 0, frames, f, 0);
	cr_assert_eq(quic_parse_datagram(q, d, n, NULL, &qi), QUIC_NOT_INITIAL);
	cr_assert_eq(qi.other_cid, 1);
	cr_assert_eq(qi.initials, 0);
	cr_assert_eq(qi.dcid_len, 8);
	cr_assert_eq(memcmp(qi.dcid, "\x11\x22\x33\x44\x55\x66\x77\x88", 8), 0);
	/* The Initial first: the datagram is its connection's, the 0-RTT packet after it ignored. */
	n = build_initial(d, QUIC_V1, 0, frames, f, 0);
	memcpy(d + n, "\xd3\x00\x00\x00\x01\x08\x11\x22\x33\x44\x55\x66\x77\x88\x00\x40\x1e", 17);
	memset(d + n + 17, 0xaa, 30);
	cr_assert_eq(quic_parse_datagram(q, d, n + n0, NULL, &qi), QUIC_SNI);
	cr_assert_eq(qi.other_cid, 1);
	cr_assert_eq(qi.skipped, 0);
	cr_assert_eq(memcmp(qi.dcid, dcid, 8), 0);
}

Test(quic, frames_mixed_and_out_of_order_in_one_packet)
{
	struct hello_opts o = {.sni = "frames.blocked.example", .ech = 1};
	size_t hl = hello_build(hs, sizeof(hs), &o), f = 0, n;
	uint8_t frames[2048], d[1500];
	struct quic_info qi;

	frames[f++] = 0x01; /* PING */
	frames[f++] = 0x00; /* PADDING */
	/* ACK: largest 5, delay 0, 1 range, first 1, gap 0 len 0 */
	memcpy(frames + f, "\x02\x05\x00\x01\x01\x00\x00", 7);
	f += 7;
	f += crypto_frame(frames + f, hs, 100, hl - 100);
	/* ACK_ECN: largest 1, delay 0, 0 ranges, first 0, ecn 0 0 0 */
	memcpy(frames + f, "\x03\x01\x00\x00\x00\x00\x00\x00", 8);
	f += 8;
	f += crypto_frame(frames + f, hs, 0, 100);
	n = build_initial(d, QUIC_V1, 0, frames, f, 1200);
	cr_assert_eq(quic_parse_datagram(q, d, n, crypto, &qi), QUIC_ECH);
	cr_assert_str_eq(qi.hello.sni, "frames.blocked.example");
	cr_assert_eq(qi.crypto_frames, 2);
}

Test(quic, frame_not_allowed_in_initial_stops_the_packet)
{
	struct hello_opts o = {.sni = "stop.blocked.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o), f = 0, n;
	uint8_t frames[2048], d[1500];
	struct quic_info qi;

	frames[f++] = 0x08; /* STREAM */
	f += crypto_frame(frames + f, hs, 0, hl);
	n = build_initial(d, QUIC_V1, 0, frames, f, 1200);
	cr_assert_eq(quic_parse_datagram(q, d, n, crypto, &qi), QUIC_NEED_MORE);
	cr_assert_eq(qi.other_frames, 1);
	/* a CRYPTO frame whose length runs past the packet */
	f = crypto_frame(frames, hs, 0, hl);
	frames[3] = 0x7f;
	n = build_initial(d, QUIC_V1, 0, frames, f, 0);
	cr_assert_eq(quic_parse_datagram(q, d, n, NULL, &qi), QUIC_MALFORMED);
}

Test(quic, conflicting_crypto_data_flagged_first_copy_wins)
{
	struct hello_opts o = {.sni = "first.blocked.example"};
	size_t hl = hello_build(hs, sizeof(hs), &o), f, n;
	uint8_t frames[2048], d[1500], evil[8192];
	struct quic_info qi;
	char *at;

	memcpy(evil, hs, hl);
	at = memmem(evil, hl, "first", 5);
	cr_assert_not_null(at);
	memcpy(at, "other", 5);
	f = crypto_frame(frames, hs, 0, hl);
	n = build_initial(d, QUIC_V1, 0, frames, f, 1200);
	cr_assert_eq(quic_parse_datagram(q, d, n, crypto, &qi), QUIC_SNI);
	f = crypto_frame(frames, evil, 0, hl);
	n = build_initial(d, QUIC_V1, 1, frames, f, 1200);
	cr_assert_eq(quic_parse_datagram(q, d, n, crypto, &qi), QUIC_SNI);
	cr_assert_eq(qi.conflict, 1);
	cr_assert_str_eq(qi.hello.sni, "first.blocked.example");
	cr_assert(crypto->flags & REASM_F_CONFLICT);
}

Test(quic, mutated_datagrams_do_not_crash)
{
	uint8_t orig[1200], *pkt = malloc(1200);
	struct quic_info qi;
	unsigned seed = 7, i;

	load("rfc9369-client-initial.bin", orig, sizeof(orig));
	for (i = 0; i < 2000; i++) {
		size_t len;

		memcpy(pkt, orig, 1200);
		seed = seed * 1103515245u + 12345u;
		/* damage the header area mostly, where parsing decisions are made */
		pkt[(seed >> 8) % 30] ^= (uint8_t)(seed >> 20);
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % 1201;
		(void)quic_parse_datagram(q, pkt, len, NULL, &qi);
	}
	free(pkt);
}

/*
 * As Chrome does: the ClientHello cut into many CRYPTO frames, shuffled,
 * spread over two Initials in two datagrams, with PING and PADDING between.
 */
Test(quic, shuffled_crypto_frames_over_two_datagrams)
{
	struct hello_opts o = {
	    .sni = "chaos.blocked.example", .grease = 1, .pq = 1, .ech = 1, .shuffle = 9};
	size_t hl = hello_build(hs, sizeof(hs), &o);
	size_t bounds[13], nb = 0, i, f[2] = {0, 0}, n;
	uint8_t frames[2][2048], d[1500];
	unsigned order[12], seed = 4242;
	struct quic_info qi;
	int k, r;

	for (i = 0; i <= 12; i++)
		bounds[nb++] = hl * i / 12;
	for (i = 0; i < 12; i++)
		order[i] = (unsigned)i;
	for (i = 11; i > 0; i--) {
		unsigned j, t;

		seed = seed * 1103515245u + 12345u;
		j = (seed >> 16) % (unsigned)(i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < 12; i++) {
		int pk = (int)(i % 2);

		frames[pk][f[pk]++] = 0x01; /* PING */
		frames[pk][f[pk]++] = 0x00; /* PADDING */
		f[pk] += crypto_frame(frames[pk] + f[pk], hs, bounds[order[i]],
		    bounds[order[i] + 1] - bounds[order[i]]);
	}
	cr_assert_lt(f[0], 1400);
	cr_assert_lt(f[1], 1400);
	for (k = 0; k < 2; k++) {
		n = build_initial(d, QUIC_V1, (uint64_t)k, frames[k], f[k], 1350);
		r = quic_parse_datagram(q, d, n, crypto, &qi);
		cr_assert_eq(r, k == 0 ? QUIC_NEED_MORE : QUIC_ECH, "datagram %d: %s", k,
		    quic_result_name(r));
		cr_assert_eq(qi.crypto_frames, 6);
	}
	cr_assert_str_eq(qi.hello.sni, "chaos.blocked.example");
	cr_assert_eq(qi.hello.ech, 1);
}

/* FIPS 180-4 examples and RFC 4231 test case 2, for the digest under the key derivation. */
Test(quic, sha256_and_hmac_vectors)
{
	struct sha256 s;
	uint8_t out[32], want[32];
	static uint8_t million[1000000];
	size_t i;

	sha256_init(&s);
	sha256_update(&s, "abc", 3);
	sha256_final(&s, out);
	unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want);
	cr_assert_eq(memcmp(out, want, 32), 0);
	sha256_init(&s);
	sha256_final(&s, out);
	unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
	cr_assert_eq(memcmp(out, want, 32), 0);
	sha256_init(&s);
	sha256_update(&s, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	sha256_final(&s, out);
	unhex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", want);
	cr_assert_eq(memcmp(out, want, 32), 0);
	memset(million, 'a', sizeof(million));
	sha256_init(&s);
	for (i = 0; i < sizeof(million); i += 997) /* odd pieces cross block boundaries */
		sha256_update(
		    &s, million + i, sizeof(million) - i < 997 ? sizeof(million) - i : 997);
	sha256_final(&s, out);
	unhex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", want);
	cr_assert_eq(memcmp(out, want, 32), 0);
	hmac_sha256((const uint8_t *)"Jefe", 4, (const uint8_t *)"what do ya want ", 16,
	    (const uint8_t *)"for nothing?", 12, out);
	unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want);
	cr_assert_eq(memcmp(out, want, 32), 0);
}
