/* Unit tests for http.c and http_notice.c: pipelining, bodies, host and path rules, the 451 page. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/http.h"
#include "wire/reasm.h"

static struct http_parser p;
static struct http_request req;

static void
setup(void)
{
	http_parser_init(&p);
}

TestSuite(http, .init = setup);

/* Parses one request from s (whole); returns the result. */
static int
one(const char *s)
{
	static char method[64], target[8192];
	size_t used;
	size_t n = strlen(s);
	uint8_t *copy = malloc(n + 1);
	int r;

	memcpy(copy, s, n);
	http_parser_init(&p);
	r = http_parse(&p, copy, n, &used, &req);
	/* method/target point into copy: keep what the tests read */
	snprintf(method, sizeof(method), "%.*s", (int)req.method_len, req.method ? req.method : "");
	snprintf(target, sizeof(target), "%.*s", (int)req.target_len, req.target ? req.target : "");
	req.method = method;
	req.target = target;
	free(copy);
	return r;
}

Test(http, simple_get)
{
	cr_assert_eq(
	    one("GET /index.html HTTP/1.1\r\nHost: www.example.test\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.method, "GET");
	cr_assert_str_eq(req.target, "/index.html");
	cr_assert_str_eq(req.host, "www.example.test");
	cr_assert_str_eq(req.path, "/index.html");
	cr_assert_eq(req.version, 11);
	cr_assert_eq(req.form, HTTP_FORM_ORIGIN);
}

Test(http, host_case_whitespace_port)
{
	cr_assert_eq(
	    one("GET / HTTP/1.1\r\nhOsT:   WWW.Blocked.EXAMPLE.:8080 \t\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "www.blocked.example");
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: [2001:DB8::1]:8080\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "2001:db8::1");
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: [2001:db8::2]\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "2001:db8::2");
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "192.0.2.1");
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: a.example:\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "a.example");
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost:\r\n\r\n"), HTTP_REQUEST);
	cr_assert_eq(req.has_host, 0);
	cr_assert_eq(one("GET / HTTP/1.0\r\n\r\n"), HTTP_REQUEST);
	cr_assert_eq(req.has_host, 0);
	cr_assert_eq(req.version, 10);
}

Test(http, bad_hosts)
{
	cr_assert_eq(
	    one("GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_str_eq(req.why, "more than one Host");
	/* Both names are kept, for a caller that judges what a lenient server may read. */
	cr_assert_str_eq(req.host, "a.example");
	cr_assert_str_eq(req.host2, "b.example");
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: A.example\r\nhost: B.Example.:80\r\n\r\n"),
	    HTTP_MALFORMED);
	cr_assert_str_eq(req.host, "a.example");
	cr_assert_str_eq(req.host2, "b.example");
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: a b\r\nHost: c.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(req.host_len, 0);
	cr_assert_str_eq(req.host2, "c.example");
	cr_assert_eq(one("GET / HTTP/1.1\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(req.host2_len, 0);
	/* nginx cuts at the first ':' and never reads the port */
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: 2001:db8::1\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "2001");
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: a.example:80x\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "a.example");
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: a b.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: a..example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: [2001:db8::1\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: [2001:db8::1]x\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: a/b.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: a\x01.example\r\n\r\n"), HTTP_MALFORMED);
	/* a lenient server reads the name without the spaces before its colon */
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost : a.example\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "a.example");
	cr_assert_eq(
	    one("GET / HTTP/1.1\r\nHost : a.example\r\nHost: b.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_str_eq(req.host2, "b.example");
}

Test(http, absolute_form_authority_wins)
{
	cr_assert_eq(one("GET http://User:pw@Blocked.Example:8080/a/b?q=1 HTTP/1.1\r\n"
			 "Host: innocent.example\r\n\r\n"),
	    HTTP_REQUEST);
	cr_assert_eq(req.form, HTTP_FORM_ABSOLUTE);
	cr_assert_str_eq(req.host, "blocked.example");
	cr_assert_str_eq(req.path, "/a/b?q=1");
	cr_assert_eq(
	    one("GET HTTPS://blocked.example HTTP/1.1\r\nHost: x.example\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "blocked.example");
	cr_assert_str_eq(req.path, "/");
	cr_assert_eq(
	    one("GET http://blocked.example?x HTTP/1.1\r\nHost: x.example\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.path, "/?x");
	/* nginx takes the host of a URL of any scheme */
	cr_assert_eq(
	    one("GET ftp://blocked.example/ HTTP/1.1\r\nHost: x.example\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "blocked.example");
	cr_assert_eq(
	    one("GET 1x://blocked.example/ HTTP/1.1\r\nHost: x.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET http:///path HTTP/1.1\r\nHost: x.example\r\n\r\n"), HTTP_MALFORMED);
}

Test(http, connect_and_options)
{
	size_t used;
	const char *s = "CONNECT blocked.example:443 HTTP/1.1\r\nHost: blocked.example:443\r\n\r\n"
			"\x16\x03\x01";

	cr_assert_eq(http_parse(&p, (const uint8_t *)s, strlen(s), &used, &req), HTTP_REQUEST);
	cr_assert_eq(req.form, HTTP_FORM_AUTHORITY);
	cr_assert_str_eq(req.host, "blocked.example");
	cr_assert_eq(req.path_len, 0);
	cr_assert_eq(
	    http_parse(&p, (const uint8_t *)s + used, strlen(s) - used, &used, &req), HTTP_DONE);
	cr_assert_eq(one("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n"), HTTP_REQUEST);
	cr_assert_eq(req.form, HTTP_FORM_ASTERISK);
	cr_assert_eq(one("GET * HTTP/1.1\r\nHost: a.example\r\n\r\n"), HTTP_MALFORMED);
}

static void
path_is(const char *target, const char *want)
{
	char buf[8192];

	snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\nHost: a.example\r\n\r\n", target);
	cr_assert_eq(one(buf), HTTP_REQUEST, "%s: %s", target, req.why ? req.why : "");
	cr_assert_str_eq(req.path, want, "%s gave %s, want %s", target, req.path, want);
	cr_assert_eq(req.path_len, strlen(want));
}

Test(http, path_normalisation)
{
	path_is("/", "/");
	path_is("/a/b/c", "/a/b/c");
	path_is("/a/b/", "/a/b/");
	path_is("/%61%62%63", "/abc");
	path_is("/%7euser/%2D%2e%5F", "/~user/-._");
	path_is("/a%2fb", "/a%2Fb");
	path_is("/a%2Fb/..", "/");
	path_is("/a/./b/../c", "/a/c");
	path_is("/a/%2e%2e/b", "/b");
	path_is("/a/%2E/b", "/a/b");
	path_is("/../../x", "/x");
	path_is("/a/b/..", "/a/");
	path_is("/a/b/.", "/a/b/");
	path_is("//a///b//", "/a/b/");
	path_is("/CaSe/Kept", "/CaSe/Kept");
	path_is("/%e2%82%ac", "/%E2%82%AC");
	path_is("/bad%zzpct%4", "/bad%zzpct%4");
	path_is("/a/../b?x=/../y&%61", "/b?x=/../y&%61");
	path_is("/a#frag", "/a");
	path_is("/caf\xc3\xa9", "/caf\xc3\xa9");
}

Test(http, long_path_truncated)
{
	static char target[6000];

	target[0] = '/';
	memset(target + 1, 'a', 4999);
	target[5000] = '\0';
	cr_assert_eq(one(""), HTTP_NEED_MORE);
	{
		char buf[6100];

		snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\nHost: a.example\r\n\r\n", target);
		cr_assert_eq(one(buf), HTTP_REQUEST);
	}
	cr_assert_eq(req.path_len, HTTP_PATH_MAX);
	cr_assert_eq(req.path_truncated, 1);
	cr_assert_eq(strlen(req.path), HTTP_PATH_MAX);
}

Test(http, pipelined_with_bodies)
{
	const char *s =
	    "POST /upload HTTP/1.1\r\nHost: a.example\r\nContent-Length: 11\r\n\r\n"
	    "hello world"
	    "GET /two HTTP/1.1\r\nHost: b.example\r\n\r\n"
	    "PUT /three HTTP/1.1\r\nHost: c.example\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n"
	    "GET /four HTTP/1.1\r\nHost: d.example\r\n\r\n";
	const uint8_t *b = (const uint8_t *)s;
	size_t len = strlen(s), off = 0, used;
	const char *hosts[] = {"a.example", "b.example", "c.example", "d.example"};
	const char *paths[] = {"/upload", "/two", "/three", "/four"};
	int i;

	for (i = 0; i < 4; i++) {
		int r = http_parse(&p, b + off, len - off, &used, &req);

		cr_assert_eq(r, HTTP_REQUEST, "request %d: %s %s", i, http_result_name(r),
		    req.why ? req.why : "");
		cr_assert_str_eq(req.host, hosts[i]);
		cr_assert_str_eq(req.path, paths[i]);
		off += used;
	}
	cr_assert_eq(http_parse(&p, b + off, len - off, &used, &req), HTTP_NEED_MORE);
	cr_assert_eq(off + used, len);
	cr_assert_eq(p.requests, 4);
	cr_assert_eq(p.chunked, 1);
}

/* The same stream fed one byte at a time, keeping unconsumed bytes as a caller would. */
Test(http, keep_alive_byte_by_byte)
{
	const char *s =
	    "POST /a HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\n\r\nabc"
	    "POST /b HTTP/1.1\r\nHost: b.example\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
	    "a\r\n0123456789\r\n0\r\n\r\n"
	    "\r\nGET /c HTTP/1.0\nHost: c.example\n\n";
	uint8_t win[512];
	size_t have = 0, i, used, n = strlen(s);
	char got[256] = "";

	for (i = 0; i < n; i++) {
		int r;

		win[have++] = (uint8_t)s[i];
		while ((r = http_parse(&p, win, have, &used, &req)) == HTTP_REQUEST) {
			strcat(got, req.host);
			strcat(got, req.path);
			strcat(got, " ");
			memmove(win, win + used, have - used);
			have -= used;
		}
		cr_assert_eq(r, HTTP_NEED_MORE, "at byte %zu: %s %s", i, http_result_name(r),
		    req.why ? req.why : "");
		memmove(win, win + used, have - used);
		have -= used;
	}
	cr_assert_str_eq(got, "a.example/a b.example/b c.example/c ");
	cr_assert_eq(have, 0);
}

Test(http, malformed_requests)
{
	cr_assert_eq(one("GET /a HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n"),
	    HTTP_MALFORMED);
	cr_assert_eq(one("GET /a HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: gzip\r\n\r\n"),
	    HTTP_MALFORMED);
	cr_assert_eq(one("GET /a HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\n"
			 "Content-Length: 4\r\n\r\n"),
	    HTTP_MALFORMED);
	cr_assert_eq(one("GET /a HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\n"
			 "Content-Length: 3\r\n\r\n"),
	    HTTP_REQUEST);
	cr_assert_eq(one("GET /a HTTP/1.1\r\nHost: a.example\r\nContent-Length: -1\r\n\r\n"),
	    HTTP_MALFORMED);
	cr_assert_eq(one("GET /a HTTP/1.1\r\nHost: a.example\r\n folded\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET /a HTTP/1.1\r\nHost: a.example\r\nnocolon\r\n\r\n"), HTTP_REQUEST);
	cr_assert_eq(one("GET /a HTTP/1.1\r\n folded\r\nHost: a.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET /a HTTP/1.1\r\nHost: a.example\r\n:x\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET /a b HTTP/1.1\r\nHost: a.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET /a HTTP/2.0\r\nHost: a.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("POST /a\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET /a HTTP/0.9\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET /a HTTP/1.100\r\nHost: a.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET /a HTTP/1.1 x\r\nHost: a.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET a.example/a HTTP/1.1\r\nHost: a.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("GET /a\x01 HTTP/1.1\r\nHost: a.example\r\n\r\n"), HTTP_MALFORMED);
	cr_assert_eq(one("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), HTTP_NOT_HTTP);
	cr_assert_eq(one("\x16\x03\x01\x02\x00"), HTTP_NOT_HTTP);
	cr_assert_eq(one("G"), HTTP_NEED_MORE);
	cr_assert_eq(one("GET /a HTTP/1.1\r\nHost: a.example\r\n"), HTTP_NEED_MORE);
}

/* Parses n bytes of s (NULs included) as one request. */
static int
one_n(const char *s, size_t n)
{
	size_t used;

	http_parser_init(&p);
	return http_parse(&p, (const uint8_t *)s, n, &used, &req);
}

/*
 * Requests nginx and Apache serve, each naming the host they serve: blockd
 * reads the same host from them, where it used to call them malformed (and
 * the connection then passed).
 */
Test(http, read_as_leniently_as_servers)
{
	static const struct {
		const char *req, *host;
		uint8_t version;
	} ok[] = {
	    {"GET  /x   HTTP/1.1 \r\nHost: blocked.example\r\n\r\n", "blocked.example", 11},
	    {"GET\t/x\tHTTP/1.1\r\nHost: blocked.example\r\n\r\n", "blocked.example", 11},
	    {"GET /x HTTP/1.2\r\nHost: blocked.example\r\n\r\n", "blocked.example", 11},
	    {"GET /x HTTP/1.99\r\nHost: blocked.example\r\n\r\n", "blocked.example", 11},
	    {"GET /x HTTP/1.00\r\nHost: blocked.example\r\n\r\n", "blocked.example", 10},
	    {"GET /x HTTP/1.0\r\nHost: blocked.example\r\n\r\n", "blocked.example", 10},
	    {"GET /x HTTP/1.1\nHost: blocked.example\n\n", "blocked.example", 11},
	    {"GET /x HTTP/1.1\r\nX{y}: 1\r\nHost: blocked.example\r\n\r\n", "blocked.example", 11},
	    {"GET /x HTTP/1.1\r\nX-Ctl: \x01\x7f\x1b\r\nHost: blocked.example\r\n\r\n",
		"blocked.example", 11},
	    {"GET /x HTTP/1.1\r\nX-Bin: \xff\xfe\r\nHost: blocked.example\r\n\r\n",
		"blocked.example", 11},
	    {"GET /x HTTP/1.1\r\nNoColon\r\nHost: blocked.example\r\n\r\n", "blocked.example", 11},
	    {"GET /x HTTP/1.1\r\nX-A: 1\r\n  folded\r\nHost: blocked.example\r\n\r\n",
		"blocked.example", 11},
	    /* Apache: a folded line after an empty Host is the host */
	    {"GET /x HTTP/1.1\r\nHost:\r\n blocked.example\r\n\r\n", "blocked.example", 11},
	    {"GET /x HTTP/1.1\r\nHost: BLOCKED.EXAMPLE.:8080\r\n\r\n", "blocked.example", 11},
	    {"GET /x HTTP/1.1\r\nHost: blocked.example:http\r\n\r\n", "blocked.example", 11},
	    {"GET /x HTTP/1.1\r\nHost: _x.blocked.example\r\n\r\n", "_x.blocked.example", 11},
	    {"GET wss://blocked.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n", "blocked.example",
		11},
	    /* HTTP/0.9: nginx serves a GET without a version; the URL names the host */
	    {"GET http://blocked.example/x\r\n", "blocked.example", 9},
	    {"GET http://blocked.example/x   \r\n", "blocked.example", 9},
	    {"GET /x\n", "", 9},
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int r = one(ok[i].req);

		cr_assert_eq(r, HTTP_REQUEST, "%zu: %s (%s)", i, http_result_name(r), req.why);
		cr_assert_str_eq(req.host, ok[i].host, "%zu", i);
		cr_assert_eq(req.version, ok[i].version, "%zu", i);
	}

	/* any number of empty lines first */
	{
		static char buf[8192];
		size_t n = 0, used;

		while (n < 4000) {
			memcpy(buf + n, "\r\n", 2);
			n += 2;
		}
		strcpy(buf + n, "GET / HTTP/1.1\r\nHost: blocked.example\r\n\r\n");
		http_parser_init(&p);
		cr_assert_eq(http_parse(&p, (uint8_t *)buf, 100, &used, &req), HTTP_NEED_MORE);
		cr_assert_eq(used, 100);
		cr_assert_eq(http_parse(&p, (uint8_t *)buf + used, strlen(buf) - used, &used, &req),
		    HTTP_REQUEST);
		cr_assert_str_eq(req.host, "blocked.example");
	}

	/* names blockd cannot match whole keep their labels at the right */
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: a!b.blocked.example\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "blocked.example");
	cr_assert(req.odd_host);
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: .blocked.example\r\n\r\n"), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "blocked.example");
	cr_assert_eq(one("GET / HTTP/1.1\r\nHost: blocked.example!\r\n\r\n"), HTTP_REQUEST);
	cr_assert_eq(req.has_host, 0);

	/* a NUL: nginx refuses the request */
	{
		static const char nul[] =
		    "GET / HTTP/1.1\r\nX: a\0b\r\nHost: blocked.example\r\n\r\n";

		cr_assert_eq(one_n(nul, sizeof(nul) - 1), HTTP_MALFORMED);
	}
	cr_assert_str_eq(req.why, "NUL in a header line");

	/* after HTTP/0.9 the server closes: the rest is not read */
	{
		const char *s = "GET /x\r\nGET / HTTP/1.1\r\nHost: blocked.example\r\n\r\n";
		size_t used;

		http_parser_init(&p);
		cr_assert_eq(
		    http_parse(&p, (const uint8_t *)s, strlen(s), &used, &req), HTTP_REQUEST);
		cr_assert_eq(used, 8);
		cr_assert_eq(
		    http_parse(&p, (const uint8_t *)s + used, strlen(s) - used, &used, &req),
		    HTTP_DONE);
	}
}

Test(http, bad_chunks)
{
	const char *heads =
	    "POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n";
	const char *bodies[] = {"x\r\n", "5\r\nhelloX", "1234567890abcdef0\r\n", ";\r\n"};
	size_t i, used;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char buf[256];
		size_t hl = strlen(heads);

		snprintf(buf, sizeof(buf), "%s%s", heads, bodies[i]);
		http_parser_init(&p);
		cr_assert_eq(
		    http_parse(&p, (uint8_t *)buf, strlen(buf), &used, &req), HTTP_REQUEST);
		cr_assert_eq(used, hl);
		cr_assert_eq(http_parse(&p, (uint8_t *)buf + used, strlen(buf) - used, &used, &req),
		    HTTP_MALFORMED, "body %zu", i);
	}
}

Test(http, head_too_long)
{
	static char buf[80000];
	size_t used;

	/* Longer than a flow's byte budget: a Host past it is never read. */
	strcpy(buf, "GET / HTTP/1.1\r\nX-Pad: ");
	memset(buf + strlen(buf), 'x', 70000);
	cr_assert_eq(http_parse(&p, (uint8_t *)buf, strlen(buf), &used, &req), HTTP_TOO_LONG);
}

/*
 * Upgrade ends parsing only when the server switched protocols, which
 * blockd sees by what the client sends next: a WebSocket frame is not a
 * request (HTTP_DONE), but nginx serving files never switches, and a next
 * request on the connection is read and judged as any other.
 */
Test(http, upgrade_ends_parsing_only_when_the_protocol_switched)
{
	const char *s = "GET /chat HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\n\r\n\x81\x85";
	const char *t = "GET / HTTP/1.1\r\nHost: a.example\r\nUpgrade: h2c\r\n\r\n"
			"GET /two HTTP/1.1\r\nHost: blocked.example\r\n\r\n";
	size_t used;

	cr_assert_eq(http_parse(&p, (const uint8_t *)s, strlen(s), &used, &req), HTTP_REQUEST);
	cr_assert_eq(req.upgrade, 1);
	cr_assert_eq(
	    http_parse(&p, (const uint8_t *)s + used, strlen(s) - used, &used, &req), HTTP_DONE);
	cr_assert_eq(http_parse(&p, (const uint8_t *)"GET", 3, &used, &req), HTTP_DONE);

	http_parser_init(&p);
	cr_assert_eq(http_parse(&p, (const uint8_t *)t, strlen(t), &used, &req), HTTP_REQUEST);
	cr_assert_eq(req.upgrade, 1);
	cr_assert_eq(
	    http_parse(&p, (const uint8_t *)t + used, strlen(t) - used, &used, &req), HTTP_REQUEST);
	cr_assert_str_eq(req.host, "blocked.example");
	/* without an Upgrade before, bytes that are not HTTP are just that */
	http_parser_init(&p);
	cr_assert_eq(http_parse(&p, (const uint8_t *)"\x81\x85", 2, &used, &req), HTTP_NOT_HTTP);
}

Test(http, fuzzed_heads_stay_in_bounds)
{
	const char *base =
	    "POST http://a.example:81/x/../%41?b HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
	size_t n = strlen(base), i, used;
	unsigned seed = 3;

	for (i = 0; i < 5000; i++) {
		uint8_t *b = malloc(n);
		size_t len, off = 0;
		int r, guard = 0;

		memcpy(b, base, n);
		seed = seed * 1103515245u + 12345u;
		b[(seed >> 8) % n] = (uint8_t)(seed >> 24);
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % (n + 1);
		http_parser_init(&p);
		while ((r = http_parse(&p, b + off, len - off, &used, &req)) == HTTP_REQUEST &&
		    guard++ < 10) {
			cr_assert_leq(used, len - off);
			cr_assert_eq(strlen(req.host), req.host_len);
			off += used;
		}
		free(b);
	}
}

static const struct http_notice notice = {
    .service = "Deepfake <Studio> & \"Friends\"",
    .order_ref = "CL-2026-000123",
    .authority = "High Court of Justice",
    .notice = "Blocked under s.1 <script>alert(1)</script>",
    .notice_url = "https://regulator.example/orders/CL-2026-000123",
    .appeal_url = "javascript:alert(1)",
};

Test(http, render_451_default)
{
	static char buf[8192];
	int n = http_render_451(buf, sizeof(buf), NULL, &notice);
	const char *body;
	size_t cl;

	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert(strncmp(buf, "HTTP/1.1 451 Unavailable For Legal Reasons\r\n", 44) == 0);
	cr_assert_not_null(strstr(buf,
	    "\r\nLink: <https://regulator.example/orders/CL-2026-000123>; "
	    "rel=\"blocked-by\"\r\n"));
	cr_assert_not_null(strstr(buf, "\r\nConnection: close\r\n"));
	cr_assert_not_null(strstr(buf, "Deepfake &lt;Studio&gt; &amp; &quot;Friends&quot;"));
	cr_assert_not_null(strstr(buf, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	cr_assert_null(strstr(buf, "<script>"));
	cr_assert_null(strstr(buf, "javascript:"), "non-http URLs are dropped");
	cr_assert_not_null(strstr(buf,
			       "<a href=\"https://regulator.example/orders/CL-2026-000123\">"
			       "How to challenge"),
	    "without a usable appeal URL the order's notice is where to appeal");
	cr_assert_null(strstr(buf, "href=\"\""), "no empty links");
	cr_assert_not_null(strstr(buf, "CL-2026-000123</dd>"));
	cr_assert_null(strstr(buf, "{{"), "every placeholder replaced");
	body = strstr(buf, "\r\n\r\n") + 4;
	cl = (size_t)atol(strstr(buf, "Content-Length: ") + 16);
	cr_assert_eq(cl, strlen(body));
}

Test(http, render_451_template_and_limits)
{
	char buf[1024];
	char err[200];
	const char *tmpl = "<p>{{order}}|{{service}}|{{appeal_url}}|{{nope}}</p>";
	struct http_notice nt = notice;
	int n;

	nt.appeal_url = "https://isp.example/appeal?a=1&b=2";
	nt.blocked_by = "https://isp.example/blocking";
	n = http_render_451(buf, sizeof(buf), tmpl, &nt);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_assert_not_null(strstr(buf, "Link: <https://isp.example/blocking>; rel=\"blocked-by\""));
	cr_assert_not_null(strstr(buf,
	    "\r\n\r\n<p>CL-2026-000123|Deepfake &lt;Studio&gt; &amp; &quot;Friends&quot;|"
	    "https://isp.example/appeal?a=1&amp;b=2|{{nope}}</p>"));
	cr_assert_eq(http_render_451(buf, (size_t)n - 1, tmpl, &nt), -1);
	cr_assert_eq(http_render_451(buf, (size_t)n, tmpl, &nt), n);

	nt.blocked_by = "https://bad.example/\r\nSet-Cookie: x";
	nt.notice_url = NULL;
	n = http_render_451(buf, sizeof(buf), tmpl, &nt);
	buf[n] = '\0';
	cr_assert_null(strstr(buf, "Link:"), "an unsafe URL never reaches a header");
	cr_assert_null(strstr(buf, "Set-Cookie"));

	cr_assert_eq(http_template_check(http_default_template, err, sizeof(err)), 0);
	cr_assert_eq(http_template_check("a\nb {{service}}\n{{servce}}", err, sizeof(err)), -1);
	cr_assert(strncmp(err, "line 3: unknown placeholder {{servce}}", 38) == 0, "%s", err);
}

/* Keep-alive past the reassembly window: requests with bodies, segments out of order. */
Test(http, keep_alive_through_reasm_window)
{
	static uint8_t stream[120000];
	static char body[6000];
	struct reasm *r = malloc(sizeof(*r));
	size_t len = 0, off, seg = 1000, used;
	uint32_t isn = 77;
	int i, got = 0;

	memset(body, 'b', sizeof(body) - 1);
	for (i = 0; i < 15; i++)
		len += (size_t)snprintf((char *)stream + len, sizeof(stream) - len,
		    "POST /item/%d HTTP/1.1\r\nHost: h%d.example\r\nContent-Length: %zu\r\n\r\n%s",
		    i, i, sizeof(body) - 1, body);
	cr_assert_gt(len, 5 * REASM_MAX);
	reasm_reset(r);
	/* pairs of segments, the second of each pair first */
	for (off = 0; off < len; off += 2 * seg) {
		size_t a = len - off < seg ? len - off : seg;
		size_t b = len - off - a < seg ? len - off - a : seg;
		int rc;

		if (b)
			reasm_add_tcp(r, isn, isn + 1 + (uint32_t)(off + a), stream + off + a, b);
		reasm_add_tcp(r, isn, isn + 1 + (uint32_t)off, stream + off, a);
		while ((rc = http_parse(&p, reasm_data(r), reasm_contig(r), &used, &req)) ==
		    HTTP_REQUEST) {
			char want[32];

			snprintf(want, sizeof(want), "h%d.example", got);
			cr_assert_str_eq(req.host, want);
			got++;
			reasm_consume(r, used);
		}
		cr_assert_eq(
		    rc, HTTP_NEED_MORE, "%s %s", http_result_name(rc), req.why ? req.why : "");
		reasm_consume(r, used);
	}
	cr_assert_eq(got, 15);
	cr_assert_eq(r->base, len, "base %llu len %zu contig %zu", (unsigned long long)r->base, len,
	    reasm_contig(r));
	free(r);
}
