/* Fleet reports: several appliances' logs as one report, and the periods when none of them enforced. */
#ifndef BLOCKD_FLEET_H
#define BLOCKD_FLEET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "evrec.h"
#include "report.h"

/*
 * A fleet is appliances that share the same traffic: the core spreads flows
 * over them and sends them to another when one withdraws (blockd(8),
 * Diversion). Its report counts per order, service and day across every
 * appliance (counts summed; a subscriber whose pseudonym two appliances share
 * counted once, which needs the pseudonym key copied to each: blockd-log(5)),
 * and its coverage is the fleet's:
 *
 * - GAP_FLEET periods, when no appliance enforced: each appliance was in a
 *   gap that stops its enforcement (fleet_gap_stops()) at the same time;
 * - every appliance's gaps that leave part of its own traffic unjudged or
 *   unlogged whatever the others did (list_refused, events_dropped,
 *   exhausted), each reason after "NAME: ".
 *
 * Each appliance's own gaps are kept apart, in report.members.
 *
 * fleet_builder_new(): NULL if out of memory.
 * fleet_next(): the records that follow are the next appliance's; label
 * (the path the operator gave) names it when its records name no appliance
 * or another appliance of the fleet has the same name. 0, or -1.
 * fleet_add(): one record of the current appliance, in its log order. 0, or -1.
 * fleet_finish(): the fleet's report into *rp (free with report_free()),
 * the builder freed whatever the result. 0, or -1 if out of memory.
 * Pure: no I/O.
 */
struct fleet_builder;
struct fleet_builder *fleet_builder_new(int64_t from_us, int64_t to_us);
int fleet_next(struct fleet_builder *, const char *label);
int fleet_add(struct fleet_builder *, const struct evrec *);
int fleet_finish(struct fleet_builder *, struct report *rp);

/* fleet_gap_stops(): 1 if an appliance in a gap of this kind enforces nothing at all. */
int fleet_gap_stops(int kind);

/*
 * fleet_coverage(): the fleet's gaps (above) from its members' own, into a
 * malloc'd *gaps (free with report_gaps_free()), by start time. A GAP_FLEET
 * period's reason names each appliance's kinds; it is open when every
 * appliance's gap is. 0, or -1 if out of memory. Pure.
 */
int fleet_coverage(
    const struct report_member *members, size_t n, struct report_gap **gaps, size_t *ngaps);

/* The members as CSV tables and as a JSON member, after the report's coverage (report_write()). */
void fleet_write_csv(const struct report *, FILE *out);
void fleet_write_json(const struct report *, FILE *out);

#endif
