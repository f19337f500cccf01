/* Unit tests for evlog_recover.c and rotation: a crash between any two steps of a rotation is repaired. */
#include <unistd.h>

#include "evlog/evlog_files.h"
#include "evlog_util.h"
#include "evlog/evrec.h"
#include "evlog/logverify.h"
#include "evlog/report.h"

/* The rotated name a rotation at T0 + 1 min would give. */
#define ROTATED ".20261121T100100.000000Z"

/* A run killed after writing start and n events, as under SIGKILL: no stop record. */
static void
crashed_run(struct evlog_opts *o, int n)
{
	struct evlog *l;
	struct event ev;
	pid_t pid;
	int status, i;

	pid = fork();
	if (pid == 0) {
		if ((l = evlog_open(o)) == NULL)
			_exit(1);
		for (i = 0; i < n; i++) {
			tu_event(&ev, EV_DNS, "192.0.2.7", T0 + i);
			evlog_append(l, &ev);
		}
		evlog_pump(l);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(status, 0);
}

/* Open and close again (the next start), then verify every file of the log. */
static void
restart_and_verify(struct evlog_opts *o, const char *path, size_t want_files, const char *want)
{
	char msg[1024], *buf = NULL, **files;
	struct evlog *l;
	size_t nf, len = 0;
	FILE *out;
	int rc;

	fake_now_us = T0 + S_US(120);
	cr_assert_not_null(l = evlog_open(o));
	evlog_pump(l);
	evlog_close(l);
	fake_now_us = T0;
	nf = tu_files(path, &files);
	cr_assert_eq(nf, want_files, "%zu files", nf);
	out = open_memstream(&buf, &len);
	rc = logverify_files((const char *const *)files, nf, out);
	fclose(out);
	snprintf(msg, sizeof(msg), "%s", buf);
	free(buf);
	cr_assert_eq(rc, LOGVERIFY_OK, "%s", msg);
	cr_assert(strstr(msg, want) != NULL, "want %s: %s", want, msg);
	tu_free_files(files, nf);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* The state between link(2) and rename(2): the rotated name is a second name of the live file. */
static void
linked(int with_next)
{
	char *dir = tu_tmpdir(), path[4200], rotated[4300], next[4300], msg[1024], *buf = NULL;
	const char *two[2] = {rotated, path};
	struct evlog_opts o;
	struct stat st;
	size_t len = 0;
	FILE *out;

	tu_opts(&o, dir, path, sizeof(path));
	crashed_run(&o, 3);
	snprintf(rotated, sizeof(rotated), "%s" ROTATED, path);
	snprintf(next, sizeof(next), "%s" EVLOG_NEXT_SUFFIX, path);
	cr_assert_eq(link(path, rotated), 0);
	if (with_next)
		tu_write(next, "", 0);

	/* Meanwhile the tools read the file once, not twice. */
	out = open_memstream(&buf, &len);
	cr_assert_eq(logverify_files(two, 2, out), LOGVERIFY_OK);
	fclose(out);
	snprintf(msg, sizeof(msg), "%s", buf);
	free(buf);
	cr_assert(strstr(msg, "4 records, seq 1..4") != NULL, "%s", msg);

	/* start, 3 events | gap, start, stop: one file, the rotation undone. */
	restart_and_verify(&o, path, 1, "7 records, seq 1..7");
	cr_assert(!exists(rotated));
	cr_assert(!exists(next));
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_nlink, 1);
	buf = tu_slurp(path, &len);
	cr_assert(strstr(buf, "\"state\":\"gap\"") != NULL);
	free(buf);
	tu_rmdir(dir);
}

Test(evlog_recover, crash_after_link_undoes_the_rotation)
{
	linked(0);
}

Test(evlog_recover, crash_after_the_next_file_is_made_undoes_the_rotation)
{
	linked(1);
}

Test(evlog_recover, a_leftover_next_file_alone_is_removed)
{
	char *dir = tu_tmpdir(), path[4200], next[4300];
	struct evlog_opts o;

	tu_opts(&o, dir, path, sizeof(path));
	crashed_run(&o, 2);
	snprintf(next, sizeof(next), "%s" EVLOG_NEXT_SUFFIX, path);
	tu_write(next, "", 0);
	restart_and_verify(&o, path, 1, "6 records, seq 1..6");
	cr_assert(!exists(next));
	tu_rmdir(dir);
}

/* After rename(2), before the directory's fsync or the head: an empty live file after the rotated one. */
Test(evlog_recover, crash_after_rename_continues_from_the_rotated_file)
{
	char *dir = tu_tmpdir(), path[4200], rotated[4300];
	struct evlog_opts o;

	tu_opts(&o, dir, path, sizeof(path));
	crashed_run(&o, 3);
	snprintf(rotated, sizeof(rotated), "%s" ROTATED, path);
	cr_assert_eq(rename(path, rotated), 0);
	tu_write(path, "", 0);
	/* start, 3 events | gap, start, stop */
	restart_and_verify(&o, path, 2, "7 records, seq 1..7");
	tu_rmdir(dir);
}

/* A rotation the writer finishes leaves one name per file and nothing in between. */
Test(evlog_recover, rotation_leaves_no_second_name_and_no_next_file)
{
	char *dir = tu_tmpdir(), path[4200], next[4300], **files;
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;
	struct stat st;
	size_t nf, i;

	tu_opts(&o, dir, path, sizeof(path));
	cr_assert_not_null(l = evlog_open(&o));
	for (i = 0; i < 3; i++) {
		tu_event(&ev, EV_TLS, "192.0.2.7", T0);
		evlog_append(l, &ev);
		evlog_pump(l);
		fake_now_us += S_US(1);
		evlog_rotate(l);
		evlog_pump(l);
		cr_assert_eq(stat(path, &st), 0, "the live file is there after each rotation");
		cr_assert_eq(st.st_size, 0);
	}
	evlog_close(l);
	fake_now_us = T0;
	snprintf(next, sizeof(next), "%s" EVLOG_NEXT_SUFFIX, path);
	cr_assert(!exists(next));
	nf = tu_files(path, &files);
	cr_assert_eq(nf, 4);
	for (i = 0; i < nf; i++) {
		cr_assert_eq(stat(files[i], &st), 0);
		cr_assert_eq(st.st_nlink, 1, "%s", files[i]);
	}
	tu_free_files(files, nf);
	tu_rmdir(dir);
}

/* A torn tail longer than the scan buffer (zeros after a power loss): copied in pieces, cut. */
Test(evlog_recover, a_long_torn_tail_is_kept_and_cut)
{
	char *dir = tu_tmpdir(), path[4200], pat[4300], *junk;
	size_t jlen = (size_t)600 * 1024;
	struct evlog_opts o;
	struct stat st;
	glob_t g;
	FILE *f;

	tu_opts(&o, dir, path, sizeof(path));
	crashed_run(&o, 2);
	junk = calloc(1, jlen);
	cr_assert_not_null(f = fopen(path, "ab"));
	cr_assert_eq(fwrite(junk, 1, jlen, f), jlen);
	fclose(f);
	free(junk);
	restart_and_verify(&o, path, 1, "6 records, seq 1..6");
	snprintf(pat, sizeof(pat), "%s/" EVLOG_TORN_PREFIX "*", dir);
	cr_assert_eq(glob(pat, 0, NULL, &g), 0);
	cr_assert_eq(g.gl_pathc, 1);
	cr_assert_eq(stat(g.gl_pathv[0], &st), 0);
	cr_assert_eq((size_t)st.st_size, jlen);
	globfree(&g);
	tu_rmdir(dir);
}

/* The report counts a file listed under two names once. */
Test(evlog_recover, report_reads_a_second_name_once)
{
	char *dir = tu_tmpdir(), path[4200], rotated[4300], *one, *both;
	const char *paths[2] = {rotated, path};
	struct report_opts ro = {
	    .from_us = T0 - DAY_US, .to_us = T0 + DAY_US, .format = REPORT_CSV};
	struct evlog_opts o;
	size_t len;

	tu_opts(&o, dir, path, sizeof(path));
	crashed_run(&o, 3);
	snprintf(rotated, sizeof(rotated), "%s" ROTATED, path);
	cr_assert_eq(link(path, rotated), 0);
	ro.paths = paths + 1;
	ro.npaths = 1;
	cr_assert_eq(report_render(&ro, &one, &len, stderr), REPORT_OK);
	ro.paths = paths;
	ro.npaths = 2;
	cr_assert_eq(report_render(&ro, &both, &len, stderr), REPORT_OK);
	cr_assert_str_eq(one, both);
	free(one);
	free(both);
	tu_rmdir(dir);
}
