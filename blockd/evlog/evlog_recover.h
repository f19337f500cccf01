/* The enforcement log across restarts: repairs at start, and the chain head kept for the next one. */
#ifndef BLOCKD_EVLOG_RECOVER_H
#define BLOCKD_EVLOG_RECOVER_H

#include <stdint.h>

#include "evrec.h"

/* Where the chain goes on after a start, and the gap record to write first, if any. */
struct evlog_resume {
	uint64_t seq;                  /* the last record's seq, 0 for none */
	char prev[EVREC_HASH_HEX + 1]; /* its SHA-256, or EVLOG_ZERO_HASH */
	uint64_t file_bytes;           /* the live file's size once repaired */
	int64_t first_us;              /* its first record's time, 0 if it has none */
	int gap;                       /* the last run ended without a stop: write gap_rec */
	struct evrec gap_rec;          /* kind, state EVS_GAP, reason, last_seq, ..., torn_bytes */
};

/*
 * evlog_recover(): repairs the log whose live file path is open as fd
 * (read-write), before anything is written to it: a rotation cut short by a
 * crash is undone (an empty PATH.new removed, a rotated name that is a hard
 * link to the live file removed); a torn last line is copied to
 * STATE_DIR/evlog.torn-TIME (now_us) and cut off. The chain goes on from the
 * file's last record, or if the file is empty, from the newest rotated file
 * or the head saved in state_dir, whichever is ahead. Returns 0 with *out
 * filled, or -1 with the reason logged.
 */
int evlog_recover(
    int fd, const char *path, const char *state_dir, int64_t now_us, struct evlog_resume *out);

/*
 * evlog_head_save(): STATE_DIR/evlog.head becomes the chain's last seq and
 * hash, state ("running" or "stopped") and the time, replaced atomically.
 * Returns 0, or -1 with the reason logged. logverify_read_head() reads it.
 */
int evlog_head_save(
    const char *state_dir, uint64_t seq, const char *prev, const char *state, int64_t now_us);

#endif
