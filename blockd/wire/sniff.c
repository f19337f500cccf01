/* A flow's first bytes: which reader blockd gives it (TLS, HTTP/1, QUIC), whatever its port. */
#include "http.h"
#include "quic.h"
#include "sniff.h"

/* A TLS record header (wire/tls.c: types change_cipher_spec to heartbeat, version 3.x). */
static int
tls_record(const uint8_t *b, size_t len)
{
	if (b[0] < 0x14 || b[0] > 0x18)
		return SNIFF_NONE;
	if (len < 2)
		return SNIFF_MORE;
	return b[1] == 3 ? SNIFF_TLS : SNIFF_NONE;
}

/* An SSLv2-format ClientHello (wire/tls.c): length with the high bit, type 1, version 3.x. */
static int
sslv2_hello(const uint8_t *b, size_t len)
{
	if ((b[0] & 0x80) == 0)
		return SNIFF_NONE;
	if (len >= 3 && b[2] != 1)
		return SNIFF_NONE;
	if (len < 4)
		return SNIFF_MORE;
	return b[3] == 3 ? SNIFF_TLS : SNIFF_NONE;
}

/*
 * A request line's start: empty lines, a method token, a blank (wire/http.c).
 * Out of line: its loop would cost the TLS record's test a frame of saved
 * registers.
 */
static __attribute__((noinline)) int
http_start(const uint8_t *b, size_t len)
{
	size_t i = 0, start;

	while (i < len && (b[i] == '\r' || b[i] == '\n'))
		i++;
	start = i;
	for (; i < len; i++) {
		if (b[i] == ' ' || b[i] == '\t')
			return i > start ? SNIFF_HTTP : SNIFF_NONE;
		if (!http_tchar(b[i]) || i - start >= HTTP_METHOD_MAX)
			return SNIFF_NONE;
	}
	return SNIFF_MORE;
}

/* sniff_tcp() of at least one byte, what a strict prefix can still be in *maybe. */
static inline int
sniff(const uint8_t *buf, size_t len, int *maybe)
{
	int r, kind = SNIFF_TLS;

	if (buf[0] & 0x80) {
		r = sslv2_hello(buf, len);
	} else if (buf[0] >= 0x14 && buf[0] <= 0x18) {
		r = tls_record(buf, len);
	} else {
		r = http_start(buf, len);
		kind = SNIFF_HTTP;
	}
	*maybe = r == SNIFF_MORE ? kind : SNIFF_NONE;
	return r;
}

int
sniff_tcp(const uint8_t *buf, size_t len, int *maybe)
{
	if (len == 0) {
		*maybe = SNIFF_NONE;
		return SNIFF_MORE;
	}
	return sniff(buf, len, maybe);
}

int
sniff_tcp_kind(const uint8_t *buf, size_t len)
{
	int maybe;

	if (len == 0)
		return SNIFF_NONE;
	int r = sniff(buf, len, &maybe);
	return r == SNIFF_MORE ? maybe : r;
}

int
sniff_udp(const uint8_t *buf, size_t len)
{
	if (len < 5 || (buf[0] & 0x80) == 0)
		return SNIFF_NONE;
	uint32_t v =
	    (uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 | buf[4];
	return v == QUIC_V1 || v == QUIC_V2 ? SNIFF_QUIC : SNIFF_NONE;
}
