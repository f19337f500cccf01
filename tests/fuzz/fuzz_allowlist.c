/* Fuzzes the local allowlist parser (allowlist_parse). */
#include <stdint.h>

#include "allowlist.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct allowlist *a = NULL;
	char err[512];

	if (allowlist_parse((const char *)data, size, "fuzz.allow", &a, err, sizeof(err)) == 0)
		allowlist_free(a);
	return 0;
}
