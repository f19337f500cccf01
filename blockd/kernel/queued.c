/* What the hooks send to the queues: protocol, port, how much of a flow, and which handler judges it. */
#include <netinet/in.h>

#include "wire/pkt.h"
#include "wire/sniff.h"
#include "queued.h"

/*
 * A DNS query may come on any packet of a connection; a web flow (TLS,
 * QUIC, HTTP/1 on any of the [flows] ports) shows its name (SNI, QUIC
 * Initial, HTTP request head) in its first bytes, however many packets the
 * client cuts them into, and the rest of it stays in the kernel. An undecided flow is queued for the worker's budget
 * (QUEUED_JUDGE_BYTES) plus one largest packet, so that the worker sees
 * the packet that spends its budget and decides there.
 */
#define FIRST_BYTES (QUEUED_JUDGE_BYTES + QUEUED_PACKET_MAX)

static const struct queued table[] = {
    {IPPROTO_UDP, 53, 0, QUEUED_DNS_UDP},
    {IPPROTO_TCP, 53, 0, QUEUED_DNS_TCP},
    {IPPROTO_TCP, QUEUED_PORTS, FIRST_BYTES, QUEUED_WEB},
    {IPPROTO_UDP, QUEUED_PORTS, FIRST_BYTES, QUEUED_WEB},
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

const struct queued *
queued_table(size_t *n)
{
	*n = NTABLE;
	return table;
}

int
queued_kind(const struct cfg_ports *ports, int proto, uint16_t port)
{
	for (size_t i = 0; i < NTABLE; i++) {
		if (table[i].proto != proto)
			continue;
		if (table[i].port == QUEUED_PORTS ? config_port_listed(ports, port)
						  : table[i].port == port)
			return table[i].kind;
	}
	return QUEUED_NONE;
}

int
queued_kind_read(int sniff)
{
	switch (sniff) {
	case SNIFF_TLS:
		return QUEUED_TLS;
	case SNIFF_HTTP:
		return QUEUED_HTTP;
	case SNIFF_QUIC:
		return QUEUED_QUIC;
	default:
		return QUEUED_NONE;
	}
}

unsigned
queued_bytes(int kind)
{
	if (kind == QUEUED_TLS || kind == QUEUED_HTTP || kind == QUEUED_QUIC)
		kind = QUEUED_WEB;
	for (size_t i = 0; i < NTABLE; i++)
		if (table[i].kind == kind)
			return table[i].bytes;
	return 0;
}

unsigned
queued_judge_bytes(int kind)
{
	unsigned n = queued_bytes(kind);

	return n > QUEUED_PACKET_MAX ? n - QUEUED_PACKET_MAX : 0;
}

_Static_assert(QUEUED_TCP_FLAGS == (PKT_TCP_SYN | PKT_TCP_FIN | PKT_TCP_RST), "SYN, FIN, RST");

int
queued_web_tcp(uint8_t tcp_flags, size_t paylen)
{
	return (tcp_flags & QUEUED_TCP_FLAGS) != 0 || paylen > 0;
}

const char *
queued_proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}
