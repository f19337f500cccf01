/* Unit tests for ctl.c: request parsing, and a round trip over a real socket. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

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
op_reload(void *ctx, int override, int json, FILE *out)
{
	(void)ctx, (void)json;
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
static const struct ctl_ops ops = {op_status, op_reload, op_lookup, op_status};

struct server {
	struct ctl *ctl;
	int n;
};

static void *
serve(void *arg)
{
	struct server *s = arg;
	struct pollfd p = {.fd = ctl_fd(s->ctl), .events = POLLIN};

	for (int i = 0; i < s->n; i++) {
		if (poll(&p, 1, 5000) != 1)
			break;
		ctl_serve(s->ctl, &ops, NULL);
	}
	return NULL;
}

Test(ctl, round_trip)
{
	char path[64], err[256], *body = NULL;
	size_t len = 0;
	struct server s = {.n = 4};
	pthread_t t;
	FILE *out;

	snprintf(path, sizeof(path), "/tmp/blockd-ctl-test.%d", (int)getpid());
	s.ctl = ctl_open(path, "", err, sizeof(err));
	cr_assert_not_null(s.ctl, "%s", err);
	pthread_create(&t, NULL, serve, &s);

	out = open_memstream(&body, &len);
	cr_assert_eq(ctl_request(path, "json status", out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ctl_request(path, "reload override", out, err, sizeof(err)), 1);
	cr_assert_eq(ctl_request(path, "lookup 192.0.2.1", out, err, sizeof(err)), 0);
	cr_assert_eq(ctl_request(path, "lookup", out, err, sizeof(err)), 2);
	fclose(out);
	cr_assert_str_eq(body,
	    "{\"serial\":7}\nrefused despite override\nlooked up 192.0.2.1\n"
	    "lookup takes 1 argument\n");
	pthread_join(t, NULL);
	cr_assert_eq(ctl_refused(s.ctl), 1);
	ctl_close(s.ctl);
	cr_assert_eq(access(path, F_OK), -1, "socket file left behind");
	free(body);
}

Test(ctl, no_daemon)
{
	char err[256];

	cr_assert_eq(
	    ctl_request("/nonexistent/blockd.sock", "status", stdout, err, sizeof(err)), -1);
	cr_assert(strstr(err, "is blockd running?") != NULL);
}
