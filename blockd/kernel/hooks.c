/* Netfilter hooks: blockd's own tables and chains that send selected packets to its queues. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "base/config.h"
#include "hooks.h"
#include "hooks_backend.h"
#include "nfcmd.h"
#include "nfnl.h"
#include "queued.h"

/* The backends, in the order backend = auto tries them: one line each. */
static const struct hooks_backend *const backends[] = {
    &hooks_nft_backend,
    &hooks_ipt_backend,
};

#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

/* The nft hook of each place (hooks_backend.h order). */
static const char *const nft_hook[HOOKS_NPLACES] = {
    [HOOKS_FORWARD] = "forward",
    [HOOKS_OUTPUT] = "output",
    [HOOKS_INPUT] = "input",
};

static const struct hooks_backend *
backend_of(int id)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		if (backends[i]->id == id)
			return backends[i];
	return NULL;
}

/*
 * The IP sets and, per wanted hook, the chain matching them (forward, and
 * output for local). Every forwarded packet passes the base chain, so it
 * does two set lookups (interval set, host set) in its family; only an
 * address in a block set goes on to the allowlist, the log and the verdict.
 */
static void
nft_ip_chains(struct nfcmd_buf *b, const struct hooks_spec *s)
{
	static const char *const fam[2][3] = {{"ip", HOOKS_SET_ALLOW4, HOOKS_SET_BLOCK4},
	    {"ip6", HOOKS_SET_ALLOW6, HOOKS_SET_BLOCK6}};
	uint32_t inj = s->mark | s->mark_block;

	for (int f = 0; f < 2; f++)
		nfcmd_add(b,
		    "\tset %s {\n\t\ttype %s; flags interval;\n\t}\n"
		    "\tset %s {\n\t\ttype %s; flags interval;\n\t}\n",
		    fam[f][1], f ? "ipv6_addr" : "ipv4_addr", fam[f][2],
		    f ? "ipv6_addr" : "ipv4_addr");
	/* The host sets' first generation; ipset.c replaces it when a list outgrows it. */
	nfcmd_add(b,
	    "\tset %s_0 {\n\t\ttype ipv4_addr; size %d;\n\t}\n"
	    "\tset %s_0 {\n\t\ttype ipv6_addr; size %d;\n\t}\n",
	    HOOKS_SET_HOST4, HOOKS_HOSTS_SIZE, HOOKS_SET_HOST6, HOOKS_HOSTS_SIZE);
	nfcmd_add(b, "\tcounter ip_new {\n\t}\n");
	for (int f = 0; f < 2; f++) {
		nfcmd_add(b,
		    "\tchain ip_blocked%d {\n"
		    "\t\tmeta mark & 0x%x == 0x%x return\n"
		    "\t\t%s daddr @%s return\n"
		    "\t\tct state { new, untracked } counter name ip_new",
		    f ? 6 : 4, inj, inj, fam[f][0], fam[f][1]);
		if (s->ip_log_rate)
			nfcmd_add(b, " limit rate %u/second", s->ip_log_rate);
		nfcmd_add(b, " log group %u\n", s->nflog_group);
		if (s->ip_action == CFG_IP_DROP)
			nfcmd_add(b, "\t\tdrop\n");
		else
			nfcmd_add(b,
			    "\t\tmeta l4proto tcp reject with tcp reset\n"
			    "\t\treject with icmpx type admin-prohibited\n");
		nfcmd_add(b, "\t}\n");
	}
	/* ipset.c swaps these two rules when the host sets change generation. */
	nfcmd_add(b,
	    "\tchain %s {\n"
	    "\t\tip daddr @%s_0 jump %s\n"
	    "\t\tip6 daddr @%s_0 jump %s\n"
	    "\t}\n",
	    HOOKS_CHAIN_HOSTS, HOOKS_SET_HOST4, HOOKS_CHAIN_BLOCK4, HOOKS_SET_HOST6,
	    HOOKS_CHAIN_BLOCK6);
	for (int i = HOOKS_FORWARD; i <= HOOKS_OUTPUT; i++) {
		if (!hooks_place_wanted(s, i))
			continue;
		const char *h = nft_hook[i];
		nfcmd_add(b,
		    "\tchain ip_%s {\n"
		    "\t\ttype filter hook %s priority %d; policy accept;\n",
		    h, h, HOOKS_IP_PRIO);
		for (int f = 0; f < 2; f++)
			nfcmd_add(b, "\t\t%s daddr @%s jump ip_blocked%d\n", fam[f][0], fam[f][2],
			    f ? 6 : 4);
		nfcmd_add(b, "\t\tjump %s\n\t}\n", HOOKS_CHAIN_HOSTS);
	}
}

/*
 * paths = one: conntrack never sees a server's SYN-ACK, so it would take the
 * client's next packet for invalid and attach no connection to it (no
 * bytes counted, no mark): nothing of the flow past the SYN would be
 * queued. The client's SYN to a read port is left untracked instead (the
 * queue chains queue it by that state); its next packet starts the
 * connection as one picked up mid-stream (nf_conntrack_tcp_loose, on by
 * default), which conntrack then follows in one direction.
 */
static void
nft_one_way(struct nfcmd_buf *b, const struct hooks_spec *s)
{
	nfcmd_add(b,
	    "\tchain one_way {\n"
	    "\t\ttype filter hook prerouting priority %d; policy accept;\n"
	    "\t\ttcp flags & (syn | ack) == syn ",
	    HOOKS_RAW_PRIO);
	if (!s->ports.all) {
		nfcmd_add(b, "tcp dport { 53");
		for (unsigned i = 0; i < s->ports.n; i++)
			nfcmd_add(b, ", %u", s->ports.port[i]);
		nfcmd_add(b, " } ");
	}
	nfcmd_add(b, "notrack\n\t}\n");
}

/*
 * A TLS flow whose first hello passed (mark_hello on the connection) while
 * the client may still send a second one: the server's first record
 * decides. A ServerHello (a handshake record whose message is type 2) that
 * is not a HelloRetryRequest (RFC 8446 4.1.3: its random is the SHA-256 of
 * "HelloRetryRequest", of which the first 8 bytes are tested) commits the
 * server to the first hello: no second one is read after it, and the flow
 * is marked allowed, so the client's next packets stay in the kernel. Only
 * from where the route to the server leads (fib: a client cannot answer
 * for its server from its own side), and counted (nft list chain). A
 * HelloRetryRequest, or a first record not read so, leaves the client's
 * packets queued for the worker to read; a HelloRetryRequest after such a
 * ServerHello (one forged from elsewhere) queues them again. Not on output,
 * where no server's answer comes in.
 */
static void
server_hello_rules(struct nfcmd_buf *b, const struct hooks_spec *s, int place)
{
	uint32_t bits = s->mark | s->mark_block | s->mark_hello;
	char hello[160];
	struct nfcmd_buf hb = {hello, 0, sizeof(hello), 0};

	if (s->one_way || place == HOOKS_OUTPUT)
		return;
	nfcmd_add(&hb, "ct direction reply @ih,0,16 0x%04x @ih,40,8 0x%x @ih,88,64",
	    QUEUED_TLS_RECORD_HELLO, QUEUED_TLS_SERVER_HELLO);
	nfcmd_add(b,
	    "\t\tct mark & 0x%x == 0x%x %s != 0x%016llx fib saddr . iif oif exists counter "
	    "ct mark set ct mark | 0x%x\n",
	    bits, s->mark_hello, hello, (unsigned long long)QUEUED_TLS_HRR_HEAD, s->mark);
	nfcmd_add(b, "\t\tct mark & 0x%x == 0x%x %s 0x%016llx ct mark set ct mark & 0x%x\n", bits,
	    s->mark_hello | s->mark, hello, (unsigned long long)QUEUED_TLS_HRR_HEAD, ~s->mark);
}

size_t
hooks_nft_ruleset(const struct hooks_spec *s, char *out, size_t outlen)
{
	struct nfcmd_buf b = {out, 0, outlen, 0};
	const struct hooks_backend *be = backend_of(s->backend);
	uint32_t inj = s->mark | s->mark_block;

	nfcmd_add(&b, "table inet %s {\n", HOOKS_TABLE);
	/*
	 * blockd's own injected packets carry both mark bits. An injected UDP
	 * answer must not create a conntrack entry: the client's next query
	 * from the same port would match it as a reply and skip the queue.
	 */
	nfcmd_add(&b,
	    "\tchain inject_output {\n"
	    "\t\ttype filter hook output priority %d; policy accept;\n"
	    "\t\tmeta mark & 0x%x == 0x%x meta l4proto udp notrack\n"
	    "\t}\n",
	    HOOKS_RAW_PRIO, inj, inj);
	if (s->one_way)
		nft_one_way(&b, s);
	nft_ip_chains(&b, s);
	for (int i = 0; i < HOOKS_NPLACES; i++) {
		if (!hooks_place_wanted(s, i))
			continue;
		const char *h = nft_hook[i];
		if (be && be->nft_chains)
			be->nft_chains(&b, s, h);
		/*
		 * Most packets carry none of blockd's bits: one test and out. A
		 * packet blockd blocked comes back accepted with the block bit so
		 * its connection is marked, and is dropped here: the rest of the
		 * flow, queued or not, is then dropped by the queue chains.
		 */
		nfcmd_add(&b,
		    "\tchain mark_%s {\n"
		    "\t\ttype filter hook %s priority %d; policy accept;\n",
		    h, h, HOOKS_MARK_PRIO);
		server_hello_rules(&b, s, i);
		nfcmd_add(&b,
		    "\t\tmeta mark & 0x%x == 0 return\n"
		    "\t\tmeta mark & 0x%x == 0x%x return\n"
		    "\t\tmeta mark & 0x%x == 0x%x ct mark set ct mark | 0x%x\n"
		    "\t\tmeta mark & 0x%x == 0x%x ct mark set ct mark | 0x%x\n"
		    "\t\tmeta mark & 0x%x == 0x%x ct mark set ct mark | 0x%x drop\n"
		    "\t}\n",
		    inj | s->mark_hello, inj, inj, s->mark, s->mark, s->mark, s->mark_hello,
		    s->mark_hello, s->mark_hello, s->mark_block, s->mark_block, s->mark_block);
	}
	nfcmd_add(&b, "}\n");
	return nfcmd_len(&b);
}

int
hooks_detect(char *err, size_t errlen)
{
	char why[NBACKENDS][512];
	struct nfcmd_buf b = {err, 0, errlen, 0};

	for (size_t i = 0; i < NBACKENDS; i++) {
		why[i][0] = '\0';
		if (backends[i]->probe(why[i], sizeof(why[i])) == 0)
			return backends[i]->id;
	}
	/* "no usable queue backend: A failed and B is missing; do this or that" (cut to fit) */
	nfcmd_add(&b, "no usable queue backend: ");
	for (size_t i = 0; i < NBACKENDS; i++)
		nfcmd_add(&b, "%s%s", i ? " and " : "", why[i]);
	for (size_t i = 0; i < NBACKENDS; i++)
		nfcmd_add(&b, "%s%s", i ? " or " : "; ", backends[i]->remedy);
	return -1;
}

int
hooks_remove(char *err, size_t errlen)
{
	char tables[65536];
	char e[512];
	int rc = 0;

	/*
	 * Through netlink, by name: neither the listing nor the deletion reads
	 * a set's elements, so both take as long with a million addresses in
	 * the sets as with none. Backends look only into tables that exist, so
	 * removing creates nothing.
	 */
	if (nfnl_tables(tables, sizeof(tables), e, sizeof(e)) != 0) {
		snprintf(err, errlen, "listing the kernel's tables: %s", e);
		return -1;
	}
	for (size_t i = 0; i < NBACKENDS; i++)
		if (backends[i]->remove && backends[i]->remove(tables, err, errlen) == -1)
			rc = -1;
	if (nfnl_table_delete(HOOKS_TABLE, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "deleting %s", e);
		rc = -1;
	}
	return rc;
}

/* connbytes and ct original packets count only when conntrack accounting is on. */
static void
enable_ct_acct(void)
{
	int fd = open("/proc/sys/net/netfilter/nf_conntrack_acct", O_WRONLY | O_CLOEXEC);
	if (fd != -1) {
		(void)!write(fd, "1\n", 2);
		close(fd);
	}
}

int
hooks_install(const struct hooks_spec *s, char *err, size_t errlen)
{
	const struct hooks_backend *be = backend_of(s->backend);
	char text[8192], e[512];

	if (be == NULL) {
		snprintf(err, errlen, "no such netfilter backend (%d)", s->backend);
		return -1;
	}
	if (hooks_remove(err, errlen) == -1)
		return -1;
	enable_ct_acct();
	/* The mark chains first: a flow decided by the first verdict must already be remembered. */
	if (hooks_nft_ruleset(s, text, sizeof(text)) == 0) {
		snprintf(err, errlen, "nft ruleset too long");
		return -1;
	}
	if (nfcmd_nft(text, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "nft -f (table inet %s): %s%s", HOOKS_TABLE, e,
		    be->nft_hint ? be->nft_hint : "");
		goto fail;
	}
	if (be->install && be->install(s, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	(void)hooks_remove(e, sizeof(e));
	return -1;
}
