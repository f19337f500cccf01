/* The iptables backend: NFQUEUE rules in mangle chains (iptables-nft), where nft has no queue. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "hooks_backend.h"
#include "queued.h"

#define CHAIN_PREFIX "BLOCKD-" /* mangle chains BLOCKD-FWD, -OUT, -IN, and -Q */
#define CHAIN_SPREAD CHAIN_PREFIX "Q"

/* Per place (hooks_backend.h order): the built-in chain and ours jumped to from it. */
static const struct {
	const char *builtin;
	const char *ours;
} places[HOOKS_NPLACES] = {
    [HOOKS_FORWARD] = {"FORWARD", CHAIN_PREFIX "FWD"},
    [HOOKS_OUTPUT] = {"OUTPUT", CHAIN_PREFIX "OUT"},
    [HOOKS_INPUT] = {"INPUT", CHAIN_PREFIX "IN"},
};

static const char *const ipt_save[2] = {"iptables-nft-save", "ip6tables-nft-save"};
static const char *const ipt_restore[2] = {"iptables-nft-restore", "ip6tables-nft-restore"};

#define MULTIPORT_MAX 15 /* ports one multiport match takes */

/*
 * The protocol and port match of selector sel for its ports from..to (the
 * [flows] ports take one multiport match per 15 of them) into mb.
 */
static void
port_match(struct nfcmd_buf *mb, const struct hooks_spec *s, const struct queued *sel,
    unsigned nports, unsigned from, unsigned to)
{
	nfcmd_add(mb, "-p %s ", queued_proto_name(sel->proto));
	if (sel->port != QUEUED_PORTS) {
		nfcmd_add(mb, "--dport %u ", sel->port);
	} else if (!s->ports.all && nports == 1) {
		nfcmd_add(mb, "--dport %u ", s->ports.port[0]);
	} else if (!s->ports.all) {
		nfcmd_add(mb, "-m multiport --dports ");
		for (unsigned i = from; i < to; i++)
			nfcmd_add(mb, "%s%u", i > from ? "," : "", s->ports.port[i]);
		nfcmd_add(mb, " ");
	}
}

/* How many ports selector sel matches, for port_match() (1: one rule). */
static unsigned
selector_ports(const struct hooks_spec *s, const struct queued *sel)
{
	return sel->port != QUEUED_PORTS || s->ports.all ? 1 : s->ports.n;
}

/*
 * A TCP web flow's first bytes, match m, to chain c: the segments with a
 * SYN, FIN or RST (queued.h), and those with data, which u32 finds by the
 * 4 bytes that end at the first byte past the TCP header (jumping by the
 * header's length, then reading 3 bytes short of where the IP header's
 * length puts the data: an IPv4 header without options, an IPv6 one
 * without extension headers). A packet u32 cannot follow so (IPv4 options,
 * IPv6 extension headers) is queued whatever it holds.
 */
static void
tcp_web_rules(struct nfcmd_buf *b, const char *c, const char *m, unsigned bytes, const char *q,
    const char *bypass)
{
	static const char *const what[] = {
	    "! --tcp-flags SYN,FIN,RST NONE",
	    "-m u32 --u32 \"0>>24=0x45&&32>>26&0x3C@17=0:0xFFFFFFFF\"",
	    "-m u32 --u32 \"0>>24=0x46:0x4F\"",
	    "-m u32 --u32 \"0>>28=6&&6>>24=6&&52>>26&0x3C@37=0:0xFFFFFFFF\"",
	    "-m u32 --u32 \"0>>28=6&&6>>24=0:5,7:255\"",
	};

	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++)
		nfcmd_add(b,
		    "-A %s %s-m connbytes --connbytes 0:%u --connbytes-dir original "
		    "--connbytes-mode bytes %s %s%s\n",
		    c, m, bytes, what[i], q, bypass);
}

/*
 * The rules of one selector in chain c: within its bytes queued; past
 * them, a flow still undecided marked late (queued by the chain's last
 * rule). A packet without a connection (invalid) matches neither.
 */
static void
selector_rules(struct nfcmd_buf *b, const struct hooks_spec *s, const char *c,
    const struct queued *sel, const char *q, const char *bypass)
{
	unsigned nports = selector_ports(s, sel);

	for (unsigned from = 0; from < nports; from += MULTIPORT_MAX) {
		char m[160];
		struct nfcmd_buf mb = {m, 0, sizeof(m), 0};
		unsigned to = from + MULTIPORT_MAX < nports ? from + MULTIPORT_MAX : nports;

		port_match(&mb, s, sel, nports, from, to);
		if (nfcmd_len(&mb) == 0)
			continue;
		if (sel->bytes == 0) {
			nfcmd_add(b, "-A %s %s%s%s\n", c, m, q, bypass);
			continue;
		}
		if (sel->proto == IPPROTO_TCP && sel->kind == QUEUED_WEB) {
			tcp_web_rules(b, c, m, sel->bytes, q, bypass);
		} else {
			nfcmd_add(b,
			    "-A %s %s-m connbytes --connbytes 0:%u --connbytes-dir original "
			    "--connbytes-mode bytes %s%s\n",
			    c, m, sel->bytes, q, bypass);
		}
		nfcmd_add(b,
		    "-A %s %s-m connbytes --connbytes %u --connbytes-dir original "
		    "--connbytes-mode bytes -j MARK --or-mark 0x%x\n",
		    c, m, sel->bytes + 1, s->mark_late);
	}
}

/*
 * Client Initials of QUIC v1 and v2 (queued.h) on the UDP web ports to
 * chain c, queued also on flows decided allowed, so a new connection on the
 * same ports is judged anew: u32 reads the UDP payload from the IP header,
 * so one rule for IPv4 (past its options) and one for IPv6 without
 * extension headers, each testing the IP version (the text serves both
 * families); an IPv6 packet with extension headers, where u32 cannot
 * follow the chain, is queued whatever it holds.
 */
static void
quic_initials(struct nfcmd_buf *b, const struct hooks_spec *s, const char *c, const char *q,
    const char *bypass)
{
	size_t n;
	const struct queued *sel = queued_table(&n);
	static const char *const where[] = {
	    "0>>28=4&&0>>22&0x3C@8&0x%02XFFFFFF=0x%02X%06X,0x%02X%06X&&0>>22&0x3C@9=0x%X,0x%X",
	    "0>>28=6&&6>>24=17&&48&0x%02XFFFFFF=0x%02X%06X,0x%02X%06X&&49=0x%X,0x%X",
	};

	for (size_t i = 0; i < n; i++) {
		if (sel[i].proto != IPPROTO_UDP || sel[i].kind != QUEUED_WEB)
			continue;
		unsigned nports = selector_ports(s, &sel[i]);
		for (unsigned from = 0; from < nports; from += MULTIPORT_MAX) {
			char m[160];
			struct nfcmd_buf mb = {m, 0, sizeof(m), 0};
			unsigned to = from + MULTIPORT_MAX < nports ? from + MULTIPORT_MAX : nports;

			port_match(&mb, s, &sel[i], nports, from, to);
			if (nfcmd_len(&mb) == 0)
				continue;
			for (size_t j = 0; j < sizeof(where) / sizeof(where[0]); j++) {
				nfcmd_add(b, "-A %s %s-m u32 --u32 \"", c, m);
				nfcmd_add(b, where[j], QUEUED_QUIC_TYPE_MASK,
				    QUEUED_QUIC_INITIAL_V1, QUEUED_QUIC_V1 >> 8,
				    QUEUED_QUIC_INITIAL_V2, QUEUED_QUIC_V2 >> 8, QUEUED_QUIC_V1,
				    QUEUED_QUIC_V2);
				nfcmd_add(b, "\" %s%s\n", q, bypass);
			}
			nfcmd_add(b, "-A %s %s-m u32 --u32 \"0>>28=6&&6>>24=0:16,18:255\" %s%s\n",
			    c, m, q, bypass);
		}
	}
}

/*
 * Chain BLOCKD-Q: several queues, a flow's packets to one of them by its
 * client's port (the low byte of the source port, in equal ranges): only
 * the client's packets are queued, so every packet of a flow reaches the
 * worker that holds it, and flows between the same two hosts spread over
 * all workers (--queue-balance hashes the addresses alone). A packet u32
 * cannot read the port of (IPv6 extension headers) is balanced by
 * address. A verdict of queued packets here ends their way through the
 * chain that jumped, as NFQUEUE there would.
 */
static void
spread_rules(struct nfcmd_buf *b, const struct hooks_spec *s, const char *bypass)
{
	static const char *const port[] = {
	    "0>>28=4&&0>>22&0x3C@0>>16&0xFF=%u:%u",
	    "0>>28=6&&6>>24=6,17&&40>>16&0xFF=%u:%u",
	};
	unsigned n = s->qlast - s->qfirst + 1u;

	for (size_t f = 0; f < sizeof(port) / sizeof(port[0]); f++) {
		for (unsigned k = 0; k < n; k++) {
			nfcmd_add(b, "-A %s -m u32 --u32 \"", CHAIN_SPREAD);
			nfcmd_add(b, port[f], k * 256u / n, (k + 1u) * 256u / n - 1u);
			nfcmd_add(b, "\" -j NFQUEUE --queue-num %u%s\n", s->qfirst + k, bypass);
		}
	}
	nfcmd_add(b, "-A %s -j NFQUEUE --queue-balance %u:%u%s\n", CHAIN_SPREAD, s->qfirst,
	    s->qlast, bypass);
}

size_t
hooks_ipt_rules(const struct hooks_spec *s, char *out, size_t outlen)
{
	struct nfcmd_buf b = {out, 0, outlen, 0};
	char q[64];
	size_t nq;
	const struct queued *sel = queued_table(&nq);

	const char *bypass_q = s->fail_open ? " --queue-bypass" : "";
	int spread = s->qfirst != s->qlast;
	const char *bypass = spread ? "" : bypass_q; /* a jump to BLOCKD-Q takes none */
	if (!spread)
		snprintf(q, sizeof(q), "-j NFQUEUE --queue-num %u", s->qfirst);
	else
		snprintf(q, sizeof(q), "-j %s", CHAIN_SPREAD);

	nfcmd_add(&b, "*mangle\n");
	for (int i = 0; i < HOOKS_NPLACES; i++)
		if (hooks_place_wanted(s, i))
			nfcmd_add(&b, ":%s - [0:0]\n", places[i].ours);
	if (spread) {
		nfcmd_add(&b, ":%s - [0:0]\n", CHAIN_SPREAD);
		spread_rules(&b, s, bypass_q);
	}
	for (int i = 0; i < HOOKS_NPLACES; i++) {
		if (!hooks_place_wanted(s, i))
			continue;
		const char *c = places[i].ours;
		nfcmd_add(&b, "-A %s -m mark --mark 0x%x/0x%x -j RETURN\n", c,
		    s->mark | s->mark_block, s->mark | s->mark_block);
		nfcmd_add(&b, "-A %s -m connmark --mark 0x%x/0x%x -j DROP\n", c, s->mark_block,
		    s->mark_block);
		/* paths = one: the client's SYN, left untracked (hooks.c nft_one_way). */
		if (s->one_way)
			nfcmd_add(
			    &b, "-A %s -m conntrack --ctstate UNTRACKED %s%s\n", c, q, bypass);
		nfcmd_add(&b, "-A %s -m conntrack --ctdir REPLY -j RETURN\n", c);
		quic_initials(&b, s, c, q, bypass);
		nfcmd_add(
		    &b, "-A %s -m connmark --mark 0x%x/0x%x -j RETURN\n", c, s->mark, s->mark);
		for (size_t j = 0; j < nq; j++)
			selector_rules(&b, s, c, &sel[j], q, bypass);
		/* Past its bytes, a flow still undecided: queued, marked late (worker.c). */
		nfcmd_add(&b, "-A %s -m mark --mark 0x%x/0x%x %s%s\n", c, s->mark_late,
		    s->mark_late, q, bypass);
		nfcmd_add(&b, "-I %s 1 -j %s\n", places[i].builtin, c);
	}
	nfcmd_add(&b, "COMMIT\n");
	return nfcmd_len(&b);
}

int
hooks_ipt_table_empty(const char *save)
{
	int seen = 0;
	for (const char *l = save; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n == 0 || l[0] == '#' || (n == 7 && strncmp(l, "*mangle", 7) == 0) ||
		    (n == 6 && strncmp(l, "COMMIT", 6) == 0)) {
			/* framing */
		} else if (l[0] == ':' && memmem(l, n, " ACCEPT ", 8) != NULL) {
			seen = 1; /* a built-in chain with the default policy */
		} else {
			return 0;
		}
		l = e ? e + 1 : NULL;
	}
	return seen;
}

size_t
hooks_ipt_removal(const char *save, char *out, size_t outlen)
{
	struct nfcmd_buf b = {out, 0, outlen, 0};
	char chains[8][64];
	size_t nchains = 0;
	int any = 0;

	nfcmd_add(&b, "*mangle\n");
	for (const char *l = save; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n > 3 && strncmp(l, "-A ", 3) == 0 &&
		    !(n > 3 + 7 && strncmp(l + 3, CHAIN_PREFIX, 7) == 0)) {
			/* A rule in someone's chain: ours only if it is exactly a jump to our chain. */
			const char *j = memmem(l, n, " -j " CHAIN_PREFIX, 11);
			if (j && memchr(j + 4, ' ', n - (size_t)(j + 4 - l)) == NULL) {
				nfcmd_add(&b, "-D%.*s\n", (int)(n - 2), l + 2);
				any = 1;
			}
		} else if (n > 1 + 7 && l[0] == ':' && strncmp(l + 1, CHAIN_PREFIX, 7) == 0) {
			const char *sp = memchr(l, ' ', n);
			size_t cl = sp ? (size_t)(sp - l - 1) : n - 1;
			if (nchains < 8 && cl < sizeof(chains[0])) {
				memcpy(chains[nchains], l + 1, cl);
				chains[nchains++][cl] = '\0';
			}
		}
		l = e ? e + 1 : NULL;
	}
	/* Every chain flushed before any is deleted: BLOCKD-Q is jumped to from the others. */
	for (size_t i = 0; i < nchains; i++) {
		nfcmd_add(&b, "-F %s\n", chains[i]);
		any = 1;
	}
	for (size_t i = 0; i < nchains; i++)
		nfcmd_add(&b, "-X %s\n", chains[i]);
	nfcmd_add(&b, "COMMIT\n");
	return any ? nfcmd_len(&b) : 0;
}

/* iptables-nft is there to run. */
static int
probe(char *err, size_t errlen)
{
	char *const argv[] = {"iptables-nft", "-V", NULL};
	if (nfcmd_run(argv, NULL, NULL, 0, NULL, 0) == 0)
		return 0;
	snprintf(err, errlen, "iptables-nft is missing");
	return -1;
}

/* The mangle chains, for IPv4 and IPv6 alike. */
static int
install(const struct hooks_spec *s, char *err, size_t errlen)
{
	char text[32768], e[512];

	if (hooks_ipt_rules(s, text, sizeof(text)) == 0) {
		snprintf(err, errlen, "iptables rules too long");
		return -1;
	}
	for (int f = 0; f < 2; f++) {
		char *const rs[] = {(char *)ipt_restore[f], "--noflush", NULL};
		if (nfcmd_run(rs, text, NULL, 0, e, sizeof(e)) != 0) {
			snprintf(err, errlen, "%s: %s", ipt_restore[f], e);
			return -1;
		}
	}
	return 0;
}

/* Our chains and the jumps to them; mangle looked into only where it exists. */
static int
remove_rules(const char *tables, char *err, size_t errlen)
{
	char e[512];
	int rc = 0;

	for (int f = 0; f < 2; f++) {
		const char *want = f == 0 ? "table ip mangle\n" : "table ip6 mangle\n";
		if (strstr(tables, want) == NULL)
			continue;
		char save[65536], del[8192];
		char *const sv[] = {(char *)ipt_save[f], "-t", "mangle", NULL};
		if (nfcmd_run(sv, NULL, save, sizeof(save), e, sizeof(e)) != 0) {
			snprintf(err, errlen, "%s: %s", ipt_save[f], e);
			rc = -1;
			continue;
		}
		if (hooks_ipt_removal(save, del, sizeof(del)) == 0)
			continue;
		char *const rs[] = {(char *)ipt_restore[f], "--noflush", NULL};
		if (nfcmd_run(rs, del, NULL, 0, e, sizeof(e)) != 0) {
			snprintf(err, errlen, "%s (removing blockd chains): %s", ipt_restore[f], e);
			rc = -1;
			continue;
		}
		/*
		 * iptables-nft created the mangle table for our chains; if nothing but
		 * empty built-in chains with default policies is left, take it away too.
		 */
		if (nfcmd_run(sv, NULL, save, sizeof(save), e, sizeof(e)) == 0 &&
		    hooks_ipt_table_empty(save)) {
			char *const dt[] = {
			    "nft", "delete", "table", f == 0 ? "ip" : "ip6", "mangle", NULL};
			(void)nfcmd_run(dt, NULL, NULL, 0, e, sizeof(e));
		}
	}
	return rc;
}

const struct hooks_backend hooks_ipt_backend = {
    .id = CFG_BACKEND_IPTABLES,
    .name = "iptables",
    .probe = probe,
    .remedy = "install iptables",
    .install = install,
    .remove = remove_rules,
};
