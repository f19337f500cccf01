/* nf_tables through netlink (libmnl, libnftnl): batched transactions, a named counter, tables by name. */
#ifndef BLOCKD_NFNL_H
#define BLOCKD_NFNL_H

#include <stddef.h>
#include <stdint.h>

struct mnl_socket;
struct nlmsghdr;

/*
 * A transaction being written: nfnl_batch_init(), then per message
 * nfnl_batch_msg() (room: the most bytes the caller will put into it) and,
 * once it is written, nfnl_batch_put(); nfnl_batch_commit() sends the whole
 * batch in one write and waits for the kernel's answer. Nothing reaches the
 * kernel before the commit, and the kernel applies all of it or none.
 */
struct nfnl_batch {
	char *buf; /* malloc()ed, grows */
	size_t len, cap;
	uint32_t seq0, seq;    /* the batch's first and next sequence numbers */
	struct nlmsghdr *last; /* the last message put: it asks for the acknowledgement */
	const char **what;     /* per message, for errors: what it does */
	size_t nwhat, capwhat;
	int oom;
	int error;             /* after a failed commit: the kernel's errno, 0 if it gave none */
	struct mnl_socket *nl; /* opened by the first commit, kept until nfnl_batch_free() */
	size_t sndbuf;         /* its send buffer */
};

/* nfnl_batch_init(): an empty batch. Returns 0, or -1 (out of memory). */
int nfnl_batch_init(struct nfnl_batch *);

/*
 * nfnl_batch_msg(): the header of the next nf_tables message (type
 * NFT_MSG_*, family NFPROTO_*) with room bytes free after it; what names it
 * in errors (a static string). Returns the header, or NULL (out of memory).
 */
struct nlmsghdr *nfnl_batch_msg(struct nfnl_batch *, uint16_t type, uint16_t family, uint16_t flags,
    size_t room, const char *what);

/* nfnl_batch_put(): the message nlh (from nfnl_batch_msg()) complete; it joins the batch. */
void nfnl_batch_put(struct nfnl_batch *, struct nlmsghdr *nlh);

/*
 * nfnl_batch_commit(): sends the batch as one transaction. Returns 0 once
 * the kernel committed it, or -1 with the first complaint in err ("set
 * block4 elements: File exists"); nothing of it is then applied.
 */
int nfnl_batch_commit(struct nfnl_batch *, char *err, size_t errlen);

/*
 * nfnl_batch_reset(): the batch emptied for the next transaction, its memory
 * and socket kept (after a commit, or to drop what was written). Returns 0, or -1 (out
 * of memory).
 */
int nfnl_batch_reset(struct nfnl_batch *);

/* nfnl_batch_free(): frees the batch's memory. */
void nfnl_batch_free(struct nfnl_batch *);

/*
 * nfnl_counter_packets(): named counter object name of table inet table,
 * read with NFT_MSG_GETOBJ. Returns 0 and *pkts, or -1 with err.
 */
int nfnl_counter_packets(
    const char *table, const char *name, uint64_t *pkts, char *err, size_t errlen);

/*
 * nfnl_table_delete(): deletes table inet name with everything in it (sets,
 * chains, counters), in one NFT_MSG_DELTABLE and without listing it.
 * Returns 0 (also when there was no such table), or -1 with err.
 */
int nfnl_table_delete(const char *name, char *err, size_t errlen);

/*
 * nfnl_tables(): the kernel's tables, one "table FAMILY NAME\n" line each
 * (as `nft list tables` prints them), into out. Returns 0, or -1 with err
 * (also when out is too small).
 */
int nfnl_tables(char *out, size_t outlen, char *err, size_t errlen);

#endif
