/* Unit tests for watch.c: which names are a list update; a change fires the debounce timer once. */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/watch.h"

Test(watch, relevant_names)
{
	cr_assert(watch_relevant("blocklist"));
	cr_assert(watch_relevant("blocklist.minisig"));
	cr_assert(watch_relevant("blocklist.minisig.2"));
	cr_assert(watch_relevant("blocklist.minisig.10"));
	cr_assert_not(watch_relevant(".blocklist"));
	cr_assert_not(watch_relevant(".blocklist.tmp"));
	cr_assert_not(watch_relevant("blocklist.tmp"));
	cr_assert_not(watch_relevant("blocklist~"));
	cr_assert_not(watch_relevant("blocklist.minisig."));
	cr_assert_not(watch_relevant("blocklist.minisig.2.tmp"));
	cr_assert_not(watch_relevant("blocklist.swp"));
	cr_assert_not(watch_relevant("other"));
}

static void
put(const char *dir, const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("x\n", f);
	fclose(f);
}

static int
readable(int fd, int ms)
{
	struct pollfd pf = {fd, POLLIN, 0};
	return poll(&pf, 1, ms) == 1;
}

Test(watch, change_fires_after_quiet_time)
{
	char dir[] = "/tmp/watch-test-XXXXXX", err[256];
	struct watch w;
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(watch_open(&w, dir, err, sizeof(err)), 0, "%s", err);

	put(dir, ".blocklist.tmp"); /* ignored */
	cr_assert(readable(w.ifd, 1000));
	watch_changed(&w);
	cr_assert_not(readable(w.tfd, WATCH_DEBOUNCE_MS * 2), "a dot-file armed the timer");

	put(dir, "blocklist");
	put(dir, "blocklist.minisig");
	cr_assert(readable(w.ifd, 1000));
	watch_changed(&w);
	cr_assert(readable(w.tfd, WATCH_DEBOUNCE_MS * 5), "no reload after the change");
	cr_assert_eq(watch_due(&w), 1);
	cr_assert_eq(watch_due(&w), 0, "one change, one reload");
	watch_close(&w);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}
