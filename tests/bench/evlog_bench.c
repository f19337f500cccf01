/* The enforcement log under load: a benchmark, and the driver of the crash integration test. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evlog/evlog.h"
#include "base/log.h"
#include "evlog/logverify.h"
#include "evlog/report.h"
#include "rulelist.h"

/*
 * evlog_bench --json FILE      append events from 2 threads, report rates
 * evlog_bench --crash DIR      write to DIR/enforcement.jsonl until killed
 * evlog_bench --restart DIR    open (recovering a crash) and close again
 * evlog_bench --writer DIR     the writer alone, without producers
 * evlog_bench --verify FILE... the verifier blockctl log verify runs
 * evlog_bench --report FROM TO csv|json FILE...  the report blockctl report writes
 */

#define PRODUCERS 2

struct producer {
	struct evlog *l;
	uint64_t n; /* 0: until killed */
	uint64_t accepted;
	int id;
};

static atomic_int go;

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
fill(struct event *ev, int id, uint64_t i)
{
	memset(ev, 0, sizeof(*ev));
	ev->time_us = (uint64_t)now_us();
	ev->serial = 7;
	ev->method = (uint8_t)(EV_DNS + i % 5);
	ev->action = EV_RESET;
	ev->family = 4;
	ev->proto = 17;
	ev->dport = 53;
	ev->entry_type = RULE_SUFFIX;
	ev->entry_line = 3;
	ev->client[0] = 198;
	ev->client[1] = 51;
	ev->client[2] = 100;
	ev->client[3] = (uint8_t)(i % 200 + (unsigned)id);
	snprintf(ev->indicator, sizeof(ev->indicator), "cdn%" PRIu64 ".deepfake.example", i % 1000);
	snprintf(ev->value, sizeof(ev->value), "deepfake.example");
	snprintf(ev->order_ref, sizeof(ev->order_ref), "CL-2026-000123");
	snprintf(ev->service, sizeof(ev->service), "Deepfake Studio");
}

static void *
produce(void *arg)
{
	struct producer *p = arg;
	struct event ev;
	uint64_t i;

	while (!atomic_load(&go))
		;
	for (i = 0; p->n == 0 || i < p->n; i++) {
		/* A fresh event each time, as a worker would fill one. */
		fill(&ev, p->id, i);
		if (evlog_append(p->l, &ev) == 0)
			p->accepted++;
		if (p->n == 0 && i % 64 == 0)
			usleep(100); /* a steady load the writer mostly keeps up with */
	}
	return NULL;
}

static void
opts(struct evlog_opts *o, const char *dir, char *path, size_t len)
{
	snprintf(path, len, "%s/enforcement.jsonl", dir);
	memset(o, 0, sizeof(*o));
	o->path = path;
	o->state_dir = dir;
	o->appliance_id = "bench-01";
	o->queue = 4096;
	o->fsync_interval_ms = 10;
	o->rotate_bytes = 512 * 1024;
	o->serial = 7;
}

static int
crash(const char *dir)
{
	struct producer p[PRODUCERS];
	pthread_t th[PRODUCERS];
	struct evlog_opts o;
	struct evlog *l;
	char path[4200];
	int i;

	opts(&o, dir, path, sizeof(path));
	if ((l = evlog_open(&o)) == NULL)
		return 1;
	for (i = 0; i < PRODUCERS; i++) {
		p[i] = (struct producer){.l = l, .n = 0, .id = i};
		pthread_create(&th[i], NULL, produce, &p[i]);
	}
	atomic_store(&go, 1);
	for (;;)
		pause(); /* until SIGKILL */
}

static int
restart(const char *dir)
{
	struct evlog_opts o;
	struct evlog *l;
	char path[4200];

	opts(&o, dir, path, sizeof(path));
	if ((l = evlog_open(&o)) == NULL)
		return 1;
	evlog_state(l, EVS_RELOAD, 8, "list accepted");
	evlog_close(l);
	return 0;
}

/* The writer alone: a full queue formatted, hashed and written by evlog_pump(). */
static double
writer_rate(const char *dir)
{
	struct evlog_opts o;
	struct evlog *l;
	struct event ev;
	char path[4200];
	int64_t t0, t1;
	int i, n = 0, k;

	opts(&o, dir, path, sizeof(path));
	o.queue = 65536;
	o.manual = 1;
	o.fsync_interval_ms = 1000;
	o.rotate_bytes = 0;
	if ((l = evlog_open(&o)) == NULL)
		return 0;
	evlog_pump(l);
	for (i = 0; i < 65536; i++) {
		fill(&ev, 0, (uint64_t)i);
		evlog_append(l, &ev);
	}
	t0 = now_us();
	while ((k = evlog_pump(l)) > 0)
		n += k;
	t1 = now_us();
	evlog_close(l);
	return (double)n / ((double)(t1 - t0) / 1e6);
}

static int
bench(const char *json)
{
	char dir[] = "/tmp/evlog-bench-XXXXXX", path[4200], cmd[4300];
	struct producer p[PRODUCERS];
	pthread_t th[PRODUCERS];
	struct evlog_stats st;
	struct evlog_opts o;
	struct evlog *l;
	int64_t t0, t1, t2;
	uint64_t per = 1000000, accepted = 0;
	double secs_append, secs_all, wrate;
	FILE *f;
	int i;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	opts(&o, dir, path, sizeof(path));
	o.queue = 65536;
	o.fsync_interval_ms = 1000;
	o.rotate_bytes = 0;
	if ((l = evlog_open(&o)) == NULL)
		return 1;
	for (i = 0; i < PRODUCERS; i++) {
		p[i] = (struct producer){.l = l, .n = per, .id = i};
		pthread_create(&th[i], NULL, produce, &p[i]);
	}
	t0 = now_us();
	atomic_store(&go, 1);
	for (i = 0; i < PRODUCERS; i++) {
		pthread_join(th[i], NULL);
		accepted += p[i].accepted;
	}
	t1 = now_us();
	evlog_flush(l);
	t2 = now_us();
	evlog_stats(l, &st);
	evlog_close(l);
	wrate = writer_rate(dir);
	secs_append = (double)(t1 - t0) / 1e6;
	secs_all = (double)(t2 - t0) / 1e6;
	printf("evlog: %d producers offered %" PRIu64 " events in %.3f s (%.0f/s); "
	       "%" PRIu64 " logged, %" PRIu64 " dropped and recorded; all on disk after %.3f s "
	       "(%.0f records/s); the writer alone: %.0f records/s\n",
	    PRODUCERS, per * PRODUCERS, secs_append, (double)(per * PRODUCERS) / secs_append,
	    accepted, st.dropped, secs_all, (double)st.written / secs_all, wrate);
	if ((f = fopen(json, "w")) == NULL) {
		perror(json);
		return 1;
	}
	fprintf(f,
	    "{\"bench\":\"evlog\",\"producers\":%d,\"offered\":%" PRIu64 ",\"logged\":%" PRIu64
	    ",\"dropped\":%" PRIu64 ",\"append_seconds\":%.6f,\"offered_per_s\":%.0f"
	    ",\"total_seconds\":%.6f,\"records_per_s\":%.0f,\"writer_alone_records_per_s\":%.0f}\n",
	    PRODUCERS, per * PRODUCERS, accepted, st.dropped, secs_append,
	    (double)(per * PRODUCERS) / secs_append, secs_all, (double)st.written / secs_all,
	    wrate);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	log_init("evlog_bench", 0, 0);
	if (argc == 3 && strcmp(argv[1], "--json") == 0)
		return bench(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--crash") == 0)
		return crash(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--restart") == 0)
		return restart(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--writer") == 0) {
		printf("the writer alone: %.0f records/s\n", writer_rate(argv[2]));
		return 0;
	}
	if (argc >= 6 && strcmp(argv[1], "--report") == 0) {
		struct report_opts ro = {.paths = (const char *const *)argv + 5,
		    .npaths = (size_t)argc - 5,
		    .format = report_format_from(argv[4])};
		if (evrec_time_parse(argv[2], &ro.from_us) < 0 ||
		    evrec_time_parse(argv[3], &ro.to_us) < 0) {
			fprintf(stderr, "evlog_bench: FROM and TO: YYYY-MM-DD or RFC 3339 UTC\n");
			return REPORT_USAGE;
		}
		return report_run(&ro, stdout);
	}
	if (argc >= 3 && strcmp(argv[1], "--verify") == 0)
		return logverify_files((const char *const *)argv + 2, (size_t)argc - 2, stdout);
	fprintf(stderr,
	    "usage: evlog_bench --json FILE | --crash DIR | --restart DIR | "
	    "--verify FILE...\n");
	return 2;
}
