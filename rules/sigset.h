/* Trusted keys and a list's signatures: a threshold of distinct trusted keys must sign. */
#ifndef BLOCKD_SIGSET_H
#define BLOCKD_SIGSET_H

#include <stddef.h>
#include <stdint.h>

#include "minisign.h"

#define SIGSET_MAX 16 /* signature files per list: LIST.minisig, LIST.minisig.2 .. .16 */

struct keyring {
	struct minisign_pubkey *keys;
	char **files; /* where each key came from */
	size_t *same; /* index of the first key with the same 32 public key bytes (often itself) */
	size_t n;
};

/*
 * keyring_load(): every "*.pub" file in dir (minisign public keys). The same
 * key ID and key in two files is kept once; two different keys with one key
 * ID are an error. One Ed25519 key under two key IDs is kept twice but is one
 * signer (same[]): distinctness is by key material, never by key ID. Returns
 * 0 and *out (free with keyring_free()), or -1 with the file and reason in
 * err. An empty directory is an error.
 */
int keyring_load(const char *dir, struct keyring **out, char *err, size_t errlen);
void keyring_free(struct keyring *);

/* sigset_path(): the i-th signature file of list (i from 1): LIST.minisig, LIST.minisig.I. */
int sigset_path(const char *list, int i, char *buf, size_t bufsz);

/* Signature files read for a list. */
struct sigset {
	char *text[SIGSET_MAX]; /* file contents, malloc'd */
	size_t len[SIGSET_MAX];
	int index[SIGSET_MAX]; /* i of sigset_path() */
	size_t n;
};

/*
 * sigset_read(): every signature file of list that exists (each capped at
 * MINISIGN_SIGFILE_MAX before reading). 0 (possibly with n == 0), or -1 with err.
 */
int sigset_read(const char *list, struct sigset *out, char *err, size_t errlen);
void sigset_free(struct sigset *);

/*
 * sigset_verify(): pure. Counts the distinct trusted keys whose signatures in
 * set verify against digest (BLAKE2b-512 of the list). A key that signed
 * twice counts once, also under two key IDs (notes then name both files). *valid gets the count; notes gets one line per
 * signature saying what became of it ("LIST.minisig: good, key ID ..." or why
 * not). Returns 0 if *valid >= threshold, else -1.
 */
int sigset_verify(const struct keyring *keys, const struct sigset *set, const char *list,
    const uint8_t digest[64], unsigned threshold, unsigned *valid, char *notes, size_t noteslen);

#endif
