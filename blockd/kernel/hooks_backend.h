/* Inside the hooks: the operations a netfilter backend provides, and what hooks.c gives them. */
#ifndef BLOCKD_HOOKS_BACKEND_H
#define BLOCKD_HOOKS_BACKEND_H

#include <stddef.h>

#include "base/config.h"
#include "hooks.h"
#include "nfcmd.h"

/*
 * One backend: how queue rules get into the kernel. hooks.c always loads
 * table inet blockd (mark chains, IP sets) and drives the backend around
 * it. A NULL operation is one the backend does not need.
 */
struct hooks_backend {
	int id;           /* CFG_BACKEND_* */
	const char *name; /* in messages */
	/*
	 * probe(): can this kernel and system run the backend's rules? Returns
	 * 0, or -1 with what failed in err ("nft queue failed (...)").
	 */
	int (*probe)(char *err, size_t errlen);
	const char *remedy; /* what makes probe() succeed, when no backend does */
	/*
	 * nft_chains(): the backend's chains at one hook ("forward", "output",
	 * "input") inside table inet blockd, rendered before its mark chain.
	 */
	void (*nft_chains)(struct nfcmd_buf *, const struct hooks_spec *, const char *hook);
	const char *nft_hint; /* appended when table inet blockd does not load */
	/* install(): rules outside table inet blockd, once it is loaded. 0, or -1 with err. */
	int (*install)(const struct hooks_spec *, char *err, size_t errlen);
	/*
	 * remove(): every rule of ours outside table inet blockd, installed by
	 * any earlier run. tables lists the kernel's tables as `nft list tables`
	 * prints them (read through netlink, nfnl_tables()): a backend looks
	 * only into tables that exist, so looking creates nothing. Returns 0,
	 * or -1 with err.
	 */
	int (*remove)(const char *tables, char *err, size_t errlen);
};

/* The backends (one file each), listed in hooks.c's table. */
extern const struct hooks_backend hooks_nft_backend; /* hooks_nft.c */
extern const struct hooks_backend hooks_ipt_backend; /* hooks_ipt.c */

/*
 * The places a packet can be seen, in the order rules are rendered, and
 * whether spec watches each (forward: the routed traffic; output and
 * input: the appliance's own).
 */
enum { HOOKS_FORWARD, HOOKS_OUTPUT, HOOKS_INPUT, HOOKS_NPLACES };

static inline int
hooks_place_wanted(const struct hooks_spec *s, int place)
{
	if (s->hook == CFG_HOOK_BOTH)
		return 1;
	return place == HOOKS_FORWARD ? s->hook == CFG_HOOK_FORWARD : s->hook == CFG_HOOK_LOCAL;
}

/* hooks_ipt.c, pure, for its tests. hooks_ipt_rules(): iptables-restore --noflush input. */
size_t hooks_ipt_rules(const struct hooks_spec *, char *out, size_t outlen);
/*
 * hooks_ipt_removal(): from iptables-save -t mangle output, the restore input
 * deleting blockd's jump rules and chains (and nothing else). Returns the
 * length (0: nothing of ours there).
 */
size_t hooks_ipt_removal(const char *save, char *out, size_t outlen);
/*
 * hooks_ipt_table_empty(): does iptables-save -t mangle output hold nothing
 * but built-in chains with policy ACCEPT and no rules?
 */
int hooks_ipt_table_empty(const char *save);

#endif
