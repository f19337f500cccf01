/* Large buffers on transparent huge pages: aligned, marked with madvise(MADV_HUGEPAGE). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hugemem.h"

void *
huge_alloc(size_t n)
{
	size_t whole;
	void *p;

	if (n < HUGEMEM_MIN)
		return malloc(n ? n : 1);
	whole = (n + HUGEMEM_PAGE - 1) & ~(HUGEMEM_PAGE - 1);
	p = aligned_alloc(HUGEMEM_PAGE, whole);
	if (p != NULL)
		(void)madvise(p, whole, MADV_HUGEPAGE); /* a hint: small pages otherwise */
	return p;
}

void *
huge_calloc(size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	if (n * size < HUGEMEM_MIN)
		return calloc(n ? n : 1, size ? size : 1);
	if ((p = huge_alloc(n * size)) != NULL)
		memset(p, 0, n * size);
	return p;
}
