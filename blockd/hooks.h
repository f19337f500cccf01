/* Netfilter hooks: blockd's own tables and chains that send selected packets to its queues. */
#ifndef BLOCKD_HOOKS_H
#define BLOCKD_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#define HOOKS_TABLE        "blockd" /* nft: table inet blockd */
#define HOOKS_PROBE_TABLE  "blockd_probe"
#define HOOKS_CHAIN_PREFIX "BLOCKD-" /* iptables backend: mangle chains BLOCKD-FWD, -OUT, -IN */
#define HOOKS_RAW_PRIO     (-300)    /* before conntrack: injected UDP answers stay untracked */
#define HOOKS_QUEUE_PRIO   (-150)    /* where mangle sits: after conntrack, before filter */
#define HOOKS_MARK_PRIO    (-140)    /* copies the verdict's packet mark into the ct mark */

/* Which rules to install. backend is CFG_BACKEND_NFT or CFG_BACKEND_IPTABLES (resolved). */
struct hooks_spec {
	int backend;
	int hook;      /* enum cfg_hook */
	int fail_open; /* queue rules bypass when no program listens or a queue is full */
	unsigned qfirst, qlast;
	uint32_t mark;       /* ct/packet mark bit: flow decided, allowed (leaves the queue) */
	uint32_t mark_block; /* ct/packet mark bit: flow decided, blocked (dropped in the kernel) */
	unsigned first_packets; /* client packets of a 443/80 flow sent to the queue at most */
};

/*
 * hooks_nft_ruleset(): the nft -f text for table inet blockd. With the nft
 * backend it holds the queue chains and the mark chains; with iptables only
 * the mark chains. Returns the length written, or 0 if out is too small. Pure.
 */
size_t hooks_nft_ruleset(const struct hooks_spec *, char *out, size_t outlen);
/* hooks_ipt_rules(): iptables-restore --noflush input for the mangle chains. Pure. */
size_t hooks_ipt_rules(const struct hooks_spec *, char *out, size_t outlen);
/*
 * hooks_ipt_removal(): from iptables-save -t mangle output, the restore input
 * deleting blockd's jump rules and chains (and nothing else). Returns the
 * length (0: nothing of ours there). Pure.
 */
size_t hooks_ipt_removal(const char *save, char *out, size_t outlen);

/*
 * hooks_ipt_table_empty(): does iptables-save -t mangle output hold nothing
 * but built-in chains with policy ACCEPT and no rules? Pure.
 */
int hooks_ipt_table_empty(const char *save);

/*
 * hooks_detect(): which backend this kernel supports: tries a native nft
 * queue rule in a scratch table (removed again). Returns CFG_BACKEND_NFT or
 * CFG_BACKEND_IPTABLES, or -1 with a message in err when neither works.
 */
int hooks_detect(char *err, size_t errlen);

/*
 * hooks_install(): removes leftovers of any earlier run (both backends),
 * enables conntrack accounting, then installs spec's rules. Returns 0, or -1
 * with the tool's message in err (and nothing of ours left installed).
 */
int hooks_install(const struct hooks_spec *, char *err, size_t errlen);

/* hooks_remove(): removes every rule and chain of ours; idempotent. Returns 0, or -1 with err. */
int hooks_remove(char *err, size_t errlen);

/*
 * hooks_run(): runs argv (no shell) with input on stdin, collecting stdout
 * into out (may be NULL) and stderr into err. Returns the exit status, or -1.
 */
int hooks_run(
    char *const argv[], const char *input, char *out, size_t outlen, char *err, size_t errlen);

#endif
