/* Memory for the large lookup tables: huge pages where the kernel offers them. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "match_int.h"

#define HUGE_PAGE ((size_t)2 << 20)

/*
 * A million-name table is tens of megabytes read at random: with 4 KiB
 * pages nearly every probe also misses the TLB. Tables of a few huge pages
 * or more are aligned to 2 MiB and marked for transparent huge pages.
 */
void *
match_table_alloc(size_t n)
{
	void *p;

	if (n < 2 * HUGE_PAGE)
		return calloc(1, n ? n : 1);
	n = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
	p = aligned_alloc(HUGE_PAGE, n);
	if (p == NULL)
		return NULL;
	(void)madvise(p, n, MADV_HUGEPAGE); /* a hint: without it the table just uses small pages */
	memset(p, 0, n);
	return p;
}
