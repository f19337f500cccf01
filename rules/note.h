/* Signed notes (C2SP signed-note) with Ed25519, and witness cosignatures (C2SP tlog-cosignature v1). */
#ifndef BLOCKD_NOTE_H
#define BLOCKD_NOTE_H

#include <stddef.h>
#include <stdint.h>

#define NOTE_NAME_MAX    255 /* a key name, in bytes */
#define NOTE_SIGS_MAX    100 /* signature lines in a note, as Go's note package allows */
#define NOTE_SIG_MAX     72  /* signature bytes after the key hash: a timestamp and Ed25519 */
#define NOTE_MAX         ((size_t)65536) /* a whole note, in bytes */
#define NOTE_KEY_MAX     512             /* a key's text */
#define NOTE_ALG_ED25519 0x01            /* a signer of notes (a log's checkpoints) */
#define NOTE_ALG_COSIG   0x04            /* a witness: cosignature/v1 */

/* A verifier key: "NAME+HASH+BASE64(alg || public key)". */
struct note_key {
	char name[NOTE_NAME_MAX + 1];
	uint32_t hash; /* SHA-256(name || "\n" || alg || key)[:4], big-endian */
	uint8_t alg;   /* NOTE_ALG_ED25519 or NOTE_ALG_COSIG */
	uint8_t pk[32];
};

/* A signer key: "PRIVATE+KEY+NAME+HASH+BASE64(alg || seed)". */
struct note_signer {
	struct note_key pub;
	uint8_t seed[32];
};

/* One signature line: "— NAME BASE64(hash || sig)". */
struct note_sig {
	char name[NOTE_NAME_MAX + 1];
	uint32_t hash;
	uint8_t sig[NOTE_SIG_MAX];
	size_t siglen;
};

/* A parsed note: text points into the parsed buffer (it ends with its newline). */
struct note {
	const char *text;
	size_t textlen;
	struct note_sig sigs[NOTE_SIGS_MAX];
	size_t nsigs;
};

/* note_name_ok(): a key name: non-empty UTF-8 without spaces, controls or '+'. */
int note_name_ok(const char *name, size_t len);

/* note_key_hash(): the key hash of a name, algorithm and public key. */
uint32_t note_key_hash(const char *name, uint8_t alg, const uint8_t pk[32]);

/*
 * Key texts: parse (0, or -1 with the reason, never the key bytes, in err),
 * and format into buf (0, or -1 when it does not fit). A key's hash must
 * match its name and key.
 */
int note_key_parse(const char *s, size_t len, struct note_key *out, char *err, size_t errlen);
int note_signer_parse(const char *s, size_t len, struct note_signer *out, char *err, size_t errlen);
int note_key_format(const struct note_key *k, char *buf, size_t bufsz);
int note_signer_format(const struct note_signer *k, char *buf, size_t bufsz);

/* note_signer_make(): a signer from a name, algorithm and seed. 0 or -1 with err. */
int note_signer_make(const char *name, uint8_t alg, const uint8_t seed[32], struct note_signer *out,
    char *err, size_t errlen);

/*
 * note_parse(): a signed note: text lines, a blank line, one or more signature
 * lines, each ending with a newline; UTF-8 with no control characters but
 * newlines. out->text points into buf. 0, or -1 with the reason in err.
 */
int note_parse(const char *buf, size_t len, struct note *out, char *err, size_t errlen);

/*
 * note_verify(): the signature of key on n. An Ed25519 key signs the text; a
 * cosignature key signs "cosignature/v1\ntime T\n" then the text, and *when
 * gets T. 1 when a line of key's name and hash verifies, 0 when there is none,
 * -1 when one is there and does not verify (err says so).
 */
int note_verify(
    const struct note *n, const struct note_key *key, uint64_t *when, char *err, size_t errlen);

/*
 * note_sign_line(): the signature line of signer over text (which ends with a
 * newline); a cosignature key stamps it with when. Written into line with its
 * newline; 0, or -1 when it does not fit or signing failed.
 */
int note_sign_line(const struct note_signer *signer, const char *text, size_t textlen,
    uint64_t when, char *line, size_t linesz);

#endif
