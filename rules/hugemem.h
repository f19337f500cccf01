/* Large buffers on transparent huge pages where the kernel offers them. */
#ifndef BLOCKD_HUGEMEM_H
#define BLOCKD_HUGEMEM_H

#include <stddef.h>

/*
 * A list of a million entries takes tens of megabytes at once (the file, its
 * entries, the name table and what builds it). With 4 KiB pages each takes
 * thousands of page faults, each costly on a virtual machine, and its
 * lookups miss the TLB. From HUGEMEM_MIN bytes these buffers are aligned to
 * 2 MiB and marked for transparent huge pages (madvise mode, Debian's
 * default); smaller ones come from malloc. Either way the caller owns the
 * buffer and releases it with free() (realloc() too).
 */
#define HUGEMEM_PAGE ((size_t)2 << 20)
#define HUGEMEM_MIN  (2 * HUGEMEM_PAGE)

/* huge_alloc(): n bytes, not initialised, or NULL. */
void *huge_alloc(size_t n);

/* huge_calloc(): n items of size bytes, zeroed, or NULL (also if n * size overflows). */
void *huge_calloc(size_t n, size_t size);

#endif
