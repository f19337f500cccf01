/* A set of names, each with flag bits: open addressing, strings copied in. */
#ifndef BLOCKD_STRSET_H
#define BLOCKD_STRSET_H

#include <stddef.h>
#include <stdint.h>

struct strset;

/* strset_create(): an empty set, or NULL when out of memory. Free with strset_free(). */
struct strset *strset_create(void);
void strset_free(struct strset *);
#define STRSET_NOAUX UINT32_MAX

/*
 * strset_add(): ORs flags into name's bits, adding name if new; aux is kept
 * from the first add that gives one other than STRSET_NOAUX. 0 or -1.
 */
int strset_add(struct strset *, const char *name, size_t len, unsigned flags, uint32_t aux);
/* strset_get(): name's bits (0 if absent); *aux, if not NULL, gets its aux value. */
unsigned strset_get(const struct strset *, const char *name, size_t len, uint32_t *aux);
size_t strset_count(const struct strset *);

/*
 * A name and every name above it (b.example.com, example.com, com), each
 * suffix's hash taken in one pass from the right, so that looking all of
 * them up in several sets hashes the name once. Suffix 0 is the name itself.
 */
#define STRSET_SUFFIX_MAX 128 /* a name of 253 bytes has at most 127 labels */
struct strset_name {
	const char *name;
	unsigned n;                      /* suffixes */
	uint32_t off[STRSET_SUFFIX_MAX]; /* where suffix i starts in name */
	uint32_t hash[STRSET_SUFFIX_MAX];
	size_t len;
};

/*
 * strset_name(): fills sn for name (len bytes). A name of more than
 * STRSET_SUFFIX_MAX labels, which DNS does not allow, keeps its longest ones.
 */
void strset_name(struct strset_name *sn, const char *name, size_t len);

/* strset_get_suffix(): strset_get() of suffix i of sn (i < sn->n), without hashing it again. */
unsigned strset_get_suffix(
    const struct strset *, const struct strset_name *sn, unsigned i, uint32_t *aux);

#endif
