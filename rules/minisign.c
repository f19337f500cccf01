/* minisign keys and signatures: the file formats and Ed25519 through OpenSSL's EVP interface. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minisign.h"

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX   "trusted comment: "
#define SECKEY_SIZE      158 /* alg, kdf, chk alg, salt, opslimit, memlimit, keynum, sk, chk */

static int
fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
minisign_b64_decode(const char *s, size_t len, uint8_t *out, size_t outmax)
{
	size_t i, o = 0, pad = 0;
	uint32_t acc;
	int v, j;

	if (len == 0 || len % 4 != 0)
		return -1;
	if (s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	if ((len / 4) * 3 - pad > outmax)
		return -1;
	for (i = 0; i < len; i += 4) {
		acc = 0;
		for (j = 0; j < 4; j++) {
			if (i + 4 == len && j >= 4 - (int)pad) {
				acc <<= 6;
				continue;
			}
			v = b64val(s[i + j]);
			if (v < 0)
				return -1;
			acc = acc << 6 | (uint32_t)v;
		}
		out[o++] = (uint8_t)(acc >> 16);
		if (!(i + 4 == len && pad == 2))
			out[o++] = (uint8_t)(acc >> 8);
		if (!(i + 4 == len && pad >= 1))
			out[o++] = (uint8_t)acc;
		/* Bits under the padding must be zero: one encoding per value. */
		if (i + 4 == len && ((pad == 1 && (acc & 0xff)) || (pad == 2 && (acc & 0xffff))))
			return -1;
	}
	return (int)o;
}

char *
minisign_b64_encode(const uint8_t *in, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

/* Splits buf into up to max lines (LF, with an optional final LF; CR before LF tolerated). */
static int
lines(const char *buf, size_t len, const char **l, size_t *n, int max)
{
	int k = 0;
	const char *p = buf, *end = buf + len, *nl;

	while (p < end) {
		if (k == max)
			return -1;
		nl = memchr(p, '\n', (size_t)(end - p));
		l[k] = p;
		n[k] = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n[k] > 0 && p[n[k] - 1] == '\r')
			n[k]--;
		if (memchr(l[k], '\0', n[k]))
			return -1;
		k++;
		p = nl ? nl + 1 : end;
	}
	return k;
}

static int
has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);

	return n >= pl && memcmp(s, prefix, pl) == 0;
}

int
minisign_pubkey_parse(
    const char *buf, size_t len, struct minisign_pubkey *out, char *err, size_t errlen)
{
	const char *l[3];
	size_t n[3];
	uint8_t raw[42];
	int k, b;

	k = lines(buf, len, l, n, 3);
	if (k == 1)
		b = 0;
	else if (k == 2 && has_prefix(l[0], n[0], UNTRUSTED_PREFIX))
		b = 1;
	else
		return fail(err, errlen,
		    "not a minisign public key (expected an untrusted comment line and a base64 "
		    "line)");
	if (minisign_b64_decode(l[b], n[b], raw, sizeof raw) != 42)
		return fail(err, errlen, "public key is not 42 bytes of base64");
	if (memcmp(raw, "Ed", 2) != 0)
		return fail(err, errlen, "public key algorithm is not Ed25519 ('Ed')");
	memcpy(out->keynum, raw + 2, 8);
	memcpy(out->pk, raw + 10, 32);
	return 0;
}

void
minisign_seckey_public(const struct minisign_seckey *key, struct minisign_pubkey *pub)
{
	memcpy(pub->keynum, key->keynum, 8);
	memcpy(pub->pk, key->pk, 32);
}

int
minisign_ed25519_public(const uint8_t seed[32], uint8_t pk[32])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	size_t n = 32;
	int ok;

	if (k == NULL)
		return -1;
	ok = EVP_PKEY_get_raw_public_key(k, pk, &n) == 1 && n == 32;
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

int
minisign_seckey_parse(
    const char *buf, size_t len, struct minisign_seckey *out, char *err, size_t errlen)
{
	const char *l[3];
	size_t n[3];
	uint8_t raw[SECKEY_SIZE], pk[32];
	int k;

	k = lines(buf, len, l, n, 3);
	if (k != 2 || !has_prefix(l[0], n[0], UNTRUSTED_PREFIX))
		return fail(err, errlen,
		    "not a minisign secret key (expected an untrusted comment line and a base64 "
		    "line)");
	if (minisign_b64_decode(l[1], n[1], raw, sizeof raw) != SECKEY_SIZE)
		return fail(err, errlen, "secret key is not 158 bytes of base64");
	if (memcmp(raw, "Ed", 2) != 0 || memcmp(raw + 4, "B2", 2) != 0)
		return fail(
		    err, errlen, "secret key algorithm is not Ed25519 with a BLAKE2b checksum");
	if (raw[2] != 0 || raw[3] != 0)
		return fail(err, errlen,
		    "secret key is encrypted: only unencrypted keys are supported "
		    "(blockrules keygen, or minisign -G -W)");
	memcpy(out->keynum, raw + 54, 8);
	memcpy(out->seed, raw + 62, 32);
	memcpy(out->pk, raw + 94, 32);
	explicit_bzero(raw, sizeof raw);
	if (minisign_ed25519_public(out->seed, pk) != 0 || memcmp(pk, out->pk, 32) != 0) {
		explicit_bzero(out, sizeof *out);
		return fail(err, errlen, "secret key is damaged (its public half does not match)");
	}
	return 0;
}

int
minisign_sig_parse(const char *buf, size_t len, struct minisign_sig *out, char *err, size_t errlen)
{
	const char *l[5];
	size_t n[5], tl = strlen(TRUSTED_PREFIX);
	uint8_t raw[74];
	int k;

	k = lines(buf, len, l, n, 4);
	if (k != 4)
		return fail(err, errlen, "not a minisign signature (expected 4 lines)");
	if (!has_prefix(l[0], n[0], UNTRUSTED_PREFIX))
		return fail(err, errlen, "signature line 1 is not an untrusted comment");
	if (minisign_b64_decode(l[1], n[1], raw, sizeof raw) != 74)
		return fail(err, errlen, "signature line 2 is not 74 bytes of base64");
	if (memcmp(raw, "Ed", 2) == 0)
		return fail(err, errlen,
		    "legacy signature (algorithm 'Ed', not prehashed): sign again without minisign "
		    "-l");
	if (memcmp(raw, "ED", 2) != 0)
		return fail(err, errlen, "signature algorithm is not 'ED' (Ed25519, prehashed)");
	memcpy(out->keynum, raw + 2, 8);
	memcpy(out->sig, raw + 10, 64);
	if (!has_prefix(l[2], n[2], TRUSTED_PREFIX))
		return fail(err, errlen, "signature line 3 is not a trusted comment");
	if (n[2] - tl > MINISIGN_TRUSTED_MAX)
		return fail(err, errlen, "trusted comment too long");
	memcpy(out->trusted, l[2] + tl, n[2] - tl);
	out->trusted[n[2] - tl] = '\0';
	if (minisign_b64_decode(l[3], n[3], out->global, 64) != 64)
		return fail(err, errlen, "signature line 4 is not 64 bytes of base64");
	return 0;
}

int
minisign_ed25519_verify(const uint8_t pk[32], const uint8_t sig[64], const void *msg, size_t len)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = 0;

	if (k && ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1)
		ok = EVP_DigestVerify(ctx, sig, 64, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

int
minisign_ed25519_sign(const uint8_t seed[32], const void *msg, size_t len, uint8_t sig[64])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = 64;
	int ok = 0;

	if (k && ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1)
		ok = EVP_DigestSign(ctx, sig, &n, msg, len) == 1 && n == 64;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

int
minisign_verify(const struct minisign_pubkey *key, const struct minisign_sig *sig,
    const uint8_t digest[64], char *err, size_t errlen)
{
	size_t tl = strlen(sig->trusted);
	uint8_t *g;
	int r;

	if (memcmp(key->keynum, sig->keynum, 8) != 0)
		return fail(err, errlen, "signature was made by a different key");
	if (minisign_ed25519_verify(key->pk, sig->sig, digest, 64) != 0)
		return fail(
		    err, errlen, "signature does not match the file (file changed or forged)");
	g = malloc(64 + tl);
	if (g == NULL)
		return fail(err, errlen, "out of memory");
	memcpy(g, sig->sig, 64);
	memcpy(g + 64, sig->trusted, tl);
	r = minisign_ed25519_verify(key->pk, sig->global, g, 64 + tl);
	free(g);
	if (r != 0)
		return fail(
		    err, errlen, "trusted comment signature does not match (comment changed)");
	return 0;
}

char *
minisign_sign(const struct minisign_seckey *key, const uint8_t digest[64], const char *untrusted,
    const char *trusted)
{
	uint8_t raw[74], global[64], *g;
	size_t tl = strlen(trusted), n;
	char *s1 = NULL, *s2 = NULL, *out = NULL;

	if (strchr(trusted, '\n') || strchr(untrusted, '\n') || tl > MINISIGN_TRUSTED_MAX)
		return NULL;
	raw[0] = 'E';
	raw[1] = 'D';
	memcpy(raw + 2, key->keynum, 8);
	if (minisign_ed25519_sign(key->seed, digest, 64, raw + 10) != 0)
		return NULL;
	g = malloc(64 + tl);
	if (g == NULL)
		return NULL;
	memcpy(g, raw + 10, 64);
	memcpy(g + 64, trusted, tl);
	if (minisign_ed25519_sign(key->seed, g, 64 + tl, global) == 0) {
		s1 = minisign_b64_encode(raw, sizeof raw);
		s2 = minisign_b64_encode(global, 64);
	}
	if (s1 && s2) {
		n = strlen(UNTRUSTED_PREFIX) + strlen(untrusted) + strlen(s1) +
		    strlen(TRUSTED_PREFIX) + tl + strlen(s2) + 5;
		out = malloc(n);
		if (out)
			snprintf(out, n, "%s%s\n%s\n%s%s\n%s\n", UNTRUSTED_PREFIX, untrusted, s1,
			    TRUSTED_PREFIX, trusted, s2);
	}
	free(g);
	free(s1);
	free(s2);
	return out;
}

int
minisign_keygen(struct minisign_seckey *key)
{
	if (RAND_bytes(key->keynum, 8) != 1 || RAND_bytes(key->seed, 32) != 1)
		return -1;
	return minisign_ed25519_public(key->seed, key->pk);
}

void
minisign_keyid(const uint8_t keynum[8], char out[17])
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | keynum[i];
	snprintf(out, 17, "%016llX", (unsigned long long)v);
}

char *
minisign_pubkey_format(const struct minisign_pubkey *key)
{
	uint8_t raw[42];
	char id[17], *b, *out;
	size_t n;

	raw[0] = 'E';
	raw[1] = 'd';
	memcpy(raw + 2, key->keynum, 8);
	memcpy(raw + 10, key->pk, 32);
	b = minisign_b64_encode(raw, sizeof raw);
	if (b == NULL)
		return NULL;
	minisign_keyid(key->keynum, id);
	n = strlen(b) + 64;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%sminisign public key %s\n%s\n", UNTRUSTED_PREFIX, id, b);
	free(b);
	return out;
}

/*
 * An unencrypted key as minisign -G -W writes it: no KDF, zero salt and
 * limits, and a zero checksum (minisign does not check it without a KDF).
 */
char *
minisign_seckey_format(const struct minisign_seckey *key)
{
	uint8_t raw[SECKEY_SIZE];
	char *b, *out;
	size_t n;

	memset(raw, 0, sizeof raw);
	raw[0] = 'E';
	raw[1] = 'd';
	raw[4] = 'B';
	raw[5] = '2';
	memcpy(raw + 54, key->keynum, 8);
	memcpy(raw + 62, key->seed, 32);
	memcpy(raw + 94, key->pk, 32);
	b = minisign_b64_encode(raw, sizeof raw);
	explicit_bzero(raw, sizeof raw);
	if (b == NULL)
		return NULL;
	n = strlen(b) + 64;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%sminisign encrypted secret key\n%s\n", UNTRUSTED_PREFIX, b);
	explicit_bzero(b, strlen(b));
	free(b);
	return out;
}
