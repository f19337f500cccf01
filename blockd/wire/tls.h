/* TLS ClientHello parser: the server name (SNI) and ECH from the start of a client's stream. */
#ifndef BLOCKD_TLS_H
#define BLOCKD_TLS_H

#include <stddef.h>
#include <stdint.h>

#define TLS_SNI_MAX          253  /* longest name blockd matches, without a trailing dot */
#define TLS_NAME_RAW         255  /* longest host_name OpenSSL accepts (TLSEXT_MAXLEN_host_name) */
#define TLS_SNI_PAD          8    /* bytes after sni's NUL that a reader of whole words may read */
#define TLS_RECORD_HANDSHAKE 0x16 /* a handshake record's type (RFC 8446 5.1) */

enum tls_result {
	TLS_NEED_MORE = 0, /* a prefix of a ClientHello; need says how much is wanted */
	TLS_SNI,           /* a whole ClientHello with a valid host_name: sni */
	TLS_NO_SNI,        /* a whole ClientHello without server_name */
	TLS_ECH,           /* encrypted_client_hello present; sni is the outer name if has_sni */
	TLS_NOT_TLS,       /* not a TLS handshake record carrying a ClientHello */
	TLS_MALFORMED,     /* looked like TLS but breaks the format; why says how */
	TLS_HELLO_DONE,    /* tls_parse_retry(): no second ClientHello will come; why says why */
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
 * What the parser found. The host_name is read as the server reads it:
 * OpenSSL takes any bytes but NUL, up to 255; nginx then cuts a ":port",
 * drops one trailing dot, lowercases, and takes a name with a space, a
 * control, '/' or an empty label for no name (its default server answers).
 * When the result is a name blockd can match (labels of 1 to 63 letters,
 * digits, '-' or '_', at most 253 bytes), has_sni is set and sni holds it,
 * NUL-terminated, lowercase, without a trailing dot, with where each label
 * starts in lab (nlab of them): the form match_domain_labels() takes.
 * Otherwise odd_name is set, has_sni is not (the result is
 * TLS_NO_SNI, or TLS_ECH), and sni holds the longest run of whole labels at
 * the name's right that blockd can match, "" if none: a blocked name there
 * is still blocked. An empty host_name is no name. need (TLS_NEED_MORE
 * only) is the total number of stream bytes wanted before calling again:
 * exact when the hello fits one record, a lower bound otherwise; 0 when not
 * yet known.
 */
struct tls_hello {
	size_t sni_len;
	size_t need;
	size_t hello_len;        /* handshake message length incl. its 4-byte header */
	uint16_t legacy_version; /* ClientHello.legacy_version */
	uint16_t nrecords;       /* TLS records the hello spanned */
	uint8_t has_sni;
	uint8_t ech;        /* encrypted_client_hello (0xfe0d) present */
	uint8_t truncated;  /* TLS_PARTIAL_OK result from an incomplete hello */
	uint8_t odd_name;   /* a host_name blockd cannot match whole (see above) */
	uint8_t tls13;      /* supported_versions offers TLS 1.3: a second hello may follow */
	uint8_t early_data; /* early_data offered: encrypted records may follow the hello */
	uint8_t sslv2;      /* an SSLv2-format hello (TLS_NO_SNI: it has no extensions) */
	uint16_t skipped;   /* records skipped: empty, alerts, change_cipher_spec ... */
	size_t end;         /* stream bytes to the end of the record the hello ends in */
	const char *why;    /* TLS_MALFORMED / TLS_NOT_TLS / TLS_HELLO_DONE: static text */
	uint8_t nlab;       /* has_sni: sni's labels, each starting at lab[i] (lab[0] = 0) */
	/* Last, and cleared no further than their first byte: the name and its labels. */
	char sni[TLS_SNI_MAX + 1 + TLS_SNI_PAD];
	uint8_t lab[TLS_SNI_MAX / 2 + 1];
};

/*
 * tls_parse_client_hello(): buf holds the first len bytes of a TCP client's
 * stream (records). Handles a hello fragmented over several records of
 * any sizes. Reads only buf[0..len); never allocates (defragmenting uses
 * about 64 KiB of stack). Returns an enum tls_result and fills *out.
 *
 * With TLS_PARTIAL_OK and an incomplete hello, a server_name already seen
 * is reported (TLS_SNI or TLS_ECH, truncated set) instead of NEED_MORE, so
 * a hello padded past the reassembly buffer cannot hide its name; without
 * one the result is TLS_NEED_MORE still and the caller applies its no-SNI
 * policy. A hello with more than 64 KiB of handshake bytes is always
 * parsed that way.
 *
 * Records are read as OpenSSL 3.0's record layer reads them: empty
 * handshake records are skipped, and so are records of the other types
 * (OpenSSL reads past warning alerts and gives up on the rest, so reading
 * past them never reads a hello the server does not). An SSLv2-format hello
 * is TLS_NO_SNI. Malformed, as OpenSSL refuses them too: a server_name list
 * with more than one host_name (OpenSSL requires the name to fill it), a
 * name with a NUL or longer than 255 bytes, a repeated extension type, a
 * record longer than 2^14 bytes or of a version other than 3.x.
 */
int tls_parse_client_hello(const uint8_t *buf, size_t len, int flags, struct tls_hello *out);

/*
 * tls_parse_handshake(): the same for a bare handshake stream without
 * records (the QUIC CRYPTO stream): buf starts with the ClientHello's
 * 4-byte handshake header.
 */
int tls_parse_handshake(const uint8_t *buf, size_t len, int flags, struct tls_hello *out);

/*
 * tls_parse_retry(): after a first hello read whole by
 * tls_parse_client_hello() from the same stream (first), is there a second
 * ClientHello, the answer to a HelloRetryRequest (RFC 8446 4.1.4)? The
 * server's reply is not seen, so the client's next records tell: skipping
 * change_cipher_spec, empty and alert records (and, if first offered early
 * data, application data), a handshake record holds the second hello, read
 * as tls_parse_client_hello() reads one (its end and need count from the
 * start of buf); an encrypted record or another handshake message means no
 * second hello will come: TLS_HELLO_DONE, as for a first hello that did not
 * offer TLS 1.3. TLS_NEED_MORE until one of these is seen. The records are
 * read from first->end on: 0 when buf starts right after the first hello
 * (a stream whose window moved past it). A first hello not read to its end
 * (truncated) has no end to read from: TLS_HELLO_DONE.
 */
int tls_parse_retry(const uint8_t *buf, size_t len, const struct tls_hello *first, int flags,
    struct tls_hello *out);

/*
 * tls_skip_records(): the records of buf[off..len) that may come between a
 * first hello and a second, as tls_parse_retry() walks them: NULL, with *at
 * the offset of the first handshake record that has bytes, or of the first
 * record header not whole in buf (*at + 5 > len: more is wanted); or, when
 * they show that no second hello comes, why (a byte that starts no TLS
 * record; an encrypted record where the first hello offered no early data).
 * A record that goes on past len is stepped over. Pure.
 */
const char *tls_skip_records(
    const uint8_t *buf, size_t len, size_t off, int early_data, size_t *at);

/* tls_result_name(): "need-more", "sni", ... for logs and tests. */
const char *tls_result_name(int);

#endif
