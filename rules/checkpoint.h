/* Checkpoints (C2SP tlog-checkpoint), proof files (C2SP tlog-proof) and consistency proofs (tlog-witness). */
#ifndef BLOCKD_CHECKPOINT_H
#define BLOCKD_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

#define CHECKPOINT_ORIGIN_MAX 255
#define CHECKPOINT_EXT_MAX    1024 /* extension lines, in bytes */
#define TLOG_PROOF_HEADER     "c2sp.org/tlog-proof@v1"

/* A checkpoint's body: "ORIGIN\nSIZE\nBASE64(ROOT)\n" and extension lines. */
struct checkpoint {
	char origin[CHECKPOINT_ORIGIN_MAX + 1];
	uint64_t size;
	uint8_t root[MERKLE_HASH_SIZE];
	char ext[CHECKPOINT_EXT_MAX + 1]; /* the extension lines, each with its newline */
};

/*
 * checkpoint_parse(): a note's text (what note_parse() leaves in text) as a
 * checkpoint: an origin, a decimal size without leading zeros, a base64
 * root of 32 bytes, then non-empty extension lines. 0, or -1 with err.
 */
int checkpoint_parse(
    const char *text, size_t len, struct checkpoint *out, char *err, size_t errlen);

/* checkpoint_format(): the body text into buf. Its length, or -1 when it does not fit. */
int checkpoint_format(const struct checkpoint *c, char *buf, size_t bufsz);

/*
 * A proof file: "c2sp.org/tlog-proof@v1", an optional "extra BASE64" line,
 * "index N", the inclusion proof's hashes one a line in base64, a blank line,
 * then the checkpoint as a signed note (note points into the parsed buffer).
 */
struct tlog_proof {
	uint64_t index;
	uint8_t path[MERKLE_PROOF_MAX][MERKLE_HASH_SIZE];
	size_t npath;
	const char *extra; /* the extra line's base64, or NULL */
	size_t extralen;
	const char *note;
	size_t notelen;
};

/* tlog_proof_parse(): 0, or -1 with the line and reason in err. */
int tlog_proof_parse(const char *buf, size_t len, struct tlog_proof *out, char *err, size_t errlen);

/* tlog_proof_format(): the proof file for p with the signed checkpoint note. Malloc'd, or NULL. */
char *tlog_proof_format(const struct tlog_proof *p);

/*
 * A consistency proof as the tlog-witness protocol sends it: "old M", the
 * proof's hashes one a line in base64, then a blank line. Several may follow
 * one another (a proof file's companion carries one for each of several older
 * sizes); *used gets the bytes read, the blank line included.
 */
struct tlog_consistency {
	uint64_t old;
	uint8_t path[MERKLE_PROOF_MAX][MERKLE_HASH_SIZE];
	size_t npath;
};

int tlog_consistency_parse(const char *buf, size_t len, struct tlog_consistency *out, size_t *used,
    char *err, size_t errlen);

/* tlog_consistency_format(): into buf; its length, or -1 when it does not fit. */
int tlog_consistency_format(const struct tlog_consistency *c, char *buf, size_t bufsz);

/* A hash as base64 (44 characters and a NUL) and back (0 or -1). */
void tlog_hash_b64(const uint8_t h[MERKLE_HASH_SIZE], char out[45]);
int tlog_hash_parse(const char *s, size_t len, uint8_t h[MERKLE_HASH_SIZE]);

#endif
