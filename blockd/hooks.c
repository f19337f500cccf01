/* Netfilter hooks: blockd's own tables and chains that send selected packets to its queues. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "hooks.h"
#include "ipset.h"

/* An appender that remembers overflow. */
struct sbuf {
	char *p;
	size_t len, cap;
	int over;
};

static void __attribute__((format(printf, 2, 3))) sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->over)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->over = 1;
	else
		b->len += (size_t)n;
}

static size_t
sb_done(struct sbuf *b)
{
	return b->over ? 0 : b->len;
}

/* The three places a packet can be seen, and whether spec wants each. */
static const struct {
	const char *nft_hook;
	const char *ipt_chain;
	const char *our_chain;
	int forward;
} places[] = {
    {"forward", "FORWARD", "BLOCKD-FWD", 1},
    {"output", "OUTPUT", "BLOCKD-OUT", 0},
    {"input", "INPUT", "BLOCKD-IN", 0},
};

static int
place_wanted(const struct hooks_spec *s, int forward)
{
	if (s->hook == CFG_HOOK_BOTH)
		return 1;
	return forward ? s->hook == CFG_HOOK_FORWARD : s->hook == CFG_HOOK_LOCAL;
}

static void
nft_queue_stmt(struct sbuf *b, const struct hooks_spec *s)
{
	if (s->qfirst == s->qlast)
		sb_add(b, "queue num %u%s", s->qfirst, s->fail_open ? " bypass" : "");
	else
		sb_add(b, "queue num %u-%u%s", s->qfirst, s->qlast, s->fail_open ? " bypass" : "");
}

/*
 * The IP sets and, per wanted hook, the chain matching them (forward, and
 * output for local). Every forwarded packet passes the base chain, so it
 * does one set lookup per family; only an address in a block set goes on
 * to the allowlist, the log and the verdict.
 */
static void
nft_ip_chains(struct sbuf *b, const struct hooks_spec *s)
{
	static const char *const fam[2][3] = {
	    {"ip", IPSET_ALLOW4, IPSET_BLOCK4}, {"ip6", IPSET_ALLOW6, IPSET_BLOCK6}};
	uint32_t inj = s->mark | s->mark_block;

	for (int f = 0; f < 2; f++)
		sb_add(b,
		    "\tset %s {\n\t\ttype %s; flags interval;\n\t}\n"
		    "\tset %s {\n\t\ttype %s; flags interval;\n\t}\n",
		    fam[f][1], f ? "ipv6_addr" : "ipv4_addr", fam[f][2],
		    f ? "ipv6_addr" : "ipv4_addr");
	sb_add(b, "\tcounter ip_new {\n\t}\n");
	for (int f = 0; f < 2; f++) {
		sb_add(b,
		    "\tchain ip_blocked%d {\n"
		    "\t\tmeta mark & 0x%x == 0x%x return\n"
		    "\t\t%s daddr @%s return\n"
		    "\t\tct state new counter name ip_new",
		    f ? 6 : 4, inj, inj, fam[f][0], fam[f][1]);
		if (s->ip_log_rate)
			sb_add(b, " limit rate %u/second", s->ip_log_rate);
		sb_add(b, " log group %u\n", s->nflog_group);
		if (s->ip_action == CFG_IP_DROP)
			sb_add(b, "\t\tdrop\n");
		else
			sb_add(b,
			    "\t\tmeta l4proto tcp reject with tcp reset\n"
			    "\t\treject with icmpx type admin-prohibited\n");
		sb_add(b, "\t}\n");
	}
	for (size_t i = 0; i < 2; i++) {
		if (!place_wanted(s, places[i].forward))
			continue;
		const char *h = places[i].nft_hook;
		sb_add(b,
		    "\tchain ip_%s {\n"
		    "\t\ttype filter hook %s priority %d; policy accept;\n",
		    h, h, HOOKS_IP_PRIO);
		for (int f = 0; f < 2; f++)
			sb_add(b, "\t\t%s daddr @%s jump ip_blocked%d\n", fam[f][0], fam[f][2],
			    f ? 6 : 4);
		sb_add(b, "\t}\n");
	}
}

size_t
hooks_nft_ruleset(const struct hooks_spec *s, char *out, size_t outlen)
{
	struct sbuf b = {out, 0, outlen, 0};

	uint32_t inj = s->mark | s->mark_block;

	sb_add(&b, "table inet %s {\n", HOOKS_TABLE);
	/*
	 * blockd's own injected packets carry both mark bits. An injected UDP
	 * answer must not create a conntrack entry: the client's next query
	 * from the same port would match it as a reply and skip the queue.
	 */
	sb_add(&b,
	    "\tchain inject_output {\n"
	    "\t\ttype filter hook output priority %d; policy accept;\n"
	    "\t\tmeta mark & 0x%x == 0x%x meta l4proto udp notrack\n"
	    "\t}\n",
	    HOOKS_RAW_PRIO, inj, inj);
	nft_ip_chains(&b, s);
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		if (!place_wanted(s, places[i].forward))
			continue;
		const char *h = places[i].nft_hook;
		if (s->backend == CFG_BACKEND_NFT) {
			sb_add(&b,
			    "\tchain queue_%s {\n"
			    "\t\ttype filter hook %s priority %d; policy accept;\n"
			    "\t\tmeta mark & 0x%x == 0x%x return\n"
			    "\t\tct mark & 0x%x != 0 drop\n"
			    "\t\tct mark & 0x%x != 0 return\n"
			    "\t\tct direction != original return\n",
			    h, h, HOOKS_QUEUE_PRIO, inj, inj, s->mark_block, s->mark);
			static const char *const sel[] = {"udp dport 53", "tcp dport 53",
			    "tcp dport 443", "udp dport 443", "tcp dport 80"};
			for (size_t j = 0; j < 5; j++) {
				sb_add(&b, "\t\t%s ", sel[j]);
				if (j >= 2)
					sb_add(&b, "ct original packets <= %u ", s->first_packets);
				nft_queue_stmt(&b, s);
				sb_add(&b, "\n");
			}
			sb_add(&b, "\t}\n");
		}
		/*
		 * Most packets carry none of blockd's bits: one test and out. A
		 * packet blockd blocked comes back accepted with the block bit so
		 * its connection is marked, and is dropped here: the rest of the
		 * flow, queued or not, is then dropped by the queue chains.
		 */
		sb_add(&b,
		    "\tchain mark_%s {\n"
		    "\t\ttype filter hook %s priority %d; policy accept;\n"
		    "\t\tmeta mark & 0x%x == 0 return\n"
		    "\t\tmeta mark & 0x%x == 0x%x return\n"
		    "\t\tmeta mark & 0x%x == 0x%x ct mark set ct mark | 0x%x\n"
		    "\t\tmeta mark & 0x%x == 0x%x ct mark set ct mark | 0x%x drop\n"
		    "\t}\n",
		    h, h, HOOKS_MARK_PRIO, inj, inj, inj, s->mark, s->mark, s->mark, s->mark_block,
		    s->mark_block, s->mark_block);
	}
	sb_add(&b, "}\n");
	return sb_done(&b);
}

size_t
hooks_ipt_rules(const struct hooks_spec *s, char *out, size_t outlen)
{
	struct sbuf b = {out, 0, outlen, 0};
	char q[64];

	if (s->qfirst == s->qlast)
		snprintf(q, sizeof(q), "-j NFQUEUE --queue-num %u", s->qfirst);
	else
		snprintf(q, sizeof(q), "-j NFQUEUE --queue-balance %u:%u", s->qfirst, s->qlast);
	const char *bypass = s->fail_open ? " --queue-bypass" : "";

	sb_add(&b, "*mangle\n");
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		if (place_wanted(s, places[i].forward))
			sb_add(&b, ":%s - [0:0]\n", places[i].our_chain);
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		if (!place_wanted(s, places[i].forward))
			continue;
		const char *c = places[i].our_chain;
		sb_add(&b, "-A %s -m mark --mark 0x%x/0x%x -j RETURN\n", c, s->mark | s->mark_block,
		    s->mark | s->mark_block);
		sb_add(&b, "-A %s -m connmark --mark 0x%x/0x%x -j DROP\n", c, s->mark_block,
		    s->mark_block);
		sb_add(&b, "-A %s -m connmark --mark 0x%x/0x%x -j RETURN\n", c, s->mark, s->mark);
		sb_add(&b, "-A %s -m conntrack --ctdir REPLY -j RETURN\n", c);
		sb_add(&b, "-A %s -p udp --dport 53 %s%s\n", c, q, bypass);
		sb_add(&b, "-A %s -p tcp --dport 53 %s%s\n", c, q, bypass);
		static const char *const sel[] = {
		    "-p tcp --dport 443", "-p udp --dport 443", "-p tcp --dport 80"};
		for (size_t j = 0; j < 3; j++)
			sb_add(&b,
			    "-A %s %s -m connbytes --connbytes 0:%u --connbytes-dir original "
			    "--connbytes-mode packets %s%s\n",
			    c, sel[j], s->first_packets, q, bypass);
		sb_add(&b, "-I %s 1 -j %s\n", places[i].ipt_chain, c);
	}
	sb_add(&b, "COMMIT\n");
	return sb_done(&b);
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
	struct sbuf b = {out, 0, outlen, 0};
	char chains[8][64];
	size_t nchains = 0;
	int any = 0;

	sb_add(&b, "*mangle\n");
	for (const char *l = save; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (n > 3 && strncmp(l, "-A ", 3) == 0 &&
		    !(n > 3 + 7 && strncmp(l + 3, HOOKS_CHAIN_PREFIX, 7) == 0)) {
			/* A rule in someone's chain: ours only if it is exactly a jump to our chain. */
			const char *j = memmem(l, n, " -j " HOOKS_CHAIN_PREFIX, 11);
			if (j && memchr(j + 4, ' ', n - (size_t)(j + 4 - l)) == NULL) {
				sb_add(&b, "-D%.*s\n", (int)(n - 2), l + 2);
				any = 1;
			}
		} else if (n > 1 + 7 && l[0] == ':' && strncmp(l + 1, HOOKS_CHAIN_PREFIX, 7) == 0) {
			const char *sp = memchr(l, ' ', n);
			size_t cl = sp ? (size_t)(sp - l - 1) : n - 1;
			if (nchains < 8 && cl < sizeof(chains[0])) {
				memcpy(chains[nchains], l + 1, cl);
				chains[nchains++][cl] = '\0';
			}
		}
		l = e ? e + 1 : NULL;
	}
	for (size_t i = 0; i < nchains; i++) {
		sb_add(&b, "-F %s\n-X %s\n", chains[i], chains[i]);
		any = 1;
	}
	sb_add(&b, "COMMIT\n");
	return any ? sb_done(&b) : 0;
}

/* Reads what is left of fd into buf (NUL-terminated), discarding what does not fit. */
static void
drain(int fd, char *buf, size_t cap, size_t *len)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	if (n <= 0)
		return;
	if (buf && cap) {
		size_t k = (size_t)n;
		if (k > cap - 1 - *len)
			k = cap - 1 - *len;
		memcpy(buf + *len, tmp, k);
		*len += k;
		buf[*len] = '\0';
	}
}

int
hooks_run(char *const argv[], const char *input, char *out, size_t outlen, char *err, size_t errlen)
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
	int in[2] = {-1, -1}, po[2] = {-1, -1}, pe[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1;
	size_t ol = 0, el = 0;

	if (out && outlen)
		out[0] = '\0';
	if (err && errlen)
		err[0] = '\0';
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(po, O_CLOEXEC) == -1 ||
	    pipe2(pe, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(po[1]);
	close(pe[1]);
	in[0] = po[1] = pe[1] = -1;
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", argv[0], strerror(rc));
		goto out;
	}
	if (input) {
		size_t left = strlen(input);
		while (left) {
			ssize_t n = write(in[1], input, left);
			if (n <= 0)
				break;
			input += n;
			left -= (size_t)n;
		}
	}
	close(in[1]);
	in[1] = -1;
	struct pollfd pf[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
	while (pf[0].fd != -1 || pf[1].fd != -1) {
		if (poll(pf, 2, 10000) <= 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd == -1 || pf[i].revents == 0)
				continue;
			if (pf[i].revents & POLLIN) {
				if (i == 0)
					drain(po[0], out, outlen, &ol);
				else
					drain(pe[0], err, errlen, &el);
			} else {
				pf[i].fd = -1;
			}
		}
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	/* The first line of the tool's complaint is the one that says what is wrong. */
	if (err && el > 0) {
		char *nl = strchr(err, '\n');
		if (nl)
			*nl = '\0';
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] != -1)
			close(in[i]);
		if (po[i] != -1)
			close(po[i]);
		if (pe[i] != -1)
			close(pe[i]);
	}
	return status;
}

static int
nft_apply(const char *text, char *err, size_t errlen)
{
	char *const argv[] = {"nft", "-f", "-", NULL};
	return hooks_run(argv, text, NULL, 0, err, errlen) == 0 ? 0 : -1;
}

int
hooks_detect(char *err, size_t errlen)
{
	char e[512];
	const char *probe = "table inet " HOOKS_PROBE_TABLE " {\n"
			    "\tchain probe {\n\t\tudp dport 9 queue num 0 bypass\n\t}\n}\n";
	const char *gone =
	    "table inet " HOOKS_PROBE_TABLE "\ndelete table inet " HOOKS_PROBE_TABLE "\n";

	int ok = nft_apply(probe, e, sizeof(e)) == 0;
	(void)nft_apply(gone, NULL, 0);
	if (ok)
		return CFG_BACKEND_NFT;
	char *const argv[] = {"iptables-nft", "-V", NULL};
	if (hooks_run(argv, NULL, NULL, 0, NULL, 0) == 0)
		return CFG_BACKEND_IPTABLES;
	snprintf(err, errlen,
	    "no usable queue backend: nft queue failed (%s) and iptables-nft is missing; "
	    "install iptables or load nft_queue",
	    e);
	return -1;
}

static const char *const ipt_save[2] = {"iptables-nft-save", "ip6tables-nft-save"};
static const char *const ipt_restore[2] = {"iptables-nft-restore", "ip6tables-nft-restore"};

int
hooks_remove(char *err, size_t errlen)
{
	char e[512], tables[4096];
	int rc = 0;

	/* Only look at mangle through iptables when it exists, so we create nothing. */
	char *const list[] = {"nft", "list", "tables", NULL};
	if (hooks_run(list, NULL, tables, sizeof(tables), e, sizeof(e)) != 0) {
		snprintf(err, errlen, "nft list tables: %s", e);
		return -1;
	}
	for (int f = 0; f < 2; f++) {
		const char *want = f == 0 ? "table ip mangle\n" : "table ip6 mangle\n";
		if (strstr(tables, want) == NULL)
			continue;
		char save[65536], del[8192];
		char *const sv[] = {(char *)ipt_save[f], "-t", "mangle", NULL};
		if (hooks_run(sv, NULL, save, sizeof(save), e, sizeof(e)) != 0) {
			snprintf(err, errlen, "%s: %s", ipt_save[f], e);
			rc = -1;
			continue;
		}
		if (hooks_ipt_removal(save, del, sizeof(del)) == 0)
			continue;
		char *const rs[] = {(char *)ipt_restore[f], "--noflush", NULL};
		if (hooks_run(rs, del, NULL, 0, e, sizeof(e)) != 0) {
			snprintf(err, errlen, "%s (removing blockd chains): %s", ipt_restore[f], e);
			rc = -1;
			continue;
		}
		/*
		 * iptables-nft created the mangle table for our chains; if nothing but
		 * empty built-in chains with default policies is left, take it away too.
		 */
		if (hooks_run(sv, NULL, save, sizeof(save), e, sizeof(e)) == 0 &&
		    hooks_ipt_table_empty(save)) {
			char *const dt[] = {
			    "nft", "delete", "table", f == 0 ? "ip" : "ip6", "mangle", NULL};
			(void)hooks_run(dt, NULL, NULL, 0, e, sizeof(e));
		}
	}
	/* Declaring then deleting succeeds whether or not the table was there. */
	if (nft_apply("table inet " HOOKS_TABLE "\ndelete table inet " HOOKS_TABLE "\n", e,
		sizeof(e)) != 0) {
		snprintf(err, errlen, "nft delete table inet %s: %s", HOOKS_TABLE, e);
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
	char text[8192], e[512];

	if (hooks_remove(err, errlen) == -1)
		return -1;
	enable_ct_acct();
	/* The mark chains first: a flow decided by the first verdict must already be remembered. */
	if (hooks_nft_ruleset(s, text, sizeof(text)) == 0) {
		snprintf(err, errlen, "nft ruleset too long");
		return -1;
	}
	if (nft_apply(text, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "nft -f (table inet %s): %s%s", HOOKS_TABLE, e,
		    s->backend == CFG_BACKEND_NFT
			? " (if this kernel lacks the nft queue expression, set backend = iptables "
			  "or auto)"
			: "");
		goto fail;
	}
	if (s->backend == CFG_BACKEND_IPTABLES) {
		if (hooks_ipt_rules(s, text, sizeof(text)) == 0) {
			snprintf(err, errlen, "iptables rules too long");
			goto fail;
		}
		for (int f = 0; f < 2; f++) {
			char *const rs[] = {(char *)ipt_restore[f], "--noflush", NULL};
			if (hooks_run(rs, text, NULL, 0, e, sizeof(e)) != 0) {
				snprintf(err, errlen, "%s: %s", ipt_restore[f], e);
				goto fail;
			}
		}
	}
	return 0;
fail:
	(void)hooks_remove(e, sizeof(e));
	return -1;
}
