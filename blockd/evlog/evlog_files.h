/* The enforcement log's file names and magic strings, for the writer, its recovery and its readers. */
#ifndef BLOCKD_EVLOG_FILES_H
#define BLOCKD_EVLOG_FILES_H

/* The live file, unless [log] path says otherwise. */
#define EVLOG_DEFAULT_PATH "/var/log/blockd/enforcement.jsonl"

/*
 * Rotated files are PATH.YYYYMMDDTHHMMSS.ffffffZ (UTC), names that sort by
 * time: PATH followed by EVLOG_ROTATED_GLOB matches them and nothing else.
 */
#define EVLOG_ROTATED_GLOB ".[0-9]*Z"
/* The next live file while a rotation is under way: PATH followed by this. */
#define EVLOG_NEXT_SUFFIX  ".new"

/* In state_dir: the chain head saved at start, rotation and stop, and its first word. */
#define EVLOG_HEAD_FILE       "evlog.head"
#define EVLOG_HEAD_MAGIC      "blockd-evlog-head-v1"
/* The head file is replaced through this name (HEAD_FILE followed by it). */
#define EVLOG_HEAD_TMP_SUFFIX ".new"
/* In state_dir: a torn last line cut off at start is kept as evlog.torn-TIME. */
#define EVLOG_TORN_PREFIX     "evlog.torn-"
/* In state_dir: the pseudonym key of the day. */
#define EVLOG_KEY_FILE        "pseudonym.key"

/* The prev of the first record of a chain: no record before it. */
#define EVLOG_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

#endif
