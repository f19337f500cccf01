/* The log format is an interface: fixed input gives byte-identical records and reports (tests/data/evlog). */
#include "evlog_util.h"
#include "evlog/logverify.h"
#include "evlog/report.h"

#define DATA "../data/evlog/"

static const char key[] = "blockd-pseudonym-v1 2026-11-21 "
			  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";

/* EVLOG_REGEN=1 rewrites the expected files instead of comparing with them. */
static void
expect_file(const char *golden, const char *buf, size_t len)
{
	char *want;
	size_t wlen;

	if (getenv("EVLOG_REGEN") != NULL) {
		tu_write(golden, buf, len);
		return;
	}
	want = tu_slurp(golden, &wlen);
	cr_assert_eq(wlen, len, "%s: %zu bytes, made %zu", golden, wlen, len);
	cr_assert_eq(memcmp(want, buf, len), 0, "%s differs:\n%.*s", golden, (int)len, buf);
	free(want);
}

static void
at(struct evlog *l, int64_t t)
{
	evlog_pump(l);
	fake_now_us = t;
}

Test(evlog_golden, records_and_reports_are_stable)
{
	char *dir = tu_tmpdir(), path[4200], kp[4300], *buf, *rep;
	const char *paths[1] = {path};
	struct report_opts ro = {.paths = paths,
	    .npaths = 1,
	    .from_us = T0 - S_US(3600),
	    .to_us = T0 + DAY_US,
	    .format = REPORT_CSV};
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;
	size_t len, rlen;
	int rc;

	snprintf(kp, sizeof(kp), "%s/pseudonym.key", dir);
	tu_write(kp, key, strlen(key));
	chmod(kp, 0600);
	tu_opts(&o, dir, path, sizeof(path));
	o.start_reason = "blockd (test)";
	fake_now_us = T0;
	cr_assert_not_null(l = evlog_open(&o));
	at(l, T0 + S_US(1));
	tu_event(&ev, EV_DNS, "192.0.2.10", T0 + S_US(1));
	ev.action = EV_NXDOMAIN;
	ev.proto = 17;
	ev.dport = 53;
	evlog_append(l, &ev);
	tu_event(&ev, EV_TLS, "192.0.2.11", T0 + S_US(2));
	ev.family = 6;
	inet_pton(AF_INET6, "2001:db8::11", ev.client);
	evlog_append(l, &ev);
	at(l, T0 + S_US(10));
	evlog_state(l, EVS_RELOAD, 43, "list serial 43 accepted");
	at(l, T0 + S_US(20));
	evlog_state(l, EVS_FAILOPEN, 0, "netfilter queue unavailable");
	at(l, T0 + S_US(50));
	evlog_state(l, EVS_FAILOPEN_CLEARED, 0, NULL);
	at(l, T0 + S_US(60));
	tu_event(&ev, EV_HTTP, "192.0.2.10", T0 + S_US(61));
	ev.serial = 43;
	ev.action = EV_NOTICE;
	ev.entry_type = RULE_URL;
	snprintf(ev.value, sizeof(ev.value), "deepfake.example/gallery");
	snprintf(ev.indicator, sizeof(ev.indicator), "deepfake.example/gallery/1");
	evlog_append(l, &ev);
	tu_event(&ev, EV_QUIC, "192.0.2.12", T0 + S_US(62));
	ev.serial = 43;
	ev.proto = 17;
	evlog_append(l, &ev);
	tu_event(&ev, EV_IP, "192.0.2.12", T0 + S_US(63));
	ev.serial = 43;
	ev.action = EV_REJECT;
	ev.entry_type = RULE_IPV4;
	snprintf(ev.value, sizeof(ev.value), "203.0.113.0/24");
	snprintf(ev.indicator, sizeof(ev.indicator), "203.0.113.9");
	evlog_append(l, &ev);
	/* Flows decided without a name read: no entry, no order, a reason. */
	tu_event(&ev, EV_TLS, "192.0.2.13", T0 + S_US(64));
	ev.serial = 43;
	ev.action = EV_UNJUDGED_PASS;
	ev.entry_type = 0;
	ev.entry_line = 0;
	ev.value[0] = ev.indicator[0] = ev.order_ref[0] = ev.service[0] = '\0';
	event_set_reason(&ev, "queue_end");
	evlog_append(l, &ev);
	ev.time_us = T0 + S_US(65);
	ev.method = EV_HTTP;
	ev.action = EV_UNJUDGED_BLOCK;
	event_set_reason(&ev, "no_buffer");
	evlog_append(l, &ev);
	at(l, T0 + S_US(100));
	evlog_state(l, EVS_RELOAD_REFUSED, 44, "list serial 44: signature by an untrusted key");
	at(l, T0 + S_US(200));
	evlog_state(l, EVS_LIST_EXPIRED, 43, "list serial 43 expired");
	at(l, T0 + S_US(300));
	evlog_state(l, EVS_RELOAD, 45, "list serial 45 accepted");
	at(l, T0 + S_US(400));
	evlog_close(l);
	fake_now_us = T0;

	buf = tu_slurp(path, &len);
	expect_file(DATA "sample.jsonl", buf, len);
	{
		const char *p[1] = {DATA "sample.jsonl"};
		FILE *devnull = fopen("/dev/null", "w");
		cr_assert_eq(logverify_files(p, 1, devnull), LOGVERIFY_OK);
		fclose(devnull);
	}
	rc = report_render(&ro, &rep, &rlen, stderr);
	cr_assert_eq(rc, REPORT_OK);
	expect_file(DATA "sample.csv", rep, rlen);
	free(rep);
	ro.format = REPORT_JSON;
	rc = report_render(&ro, &rep, &rlen, stderr);
	cr_assert_eq(rc, REPORT_OK);
	expect_file(DATA "sample.json", rep, rlen);
	free(rep);
	free(buf);
	tu_rmdir(dir);
}
