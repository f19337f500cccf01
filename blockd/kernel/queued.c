/* What the hooks send to the queues: protocol, port, how much of a flow, and which handler judges it. */
#include <netinet/in.h>

#include "queued.h"

/*
 * A DNS query may come on any packet of a connection; a 443/80 flow shows
 * its name (SNI, QUIC Initial, HTTP request head) in its first packets, and
 * the rest of it stays in the kernel.
 */
#define FIRST_PACKETS 8

static const struct queued table[] = {
    {IPPROTO_UDP, 53, 0, QUEUED_DNS_UDP},
    {IPPROTO_TCP, 53, 0, QUEUED_DNS_TCP},
    {IPPROTO_TCP, 443, FIRST_PACKETS, QUEUED_TLS},
    {IPPROTO_UDP, 443, FIRST_PACKETS, QUEUED_QUIC},
    {IPPROTO_TCP, 80, FIRST_PACKETS, QUEUED_HTTP},
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
queued_packets(int kind)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (table[i].kind == kind)
			return table[i].packets;
	return 0;
}

const char *
queued_proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}
