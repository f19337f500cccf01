/* Checkpoint bodies, tlog-proof files and consistency proofs: parsed strictly, written canonically. */
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "minisign.h"

static int
fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

void
tlog_hash_b64(const uint8_t h[MERKLE_HASH_SIZE], char out[45])
{
	EVP_EncodeBlock((unsigned char *)out, h, MERKLE_HASH_SIZE);
}

int
tlog_hash_parse(const char *s, size_t len, uint8_t h[MERKLE_HASH_SIZE])
{
	return len == 44 && minisign_b64_decode(s, len, h, MERKLE_HASH_SIZE) == MERKLE_HASH_SIZE
	    ? 0
	    : -1;
}

/* A decimal without sign or leading zeros, below 2^63. */
static int
decimal(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*out = v;
	return 0;
}

/* The next line of [*pos, len): its start and length without the newline; -1 without one. */
static int
next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *llen)
{
	const char *nl;

	if (*pos >= len)
		return -1;
	nl = memchr(buf + *pos, '\n', len - *pos);
	if (nl == NULL)
		return -1;
	*line = buf + *pos;
	*llen = (size_t)(nl - *line);
	*pos = (size_t)(nl - buf) + 1;
	return 0;
}

int
checkpoint_parse(const char *text, size_t len, struct checkpoint *out, char *err, size_t errlen)
{
	const char *l;
	size_t ll, pos = 0;

	memset(out, 0, sizeof *out);
	if (next_line(text, len, &pos, &l, &ll) == -1 || ll == 0)
		return fail(err, errlen, "checkpoint line 1: expected the log's origin");
	if (ll > CHECKPOINT_ORIGIN_MAX)
		return fail(err, errlen, "checkpoint line 1: the origin is too long");
	memcpy(out->origin, l, ll);
	if (memchr(l, '\0', ll))
		return fail(err, errlen, "checkpoint line 1: the origin holds a NUL");
	if (next_line(text, len, &pos, &l, &ll) == -1 || decimal(l, ll, &out->size) == -1)
		return fail(err, errlen,
		    "checkpoint line 2: expected the tree size in decimal, without leading zeros");
	if (next_line(text, len, &pos, &l, &ll) == -1 || tlog_hash_parse(l, ll, out->root) == -1)
		return fail(
		    err, errlen, "checkpoint line 3: expected the root hash, 32 bytes in base64");
	if (len - pos > CHECKPOINT_EXT_MAX)
		return fail(err, errlen, "checkpoint: the extension lines are too long");
	memcpy(out->ext, text + pos, len - pos);
	out->ext[len - pos] = '\0';
	while (pos < len) {
		if (next_line(text, len, &pos, &l, &ll) == -1 || ll == 0 || memchr(l, '\0', ll))
			return fail(err, errlen,
			    "checkpoint: an extension line must be non-empty and end with a "
			    "newline");
	}
	return 0;
}

int
checkpoint_format(const struct checkpoint *c, char *buf, size_t bufsz)
{
	char root[45];
	int n;

	tlog_hash_b64(c->root, root);
	n = snprintf(buf, bufsz, "%s\n%" PRIu64 "\n%s\n%s", c->origin, c->size, root, c->ext);
	return n < 0 || (size_t)n >= bufsz ? -1 : n;
}

/* Hash lines until a blank line; pos ends after the blank line. */
static int
hash_lines(const char *buf, size_t len, size_t *pos, uint8_t path[][MERKLE_HASH_SIZE],
    size_t *npath, unsigned *lineno, char *err, size_t errlen)
{
	const char *l;
	size_t ll;

	*npath = 0;
	for (;;) {
		(*lineno)++;
		if (next_line(buf, len, pos, &l, &ll) == -1) {
			snprintf(err, errlen, "line %u: expected a hash or a blank line", *lineno);
			return -1;
		}
		if (ll == 0)
			return 0;
		if (*npath == MERKLE_PROOF_MAX) {
			snprintf(
			    err, errlen, "line %u: more than %d hashes", *lineno, MERKLE_PROOF_MAX);
			return -1;
		}
		if (tlog_hash_parse(l, ll, path[*npath]) == -1) {
			snprintf(
			    err, errlen, "line %u: expected a hash, 32 bytes in base64", *lineno);
			return -1;
		}
		(*npath)++;
	}
}

int
tlog_proof_parse(const char *buf, size_t len, struct tlog_proof *out, char *err, size_t errlen)
{
	const char *l;
	size_t ll, pos = 0;
	unsigned lineno = 1;

	memset(out, 0, sizeof *out);
	if (next_line(buf, len, &pos, &l, &ll) == -1 || ll != strlen(TLOG_PROOF_HEADER) ||
	    memcmp(l, TLOG_PROOF_HEADER, ll) != 0)
		return fail(err, errlen, "line 1: expected " TLOG_PROOF_HEADER);
	lineno++;
	if (next_line(buf, len, &pos, &l, &ll) == -1)
		return fail(err, errlen, "line 2: expected \"index N\"");
	if (ll > 6 && memcmp(l, "extra ", 6) == 0) {
		out->extra = l + 6;
		out->extralen = ll - 6;
		lineno++;
		if (next_line(buf, len, &pos, &l, &ll) == -1) {
			snprintf(err, errlen, "line %u: expected \"index N\"", lineno);
			return -1;
		}
	}
	if (ll < 7 || memcmp(l, "index ", 6) != 0 || decimal(l + 6, ll - 6, &out->index) == -1) {
		snprintf(err, errlen, "line %u: expected \"index N\" (decimal, no leading zeros)",
		    lineno);
		return -1;
	}
	if (hash_lines(buf, len, &pos, out->path, &out->npath, &lineno, err, errlen) == -1)
		return -1;
	if (pos >= len)
		return fail(err, errlen, "the proof has no checkpoint after its blank line");
	out->note = buf + pos;
	out->notelen = len - pos;
	return 0;
}

char *
tlog_proof_format(const struct tlog_proof *p)
{
	size_t cap = 128 + p->extralen + p->npath * 46 + p->notelen, i;
	char *out = malloc(cap), *w;
	char h[45];

	if (out == NULL)
		return NULL;
	w = out;
	w += sprintf(w, TLOG_PROOF_HEADER "\n");
	if (p->extra) {
		w += sprintf(w, "extra ");
		memcpy(w, p->extra, p->extralen);
		w += p->extralen;
		*w++ = '\n';
	}
	w += sprintf(w, "index %" PRIu64 "\n", p->index);
	for (i = 0; i < p->npath; i++) {
		tlog_hash_b64(p->path[i], h);
		w += sprintf(w, "%s\n", h);
	}
	*w++ = '\n';
	memcpy(w, p->note, p->notelen);
	w[p->notelen] = '\0';
	return out;
}

int
tlog_consistency_parse(const char *buf, size_t len, struct tlog_consistency *out, size_t *used,
    char *err, size_t errlen)
{
	const char *l;
	size_t ll, pos = 0;
	unsigned lineno = 1;

	memset(out, 0, sizeof *out);
	if (next_line(buf, len, &pos, &l, &ll) == -1 || ll < 5 || memcmp(l, "old ", 4) != 0 ||
	    decimal(l + 4, ll - 4, &out->old) == -1)
		return fail(err, errlen, "line 1: expected \"old N\" (decimal, no leading zeros)");
	if (hash_lines(buf, len, &pos, out->path, &out->npath, &lineno, err, errlen) == -1)
		return -1;
	*used = pos;
	return 0;
}

int
tlog_consistency_format(const struct tlog_consistency *c, char *buf, size_t bufsz)
{
	size_t i, off;
	char h[45];
	int n;

	n = snprintf(buf, bufsz, "old %" PRIu64 "\n", c->old);
	if (n < 0 || (size_t)n >= bufsz)
		return -1;
	off = (size_t)n;
	for (i = 0; i < c->npath; i++) {
		tlog_hash_b64(c->path[i], h);
		n = snprintf(buf + off, bufsz - off, "%s\n", h);
		if (n < 0 || (size_t)n >= bufsz - off)
			return -1;
		off += (size_t)n;
	}
	if (off + 2 > bufsz)
		return -1;
	buf[off++] = '\n';
	buf[off] = '\0';
	return (int)off;
}
