/* The entry types as data, and freeing a parsed list (arrays, every string in the arena). */
#include <stdlib.h>

#include "rulelist.h"

const struct rule_type_info rule_types[RULE_NTYPES] = {
#define RULE_TYPE_INFO(t, n, k, b, l) \
	[RULE_##t] = {.name = (n), .keyword = (k), .label = (l), .bits = (b)},
    RULE_TYPES(RULE_TYPE_INFO)
#undef RULE_TYPE_INFO
};

const char *
rule_type_name(int type)
{
	return type > RULE_NONE && type < RULE_NTYPES ? rule_types[type].name : NULL;
}

unsigned
rule_type_bits(int type)
{
	return type > RULE_NONE && type < RULE_NTYPES ? rule_types[type].bits : 0;
}

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
