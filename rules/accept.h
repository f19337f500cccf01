/* Accepting a block list: verify and check it, then (separately) commit it as the last accepted. */
#ifndef BLOCKD_ACCEPT_H
#define BLOCKD_ACCEPT_H

#include <stddef.h>
#include <stdint.h>

#include "rulelist.h"
#include "safeguard.h"
#include "sigset.h"
#include "tlogentry.h"

struct accept_policy {
	const char *keys_dir;     /* directory of trusted minisign .pub files */
	unsigned threshold;       /* distinct trusted keys that must sign, at least 1 */
	size_t max_list_bytes;    /* cap on the list file, checked before reading */
	double max_change;        /* largest growth or shrinkage in entries, as a fraction of
				   the last accepted list's count (0.5: 50 %); < 0: no limit */
	uint64_t max_serial_jump; /* largest serial increase over the last accepted; 0: none */
	int override;             /* accept a larger change or serial jump this once */
	int64_t max_validity;     /* longest accepted span from issue to expiry, s; 0: no limit */
	int64_t max_skew;         /* how far in the future an issue time may lie, s */
	const char *state_dir;    /* last accepted serial and copy; NULL: no state (a dry check) */
	uint64_t serial_floor;    /* highest serial known accepted elsewhere (the enforcement log);
				  0: none. Rollback is judged against it too. */
	const char *floor_source; /* where serial_floor comes from, for messages */
	const char *psl_path;     /* public suffix list, normally PSL_DEFAULT_PATH */
	const struct rule_entry *allow; /* the local allowlist */
	size_t nallow;
	struct safeguard_source shared[SAFEGUARD_SHARED_MAX]; /* shared infrastructure */
	size_t nshared;
	int documentation;              /* documentation address ranges allowed (test beds only) */
	int64_t now;                    /* UTC seconds */
	const struct tlog_policy *tlog; /* the list must be in this transparency log; NULL: off */
	int restart; /* a daemon starting: the last accepted list again is taken as restored
			(ACCEPT_NEW, serial == last_serial), not ACCEPT_SAME */
	/* 1: accept_check() and accept_restore() stop before the safeguards, which the
	   caller then runs with accept_safeguards() and accept_finish() (so that it can
	   read the list in another thread meanwhile); 0: they run them too. */
	int defer_safeguards;
	/* Called as each step of the check ends ("read", "hash", "signatures", "parse",
	   "checks", "public suffixes", "safeguards"), for a profile; NULL: not called. */
	void (*phase)(void *arg, const char *step);
	void *phase_arg;
};

/* Defaults for the policy's limits, shared by blockd.conf and blockrules verify. */
#define ACCEPT_MAX_VALIDITY_DAYS       366 /* a year and a leap day */
#define ACCEPT_MAX_VALIDITY_DEFAULT    ((int64_t)ACCEPT_MAX_VALIDITY_DAYS * 86400)
#define ACCEPT_MAX_SKEW_DEFAULT        300        /* five minutes of clock difference */
#define ACCEPT_MAX_SERIAL_JUMP_DEFAULT 1000000000 /* far beyond date- or time-based serials */

/* A serial above this leaves too little room for the lists that must follow it. */
#define ACCEPT_SERIAL_CEILING ((uint64_t)INT64_MAX)

enum accept_outcome {
	ACCEPT_REFUSED = -1, /* reason says why; nothing is to change */
	ACCEPT_NEW = 0,      /* list holds the accepted entries; commit after using it */
	ACCEPT_SAME = 1,     /* this serial (and content) is already the accepted one */
};

struct accept_result {
	int outcome;           /* enum accept_outcome */
	char reason[2048];     /* REFUSED: the exact reason; otherwise a one-line summary */
	char sigs[2048];       /* what became of each signature file, one line each */
	struct rulelist *list; /* NEW: after safeguards; the caller may take it (set to NULL) */
	struct safeguard_report report; /* NEW: entries refused by safeguards */
	uint64_t serial;                /* the list's serial (0 if it could not be read) */
	uint64_t last_serial;           /* last accepted serial, 0 if none */
	size_t signed_entries;          /* entries in the signed list, before safeguards */
	unsigned valid_keys;            /* distinct trusted keys with a good signature */

	/* Transparency (policy tlog): the checkpoint the list was proved under. */
	struct tlog_verdict *tlog; /* malloc'd; NULL when not checked */
	char list_sha256[65];      /* the list file's SHA-256, hex, with a tlog policy */
	char *tlog_proof;          /* the proof file, kept beside the committed copy */
	size_t tlog_prooflen;

	/* Kept for accept_commit(): the verified file's descriptor (-1: none) and length,
	   and the signature files. The bytes themselves (raw) live only until the parse,
	   which takes them for the list's strings. */
	char *raw;
	size_t rawlen;
	int fd;
	struct sigset sigset;
	uint8_t digest[64];
};

/*
 * accept_check(): the whole check of the list at path and its signature files
 * (path.minisig, path.minisig.2 ...), in this order: size caps, signatures on
 * the raw bytes (threshold of distinct trusted keys), strict parse, serial
 * against the state dir and the floor (lower: refused; equal with the same
 * content: ACCEPT_SAME; a jump above max_serial_jump or past the ceiling:
 * refused unless overridden), with a transparency policy the list's inclusion
 * in the log (path.tlog-proof, path.tlog-consistency, and STATE/rules.tlog
 * the newest checkpoint seen: tlog_check()), expiry, issue time and validity
 * span, change fraction, then the per-entry safeguards.
 * Changes nothing on disk. Returns the outcome (also in res->outcome); free
 * res with accept_result_free() in every case.
 */
int accept_check(const struct accept_policy *p, const char *path, struct accept_result *res);

/*
 * accept_restore(): accept_check() on the copy in the state dir (for a
 * daemon starting up): its own serial is not a no-op and the change fraction
 * is not applied. Returns ACCEPT_NEW or ACCEPT_REFUSED (also when the state
 * dir holds no list yet: then res->serial is 0).
 */
int accept_restore(const struct accept_policy *p, struct accept_result *res);

/* accept_state_list(): the path of the copy accept_restore() reads, as its messages name it. */
void accept_state_list(const char *state_dir, char *buf, size_t buflen);

/*
 * accept_commit(): makes an ACCEPT_NEW result the last accepted: copies the
 * list and its signature files into a new directory STATE/rules.SERIAL/ (as
 * "list", "list.minisig", ...), points the symlink STATE/rules.current at
 * it, then writes STATE/rules.serial ("serial N", "digest HEX", "entries N"
 * lines) and, when the list was proved in a transparency log under a newer
 * checkpoint, STATE/rules.tlog (that checkpoint, the newest seen) and
 * "list.tlog-proof" beside the copy; each file is written, fsync'd and
 * renamed, and the directory fsync'd. The list is copied from the descriptor
 * accept_check() verified, a megabyte at a time, and hashed again: if the
 * file changed since, nothing is recorded. Older rules.N directories are removed; nothing else in STATE is
 * touched. Call it only once the list is in use.
 * 0, or -1 with the reason in err (the previous state is then intact).
 */
int accept_commit(
    const struct accept_policy *p, const struct accept_result *res, char *err, size_t errlen);

/*
 * accept_last(): the last accepted serial, digest and signed entry count from
 * STATE/rules.serial. 1 and the values, 0 if there is none yet, -1 with err.
 */
int accept_last(const char *state_dir, uint64_t *serial, uint8_t digest[64], size_t *entries,
    char *err, size_t errlen);

/*
 * accept_explain(): why res was refused, on one line for a log or an answer:
 * res->reason and, when fewer than threshold keys counted, what became of
 * each signature file ("REASON: LIST.minisig: not counted: ...; LIST.minisig.2:
 * ..."). Pure; buf (of buflen > 0 bytes) gets as much as fits, NUL-terminated.
 */
void accept_explain(const struct accept_result *res, unsigned threshold, char *buf, size_t buflen);

/*
 * With policy defer_safeguards, an ACCEPT_NEW result still has its whole
 * list: accept_safeguards() loads the public suffix list and checks every
 * entry, only reading res->list (another thread may read it meanwhile) and
 * filling res->report; accept_finish() then removes the refused entries, or
 * refuses the list if the check failed, exactly as accept_check() would
 * have. accept_safeguards() returns 0, or -1 (accept_finish() then says why);
 * accept_finish() returns the outcome. Call both, in this order, once.
 */
int accept_safeguards(const struct accept_policy *p, const char *path, struct accept_result *res);
int accept_finish(const struct accept_policy *p, const char *path, struct accept_result *res);

void accept_result_free(struct accept_result *res);

#endif
