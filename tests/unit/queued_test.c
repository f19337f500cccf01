/* Unit tests for queued.c: what the hooks queue, and who judges it. */
#include <criterion/criterion.h>
#include <netinet/in.h>

#include "kernel/queued.h"
#include "wire/sniff.h"

static const struct cfg_ports web = {0, 4, {80, 443, 8080, 8443}};
static const struct cfg_ports all = {1, 0, {0}};

Test(queued, kinds_by_protocol_and_port)
{
	cr_assert_eq(queued_kind(&web, IPPROTO_UDP, 53), QUEUED_DNS_UDP);
	cr_assert_eq(queued_kind(&web, IPPROTO_TCP, 53), QUEUED_DNS_TCP);
	cr_assert_eq(queued_kind(&web, IPPROTO_TCP, 443), QUEUED_WEB);
	cr_assert_eq(queued_kind(&web, IPPROTO_UDP, 443), QUEUED_WEB);
	cr_assert_eq(queued_kind(&web, IPPROTO_TCP, 80), QUEUED_WEB);
	cr_assert_eq(queued_kind(&web, IPPROTO_UDP, 80), QUEUED_WEB);
	cr_assert_eq(queued_kind(&web, IPPROTO_TCP, 8443), QUEUED_WEB);
	cr_assert_eq(queued_kind(&web, IPPROTO_TCP, 22), QUEUED_NONE);
	cr_assert_eq(queued_kind(&web, IPPROTO_ICMP, 53), QUEUED_NONE);
}

Test(queued, all_ports_but_dns)
{
	cr_assert_eq(queued_kind(&all, IPPROTO_UDP, 53), QUEUED_DNS_UDP);
	cr_assert_eq(queued_kind(&all, IPPROTO_TCP, 53), QUEUED_DNS_TCP);
	cr_assert_eq(queued_kind(&all, IPPROTO_TCP, 22), QUEUED_WEB);
	cr_assert_eq(queued_kind(&all, IPPROTO_UDP, 65535), QUEUED_WEB);
	cr_assert_eq(queued_kind(&all, IPPROTO_ICMP, 80), QUEUED_NONE);
}

Test(queued, first_bytes_pick_the_handler)
{
	cr_assert_eq(queued_kind_read(SNIFF_TLS), QUEUED_TLS);
	cr_assert_eq(queued_kind_read(SNIFF_HTTP), QUEUED_HTTP);
	cr_assert_eq(queued_kind_read(SNIFF_QUIC), QUEUED_QUIC);
	cr_assert_eq(queued_kind_read(SNIFF_NONE), QUEUED_NONE);
	cr_assert_eq(queued_kind_read(SNIFF_MORE), QUEUED_NONE);
}

Test(queued, every_selector_has_a_handler_and_one_row)
{
	size_t n;
	const struct queued *q = queued_table(&n);
	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		uint16_t port = q[i].port == QUEUED_PORTS ? 8443 : q[i].port;
		cr_assert_neq(q[i].kind, QUEUED_NONE);
		cr_assert(q[i].proto == IPPROTO_UDP || q[i].proto == IPPROTO_TCP);
		cr_assert_eq(queued_kind(&web, q[i].proto, port), q[i].kind, "row %zu shadowed", i);
		cr_assert_eq(queued_bytes(q[i].kind), q[i].bytes);
	}
}

Test(queued, dns_whole_web_flows_first_bytes)
{
	cr_assert_eq(queued_bytes(QUEUED_DNS_UDP), 0);
	cr_assert_eq(queued_bytes(QUEUED_DNS_TCP), 0);
	cr_assert_eq(queued_bytes(QUEUED_WEB), 131071);
	cr_assert_eq(queued_bytes(QUEUED_TLS), 131071);
	cr_assert_eq(queued_bytes(QUEUED_QUIC), 131071);
	cr_assert_eq(queued_bytes(QUEUED_HTTP), 131071);
	cr_assert_eq(queued_bytes(QUEUED_NONE), 0);
	/* The worker decides once its budget is spent; the rules show it one largest packet more. */
	cr_assert_eq(queued_judge_bytes(QUEUED_TLS), 65536);
	cr_assert_eq(queued_judge_bytes(QUEUED_HTTP), 65536);
	cr_assert_eq(queued_judge_bytes(QUEUED_WEB), 65536);
	cr_assert_eq(queued_judge_bytes(QUEUED_DNS_TCP), 0);
	cr_assert_geq(queued_bytes(QUEUED_TLS) - queued_judge_bytes(QUEUED_TLS), 65535);
	cr_assert_str_eq(queued_proto_name(IPPROTO_UDP), "udp");
	cr_assert_str_eq(queued_proto_name(IPPROTO_TCP), "tcp");
}
