/* SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104) on the stack: for QUIC Initial key derivation. */
#ifndef BLOCKD_SHA256_H
#define BLOCKD_SHA256_H

#include <stddef.h>
#include <stdint.h>

/*
 * Used where the inputs are public (QUIC Initial secrets come from a
 * published salt and the packet's own DCID), so it makes no constant-time
 * claims; it exists because OpenSSL 3.0 allocates on every digest or MAC
 * re-initialisation and the packet path must not allocate. Pure; no
 * allocation; a context is a plain value.
 */
struct sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t block[64];
	size_t fill;
};

void sha256_init(struct sha256 *);
void sha256_update(struct sha256 *, const void *p, size_t n);
void sha256_final(struct sha256 *, uint8_t out[32]);

/* A key's padded inner and outer states, computed once for several MACs with it. */
struct hmac_sha256_key {
	struct sha256 inner, outer;
};

void hmac_sha256_key(struct hmac_sha256_key *, const uint8_t *key, size_t keylen);
/* hmac_sha256_with(): HMAC over a then b (b may be NULL with blen 0) with a prepared key. */
void hmac_sha256_with(const struct hmac_sha256_key *, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t out[32]);

/* hmac_sha256(): the same in one call; keys of any length. */
void hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t out[32]);

#endif
