/*
 * Fuzzes the enforcement record parser (evrec_parse) and the report builder:
 * each line of the input is parsed, the records are added to a report that
 * is then written as CSV and JSON; and to a fleet's report, where an empty
 * line begins the next appliance's records.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evlog/evrec.h"
#include "evlog/fleet.h"
#include "fuzz.h"
#include "evlog/report.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	static struct evrec rec;
	struct report_builder *rb;
	struct fleet_builder *fb;
	struct report r;
	int napps = 1;
	const char *err;
	size_t i, start;
	char tbuf[40];

	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		abort();
	/* 2026-11-21 to 2026-11-22, the seed logs' day. */
	rb = report_builder_new(INT64_C(1795219200000000), INT64_C(1795305600000000));
	if (rb == NULL)
		return 0;
	fb = fleet_builder_new(INT64_C(1795219200000000), INT64_C(1795305600000000));
	if (fb == NULL || fleet_next(fb, "a") != 0) {
		if (fb != NULL && fleet_finish(fb, &r) == 0)
			report_free(&r);
		if (report_finish(rb, &r) == 0)
			report_free(&r);
		return 0;
	}
	for (start = 0, i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (i == start && i < size && napps < 8 &&
		    fleet_next(fb, napps++ % 2 ? "b" : "a") != 0)
			break;
		if (evrec_parse((const char *)data + start, i - start, &rec, &err) == 0) {
			evrec_time_fmt(rec.time_us, tbuf);
			(void)evrec_method_name(rec.method);
			(void)evrec_action_name(rec.action);
			(void)evrec_state_name(rec.state);
			if (report_add(rb, &rec) == -1 || fleet_add(fb, &rec) == -1)
				break;
		}
		start = i + 1;
	}
	if (report_finish(rb, &r) == 0) {
		report_write(&r, REPORT_CSV, sink);
		report_write(&r, REPORT_JSON, sink);
		report_free(&r);
	}
	if (fleet_finish(fb, &r) == 0) {
		report_write(&r, REPORT_CSV, sink);
		report_write(&r, REPORT_JSON, sink);
		report_free(&r);
	}
	return 0;
}
