/* Fuzzes the signed block list parser (rulelist_parse) and the entry formatting it feeds. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "rulefmt.h"
#include "rulelist.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rulelist *l = NULL;
	char err[RULES_ERR_MAX];
	char buf[RULES_URL_MAX + 64];
	size_t i;

	if (rulelist_parse((const char *)data, size, "fuzz.list", NULL, &l, err, sizeof(err)) ==
	    0) {
		for (i = 0; i < l->nentries; i++)
			(void)rule_entry_value(&l->entries[i], buf, sizeof(buf));
		rulelist_free(l);
	}
	return 0;
}
