/* Unit tests for ctl.c: request parsing, round trips over a real socket, and bad clients. */
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/un.h>

#include <criterion/criterion.h>
#include <grp.h>
#include <pthread.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/ctl.h"

static int
parse(const char *s, struct ctl_request *r, char *err)
{
	static char buf[CTL_REQUEST_MAX + 64];

	snprintf(buf, sizeof(buf), "%s", s);
	return ctl_parse(buf, strlen(buf), r, err, 128);
}

Test(ctl, parses_commands)
{
	struct ctl_request r;
	char err[128];

	cr_assert_eq(parse("status\n", &r, err), 0);
	cr_assert_eq(r.cmd, CTL_STATUS);
	cr_assert_eq(r.json, 0);
	cr_assert_eq(parse("json lookup www.blocked.example", &r, err), 0);
	cr_assert_eq(r.cmd, CTL_LOOKUP);
	cr_assert_eq(r.json, 1);
	cr_assert_str_eq(r.arg, "www.blocked.example");
	cr_assert_eq(parse("reload override\n", &r, err), 0);
	cr_assert_eq(r.cmd, CTL_RELOAD);
	cr_assert_eq(r.override, 1);
	cr_assert_eq(parse("stats", &r, err), 0);
	cr_assert_eq(r.cmd, CTL_STATS);
}

Test(ctl, refuses_bad_requests)
{
	struct ctl_request r;
	char err[128], big[CTL_REQUEST_MAX + 8];

	cr_assert_eq(parse("", &r, err), -1);
	cr_assert_str_eq(err, "empty request");
	cr_assert_eq(parse("frobnicate", &r, err), -1);
	cr_assert_str_eq(err, "unknown command \"frobnicate\"");
	cr_assert_eq(parse("lookup", &r, err), -1);
	cr_assert_str_eq(err, "lookup takes 1 argument");
	cr_assert_eq(parse("collateral", &r, err), 0);
	cr_assert_eq(r.cmd, CTL_COLLATERAL);
	cr_assert_null(r.arg);
	cr_assert_eq(parse("json collateral 192.0.2.1", &r, err), 0);
	cr_assert_str_eq(r.arg, "192.0.2.1");
	cr_assert(r.json);
	cr_assert_eq(parse("collateral a b", &r, err), -1);
	cr_assert_str_eq(err, "collateral takes at most one argument, an entry");
	cr_assert_eq(parse("status now", &r, err), -1);
	cr_assert_eq(parse("lookup  x", &r, err), -1);
	cr_assert_eq(parse("lookup x ", &r, err), -1);
	cr_assert_eq(parse("reload now", &r, err), -1);
	cr_assert_eq(parse("json", &r, err), -1);
	cr_assert_eq(parse("lookup a\tb", &r, err), -1);
	cr_assert_str_eq(err, "byte 8 of the request is not printable ASCII");
	cr_assert_eq(parse("lookup \xc3\xa9", &r, err), -1);
	cr_assert_eq(parse("a b c d e f g", &r, err), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(ctl_parse(big, strlen(big), &r, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "request longer than 4095 bytes");
}

static int
op_status(void *ctx, int json, FILE *out)
{
	(void)ctx;
	fprintf(out, json ? "{\"serial\":7}\n" : "serial 7\n");
	return 0;
}
static int
op_reload(void *ctx, int override, unsigned uid, int json, FILE *out)
{
	(void)ctx, (void)json, (void)uid;
	fprintf(out, "refused%s\n", override ? " despite override" : "");
	return 1;
}
static int
op_lookup(void *ctx, const char *what, int json, FILE *out)
{
	(void)ctx, (void)json;
	fprintf(out, "looked up %s\n", what);
	return 0;
}
static const struct ctl_ops ops = {
    op_status, op_reload, op_lookup, op_status, op_lookup, op_status};

struct server {
	struct ctl *ctl;
	int stop;
	pthread_t t;
	char path[64];
};

/* The daemon's loop, reduced to the control socket. */
static void *
serve(void *arg)
{
	struct server *s = arg;
	struct pollfd pf[CTL_POLLFDS];

	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		size_t n = ctl_pollfds(s->ctl, pf);
		(void)poll(pf, n, ctl_timeout(s->ctl, 20));
		ctl_serve(s->ctl, &ops, NULL);
	}
	return NULL;
}

static void
server_start(struct server *s)
{
	char err[256];

	/* The override group is this process's own, so the test runs as root or not (a package build). */
	struct group *gr = getgrgid(getegid());
	cr_assert_not_null(gr);
	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "/tmp/blockd-ctl-test.%d", (int)getpid());
	s->ctl = ctl_open(s->path, "", gr->gr_name, err, sizeof(err));
	cr_assert_not_null(s->ctl, "%s", err);
	pthread_create(&s->t, NULL, serve, s);
}

/* Returns ctl_refused(). */
static unsigned long
server_stop(struct server *s)
{
	unsigned long refused;

	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	pthread_join(s->t, NULL);
	refused = ctl_refused(s->ctl);
	ctl_close(s->ctl);
	cr_assert_eq(access(s->path, F_OK), -1, "socket file left behind");
	return refused;
}

Test(ctl, round_trip)
{
	char err[256], *body = NULL;
	size_t len = 0;
	struct server s;
	FILE *out;

	server_start(&s);
	out = open_memstream(&body, &len);
	cr_assert_eq(ctl_request(s.path, "json status", out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ctl_request(s.path, "reload override", out, err, sizeof(err)), 1);
	cr_assert_eq(ctl_request(s.path, "lookup 192.0.2.1", out, err, sizeof(err)), 0);
	cr_assert_eq(ctl_request(s.path, "lookup", out, err, sizeof(err)), 2);
	fclose(out);
	cr_assert_str_eq(body,
	    "{\"serial\":7}\nrefused despite override\nlooked up 192.0.2.1\n"
	    "lookup takes 1 argument\n");
	cr_assert_eq(server_stop(&s), 1);
	free(body);
}

static int
raw_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_neq(fd, -1);
	strcpy(sun.sun_path, path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* All the server sent until it closed. */
static void
raw_answer(int fd, char *buf, size_t size)
{
	size_t have = 0;
	ssize_t r;

	while (have < size - 1 && (r = recv(fd, buf + have, size - 1 - have, 0)) > 0)
		have += (size_t)r;
	buf[have] = '\0';
	close(fd);
}

static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Clients that send nothing, half a request or far too much get an error; others are not held up. */
Test(ctl, bad_clients, .timeout = 20)
{
	char err[256], ans[256], *big;
	int silent[CTL_CLIENTS_MAX - 1], fd;
	struct timespec t0;
	FILE *devnull = fopen("/dev/null", "w");
	struct server s;
	size_t n;

	cr_assert_not_null(devnull);
	server_start(&s);
	/* Silent clients in every slot but one: another client is answered at once. */
	for (n = 0; n < CTL_CLIENTS_MAX - 1; n++)
		silent[n] = raw_connect(s.path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(ctl_request(s.path, "status", devnull, err, sizeof(err)), 0, "%s", err);
	cr_assert_lt(since(&t0), 0.5, "status took %.3f s behind silent clients", since(&t0));
	/* The silent ones are cut off after about a second, with the reason. */
	for (n = 0; n < CTL_CLIENTS_MAX - 1; n++) {
		raw_answer(silent[n], ans, sizeof(ans));
		cr_assert_str_eq(ans, "ERR 2\nincomplete request (no newline within one second)\n");
	}
	cr_assert_lt(since(&t0), 2.5);

	/* Half a request, then the client's end closed. */
	fd = raw_connect(s.path);
	cr_assert_eq(send(fd, "sta", 3, 0), 3);
	shutdown(fd, SHUT_WR);
	raw_answer(fd, ans, sizeof(ans));
	cr_assert_str_eq(ans, "ERR 2\nincomplete request (no newline within one second)\n");

	/* Far over the limit: the answer still arrives. */
	n = 4 * CTL_REQUEST_MAX;
	big = malloc(n);
	memset(big, 'a', n);
	fd = raw_connect(s.path);
	cr_assert_eq(send(fd, big, n, MSG_NOSIGNAL), (ssize_t)n);
	raw_answer(fd, ans, sizeof(ans));
	cr_assert_str_eq(ans, "ERR 2\nrequest too long\n");
	free(big);

	/* Garbage with a newline. */
	fd = raw_connect(s.path);
	cr_assert_eq(send(fd, "{\"cmd\":\"status\"}\n", 17, 0), 17);
	raw_answer(fd, ans, sizeof(ans));
	cr_assert_str_eq(ans, "ERR 2\nunknown command \"{\"cmd\":\"status\"}\"\n");
	fd = raw_connect(s.path);
	cr_assert_eq(send(fd, "\x01\xff\n", 3, 0), 3);
	raw_answer(fd, ans, sizeof(ans));
	cr_assert_str_eq(ans, "ERR 2\nbyte 0 of the request is not printable ASCII\n");

	/* More silent clients than slots: they wait their turn, and a request behind them is served. */
	int many[CTL_CLIENTS_MAX + 8];
	for (n = 0; n < CTL_CLIENTS_MAX + 8; n++)
		many[n] = raw_connect(s.path);
	cr_assert_eq(ctl_request(s.path, "status", devnull, err, sizeof(err)), 0, "%s", err);
	for (n = 0; n < CTL_CLIENTS_MAX + 8; n++)
		close(many[n]);
	cr_assert_geq(server_stop(&s), CTL_CLIENTS_MAX - 1 + 4);
	fclose(devnull);
}

Test(ctl, no_daemon)
{
	char err[256];

	cr_assert_eq(
	    ctl_request("/nonexistent/blockd.sock", "status", stdout, err, sizeof(err)), -1);
	cr_assert(strstr(err, "is blockd running?") != NULL);
}

/*
 * Out of descriptors, accept() fails while the listener stays readable: the
 * listener rests for a moment rather than waking the loop again at once, and
 * the waiting client is served once descriptors are free.
 */
Test(ctl, out_of_descriptors_rests)
{
	struct rlimit old, low;
	struct pollfd pf[CTL_POLLFDS];
	struct server s;
	char err[256], ans[256];
	int fd, probe;

	memset(&s, 0, sizeof(s));
	snprintf(s.path, sizeof(s.path), "/tmp/blockd-ctl-test.%d", (int)getpid());
	s.ctl = ctl_open(s.path, "", "", err, sizeof(err));
	cr_assert_not_null(s.ctl, "%s", err);
	fd = raw_connect(s.path);
	cr_assert_eq(send(fd, "status\n", 7, 0), 7);
	/* Lower the limit to the highest descriptor in use: no new one can be made. */
	probe = dup(0);
	cr_assert_neq(probe, -1);
	close(probe);
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)probe;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	cr_assert_eq(ctl_pollfds(s.ctl, pf), 1);
	cr_assert_eq(pf[0].fd != -1, 1);
	ctl_serve(s.ctl, &ops, NULL); /* accept fails: EMFILE */
	ctl_pollfds(s.ctl, pf);
	cr_assert_eq(pf[0].fd, -1, "listener still polled while out of descriptors");
	int t = ctl_timeout(s.ctl, 5000);
	cr_assert(t > 0 && t <= CTL_ACCEPT_PAUSE_MS, "timeout %d", t);
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	/* After the pause the client is accepted and answered. */
	for (int i = 0; i < 100; i++) {
		size_t n = ctl_pollfds(s.ctl, pf);
		(void)poll(pf, n, ctl_timeout(s.ctl, 20));
		ctl_serve(s.ctl, &ops, NULL);
	}
	shutdown(fd, SHUT_WR);
	raw_answer(fd, ans, sizeof(ans));
	cr_assert_not_null(strstr(ans, "serial 7"), "answer: %s", ans);
	ctl_close(s.ctl);
}
