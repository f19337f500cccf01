/* Unit tests for the rollback floor read back from the enforcement log. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evlog/evlog_floor.h"

#define STATE(seq, state, serial)                                                              \
	"{\"seq\":" #seq ",\"time\":\"2026-11-21T10:00:00.000000Z\",\"record\":\"state\","     \
	"\"state\":\"" state "\",\"serial\":" #serial ",\"reason\":\"t\",\"appliance\":\"a\"," \
	"\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n"

static const char block[] =
    "{\"seq\":2,\"time\":\"2026-11-21T10:00:01.000000Z\",\"record\":\"block\",\"method\":\"dns\","
    "\"indicator\":\"www.deepfake.example\",\"entry\":{\"value\":\"deepfake.example\",\"type\":"
    "\"suffix\",\"line\":17},\"order\":\"CL-1\",\"service\":\"S\",\"action\":\"nxdomain\","
    "\"serial\":99,\"transport\":{\"family\":\"v4\",\"proto\":\"udp\",\"dport\":53},"
    "\"subscriber\":\"b2b3559795022de00d2177c18dc847e3\",\"appliance\":\"a\",\"prev\":"
    "\"0000000000000000000000000000000000000000000000000000000000000000\"}\n";

static char dir[64];

static void
setup(void)
{
	strcpy(dir, "/tmp/evlog_floor.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* Writes head, then n block records, then tail, to dir/name. */
static void
write_log(const char *name, const char *head, size_t n, const char *tail)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(head, f);
	for (size_t i = 0; i < n; i++)
		fputs(block, f);
	fputs(tail, f);
	fclose(f);
}

static int
floor_of(uint64_t *serial, char *file, size_t filelen)
{
	char path[128], err[256];

	snprintf(path, sizeof path, "%s/enforcement.jsonl", dir);
	return evlog_floor(path, serial, file, filelen, err, sizeof err);
}

TestSuite(evlog_floor, .init = setup, .fini = teardown);

Test(evlog_floor, lines)
{
	uint64_t s = 0;
	const char *start = STATE(1, "start", 42), *refused = STATE(3, "reload_refused", 50);

	cr_assert_eq(evlog_floor_line(start, strlen(start) - 1, &s), 1);
	cr_assert_eq(s, 42);
	cr_assert_eq(evlog_floor_line(refused, strlen(refused) - 1, &s), 0, "a refused serial");
	cr_assert_eq(evlog_floor_line(block, strlen(block) - 1, &s), 0, "a block record");
	cr_assert_eq(evlog_floor_line("{\"record\":\"state\"", 17, &s), 0, "a torn line");
	cr_assert_eq(evlog_floor_line(STATE(1, "start", 0), strlen(STATE(1, "start", 0)) - 1, &s),
	    0, "no list in force");
}

/* The newest start, reload or stop record wins, across chunk boundaries and past a refusal. */
Test(evlog_floor, newest_record_of_the_live_file)
{
	char file[256];
	uint64_t s = 0;

	write_log("enforcement.jsonl", STATE(1, "start", 5) STATE(2, "reload", 7), 20000,
	    STATE(9, "reload_refused", 9) "{\"seq\":10,\"record\":\"sta");
	cr_assert_eq(floor_of(&s, file, sizeof file), 1);
	cr_assert_eq(s, 7);
	cr_assert_not_null(strstr(file, "/enforcement.jsonl"));
}

/* A live file with no state record yet: the rotated files, newest first. */
Test(evlog_floor, rotated_files_newest_first)
{
	char file[256];
	uint64_t s = 0;

	write_log("enforcement.jsonl", "", 100, "");
	write_log("enforcement.jsonl.20261120T000000.000000Z", STATE(1, "start", 3), 10, "");
	write_log("enforcement.jsonl.20261121T000000.000000Z", STATE(5, "stop", 4), 3000, "");
	cr_assert_eq(floor_of(&s, file, sizeof file), 1);
	cr_assert_eq(s, 4);
	cr_assert_not_null(strstr(file, "20261121T000000"));
}

Test(evlog_floor, no_log_no_floor)
{
	char file[256];
	uint64_t s = 0;

	cr_assert_eq(floor_of(&s, file, sizeof file), 0);
	write_log("enforcement.jsonl", STATE(1, "start", 0), 10, "");
	cr_assert_eq(floor_of(&s, file, sizeof file), 0);
}
