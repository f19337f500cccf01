/*
 * Fuzzes minisign signature and key parsing and verification: the input is a
 * signature file, a NUL, then the signed file; the signature is checked against
 * a fixed trusted key, alone and through sigset_verify().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "minisign.h"
#include "rulefmt.h"
#include "sigset.h"

/* tests/data/rules/minisign.pub: the key that signed the seed corpus's list. */
static const char trusted_pub[] = "untrusted comment: minisign public key E81BF78148966A59\n"
				  "RWRZapZIgfcb6HzYx//u6ygDGPaWYMDq+OLbd0XCr5SIDv3MopvPRiy/\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct minisign_pubkey trusted;
	static int ready;
	struct minisign_pubkey pub;
	struct minisign_seckey sec;
	struct minisign_sig *sig;
	struct keyring ring;
	struct sigset set;
	char *files[1] = {"trusted.pub"};
	size_t same[1] = {0};
	const uint8_t *sigtext, *body;
	size_t siglen, bodylen;
	uint8_t digest[64];
	char why[RULES_ERR_MAX], notes[4096];
	unsigned valid;

	if (!ready) {
		if (minisign_pubkey_parse(
			trusted_pub, strlen(trusted_pub), &trusted, why, sizeof(why)) == -1)
			abort();
		ready = 1;
	}
	fuzz_split(data, size, &sigtext, &siglen, &body, &bodylen);

	/* The whole input and the first part as each kind of file. */
	(void)minisign_pubkey_parse((const char *)data, size, &pub, why, sizeof(why));
	(void)minisign_seckey_parse((const char *)data, size, &sec, why, sizeof(why));
	if (minisign_pubkey_parse((const char *)sigtext, siglen, &pub, why, sizeof(why)) == 0) {
		char *s = minisign_pubkey_format(&pub);
		free(s);
	}

	if (rules_blake2b512(body, bodylen, digest) == -1)
		return 0;
	sig = malloc(sizeof(*sig));
	if (sig == NULL)
		return 0;
	if (minisign_sig_parse((const char *)sigtext, siglen, sig, why, sizeof(why)) == 0)
		(void)minisign_verify(&trusted, sig, digest, why, sizeof(why));
	free(sig);

	/* The same signature as the list's only signature file. */
	memset(&set, 0, sizeof(set));
	set.text[0] = malloc(siglen + 1);
	if (set.text[0] == NULL)
		return 0;
	memcpy(set.text[0], sigtext, siglen);
	set.text[0][siglen] = '\0';
	set.len[0] = siglen;
	set.index[0] = 1;
	set.n = 1;
	ring.keys = &trusted;
	ring.files = files;
	ring.same = same;
	ring.n = 1;
	(void)sigset_verify(&ring, &set, "fuzz.list", digest, 1, &valid, notes, sizeof(notes));
	free(set.text[0]);
	return 0;
}
