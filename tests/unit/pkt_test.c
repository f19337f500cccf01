/* Unit tests for pkt.c and the packet builders of inject.c: headers read exactly, bad ones refused. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "kernel/inject.h"
#include "wire/pkt.h"

static const uint8_t v4src[4] = {192, 0, 2, 10}, v4dst[4] = {198, 51, 100, 53};
static const uint8_t v6src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x10};
static const uint8_t v6dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x53};

static size_t
udp4(uint8_t *out, const char *payload)
{
	struct inj_tuple t = {.family = 4, .ttl = 63, .sport = 40000, .dport = 53};
	memcpy(t.src, v4src, 4);
	memcpy(t.dst, v4dst, 4);
	return inject_build_udp(
	    out, INJECT_MAX, &t, 0x1234, (const uint8_t *)payload, strlen(payload));
}

Test(pkt, udp4_roundtrip)
{
	uint8_t b[INJECT_MAX];
	struct pkt p;
	size_t n = udp4(b, "hello");

	cr_assert_eq(n, 20 + 8 + 5);
	cr_assert_eq(pkt_parse(b, n, &p), PKT_OK);
	cr_assert_eq(p.family, 4);
	cr_assert_eq(p.proto, IPPROTO_UDP);
	cr_assert_eq(p.ttl, 63);
	cr_assert_eq(p.sport, 40000);
	cr_assert_eq(p.dport, 53);
	cr_assert_eq(p.paylen, 5);
	cr_assert_eq(memcmp(p.payload, "hello", 5), 0);
	cr_assert_eq(memcmp(p.src, v4src, 4), 0);
	/* IP header and UDP checksums verify (sum over the covered bytes is 0). */
	cr_assert_eq(inet_csum(b, 20, 0), 0);
	uint32_t ps =
	    (192 << 8 | 0) + (2 << 8 | 10) + (198 << 8 | 51) + (100 << 8 | 53) + IPPROTO_UDP + 13;
	cr_assert_eq(inet_csum(b + 20, 13, ps), 0);
}

Test(pkt, ipv4_options_skipped)
{
	uint8_t b[INJECT_MAX], o[INJECT_MAX];
	struct pkt p;
	size_t n = udp4(b, "xy");

	/* Rebuild with 8 bytes of options (two NOPs... and EOL padding). */
	memcpy(o, b, 20);
	memset(o + 20, 1, 8);
	memcpy(o + 28, b + 20, n - 20);
	o[0] = 0x47;
	o[2] = 0;
	o[3] = (uint8_t)(n + 8);
	cr_assert_eq(pkt_parse(o, n + 8, &p), PKT_OK);
	cr_assert_eq(p.l4off, 28);
	cr_assert_eq(p.paylen, 2);
	cr_assert_eq(p.dport, 53);
}

Test(pkt, ipv4_bad_lengths)
{
	uint8_t b[INJECT_MAX];
	struct pkt p;
	size_t n = udp4(b, "hello");

	cr_assert_eq(pkt_parse(b, 10, &p), PKT_TRUNCATED);
	cr_assert_eq(pkt_parse(b, n - 1, &p), PKT_TRUNCATED); /* total length > buffer */
	b[0] = 0x44;                                          /* IHL 16 bytes */
	cr_assert_eq(pkt_parse(b, n, &p), PKT_MALFORMED);
	b[0] = 0x45;
	b[20 + 4] = 0;
	b[20 + 5] = 200; /* UDP length past the datagram */
	cr_assert_eq(pkt_parse(b, n, &p), PKT_TRUNCATED);
	b[20 + 5] = 4; /* UDP length below its header */
	cr_assert_eq(pkt_parse(b, n, &p), PKT_MALFORMED);
	b[0] = 0x55;
	cr_assert_eq(pkt_parse(b, n, &p), PKT_MALFORMED);
	cr_assert_eq(pkt_parse(b, 0, &p), PKT_TRUNCATED);
}

Test(pkt, ipv4_fragments)
{
	uint8_t b[INJECT_MAX];
	struct pkt p;
	size_t n = udp4(b, "hello");

	b[6] = 0x20; /* MF, offset 0: first fragment, headers readable */
	b[7] = 0;
	cr_assert_eq(pkt_parse(b, n, &p), PKT_OK);
	cr_assert_eq(p.first_fragment, 1);
	b[6] = 0x00;
	b[7] = 0x10; /* offset 16*8: no transport header */
	cr_assert_eq(pkt_parse(b, n, &p), PKT_FRAGMENT);
	cr_assert_str_eq(pkt_status_name(PKT_FRAGMENT), "fragment");
}

static size_t
tcp6(uint8_t *out, const char *payload)
{
	struct inj_tuple t = {.family = 6, .ttl = 64, .sport = 50000, .dport = 53};
	memcpy(t.src, v6src, 16);
	memcpy(t.dst, v6dst, 16);
	return inject_build_tcp(out, INJECT_MAX, &t, 0, 1000, 2000, PKT_TCP_PSH | PKT_TCP_ACK, 512,
	    (const uint8_t *)payload, strlen(payload));
}

Test(pkt, tcp6_roundtrip)
{
	uint8_t b[INJECT_MAX];
	struct pkt p;
	size_t n = tcp6(b, "abcdef");

	cr_assert_eq(n, 40 + 20 + 6);
	cr_assert_eq(pkt_parse(b, n, &p), PKT_OK);
	cr_assert_eq(p.family, 6);
	cr_assert_eq(p.proto, IPPROTO_TCP);
	cr_assert_eq(p.seq, 1000);
	cr_assert_eq(p.ack, 2000);
	cr_assert_eq(p.window, 512);
	cr_assert_eq(p.tcp_flags, PKT_TCP_PSH | PKT_TCP_ACK);
	cr_assert_eq(p.paylen, 6);
	cr_assert_eq(memcmp(p.dst, v6dst, 16), 0);
	/* TCP checksum over pseudo header + segment folds to 0. */
	uint32_t ps = IPPROTO_TCP + 26;
	for (int i = 0; i < 16; i += 2)
		ps += (uint32_t)(v6src[i] << 8 | v6src[i + 1]) +
		    (uint32_t)(v6dst[i] << 8 | v6dst[i + 1]);
	cr_assert_eq(inet_csum(b + 40, 26, ps), 0);
}

/* Inserts an extension header of type nh (8 bytes, or 16 for a routing header) after the fixed header. */
static size_t
with_ext(uint8_t *o, const uint8_t *b, size_t n, uint8_t type, size_t elen)
{
	memcpy(o, b, 40);
	memset(o + 40, 0, elen);
	o[40] = b[6]; /* next header: what followed before */
	o[41] = type == IPPROTO_AH ? (uint8_t)(elen / 4 - 2) : (uint8_t)(elen / 8 - 1);
	o[6] = type;
	memcpy(o + 40 + elen, b + 40, n - 40);
	size_t pl = n - 40 + elen;
	o[4] = (uint8_t)(pl >> 8);
	o[5] = (uint8_t)pl;
	return n + elen;
}

Test(pkt, ipv6_extension_headers)
{
	uint8_t b[INJECT_MAX], o1[INJECT_MAX], o2[INJECT_MAX], o3[INJECT_MAX];
	struct pkt p;
	size_t n = tcp6(b, "abc");

	size_t n1 = with_ext(o1, b, n, IPPROTO_DSTOPTS, 8);
	size_t n2 = with_ext(o2, o1, n1, IPPROTO_ROUTING, 24);
	size_t n3 = with_ext(o3, o2, n2, IPPROTO_HOPOPTS, 8);
	cr_assert_eq(pkt_parse(o3, n3, &p), PKT_OK);
	cr_assert_eq(p.l4off, 40 + 8 + 24 + 8);
	cr_assert_eq(p.proto, IPPROTO_TCP);
	cr_assert_eq(p.paylen, 3);
	cr_assert_eq(memcmp(p.payload, "abc", 3), 0);

	/* An extension header running past the packet. */
	o3[41] = 200;
	cr_assert_eq(pkt_parse(o3, n3, &p), PKT_TRUNCATED);
}

Test(pkt, ipv6_fragment_header)
{
	uint8_t b[INJECT_MAX], o[INJECT_MAX];
	struct pkt p;
	size_t n = tcp6(b, "abc");
	size_t m = with_ext(o, b, n, IPPROTO_FRAGMENT, 8);

	o[40 + 1] = 0; /* reserved */
	o[40 + 3] = 1; /* offset 0, M set */
	cr_assert_eq(pkt_parse(o, m, &p), PKT_OK);
	cr_assert_eq(p.first_fragment, 1);
	o[40 + 2] = 0x01; /* offset 32 */
	cr_assert_eq(pkt_parse(o, m, &p), PKT_FRAGMENT);
}

Test(pkt, ipv6_other_and_truncated)
{
	uint8_t b[INJECT_MAX];
	struct pkt p;
	size_t n = tcp6(b, "abc");

	cr_assert_eq(pkt_parse(b, 39, &p), PKT_TRUNCATED);
	cr_assert_eq(pkt_parse(b, n - 1, &p), PKT_TRUNCATED);
	b[6] = 59; /* no next header */
	cr_assert_eq(pkt_parse(b, n, &p), PKT_OTHER_PROTO);
	b[6] = IPPROTO_TCP;
	b[40 + 12] = 0x40; /* data offset 16 bytes */
	cr_assert_eq(pkt_parse(b, n, &p), PKT_MALFORMED);
	b[40 + 12] = 0xf0; /* 60 bytes: past the segment */
	cr_assert_eq(pkt_parse(b, n, &p), PKT_TRUNCATED);
}

Test(pkt, builders_refuse_small_buffers)
{
	uint8_t b[64], pl[40] = {0};
	struct inj_tuple t = {.family = 4, .ttl = 1};
	cr_assert_eq(inject_build_udp(b, sizeof(b), &t, 0, pl, 40), 0);
	cr_assert_eq(inject_build_udp(b, sizeof(b), &t, 0, pl, 36), 64);
	t.family = 6;
	cr_assert_eq(inject_build_tcp(b, sizeof(b), &t, 0, 0, 0, 0, 0, NULL, 5), 0);
}

Test(pkt, udp_checksum_zero_sent_as_ffff)
{
	/* Whatever the payload, an all-zero UDP checksum must never be emitted. */
	uint8_t b[INJECT_MAX];
	for (unsigned v = 0; v < 65536; v += 7) {
		char pl[3] = {(char)(v >> 8), (char)v, 0};
		struct inj_tuple t = {.family = 4, .ttl = 64, .sport = 53, .dport = 1};
		size_t n = inject_build_udp(b, sizeof(b), &t, 0, (const uint8_t *)pl, 2);
		cr_assert(b[26] != 0 || b[27] != 0);
		cr_assert_eq(n, 30);
	}
}

/* RFC 1071, section 3: the sum of 00 01 f2 03 f4 f5 f6 f7 folds to ddf2, sent inverted. */
Test(pkt, csum_rfc1071)
{
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	cr_assert_eq(inet_csum(b, sizeof(b), 0), (uint16_t)~0xddf2);
	/* An odd length pads with a zero byte. */
	cr_assert_eq(inet_csum(b, 7, 0), (uint16_t) ~(0xddf2 - 0xf7));
}

static size_t
unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; s[0] && s[1]; s += 2) {
		unsigned v;
		cr_assert_eq(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* TCP segments whose checksums another implementation (scapy) computed: d74d, 46e8. */
static const char tcp4_hex[] = "450000340001000040068e50c000020ac63364359c4001bb000003e8000007d0"
			       "50180200d74d000068656c6c6f2c20776f726c64";
static const char tcp6_hex[] = "600000000021064020010db800000001000000000000001020010db800000002"
			       "00000000000000539c4001bb000003e8000007d05018020046e80000"
			       "68656c6c6f2c20776f726c6421";

Test(pkt, tcp_csum_vectors)
{
	const char *vec[] = {tcp4_hex, tcp6_hex};
	size_t at[] = {20 + 16, 40 + 16};
	for (int i = 0; i < 2; i++) {
		uint8_t b[128];
		struct pkt p;
		size_t n = unhex(vec[i], b);
		cr_assert_eq(pkt_parse(b, n, &p), PKT_OK);
		cr_assert_eq(p.proto, IPPROTO_TCP);
		cr_assert_eq(pkt_tcp_csum_ok(&p), 1, "vector %d", i);
		/* A bit flipped anywhere the sum covers: in the sum, the payload, an address. */
		size_t flip[] = {at[i], n - 1, i ? 8 : 12};
		for (size_t k = 0; k < 3; k++) {
			b[flip[k]] ^= 0x10;
			cr_assert_eq(pkt_parse(b, n, &p), PKT_OK);
			cr_assert_eq(pkt_tcp_csum_ok(&p), 0, "vector %d, byte %zu", i, flip[k]);
			b[flip[k]] ^= 0x10;
		}
	}
}

/* What the sum cannot be checked on is taken as right: a first fragment, a routed IPv6 packet. */
Test(pkt, tcp_csum_unknowable)
{
	uint8_t b[128];
	struct pkt p;
	size_t n = unhex(tcp4_hex, b);
	b[6] = 0x20; /* more fragments */
	b[36] ^= 1;
	cr_assert_eq(pkt_parse(b, n, &p), PKT_OK);
	cr_assert_eq(p.first_fragment, 1);
	cr_assert_eq(pkt_tcp_csum_ok(&p), 1);

	/* IPv6 with a Routing header (segments left 1) in front of TCP, the sum unchanged. */
	uint8_t r[160];
	n = unhex(tcp6_hex, b);
	memcpy(r, b, 40);
	r[6] = IPPROTO_ROUTING;
	r[5] = (uint8_t)(b[5] + 8);
	const uint8_t rh[8] = {IPPROTO_TCP, 0, 4, 1};
	memcpy(r + 40, rh, 8);
	memcpy(r + 48, b + 40, n - 40);
	cr_assert_eq(pkt_parse(r, n + 8, &p), PKT_OK);
	cr_assert_eq(p.routed, 1);
	cr_assert_eq(pkt_tcp_csum_ok(&p), 1);
	r[43] = 0; /* segments left 0: the destination is the last one, and the sum is right */
	cr_assert_eq(pkt_parse(r, n + 8, &p), PKT_OK);
	cr_assert_eq(p.routed, 0);
	cr_assert_eq(pkt_tcp_csum_ok(&p), 1);
	r[48 + 16] ^= 1;
	cr_assert_eq(pkt_parse(r, n + 8, &p), PKT_OK);
	cr_assert_eq(pkt_tcp_csum_ok(&p), 0);
}

/* Hop-by-Hop Options only right after the IPv6 header, as Linux takes them; never twice. */
Test(pkt, ipv6_hop_by_hop_first_only)
{
	uint8_t b[INJECT_MAX], o1[INJECT_MAX], o2[INJECT_MAX];
	struct pkt p;
	size_t n = tcp6(b, "abc");

	size_t n1 = with_ext(o1, b, n, IPPROTO_HOPOPTS, 8);
	cr_assert_eq(pkt_parse(o1, n1, &p), PKT_OK);
	/* Two of them: the second is not first. */
	size_t n2 = with_ext(o2, o1, n1, IPPROTO_HOPOPTS, 8);
	cr_assert_eq(pkt_parse(o2, n2, &p), PKT_MALFORMED);
	/* One behind Destination Options. */
	n1 = with_ext(o1, b, n, IPPROTO_HOPOPTS, 8);
	n2 = with_ext(o2, o1, n1, IPPROTO_DSTOPTS, 8);
	cr_assert_eq(pkt_parse(o2, n2, &p), PKT_MALFORMED);
}

/* tcp6() with opts (a multiple of 4 bytes) after the TCP header. */
static size_t
tcp6_opts(uint8_t *o, const uint8_t *opts, size_t olen)
{
	uint8_t b[INJECT_MAX];
	size_t n = tcp6(b, "abc");

	memcpy(o, b, 60);
	memcpy(o + 60, opts, olen);
	memcpy(o + 60 + olen, b + 60, n - 60);
	o[52] = (uint8_t)((20 + olen) / 4 << 4);
	size_t pl = n - 40 + olen;
	o[4] = (uint8_t)(pl >> 8);
	o[5] = (uint8_t)pl;
	return n + olen;
}

Test(pkt, tcp_options_read)
{
	uint8_t o[INJECT_MAX];
	struct pkt p;
	const uint8_t ts[] = {1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0};
	const uint8_t md5[20] = {19, 18};
	const uint8_t ao[8] = {1, 1, 29, 6, 1, 2, 3, 4};
	const uint8_t bad[4] = {1, 8, 4, 0};   /* SACK-permitted claiming 4 bytes: runs past */
	const uint8_t zero[4] = {2, 0, 0, 0};  /* a length below 2 */
	const uint8_t eol[8] = {0, 19, 18, 0}; /* after the end of options: not read */

	size_t n = tcp6_opts(o, ts, sizeof(ts));
	cr_assert_eq(pkt_parse(o, n, &p), PKT_OK);
	cr_assert_eq(p.tcp_opts, PKT_OPT_TS);
	cr_assert_eq(p.tsval, 0x11223344);
	cr_assert_eq(p.paylen, 3);
	cr_assert_eq(memcmp(p.payload, "abc", 3), 0);
	n = tcp6_opts(o, md5, sizeof(md5));
	cr_assert_eq(pkt_parse(o, n, &p), PKT_OK);
	cr_assert_eq(p.tcp_opts, PKT_OPT_MD5);
	n = tcp6_opts(o, ao, sizeof(ao));
	cr_assert_eq(pkt_parse(o, n, &p), PKT_OK);
	cr_assert_eq(p.tcp_opts, PKT_OPT_AO);
	n = tcp6_opts(o, bad, sizeof(bad));
	cr_assert_eq(pkt_parse(o, n, &p), PKT_OK);
	cr_assert_eq(p.tcp_opts, PKT_OPT_BAD);
	n = tcp6_opts(o, zero, sizeof(zero));
	cr_assert_eq(pkt_parse(o, n, &p), PKT_OK);
	cr_assert_eq(p.tcp_opts, PKT_OPT_BAD);
	n = tcp6_opts(o, eol, sizeof(eol));
	cr_assert_eq(pkt_parse(o, n, &p), PKT_OK);
	cr_assert_eq(p.tcp_opts, 0);
}

/* The layouts read without the walk give what the walk gives; one byte off, the walk reads them. */
Test(pkt, tcp_options_common_layouts)
{
	uint8_t o[INJECT_MAX];
	struct pkt p;
	/* Linux's SYN: MSS, SACK permitted, timestamp, NOP, window scale. */
	uint8_t syn[20] = {
	    2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0xa1, 0xb2, 0xc3, 0xd4, 0, 0, 0, 0, 1, 3, 3, 7};
	/* The same with the window scale's length wrong: runs past the header. */
	uint8_t syn_bad[20];
	/* MSS, SACK permitted, an MD5 signature's kind where the timestamp was: not the layout. */
	uint8_t syn_md5[20] = {2, 4, 0x05, 0xb4, 4, 2, 19, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
	const uint8_t ts_eol[12] = {1, 0, 8, 10, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0};

	size_t n = tcp6_opts(o, syn, sizeof(syn));
	cr_assert_eq(pkt_parse(o, n, &p), PKT_OK);
	cr_assert_eq(p.tcp_opts, PKT_OPT_TS);
	cr_assert_eq(p.tsval, 0xa1b2c3d4);
	memcpy(syn_bad, syn, sizeof(syn));
	syn_bad[18] = 4;
	n = tcp6_opts(o, syn_bad, sizeof(syn_bad));
	cr_assert_eq(pkt_parse(o, n, &p), PKT_OK);
	cr_assert_eq(p.tcp_opts, PKT_OPT_TS | PKT_OPT_BAD);
	n = tcp6_opts(o, syn_md5, sizeof(syn_md5));
	cr_assert_eq(pkt_parse(o, n, &p), PKT_OK);
	cr_assert_eq(p.tcp_opts, PKT_OPT_MD5);
	/* NOP, end of options: the timestamp after it is not read. */
	n = tcp6_opts(o, ts_eol, sizeof(ts_eol));
	cr_assert_eq(pkt_parse(o, n, &p), PKT_OK);
	cr_assert_eq(p.tcp_opts, 0);
}

Test(pkt, tcp_urgent_pointer)
{
	uint8_t b[INJECT_MAX];
	struct pkt p;
	size_t n = tcp6(b, "abc");

	b[40 + 13] |= PKT_TCP_URG;
	b[40 + 18] = 0x01;
	b[40 + 19] = 0x02;
	cr_assert_eq(pkt_parse(b, n, &p), PKT_OK);
	cr_assert(p.tcp_flags & PKT_TCP_URG);
	cr_assert_eq(p.urg_ptr, 0x0102);
}

/* A reset from the template is byte for byte the segment inject_build_tcp() builds, both ways. */
Test(pkt, rst_template_matches_build)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 4000; i++) {
		uint8_t a[16], b[16], t1[INJECT_MAX], t2[60];
		for (int j = 0; j < 16; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			a[j] = (uint8_t)x;
			b[j] = (uint8_t)(x >> 8);
		}
		/* Extremes as well: all zeros and all ones. */
		if (i == 1)
			memset(a, 0, 16), memset(b, 0, 16);
		if (i == 2)
			memset(a, 0xff, 16), memset(b, 0xff, 16);
		uint8_t fam = i & 1 ? 6 : 4, ttl = (uint8_t)(x >> 16);
		uint16_t cp = (uint16_t)(x >> 24), sp = (uint16_t)(x >> 40),
			 id = (uint16_t)(x >> 3);
		uint32_t seq = (uint32_t)(x >> 11), ack = (uint32_t)(x >> 29);
		if (i == 2)
			cp = sp = id = 0xffff, seq = ack = 0xffffffff, ttl = 0xff;
		struct inj_rst r;
		inject_rst_init(&r, fam, ttl, a, cp, b, sp);
		for (int to_client = 0; to_client < 2; to_client++) {
			struct inj_tuple t = {.family = fam, .ttl = ttl};
			memcpy(t.src, to_client ? b : a, 16);
			memcpy(t.dst, to_client ? a : b, 16);
			t.sport = to_client ? sp : cp;
			t.dport = to_client ? cp : sp;
			size_t n1 = inject_build_tcp(t1, sizeof(t1), &t, id, seq, ack,
			    PKT_TCP_RST | PKT_TCP_ACK, 0, NULL, 0);
			size_t n2 = inject_build_rst(t2, sizeof(t2), &r, to_client, id, seq, ack);
			cr_assert_eq(n1, n2);
			cr_assert_eq(memcmp(t1, t2, n1), 0,
			    "reset %d (IPv%d, to_client %d) differs", i, fam, to_client);
		}
	}
	struct inj_rst r;
	uint8_t z[16] = {0}, o[59];
	inject_rst_init(&r, 6, 64, z, 1, z, 2);
	cr_assert_eq(inject_build_rst(o, sizeof(o), &r, 1, 0, 0, 0), 0);
	cr_assert_eq(
	    inject_build_rst(o, 40, (inject_rst_init(&r, 4, 64, z, 1, z, 2), &r), 1, 0, 0, 0), 40);
}
