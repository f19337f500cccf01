/* Unit tests for fleet.c: appliances merged, a shared pseudonym counted once, gaps intersected, chains checked. */
#include "evlog_util.h"
#include "compliance.h"
#include "evlog/fleet.h"
#include "evlog/logverify.h"
#include "evlog/report.h"

#define S(x) ((int64_t)(x)*1000000)

static struct evrec recs[32];
static size_t nrec;

static void
block(int64_t t, int method, const char *order, const char *sub)
{
	struct evrec *r = &recs[nrec];

	memset(r, 0, sizeof(*r));
	r->seq = ++nrec;
	r->time_us = t;
	r->kind = EVREC_BLOCK;
	r->method = method;
	r->serial = 42;
	snprintf(r->order, sizeof(r->order), "%s", order);
	snprintf(r->service, sizeof(r->service), "Service %s", order);
	snprintf(r->subscriber, sizeof(r->subscriber), "%s", sub);
}

static struct evrec *
state(int64_t t, int st, const char *reason)
{
	struct evrec *r = &recs[nrec];

	memset(r, 0, sizeof(*r));
	r->seq = ++nrec;
	r->time_us = t;
	r->kind = EVREC_STATE;
	r->state = st;
	r->serial = 42;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	return r;
}

/* recs[0..nrec) as the next appliance of fb, named name in every record. */
static void
feed(struct fleet_builder *fb, const char *label, const char *name)
{
	size_t i;

	cr_assert_eq(fleet_next(fb, label), 0);
	for (i = 0; i < nrec; i++) {
		snprintf(recs[i].appliance, sizeof(recs[i].appliance), "%s", name);
		cr_assert_eq(fleet_add(fb, &recs[i]), 0);
	}
	nrec = 0;
}

static struct report_gap
mkgap(int kind, int64_t from, int64_t to, int open)
{
	struct report_gap g = {.kind = kind, .from_us = from, .to_us = to, .open_end = open};

	g.reason = (char *)"why";
	return g;
}

/*
 * a: down 10..20, failopen 50..60, dropped at 70, down 90..end (open).
 * b: down 15..30, withdrawn 60..70, no_log 80..end (open; a later start).
 * The fleet enforced nothing 15..20 and 90..end; 50..60 and 60..70 only touch.
 */
Test(fleet, gaps_intersected_across_appliances)
{
	struct report_gap ga[] = {mkgap(GAP_DOWN, T0 + S(10), T0 + S(20), 0),
	    mkgap(GAP_FAILOPEN, T0 + S(50), T0 + S(60), 0),
	    mkgap(GAP_DROPPED, T0 + S(65), T0 + S(70), 0),
	    mkgap(GAP_DOWN, T0 + S(90), T0 + S(100), 1)};
	struct report_gap gb[] = {mkgap(GAP_DOWN, T0 + S(15), T0 + S(30), 0),
	    mkgap(GAP_WITHDRAWN, T0 + S(60), T0 + S(70), 0),
	    mkgap(GAP_NO_LOG, T0 + S(80), T0 + S(100), 1),
	    mkgap(GAP_WITHDRAWN, T0 + S(85), T0 + S(100), 1)};
	struct report_member m[2] = {
	    {.name = "a", .gaps = ga, .ngaps = 4}, {.name = "b", .gaps = gb, .ngaps = 4}};
	struct report_gap *g;
	size_t n;

	cr_assert_eq(fleet_coverage(m, 2, &g, &n), 0);
	cr_assert_eq(n, 3, "%zu fleet gaps", n);
	cr_assert_eq(g[0].kind, GAP_FLEET);
	cr_assert_eq(g[0].from_us, T0 + S(15));
	cr_assert_eq(g[0].to_us, T0 + S(20));
	cr_assert_not(g[0].open_end);
	cr_assert_str_eq(g[0].reason, "no appliance enforced: a down; b down");
	/* A loss on one appliance is the fleet's whatever the other did, named by appliance. */
	cr_assert_eq(g[1].kind, GAP_DROPPED);
	cr_assert_str_eq(g[1].reason, "a: why");
	cr_assert_eq(g[2].kind, GAP_FLEET);
	cr_assert_eq(g[2].from_us, T0 + S(90));
	cr_assert_eq(g[2].to_us, T0 + S(100));
	cr_assert(g[2].open_end);
	cr_assert_str_eq(g[2].reason, "no appliance enforced: a down; b no_log, withdrawn");
	report_gaps_free(g, n);

	/* One appliance alone: its own stopping periods are the fleet's, joined. */
	cr_assert_eq(fleet_coverage(m + 1, 1, &g, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(g[2].from_us, T0 + S(80));
	cr_assert(g[2].open_end);
	report_gaps_free(g, n);
}

/* Two appliances' records: counts summed, one pseudonym seen by both counted once. */
Test(fleet, merge_counts_shared_pseudonyms_once)
{
	struct fleet_builder *fb = fleet_builder_new(T0, T0 + DAY_US);
	const struct report_group *g;
	struct report rp;

	cr_assert_not_null(fb);
	nrec = 0;
	state(T0 - S(100), EVS_START, "");
	block(T0 + S(1), EV_DNS, "CL-1", "shared");
	block(T0 + S(2), EV_DNS, "CL-1", "onlya");
	state(T0 + S(100), EVS_STOP, "clean stop");
	state(T0 + S(200), EVS_START, "");
	feed(fb, "/logs/a/enforcement.jsonl", "isp-a-01");
	state(T0 - S(100), EVS_START, "");
	block(T0 + S(150), EV_TLS, "CL-1", "shared");
	block(T0 + S(160), EV_TLS, "CL-1", "onlyb");
	block(T0 + S(170), EV_HTTP, "CL-2", "shared");
	feed(fb, "/logs/b/enforcement.jsonl", "isp-a-02");
	cr_assert_eq(fleet_finish(fb, &rp), 0);

	cr_assert_eq(rp.events, 5);
	cr_assert_eq(rp.total[EV_DNS], 2);
	cr_assert_eq(rp.total[EV_TLS], 2);
	cr_assert_eq(rp.ngroups, 2);
	g = &rp.groups[0];
	cr_assert_str_eq(g->order, "CL-1");
	cr_assert_eq(g->count[EV_DNS], 2);
	cr_assert_eq(g->count[EV_TLS], 2);
	cr_assert_eq(g->total, 4);
	cr_assert_eq(g->subscribers, 3, "shared, onlya, onlyb: %lu", (unsigned long)g->subscribers);
	cr_assert_eq(rp.groups[1].subscribers, 1);
	cr_assert_eq(rp.nmembers, 2);
	cr_assert_str_eq(rp.members[0].name, "isp-a-01");
	cr_assert_str_eq(rp.members[1].name, "isp-a-02");
	cr_assert_str_eq(rp.appliance, "isp-a-01, isp-a-02");
	cr_assert_eq(rp.members[0].records, 5);
	cr_assert_eq(rp.members[0].events, 2);
	cr_assert_eq(rp.members[0].first_seq, 1);
	cr_assert_eq(rp.members[0].last_seq, 5);
	cr_assert_eq(rp.members[1].events, 3);
	/* a was down 100..200 while b enforced: its own gap, not the fleet's. */
	cr_assert_eq(rp.members[0].ngaps, 1);
	cr_assert_eq(rp.members[0].gaps[0].kind, GAP_DOWN);
	cr_assert_eq(rp.members[0].gaps[0].from_us, T0 + S(100));
	cr_assert_eq(rp.members[0].gaps[0].to_us, T0 + S(200));
	cr_assert_eq(rp.members[1].ngaps, 0);
	cr_assert_eq(rp.ngaps, 0, "fleet gaps: %zu", rp.ngaps);
	report_free(&rp);
}

/* Both stopped at once: a fleet gap from the later stop to the earlier start. */
Test(fleet, both_down_is_a_fleet_gap)
{
	struct fleet_builder *fb = fleet_builder_new(T0, T0 + DAY_US);
	struct report rp;

	nrec = 0;
	state(T0 - S(100), EVS_START, "");
	state(T0 + S(100), EVS_STOP, "");
	state(T0 + S(300), EVS_START, "");
	feed(fb, "a.jsonl", "");
	state(T0 - S(100), EVS_START, "");
	state(T0 + S(200), EVS_STOP, "");
	feed(fb, "b.jsonl", "");
	cr_assert_eq(fleet_finish(fb, &rp), 0);
	/* Records that name no appliance: named by the path given. */
	cr_assert_str_eq(rp.members[0].name, "a.jsonl");
	cr_assert_eq(rp.ngaps, 1);
	cr_assert_eq(rp.gaps[0].kind, GAP_FLEET);
	cr_assert_eq(rp.gaps[0].from_us, T0 + S(200));
	cr_assert_eq(rp.gaps[0].to_us, T0 + S(300));
	cr_assert_not(rp.gaps[0].open_end);
	cr_assert_eq(rp.members[1].ngaps, 1);
	cr_assert(rp.members[1].gaps[0].open_end);
	report_free(&rp);

	/* Two appliances with one name are told apart by their paths. */
	fb = fleet_builder_new(T0, T0 + DAY_US);
	state(T0 - S(100), EVS_START, "");
	feed(fb, "x/enforcement.jsonl", "clone");
	state(T0 - S(100), EVS_START, "");
	feed(fb, "y/enforcement.jsonl", "clone");
	cr_assert_eq(fleet_finish(fb, &rp), 0);
	cr_assert_str_eq(rp.members[0].name, "clone (x/enforcement.jsonl)");
	cr_assert_str_eq(rp.members[1].name, "clone (y/enforcement.jsonl)");
	report_free(&rp);
}

static const char key[] = "blockd-pseudonym-v1 2026-11-19 "
			  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";

/* One appliance's log in dir: its pseudonym key, a start, blocks for the clients given, a stop. */
static void
write_log(const char *dir, const char *id, const char *const *clients, size_t n, char *path,
    size_t pathlen)
{
	char kp[4300];
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;
	size_t i;

	snprintf(kp, sizeof(kp), "%s/pseudonym.key", dir);
	tu_write(kp, key, strlen(key));
	chmod(kp, 0600);
	tu_opts(&o, dir, path, pathlen);
	o.appliance_id = id;
	fake_now_us = T0;
	cr_assert_not_null(l = evlog_open(&o));
	for (i = 0; i < n; i++) {
		evlog_pump(l);
		fake_now_us = T0 + S_US(1 + i);
		tu_event(&ev, EV_TLS, clients[i], T0 + S_US(1 + i));
		evlog_append(l, &ev);
	}
	evlog_pump(l);
	fake_now_us = T0 + S_US(100);
	evlog_close(l);
	fake_now_us = T0;
}

static int
render(const struct report_source *src, size_t n, int format, char **buf, char *err, size_t errlen)
{
	struct report_opts o = {.fleet = src,
	    .nfleet = n,
	    .from_us = T0 - S_US(3600),
	    .to_us = T0 + DAY_US,
	    .format = format};
	size_t len;
	FILE *e = fmemopen(err, errlen, "w");
	int rc;

	cr_assert_not_null(e);
	setvbuf(e, NULL, _IONBF, 0);
	rc = report_render(&o, buf, &len, e);
	fclose(e);
	return rc;
}

/*
 * Real logs of two appliances whose pseudonym key was copied from one day
 * and ratcheted on each: the same client is one subscriber; the report
 * reads in blockrules reports; a broken chain is refused, naming file and line.
 */
Test(fleet, logs_verified_merged_and_read_by_blockrules)
{
	static const char *const ca[] = {"192.0.2.10", "192.0.2.11"}, *const cb[] = {"192.0.2.10"};
	char *da = tu_tmpdir(), *db = tu_tmpdir(), pa[4200], pb[4200], err[2048], cerr[512];
	char *buf = NULL, *text, *line;
	const char *fa[1] = {pa}, *fb[1] = {pb};
	struct report_source src[2] = {{"a", fa, 1}, {"b", fb, 1}};
	struct comp c;
	size_t len;
	FILE *f;

	write_log(da, "isp-a-01", ca, 2, pa, sizeof(pa));
	write_log(db, "isp-a-02", cb, 1, pb, sizeof(pb));
	memset(err, 0, sizeof(err));
	cr_assert_eq(render(src, 2, REPORT_CSV, &buf, err, sizeof(err)), REPORT_OK, "%s", err);
	/* The enforcement table as one appliance's: 11 columns, subscribers 2 of 3 blocks. */
	cr_assert_not_null(strstr(buf,
			       "day,order,service,dns,tls,quic,http,ip,total,subscribers,"
			       "serials\r\n2026-11-21,CL-2026-000123,Deepfake Studio,0,3,0,0,"
			       "0,3,2,42\r\n"),
	    "%s", buf);
	cr_assert_not_null(strstr(buf,
			       "\r\nappliance,records,events,first_seq,last_seq\r\n"
			       "isp-a-01,4,2,1,4\r\nisp-a-02,3,1,1,3\r\n"),
	    "%s", buf);
	cr_assert_not_null(strstr(buf, "\r\nappliance,coverage,from,to,"), "%s", buf);
	comp_init(&c, "t");
	cr_assert_eq(comp_isp(&c, "isp-a"), 0);
	cr_assert_eq(
	    comp_add_csv(&c, 0, buf, strlen(buf), "fleet.csv", cerr, sizeof(cerr)), 0, "%s", cerr);
	cr_assert_eq(c.ncells, 1);
	cr_assert_eq(c.cells[0].blocks[PROBE_TLS], 3);
	/* Its coverage is the fleet's: blockd stopped on both from the later stop on. */
	cr_assert_eq(c.ngaps, 2, "%zu gaps", c.ngaps);
	cr_assert_str_eq(c.gaps[0].kind, "fleet");
	cr_assert_str_eq(c.gaps[1].kind, "fleet");
	comp_free(&c);
	free(buf);
	buf = NULL;

	cr_assert_eq(render(src, 2, REPORT_JSON, &buf, err, sizeof(err)), REPORT_OK, "%s", err);
	cr_assert_not_null(
	    strstr(buf, ",\n\"appliances\":[\n{\"appliance\":\"isp-a-01\""), "%s", buf);
	free(buf);
	buf = NULL;

	/* The same log given for both appliances would count it twice. */
	src[1].paths = fa;
	cr_assert_eq(render(src, 2, REPORT_CSV, &buf, err, sizeof(err)), REPORT_USAGE);
	cr_assert_null(buf);
	cr_assert_not_null(strstr(err, "give each appliance's log once"), "%s", err);
	src[1].paths = fb;

	/* b's second record edited: refused, with b's file and line; nothing written. */
	text = tu_slurp(pb, &len);
	line = strchr(text, '\n') + 1;
	line = strstr(line, "isp-a-02");
	cr_assert_not_null(line);
	line[7] = '9';
	f = fopen(pb, "w");
	fwrite(text, 1, len, f);
	fclose(f);
	free(text);
	cr_assert_eq(render(src, 2, REPORT_CSV, &buf, err, sizeof(err)), REPORT_REFUSED, "%s", err);
	cr_assert_null(buf);
	cr_assert_not_null(strstr(err, "b: "), "%s", err);
	cr_assert_not_null(strstr(err, pb), "%s", err);
	cr_assert_not_null(strstr(err, "hash chain is broken"), "%s", err);
	tu_rmdir(da);
	tu_rmdir(db);
}
