/*
 * Fuzzes the public suffix list parser (psl_parse, with its punycode
 * conversion) and lookups in what it builds: the input is the list, a NUL,
 * then names to look up, one a line.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "psl.h"
#include "punycode.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psl *p = NULL;
	const uint8_t *list, *names;
	size_t listlen, nameslen, i, start;
	uint32_t cp[64];
	char err[512];

	fuzz_split(data, size, &list, &listlen, &names, &nameslen);
	(void)punycode_decode((const char *)list, listlen < 256 ? listlen : 256, cp, 64);
	if (psl_parse((const char *)list, listlen, "fuzz.dat", &p, err, sizeof(err)) != 0)
		return 0;
	for (start = 0, i = 0; i <= nameslen; i++) {
		if (i < nameslen && names[i] != '\n')
			continue;
		(void)psl_is_suffix(p, (const char *)names + start, i - start);
		(void)psl_covered(p, (const char *)names + start, i - start);
		start = i + 1;
	}
	(void)psl_is_suffix(p, "x.example", strlen("x.example"));
	(void)psl_covered(p, "a.b.co.uk", strlen("a.b.co.uk"));
	psl_free(p);
	return 0;
}
