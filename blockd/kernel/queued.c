/* What the hooks send to the queues: protocol, port, how much of a flow, and which handler judges it. */
#include <netinet/in.h>

#include "queued.h"

/*
 * A DNS query may come on any packet of a connection; a 443/80 flow shows
 * its name (SNI, QUIC Initial, HTTP request head) in its first bytes,
 * however many packets the client cuts them into, and the rest of it stays
 * in the kernel. An undecided flow is queued for the worker's budget
 * (QUEUED_JUDGE_BYTES) plus one largest packet, so that the worker sees
 * the packet that spends its budget and decides there.
 */
#define FIRST_BYTES (QUEUED_JUDGE_BYTES + QUEUED_PACKET_MAX)

static const struct queued table[] = {
    {IPPROTO_UDP, 53, 0, QUEUED_DNS_UDP},
    {IPPROTO_TCP, 53, 0, QUEUED_DNS_TCP},
    {IPPROTO_TCP, 443, FIRST_BYTES, QUEUED_TLS},
    {IPPROTO_UDP, 443, FIRST_BYTES, QUEUED_QUIC},
    {IPPROTO_TCP, 80, FIRST_BYTES, QUEUED_HTTP},
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

const struct queued *
queued_table(size_t *n)
{
	*n = NTABLE;
	return table;
}

int
queued_kind(int proto, uint16_t port)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (table[i].port == port && table[i].proto == proto)
			return table[i].kind;
	return QUEUED_NONE;
}

unsigned
queued_bytes(int kind)
{
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

const char *
queued_proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}
