/* Note key files of blockrules log and blockd-witness: a key pair made and written, a key read. */
#ifndef BLOCKD_NOTEFILE_H
#define BLOCKD_NOTEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "note.h"

/*
 * notefile_keygen(): a new signer *k named name with algorithm alg, its
 * secret key text written to sec (mode 0600) and its verifier key to pub
 * (0644), each atomically; existing files are replaced only if force. The
 * verifier key's text (with its newline) goes into pubtext. opt names the
 * option that gave the name, for the message. Returns EXIT_OK, EXIT_USAGE
 * (files exist, bad name) or EXIT_SYSTEM, the message in err naming the file
 * or option. The caller wipes *k when done with it.
 */
int notefile_keygen(const char *opt, const char *name, uint8_t alg, const char *sec,
    const char *pub, int force, struct note_signer *k, char *pubtext, size_t pubsz, char *err,
    size_t errsz);

/*
 * notefile_read_key(), notefile_read_signer(): the verifier or secret key in
 * the file at path. EXIT_OK, EXIT_SYSTEM (unreadable) or EXIT_FAIL (not such
 * a key), the message in err naming path. The secret key's text is wiped.
 */
int notefile_read_key(const char *path, struct note_key *, char *err, size_t errsz);
int notefile_read_signer(const char *path, struct note_signer *, char *err, size_t errsz);

#endif
