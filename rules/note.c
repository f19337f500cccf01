/* Signed notes and cosignatures: key texts, the note's lines, Ed25519 signatures over its text. */
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minisign.h"
#include "note.h"

#define SIG_PREFIX    "\xe2\x80\x94 " /* U+2014 EM DASH, a space */
#define SIGNER_PREFIX "PRIVATE+KEY+"
#define COSIG_HEADER  "cosignature/v1\n"
#define B64_SIG_MAX   4096 /* decoded bytes of a signature line we read at all */

static int
fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

/* The code point at s (of n > 0 bytes) and its length, or -1 when not valid UTF-8. */
static int
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	int len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if ((size_t)len > n)
		return -1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return len;
}

static int
is_space(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	    c == 0x205f || c == 0x3000;
}

int
note_name_ok(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t i = 0;
	uint32_t c;
	int n;

	if (len == 0 || len > NOTE_NAME_MAX)
		return 0;
	while (i < len) {
		n = utf8_next(s + i, len - i, &c);
		if (n < 0 || c < 0x20 || c == 0x7f || c == '+' || is_space(c))
			return 0;
		i += (size_t)n;
	}
	return 1;
}

uint32_t
note_key_hash(const char *name, uint8_t alg, const uint8_t pk[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t sum[32] = {0};
	unsigned int n = sizeof sum;

	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(ctx, name, strlen(name));
		EVP_DigestUpdate(ctx, "\n", 1);
		EVP_DigestUpdate(ctx, &alg, 1);
		EVP_DigestUpdate(ctx, pk, 32);
		EVP_DigestFinal_ex(ctx, sum, &n);
	}
	EVP_MD_CTX_free(ctx);
	return (uint32_t)sum[0] << 24 | (uint32_t)sum[1] << 16 | (uint32_t)sum[2] << 8 | sum[3];
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "NAME+HASH+BASE64" into its parts: the name, the hash, 33 bytes of alg and key. */
static int
key_split(const char *s, size_t len, struct note_key *k, uint8_t raw[33], char *err, size_t errlen)
{
	const char *p1, *p2;
	size_t nlen, i;
	int v;

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	p1 = memchr(s, '+', len);
	if (p1 == NULL)
		return fail(err, errlen, "not a key: expected NAME+HASH+KEY");
	nlen = (size_t)(p1 - s);
	p2 = memchr(p1 + 1, '+', len - nlen - 1);
	if (p2 == NULL || p2 - p1 != 9)
		return fail(
		    err, errlen, "not a key: the key hash must be 8 hex digits after the name");
	if (!note_name_ok(s, nlen))
		return fail(err, errlen,
		    "the key name must be UTF-8 without spaces, control characters or '+'");
	memcpy(k->name, s, nlen);
	k->name[nlen] = '\0';
	k->hash = 0;
	for (i = 1; i <= 8; i++) {
		if ((v = hexval(p1[i])) < 0)
			return fail(err, errlen, "the key hash must be 8 hex digits");
		k->hash = k->hash << 4 | (uint32_t)v;
	}
	if (minisign_b64_decode(p2 + 1, len - (size_t)(p2 + 1 - s), raw, 33) != 33)
		return fail(
		    err, errlen, "the key must be base64 of one algorithm byte and 32 bytes");
	return 0;
}

int
note_key_parse(const char *s, size_t len, struct note_key *out, char *err, size_t errlen)
{
	uint8_t raw[33];

	if (len > NOTE_KEY_MAX)
		return fail(err, errlen, "the key text is too long");
	if (len >= strlen(SIGNER_PREFIX) && memcmp(s, SIGNER_PREFIX, strlen(SIGNER_PREFIX)) == 0)
		return fail(err, errlen, "this is a secret key, not a public one");
	if (key_split(s, len, out, raw, err, errlen) == -1)
		return -1;
	if (raw[0] != NOTE_ALG_ED25519 && raw[0] != NOTE_ALG_COSIG)
		return fail(err, errlen,
		    "unknown key algorithm (1: Ed25519 signed notes, 4: Ed25519 cosignatures)");
	out->alg = raw[0];
	memcpy(out->pk, raw + 1, 32);
	if (note_key_hash(out->name, out->alg, out->pk) != out->hash)
		return fail(err, errlen, "the key hash does not match the name and key");
	return 0;
}

int
note_signer_make(const char *name, uint8_t alg, const uint8_t seed[32], struct note_signer *out,
    char *err, size_t errlen)
{
	if (!note_name_ok(name, strlen(name)))
		return fail(err, errlen,
		    "the key name must be UTF-8 without spaces, control characters or '+'");
	if (alg != NOTE_ALG_ED25519 && alg != NOTE_ALG_COSIG)
		return fail(err, errlen, "unknown key algorithm");
	memset(out, 0, sizeof *out);
	snprintf(out->pub.name, sizeof out->pub.name, "%s", name);
	out->pub.alg = alg;
	memcpy(out->seed, seed, 32);
	if (minisign_ed25519_public(seed, out->pub.pk) == -1)
		return fail(err, errlen, "cannot derive the public key");
	out->pub.hash = note_key_hash(name, alg, out->pub.pk);
	return 0;
}

int
note_signer_parse(const char *s, size_t len, struct note_signer *out, char *err, size_t errlen)
{
	size_t pl = strlen(SIGNER_PREFIX);
	struct note_key k;
	uint8_t raw[33];
	uint32_t want;

	if (len > NOTE_KEY_MAX)
		return fail(err, errlen, "the key text is too long");
	if (len < pl || memcmp(s, SIGNER_PREFIX, pl) != 0)
		return fail(err, errlen, "not a secret key: expected PRIVATE+KEY+NAME+HASH+KEY");
	if (key_split(s + pl, len - pl, &k, raw, err, errlen) == -1)
		return -1;
	want = k.hash;
	if (note_signer_make(k.name, raw[0], raw + 1, out, err, errlen) == -1)
		return -1;
	OPENSSL_cleanse(raw, sizeof raw);
	if (out->pub.hash != want) {
		OPENSSL_cleanse(out, sizeof *out);
		return fail(err, errlen, "the key hash does not match the name and key");
	}
	return 0;
}

static int
key_text(
    const char *prefix, const struct note_key *k, const uint8_t bytes[32], char *buf, size_t bufsz)
{
	uint8_t raw[33];
	char *b64;
	int n;

	raw[0] = k->alg;
	memcpy(raw + 1, bytes, 32);
	b64 = minisign_b64_encode(raw, sizeof raw);
	OPENSSL_cleanse(raw, sizeof raw);
	if (b64 == NULL)
		return -1;
	n = snprintf(buf, bufsz, "%s%s+%08" PRIx32 "+%s", prefix, k->name, k->hash, b64);
	OPENSSL_cleanse(b64, strlen(b64));
	free(b64);
	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

int
note_key_format(const struct note_key *k, char *buf, size_t bufsz)
{
	return key_text("", k, k->pk, buf, bufsz);
}

int
note_signer_format(const struct note_signer *k, char *buf, size_t bufsz)
{
	return key_text(SIGNER_PREFIX, &k->pub, k->seed, buf, bufsz);
}

static int
sig_line(const char *line, size_t len, struct note_sig *sig, char *err, size_t errlen)
{
	size_t pl = strlen(SIG_PREFIX), nlen;
	const char *sp;
	uint8_t *raw;
	int n;

	if (len < pl || memcmp(line, SIG_PREFIX, pl) != 0)
		return fail(err, errlen, "a signature line must start with an em dash and a space");
	line += pl;
	len -= pl;
	sp = memchr(line, ' ', len);
	if (sp == NULL)
		return fail(err, errlen, "a signature line needs a key name, a space and base64");
	nlen = (size_t)(sp - line);
	if (!note_name_ok(line, nlen))
		return fail(err, errlen, "a signature line's key name is not valid");
	memcpy(sig->name, line, nlen);
	sig->name[nlen] = '\0';
	raw = malloc(B64_SIG_MAX);
	if (raw == NULL)
		return fail(err, errlen, "out of memory");
	n = minisign_b64_decode(sp + 1, len - nlen - 1, raw, B64_SIG_MAX);
	if (n < 5) {
		free(raw);
		return fail(
		    err, errlen, "a signature line's signature is not base64 of 5 bytes or more");
	}
	sig->hash =
	    (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	sig->siglen = (size_t)n - 4;
	/* A longer signature (another algorithm) is kept by name only; no key of ours reads it. */
	memcpy(sig->sig, raw + 4, sig->siglen <= NOTE_SIG_MAX ? sig->siglen : 0);
	free(raw);
	return 0;
}

int
note_parse(const char *buf, size_t len, struct note *out, char *err, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, split, pos;
	uint32_t c;
	int n;
	char why[128];

	memset(out, 0, sizeof *out);
	if (len > NOTE_MAX)
		return fail(err, errlen, "the note is too large");
	while (i < len) {
		n = utf8_next(s + i, len - i, &c);
		if (n < 0)
			return fail(err, errlen, "the note is not valid UTF-8");
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return fail(err, errlen, "the note holds a control character");
		i += (size_t)n;
	}
	/* The last blank line separates the text from the signatures. */
	for (split = len; split >= 2; split--)
		if (buf[split - 1] == '\n' && buf[split - 2] == '\n')
			break;
	if (split < 2)
		return fail(err, errlen, "the note has no blank line before its signatures");
	out->text = buf;
	out->textlen = split - 1;
	pos = split;
	if (pos >= len || buf[len - 1] != '\n')
		return fail(err, errlen, "the note's signature lines must end with a newline");
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);

		if (out->nsigs == NOTE_SIGS_MAX)
			return fail(err, errlen, "the note has too many signatures");
		if (sig_line(buf + pos, (size_t)(nl - (buf + pos)), &out->sigs[out->nsigs], why,
			sizeof why) == -1) {
			snprintf(err, errlen, "signature line %zu: %s", out->nsigs + 1, why);
			return -1;
		}
		out->nsigs++;
		pos = (size_t)(nl - buf) + 1;
	}
	return 0;
}

/* The message a key signs: the text, or the cosignature header, time line and text. */
static char *
signed_message(uint8_t alg, const char *text, size_t textlen, uint64_t when, size_t *len)
{
	char head[64];
	size_t hl = 0;
	char *m;

	if (alg == NOTE_ALG_COSIG)
		hl = (size_t)snprintf(head, sizeof head, COSIG_HEADER "time %" PRIu64 "\n", when);
	m = malloc(hl + textlen + 1);
	if (m == NULL)
		return NULL;
	memcpy(m, head, hl);
	memcpy(m + hl, text, textlen);
	*len = hl + textlen;
	return m;
}

int
note_verify(
    const struct note *n, const struct note_key *key, uint64_t *when, char *err, size_t errlen)
{
	const struct note_sig *s = NULL;
	uint64_t t = 0;
	size_t i, mlen;
	char *m;
	int r, k;

	for (i = 0; i < n->nsigs && s == NULL; i++)
		if (n->sigs[i].hash == key->hash && strcmp(n->sigs[i].name, key->name) == 0)
			s = &n->sigs[i];
	if (s == NULL)
		return 0;
	if (key->alg == NOTE_ALG_COSIG) {
		if (s->siglen != 72)
			return fail(err, errlen, "a cosignature must be a timestamp and 64 bytes");
		for (k = 0; k < 8; k++)
			t = t << 8 | s->sig[k];
		if (t > (uint64_t)INT64_MAX)
			return fail(err, errlen, "a cosignature's timestamp is past 2^63 - 1");
	} else if (s->siglen != 64) {
		return fail(err, errlen, "an Ed25519 signature must be 64 bytes");
	}
	m = signed_message(key->alg, n->text, n->textlen, t, &mlen);
	if (m == NULL)
		return fail(err, errlen, "out of memory");
	r = minisign_ed25519_verify(
	    key->pk, key->alg == NOTE_ALG_COSIG ? s->sig + 8 : s->sig, m, mlen);
	free(m);
	if (r != 0) {
		snprintf(err, errlen, "the signature of %s+%08" PRIx32 " does not verify",
		    key->name, key->hash);
		return -1;
	}
	if (when)
		*when = t;
	return 1;
}

int
note_sign_line(const struct note_signer *signer, const char *text, size_t textlen, uint64_t when,
    char *line, size_t linesz)
{
	uint8_t raw[4 + NOTE_SIG_MAX];
	size_t mlen, off = 4;
	char *m, *b64;
	int k, n;

	if (textlen == 0 || text[textlen - 1] != '\n' || when > (uint64_t)INT64_MAX)
		return -1;
	raw[0] = (uint8_t)(signer->pub.hash >> 24);
	raw[1] = (uint8_t)(signer->pub.hash >> 16);
	raw[2] = (uint8_t)(signer->pub.hash >> 8);
	raw[3] = (uint8_t)signer->pub.hash;
	if (signer->pub.alg == NOTE_ALG_COSIG) {
		for (k = 0; k < 8; k++)
			raw[4 + k] = (uint8_t)(when >> (56 - 8 * k));
		off = 12;
	}
	m = signed_message(signer->pub.alg, text, textlen, when, &mlen);
	if (m == NULL)
		return -1;
	n = minisign_ed25519_sign(signer->seed, m, mlen, raw + off);
	free(m);
	if (n != 0)
		return -1;
	b64 = minisign_b64_encode(raw, off + 64);
	if (b64 == NULL)
		return -1;
	n = snprintf(line, linesz, SIG_PREFIX "%s %s\n", signer->pub.name, b64);
	free(b64);
	return n < 0 || (size_t)n >= linesz ? -1 : 0;
}
