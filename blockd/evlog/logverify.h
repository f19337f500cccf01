/* Verify the enforcement log's hash chain across files: edited, removed, reordered records, torn tails. */
#ifndef BLOCKD_LOGVERIFY_H
#define BLOCKD_LOGVERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "evrec.h"

/* Results, also blockctl log verify's exit status. */
#define LOGVERIFY_OK    0 /* the chain is intact */
#define LOGVERIFY_BAD   1 /* a record was edited, removed, reordered or is malformed */
#define LOGVERIFY_TORN  2 /* intact, except a torn last line (crash or power loss) */
#define LOGVERIFY_ERROR 3 /* a file could not be read */

/* SHA-256 with a context fetched once (one-shot SHA256() costs three times more per record). */
struct evp_md_st;
struct evp_md_ctx_st;
struct lv_hasher {
	struct evp_md_st *md; /* NULL: fall back to one-shot */
	struct evp_md_ctx_st *ctx;
};

/* lv_hasher_init() never fails (without memory it falls back to one-shot); lv_hasher_free() frees. */
void lv_hasher_init(struct lv_hasher *);
void lv_hasher_hex(struct lv_hasher *, const void *buf, size_t len, char out[EVREC_HASH_HEX + 1]);
void lv_hasher_free(struct lv_hasher *);

enum lv_problem {
	LV_NONE = 0,
	LV_MALFORMED, /* not a valid record */
	LV_EDITED,    /* a record's bytes differ from what its successor chained */
	LV_REMOVED,   /* a seq gap */
	LV_REORDERED, /* seq not increasing */
	LV_HEAD,      /* disagrees with the saved chain head */
	LV_TORN,      /* a last line without its newline */
};

/*
 * The verifier's state: fed whole files in order, it checks every record's
 * prev against the SHA-256 of the previous record's line (newline
 * included) and that seq rises by exactly one. The first record given is
 * the anchor: its prev is not checked (older files may have been expired).
 * The first problem found is kept; a torn tail is noted and checking goes
 * on (the next run continues the chain from the last complete record).
 */
struct logverify {
	/* Optional saved chain head: the record with this seq must hash to this. */
	uint64_t head_seq;
	char head_hash[EVREC_HASH_HEX + 1];

	uint64_t records, first_seq, last_seq;
	char last_hash[EVREC_HASH_HEX + 1];
	char last_file[256];
	size_t last_line;
	int head_seen;

	/* A seq gap waits for the next record to tell removal from reordering. */
	int pending;
	uint64_t pend_seq;
	char pend_file[256];
	size_t pend_line;

	struct lv_hasher hasher;

	int status;     /* LOGVERIFY_* */
	int problem;    /* enum lv_problem of the first problem */
	char file[256]; /* where */
	size_t line;    /* 1-based */
	uint64_t seq;   /* seq of the bad record, 0 if unknown */
	char what[512]; /* one sentence */
	uint64_t torn_bytes;
};

/* logverify_init(): head_hash NULL for no saved head. logverify_free() frees what it holds. */
void logverify_init(struct logverify *, uint64_t head_seq, const char *head_hash);
void logverify_free(struct logverify *);
/* logverify_feed(): one whole file's bytes; name is used in messages. Returns status so far. Pure. */
int logverify_feed(struct logverify *, const char *name, const char *buf, size_t len);
/* logverify_finish(): after the last file. Returns the final status. Pure. */
int logverify_finish(struct logverify *);
/* logverify_print(): "FILE:LINE: seq N: problem: ..." or a summary line. */
void logverify_print(const struct logverify *, FILE *out);

/*
 * logverify_files(): verify paths in order (oldest rotated file first, the
 * live file last) and print the result to out. Returns LOGVERIFY_*.
 * logverify_files_head() also checks the chain head saved at stop
 * (STATE_DIR/evlog.head), which catches records removed from the end.
 */
int logverify_files(const char *const *paths, size_t n, FILE *out);
int logverify_files_head(const char *const *paths, size_t n, const char *head_path, FILE *out);
/*
 * logverify_files_fmt(): either of the above (head_path NULL for none),
 * printing one JSON object instead of text when json is set.
 */
int logverify_files_fmt(
    const char *const *paths, size_t n, const char *head_path, int json, FILE *out);
/* logverify_print_json(): the result as one JSON object on one line. */
void logverify_print_json(const struct logverify *, FILE *out);

/*
 * logverify_read_head(): parse a saved head file. 0, or -1 with the reason
 * printed to err (if not NULL). stopped is set if written by a clean stop.
 */
int logverify_read_head(
    const char *path, uint64_t *seq, char hash[EVREC_HASH_HEX + 1], int *stopped, FILE *err);

/*
 * A file by identity. Two names of one file are read once: while blockd
 * rotates, the live file also has its rotated name for a moment (a hard
 * link), and both may be listed.
 */
struct lv_fileid {
	dev_t dev;
	ino_t ino;
};
/*
 * logverify_seen(): whether the file open as fd is among seen[0..*n); if
 * not, it is added (seen has room for every file given). -1 if fstat fails.
 */
int logverify_seen(struct lv_fileid *seen, size_t *n, int fd);

/* The SHA-256 of bytes as lowercase hex (65 bytes with NUL). */
void logverify_hash(const void *buf, size_t len, char out[EVREC_HASH_HEX + 1]);

#endif
