/* Fuzzes what the probe reads from the network: DNS answers (probemsg_dns_answer), HTTP status lines. */
#include <stdint.h>

#include "fuzz.h"
#include "wire/probemsg.h"

/* Input: the answer to query id 0x1234 (the ID its first two bytes must hold to be read). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probemsg_dns a;

	probemsg_dns_answer(data, size, 0x1234, &a);
	probemsg_http_status(data, size);
	return 0;
}
