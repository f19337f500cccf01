/* Netfilter hooks: blockd's own tables and chains that send selected packets to its queues. */
#ifndef BLOCKD_HOOKS_H
#define BLOCKD_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

#define HOOKS_TABLE      "blockd" /* nft: table inet blockd */
#define HOOKS_RAW_PRIO   (-300)   /* before conntrack: injected UDP answers stay untracked */
#define HOOKS_QUEUE_PRIO (-150)   /* where mangle sits: after conntrack, before filter */
#define HOOKS_MARK_PRIO  (-140)   /* copies the verdict's packet mark into the ct mark */

/* The IP sets in table inet blockd, declared by hooks_nft_ruleset(), filled by ipset.c. */
#define HOOKS_SET_BLOCK4   "block4"
#define HOOKS_SET_BLOCK6   "block6"
#define HOOKS_SET_ALLOW4   "allow4"
#define HOOKS_SET_ALLOW6   "allow6"
/* Single addresses: hash sets named with a generation ("block4h_0"), looked up in one chain. */
#define HOOKS_SET_HOST4    "block4h"
#define HOOKS_SET_HOST6    "block6h"
#define HOOKS_CHAIN_HOSTS  "ip_hosts"
#define HOOKS_CHAIN_BLOCK4 "ip_blocked4" /* where a blocked IPv4 address goes on */
#define HOOKS_CHAIN_BLOCK6 "ip_blocked6"
#define HOOKS_HOSTS_SIZE   65536 /* generation 0's size (ipset.h IPSET_HOSTS_MIN) */

/*
 * Which rules to install. backend is CFG_BACKEND_NFT or CFG_BACKEND_IPTABLES
 * (resolved). What is queued, and how much of a flow, is queued.h's table.
 */
struct hooks_spec {
	int backend;
	int hook;      /* enum cfg_hook */
	int fail_open; /* queue rules bypass when no program listens or a queue is full */
	unsigned qfirst, qlast;
	uint32_t mark;       /* ct/packet mark bit: flow decided, allowed (leaves the queue) */
	uint32_t mark_block; /* ct/packet mark bit: flow decided, blocked (dropped in the kernel) */
	uint32_t mark_late;  /* packet mark bit: queued past its bytes, the flow still undecided */
	uint32_t
	    mark_hello; /* ct/packet mark bit: TLS hello allowed, the server's answer decides */
	struct cfg_ports ports; /* the [flows] ports (queued.h's QUEUED_PORTS selectors) */
	int one_way;            /* [netfilter] paths = one: the servers' packets never pass here */
	/* IP enforcement (both backends: always nft sets and chains in table inet blockd) */
	int ip_action;        /* enum cfg_ipaction */
	unsigned ip_log_rate; /* first packets of blocked flows sent to NFLOG per second */
	unsigned nflog_group;
};

#define HOOKS_IP_PRIO \
	(-160) /* after conntrack, before the queue chains: blocked flows never queue */

/*
 * hooks_nft_ruleset(): the nft -f text for table inet blockd: the mark
 * chains, and whatever chains spec's backend keeps there (the nft backend:
 * its queue chains). It also holds the IP sets (empty; see ipset.h) and the
 * chains that block their addresses in the kernel: allow sets first, then
 * the first packet of a new blocked flow to NFLOG (rate-limited), then
 * reject or drop. Returns the length written, or 0 if out is too small. Pure.
 */
size_t hooks_nft_ruleset(const struct hooks_spec *, char *out, size_t outlen);

/*
 * hooks_detect(): which backend this kernel supports: probes each in turn
 * (hooks.c's table; nft first). Returns CFG_BACKEND_NFT or
 * CFG_BACKEND_IPTABLES, or -1 with a message in err when none works.
 */
int hooks_detect(char *err, size_t errlen);

/*
 * hooks_install(): removes leftovers of any earlier run (every backend),
 * enables conntrack accounting, then installs spec's rules. Returns 0, or -1
 * with the tool's message in err (and nothing of ours left installed).
 */
int hooks_install(const struct hooks_spec *, char *err, size_t errlen);

/* hooks_remove(): removes every rule and chain of ours; idempotent. Returns 0, or -1 with err. */
int hooks_remove(char *err, size_t errlen);

#endif
