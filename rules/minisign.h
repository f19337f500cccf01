/* minisign's key and signature formats (Ed25519, prehashed "ED"), through OpenSSL libcrypto. */
#ifndef BLOCKD_MINISIGN_H
#define BLOCKD_MINISIGN_H

#include <stddef.h>
#include <stdint.h>

#define MINISIGN_KEYNUM_SIZE 8
#define MINISIGN_TRUSTED_MAX 8192  /* trusted comment, without "trusted comment: " */
#define MINISIGN_SIGFILE_MAX 16384 /* cap on a .minisig file, checked before reading */
#define MINISIGN_KEYFILE_MAX 4096  /* cap on a .pub or secret key file */

struct minisign_pubkey {
	uint8_t keynum[MINISIGN_KEYNUM_SIZE];
	uint8_t pk[32];
};

/* An unencrypted secret key: the Ed25519 seed and its public key. */
struct minisign_seckey {
	uint8_t keynum[MINISIGN_KEYNUM_SIZE];
	uint8_t seed[32];
	uint8_t pk[32];
};

struct minisign_sig {
	uint8_t keynum[MINISIGN_KEYNUM_SIZE];
	uint8_t sig[64];    /* Ed25519 over BLAKE2b-512 of the file */
	uint8_t global[64]; /* Ed25519 over sig || trusted comment */
	char trusted[MINISIGN_TRUSTED_MAX + 1];
};

/*
 * Parsers: bytes in (the whole file; a public key may also be the bare
 * base64 line, as minisign -P takes it), struct out. Return 0, or -1 with the
 * reason in err (no file name: the caller adds it).
 */
int minisign_pubkey_parse(
    const char *buf, size_t len, struct minisign_pubkey *out, char *err, size_t errlen);
int minisign_seckey_parse(
    const char *buf, size_t len, struct minisign_seckey *out, char *err, size_t errlen);
int minisign_sig_parse(
    const char *buf, size_t len, struct minisign_sig *out, char *err, size_t errlen);

/*
 * minisign_verify(): does sig, made by key, sign the file whose BLAKE2b-512 is
 * digest, and is its trusted comment authentic? 0 if both hold, or -1 with
 * the reason in err.
 */
int minisign_verify(const struct minisign_pubkey *key, const struct minisign_sig *sig,
    const uint8_t digest[64], char *err, size_t errlen);

/*
 * minisign_sign(): a signature file for the file whose BLAKE2b-512 is digest,
 * with the given comments (single lines). Returns a malloc'd NUL-terminated
 * file text, or NULL on failure.
 */
char *minisign_sign(const struct minisign_seckey *key, const uint8_t digest[64],
    const char *untrusted, const char *trusted);

/* minisign_keygen(): a fresh key pair from the system's random source. 0 or -1. */
int minisign_keygen(struct minisign_seckey *key);

/* The public half of a secret key. */
void minisign_seckey_public(const struct minisign_seckey *key, struct minisign_pubkey *pub);

/* File texts for keys, malloc'd and NUL-terminated, or NULL when out of memory. */
char *minisign_pubkey_format(const struct minisign_pubkey *key);
char *minisign_seckey_format(const struct minisign_seckey *key);

/* The key ID as minisign prints it: 16 uppercase hex digits (keynum read little-endian). */
void minisign_keyid(const uint8_t keynum[MINISIGN_KEYNUM_SIZE], char out[17]);

/* Strict standard base64 with padding. Returns the decoded length or -1. */
int minisign_b64_decode(const char *s, size_t len, uint8_t *out, size_t outmax);

/* Standard base64 with padding: malloc'd and NUL-terminated, or NULL when out of memory. */
char *minisign_b64_encode(const uint8_t *in, size_t n);

/*
 * Plain Ed25519 (RFC 8032), for the signed notes of rules/note.c too: sign msg
 * with the secret seed, verify a signature, derive the public key. 0 or -1.
 */
int minisign_ed25519_sign(const uint8_t seed[32], const void *msg, size_t len, uint8_t sig[64]);
int minisign_ed25519_verify(
    const uint8_t pk[32], const uint8_t sig[64], const void *msg, size_t len);
int minisign_ed25519_public(const uint8_t seed[32], uint8_t pk[32]);

#endif
