/* Unit tests for logverify.c and evlog recovery: tampering is named, torn tails are repaired. */
#include <unistd.h>

#include "evlog_util.h"
#include "evlog/evrec.h"
#include "evlog/logverify.h"

/* A log of start, n events, stop in dir; returns its path (static buffer per call site). */
static void
make_log(const char *dir, char *path, size_t pathlen, int n)
{
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;
	int i;

	tu_opts(&o, dir, path, pathlen);
	cr_assert_not_null(l = evlog_open(&o));
	for (i = 0; i < n; i++) {
		tu_event(&ev, EV_DNS, "192.0.2.7", T0 + i);
		ev.entry_line = (uint32_t)i;
		cr_assert_eq(evlog_append(l, &ev), 0);
	}
	evlog_pump(l);
	evlog_close(l);
}

/* Runs the verifier over paths; returns its status, message in msg. */
static int
verify(const char *const *paths, size_t n, const char *head, char *msg, size_t msglen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int rc;

	rc = head ? logverify_files_head(paths, n, head, out) : logverify_files(paths, n, out);
	fclose(out);
	snprintf(msg, msglen, "%s", buf);
	free(buf);
	return rc;
}

/* Rewrite the file from its lines, with line i replaced (NULL: removed). */
static void
rewrite(const char *path, char **lines, size_t n, size_t i, const char *with)
{
	FILE *f = fopen(path, "wb");
	size_t k;

	for (k = 0; k < n; k++) {
		if (k == i && with == NULL)
			continue;
		fprintf(f, "%s\n", k == i ? with : lines[k]);
	}
	fclose(f);
}

Test(evlog_verify, intact_log_passes)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], head[4300];
	const char *p[1] = {path};

	make_log(dir, path, sizeof(path), 10);
	cr_assert_eq(verify(p, 1, NULL, msg, sizeof(msg)), LOGVERIFY_OK, "%s", msg);
	cr_assert(strstr(msg, "12 records, seq 1..12: chain intact") != NULL, "%s", msg);
	snprintf(head, sizeof(head), "%s/evlog.head", dir);
	cr_assert_eq(verify(p, 1, head, msg, sizeof(msg)), LOGVERIFY_OK, "%s", msg);
	tu_rmdir(dir);
}

Test(evlog_verify, edited_record_is_named)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], *buf, **lines, *ed;
	const char *p[1] = {path};
	size_t len, n;

	make_log(dir, path, sizeof(path), 10);
	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	/* Change the order a block was made under, in record seq 5 (line 5). */
	ed = strdup(lines[4]);
	memcpy(strstr(ed, "CL-2026-000123"), "CL-2026-000999", 14);
	rewrite(path, lines, n, 4, ed);
	cr_assert_eq(verify(p, 1, NULL, msg, sizeof(msg)), LOGVERIFY_BAD, "%s", msg);
	cr_assert(strstr(msg, "enforcement.jsonl:5: seq 5: edited") != NULL, "%s", msg);
	free(ed);
	free(lines);
	free(buf);
	tu_rmdir(dir);
}

Test(evlog_verify, deleted_record_is_named)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], *buf, **lines;
	const char *p[1] = {path};
	size_t len, n;

	make_log(dir, path, sizeof(path), 10);
	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	rewrite(path, lines, n, 6, NULL); /* seq 7 */
	cr_assert_eq(verify(p, 1, NULL, msg, sizeof(msg)), LOGVERIFY_BAD, "%s", msg);
	cr_assert(strstr(msg, ":7: seq 8: removed: records seq 7..7") != NULL, "%s", msg);
	free(lines);
	free(buf);
	tu_rmdir(dir);
}

Test(evlog_verify, deleted_last_record_needs_the_saved_head)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], head[4300], *buf, **lines;
	const char *p[1] = {path};
	size_t len, n;

	make_log(dir, path, sizeof(path), 3);
	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	rewrite(path, lines, n, n - 1, NULL); /* the stop record */
	cr_assert_eq(verify(p, 1, NULL, msg, sizeof(msg)), LOGVERIFY_OK, "%s", msg);
	snprintf(head, sizeof(head), "%s/evlog.head", dir);
	cr_assert_eq(verify(p, 1, head, msg, sizeof(msg)), LOGVERIFY_BAD, "%s", msg);
	cr_assert(strstr(msg, "removed: the log ends at seq 4") != NULL, "%s", msg);
	free(lines);
	free(buf);
	tu_rmdir(dir);
}

Test(evlog_verify, swapped_records_are_reordered)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], *buf, **lines, *t;
	const char *p[1] = {path};
	size_t len, n;

	make_log(dir, path, sizeof(path), 10);
	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	t = lines[3];
	lines[3] = lines[4];
	lines[4] = t;
	rewrite(path, lines, n, n, NULL);
	cr_assert_eq(verify(p, 1, NULL, msg, sizeof(msg)), LOGVERIFY_BAD, "%s", msg);
	cr_assert(strstr(msg, ":4: seq 5: reordered") != NULL, "%s", msg);
	free(lines);
	free(buf);
	tu_rmdir(dir);
}

Test(evlog_verify, garbage_line_is_malformed)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], *buf, **lines;
	const char *p[1] = {path};
	size_t len, n;

	make_log(dir, path, sizeof(path), 4);
	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	rewrite(path, lines, n, 2, "{\"seq\":3,");
	cr_assert_eq(verify(p, 1, NULL, msg, sizeof(msg)), LOGVERIFY_BAD, "%s", msg);
	cr_assert(strstr(msg, ":3: malformed record") != NULL, "%s", msg);
	free(lines);
	free(buf);
	tu_rmdir(dir);
}

Test(evlog_verify, torn_tail_is_not_tampering_and_is_repaired_at_open)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], *buf, **lines, torn[4300];
	const char *p[1] = {path};
	struct evlog_opts o;
	struct evlog *l;
	struct evrec *r = malloc(sizeof(*r));
	const char *err;
	size_t len, n, full;
	FILE *f;

	make_log(dir, path, sizeof(path), 5);
	/* Power loss: the stop record half written. */
	buf = tu_slurp(path, &full);
	free(buf);
	cr_assert_eq(truncate(path, (off_t)full - 40), 0);
	cr_assert_eq(verify(p, 1, NULL, msg, sizeof(msg)), LOGVERIFY_TORN, "%s", msg);
	cr_assert(strstr(msg, ":7: torn tail:") != NULL, "%s", msg);
	cr_assert(strstr(msg, "6 records, seq 1..6: chain intact") != NULL, "%s", msg);

	tu_opts(&o, dir, path, sizeof(path));
	fake_now_us = T0 + 60 * 1000000LL;
	cr_assert_not_null(l = evlog_open(&o));
	evlog_pump(l);
	evlog_close(l);
	fake_now_us = T0;
	cr_assert_eq(verify(p, 1, NULL, msg, sizeof(msg)), LOGVERIFY_OK, "%s", msg);

	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	cr_assert_eq(n, 9, "6 kept, gap, start, stop: %zu", n);
	cr_assert_eq(evrec_parse(lines[6], strlen(lines[6]), r, &err), 0);
	cr_assert_eq(r->state, EVS_GAP);
	cr_assert_eq(r->seq, 7);
	cr_assert_eq(r->last_seq, 6);
	cr_assert_eq(r->last_time_us, T0 + 4);
	cr_assert_eq(r->torn_bytes, full - 40 - (size_t)(lines[6] - buf));
	cr_assert_eq(evrec_parse(lines[7], strlen(lines[7]), r, &err), 0);
	cr_assert_eq(r->state, EVS_START);
	/* The fragment was kept. */
	snprintf(torn, sizeof(torn), "%s/evlog.torn-2026-11-21T10:01:00.000000Z", dir);
	cr_assert_not_null(f = fopen(torn, "r"));
	fclose(f);
	free(lines);
	free(buf);
	free(r);
	tu_rmdir(dir);
}

Test(evlog_verify, chain_continues_across_restart)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], head[4300];
	const char *p[1] = {path};
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;

	make_log(dir, path, sizeof(path), 3);
	tu_opts(&o, dir, path, sizeof(path));
	cr_assert_not_null(l = evlog_open(&o));
	tu_event(&ev, EV_HTTP, "192.0.2.7", T0);
	evlog_append(l, &ev);
	evlog_pump(l);
	evlog_close(l);
	snprintf(head, sizeof(head), "%s/evlog.head", dir);
	cr_assert_eq(verify(p, 1, head, msg, sizeof(msg)), LOGVERIFY_OK, "%s", msg);
	cr_assert(strstr(msg, "8 records, seq 1..8") != NULL, "%s", msg);
	cr_assert(strstr(msg, "gap") == NULL);
	tu_rmdir(dir);
}

Test(evlog_verify, chain_continues_across_rotation_and_reopen)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], head[4300], moved[4400], **files;
	struct evlog_opts o;
	struct evlog_stats st;
	struct evlog *l;
	struct event ev;
	size_t nf;
	int i;

	tu_opts(&o, dir, path, sizeof(path));
	o.rotate_bytes = 2000;
	cr_assert_not_null(l = evlog_open(&o));
	for (i = 0; i < 20; i++) {
		tu_event(&ev, EV_TLS, "192.0.2.7", T0 + i);
		evlog_append(l, &ev);
		fake_now_us += 1000000; /* distinct rotated names */
		evlog_pump(l);
	}
	/* logrotate-style: rename, then ask for a reopen. */
	snprintf(moved, sizeof(moved), "%s.29991231T000000Z", path);
	cr_assert_eq(rename(path, moved), 0);
	evlog_reopen(l);
	evlog_pump(l);
	tu_event(&ev, EV_TLS, "192.0.2.7", T0 + 99);
	evlog_append(l, &ev);
	evlog_pump(l);
	evlog_stats(l, &st);
	evlog_close(l);
	fake_now_us = T0;
	cr_assert_geq(st.rotations, 3);
	nf = tu_files(path, &files);
	cr_assert_eq(nf, st.rotations + 2);
	snprintf(head, sizeof(head), "%s/evlog.head", dir);
	cr_assert_eq(verify((const char *const *)files, nf, head, msg, sizeof(msg)), LOGVERIFY_OK,
	    "%s", msg);
	cr_assert(strstr(msg, "23 records, seq 1..23") != NULL, "%s", msg);
	/* Leaving a rotated file out is a removal. */
	cr_assert_eq(
	    verify((const char *const *)files + 1, 1, NULL, msg, sizeof(msg)), LOGVERIFY_OK);
	{
		const char *two[2] = {files[0], files[2]};
		cr_assert_eq(verify(two, 2, NULL, msg, sizeof(msg)), LOGVERIFY_BAD, "%s", msg);
		cr_assert(strstr(msg, "removed") != NULL, "%s", msg);
	}
	tu_free_files(files, nf);
	tu_rmdir(dir);
}

Test(evlog_verify, crash_without_stop_is_a_gap_and_chain_continues)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], *buf, **lines;
	const char *p[1] = {path};
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;
	struct evrec *r = malloc(sizeof(*r));
	const char *err;
	size_t len, n;
	pid_t pid;
	int status;

	tu_opts(&o, dir, path, sizeof(path));
	pid = fork();
	if (pid == 0) {
		/* The child writes and dies without a stop, as under SIGKILL. */
		if ((l = evlog_open(&o)) == NULL)
			_exit(1);
		tu_event(&ev, EV_QUIC, "192.0.2.7", T0);
		evlog_append(l, &ev);
		evlog_pump(l);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(status, 0);
	fake_now_us = T0 + 120 * 1000000LL;
	cr_assert_not_null(l = evlog_open(&o));
	evlog_pump(l);
	evlog_close(l);
	fake_now_us = T0;
	cr_assert_eq(verify(p, 1, NULL, msg, sizeof(msg)), LOGVERIFY_OK, "%s", msg);
	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	cr_assert_eq(n, 5);
	cr_assert_eq(evrec_parse(lines[2], strlen(lines[2]), r, &err), 0);
	cr_assert_eq(r->state, EVS_GAP);
	cr_assert_eq(r->last_seq, 2);
	cr_assert_eq(r->torn_bytes, 0);
	free(lines);
	free(buf);
	free(r);
	tu_rmdir(dir);
}

Test(evlog_verify, rotation_by_age_counts_from_the_first_record_across_restart)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], **files;
	struct evlog_opts o;
	struct evlog *l;
	size_t nf;

	tu_opts(&o, dir, path, sizeof(path));
	o.rotate_seconds = 3600;
	fake_now_us = T0;
	cr_assert_not_null(l = evlog_open(&o));
	evlog_pump(l);
	fake_now_us = T0 + S_US(1800);
	evlog_close(l);
	/* Restarted 40 minutes later: the file is 70 minutes old, not 0. */
	fake_now_us = T0 + S_US(4200);
	cr_assert_not_null(l = evlog_open(&o));
	evlog_pump(l);
	evlog_close(l);
	fake_now_us = T0;
	nf = tu_files(path, &files);
	cr_assert_eq(nf, 2, "one rotated file and the live one");
	cr_assert(strstr(files[0], ".20261121T111000.000000Z") != NULL, "%s", files[0]);
	cr_assert_eq(verify((const char *const *)files, nf, NULL, msg, sizeof(msg)), LOGVERIFY_OK,
	    "%s", msg);
	tu_free_files(files, nf);
	tu_rmdir(dir);
}

Test(evlog_verify, edited_last_record_needs_the_saved_head)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], head[4300], *buf, **lines, *ed;
	const char *p[1] = {path};
	size_t len, n;

	make_log(dir, path, sizeof(path), 2);
	buf = tu_slurp(path, &len);
	n = tu_lines(buf, &lines);
	ed = strdup(lines[n - 1]);
	memcpy(strstr(ed, "clean stop"), "clean STOP", 10);
	rewrite(path, lines, n, n - 1, ed);
	cr_assert_eq(verify(p, 1, NULL, msg, sizeof(msg)), LOGVERIFY_OK, "%s", msg);
	snprintf(head, sizeof(head), "%s/evlog.head", dir);
	cr_assert_eq(verify(p, 1, head, msg, sizeof(msg)), LOGVERIFY_BAD, "%s", msg);
	cr_assert(strstr(msg, ":4: seq 4: edited") != NULL, "%s", msg);
	cr_assert_eq(verify(p, 0, NULL, msg, sizeof(msg)), LOGVERIFY_ERROR);
	free(ed);
	free(lines);
	free(buf);
	tu_rmdir(dir);
}

static void
crash_after_rotation(int stale_head)
{
	char *dir = tu_tmpdir(), path[4200], msg[1024], **files;
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;
	struct stat st;
	size_t nf;
	pid_t pid;
	int status;

	tu_opts(&o, dir, path, sizeof(path));
	pid = fork();
	if (pid == 0) {
		if ((l = evlog_open(&o)) == NULL)
			_exit(1);
		tu_event(&ev, EV_DNS, "192.0.2.7", T0);
		evlog_append(l, &ev);
		evlog_pump(l);
		evlog_rotate(l);
		evlog_pump(l);
		_exit(0); /* killed with an empty live file */
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(status, 0);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_size, 0);
	if (stale_head) {
		/* Killed between the rename and saving the head: the head is the one from open. */
		char hp[4300];
		const char *old = "blockd-evlog-head-v1 0 "
				  "0000000000000000000000000000000000000000000000000000000000000000"
				  " running 0\n";
		snprintf(hp, sizeof(hp), "%s/evlog.head", dir);
		tu_write(hp, old, strlen(old));
	}
	cr_assert_not_null(l = evlog_open(&o));
	evlog_pump(l);
	evlog_close(l);
	nf = tu_files(path, &files);
	cr_assert_eq(nf, 2);
	cr_assert_eq(verify((const char *const *)files, nf, NULL, msg, sizeof(msg)), LOGVERIFY_OK,
	    "%s", msg);
	cr_assert(
	    strstr(msg, "5 records, seq 1..5") != NULL, "start, event | gap, start, stop: %s", msg);
	tu_free_files(files, nf);
	tu_rmdir(dir);
}

Test(evlog_verify, crash_just_after_rotation_continues_from_the_rotated_file)
{
	crash_after_rotation(0);
}

Test(evlog_verify, crash_before_the_head_is_saved_still_finds_the_rotated_file)
{
	crash_after_rotation(1);
}

Test(logverify, json_result)
{
	const char *good[] = {"../data/evlog/sample.jsonl"};
	char path[] = "/tmp/blockd-lv-json-XXXXXX", *out = NULL, *buf, *p;
	size_t olen = 0, len;
	FILE *f, *o;
	int fd;

	o = open_memstream(&out, &olen);
	cr_assert_eq(logverify_files_fmt(good, 1, NULL, 1, o), LOGVERIFY_OK);
	fclose(o);
	cr_assert_not_null(strstr(out, "{\"status\":\"intact\",\"records\":15,"), "%s", out);
	free(out);

	/* The same log with record 5's seq edited: bad, at line 5. */
	f = fopen(good[0], "r");
	cr_assert_not_null(f);
	buf = calloc(1, 1 << 20);
	len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	p = strstr(buf, "\"seq\":5,");
	cr_assert_not_null(p);
	memcpy(p, "\"seq\":7,", 8);
	fd = mkstemp(path);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	const char *bad[] = {path};
	out = NULL;
	o = open_memstream(&out, &olen);
	cr_assert_eq(logverify_files_fmt(bad, 1, NULL, 1, o), LOGVERIFY_BAD);
	fclose(o);
	unlink(path);
	cr_assert_not_null(strstr(out, "\"status\":\"bad\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"line\":5,\"seq\":7,"), "%s", out);
	free(out);
	free(buf);
}
