/* Unit tests for queued.c: what the hooks queue, and who judges it. */
#include <criterion/criterion.h>
#include <netinet/in.h>

#include "kernel/queued.h"

Test(queued, kinds_by_protocol_and_port)
{
	cr_assert_eq(queued_kind(IPPROTO_UDP, 53), QUEUED_DNS_UDP);
	cr_assert_eq(queued_kind(IPPROTO_TCP, 53), QUEUED_DNS_TCP);
	cr_assert_eq(queued_kind(IPPROTO_TCP, 443), QUEUED_TLS);
	cr_assert_eq(queued_kind(IPPROTO_UDP, 443), QUEUED_QUIC);
	cr_assert_eq(queued_kind(IPPROTO_TCP, 80), QUEUED_HTTP);
	cr_assert_eq(queued_kind(IPPROTO_UDP, 80), QUEUED_NONE);
	cr_assert_eq(queued_kind(IPPROTO_TCP, 8080), QUEUED_NONE);
	cr_assert_eq(queued_kind(IPPROTO_ICMP, 53), QUEUED_NONE);
}

Test(queued, every_selector_has_a_handler_and_one_row)
{
	size_t n;
	const struct queued *q = queued_table(&n);
	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		cr_assert_neq(q[i].kind, QUEUED_NONE);
		cr_assert(q[i].proto == IPPROTO_UDP || q[i].proto == IPPROTO_TCP);
		cr_assert_eq(queued_kind(q[i].proto, q[i].port), q[i].kind, "row %zu shadowed", i);
		cr_assert_eq(queued_packets(q[i].kind), q[i].packets);
	}
}

Test(queued, dns_whole_web_flows_first_packets)
{
	cr_assert_eq(queued_packets(QUEUED_DNS_UDP), 0);
	cr_assert_eq(queued_packets(QUEUED_DNS_TCP), 0);
	cr_assert_eq(queued_packets(QUEUED_TLS), 8);
	cr_assert_eq(queued_packets(QUEUED_QUIC), 8);
	cr_assert_eq(queued_packets(QUEUED_HTTP), 8);
	cr_assert_eq(queued_packets(QUEUED_NONE), 0);
	cr_assert_str_eq(queued_proto_name(IPPROTO_UDP), "udp");
	cr_assert_str_eq(queued_proto_name(IPPROTO_TCP), "tcp");
}
