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

#endif
