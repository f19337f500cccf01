/* The enforcement log writer: events and state records to hash-chained JSON Lines, off the packet path. */
#ifndef BLOCKD_EVLOG_H
#define BLOCKD_EVLOG_H

#include <stdint.h>

#include "event.h"
#include "evrec.h"

/* What the writer needs from blockd.conf ([log] and [blockd]); strings are copied. */
struct evlog_opts {
	const char *path;      /* the live log file */
	const char *state_dir; /* pseudonym.key, evlog.head, evlog.torn-* */
	const char *appliance_id;
	unsigned queue;             /* event slots, rounded up to a power of two (min 2) */
	unsigned fsync_interval_ms; /* 0: fsync after every batch */
	uint64_t rotate_bytes;      /* 0: never by size */
	unsigned rotate_seconds;    /* 0: never by age */
	int raw_addresses;          /* log client addresses instead of pseudonyms */
	uint64_t serial;            /* list serial in force at start, 0 for none */
	int manual;                 /* no writer thread: the caller runs evlog_pump() */
	const char *start_reason;   /* the start record's reason; NULL: "blockd VERSION" */
	/* The wall clock, UTC microseconds; NULL for the system clock. */
	int64_t (*now_us)(void *arg);
	void *now_arg;
};

struct blockd_config;

/* evlog_opts_config(): options from the daemon's configuration (strings point into conf). */
void evlog_opts_config(struct evlog_opts *, const struct blockd_config *conf);

struct evlog_stats {
	uint64_t queued;  /* events accepted by evlog_append() or evlog_reserve() */
	uint64_t dropped; /* events lost because the queue was full */
	uint64_t written; /* records written (events and state) */
	uint64_t rotations;
	uint64_t write_errors;
};

struct evlog;

/*
 * evlog_open(): recovers the log at opts->path (evlog_recover(): a torn
 * last line left by a crash is cut off, a copy kept in state_dir, and a
 * "gap" record written),
 * continues the hash chain from its last complete record (or from the head
 * saved in state_dir if the file is new), writes a "start" record and
 * starts the writer thread. Returns NULL with the reason logged.
 */
struct evlog *evlog_open(const struct evlog_opts *);

/*
 * evlog_append(): queue one event; any thread, never blocks, never
 * allocates, takes no lock. Returns 0, or -1 if the queue was full: the
 * loss is counted and written as a "dropped" record.
 */
int evlog_append(struct evlog *, const struct event *);

/*
 * evlog_reserve(), evlog_commit(): evlog_append() in two halves, so an
 * event is filled where the writer reads it instead of being copied there.
 * evlog_reserve() claims the next slot and returns its event, uninitialised
 * (fill every field the writer reads: event_fill()), with t set for the
 * commit; or NULL if the queue was full, the loss counted as by
 * evlog_append(). evlog_commit() hands the slot to the writer. Each
 * reservation must be committed, soon and without blocking in between: the
 * writer stops at that slot until it is. Any thread, no lock, no
 * allocation.
 */
struct evlog_ticket {
	uint64_t pos;
};

struct event *evlog_reserve(struct evlog *, struct evlog_ticket *t);
void evlog_commit(struct evlog *, const struct evlog_ticket *t);

/*
 * evlog_state(): queue a state record (enum evstate) from the control
 * thread; reason is printf-style, NULL for none. serial 0 means the serial
 * in force. Takes a mutex and allocates; not for the packet path. Start,
 * stop, dropped and gap records are the writer's own.
 */
void evlog_state(struct evlog *, int state, uint64_t serial, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* evlog_reopen(): reopen the file by name (after logrotate renamed it). Async-signal-safe. */
void evlog_reopen(struct evlog *);
/*
 * evlog_rotate(): give the file a timestamped name now and start a new one;
 * the live name is never missing meanwhile. Async-signal-safe.
 */
void evlog_rotate(struct evlog *);

/*
 * evlog_pump(): manual mode only: write everything queued, then do any
 * reopen, rotation and fsync due. Returns the records written, or -1 if
 * writing failed (logged; the records are kept and retried).
 */
int evlog_pump(struct evlog *);
/*
 * evlog_flush(): wait until everything queued before the call is written
 * and fsync'd (for the control thread and tests; it waits as long as the
 * disk refuses writes).
 */
void evlog_flush(struct evlog *);

void evlog_stats(struct evlog *, struct evlog_stats *);

/*
 * evlog_close(): once producers have stopped: write what is queued, a
 * "stop" record, fsync, save the chain head (STATE_DIR/evlog.head), free.
 */
void evlog_close(struct evlog *);

#endif
