/* Unit tests for minisign keys and signatures: minisign's own files, and forgeries. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "minisign.h"
#include "rulefmt.h"

#define DATA "../data/rules/"

static char *
slurp(const char *path, size_t *len)
{
	char err[256], *buf;

	cr_assert_eq(file_read_capped(path, 1 << 20, &buf, len, err, sizeof err), 0, "%s", err);
	return buf;
}

static void
fixture(struct minisign_pubkey *pk, struct minisign_sig *sig, uint8_t digest[64])
{
	char *buf, why[256];
	size_t len;

	buf = slurp(DATA "minisign.pub", &len);
	cr_assert_eq(minisign_pubkey_parse(buf, len, pk, why, sizeof why), 0, "%s", why);
	free(buf);
	buf = slurp(DATA "minisign-signed.list.minisig", &len);
	cr_assert_eq(minisign_sig_parse(buf, len, sig, why, sizeof why), 0, "%s", why);
	free(buf);
	buf = slurp(DATA "minisign-signed.list", &len);
	cr_assert_eq(rules_blake2b512(buf, len, digest), 0);
	free(buf);
}

Test(rules_sig, minisign_signature_verifies)
{
	struct minisign_pubkey pk;
	struct minisign_sig sig;
	uint8_t d[64];
	char why[256];

	fixture(&pk, &sig, d);
	cr_assert_str_eq(sig.trusted, "signed with minisign 0.11");
	cr_assert_eq(minisign_verify(&pk, &sig, d, why, sizeof why), 0, "%s", why);
}

Test(rules_sig, key_id_matches_minisign_comment)
{
	struct minisign_pubkey pk;
	char *buf, why[256], id[17], want[64];
	size_t len;

	buf = slurp(DATA "minisign.pub", &len);
	cr_assert_eq(minisign_pubkey_parse(buf, len, &pk, why, sizeof why), 0);
	minisign_keyid(pk.keynum, id);
	snprintf(want, sizeof want, "minisign public key %s\n", id);
	cr_assert_not_null(strstr(buf, want), "%s lacks %s", buf, want);
	free(buf);
}

Test(rules_sig, tampered_file_fails)
{
	struct minisign_pubkey pk;
	struct minisign_sig sig;
	uint8_t d[64];
	char why[256];

	fixture(&pk, &sig, d);
	d[0] ^= 1;
	cr_assert_eq(minisign_verify(&pk, &sig, d, why, sizeof why), -1);
	cr_assert_str_eq(why, "signature does not match the file (file changed or forged)");
}

Test(rules_sig, tampered_trusted_comment_fails)
{
	struct minisign_pubkey pk;
	struct minisign_sig sig;
	uint8_t d[64];
	char why[256];

	fixture(&pk, &sig, d);
	sig.trusted[0] = 'S';
	cr_assert_eq(minisign_verify(&pk, &sig, d, why, sizeof why), -1);
	cr_assert_not_null(strstr(why, "trusted comment signature does not match"));
}

Test(rules_sig, wrong_key_fails)
{
	struct minisign_pubkey pk, other;
	struct minisign_seckey sk;
	struct minisign_sig sig;
	uint8_t d[64];
	char why[256];

	fixture(&pk, &sig, d);
	cr_assert_eq(minisign_keygen(&sk), 0);
	minisign_seckey_public(&sk, &other);
	cr_assert_eq(minisign_verify(&other, &sig, d, why, sizeof why), -1);
	cr_assert_str_eq(why, "signature was made by a different key");
	/* A key that claims the signer's key ID is still the wrong key. */
	memcpy(other.keynum, pk.keynum, 8);
	cr_assert_eq(minisign_verify(&other, &sig, d, why, sizeof why), -1);
	cr_assert_not_null(strstr(why, "does not match the file"));
}

Test(rules_sig, minisign_secret_key_signs_for_us)
{
	struct minisign_seckey sk;
	struct minisign_pubkey pk, fpk;
	struct minisign_sig sig;
	char *buf, *text, why[256];
	uint8_t d[64];
	size_t len;

	buf = slurp(DATA "minisign.key", &len);
	cr_assert_eq(minisign_seckey_parse(buf, len, &sk, why, sizeof why), 0, "%s", why);
	free(buf);
	buf = slurp(DATA "minisign.pub", &len);
	cr_assert_eq(minisign_pubkey_parse(buf, len, &fpk, why, sizeof why), 0);
	free(buf);
	minisign_seckey_public(&sk, &pk);
	cr_assert_eq(memcmp(&pk, &fpk, sizeof pk), 0);
	memset(d, 7, sizeof d);
	text = minisign_sign(&sk, d, "u", "timestamp:1\tfile:x\thashed");
	cr_assert_not_null(text);
	cr_assert_eq(minisign_sig_parse(text, strlen(text), &sig, why, sizeof why), 0, "%s", why);
	cr_assert_eq(minisign_verify(&fpk, &sig, d, why, sizeof why), 0, "%s", why);
	cr_assert_eq(strncmp(text, "untrusted comment: u\nRUR", 24), 0, "%s", text);
	free(text);
}

Test(rules_sig, generated_keys_round_trip)
{
	struct minisign_seckey sk, sk2;
	struct minisign_pubkey pk, pk2;
	char *pub, *sec, why[256];

	cr_assert_eq(minisign_keygen(&sk), 0);
	minisign_seckey_public(&sk, &pk);
	pub = minisign_pubkey_format(&pk);
	sec = minisign_seckey_format(&sk);
	cr_assert_eq(minisign_pubkey_parse(pub, strlen(pub), &pk2, why, sizeof why), 0, "%s", why);
	cr_assert_eq(minisign_seckey_parse(sec, strlen(sec), &sk2, why, sizeof why), 0, "%s", why);
	cr_assert_eq(memcmp(&pk, &pk2, sizeof pk), 0);
	cr_assert_eq(memcmp(&sk, &sk2, sizeof sk), 0);
	/* minisign's -P form: the base64 line alone. */
	cr_assert_eq(minisign_pubkey_parse(strchr(pub, '\n') + 1, strlen(strchr(pub, '\n') + 1),
			 &pk2, why, sizeof why),
	    0);
	free(pub);
	free(sec);
}

Test(rules_sig, legacy_and_malformed_signatures_refused)
{
	struct minisign_sig sig;
	char *buf, *p, why[256];
	size_t len;

	buf = slurp(DATA "minisign-signed.list.minisig", &len);
	p = strchr(buf, '\n') + 1;
	/* "RUR" is base64 of "ED"; "RWR" of "Ed", the legacy unhashed algorithm. */
	p[1] = 'W';
	cr_assert_eq(minisign_sig_parse(buf, len, &sig, why, sizeof why), -1);
	cr_assert_not_null(strstr(why, "legacy signature"), "%s", why);
	p[1] = 'U';
	p[5] = '*';
	cr_assert_eq(minisign_sig_parse(buf, len, &sig, why, sizeof why), -1);
	cr_assert_str_eq(why, "signature line 2 is not 74 bytes of base64");
	free(buf);
	cr_assert_eq(minisign_sig_parse("x\n", 2, &sig, why, sizeof why), -1);
	cr_assert_str_eq(why, "not a minisign signature (expected 4 lines)");
}

Test(rules_sig, encrypted_or_damaged_secret_keys_refused)
{
	struct minisign_seckey sk;
	char *buf, *p, why[256];
	size_t len;

	buf = slurp(DATA "minisign.key", &len);
	p = strchr(buf, '\n') + 1;
	/* Bytes 2-3 are the KDF algorithm: "Sc" (scrypt) means encrypted. */
	memcpy(p, "RWRTY0Iy", 8);
	cr_assert_eq(minisign_seckey_parse(buf, len, &sk, why, sizeof why), -1);
	cr_assert_not_null(strstr(why, "secret key is encrypted"), "%s", why);
	free(buf);
	buf = slurp(DATA "minisign.key", &len);
	p = strchr(buf, '\n') + 1;
	p[100] = p[100] == 'A' ? 'B' : 'A'; /* inside the seed */
	cr_assert_eq(minisign_seckey_parse(buf, len, &sk, why, sizeof why), -1);
	cr_assert_not_null(strstr(why, "damaged"), "%s", why);
	free(buf);
}

Test(rules_sig, base64_is_strict)
{
	uint8_t out[8];

	cr_assert_eq(minisign_b64_decode("YWJj", 4, out, sizeof out), 3);
	cr_assert_eq(memcmp(out, "abc", 3), 0);
	cr_assert_eq(minisign_b64_decode("YQ==", 4, out, sizeof out), 1);
	cr_assert_eq(minisign_b64_decode("YR==", 4, out, sizeof out), -1); /* stray bits */
	cr_assert_eq(minisign_b64_decode("YWJ", 3, out, sizeof out), -1);
	cr_assert_eq(minisign_b64_decode("YW=j", 4, out, sizeof out), -1);
	cr_assert_eq(minisign_b64_decode("YWJjZGVmZ2hp", 12, out, sizeof out), -1); /* too long */
}
