/* Unit tests for evlog.c: records land whole and right, seq rises, losses are recorded, pseudonyms. */
#include <pthread.h>

#include "evlog_util.h"
#include "evlog/evrec.h"
#include "base/json.h"
#include "evlog/logverify.h"

struct parsed {
	struct jfield f[64];
	char sb[32768];
	int n;
};

static void
parse_line(const char *line, struct parsed *p)
{
	const char *err = NULL;

	p->n = json_parse_flat(line, strlen(line), p->f, 64, p->sb, sizeof(p->sb), &err);
	cr_assert_geq(p->n, 0, "not JSON (%s): %s", err, line);
}

static const char *
sget(struct parsed *p, const char *key)
{
	const struct jfield *f = json_get(p->f, p->n, key);

	cr_assert_not_null(f, "no %s", key);
	return f->val;
}

static int
has(struct parsed *p, const char *key)
{
	return json_get(p->f, p->n, key) != NULL;
}

Test(evlog_write, one_record_per_method_every_field)
{
	static const int methods[] = {EV_DNS, EV_TLS, EV_QUIC, EV_HTTP, EV_IP};
	static const char *const names[] = {"dns", "tls", "quic", "http", "ip"};
	char *dir = tu_tmpdir(), path[4200], *buf, **lines, t[32];
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;
	struct parsed *p = malloc(sizeof(*p));
	size_t len, n, i;

	tu_opts(&o, dir, path, sizeof(path));
	cr_assert_not_null(l = evlog_open(&o));
	for (i = 0; i < 5; i++) {
		tu_event(&ev, methods[i], "192.0.2.7", T0 + (int64_t)i * 1000001);
		if (methods[i] == EV_IP) {
			ev.family = 6;
			ev.proto = 17;
			ev.dport = 53;
			ev.entry_type = RULE_IPV6;
			inet_pton(AF_INET6, "2001:db8::7", ev.client);
			snprintf(ev.indicator, sizeof(ev.indicator), "2001:db8:1::1");
		}
		cr_assert_eq(evlog_append(l, &ev), 0);
	}
	cr_assert_eq(evlog_pump(l), 6); /* start + 5 */
	evlog_close(l);

	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	cr_assert_eq(n, 7, "start, 5 events, stop: got %zu", n);
	parse_line(lines[0], p);
	cr_assert_str_eq(sget(p, "record"), "state");
	cr_assert_str_eq(sget(p, "state"), "start");
	cr_assert_str_eq(sget(p, "seq"), "1");
	cr_assert_str_eq(
	    sget(p, "prev"), "0000000000000000000000000000000000000000000000000000000000000000");
	for (i = 0; i < 5; i++) {
		parse_line(lines[i + 1], p);
		cr_assert_eq(strtoull(sget(p, "seq"), NULL, 10), i + 2);
		evrec_time_fmt(T0 + (int64_t)i * 1000001, t);
		cr_assert_str_eq(sget(p, "time"), t);
		cr_assert_str_eq(sget(p, "record"), "block");
		cr_assert_str_eq(sget(p, "method"), names[i]);
		cr_assert_str_eq(sget(p, "entry.value"), "deepfake.example");
		cr_assert_str_eq(sget(p, "entry.line"), "17");
		cr_assert_str_eq(sget(p, "order"), "CL-2026-000123");
		cr_assert_str_eq(sget(p, "service"), "Deepfake Studio");
		cr_assert_str_eq(sget(p, "action"), "reset");
		cr_assert_str_eq(sget(p, "serial"), "42");
		cr_assert_str_eq(sget(p, "appliance"), "isp-a-01");
		cr_assert_eq(strlen(sget(p, "subscriber")), 32);
		cr_assert(!has(p, "client"), "no raw address unless configured");
		if (methods[i] == EV_IP) {
			cr_assert_str_eq(sget(p, "indicator"), "2001:db8:1::1");
			cr_assert_str_eq(sget(p, "entry.type"), "ipv6");
			cr_assert_str_eq(sget(p, "transport.family"), "v6");
			cr_assert_str_eq(sget(p, "transport.proto"), "udp");
			cr_assert_str_eq(sget(p, "transport.dport"), "53");
		} else {
			cr_assert_str_eq(sget(p, "indicator"), "www.deepfake.example");
			cr_assert_str_eq(sget(p, "entry.type"), "suffix");
			cr_assert_str_eq(sget(p, "transport.family"), "v4");
			cr_assert_str_eq(sget(p, "transport.proto"), "tcp");
			cr_assert_str_eq(sget(p, "transport.dport"), "443");
		}
	}
	parse_line(lines[6], p);
	cr_assert_str_eq(sget(p, "state"), "stop");
	/* Time is RFC 3339 UTC with microseconds. */
	cr_assert_str_eq(t, "2026-11-21T10:00:04.000004Z");
	free(lines);
	free(buf);
	free(p);
	tu_rmdir(dir);
}

Test(evlog_write, hostile_indicator_stays_one_valid_line)
{
	char *dir = tu_tmpdir(), path[4200], *buf, **lines;
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;
	struct parsed *p = malloc(sizeof(*p));
	size_t len;

	tu_opts(&o, dir, path, sizeof(path));
	cr_assert_not_null(l = evlog_open(&o));
	tu_event(&ev, EV_HTTP, "192.0.2.7", T0);
	/* Quotes, newline, control and invalid UTF-8 from a packet; no NUL in the buffer. */
	memset(ev.indicator, 'A', sizeof(ev.indicator));
	memcpy(ev.indicator, "x\"\n\\\x01\xff\xc3\xa9", 8);
	cr_assert_eq(evlog_append(l, &ev), 0);
	evlog_pump(l);
	evlog_close(l);
	buf = tu_slurp(path, &len);
	cr_assert_eq(tu_lines(buf, &lines), 3);
	parse_line(lines[1], p);
	cr_assert_eq(strncmp(sget(p, "indicator"),
			 "x\"\n\\\x01\xef\xbf\xbd\xc3\xa9"
			 "AAA",
			 13),
	    0);
	cr_assert_eq(strlen(sget(p, "indicator")), 10 + EV_INDICATOR_MAX - 8);
	free(lines);
	free(buf);
	free(p);
	tu_rmdir(dir);
}

Test(evlog_write, overflow_is_a_drop_record_with_the_count)
{
	char *dir = tu_tmpdir(), path[4200], *buf, **lines;
	struct evlog_opts o;
	struct evlog_stats st;
	struct evlog *l;
	struct event ev;
	struct parsed *p = malloc(sizeof(*p));
	size_t len, n, i, ok = 0;

	tu_opts(&o, dir, path, sizeof(path));
	o.queue = 4;
	cr_assert_not_null(l = evlog_open(&o));
	tu_event(&ev, EV_DNS, "192.0.2.7", T0);
	for (i = 0; i < 10; i++)
		ok += evlog_append(l, &ev) == 0;
	cr_assert_eq(ok, 4);
	evlog_stats(l, &st);
	cr_assert_eq(st.dropped, 6);
	cr_assert_eq(st.queued, 4);
	evlog_pump(l);
	/* A second burst after the writer caught up: two more lost. */
	for (i = 0; i < 6; i++)
		evlog_append(l, &ev);
	evlog_pump(l);
	evlog_close(l);

	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	/* start, 4 events, dropped 6, 4 events, dropped 2, stop */
	cr_assert_eq(n, 12, "got %zu lines", n);
	parse_line(lines[5], p);
	cr_assert_str_eq(sget(p, "state"), "dropped");
	cr_assert_str_eq(sget(p, "count"), "6");
	cr_assert_str_eq(sget(p, "after_seq"), "5");
	cr_assert_str_eq(sget(p, "seq"), "6");
	parse_line(lines[10], p);
	cr_assert_str_eq(sget(p, "state"), "dropped");
	cr_assert_str_eq(sget(p, "count"), "2");
	cr_assert_str_eq(sget(p, "after_seq"), "10");
	/* No seq is skipped: losses never consume sequence numbers. */
	for (i = 0; i < n; i++) {
		parse_line(lines[i], p);
		cr_assert_eq(strtoull(sget(p, "seq"), NULL, 10), i + 1);
	}
	free(lines);
	free(buf);
	free(p);
	tu_rmdir(dir);
}

Test(evlog_write, pseudonyms_daily_and_raw_only_when_configured)
{
	char *dir = tu_tmpdir(), path[4200], *buf, **lines, s[6][64];
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;
	struct parsed *p = malloc(sizeof(*p));
	struct stat st;
	char kp[4300];
	size_t len, i;

	tu_opts(&o, dir, path, sizeof(path));
	cr_assert_not_null(l = evlog_open(&o));
	snprintf(kp, sizeof(kp), "%s/pseudonym.key", dir);
	cr_assert_eq(stat(kp, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	tu_event(&ev, EV_DNS, "192.0.2.7", T0);
	evlog_append(l, &ev); /* day 1, subscriber A */
	ev.time_us += 3600LL * 1000000;
	evlog_append(l, &ev); /* day 1 again, A */
	tu_event(&ev, EV_DNS, "192.0.2.8", T0);
	evlog_append(l, &ev); /* day 1, B */
	tu_event(&ev, EV_DNS, "192.0.2.7", T0 + DAY_US);
	evlog_append(l, &ev); /* day 2, A */
	ev.time_us += 1000;
	evlog_append(l, &ev); /* day 2, A */
	evlog_pump(l);
	evlog_close(l);
	buf = tu_slurp(path, &len);
	cr_assert_eq(tu_lines(buf, &lines), 7);
	for (i = 0; i < 5; i++) {
		parse_line(lines[i + 1], p);
		snprintf(s[i], sizeof(s[i]), "%s", sget(p, "subscriber"));
		cr_assert(
		    strstr(lines[i + 1], "192.0.2") == NULL, "no address in %s", lines[i + 1]);
	}
	cr_assert_str_eq(s[0], s[1], "same subscriber, same day");
	cr_assert_str_neq(s[0], s[2], "different subscribers");
	cr_assert_str_neq(s[0], s[3], "same subscriber, next day: not linkable");
	cr_assert_str_eq(s[3], s[4]);
	free(lines);
	free(buf);

	/* The key advanced with the day (a one-way ratchet): the file no longer holds day 1's. */
	buf = tu_slurp(kp, &len);
	cr_assert(strstr(buf, "2026-11-22") != NULL, "key file: %s", buf);
	free(buf);

	/* Raw addresses only when configured. */
	unlink(path);
	o.raw_addresses = 1;
	cr_assert_not_null(l = evlog_open(&o));
	tu_event(&ev, EV_DNS, "192.0.2.7", T0);
	evlog_append(l, &ev);
	evlog_pump(l);
	evlog_close(l);
	buf = tu_slurp(path, &len);
	cr_assert_eq(tu_lines(buf, &lines), 3);
	parse_line(lines[1], p);
	cr_assert_str_eq(sget(p, "client"), "192.0.2.7");
	cr_assert(!has(p, "subscriber"));
	free(lines);
	free(buf);
	free(p);
	tu_rmdir(dir);
}

struct producer {
	struct evlog *l;
	int n, id;
	int accepted;
};

static void *
produce(void *arg)
{
	struct producer *pr = arg;
	struct event ev;
	int i;

	tu_event(&ev, EV_TLS, "192.0.2.9", T0);
	ev.client[3] = (uint8_t)pr->id;
	for (i = 0; i < pr->n; i++) {
		ev.entry_line = (uint32_t)i;
		if (evlog_append(pr->l, &ev) == 0)
			pr->accepted++;
	}
	return NULL;
}

Test(evlog_write, threaded_producers_seq_strictly_increasing_nothing_silent)
{
	char *dir = tu_tmpdir(), path[4200], *buf, **lines;
	struct evlog_opts o;
	struct evlog_stats st;
	struct evlog *l;
	struct producer pr[4];
	pthread_t th[4];
	struct evrec *r = malloc(sizeof(*r));
	const char *err;
	uint64_t prev = 0, events = 0, dropped = 0, accepted = 0;
	size_t len, n, i;

	tu_opts(&o, dir, path, sizeof(path));
	o.manual = 0;
	o.now_us = NULL;
	o.queue = 256;
	o.fsync_interval_ms = 50;
	cr_assert_not_null(l = evlog_open(&o));
	for (i = 0; i < 4; i++) {
		pr[i] = (struct producer){.l = l, .n = 20000, .id = (int)i};
		pthread_create(&th[i], NULL, produce, &pr[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		accepted += (uint64_t)pr[i].accepted;
	}
	evlog_state(l, EVS_RELOAD, 43, "list accepted");
	evlog_flush(l);
	evlog_stats(l, &st);
	cr_assert_eq(st.queued, accepted);
	cr_assert_eq(st.queued + st.dropped, 80000);
	evlog_close(l);

	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	for (i = 0; i < n; i++) {
		cr_assert_eq(evrec_parse(lines[i], strlen(lines[i]), r, &err), 0, "%s", err);
		cr_assert_eq(r->seq, prev + 1, "seq strictly increasing by one");
		prev = r->seq;
		if (r->kind == EVREC_BLOCK)
			events++;
		else if (r->state == EVS_DROPPED)
			dropped += r->count;
	}
	cr_assert_eq(events, accepted);
	cr_assert_eq(dropped, 80000 - accepted, "every loss recorded: %lu", (unsigned long)dropped);
	free(lines);
	free(buf);
	free(r);
	tu_rmdir(dir);
}

Test(evlog_write, key_moves_on_at_midnight_without_events)
{
	char *dir = tu_tmpdir(), path[4200], kp[4300], *before, *after;
	struct evlog_opts o;
	struct evlog *l;
	size_t len;

	tu_opts(&o, dir, path, sizeof(path));
	fake_now_us = T0;
	cr_assert_not_null(l = evlog_open(&o));
	evlog_pump(l);
	snprintf(kp, sizeof(kp), "%s/pseudonym.key", dir);
	before = tu_slurp(kp, &len);
	fake_now_us = T0 + DAY_US;
	evlog_pump(l);
	after = tu_slurp(kp, &len);
	cr_assert(strstr(before, " 2026-11-21 ") != NULL, "%s", before);
	cr_assert(strstr(after, " 2026-11-22 ") != NULL, "%s", after);
	cr_assert_str_neq(before + 31, after + 31, "the chain key was overwritten");
	evlog_close(l);
	fake_now_us = T0;
	free(before);
	free(after);
	tu_rmdir(dir);
}

/* An event filled in its slot: written as an appended one, the writer waits for its commit, a full ring counts. */
Test(evlog_write, reserve_commit_in_place)
{
	char *dir = tu_tmpdir(), path[4200], *buf, **lines;
	struct evlog_opts o;
	struct evlog_stats st;
	struct evlog_ticket t, tk[5];
	struct evlog *l;
	struct event ev, *slot;
	struct parsed *p = malloc(sizeof(*p));
	size_t len, n, i, ok = 0;

	tu_opts(&o, dir, path, sizeof(path));
	o.queue = 4;
	cr_assert_not_null(l = evlog_open(&o));
	cr_assert_not_null(slot = evlog_reserve(l, &t));
	tu_event(slot, EV_TLS, "192.0.2.8", T0);
	tu_event(&ev, EV_DNS, "192.0.2.7", T0);
	cr_assert_eq(evlog_append(l, &ev), 0);
	evlog_pump(l); /* the first slot is not committed: nothing after it is written */
	evlog_commit(l, &t);
	evlog_pump(l);
	for (i = 0; i < 5; i++)
		if ((slot = evlog_reserve(l, &tk[i])) != NULL) {
			tu_event(slot, EV_DNS, "192.0.2.9", T0);
			ok++;
		}
	cr_assert_eq(ok, 4);
	evlog_stats(l, &st);
	cr_assert_eq(st.dropped, 1);
	for (i = 0; i < 4; i++)
		evlog_commit(l, &tk[i]);
	evlog_pump(l);
	evlog_close(l);

	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	/* start, the reserved one, the appended one, 4 events, dropped 1, stop */
	cr_assert_eq(n, 9, "got %zu lines", n);
	parse_line(lines[1], p);
	cr_assert_str_eq(sget(p, "method"), "tls");
	parse_line(lines[2], p);
	cr_assert_str_eq(sget(p, "method"), "dns");
	parse_line(lines[7], p);
	cr_assert_str_eq(sget(p, "state"), "dropped");
	cr_assert_str_eq(sget(p, "count"), "1");
	free(lines);
	free(buf);
	free(p);
	tu_rmdir(dir);
}
