/* Unit tests for sniff.c: which reader a flow's first bytes go to, however few of them came. */
#include <criterion/criterion.h>
#include <string.h>

#include "wire/sniff.h"

static int
tcp(const char *b, size_t n, int *maybe)
{
	return sniff_tcp((const uint8_t *)b, n, maybe);
}

#define TCP(s, m) tcp(s, sizeof(s) - 1, m)

Test(sniff, tls_record_and_its_first_bytes)
{
	int maybe;
	static const char hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";

	cr_assert_eq(TCP(hello, &maybe), SNIFF_TLS);
	/* A hello cut after its first byte is not called "none": it can only be TLS still. */
	cr_assert_eq(tcp(hello, 1, &maybe), SNIFF_MORE);
	cr_assert_eq(maybe, SNIFF_TLS);
	cr_assert_eq(tcp(hello, 2, &maybe), SNIFF_TLS);
	cr_assert_eq(TCP("\x16\x04\x01", &maybe), SNIFF_NONE);
	/* Other record types first, as the TLS reader (and OpenSSL) reads past them. */
	cr_assert_eq(TCP("\x15\x03\x03\x00\x02", &maybe), SNIFF_TLS);
	cr_assert_eq(TCP("\x14\x03\x03", &maybe), SNIFF_TLS);
	cr_assert_eq(TCP("\x19\x03\x03", &maybe), SNIFF_NONE);
	cr_assert_eq(TCP("\x13\x03\x03", &maybe), SNIFF_NONE);
}

Test(sniff, sslv2_hello)
{
	int maybe;
	static const char v2[] = "\x80\x2e\x01\x03\x01\x00\x15";

	cr_assert_eq(TCP(v2, &maybe), SNIFF_TLS);
	for (size_t n = 1; n < 4; n++) {
		cr_assert_eq(tcp(v2, n, &maybe), SNIFF_MORE, "cut after %zu bytes", n);
		cr_assert_eq(maybe, SNIFF_TLS);
	}
	cr_assert_eq(TCP("\x80\x2e\x02\x03", &maybe), SNIFF_NONE);
	cr_assert_eq(TCP("\x80\x2e\x01\x02", &maybe), SNIFF_NONE);
	cr_assert_eq(TCP("\xff\xff\xff\xff", &maybe), SNIFF_NONE);
}

Test(sniff, http_request_line)
{
	int maybe;
	static const char get[] = "GET / HTTP/1.1\r\nHost: blocked.example\r\n\r\n";

	cr_assert_eq(TCP(get, &maybe), SNIFF_HTTP);
	for (size_t n = 1; n < 4; n++) {
		cr_assert_eq(tcp(get, n, &maybe), SNIFF_MORE, "cut after %zu bytes", n);
		cr_assert_eq(maybe, SNIFF_HTTP);
	}
	cr_assert_eq(tcp(get, 4, &maybe), SNIFF_HTTP);
	cr_assert_eq(TCP("\r\n\r\nPOST /x HTTP/1.0", &maybe), SNIFF_HTTP);
	cr_assert_eq(TCP("\r\n", &maybe), SNIFF_MORE);
	cr_assert_eq(maybe, SNIFF_HTTP);
	cr_assert_eq(TCP("M-SEARCH\t*", &maybe), SNIFF_HTTP);
	/* A method is a token of at most 32 bytes, and comes first. */
	cr_assert_eq(TCP(" GET /", &maybe), SNIFF_NONE);
	cr_assert_eq(TCP("GE(T /", &maybe), SNIFF_NONE);
	cr_assert_eq(TCP("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG /", &maybe), SNIFF_NONE);
	cr_assert_eq(TCP("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF /", &maybe), SNIFF_HTTP);
	/* The HTTP/2 preface's method is PRI, which the HTTP reader reads and passes. */
	cr_assert_eq(TCP("PRI * HTTP/2.0\r\n", &maybe), SNIFF_HTTP);
}

Test(sniff, other_protocols_are_none)
{
	int maybe;

	cr_assert_eq(TCP("\x00\x00\x00\x2c", &maybe), SNIFF_NONE);
	cr_assert_eq(maybe, SNIFF_NONE);
	cr_assert_eq(TCP("\x05\x01\x00", &maybe), SNIFF_NONE); /* SOCKS5 */
	cr_assert_eq(TCP("\x17\x03\x03\x00\x20", &maybe), SNIFF_TLS);
	cr_assert_eq(tcp("", 0, &maybe), SNIFF_MORE);
	cr_assert_eq(maybe, SNIFF_NONE);
}

/* sniff_tcp_kind(): sniff_tcp()'s answer, a strict prefix's maybe, for every prefix of each start. */
Test(sniff, kind_is_the_result_or_what_a_prefix_can_be)
{
	static const char *const starts[] = {"\x16\x03\x01\x02\x00\x01", "\x80\x2e\x01\x03\x01",
	    "GET / HTTP/1.1\r\n", "\r\n\r\nPOST /x", "\x16\x04\x01", "\x80\x2e\x02\x03",
	    "\x00\x00\x00\x2c", "\x17\x03\x03\x00\x20", "G\x01T /"};

	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		for (size_t n = 0; n <= strlen(starts[i]); n++) {
			int maybe, r = tcp(starts[i], n, &maybe);
			cr_assert_eq(sniff_tcp_kind((const uint8_t *)starts[i], n),
			    r == SNIFF_MORE ? maybe : r, "start %zu cut after %zu bytes", i, n);
		}
	}
	cr_assert_eq(sniff_tcp_kind((const uint8_t *)"\x16", 1), SNIFF_TLS);
	cr_assert_eq(sniff_tcp_kind((const uint8_t *)"GE", 2), SNIFF_HTTP);
	cr_assert_eq(sniff_tcp_kind((const uint8_t *)"", 0), SNIFF_NONE);
}

Test(sniff, quic_long_header_v1_v2)
{
	static const uint8_t v1[] = {0xc3, 0, 0, 0, 1, 8};
	static const uint8_t v2[] = {0xd3, 0x6b, 0x33, 0x43, 0xcf, 8};
	static const uint8_t neg[] = {0xc0, 0, 0, 0, 0, 8};
	static const uint8_t draft[] = {0xc0, 0xff, 0, 0, 29, 8};
	static const uint8_t shorth[] = {0x43, 0, 0, 0, 1, 8};

	cr_assert_eq(sniff_udp(v1, sizeof(v1)), SNIFF_QUIC);
	cr_assert_eq(sniff_udp(v2, sizeof(v2)), SNIFF_QUIC);
	cr_assert_eq(sniff_udp(neg, sizeof(neg)), SNIFF_NONE);
	cr_assert_eq(sniff_udp(draft, sizeof(draft)), SNIFF_NONE);
	cr_assert_eq(sniff_udp(shorth, sizeof(shorth)), SNIFF_NONE);
	cr_assert_eq(sniff_udp(v1, 4), SNIFF_NONE);
	cr_assert_eq(sniff_udp(NULL, 0), SNIFF_NONE);
}
