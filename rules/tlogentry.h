/* A list in the transparency log: its entry (what the leaf commits to) and the appliance's check of its proof. */
#ifndef BLOCKD_TLOGENTRY_H
#define BLOCKD_TLOGENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"
#include "note.h"
#include "rulelist.h"
#include "sigset.h"

#define TLOG_ENTRY_HEADER "blockd-list/v1"
#define TLOG_ENTRY_MAX    4096
#define TLOG_WITNESS_MAX  16

/*
 * tlog_entry_format(): the log entry of a list: its header line, then
 * "serial N", "issuer TEXT", "scope TEXT", "issued TIME", "list sha256:HEX"
 * (the list file's bytes) and one "signature sha256:HEX" a signature file, in
 * their order. Into buf; its length, or -1 when it does not fit.
 */
int tlog_entry_format(const struct rulelist *l, const char *raw, size_t rawlen,
    const struct sigset *sigs, char *buf, size_t bufsz);
/* tlog_sha256_hex(): SHA-256 of buf as lowercase hex, and its bytes into bin unless NULL. */
void tlog_sha256_hex(const void *buf, size_t len, char hex[65], uint8_t bin[32]);
/* tlog_entry_format_hex(): the same from the list file's SHA-256 in lowercase hex. */
int tlog_entry_format_hex(const struct rulelist *l, const char *list_hex, const struct sigset *sigs,
    char *buf, size_t bufsz);

/* What an entry says, as tlog_entry_parse() reads it back (for the audit). */
struct tlog_entry {
	uint64_t serial;
	char issuer[256];
	char scope[256];
	int64_t issued;
	uint8_t list[32]; /* SHA-256 of the list file */
	char list_hex[65];
	size_t nsigs;
};

/* tlog_entry_parse(): 0, or -1 with the line and reason in err. */
int tlog_entry_parse(const char *buf, size_t len, struct tlog_entry *out, char *err, size_t errlen);

/* The appliance's policy: the log key, trusted witnesses and how many must cosign. */
struct tlog_policy {
	struct note_key log;
	struct note_key witness[TLOG_WITNESS_MAX];
	size_t nwitness;
	unsigned quorum; /* distinct trusted witnesses whose cosignatures must verify */
};

/*
 * tlog_policy_parse(): a policy from a log key's text, the witnesses' key
 * texts separated by spaces (each a cosignature key, algorithm 4), and the
 * quorum. 0, or -1 with the reason (naming "log_key" or "witnesses") in err.
 */
int tlog_policy_parse(const char *log_key, const char *witnesses, unsigned quorum,
    struct tlog_policy *out, char *err, size_t errlen);

/* tlog_verdict_line(): "ORIGIN leaf I of tree size S, root BASE64, cosigned by K" into buf. */
struct tlog_verdict;
void tlog_verdict_line(const struct tlog_verdict *v, char *buf, size_t bufsz);

/* What tlog_check() found. */
struct tlog_verdict {
	struct checkpoint cp; /* the checkpoint the list was proved under */
	uint64_t index;       /* the list's leaf */
	unsigned cosigned;    /* distinct trusted witnesses that cosigned */
	char note[NOTE_MAX]; /* the checkpoint note with its signatures (kept as the newest seen) */
	size_t notelen;
	int newer; /* the checkpoint is larger than the newest seen before */
};

/*
 * tlog_check(): pure. Is entry (the list's log entry) included in the log
 * under a checkpoint that the log key signed, that quorum distinct trusted
 * witnesses cosigned, and that is consistent with seen (the newest checkpoint
 * note seen before, or NULL)? proof is the list's tlog-proof file;
 * consistency (or NULL) holds "old M" proofs to the checkpoint's size, one of
 * which must start at seen's size when seen is smaller. 0 and v filled, or -1
 * with the reason in err, one line, naming the file ("PROOF: ...").
 */
int tlog_check(const struct tlog_policy *p, const char *entry, size_t entrylen, const char *proof,
    size_t prooflen, const char *proofname, const char *consistency, size_t conslen,
    const char *seen, size_t seenlen, struct tlog_verdict *v, char *err, size_t errlen);

#endif
