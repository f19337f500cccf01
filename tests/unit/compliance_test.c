/* Unit tests for compliance.c and comphtml.c: enforcement and probe reports aggregated, HTML escaped. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance.h"
#include "probefmt.h"

static const char csv[] =
    "day,order,service,dns,tls,quic,http,ip,total,subscribers,serials\r\n"
    "2026-11-21,CL-1,\"Studio, \"\"Deep\"\"\",3,1,0,2,0,6,3,42\r\n"
    "total,,,3,1,0,2,0,6,,\r\n"
    "\r\n"
    "coverage,from,to,seconds,open,events_dropped,serial,reason\r\n"
    "failopen,2026-11-21T10:00:00.000000Z,2026-11-21T10:10:00.000000Z,600.000000,no,0,42,queue\r\n"
    "down,2026-11-21T10:05:00.000000Z,2026-11-22T01:00:00.000000Z,53100.000000,yes,0,42,stop\r\n"
    "\r\n"
    "unjudged,method,reason,passed,blocked\r\n"
    "2026-11-21,tls,queue_end,4,0\r\n";

Test(compliance, csv_read_per_order_day_and_gaps)
{
	struct comp c;
	char err[256];
	long isp;

	comp_init(&c, "t");
	isp = comp_isp(&c, "isp-a");
	cr_assert_eq(comp_add_csv(&c, (uint32_t)isp, csv, strlen(csv), "a.csv", err, sizeof(err)),
	    0, "%s", err);
	cr_assert_eq(comp_sort(&c), 0);
	cr_assert_eq(c.norders, 1);
	cr_assert_str_eq(c.orders[0], "CL-1");
	cr_assert_eq(c.ncells, 2, "the day after, with its gap, is filled in");
	cr_assert_eq(c.cells[0].blocks[PROBE_DNS], 3);
	cr_assert_eq(c.cells[0].blocks[PROBE_HTTP], 2);
	cr_assert_eq(comp_status(&c.cells[0]), COMP_LOGGED);
	cr_assert_eq(comp_status(&c.cells[1]), COMP_NODATA);
	cr_assert_eq(c.ngaps, 2);
	/* 10:00 to midnight, the overlap counted once; then midnight to 01:00. */
	cr_assert_eq(comp_gap_seconds(&c, 0, c.cells[0].day), 14 * 3600);
	cr_assert_eq(comp_gap_seconds(&c, 0, c.cells[1].day), 3600);
	cr_assert_eq(c.nunjudged, 1);
	cr_assert_eq(c.unjudged[0].passed, 4);
	comp_free(&c);
}

Test(compliance, csv_errors_name_file_and_line)
{
	struct comp c;
	char err[256];
	const char bad[] = "day,order,service,dns,tls,quic,http,ip,total,subscribers,serials\r\n"
			   "2026-11-21,CL-1,S,x,1,0,2,0,6,3,42\r\n";

	comp_init(&c, "t");
	cr_assert_eq(comp_add_csv(&c, 0, bad, strlen(bad), "b.csv", err, sizeof(err)), -1);
	cr_assert(strncmp(err, "b.csv:2: ", 9) == 0, "%s", err);
	cr_assert_eq(comp_add_csv(&c, 0, "{}", 2, "j.json", err, sizeof(err)), -1);
	cr_assert(strstr(err, "j.json:1: not a blockctl report in CSV") != NULL, "%s", err);
	comp_free(&c);
}

static void
check(struct probe_report *r, int kind, const char *order, int method, const char *target,
    int outcome)
{
	struct probe_check k = {
	    .kind = (uint8_t)kind, .method = (uint8_t)method, .outcome = (uint8_t)outcome};

	snprintf(k.order, sizeof(k.order), "%s", order);
	snprintf(k.target, sizeof(k.target), "%s", target);
	k.verdict = (uint8_t)probe_verdict_of(kind, outcome);
	cr_assert_eq(probe_add(r, &k), 0);
}

Test(compliance, probes_who_enforced_failures_overblocking_and_html)
{
	struct probe_report r = {.started = 1795305600 /* 2026-11-21 */};
	struct comp c;
	char *t;
	size_t len;

	strcpy(r.vantage, "<b>dsl</b>");
	check(&r, PROBE_ENTRY, "CL-1", PROBE_DNS, "a.example", PROBE_BLOCKED);
	check(&r, PROBE_ENTRY, "CL-1", PROBE_TLS, "a.example", PROBE_OPEN);
	check(&r, PROBE_ENTRY, "CL-2", PROBE_DNS, "b.example", PROBE_BLOCKED);
	check(&r, PROBE_CONTROL, "", PROBE_DNS, "www.a.example", PROBE_BLOCKED);
	check(&r, PROBE_CONTROL, "", PROBE_DNS, "ok.example", PROBE_OPEN);
	comp_init(&c, "Regulator & <Co>");
	cr_assert_eq(comp_add_probe(&c, (uint32_t)comp_isp(&c, "isp-\"b\""), &r), 0);
	cr_assert_eq(comp_sort(&c), 0);
	cr_assert_eq(c.ncells, 2);
	cr_assert_eq(comp_status(&c.cells[0]), COMP_FAILING, "CL-1: a TLS check failed");
	cr_assert_eq(comp_status(&c.cells[1]), COMP_ENFORCED, "CL-2: every check passed");
	cr_assert_eq(c.nprobes, 4, "entries' checks and the control not passing; not ok.example");
	t = comp_format(&c, 0, "x.csv: unsigned\n", &len);
	cr_assert(strstr(t, "probe failures: 1\n") != NULL, "%s", t);
	cr_assert(strstr(t, "overblocking found: 1\n") != NULL, "%s", t);
	cr_assert(strstr(t, "www.a.example") != NULL);
	free(t);
	t = comp_html(&c, "x<script>.csv: unsigned\n", &len);
	cr_assert_not_null(t);
	cr_assert(strstr(t, "<script") == NULL, "nothing from a report becomes markup");
	cr_assert(strstr(t, "x&lt;script&gt;.csv") != NULL);
	cr_assert(strstr(t, "Regulator &amp; &lt;Co&gt;") != NULL);
	cr_assert(strstr(t, "isp-&quot;b&quot;") != NULL);
	cr_assert(strstr(t, "&lt;b&gt;dsl&lt;/b&gt;") != NULL);
	cr_assert(strstr(t, "http://") == NULL ||
	    strstr(t, "xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
	cr_assert(strstr(t, "src=") == NULL && strstr(t, "href=") == NULL, "nothing fetched");
	free(t);
	comp_free(&c);
	probe_report_free(&r);
}
