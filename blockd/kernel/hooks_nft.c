/* The nft backend: queue chains in table inet blockd with nftables' own queue statement. */
#include <netinet/in.h>
#include <stdio.h>

#include "hooks_backend.h"
#include "queued.h"

#define PROBE_TABLE "blockd_probe"

/*
 * One queue, or several with flows spread by symhash: a hash of addresses
 * and ports, the same both ways, so every packet of a flow reaches the
 * worker that holds it (a queue range, "queue num a-b", would hash the
 * addresses alone and send every flow between two hosts to one worker).
 */
static void
queue_stmt(struct nfcmd_buf *b, const struct hooks_spec *s)
{
	if (s->qfirst == s->qlast)
		nfcmd_add(b, "queue num %u%s", s->qfirst, s->fail_open ? " bypass" : "");
	else
		nfcmd_add(b, "queue %sto symhash mod %u offset %u",
		    s->fail_open ? "flags bypass " : "", s->qlast - s->qfirst + 1u, s->qfirst);
}

/* A selector's packets: "tcp dport 53", "tcp dport { 80, 443 }", "meta l4proto tcp" (all). */
static void
selector(struct nfcmd_buf *b, const struct hooks_spec *s, const struct queued *q)
{
	const char *proto = queued_proto_name(q->proto);

	if (q->port != QUEUED_PORTS) {
		nfcmd_add(b, "%s dport %u ", proto, q->port);
	} else if (s->ports.all) {
		nfcmd_add(b, "meta l4proto %s ", proto);
	} else if (s->ports.n == 1) {
		nfcmd_add(b, "%s dport %u ", proto, s->ports.port[0]);
	} else {
		nfcmd_add(b, "%s dport { ", proto);
		for (unsigned i = 0; i < s->ports.n; i++)
			nfcmd_add(b, "%s%u", i ? ", " : "", s->ports.port[i]);
		nfcmd_add(b, " } ");
	}
}

/*
 * Client Initials of QUIC v1 and v2 (queued.h) on the UDP web ports, found
 * by the first byte's long-header and type bits and the version: queued
 * also on flows decided allowed, and past the bytes a flow is queued for,
 * so that every new connection on the same ports is judged.
 */
static void
quic_initials(struct nfcmd_buf *b, const struct hooks_spec *s, const struct queued *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (q[i].proto != IPPROTO_UDP || q[i].kind != QUEUED_WEB)
			continue;
		nfcmd_add(b, "\t\t");
		selector(b, s, &q[i]);
		nfcmd_add(b, "@th,64,40 & 0x%02x%08x { 0x%02x%08x, 0x%02x%08x } ",
		    QUEUED_QUIC_TYPE_MASK, 0xffffffffu, QUEUED_QUIC_INITIAL_V1, QUEUED_QUIC_V1,
		    QUEUED_QUIC_INITIAL_V2, QUEUED_QUIC_V2);
		queue_stmt(b, s);
		nfcmd_add(b, "\n");
	}
}

/*
 * Decided flows leave (blocked ones are dropped; a QUIC Initial of an
 * allowed one is still queued), replies pass, the selectors queue. Past its bytes a flow still undecided (the worker is
 * behind, or does not know it) is queued too, marked late: nothing of it
 * passes unjudged just because the worker has not yet caught up. A packet
 * without a connection (invalid: a segment without ACK, say) is neither.
 */
static void
queue_chain(struct nfcmd_buf *b, const struct hooks_spec *s, const char *h)
{
	uint32_t inj = s->mark | s->mark_block;
	size_t n;
	const struct queued *q = queued_table(&n);

	nfcmd_add(b,
	    "\tchain queue_%s {\n"
	    "\t\ttype filter hook %s priority %d; policy accept;\n"
	    "\t\tmeta mark & 0x%x == 0x%x return\n"
	    "\t\tct mark & 0x%x != 0 drop\n"
	    "\t\tct direction != original return\n",
	    h, h, HOOKS_QUEUE_PRIO, inj, inj, s->mark_block);
	/* paths = one: the client's SYN, left untracked (hooks.c nft_one_way). */
	if (s->one_way) {
		nfcmd_add(b, "\t\tct state untracked ");
		queue_stmt(b, s);
		nfcmd_add(b, "\n");
	}
	quic_initials(b, s, q, n);
	nfcmd_add(b, "\t\tct mark & 0x%x != 0 return\n", s->mark);
	for (size_t i = 0; i < n; i++) {
		/* TCP web flows: segments with data (a byte past the TCP header), or SYN, FIN, RST. */
		int tcpweb = q[i].proto == IPPROTO_TCP && q[i].kind == QUEUED_WEB && q[i].bytes;
		for (int j = 0; j < (tcpweb ? 2 : 1); j++) {
			nfcmd_add(b, "\t\t");
			selector(b, s, &q[i]);
			if (q[i].bytes)
				nfcmd_add(b, "ct original bytes <= %u ", q[i].bytes);
			if (tcpweb && j == 0)
				nfcmd_add(b, "tcp flags & (fin | syn | rst) != 0 ");
			else if (tcpweb)
				nfcmd_add(b, "@ih,0,8 & 0x0 == 0x0 ");
			queue_stmt(b, s);
			nfcmd_add(b, "\n");
		}
		if (q[i].bytes == 0)
			continue;
		nfcmd_add(b, "\t\t");
		selector(b, s, &q[i]);
		nfcmd_add(b, "ct original bytes > %u meta mark set meta mark | 0x%x ", q[i].bytes,
		    s->mark_late);
		queue_stmt(b, s);
		nfcmd_add(b, "\n");
	}
	nfcmd_add(b, "\t}\n");
}

/* A native queue rule in a scratch table, removed again. */
static int
probe(char *err, size_t errlen)
{
	char e[512];
	const char *rule = "table inet " PROBE_TABLE " {\n"
			   "\tchain probe {\n\t\tudp dport 9 queue num 0 bypass\n\t}\n}\n";
	const char *gone = "table inet " PROBE_TABLE "\ndelete table inet " PROBE_TABLE "\n";

	int ok = nfcmd_nft(rule, e, sizeof(e)) == 0;
	(void)nfcmd_nft(gone, NULL, 0);
	if (ok)
		return 0;
	snprintf(err, errlen, "nft queue failed (%s)", e);
	return -1;
}

const struct hooks_backend hooks_nft_backend = {
    .id = CFG_BACKEND_NFT,
    .name = "nft",
    .probe = probe,
    .remedy = "load nft_queue",
    .nft_chains = queue_chain,
    .nft_hint = " (if this kernel lacks the nft queue expression, set backend = iptables or auto)",
};
