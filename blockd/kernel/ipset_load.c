/* IP sets into the kernel: a new host sets' generation filled in parts, then the elements and the swap in one netlink transaction. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "hooks.h"
#include "ipset.h"
#include "nfnl.h"

/*
 * A list of elements is one attribute, whose length is 16 bits: a message
 * holds what fits in well under 64 KiB (about 1,500 IPv4 intervals).
 */
#define MSG_PAYLOAD 60000
#define MSG_ROOM    (MSG_PAYLOAD + 512)
#define NAME_MAX_   32

/*
 * A new generation of host sets is filled in transactions of about this
 * many bytes (some 30,000 IPv4 addresses): small enough for the kernel's
 * copy of each to stay in the caches while it inserts them.
 */
#define FILL_BYTES (1 << 19)

/* nft's data types of the host sets' keys, so that `nft list` shows addresses. */
#define NFT_TYPE_IPADDR  7
#define NFT_TYPE_IP6ADDR 8

static const char *const verbs[2][IPSET_NSETS] = {
    {"delete from set allow4", "delete from set allow6", "delete from set block4",
	"delete from set block6", "delete from set block4h", "delete from set block6h"},
    {"add to set allow4", "add to set allow6", "add to set block4", "add to set block6",
	"add to set block4h", "add to set block6h"},
};

static int
is_host(int set)
{
	return set == IPSET_HOST4 || set == IPSET_HOST6;
}

/* A set's name in the kernel: a host set's with its generation. */
static void
set_name(char *buf, size_t len, int set, unsigned gen)
{
	if (is_host(set))
		snprintf(buf, len, "%s_%u", ipset_name(set), gen);
	else
		snprintf(buf, len, "%s", ipset_name(set));
}

static struct nlmsghdr *
elems_msg(struct nfnl_batch *b, int set, unsigned gen, int add)
{
	char name[NAME_MAX_];
	struct nlmsghdr *h = nfnl_batch_msg(b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
	    NFPROTO_INET, add ? NLM_F_CREATE : 0, MSG_ROOM, verbs[add][set]);
	if (h == NULL)
		return NULL;
	set_name(name, sizeof(name), set, gen);
	mnl_attr_put_strz(h, NFTA_SET_ELEM_LIST_TABLE, HOOKS_TABLE);
	mnl_attr_put_strz(h, NFTA_SET_ELEM_LIST_SET, name);
	return h;
}

/*
 * nf_tables' interval convention: an element at the first address, and one
 * flagged as an interval's end at the address after the last; an interval
 * running to the end of the address space has no end element. A host set
 * takes the address alone.
 */
static void
put_elem(struct nlmsghdr *h, const uint8_t *key, unsigned w, int end)
{
	struct nlattr *e = mnl_attr_nest_start(h, NFTA_LIST_ELEM);
	struct nlattr *k = mnl_attr_nest_start(h, NFTA_SET_ELEM_KEY);
	mnl_attr_put(h, NFTA_DATA_VALUE, w, key);
	mnl_attr_nest_end(h, k);
	if (end)
		mnl_attr_put_u32(h, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
	mnl_attr_nest_end(h, e);
}

/*
 * A start element as put_elem() writes it, byte for byte, at once: the
 * element, its key and the key's value are three headers and w bytes (4
 * or 16, already aligned). A million of them are most of a load's user time.
 */
static void
put_key(struct nlmsghdr *h, const uint8_t *key, unsigned w)
{
	struct nlattr a[3] = {
	    {(uint16_t)(3 * sizeof(struct nlattr) + w), NFTA_LIST_ELEM | NLA_F_NESTED},
	    {(uint16_t)(2 * sizeof(struct nlattr) + w), NFTA_SET_ELEM_KEY | NLA_F_NESTED},
	    {(uint16_t)(sizeof(struct nlattr) + w), NFTA_DATA_VALUE},
	};
	uint8_t *p = (uint8_t *)h + h->nlmsg_len;

	memcpy(p, a, sizeof(a));
	memcpy(p + sizeof(a), key, w);
	h->nlmsg_len += (uint32_t)(sizeof(a) + w);
}

static int
is_zero(const uint8_t *p, unsigned w)
{
	for (unsigned i = 0; i < w; i++)
		if (p[i])
			return 0;
	return 1;
}

/*
 * Intervals [i, n) of ivs added to (add) or deleted from set, in as many
 * messages as it takes, until the batch holds upto bytes; returns the
 * first interval not put (n when all were), or -1 (out of memory).
 */
static ssize_t
put_range(struct nfnl_batch *b, int set, unsigned gen, const struct ipset_ivs *ivs, int add,
    size_t i, size_t n, size_t upto)
{
	int host = is_host(set);

	while (i < n && b->len < upto) {
		struct nlmsghdr *h = elems_msg(b, set, gen, add);
		if (h == NULL)
			return -1;
		struct nlattr *list = mnl_attr_nest_start(h, NFTA_SET_ELEM_LIST_ELEMENTS);
		for (; i < n && h->nlmsg_len < MSG_PAYLOAD; i++) {
			const uint8_t *end = ipset_end(ivs, i);
			put_key(h, ipset_start(ivs, i), ivs->w);
			if (!host && !is_zero(end, ivs->w))
				put_elem(h, end, ivs->w, 1);
		}
		mnl_attr_nest_end(h, list);
		nfnl_batch_put(b, h);
	}
	return (ssize_t)i;
}

/* All of ivs added to (add) or deleted from set. */
static int
put_ivs(struct nfnl_batch *b, int set, unsigned gen, const struct ipset_ivs *ivs, int add)
{
	return put_range(b, set, gen, ivs, add, 0, ivs->n, SIZE_MAX) == -1 ? -1 : 0;
}

/* A flush: a delete of set elements that names none. */
static int
put_flush(struct nfnl_batch *b, int set)
{
	struct nlmsghdr *h = elems_msg(b, set, 0, 0);
	if (h == NULL)
		return -1;
	nfnl_batch_put(b, h);
	return 0;
}

/* A new host set (add) of cap elements, or the old one deleted. */
static int
put_set(struct nfnl_batch *b, int v6, unsigned gen, size_t cap, int add)
{
	char name[NAME_MAX_];
	struct nftnl_set *s = nftnl_set_alloc();
	if (s == NULL)
		return -1;
	set_name(name, sizeof(name), v6 ? IPSET_HOST6 : IPSET_HOST4, gen);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, HOOKS_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	if (add) {
		nftnl_set_set_u32(s, NFTNL_SET_ID, gen + (v6 ? 10 : 0) + 1);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, v6 ? NFT_TYPE_IP6ADDR : NFT_TYPE_IPADDR);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, v6 ? 16 : 4);
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, (uint32_t)cap);
	}
	struct nlmsghdr *h = nfnl_batch_msg(b, add ? NFT_MSG_NEWSET : NFT_MSG_DELSET, NFPROTO_INET,
	    add ? NLM_F_CREATE | NLM_F_EXCL : 0, 512, add ? "new host set" : "delete old host set");
	if (h) {
		nftnl_set_nlmsg_build_payload(h, s);
		nfnl_batch_put(b, h);
	}
	nftnl_set_free(s);
	return h ? 0 : -1;
}

static int
add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e == NULL)
		return -1;
	nftnl_rule_add_expr(r, e);
	return 0;
}

/*
 * The rule of chain ip_hosts for one family, as nft would compile `ip daddr
 * @block4h_G jump ip_blocked4`: the family, the destination address, the
 * lookup, the jump.
 */
static int
put_host_rule(struct nfnl_batch *b, int v6, unsigned gen)
{
	char name[NAME_MAX_];
	uint8_t proto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *e;
	int rc = -1;

	if (r == NULL)
		return -1;
	set_name(name, sizeof(name), v6 ? IPSET_HOST6 : IPSET_HOST4, gen);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, HOOKS_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, HOOKS_CHAIN_HOSTS);
	if ((e = nftnl_expr_alloc("meta")) != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_NFPROTO);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	if (add_expr(r, e) == -1)
		goto done;
	if ((e = nftnl_expr_alloc("cmp")) != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &proto, 1);
	}
	if (add_expr(r, e) == -1)
		goto done;
	if ((e = nftnl_expr_alloc("payload")) != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, v6 ? 24 : 16);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, v6 ? 16 : 4);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	}
	if (add_expr(r, e) == -1)
		goto done;
	if ((e = nftnl_expr_alloc("lookup")) != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, name);
	}
	if (add_expr(r, e) == -1)
		goto done;
	if ((e = nftnl_expr_alloc("immediate")) != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NFT_JUMP);
		nftnl_expr_set_str(
		    e, NFTNL_EXPR_IMM_CHAIN, v6 ? HOOKS_CHAIN_BLOCK6 : HOOKS_CHAIN_BLOCK4);
	}
	if (add_expr(r, e) == -1)
		goto done;
	struct nlmsghdr *h = nfnl_batch_msg(b, NFT_MSG_NEWRULE, NFPROTO_INET,
	    NLM_F_CREATE | NLM_F_APPEND, 1024, "rule pointing at the new host set");
	if (h) {
		nftnl_rule_nlmsg_build_payload(h, r);
		nfnl_batch_put(b, h);
		rc = 0;
	}
done:
	nftnl_rule_free(r);
	return rc;
}

/* Chain ip_hosts emptied: a delete of rules that names the chain alone. */
static int
put_chain_flush(struct nfnl_batch *b)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (r == NULL)
		return -1;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, HOOKS_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, HOOKS_CHAIN_HOSTS);
	struct nlmsghdr *h =
	    nfnl_batch_msg(b, NFT_MSG_DELRULE, NFPROTO_INET, 0, 512, "flush chain ip_hosts");
	if (h) {
		nftnl_rule_nlmsg_build_payload(h, r);
		nfnl_batch_put(b, h);
	}
	nftnl_rule_free(r);
	return h ? 0 : -1;
}

/* Room for n addresses and half as many again, in whole multiples of the minimum. */
static size_t
host_cap(size_t n)
{
	size_t want = n + n / 2;
	size_t cap = IPSET_HOSTS_MIN;
	while (cap < want)
		cap += IPSET_HOSTS_MIN;
	return cap;
}

/* Both host sets of generation gen deleted, each in a transaction of its own; one not there is no error. */
static int
drop_generation(struct nfnl_batch *b, unsigned gen, char *err, size_t errlen)
{
	for (int f = 0; f < 2; f++) {
		if (nfnl_batch_reset(b) == -1 || put_set(b, f, gen, 0, 0) == -1) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (nfnl_batch_commit(b, err, errlen) == -1 && b->error != ENOENT)
			return -1;
	}
	return 0;
}

/*
 * The host sets of the new generation ng (sized for new) created and
 * filled, in transactions of up to FILL_BYTES each. Nothing points at them
 * yet: the rules keep using the old generation until put_swap()'s
 * transaction, so filling in parts changes nothing the kernel enforces,
 * and a part the kernel takes while the next is written keeps the
 * messages and the kernel's copy of them in the caches. Sets left from an
 * earlier load that failed half-way are deleted first. On failure
 * whatever was made is deleted again. Returns 0, or -1 with err.
 */
static int
fill_generation(struct nfnl_batch *b, const struct ipset_build *new, const struct ipset_gen *ng,
    char *err, size_t errlen)
{
	char e[512];

	for (int tries = 0;; tries++) {
		if (nfnl_batch_reset(b) == -1 || put_set(b, 0, ng->gen, ng->cap[0], 1) == -1 ||
		    put_set(b, 1, ng->gen, ng->cap[1], 1) == -1)
			goto oom;
		if (nfnl_batch_commit(b, err, errlen) == 0)
			break;
		if (tries > 0 || b->error != EEXIST ||
		    drop_generation(b, ng->gen, e, sizeof(e)) == -1)
			return -1;
	}
	for (int f = 0; f < 2; f++) {
		int set = f ? IPSET_HOST6 : IPSET_HOST4;
		const struct ipset_ivs *ivs = &new->set[set];
		for (size_t i = 0; i < ivs->n;) {
			if (nfnl_batch_reset(b) == -1)
				goto oom;
			ssize_t next = put_range(b, set, ng->gen, ivs, 1, i, ivs->n, FILL_BYTES);
			if (next == -1)
				goto oom;
			if (nfnl_batch_commit(b, err, errlen) == -1)
				goto undo;
			i = (size_t)next;
		}
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
undo:
	if (drop_generation(b, ng->gen, e, sizeof(e)) == -1) {
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, "; and the sets half filled stay: %s", e);
	}
	return -1;
}

/*
 * The swap to the new generation ng, in the transaction that also fills
 * the interval sets: the rules pointed at ng's host sets, old g's deleted.
 */
static int
put_swap(struct nfnl_batch *b, const struct ipset_gen *g, const struct ipset_gen *ng)
{
	if (put_chain_flush(b) == -1 || put_host_rule(b, 0, ng->gen) == -1 ||
	    put_host_rule(b, 1, ng->gen) == -1 || put_set(b, 0, g->gen, 0, 0) == -1 ||
	    put_set(b, 1, g->gen, 0, 0) == -1)
		return -1;
	return 0;
}

/*
 * The transaction: with gone and came (what the sets hold is known), the
 * difference; without, every interval set flushed and refilled from new.
 * Host sets that cannot stay are filled beforehand in a new generation
 * (fill_generation()), which the transaction swaps in.
 */
static int
load(const struct ipset_build *gone, const struct ipset_build *came, const struct ipset_build *new,
    struct ipset_gen *g, size_t *changed, char *err, size_t errlen)
{
	struct ipset_gen ng = *g;
	struct nfnl_batch b;
	size_t sent = 0;
	int rc = -1;

	/* The host sets stay when what they hold is known and the new contents fit. */
	int keep =
	    gone && new->set[IPSET_HOST4].n <= g->cap[0] && new->set[IPSET_HOST6].n <= g->cap[1];
	if (nfnl_batch_init(&b) == -1)
		goto oom;
	if (!keep) {
		ng.gen = g->gen ^ 1;
		ng.cap[0] = host_cap(new->set[IPSET_HOST4].n);
		ng.cap[1] = host_cap(new->set[IPSET_HOST6].n);
		if (fill_generation(&b, new, &ng, err, errlen) == -1)
			goto done;
		sent += new->set[IPSET_HOST4].n + new->set[IPSET_HOST6].n;
		if (nfnl_batch_reset(&b) == -1)
			goto oom;
	}
	for (int s = 0; s < IPSET_NSETS; s++) {
		if (is_host(s) && !keep)
			continue;
		const struct ipset_ivs *add = gone ? &came->set[s] : &new->set[s];
		int r = gone ? put_ivs(&b, s, g->gen, &gone->set[s], 0) : put_flush(&b, s);
		if (r == -1 || put_ivs(&b, s, g->gen, add, 1) == -1)
			goto oom;
		sent += add->n + (gone ? gone->set[s].n : 0);
	}
	if (!keep && put_swap(&b, g, &ng) == -1)
		goto oom;
	if (nfnl_batch_commit(&b, err, errlen) == 0) {
		*g = ng;
		rc = 0;
	} else if (!keep) {
		char e[512];
		if (drop_generation(&b, ng.gen, e, sizeof(e)) == -1) {
			size_t n = strlen(err);
			snprintf(err + n, errlen - n, "; and the new host sets stay: %s", e);
		}
	}
	if (changed)
		*changed = sent;
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
	if (!keep && ng.gen != g->gen) {
		char e[512];
		(void)drop_generation(&b, ng.gen, e, sizeof(e));
	}
done:
	nfnl_batch_free(&b);
	return rc;
}

int
ipset_load_changes(const struct ipset_build *gone, const struct ipset_build *came,
    const struct ipset_build *new, struct ipset_gen *g, size_t *changed, char *err, size_t errlen)
{
	return load(gone, came, new, g, changed, err, errlen);
}

int
ipset_load(const struct ipset_build *old, const struct ipset_build *new, struct ipset_gen *g,
    size_t *changed, char *err, size_t errlen)
{
	struct ipset_build gone, came;

	if (old == NULL)
		return load(NULL, NULL, new, g, changed, err, errlen);
	if (ipset_diff(old, new, &gone, &came) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = load(&gone, &came, new, g, changed, err, errlen);
	ipset_build_free(&gone);
	ipset_build_free(&came);
	return rc;
}

int
ipset_counter_packets(uint64_t *n, char *err, size_t errlen)
{
	return nfnl_counter_packets(HOOKS_TABLE, "ip_new", n, err, errlen);
}
