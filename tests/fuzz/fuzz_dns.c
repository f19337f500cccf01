/*
 * Fuzzes the DNS query parser (dns_query_parse), the ldns cross-check of
 * what it read (dns_query_verify), the answers built from a parsed query,
 * and the TCP stream framing (dns_tcp_next). The first input byte picks UDP
 * (the rest is one message) or TCP (the rest is a length-prefixed stream).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/dns.h"
#include "fuzz.h"

static void
one_message(const uint8_t *msg, size_t len, int ctl)
{
	static uint8_t out[65536 + 512];
	static const uint8_t v4[4] = {192, 0, 2, 80};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x80};
	struct dns_query q;
	struct dns_block b;
	size_t n, i;
	int res;

	memset(&q, 0, sizeof(q));
	res = dns_query_parse(msg, len, &q);
	if (res < DNS_OK || res > DNS_ODD_NAME)
		abort();
	if (res != DNS_OK)
		return;
	if (strlen(q.name) != q.namelen || q.namelen > DNS_NAME_MAX)
		abort();
	for (i = 0; i < q.namelen; i++)
		if (q.name[i] >= 'A' && q.name[i] <= 'Z')
			abort(); /* documented as lowercase */
	if (q.question < msg || q.question + q.qlen > msg + len)
		abort();
	(void)dns_query_verify(msg, len, &q);

	memset(&b, 0, sizeof(b));
	b.sinkhole = ctl & 2 ? 1 : 0;
	b.v4 = ctl & 4 ? v4 : NULL;
	b.v6 = ctl & 8 ? v6 : NULL;
	b.ttl = 60;
	b.ede = 1;
	b.ede_text = "Blocked by order CL-2026-000123 (https://orders.example/CL-2026-000123)";
	n = dns_answer_block(&q, &b, out, sizeof(out));
	if (n > sizeof(out))
		abort();
	/* The same answer into a buffer one byte short must be refused, not cut. */
	if (n > 0 && dns_answer_block(&q, &b, out, n - 1) != 0)
		abort();
	n = dns_answer_servfail(&q, out, (size_t)(ctl >> 4) * 64);
	if (n > (size_t)(ctl >> 4) * 64)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *msg;
	size_t off = 0, mlen;
	int ctl, guard = 0;

	if (size < 1)
		return 0;
	ctl = data[0];
	data++;
	size--;
	if (!(ctl & 1)) {
		one_message(data, size, ctl);
		return 0;
	}
	while (guard++ < 64) {
		size_t before = off;
		int r = dns_tcp_next(data, size, &off, &msg, &mlen);

		if (r != 1)
			break;
		if (off <= before || off > size || msg < data || msg + mlen > data + size)
			abort();
		one_message(msg, mlen, ctl);
	}
	return 0;
}
