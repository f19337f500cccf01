/* Helpers shared by the enforcement log tests: temporary directories, files, events, a fake clock. */
#ifndef EVLOG_UTIL_H
#define EVLOG_UTIL_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "evlog/event.h"
#include "evlog/evlog.h"
#include "rulelist.h"

/* 2026-11-21T10:00:00Z */
#define T0      1795255200000000LL
#define DAY_US  (86400LL * 1000000)
#define S_US(s) ((int64_t)(s)*1000000)

static int64_t fake_now_us = T0;

static inline int64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now_us;
}

static inline char *
tu_tmpdir(void)
{
	char *d = strdup("/tmp/evlog-test-XXXXXX");

	cr_assert_not_null(mkdtemp(d));
	return d;
}

static inline int
tu_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void
tu_rmdir(char *d)
{
	nftw(d, tu_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}

static inline char *
tu_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static inline void
tu_write(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* Lines of buf (newlines kept out); returns the count, *lines malloc'd pointers into buf. */
static inline size_t
tu_lines(char *buf, char ***lines)
{
	size_t n = 0, cap = 16;
	char *p = buf, *nl;

	*lines = malloc(cap * sizeof(char *));
	while ((nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		if (n == cap)
			*lines = realloc(*lines, (cap *= 2) * sizeof(char *));
		(*lines)[n++] = p;
		p = nl + 1;
	}
	return n;
}

static inline void
tu_event(struct event *ev, int method, const char *v4, int64_t t)
{
	memset(ev, 0, sizeof(*ev));
	ev->time_us = (uint64_t)t;
	ev->serial = 42;
	ev->method = (uint8_t)method;
	ev->action = EV_RESET;
	ev->family = 4;
	ev->proto = 6;
	ev->dport = 443;
	ev->entry_type = RULE_SUFFIX;
	ev->entry_line = 17;
	inet_pton(AF_INET, v4, ev->client);
	snprintf(ev->indicator, sizeof(ev->indicator), "www.deepfake.example");
	snprintf(ev->value, sizeof(ev->value), "deepfake.example");
	snprintf(ev->order_ref, sizeof(ev->order_ref), "CL-2026-000123");
	snprintf(ev->service, sizeof(ev->service), "Deepfake Studio");
}

static inline void
tu_opts(struct evlog_opts *o, const char *dir, char *path, size_t pathlen)
{
	snprintf(path, pathlen, "%s/enforcement.jsonl", dir);
	memset(o, 0, sizeof(*o));
	o->path = path;
	o->state_dir = dir;
	o->appliance_id = "isp-a-01";
	o->queue = 64;
	o->fsync_interval_ms = 0;
	o->serial = 42;
	o->manual = 1;
	o->now_us = fake_clock;
}

/* The log's files in verify order: rotated ones (sorted by name) then the live one. */
static inline size_t
tu_files(const char *path, char ***out)
{
	char pat[4400];
	glob_t g;
	size_t i, n = 0;

	snprintf(pat, sizeof(pat), "%s.2*", path);
	*out = calloc(64, sizeof(char *));
	if (glob(pat, 0, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc && n < 63; i++)
			(*out)[n++] = strdup(g.gl_pathv[i]);
		globfree(&g);
	}
	(*out)[n++] = strdup(path);
	return n;
}

static inline void
tu_free_files(char **f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(f[i]);
	free(f);
}

#endif
