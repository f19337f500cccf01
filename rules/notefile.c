/* Note key files of blockrules log and blockd-witness: a key pair made and written, a key read. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "fileio.h"
#include "notefile.h"

int
notefile_keygen(const char *opt, const char *name, uint8_t alg, const char *sec, const char *pub,
    int force, struct note_signer *k, char *pubtext, size_t pubsz, char *err, size_t errsz)
{
	char why[256], text[1024];
	uint8_t seed[32];
	int r = EXIT_SYSTEM;

	if (!force && (access(sec, F_OK) == 0 || access(pub, F_OK) == 0)) {
		snprintf(
		    err, errsz, "%s or %s exists: not overwriting it (-f to replace)", sec, pub);
		return EXIT_USAGE;
	}
	if (RAND_bytes(seed, sizeof seed) != 1) {
		snprintf(err, errsz, "no randomness for a key");
		return EXIT_SYSTEM;
	}
	if (note_signer_make(name, alg, seed, k, why, sizeof why) != 0) {
		OPENSSL_cleanse(seed, sizeof seed);
		snprintf(err, errsz, "%s %s: %s", opt, name, why);
		return EXIT_USAGE;
	}
	OPENSSL_cleanse(seed, sizeof seed);
	note_signer_format(k, text, sizeof text - 1);
	strcat(text, "\n");
	if (file_write_atomic(sec, text, strlen(text), 0600, err, errsz) != 0)
		goto out;
	note_key_format(&k->pub, pubtext, pubsz - 1);
	strcat(pubtext, "\n");
	if (file_write_atomic(pub, pubtext, strlen(pubtext), 0644, err, errsz) != 0)
		goto out;
	r = EXIT_OK;
out:
	OPENSSL_cleanse(text, sizeof text);
	return r;
}

/* The key text at path, parsed by one of note.h's parsers into out. */
static int
read_parse(const char *path, int secret, void *out, char *err, size_t errsz)
{
	char why[256], *buf;
	size_t len;
	int r;

	if (file_read_capped(path, NOTE_KEY_MAX, &buf, &len, err, errsz) != 0)
		return EXIT_SYSTEM;
	r = secret ? note_signer_parse(buf, len, out, why, sizeof why)
		   : note_key_parse(buf, len, out, why, sizeof why);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (r != 0) {
		snprintf(err, errsz, "%s: %s", path, why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int
notefile_read_key(const char *path, struct note_key *k, char *err, size_t errsz)
{
	return read_parse(path, 0, k, err, errsz);
}

int
notefile_read_signer(const char *path, struct note_signer *k, char *err, size_t errsz)
{
	return read_parse(path, 1, k, err, errsz);
}
