/* TLS ClientHello parser: the server name (SNI) and ECH from the start of a client's stream. */
#ifndef BLOCKD_TLS_H
#define BLOCKD_TLS_H

#include <stddef.h>
#include <stdint.h>

#define TLS_SNI_MAX 253 /* longest name accepted, without a trailing dot */

enum tls_result {
	TLS_NEED_MORE = 0, /* a prefix of a ClientHello; need says how much is wanted */
	TLS_SNI,           /* a whole ClientHello with a valid host_name: sni */
	TLS_NO_SNI,        /* a whole ClientHello without server_name */
	TLS_ECH,           /* encrypted_client_hello present; sni is the outer name if has_sni */
	TLS_NOT_TLS,       /* not a TLS handshake record carrying a ClientHello */
	TLS_MALFORMED,     /* looked like TLS but breaks the format; why says how */
};

/*
 * About TLS_ECH: Chrome and Firefox send an encrypted_client_hello
 * extension on every connection, a GREASE one (random bytes, true name
 * as the outer SNI) when they have no ECH config for the server, and it
 * cannot be told apart from real ECH (where the outer SNI is the
 * client-facing server's public name). So TLS_ECH with has_sni is the
 * everyday result for those browsers: match sni as for TLS_SNI, and treat
 * "ECH present" as a fact to count, not as "name hidden". Checked against
 * a captured Chrome hello (X25519MLKEM768 key share, GREASE ECH, 2061
 * bytes): TLS_ECH, sni as sent.
 */

/* tls_parse_*() flags */
#define TLS_PARTIAL_OK 0x1 /* no more bytes will come (buffer full): report what was seen */

/*
 * What the parser found. sni is lowercased, without a trailing dot,
 * NUL-terminated, and only ever holds letters, digits, '-' and '.', in
 * labels of 1 to 63 bytes. need (TLS_NEED_MORE only) is the total number of
 * stream bytes wanted before calling again: exact when the hello fits one
 * record, a lower bound otherwise; 0 when not yet known.
 */
struct tls_hello {
	char sni[TLS_SNI_MAX + 1];
	size_t sni_len;
	size_t need;
	size_t hello_len;        /* handshake message length incl. its 4-byte header */
	uint16_t legacy_version; /* ClientHello.legacy_version */
	uint16_t nrecords;       /* TLS records the hello spanned */
	uint8_t has_sni;
	uint8_t ech;       /* encrypted_client_hello (0xfe0d) present */
	uint8_t truncated; /* TLS_PARTIAL_OK result from an incomplete hello */
	const char *why;   /* TLS_MALFORMED / TLS_NOT_TLS: static text */
};

/*
 * tls_parse_client_hello(): buf holds the first len bytes of a TCP client's
 * stream (records). Handles a hello fragmented over several records of
 * any sizes. Reads only buf[0..len); never allocates (defragmenting uses
 * about 16 KiB of stack). Returns an enum tls_result and fills *out.
 *
 * With TLS_PARTIAL_OK and an incomplete hello, a server_name already seen
 * is reported (TLS_SNI or TLS_ECH, truncated set) instead of NEED_MORE, so
 * a hello padded past the reassembly buffer cannot hide its name; without
 * one the result is TLS_NEED_MORE still and the caller applies its no-SNI
 * policy. A hello with more than 16 KiB of handshake bytes is always
 * parsed that way.
 *
 * Validation: a server_name list must hold exactly one host_name; the
 * name must be 1..253 bytes (one trailing dot allowed and removed) of LDH
 * labels with dots, no NUL or other bytes; a repeated extension type is
 * malformed (RFC 8446 4.2), as are zero-length records and non-handshake
 * records before the hello ends.
 */
int tls_parse_client_hello(const uint8_t *buf, size_t len, int flags, struct tls_hello *out);

/*
 * tls_parse_handshake(): the same for a bare handshake stream without
 * records (the QUIC CRYPTO stream): buf starts with the ClientHello's
 * 4-byte handshake header.
 */
int tls_parse_handshake(const uint8_t *buf, size_t len, int flags, struct tls_hello *out);

/* tls_result_name(): "need-more", "sni", ... for logs and tests. */
const char *tls_result_name(int);

#endif
