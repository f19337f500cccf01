/* Compliance across ISPs: enforcement reports and probe reports, per order and day, and their gaps. */
#ifndef BLOCKD_COMPLIANCE_H
#define BLOCKD_COMPLIANCE_H

#include <stddef.h>
#include <stdint.h>

#include "probefmt.h"

/*
 * What a regulator reads from many ISPs (`blockrules reports`), and what one
 * ISP's report shows (`blockctl report --format html`): per order, day and
 * ISP, the blocks per method the appliance logged and the probe's checks;
 * per ISP, the periods enforcement was not in force and the days flows were
 * decided unjudged; every control found blocked and every entry found open.
 * Pure: the caller reads and verifies the files and adds what they hold.
 * Methods are indexed by enum probe_method (dns, tls, quic, http, ip).
 */

struct comp_cell {
	int64_t day; /* UTC day number (days since 1970-01-01) */
	uint32_t order, isp;
	uint64_t blocks[PROBE_NMETHODS];
	uint32_t
	    probe[PROBE_NOTRUN + 1]; /* the probe's checks of the order's entries, by verdict */
};

struct comp_gap {
	uint32_t isp;
	char kind[32];    /* as blockctl report names it: down, failopen, list_expired ... */
	int64_t from, to; /* UTC seconds */
	char reason[128];
};

struct comp_unjudged {
	uint32_t isp;
	int64_t day;
	uint64_t passed, blocked;
};

/* A probe check worth a line in the table: any check of an entry, any control not passing. */
struct comp_probe {
	uint32_t isp;
	int64_t day;
	char vantage[128];
	struct probe_check c;
};

struct comp {
	char **isps; /* names, owned */
	size_t nisps;
	char **orders; /* references, owned */
	size_t norders;
	struct comp_cell *cells;
	size_t ncells, capcells;
	uint32_t *index; /* cells by (isp, order, day): open addressing, 0 empty, else i + 1 */
	size_t nindex;   /* slots, a power of two; rebuilt by comp_sort() */
	struct comp_gap *gaps;
	size_t ngaps, capgaps;
	struct comp_unjudged *unjudged;
	size_t nunjudged, capunjudged;
	struct comp_probe *probes;
	size_t nprobes, capprobes;
	size_t reports;           /* enforcement and probe reports added */
	int64_t from_day, to_day; /* the days seen, [from, to]; from > to while empty */
	char title[128];
};

void comp_init(struct comp *, const char *title);
void comp_free(struct comp *);

/* Index of an ISP's or an order's name, added if new; -1 out of memory. */
long comp_isp(struct comp *, const char *name);
long comp_order(struct comp *, const char *ref);

/* The building blocks; each 0, or -1 out of memory. */
int comp_add_blocks(
    struct comp *, uint32_t isp, uint32_t order, int64_t day, int method, uint64_t n);
int comp_add_gap(
    struct comp *, uint32_t isp, const char *kind, int64_t from, int64_t to, const char *reason);
int comp_add_unjudged(struct comp *, uint32_t isp, int64_t day, uint64_t passed, uint64_t blocked);
int comp_add_probe(struct comp *, uint32_t isp, const struct probe_report *);

/*
 * comp_add_csv(): an enforcement report in blockctl report's CSV (its tables
 * of enforcement, coverage and unjudged flows; the rest is skipped). 0, or -1
 * with "fname:line: what is wrong" in err.
 */
int comp_add_csv(struct comp *, uint32_t isp, const char *buf, size_t len, const char *fname,
    char *err, size_t errlen);

/*
 * comp_sort(): before writing: for every order and ISP with a cell, an empty
 * cell for each day of the period that has none (so days without data and
 * with gaps show), unless that would pass COMP_FILL_MAX cells or the period
 * 10 years; then cells by
 * order, day, ISP, gaps by ISP and start, probe results by day. 0, or -1 out
 * of memory.
 */
#define COMP_FILL_MAX 200000
int comp_sort(struct comp *);

/* What an ISP did for an order on a day: the probe's word first, then the log's. */
enum comp_status { COMP_NODATA = 0, COMP_ENFORCED, COMP_FAILING, COMP_LOGGED };
int comp_status(const struct comp_cell *);
const char *comp_status_name(int);

/* Seconds of day (UTC day number) an ISP's gaps cover, overlaps counted once. */
int64_t comp_gap_seconds(const struct comp *, uint32_t isp, int64_t day);

/*
 * comp_format(): as text (0) or one JSON object (1), malloc'd and
 * NUL-terminated, its length in *lenp; NULL out of memory. refused lists the
 * files left out and why, one "FILE: reason" a line (NULL: none).
 */
char *comp_format(const struct comp *, int json, const char *refused, size_t *lenp);

/* comp_html(): one self-contained HTML page (inline SVG, no scripts); as comp_format(). */
char *comp_html(const struct comp *, const char *refused, size_t *lenp);

#endif
