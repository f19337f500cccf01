/* The HTTP 451 notice (RFC 7725): headers and an HTML page from a template, into a caller's buffer. */
#include <stdio.h>
#include <string.h>

#include "http.h"

const char http_default_template[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>451 Unavailable For Legal Reasons</title>\n"
    "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;"
    "line-height:1.5;color:#222}h1{font-size:1.4em}dt{font-weight:bold}</style>\n"
    "</head>\n"
    "<body>\n"
    "<h1>Blocked by legal order</h1>\n"
    "<p>Access to <strong>{{service}}</strong> from this network is blocked to comply with "
    "a legal order.</p>\n"
    "<dl>\n"
    "<dt>Order</dt><dd>{{order}}</dd>\n"
    "<dt>Issued by</dt><dd>{{authority}}</dd>\n"
    "</dl>\n"
    "<p>{{notice}}</p>\n"
    "<p><a href=\"{{notice_url}}\">The order and its published notice</a></p>\n"
    "<p><a href=\"{{appeal_url}}\">How to challenge this block</a></p>\n"
    "<p>Your Internet service provider applies this block because the law requires it.</p>\n"
    "</body>\n"
    "</html>\n";

enum { F_SERVICE, F_ORDER, F_AUTHORITY, F_NOTICE, F_NOTICE_URL, F_APPEAL_URL, F_N };

static const char *const field_names[F_N] = {
    "service", "order", "authority", "notice", "notice_url", "appeal_url"};

/* Writes up to cap bytes but counts them all, so one pass measures and the next writes. */
struct sink {
	char *buf;
	size_t cap, len;
};

static void
emit(struct sink *s, const char *p, size_t n)
{
	if (s->len < s->cap) {
		size_t room = s->cap - s->len;

		memcpy(s->buf + s->len, p, n < room ? n : room);
	}
	s->len += n;
}

static void
emit_str(struct sink *s, const char *p)
{
	emit(s, p, strlen(p));
}

static void
emit_escaped(struct sink *s, const char *v)
{
	for (; v != NULL && *v; v++) {
		unsigned char c = (unsigned char)*v;

		switch (c) {
		case '&':
			emit_str(s, "&amp;");
			break;
		case '<':
			emit_str(s, "&lt;");
			break;
		case '>':
			emit_str(s, "&gt;");
			break;
		case '"':
			emit_str(s, "&quot;");
			break;
		case '\'':
			emit_str(s, "&#39;");
			break;
		default:
			if (c >= 0x20 || c == '\n' || c == '\t')
				emit(s, (const char *)&c, 1);
			break;
		}
	}
}

/* An http(s) URL made of visible ASCII only, safe in an attribute and a Link header. */
static int
safe_url(const char *u)
{
	const char *p;

	if (u == NULL || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0))
		return 0;
	for (p = u; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("<>\"'\\", *p))
			return 0;
	return 1;
}

/* The placeholder at p ("{{name}}"): its index, and its length in *n; -1 if none. */
static int
placeholder(const char *p, size_t *n)
{
	int i;

	if (p[0] != '{' || p[1] != '{')
		return -1;
	for (i = 0; i < F_N; i++) {
		size_t l = strlen(field_names[i]);

		if (strncmp(p + 2, field_names[i], l) == 0 && p[2 + l] == '}' && p[3 + l] == '}') {
			*n = l + 4;
			return i;
		}
	}
	return -1;
}

static void
render_body(struct sink *s, const char *tmpl, const struct http_notice *nt)
{
	const char *notice_url = safe_url(nt->notice_url) ? nt->notice_url : "";
	/* Without an operator's appeal page, the order's own notice says how to challenge it. */
	const char *vals[F_N] = {nt->service, nt->order_ref, nt->authority, nt->notice, notice_url,
	    safe_url(nt->appeal_url) ? nt->appeal_url : notice_url};
	const char *p = tmpl, *run = tmpl;

	while (*p) {
		size_t n;
		int f;

		if (*p == '{' && (f = placeholder(p, &n)) >= 0) {
			emit(s, run, (size_t)(p - run));
			emit_escaped(s, vals[f]);
			p += n;
			run = p;
		} else {
			p++;
		}
	}
	emit(s, run, (size_t)(p - run));
}

int
http_template_check(const char *tmpl, char *err, size_t errlen)
{
	const char *p;
	unsigned line = 1;
	size_t n;

	for (p = tmpl; *p; p++) {
		if (*p == '\n')
			line++;
		if (p[0] != '{' || p[1] != '{')
			continue;
		if (placeholder(p, &n) >= 0) {
			p += n - 1;
			continue;
		}
		n = strcspn(p + 2, "}\n");
		snprintf(err, errlen,
		    "line %u: unknown placeholder {{%.*s}}; known: {{service}} "
		    "{{order}} {{authority}} {{notice}} {{notice_url}} {{appeal_url}}",
		    line, (int)(n > 40 ? 40 : n), p + 2);
		return -1;
	}
	return 0;
}

int
http_render_451(char *buf, size_t cap, const char *tmpl, const struct http_notice *nt)
{
	struct sink count = {NULL, 0, 0}, s = {buf, cap, 0};
	const char *link = nt->blocked_by ? nt->blocked_by : nt->notice_url;
	char num[32];

	if (tmpl == NULL)
		tmpl = http_default_template;
	render_body(&count, tmpl, nt);
	emit_str(&s,
	    "HTTP/1.1 451 Unavailable For Legal Reasons\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: ");
	snprintf(num, sizeof(num), "%zu", count.len);
	emit_str(&s, num);
	emit_str(&s, "\r\n");
	if (safe_url(link)) {
		emit_str(&s, "Link: <");
		emit_str(&s, link);
		emit_str(&s, ">; rel=\"blocked-by\"\r\n");
	}
	emit_str(&s,
	    "Cache-Control: no-store\r\n"
	    "Connection: close\r\n"
	    "\r\n");
	render_body(&s, tmpl, nt);
	if (s.len > cap || s.len > 0x7fffffff)
		return -1;
	return (int)s.len;
}
