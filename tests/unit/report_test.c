/* Unit tests for report.c: totals equal the events, distinct subscribers, coverage gaps computed right. */
#include "evlog_util.h"
#include "evlog/evrec.h"
#include "evlog/report.h"

#define S(x) ((int64_t)(x)*1000000)

static struct evrec recs[64];
static size_t nrec;

static void
block(
    int64_t t, int method, const char *order, const char *service, const char *sub, uint64_t serial)
{
	struct evrec *r = &recs[nrec];

	memset(r, 0, sizeof(*r));
	r->seq = ++nrec;
	r->time_us = t;
	r->kind = EVREC_BLOCK;
	r->method = method;
	r->serial = serial;
	snprintf(r->order, sizeof(r->order), "%s", order);
	snprintf(r->service, sizeof(r->service), "%s", service);
	snprintf(r->subscriber, sizeof(r->subscriber), "%s", sub);
}

static struct evrec *
state(int64_t t, int st, uint64_t serial, const char *reason)
{
	struct evrec *r = &recs[nrec];

	memset(r, 0, sizeof(*r));
	r->seq = ++nrec;
	r->time_us = t;
	r->kind = EVREC_STATE;
	r->state = st;
	r->serial = serial;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	return r;
}

static const struct report_gap *
gap(const struct report *rp, size_t i, int kind, int64_t from, int64_t to)
{
	cr_assert_lt(i, rp->ngaps, "only %zu gaps", rp->ngaps);
	cr_assert_eq(rp->gaps[i].kind, kind, "gap %zu is %s", i, report_gap_name(rp->gaps[i].kind));
	cr_assert_eq(rp->gaps[i].from_us, from, "gap %zu from %ld", i, (long)rp->gaps[i].from_us);
	cr_assert_eq(rp->gaps[i].to_us, to, "gap %zu to %ld", i, (long)rp->gaps[i].to_us);
	return &rp->gaps[i];
}

/* Two days of one appliance: every kind of coverage gap once. */
static void
scenario(void)
{
	struct evrec *r;

	nrec = 0;
	state(T0, EVS_START, 42, "blockd 0.1");
	block(T0 + S(1), EV_DNS, "CL-1", "Deepfake Studio", "aaaa", 42);
	block(T0 + S(2), EV_DNS, "CL-1", "Deepfake Studio", "aaaa", 42);
	block(T0 + S(3), EV_DNS, "CL-1", "Deepfake Studio", "bbbb", 42);
	block(T0 + S(4), EV_TLS, "CL-1", "Deepfake Studio", "aaaa", 42);
	block(T0 + S(5), EV_HTTP, "CL-2", "Nudify", "cccc", 42);
	state(T0 + S(100), EVS_FAILOPEN, 42, "queue overflow");
	state(T0 + S(160), EVS_FAILOPEN_CLEARED, 42, "");
	state(T0 + S(200), EVS_RELOAD_REFUSED, 44, "signature: no trusted key");
	state(T0 + S(260), EVS_RELOAD, 45, "");
	block(T0 + S(270), EV_QUIC, "CL-1", "Deepfake Studio", "aaaa", 45);
	r = state(T0 + S(280), EVS_DROPPED, 45, "12 events dropped");
	r->count = 12;
	r->after_seq = r->seq - 1;
	state(T0 + S(300), EVS_STOP, 45, "clean stop");
	state(T0 + S(400), EVS_START, 45, "");
	block(T0 + DAY_US + S(1), EV_DNS, "CL-1", "Deepfake Studio", "dddd", 45);
	block(T0 + DAY_US + S(2), EV_IP, "CL-1", "Deepfake Studio", "dddd", 45);
	state(T0 + DAY_US + S(10), EVS_LIST_EXPIRED, 45, "expired");
	state(T0 + DAY_US + S(70), EVS_RELOAD, 46, "");
	block(T0 + DAY_US + S(80), EV_DNS, "CL-1", "Deepfake Studio", "eeee", 46);
	/* A crash: nothing more until a gap and a start, 500 s later. */
	r = state(T0 + DAY_US + S(580), EVS_GAP, 46, "no stop");
	r->last_seq = r->seq - 1;
	r->last_time_us = T0 + DAY_US + S(80);
	state(T0 + DAY_US + S(581), EVS_START, 46, "");
	state(T0 + DAY_US + S(600), EVS_STOP, 46, "");
}

Test(report, totals_groups_and_subscribers)
{
	struct report rp;
	const struct report_group *g;
	uint64_t sum = 0;
	size_t i;

	scenario();
	cr_assert_eq(report_build(recs, nrec, T0 - S(3600), T0 + 2 * DAY_US, &rp), 0);
	cr_assert_eq(rp.events, 9);
	cr_assert_eq(rp.total[EV_DNS], 5);
	cr_assert_eq(rp.total[EV_TLS], 1);
	cr_assert_eq(rp.total[EV_QUIC], 1);
	cr_assert_eq(rp.total[EV_HTTP], 1);
	cr_assert_eq(rp.total[EV_IP], 1);
	cr_assert_eq(rp.ngroups, 3);
	for (i = 0; i < rp.ngroups; i++)
		sum += rp.groups[i].total;
	cr_assert_eq(sum, rp.events);

	g = &rp.groups[0]; /* day 1, CL-1 */
	cr_assert_str_eq(g->order, "CL-1");
	cr_assert_eq(g->count[EV_DNS], 3);
	cr_assert_eq(g->count[EV_TLS], 1);
	cr_assert_eq(g->count[EV_QUIC], 1);
	cr_assert_eq(g->total, 5);
	cr_assert_eq(g->subscribers, 2);
	cr_assert_eq(g->nserials, 2);
	cr_assert_eq(g->serials[0], 42);
	cr_assert_eq(g->serials[1], 45);
	g = &rp.groups[1]; /* day 1, CL-2 */
	cr_assert_str_eq(g->order, "CL-2");
	cr_assert_eq(g->total, 1);
	cr_assert_eq(g->subscribers, 1);
	g = &rp.groups[2]; /* day 2, CL-1 */
	cr_assert_eq(g->day, evrec_day(T0) + 1);
	cr_assert_eq(g->total, 3);
	cr_assert_eq(g->subscribers, 2);
	cr_assert_eq(g->nserials, 2);
	report_free(&rp);
}

Test(report, coverage_gaps)
{
	struct report rp;
	const struct report_gap *g;

	scenario();
	cr_assert_eq(report_build(recs, nrec, T0 - S(3600), T0 + 2 * DAY_US, &rp), 0);
	cr_assert_eq(rp.ngaps, 8, "got %zu", rp.ngaps);
	gap(&rp, 0, GAP_NO_LOG, T0 - S(3600), T0);
	g = gap(&rp, 1, GAP_FAILOPEN, T0 + S(100), T0 + S(160));
	cr_assert_str_eq(g->reason, "queue overflow");
	g = gap(&rp, 2, GAP_REFUSED, T0 + S(200), T0 + S(260));
	cr_assert_eq(g->serial, 44);
	g = gap(&rp, 3, GAP_DROPPED, T0 + S(270), T0 + S(280));
	cr_assert_eq(g->count, 12);
	gap(&rp, 4, GAP_DOWN, T0 + S(300), T0 + S(400));
	gap(&rp, 5, GAP_EXPIRED, T0 + DAY_US + S(10), T0 + DAY_US + S(70));
	g = gap(&rp, 6, GAP_DOWN, T0 + DAY_US + S(80), T0 + DAY_US + S(581));
	cr_assert_eq(g->open_end, 0);
	g = gap(&rp, 7, GAP_DOWN, T0 + DAY_US + S(600), T0 + 2 * DAY_US);
	cr_assert_eq(g->open_end, 1);
	report_free(&rp);
}

Test(report, period_clips_counts_and_gaps)
{
	struct report rp;

	scenario();
	/* From inside the fail-open period to inside the stop. */
	cr_assert_eq(report_build(recs, nrec, T0 + S(130), T0 + S(350), &rp), 0);
	cr_assert_eq(rp.events, 1);
	cr_assert_eq(rp.ngaps, 4);
	gap(&rp, 0, GAP_FAILOPEN, T0 + S(130), T0 + S(160));
	gap(&rp, 1, GAP_REFUSED, T0 + S(200), T0 + S(260));
	gap(&rp, 2, GAP_DROPPED, T0 + S(270), T0 + S(280));
	gap(&rp, 3, GAP_DOWN, T0 + S(300), T0 + S(350));
	report_free(&rp);
}

Test(report, no_records_is_one_gap)
{
	struct report rp;

	cr_assert_eq(report_build(recs, 0, T0, T0 + DAY_US, &rp), 0);
	cr_assert_eq(rp.events, 0);
	gap(&rp, 0, GAP_NO_LOG, T0, T0 + DAY_US);
	report_free(&rp);
}

static char *
render(const char *path, int format, int64_t from, int64_t to, int *rc)
{
	const char *paths[1] = {path};
	struct report_opts o = {
	    .paths = paths, .npaths = 1, .from_us = from, .to_us = to, .format = format};
	char *buf;
	size_t len;

	*rc = report_render(&o, &buf, &len, stderr);
	cr_assert_not_null(buf);
	cr_assert_eq(strlen(buf), len);
	return buf;
}

Test(report, from_a_written_log_csv_and_json)
{
	char *dir = tu_tmpdir(), path[4200], *out;
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;
	int rc, i;

	tu_opts(&o, dir, path, sizeof(path));
	fake_now_us = T0;
	cr_assert_not_null(l = evlog_open(&o));
	for (i = 0; i < 7; i++) {
		tu_event(&ev, i < 4 ? EV_DNS : EV_HTTP, i % 2 ? "192.0.2.7" : "192.0.2.8", T0 + i);
		snprintf(ev.service, sizeof(ev.service), "Deepfake, \"Studio\"");
		evlog_append(l, &ev);
	}
	evlog_pump(l);
	fake_now_us = T0 + S(10);
	evlog_state(l, EVS_FAILOPEN, 0, "netfilter queue gone");
	evlog_pump(l);
	fake_now_us = T0 + S(70);
	evlog_state(l, EVS_FAILOPEN_CLEARED, 0, NULL);
	evlog_pump(l);
	fake_now_us = T0 + S(100);
	evlog_close(l);
	fake_now_us = T0;

	out = render(path, REPORT_CSV, T0, T0 + DAY_US, &rc);
	cr_assert_eq(rc, REPORT_OK);
	cr_assert(strstr(out,
		      "day,order,service,dns,tls,quic,http,ip,total,subscribers,serials\r\n"
		      "2026-11-21,CL-2026-000123,\"Deepfake, \"\"Studio\"\"\",4,0,0,3,0,7,2,"
		      "42\r\n"
		      "total,,,4,0,0,3,0,7,,\r\n") != NULL,
	    "%s", out);
	cr_assert(strstr(out,
		      "failopen,2026-11-21T10:00:10.000000Z,2026-11-21T10:01:10.000000Z,"
		      "60.000000,no,0,42,netfilter queue gone\r\n") != NULL,
	    "%s", out);
	cr_assert(strstr(out,
		      "down,2026-11-21T10:01:40.000000Z,2026-11-22T10:00:00.000000Z,"
		      "86300.000000,yes,0,42,clean stop\r\n") != NULL,
	    "%s", out);
	free(out);

	out = render(path, REPORT_JSON, T0, T0 + DAY_US, &rc);
	cr_assert_eq(rc, REPORT_OK);
	cr_assert(strstr(out,
		      "\"appliance\":\"isp-a-01\",\"records\":11,\"events\":7,"
		      "\"totals\":{\"dns\":4,\"tls\":0,\"quic\":0,\"http\":3,\"ip\":0}") != NULL,
	    "%s", out);
	cr_assert(strstr(out, "\"service\":\"Deepfake, \\\"Studio\\\"\"") != NULL, "%s", out);
	cr_assert(strstr(out, "\"subscribers\":2,\"serials\":[42]") != NULL, "%s", out);
	free(out);

	/* A line that is not a record is left out and said. */
	{
		FILE *f = fopen(path, "a");
		fputs("not json\n", f);
		fclose(f);
	}
	out = render(path, REPORT_CSV, T0, T0 + DAY_US, &rc);
	cr_assert_eq(rc, REPORT_PARTIAL);
	free(out);
	tu_rmdir(dir);
}

/* An unjudged decision: a block record with an unjudged action and a reason. */
static void
unjudged(int64_t t, int method, int action, const char *reason)
{
	block(t, method, "", "", "sub", 7);
	recs[nrec - 1].action = action;
	snprintf(recs[nrec - 1].reason, sizeof(recs[nrec - 1].reason), "%s", reason);
}

/* Unjudged decisions are counted per day, method and reason, apart from enforcement; those for
 * want of a buffer are coverage gaps, events less than a minute apart making one period. */
Test(report, unjudged_and_exhausted)
{
	struct report rp;
	int64_t t0 = S(86400 * 20000);

	nrec = 0;
	state(t0, EVS_START, 7, "");
	block(t0 + S(1), EV_TLS, "O-1", "Svc", "a", 7);
	unjudged(t0 + S(2), EV_TLS, EV_UNJUDGED_PASS, "queue_end");
	unjudged(t0 + S(3), EV_TLS, EV_UNJUDGED_BLOCK, "queue_end");
	unjudged(t0 + S(10), EV_HTTP, EV_UNJUDGED_PASS, "no_buffer");
	unjudged(t0 + S(50), EV_HTTP, EV_UNJUDGED_PASS, "no_buffer");
	unjudged(t0 + S(200), EV_TLS, EV_UNJUDGED_PASS, "no_buffer");
	cr_assert_eq(report_build(recs, nrec, t0, t0 + S(3600), &rp), 0);
	cr_assert_eq(rp.events, 1, "unjudged decisions are not enforcement");
	cr_assert_eq(rp.total[EV_TLS], 1);
	cr_assert_eq(rp.nunjudged, 3);
	cr_assert_eq(rp.unjudged[0].method, EV_TLS);
	cr_assert_str_eq(rp.unjudged[0].reason, "no_buffer");
	cr_assert_eq(rp.unjudged[0].passed, 1);
	cr_assert_str_eq(rp.unjudged[1].reason, "queue_end");
	cr_assert_eq(rp.unjudged[1].passed, 1);
	cr_assert_eq(rp.unjudged[1].blocked, 1);
	cr_assert_eq(rp.unjudged[2].method, EV_HTTP);
	cr_assert_eq(rp.unjudged[2].passed, 2);
	cr_assert_eq(rp.ngaps, 2);
	cr_assert_eq(gap(&rp, 0, GAP_EXHAUSTED, t0 + S(10), t0 + S(50) + 1)->count, 2);
	cr_assert_eq(gap(&rp, 1, GAP_EXHAUSTED, t0 + S(200), t0 + S(200) + 1)->count, 1);
	report_free(&rp);
}

/* Observe events are counted apart from enforcement; held and observed records list the staged entries. */
Test(report, staged_entries)
{
	struct report rp;
	int64_t t0 = S(86400 * 20000);
	char *buf = NULL;
	size_t len = 0;

	nrec = 0;
	state(t0, EVS_START, 7, "");
	block(t0 + S(1), EV_TLS, "O-1", "Svc", "a", 7);
	block(t0 + S(2), EV_TLS, "O-1", "Svc", "a", 7);
	recs[nrec - 1].action = EV_OBSERVE;
	state(t0 + S(3), EVS_HELD, 7, "ip 192.0.2.1/32 of order O-1 (Svc): shop.example (4)");
	state(t0 + S(4), EVS_OBSERVED, 7, "ip 192.0.2.2/32 of order O-1 (Svc): enforced");
	cr_assert_eq(report_build(recs, nrec, t0, t0 + S(3600), &rp), 0);
	cr_assert_eq(rp.events, 1, "observe events are not enforcement");
	cr_assert_eq(rp.observed, 1);
	cr_assert_eq(rp.nstaged, 2);
	cr_assert(rp.staged[0].held);
	cr_assert_not(rp.staged[1].held);
	cr_assert_str_eq(
	    rp.staged[0].reason, "ip 192.0.2.1/32 of order O-1 (Svc): shop.example (4)");
	FILE *f = open_memstream(&buf, &len);
	report_write(&rp, REPORT_CSV, f);
	fclose(f);
	cr_assert_not_null(strstr(buf, "\r\nstaged,time,serial,reason\r\nheld,"));
	cr_assert_not_null(strstr(buf, "observed,,,1 flows"));
	free(buf);
	report_free(&rp);
}
