/* Fuzzes the control socket's request line parser (ctl_parse). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctl.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req;
	char err[256];
	char *buf;

	/*
	 * ctl_parse() works in place and may write a NUL just past a line
	 * without its newline, as its callers' buffers allow: one spare byte.
	 */
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (ctl_parse(buf, size, &req, err, sizeof(err)) == 0 && req.arg != NULL)
		(void)strlen(req.arg);
	free(buf);
	return 0;
}
