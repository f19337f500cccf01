/*
 * Fuzzes the IP/TCP/UDP header parser (pkt_parse) on packets as NFQUEUE
 * hands them over: whatever it reports must lie inside the buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <netinet/in.h>

#include "fuzz.h"
#include "wire/pkt.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	int res;

	res = pkt_parse(data, size, &p);
	if (res < PKT_OK || res > PKT_OTHER_PROTO)
		abort();
	(void)pkt_status_name(res);
	if (res != PKT_OK)
		return 0;
	if (p.family != 4 && p.family != 6)
		abort();
	if (p.proto != IPPROTO_TCP && p.proto != IPPROTO_UDP)
		abort();
	if (p.l3 != data || p.l3len > size || p.l4off >= p.l3len)
		abort();
	if (p.payload < data || p.payload + p.paylen > data + p.l3len)
		abort();
	return 0;
}
