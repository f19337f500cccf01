/* RFC 9162 Merkle tree hashing, stored hashes, and inclusion and consistency proofs. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"

typedef uint8_t hash_t[MERKLE_HASH_SIZE];

static int
fail(char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return -1;
}

static void
sha256_2(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[MERKLE_HASH_SIZE])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = MERKLE_HASH_SIZE;

	/* Only allocation can fail here; a zero hash then matches nothing real. */
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 || (blen && EVP_DigestUpdate(ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1)
		memset(out, 0, MERKLE_HASH_SIZE);
	EVP_MD_CTX_free(ctx);
}

void
merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASH_SIZE])
{
	static const uint8_t zero = 0x00;

	sha256_2(&zero, 1, data, len, out);
}

void
merkle_node_hash(const uint8_t left[MERKLE_HASH_SIZE], const uint8_t right[MERKLE_HASH_SIZE],
    uint8_t out[MERKLE_HASH_SIZE])
{
	uint8_t buf[1 + 2 * MERKLE_HASH_SIZE];

	buf[0] = 0x01;
	memcpy(buf + 1, left, MERKLE_HASH_SIZE);
	memcpy(buf + 1 + MERKLE_HASH_SIZE, right, MERKLE_HASH_SIZE);
	sha256_2(buf, sizeof buf, NULL, 0, out);
}

void
merkle_empty_root(uint8_t out[MERKLE_HASH_SIZE])
{
	sha256_2("", 0, NULL, 0, out);
}

void
merkle_init(struct merkle_tree *t)
{
	memset(t, 0, sizeof *t);
}

void
merkle_free(struct merkle_tree *t)
{
	int k;

	for (k = 0; k < MERKLE_LEVELS; k++)
		free(t->level[k]);
	memset(t, 0, sizeof *t);
}

static int
reserve(struct merkle_tree *t, int k)
{
	uint64_t cap;
	hash_t *p;

	if (t->count[k] < t->cap[k])
		return 0;
	cap = t->cap[k] ? t->cap[k] * 2 : 64;
	p = realloc(t->level[k], cap * sizeof(hash_t));
	if (p == NULL)
		return -1;
	t->level[k] = p;
	t->cap[k] = cap;
	return 0;
}

int
merkle_append(struct merkle_tree *t, const uint8_t leaf[MERKLE_HASH_SIZE])
{
	uint64_t n = t->size;
	int k, closes = 0;

	if (n >= (uint64_t)1 << (MERKLE_LEVELS - 1))
		return -1;
	/* Leaf n closes one complete subtree per trailing one bit of n. */
	while ((n >> closes) & 1)
		closes++;
	for (k = 0; k <= closes; k++)
		if (reserve(t, k) == -1)
			return -1;
	memcpy(t->level[0][t->count[0]++], leaf, MERKLE_HASH_SIZE);
	for (k = 1; k <= closes; k++) {
		uint64_t i = t->count[k];

		merkle_node_hash(
		    t->level[k - 1][2 * i], t->level[k - 1][2 * i + 1], t->level[k][i]);
		t->count[k]++;
	}
	t->size++;
	return 0;
}

/* The largest power of two below n (n >= 2). */
static uint64_t
split(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* MTH of leaves [lo, hi), hi <= t->size, lo < hi. */
static void
subtree(const struct merkle_tree *t, uint64_t lo, uint64_t hi, uint8_t out[MERKLE_HASH_SIZE])
{
	uint64_t w = hi - lo, k;
	int lv = 0;

	if ((w & (w - 1)) == 0 && (lo & (w - 1)) == 0) {
		while (((uint64_t)1 << lv) < w)
			lv++;
		memcpy(out, t->level[lv][lo >> lv], MERKLE_HASH_SIZE);
		return;
	}
	k = split(w);
	{
		hash_t l, r;

		subtree(t, lo, lo + k, l);
		subtree(t, lo + k, hi, r);
		merkle_node_hash(l, r, out);
	}
}

int
merkle_root(const struct merkle_tree *t, uint64_t n, uint8_t out[MERKLE_HASH_SIZE])
{
	if (n > t->size)
		return -1;
	if (n == 0)
		merkle_empty_root(out);
	else
		subtree(t, 0, n, out);
	return 0;
}

/* PATH(m, D[lo:hi]) of RFC 9162 2.1.3.1, leaf-side hashes first. */
static void
path(const struct merkle_tree *t, uint64_t m, uint64_t lo, uint64_t hi, hash_t *proof, size_t *len)
{
	uint64_t k;

	if (hi - lo <= 1)
		return;
	k = split(hi - lo);
	if (m < k) {
		path(t, m, lo, lo + k, proof, len);
		subtree(t, lo + k, hi, proof[(*len)++]);
	} else {
		path(t, m - k, lo + k, hi, proof, len);
		subtree(t, lo, lo + k, proof[(*len)++]);
	}
}

int
merkle_prove_inclusion(const struct merkle_tree *t, uint64_t index, uint64_t n,
    uint8_t proof[][MERKLE_HASH_SIZE], size_t *len, char *err, size_t errlen)
{
	if (n > t->size)
		return fail(err, errlen, "the tree is smaller than the size asked for");
	if (index >= n)
		return fail(err, errlen, "the leaf index is not below the tree size");
	*len = 0;
	path(t, index, 0, n, proof, len);
	return 0;
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 9162 2.1.4.1. */
static void
subproof(const struct merkle_tree *t, uint64_t m, uint64_t lo, uint64_t hi, int b, hash_t *proof,
    size_t *len)
{
	uint64_t k;

	if (m == hi - lo) {
		if (!b)
			subtree(t, lo, hi, proof[(*len)++]);
		return;
	}
	k = split(hi - lo);
	if (m <= k) {
		subproof(t, m, lo, lo + k, b, proof, len);
		subtree(t, lo + k, hi, proof[(*len)++]);
	} else {
		subproof(t, m - k, lo + k, hi, 0, proof, len);
		subtree(t, lo, lo + k, proof[(*len)++]);
	}
}

int
merkle_prove_consistency(const struct merkle_tree *t, uint64_t m, uint64_t n,
    uint8_t proof[][MERKLE_HASH_SIZE], size_t *len, char *err, size_t errlen)
{
	if (n > t->size)
		return fail(err, errlen, "the tree is smaller than the size asked for");
	if (m > n)
		return fail(err, errlen, "the old tree is larger than the new one");
	*len = 0;
	if (m > 0 && m < n)
		subproof(t, m, 0, n, 1, proof, len);
	return 0;
}

int
merkle_verify_inclusion(uint64_t index, uint64_t n, const uint8_t leaf[MERKLE_HASH_SIZE],
    const uint8_t proof[][MERKLE_HASH_SIZE], size_t len, const uint8_t root[MERKLE_HASH_SIZE],
    char *err, size_t errlen)
{
	uint64_t fn = index, sn;
	hash_t r;
	size_t i;

	if (index >= n)
		return fail(err, errlen, "the leaf index is not below the tree size");
	sn = n - 1;
	memcpy(r, leaf, MERKLE_HASH_SIZE);
	for (i = 0; i < len; i++) {
		if (sn == 0)
			return fail(
			    err, errlen, "the inclusion proof is too long for the tree size");
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return fail(err, errlen, "the inclusion proof is too short for the tree size");
	if (memcmp(r, root, MERKLE_HASH_SIZE) != 0)
		return fail(err, errlen, "the inclusion proof does not lead to the root hash");
	return 0;
}

int
merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t old[MERKLE_HASH_SIZE],
    const uint8_t new_root[MERKLE_HASH_SIZE], const uint8_t proof[][MERKLE_HASH_SIZE], size_t len,
    char *err, size_t errlen)
{
	uint64_t fn, sn;
	hash_t fr, sr;
	size_t i = 0;

	if (m > n)
		return fail(
		    err, errlen, "the tree shrank: the old size is larger than the new one");
	if (m == 0) {
		if (len != 0)
			return fail(
			    err, errlen, "a consistency proof from the empty tree must be empty");
		return 0;
	}
	if (m == n) {
		if (len != 0)
			return fail(
			    err, errlen, "a consistency proof between equal sizes must be empty");
		if (memcmp(old, new_root, MERKLE_HASH_SIZE) != 0)
			return fail(err, errlen, "two different root hashes for one tree size");
		return 0;
	}
	if (len == 0)
		return fail(err, errlen, "the consistency proof is empty");
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* With m a power of two, the old root itself starts the proof. */
	if ((m & (m - 1)) == 0) {
		memcpy(fr, old, MERKLE_HASH_SIZE);
	} else {
		memcpy(fr, proof[0], MERKLE_HASH_SIZE);
		i = 1;
	}
	memcpy(sr, fr, MERKLE_HASH_SIZE);
	for (; i < len; i++) {
		if (sn == 0)
			return fail(
			    err, errlen, "the consistency proof is too long for the tree sizes");
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], fr, fr);
			merkle_node_hash(proof[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return fail(err, errlen, "the consistency proof is too short for the tree sizes");
	if (memcmp(fr, old, MERKLE_HASH_SIZE) != 0)
		return fail(
		    err, errlen, "the consistency proof does not lead to the old root hash");
	if (memcmp(sr, new_root, MERKLE_HASH_SIZE) != 0)
		return fail(
		    err, errlen, "the consistency proof does not lead to the new root hash");
	return 0;
}
