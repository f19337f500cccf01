/* Regulatory reports over the enforcement log: counts per order, service and day, and coverage gaps. */
#ifndef BLOCKD_REPORT_H
#define BLOCKD_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "evrec.h"
#include "exitcode.h"

/* Results, also blockctl report's exit status (exitcode.h). */
#define REPORT_OK      EXIT_OK      /* report written */
#define REPORT_PARTIAL EXIT_PARTIAL /* written, but some lines were not records (run log verify) */
#define REPORT_REFUSED EXIT_FAIL    /* fleet: an appliance's chain is broken; nothing written */
#define REPORT_USAGE   EXIT_USAGE   /* bad options */
#define REPORT_ERROR   EXIT_SYSTEM  /* a file could not be read, or out of memory */

enum report_format { REPORT_CSV = 1, REPORT_JSON, REPORT_HTML };

/* Why enforcement was not (fully) in force during a period. */
enum report_gap_kind {
	GAP_NO_LOG = 1, /* no records from the start of the period */
	GAP_DOWN,       /* blockd not running: stop (or crash) to the next start */
	GAP_FAILOPEN,   /* fail-open engaged */
	GAP_EXPIRED,    /* the list in force expired, no replacement yet */
	GAP_REFUSED,    /* a new list was refused; the regulator's latest list not in force */
	GAP_DROPPED,    /* enforced, but events were not logged */
	GAP_EXHAUSTED,  /* flows decided unjudged for want of a stream buffer (failure policy) */
	GAP_WITHDRAWN,  /* the divert routes were withdrawn: the core sent the traffic elsewhere */
	GAP_FLEET,      /* fleet reports: no appliance of the fleet enforced (fleet.h) */
};

/*
 * Unjudged decisions (unjudged_pass, unjudged_block events): flows decided
 * without a name read, per day, method and reason. Not counted as
 * enforcement. Those for an exhausted resource (reason "no_buffer") also
 * make GAP_EXHAUSTED periods: events less than REPORT_EXHAUSTED_MERGE_US
 * apart are one period, its count the events in it.
 */
#define REPORT_EXHAUSTED_MERGE_US (60 * 1000000LL)

struct report_unjudged {
	int64_t day;
	int method; /* enum ev_method */
	char reason[32];
	uint64_t passed, blocked;
};

/*
 * Staged address entries: what the observation of a new address entry
 * decided (held and observed records). A held entry was not enforced
 * because flows to it carried services the list does not name; the reason
 * names the entry, its order and the names seen, so the regulator learns
 * its entry would have cut them off. Observe events (flows to a staged
 * entry, passed) are counted apart and are not enforcement.
 */
struct report_staged {
	int64_t time_us;
	int held; /* 1: held, not enforced; 0: enforced after observation */
	uint64_t serial;
	char *reason; /* owned by the report */
};

struct report_group {
	int64_t day; /* UTC day number */
	char *order; /* owned by the report */
	char *service;
	uint64_t count[EV_IP + 1]; /* by enum ev_method */
	uint64_t total;
	uint64_t subscribers; /* distinct pseudonyms (or addresses) */
	uint64_t *serials;    /* distinct, ascending */
	size_t nserials;
};

struct report_gap {
	int kind;               /* enum report_gap_kind */
	int64_t from_us, to_us; /* clipped to the report's period */
	int open_end;           /* still open at the end of the records */
	uint64_t count;         /* GAP_DROPPED: events lost; GAP_EXHAUSTED: flows unjudged */
	uint64_t serial;        /* the list serial concerned, 0 if none */
	char *reason;           /* owned by the report, "" if none */
};

struct report {
	int64_t from_us, to_us;      /* [from, to) */
	struct report_group *groups; /* by day, order, service */
	size_t ngroups;
	struct report_gap *gaps; /* by start time */
	size_t ngaps;
	struct report_unjudged *unjudged; /* by day, method, reason */
	size_t nunjudged;
	struct report_staged *staged; /* in log order */
	size_t nstaged;
	uint64_t observed; /* observe events: flows to staged entries, passed */
	uint64_t total[EV_IP + 1];
	uint64_t events, records;
	char appliance[192]; /* of the first record, "" if none; a fleet's names */
	/* A fleet report's appliances, in the order given (fleet.h); NULL, 0 for one appliance. */
	struct report_member *members;
	size_t nmembers;
};

/* One appliance of a fleet report: its own records and coverage gaps. */
struct report_member {
	char name[192]; /* from its records; the path given if none or shared */
	uint64_t records, events;
	uint64_t first_seq, last_seq; /* of its records read, 0 if none */
	struct report_gap *gaps;      /* as its own report has them, by start time */
	size_t ngaps;
};

struct report_builder; /* private to report.c */

/*
 * The report is built one record at a time, in log order, so its memory
 * grows with the number of groups and distinct subscribers per group, not
 * with the number of records. Records before from_us still set the state at
 * from_us (a fail-open engaged before the period is a gap from its start).
 * Pure: no I/O.
 *
 * report_builder_new(): NULL if out of memory.
 * report_add(): 0, or -1 if out of memory.
 * report_finish(): the report into *rp (free with report_free()) and the
 * builder freed, whatever the result. 0, or -1 if out of memory.
 */
struct report_builder *report_builder_new(int64_t from_us, int64_t to_us);
int report_add(struct report_builder *, const struct evrec *);
int report_finish(struct report_builder *, struct report *rp);

/*
 * report_merge(): what from counted, added into into as if into had read
 * from's records too: groups (counts summed, serials joined, a subscriber
 * whose pseudonym into already holds for that group counted once), totals,
 * records, unjudged decisions and staged entries (each reason after
 * "name: " unless name is NULL). Not from's state nor its gaps: each
 * appliance's periods are its own (fleet.h). into is a builder that takes
 * merges, not records. from is left as it was. 0, or -1 if out of memory
 * (into is then failed: finish it, which frees it).
 */
int report_merge(struct report_builder *into, const struct report_builder *from, const char *name);
/* report_builder_appliance(): the appliance name of the builder's first record, "" if none. */
const char *report_builder_appliance(const struct report_builder *);

/* report_build(): all of recs[0..n) at once. 0, or -1 if out of memory. */
int report_build(
    const struct evrec *recs, size_t n, int64_t from_us, int64_t to_us, struct report *);
void report_free(struct report *);

/*
 * report_write(): the report as CSV (two tables) or JSON; HTML is report_html()'s.
 * A fleet report's appliances follow in tables of their own (fleet.h).
 */
void report_write(const struct report *, int format, FILE *out);
/* One coverage gap as a CSV row (kind,from,to,...,reason and its line end) or a JSON object. */
void report_gap_csv(const struct report_gap *, FILE *out);
void report_gap_json(const struct report_gap *, FILE *out);
/* report_csv_field(): one CSV field, quoted as RFC 4180 says when it must be. */
void report_csv_field(FILE *out, const char *s);
/* report_gaps_free(): the gaps[0..n) and their reasons. */
void report_gaps_free(struct report_gap *gaps, size_t n);

struct probe_report;
/*
 * report_html(): the report and the probe reports probes[0..nprobes) as one
 * self-contained HTML page (rules/comphtml.c): per order, blocks per day by
 * method with coverage gaps and unjudged days shaded, and the tables. 0, or
 * -1 out of memory.
 */
int report_html(
    const struct report *, const struct probe_report *probes, size_t nprobes, FILE *out);

const char *report_gap_name(int kind);
/* report_gap_cmp(): qsort order of struct report_gap: by start, then kind. */
int report_gap_cmp(const void *, const void *);
/* report_format_from(): "csv", "json" or "html" to enum report_format, 0 if none. */
int report_format_from(const char *);

/* One appliance's log files, oldest first, and how the operator named them (for messages). */
struct report_source {
	const char *label;
	const char *const *paths;
	size_t npaths;
};

struct report_opts {
	const char *const *paths; /* one appliance's log files, oldest first */
	size_t npaths;
	/* A fleet report: each appliance's files (paths unused); chains verified first. */
	const struct report_source *fleet;
	size_t nfleet;
	int64_t from_us, to_us;
	int format;                /* enum report_format */
	const char *const *probes; /* HTML only: probe reports (blockctl probe) for its table */
	size_t nprobes;
};

/*
 * report_render(): read the files, build and write the report into a
 * malloc'd buffer (*buf, *len; the caller frees it). These exact bytes are
 * what a signature would cover. Problems are written to err. Returns
 * REPORT_*; *buf is set for REPORT_OK and REPORT_PARTIAL. A fleet report
 * verifies each appliance's hash chain before reading it: a broken one is
 * REPORT_REFUSED (file and line said on err), a torn last line
 * REPORT_PARTIAL, the same file given for two appliances REPORT_USAGE.
 */
int report_render(const struct report_opts *, char **buf, size_t *len, FILE *err);
/* report_run(): report_render() to out, problems to stderr. Returns REPORT_*. */
int report_run(const struct report_opts *, FILE *out);

#endif
