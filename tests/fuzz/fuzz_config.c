/* Fuzzes the configuration parser (config_parse): text checks, iniparser, every key's checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct blockd_config c;
	char err[4096];

	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		abort();
	if (config_parse(&c, "fuzz.conf", (const char *)data, size, err, sizeof(err)) == 0)
		config_print(&c, sink);
	return 0;
}
