/* The compliance probe's report: one check per entry or control and method, as text and JSON. */
#ifndef BLOCKD_PROBEFMT_H
#define BLOCKD_PROBEFMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * What `blockctl probe` found, and what `blockrules reports` reads back. The
 * text form is the signed one: line-oriented, tab-separated, one check a
 * line, so a person reads it and a program parses it strictly:
 *
 *   blockd-probe 1
 *   vantage LABEL
 *   list SERIAL ISSUER
 *   resolver ADDRESS
 *   started 2026-12-01T10:00:00Z
 *   finished 2026-12-01T10:00:07Z
 *   check KIND ORDER METHOD TARGET ADDRESS OUTCOME VERDICT DETAIL
 *   ...
 *   summary checks N pass N fail N overblocked N error N skipped N
 *
 * (fields separated by one tab; "-" for an empty ORDER, ADDRESS or DETAIL).
 */
#define PROBE_FIELD_MAX 256 /* longest field, NUL included; longer values are cut */

enum probe_kind { PROBE_ENTRY = 1, PROBE_CONTROL };
#define PROBE_METHODS(X) X(DNS, "dns") X(TLS, "tls") X(QUIC, "quic") X(HTTP, "http") X(IP, "ip")
enum probe_method {
	PROBE_NONE = 0,
#define PROBE_METHOD_ENUM(id, name) PROBE_##id,
	PROBE_METHODS(PROBE_METHOD_ENUM)
#undef PROBE_METHOD_ENUM
	    PROBE_NMETHODS
};
/* What was seen on the wire. */
enum probe_outcome { PROBE_BLOCKED = 1, PROBE_OPEN, PROBE_ERROR, PROBE_SKIPPED };
/* What it means: an entry blocked, a control open pass; an open entry fails; a blocked control
 * is overblocked; a check that could not be made is an error, one not reached skipped. */
enum probe_verdict { PROBE_PASS = 1, PROBE_FAIL, PROBE_OVERBLOCKED, PROBE_ERRORED, PROBE_NOTRUN };

struct probe_check {
	uint8_t kind;                 /* enum probe_kind */
	uint8_t method;               /* enum probe_method */
	uint8_t outcome;              /* enum probe_outcome */
	uint8_t verdict;              /* enum probe_verdict */
	char order[64];               /* the entry's order reference, "" for a control */
	char target[PROBE_FIELD_MAX]; /* name, address or URL */
	char addr[64];                /* the address connected to, "" for DNS */
	char detail[128];             /* what was seen: "EDE 16", "reset", "HTTP 451", "timeout" */
};

struct probe_report {
	char vantage[128];
	char issuer[128];
	char resolver[64];
	uint64_t serial;
	int64_t started, finished;  /* UTC seconds */
	struct probe_check *checks; /* malloc'd, n of cap */
	size_t n, cap;
};

/* probe_verdict_of(): the verdict of outcome for kind. */
int probe_verdict_of(int kind, int outcome);
/* Names as written; NULL for a value out of range. from(): the value, 0 if none. */
const char *probe_method_name(int);
int probe_method_from(const char *);
const char *probe_outcome_name(int);
const char *probe_verdict_name(int);
const char *probe_kind_name(int);

/* probe_add(): a copy of c appended to r (grown). 0, or -1 out of memory. */
int probe_add(struct probe_report *r, const struct probe_check *c);
void probe_report_free(struct probe_report *r);

/* probe_count(): the checks of r with verdict v (0: all). */
size_t probe_count(const struct probe_report *r, int v);

/*
 * probe_format(): r as its text form (json 0) or as one JSON object (json 1),
 * in a malloc'd NUL-terminated buffer, its length in *lenp. NULL out of memory.
 * Pure. Tabs and line breaks in fields are written as spaces.
 */
char *probe_format(const struct probe_report *r, int json, size_t *lenp);

/*
 * probe_parse(): the text form back, strictly. Returns 0 and *r (free with
 * probe_report_free()), or -1 with "fname:line: what is wrong" in err. Pure.
 */
int probe_parse(const char *buf, size_t len, const char *fname, struct probe_report *r, char *err,
    size_t errlen);

#endif
