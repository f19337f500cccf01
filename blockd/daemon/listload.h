/* The list blockd enforces: accepted from rules_dir or restored from state_dir, as a match snapshot. */
#ifndef BLOCKD_LISTLOAD_H
#define BLOCKD_LISTLOAD_H

#include <stddef.h>

#include "accept.h"
#include "base/config.h"

#define LISTLOAD_FILE "blocklist" /* in rules_dir, signed as blocklist.minisig[.N] */

enum listload_mode {
	LISTLOAD_START,           /* rules_dir if it passes, else the last accepted list */
	LISTLOAD_CHECK,           /* blockd -n: as START, but a refused list is an error */
	LISTLOAD_RELOAD,          /* rules_dir only; refusal keeps the list in force */
	LISTLOAD_RELOAD_OVERRIDE, /* as RELOAD, accepting a change above max_change */
};

struct match_snapshot;
struct startprof;

/*
 * A serial the enforcement log shows accepted (evlog/evlog_floor.h): no list
 * below it is accepted, whatever state_dir says. serial 0: none.
 */
struct listload_floor {
	uint64_t serial;
	char source[512]; /* the log file that shows it */
};

/* What listload() found. */
struct listload {
	struct match_snapshot *snap; /* the caller takes it; NULL: nothing (new) to enforce */
	int fresh;                   /* snap came from rules_dir and wants listload_commit() */
	int same;                    /* RELOAD: rules_dir holds the list already in force */
	int checked;                 /* res is to be freed */
	struct accept_result res;
};

/*
 * listload(): runs the acceptance checks (rules/accept.h) per mode and
 * builds the snapshot with the local allowlist; floor (may be NULL) refuses
 * serials below it as rollbacks; prof (may be NULL) gets a mark as each step
 * ends. Entries refused by the
 * safeguards are logged one by one. Returns 0 (see ll->snap, ll->same), or
 * -1 with exactly why in err. Call listload_commit() or listload_done()
 * afterwards in every case.
 */
int listload(const struct blockd_config *, int mode, const struct listload_floor *floor,
    struct startprof *prof, struct listload *ll, char *err, size_t errlen);
/*
 * listload_commit(): once ll->snap is in force, records a fresh list as the
 * last accepted (state_dir). Returns 0, or -1 with err; frees ll's result.
 */
int listload_commit(const struct blockd_config *, struct listload *ll, char *err, size_t errlen);
void listload_done(struct listload *ll);

#endif
