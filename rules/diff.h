/* What one list changes against another: header fields, orders, entries per order. */
#ifndef BLOCKD_DIFF_H
#define BLOCKD_DIFF_H

#include <stddef.h>

#include "rulelist.h"

/*
 * rulelist_diff(): pure. Text describing how b differs from a: changed
 * header fields ("~ serial 41 -> 42"), orders added, removed or changed,
 * then for each order (by reference) its added ("+ KIND VALUE") and removed
 * ("- KIND VALUE") entries. *nadd and *ndel count entries. Returns a malloc'd
 * buffer (empty if the lists hold the same), or NULL when out of memory.
 */
char *rulelist_diff(const struct rulelist *a, const struct rulelist *b, size_t *nadd, size_t *ndel);

#endif
