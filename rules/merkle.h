/* RFC 9162 Merkle trees: leaf and node hashes, a tree's stored hashes, inclusion and consistency proofs. */
#ifndef BLOCKD_MERKLE_H
#define BLOCKD_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_SIZE 32
#define MERKLE_LEVELS    64 /* a tree of up to 2^63 leaves */
#define MERKLE_PROOF_MAX 64 /* hashes in an inclusion or consistency proof, at most */

/* SHA-256(0x00 || data), SHA-256(0x01 || left || right), SHA-256 of nothing (the empty tree). */
void merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASH_SIZE]);
void merkle_node_hash(const uint8_t left[MERKLE_HASH_SIZE], const uint8_t right[MERKLE_HASH_SIZE],
    uint8_t out[MERKLE_HASH_SIZE]);
void merkle_empty_root(uint8_t out[MERKLE_HASH_SIZE]);

/*
 * The stored hashes of a tree (the hashes a tile holds): level[k][i] is the
 * hash of the complete subtree of leaves [i * 2^k, (i + 1) * 2^k), count[k]
 * of them. The tree owns its arrays: merkle_init() before use,
 * merkle_free() after. Appending a leaf stores its hash and every complete
 * subtree it closes.
 */
struct merkle_tree {
	uint8_t (*level[MERKLE_LEVELS])[MERKLE_HASH_SIZE];
	uint64_t count[MERKLE_LEVELS];
	uint64_t cap[MERKLE_LEVELS];
	uint64_t size; /* leaves */
};

void merkle_init(struct merkle_tree *t);
void merkle_free(struct merkle_tree *t);

/* merkle_append(): adds a leaf by its leaf hash. 0, or -1 when out of memory (t unchanged). */
int merkle_append(struct merkle_tree *t, const uint8_t leaf[MERKLE_HASH_SIZE]);

/* merkle_root(): the root of the tree of t's first n leaves (n <= t->size). 0 or -1. */
int merkle_root(const struct merkle_tree *t, uint64_t n, uint8_t out[MERKLE_HASH_SIZE]);

/*
 * Proofs from stored hashes (RFC 9162 2.1.3.1 and 2.1.4.1), for the tree of
 * t's first n leaves: the inclusion proof of leaf index, the consistency
 * proof from the tree of m leaves (0 < m <= n; m == n gives an empty proof).
 * The hashes go into proof (MERKLE_PROOF_MAX of them at most), their count
 * into *len. 0, or -1 with the reason in err.
 */
int merkle_prove_inclusion(const struct merkle_tree *t, uint64_t index, uint64_t n,
    uint8_t proof[][MERKLE_HASH_SIZE], size_t *len, char *err, size_t errlen);
int merkle_prove_consistency(const struct merkle_tree *t, uint64_t m, uint64_t n,
    uint8_t proof[][MERKLE_HASH_SIZE], size_t *len, char *err, size_t errlen);

/*
 * Verification (RFC 9162 2.1.3.2 and 2.1.4.2): does the proof put the leaf
 * hash at index of the tree of size n with this root; does it show the tree
 * of size m with root old to be the first m leaves of the tree of size n with
 * root new? 0, or -1 with the reason in err. A tree of size 0 is consistent
 * with every tree (with an empty proof); one of size m with itself only with
 * the same root and an empty proof.
 */
int merkle_verify_inclusion(uint64_t index, uint64_t n, const uint8_t leaf[MERKLE_HASH_SIZE],
    const uint8_t proof[][MERKLE_HASH_SIZE], size_t len, const uint8_t root[MERKLE_HASH_SIZE],
    char *err, size_t errlen);
int merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t old[MERKLE_HASH_SIZE],
    const uint8_t new_root[MERKLE_HASH_SIZE], const uint8_t proof[][MERKLE_HASH_SIZE], size_t len,
    char *err, size_t errlen);

#endif
