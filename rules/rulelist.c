/* Freeing a parsed list: orders and entries are arrays, every string lives in the arena. */
#include <stdlib.h>

#include "rulelist.h"

void
rulelist_free(struct rulelist *l)
{
	if (l == NULL)
		return;
	free(l->orders);
	free(l->entries);
	free(l->arena);
	free(l);
}
