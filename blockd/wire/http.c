/* HTTP/1.x request parser: request heads whole, bodies skipped by length or chunk by chunk. */
#include <string.h>

#include "base/bytes.h"
#include "hostname.h"
#include "http.h"

enum {
	ST_HEAD = 0,
	ST_BODY,       /* left bytes of Content-Length body */
	ST_CHUNK_SIZE, /* hex digits */
	ST_CHUNK_EXT,  /* to the end of the size line */
	ST_CHUNK_DATA, /* left bytes of chunk data */
	ST_CHUNK_CR,   /* CRLF after chunk data */
	ST_CHUNK_LF,
	ST_TRAILER_START, /* start of a trailer line (or the final empty line) */
	ST_TRAILER_LINE,
	ST_TRAILER_LF, /* saw CR of the final empty line */
};

#define CHUNK_EXT_MAX 4096

void
http_parser_init(struct http_parser *p)
{
	memset(p, 0, sizeof(*p));
}

int
http_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '!':
	case '#':
	case '$':
	case '%':
	case '&':
	case '\'':
	case '*':
	case '+':
	case '-':
	case '.':
	case '^':
	case '_':
	case '`':
	case '|':
	case '~':
		return 1;
	}
	return 0;
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static int
ieq(const uint8_t *a, size_t n, const char *b)
{
	size_t i;

	if (strlen(b) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower(a[i]) != (uint8_t)b[i])
			return 0;
	return 1;
}

/* The end of a chunk-size line: data follows, or the last chunk's trailer. */
static void
size_line_done(struct http_parser *p)
{
	p->aux = 0;
	p->state = p->left ? ST_CHUNK_DATA : ST_TRAILER_START;
}

/*
 * Skips body bytes per the parser state. Returns bytes used from buf; sets
 * *bad on a broken chunk encoding.
 */
static size_t
skip_body(struct http_parser *p, const uint8_t *buf, size_t len, const char **bad)
{
	size_t i = 0;

	while (i < len && p->state != ST_HEAD) {
		uint8_t c = buf[i];
		int v;

		switch (p->state) {
		case ST_BODY:
		case ST_CHUNK_DATA: {
			size_t n = len - i < p->left ? len - i : (size_t)p->left;

			i += n;
			p->left -= n;
			if (p->left == 0)
				p->state = p->state == ST_BODY ? ST_HEAD : ST_CHUNK_CR;
			continue;
		}
		case ST_CHUNK_SIZE:
			if ((v = hexval(c)) >= 0) {
				if (++p->aux > 15) {
					*bad = "chunk size too large";
					return i;
				}
				p->left = p->left << 4 | (uint64_t)v;
			} else if (p->aux == 0) {
				*bad = "chunk size missing";
				return i;
			} else if (c == '\n') {
				size_line_done(p);
			} else if (c == ';' || c == ' ' || c == '\t' || c == '\r') {
				p->state = ST_CHUNK_EXT;
				p->aux = 0;
			} else {
				*bad = "bad character in chunk size";
				return i;
			}
			break;
		case ST_CHUNK_EXT:
			if (c == '\n') {
				size_line_done(p);
			} else if (++p->aux > CHUNK_EXT_MAX) {
				*bad = "chunk extension too long";
				return i;
			}
			break;
		case ST_CHUNK_CR:
		case ST_CHUNK_LF:
			if (c == '\r' && p->state == ST_CHUNK_CR) {
				p->state = ST_CHUNK_LF;
				break;
			}
			if (c != '\n') { /* CRLF, or a bare LF, ends the data */
				*bad = "chunk data not followed by CRLF";
				return i;
			}
			p->state = ST_CHUNK_SIZE;
			p->left = 0;
			p->aux = 0;
			break;
		case ST_TRAILER_START:
			if (c == '\r') {
				p->state = ST_TRAILER_LF;
			} else if (c == '\n') {
				p->state = ST_HEAD;
			} else {
				p->state = ST_TRAILER_LINE;
				p->aux++;
			}
			break;
		case ST_TRAILER_LF:
			if (c != '\n') {
				*bad = "bad end of chunked trailer";
				return i;
			}
			p->state = ST_HEAD;
			break;
		case ST_TRAILER_LINE:
			if (++p->aux > HTTP_HEAD_MAX) {
				*bad = "chunked trailer too long";
				return i;
			}
			if (c == '\n')
				p->state = ST_TRAILER_START;
			break;
		}
		i++;
	}
	return i;
}

/*
 * Host value or authority to req->host, read as nginx reads it
 * (ngx_http_validate_host()): surrounding whitespace trimmed, whatever
 * follows a ':' (the port) dropped, one trailing dot dropped, lowercased;
 * a space, a control, '/' or an empty label refuses it. Returns NULL or why
 * it is refused.
 */
static const char *
take_host(const uint8_t *s, size_t n, struct http_request *req)
{
	size_t i, end, start;

	while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	req->host_len = 0;
	req->host[0] = '\0';
	req->has_host = req->odd_host = 0;
	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] <= 0x20 || s[i] == 0x7f || s[i] == '/')
			return "bad character in host";
		if (s[i] == '.' && i > 0 && s[i - 1] == '.')
			return "empty label in host";
	}
	if (s[0] == '[') {
		for (end = 1; end < n && s[end] != ']'; end++)
			if (hexval(s[end]) < 0 && s[end] != ':' && s[end] != '.')
				return "bad IPv6 literal in host";
		if (end == n || end == 1)
			return "unterminated IPv6 literal in host";
		if (end + 1 < n && s[end + 1] != ':')
			return "junk after IPv6 literal in host";
		if (end - 1 > HTTP_HOST_MAX)
			return "host longer than 253 bytes";
		for (i = 1; i < end; i++)
			req->host[i - 1] = (char)lower(s[i]);
		req->host_len = end - 1;
		req->host[req->host_len] = '\0';
		req->has_host = 1;
		return NULL;
	}
	for (end = 0; end < n && s[end] != ':'; end++)
		;
	if (end > 0 && s[end - 1] == '.')
		end--;
	if (end == 0)
		return "empty host name";
	/* The longest run of whole labels at the right that blockd can match. */
	start = hostname_right(s, end, HTTP_HOST_MAX);
	for (i = start; i < end; i++)
		req->host[i - start] = (char)lower(s[i]);
	req->host_len = end - start;
	req->host[req->host_len] = '\0';
	req->has_host = req->host_len > 0;
	req->odd_host = start > 0;
	return NULL;
}

static int
unreserved(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

struct pbuf {
	char *p;
	size_t len, cap;
	int truncated;
};

static void
pput(struct pbuf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len) {
		n = b->cap - b->len;
		b->truncated = 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/*
 * Normalises one decoded-as-far-as-safe segment stream into req->path:
 * see http.h for the rules. s is the path part (from the first '/', before
 * any '?'), q the query (with its '?') or empty.
 */
static void
take_path(const uint8_t *s, size_t n, const uint8_t *q, size_t qn, struct http_request *req)
{
	struct pbuf b = {req->path, 0, HTTP_PATH_MAX, 0};
	size_t i = 0;
	/* starts of the segments written, to pop on ".." (a path has at most n/2 of them) */
	size_t starts[HTTP_PATH_MAX / 2 + 1], depth = 0;
	int trailing = 0;

	while (i < n) {
		char seg[HTTP_PATH_MAX];
		size_t sl = 0;

		while (i < n && s[i] == '/')
			i++;
		if (i == n) {
			trailing = 1;
			break;
		}
		/* one segment, with unreserved escapes decoded */
		while (i < n && s[i] != '/') {
			char enc[3];
			int hi, lo;

			if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
			    (lo = hexval(s[i + 2])) >= 0) {
				uint8_t c = (uint8_t)(hi << 4 | lo);

				if (unreserved(c)) {
					if (sl < sizeof(seg))
						seg[sl++] = (char)c;
				} else {
					enc[0] = '%';
					enc[1] = "0123456789ABCDEF"[hi];
					enc[2] = "0123456789ABCDEF"[lo];
					if (sl + 3 <= sizeof(seg)) {
						memcpy(seg + sl, enc, 3);
						sl += 3;
					}
				}
				i += 3;
				continue;
			}
			if (sl < sizeof(seg))
				seg[sl++] = (char)s[i];
			i++;
		}
		trailing = 0;
		if (sl == 1 && seg[0] == '.') {
			trailing = 1;
			continue;
		}
		if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			if (depth > 0)
				b.len = starts[--depth];
			b.truncated = b.truncated && b.len == b.cap;
			trailing = 1;
			continue;
		}
		if (depth < sizeof(starts) / sizeof(starts[0]))
			starts[depth++] = b.len;
		pput(&b, "/", 1);
		pput(&b, seg, sl);
	}
	if (b.len == 0 || trailing)
		pput(&b, "/", 1);
	pput(&b, (const char *)q, qn);
	req->path[b.len] = '\0';
	req->path_len = b.len;
	req->path_truncated = (uint8_t)b.truncated;
}

/* The request-target: form, host from an absolute form's authority, path. */
static const char *
take_target(const uint8_t *t, size_t n, int is_connect, int is_options, struct http_request *req,
    int *authority_host)
{
	size_t i, pstart, pend, qend;
	const char *why;

	*authority_host = 0;
	for (i = 0; i < n; i++)
		if (t[i] <= 0x20 || t[i] == 0x7f)
			return "control character or space in request-target";
	if (is_connect) {
		req->form = HTTP_FORM_AUTHORITY;
		req->path[0] = '\0';
		req->path_len = 0;
		*authority_host = 1;
		return take_host(t, n, req);
	}
	if (n == 1 && t[0] == '*' && is_options) {
		req->form = HTTP_FORM_ASTERISK;
		req->path[0] = '\0';
		req->path_len = 0;
		return NULL;
	}
	if (n > 0 && t[0] == '/') {
		req->form = HTTP_FORM_ORIGIN;
		pstart = 0;
	} else {
		size_t a = 0;

		/* scheme "://": nginx takes a host from a URL of any scheme */
		while (a < n &&
		    ((lower(t[a]) >= 'a' && lower(t[a]) <= 'z') ||
			(a > 0 &&
			    ((t[a] >= '0' && t[a] <= '9') || t[a] == '+' || t[a] == '-' ||
				t[a] == '.'))))
			a++;
		if (a == 0 || n - a < 3 || memcmp(t + a, "://", 3) != 0)
			return "request-target is neither a path nor a URL";
		a += 3;
		req->form = HTTP_FORM_ABSOLUTE;
		for (pstart = a;
		     pstart < n && t[pstart] != '/' && t[pstart] != '?' && t[pstart] != '#';
		     pstart++)
			;
		/* userinfo@ is dropped: the host is what follows the last '@' */
		for (i = pstart; i > a; i--)
			if (t[i - 1] == '@') {
				a = i;
				break;
			}
		if ((why = take_host(t + a, pstart - a, req)) != NULL)
			return why;
		if (!req->has_host)
			return "absolute URL without a host";
		*authority_host = 1;
	}
	for (pend = pstart; pend < n && t[pend] != '?' && t[pend] != '#'; pend++)
		;
	for (qend = pend; qend < n && t[qend] != '#'; qend++)
		;
	take_path(t + pstart, pend - pstart, t + pend, qend - pend, req);
	return NULL;
}

static int
bad(struct http_request *req, const char *why)
{
	req->why = why;
	return HTTP_MALFORMED;
}

/*
 * "HTTP/" major "." minor, as nginx takes it: major 1 (2 and above are
 * refused), minor 0 to 99 (1.2 is read as 1.1). Sets *version to 10 or 11;
 * returns NULL or why it is refused.
 */
static const char *
take_version(const uint8_t *v, size_t n, uint8_t *version)
{
	size_t i = 5, d;
	unsigned major = 0, minor = 0;

	if (n < 8 || !ieq(v, 5, "http/"))
		return "version is not HTTP/1.x";
	for (d = i; i < n && v[i] >= '0' && v[i] <= '9' && major < 100; i++)
		major = major * 10 + (unsigned)(v[i] - '0');
	if (i == d || i == n || v[i] != '.')
		return "version is not HTTP/1.x";
	for (d = ++i; i < n && v[i] >= '0' && v[i] <= '9' && minor < 100; i++)
		minor = minor * 10 + (unsigned)(v[i] - '0');
	if (i == d || i != n || major != 1 || minor > 99)
		return "version is not HTTP/1.x";
	*version = minor == 0 ? 10 : 11;
	return NULL;
}

/* One complete head in buf[0..len) (its final empty line included). */
static int
parse_head(struct http_parser *p, const uint8_t *buf, size_t len, struct http_request *req)
{
	size_t i = 0, ls, le, hosts = 0, cls = 0;
	const uint8_t *hostv = NULL;
	size_t hostn = 0;
	int te = 0, authority_host = 0, last = 0; /* last field: 0 none, 'h' Host, 'o' other */
	uint64_t cl = 0;
	const char *why;

	/*
	 * The request line, as nginx reads it: the method, one or more spaces,
	 * the target, and either the end of the line (HTTP/0.9, GET only: the
	 * request has no header section) or spaces and HTTP/1.x, any minor
	 * version up to 99; spaces at the end of the line are ignored.
	 */
	for (le = 0; buf[le] != '\n'; le++)
		;
	ls = le;
	while (ls > 0 && (buf[ls - 1] == '\r' || buf[ls - 1] == ' ' || buf[ls - 1] == '\t'))
		ls--;
	while (i < ls && buf[i] != ' ' && buf[i] != '\t')
		i++;
	req->method = (const char *)buf;
	req->method_len = i;
	while (i < ls && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	if (i == ls)
		return bad(req, "request line has no target");
	req->target = (const char *)buf + i;
	while (i < ls && buf[i] != ' ' && buf[i] != '\t')
		i++;
	req->target_len = (size_t)((const char *)buf + i - req->target);
	while (i < ls && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	if (i == ls) {
		if (req->method_len != 3 || memcmp(buf, "GET", 3) != 0)
			return bad(req, "HTTP/0.9 request with a method other than GET");
		req->version = 9;
		len = le + 1; /* no header fields */
	} else if ((why = take_version(buf + i, ls - i, &req->version)) != NULL) {
		if (req->method_len == 3 && memcmp(buf, "PRI", 3) == 0) {
			req->why = "HTTP/2 connection preface";
			return HTTP_NOT_HTTP;
		}
		return bad(req, why);
	}

	/*
	 * Header fields, read as leniently as nginx and Apache read them: a
	 * field name with other bytes than a token's is not one blockd needs
	 * (nginx ignores the line), nor is a line without a colon; spaces before
	 * the colon are dropped, as a lenient server does (nginx and Apache
	 * refuse the request); a value may hold any byte but NUL. A line
	 * starting with a space continues the field before it, as Apache reads
	 * it (nginx refuses it): after an empty Host, it is the host.
	 */
	for (i = le + 1; i < len; i = le + 1) {
		size_t colon, ne, vs, ve;

		for (le = i; buf[le] != '\n'; le++)
			;
		ls = le > i && buf[le - 1] == '\r' ? le - 1 : le;
		if (ls == i)
			break; /* the empty line */
		if (memchr(buf + i, '\0', ls - i) != NULL)
			return bad(req, "NUL in a header line");
		if (buf[i] == ' ' || buf[i] == '\t') {
			if (last == 0)
				return bad(req, "obsolete line folding before the first field");
			if (last != 'h')
				continue;
			for (vs = i; vs < ls && (buf[vs] == ' ' || buf[vs] == '\t'); vs++)
				;
			if (hostn > 0 && vs < ls)
				return bad(req, "Host folded over two lines");
			if (vs < ls) {
				hostv = buf + vs;
				hostn = ls - vs;
			}
			continue;
		}
		for (colon = i; colon < ls && buf[colon] != ':'; colon++)
			;
		if (colon == i)
			return bad(req, "header line is not name: value");
		last = 'o';
		if (colon == ls)
			continue;
		for (ne = colon; ne > i && (buf[ne - 1] == ' ' || buf[ne - 1] == '\t'); ne--)
			;
		for (vs = colon + 1; vs < ls && (buf[vs] == ' ' || buf[vs] == '\t'); vs++)
			;
		for (ve = ls; ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'); ve--)
			;
		if (ieq(buf + i, ne - i, "host")) {
			last = 'h';
			if (++hosts > 1) {
				struct http_request second;

				/* Both names, for a caller that judges what a server may read. */
				if (take_host(buf + vs, ve - vs, &second) == NULL) {
					memcpy(req->host2, second.host, second.host_len + 1);
					req->host2_len = second.host_len;
				}
				if (take_host(hostv, hostn, req) != NULL)
					req->host_len = 0;
				return bad(req, "more than one Host");
			}
			hostv = buf + vs;
			hostn = ve - vs;
		} else if (ieq(buf + i, ne - i, "content-length")) {
			uint64_t v = 0;
			size_t k;

			if (ve == vs)
				return bad(req, "empty Content-Length");
			for (k = vs; k < ve; k++) {
				if (buf[k] < '0' || buf[k] > '9')
					return bad(req, "Content-Length is not a number");
				if (v > (UINT64_MAX - 9) / 10)
					return bad(req, "Content-Length too large");
				v = v * 10 + (uint64_t)(buf[k] - '0');
			}
			if (cls++ && v != cl)
				return bad(req, "Content-Length values differ");
			cl = v;
		} else if (ieq(buf + i, ne - i, "transfer-encoding")) {
			size_t k = ve;

			/* the last coding must be chunked */
			while (k > vs && buf[k - 1] != ',')
				k--;
			while (k < ve && (buf[k] == ' ' || buf[k] == '\t'))
				k++;
			te = ieq(buf + k, ve - k, "chunked") ? 1 : -1;
		} else if (ieq(buf + i, ne - i, "upgrade")) {
			req->upgrade = 1;
		}
	}
	if (te < 0)
		return bad(req, "Transfer-Encoding does not end in chunked");
	if (te && cls)
		return bad(req, "both Transfer-Encoding and Content-Length");
	if (hosts == 0 && req->version == 11)
		return bad(req, "HTTP/1.1 request without Host");
	if ((why = take_target((const uint8_t *)req->target, req->target_len,
		 req->method_len == 7 && memcmp(req->method, "CONNECT", 7) == 0,
		 req->method_len == 7 && memcmp(req->method, "OPTIONS", 7) == 0, req,
		 &authority_host)) != NULL)
		return bad(req, why);
	if (!authority_host && hostv != NULL && (why = take_host(hostv, hostn, req)) != NULL)
		return bad(req, why);
	if (req->form == HTTP_FORM_AUTHORITY)
		req->upgrade = 1;
	req->chunked = (uint8_t)(te > 0);
	req->content_length = cl;
	p->requests++;
	if (req->upgrade)
		p->upgraded = 1; /* what follows may be another protocol, if the server switched */
	if (req->version == 9) {
		p->done = 1; /* the server answers and closes */
	} else if (te > 0) {
		p->chunked++;
		p->state = ST_CHUNK_SIZE;
		p->left = 0;
		p->aux = 0;
	} else if (cl > 0) {
		p->state = ST_BODY;
		p->left = cl;
	}
	return HTTP_REQUEST;
}

/*
 * Bytes that are not an HTTP/1 request: after an Upgrade (or CONNECT) the
 * server switched protocols, so the rest is not HTTP/1 (HTTP_DONE);
 * otherwise the stream is not HTTP.
 */
static int
not_http(struct http_parser *p, struct http_request *req, const char *why)
{
	req->why = why;
	if (!p->upgraded)
		return HTTP_NOT_HTTP;
	p->done = 1;
	req->why = "not HTTP/1 after an Upgrade: the server switched protocols";
	return HTTP_DONE;
}

/* A request line without a version: HTTP/0.9 (method and target, nothing else). */
static int
is_http09(const uint8_t *l, size_t n)
{
	size_t i = 0, tokens = 0;

	while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
		n--;
	while (i < n) {
		while (i < n && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i < n)
			tokens++;
		while (i < n && l[i] != ' ' && l[i] != '\t')
			i++;
	}
	return tokens == 2;
}

int
http_parse(struct http_parser *p, const uint8_t *buf, size_t len, size_t *consumed,
    struct http_request *req)
{
	const char *why = NULL;
	size_t off, i, start;

	/* Field by field: the host and path buffers need only an empty string. */
	req->method = req->target = NULL;
	req->method_len = req->target_len = req->host_len = req->path_len = req->host2_len = 0;
	req->host2[0] = '\0';
	req->host[0] = req->path[0] = '\0';
	req->content_length = 0;
	req->has_host = req->form = req->version = req->chunked = req->upgrade = 0;
	req->path_truncated = 0;
	req->why = NULL;
	*consumed = 0;
	if (p->done)
		return HTTP_DONE;
	off = skip_body(p, buf, len, &why);
	*consumed = off;
	if (why != NULL)
		return bad(req, why);
	if (p->state != ST_HEAD)
		return HTTP_NEED_MORE;
	/* empty lines before a request line are ignored (RFC 9112 2.2), as many as nginx does */
	start = off;
	while (start < len && (buf[start] == '\r' || buf[start] == '\n'))
		start++;
	/* a method is a token: anything else is not HTTP, and need not wait for more */
	for (i = start; i < len && buf[i] != ' ' && buf[i] != '\t'; i++) {
		if (!http_tchar(buf[i]) || i - start >= HTTP_METHOD_MAX)
			return not_http(p, req,
			    i - start >= HTTP_METHOD_MAX ? "method longer than 32 bytes"
							 : "request does not start with a method");
	}
	if (i < len && i == start)
		return not_http(p, req, "request does not start with a method");
	/* find the empty line that ends the head: LF, then LF or CR LF */
	for (i = start; i < len;) {
		const uint8_t *lf = memchr(buf + i, '\n', len - i);
		size_t e;

		if (lf == NULL)
			break;
		e = (size_t)(lf - buf);
		if (i == start && e + 1 - start <= HTTP_HEAD_MAX &&
		    is_http09(buf + start, e - start)) {
			int r = parse_head(p, buf + start, e + 1 - start, req);

			if (r == HTTP_REQUEST)
				*consumed = e + 1;
			return r;
		}
		if (e > start &&
		    (buf[e - 1] == '\n' ||
			(e - start >= 2 && buf[e - 1] == '\r' && buf[e - 2] == '\n'))) {
			int r;

			if (e + 1 - start > HTTP_HEAD_MAX)
				break;
			if ((r = parse_head(p, buf + start, e + 1 - start, req)) == HTTP_REQUEST)
				*consumed = e + 1;
			if (r != HTTP_REQUEST && p->upgraded)
				return not_http(p, req, req->why);
			return r;
		}
		i = e + 1;
	}
	if (len - start >= HTTP_HEAD_MAX) {
		if (p->upgraded)
			return not_http(p, req, "request head longer than 64 KiB");
		req->why = "request head longer than 64 KiB";
		return HTTP_TOO_LONG;
	}
	*consumed = start;
	return HTTP_NEED_MORE;
}

const char *
http_result_name(int r)
{
	switch (r) {
	case HTTP_NEED_MORE:
		return "need-more";
	case HTTP_REQUEST:
		return "request";
	case HTTP_MALFORMED:
		return "malformed";
	case HTTP_TOO_LONG:
		return "too-long";
	case HTTP_NOT_HTTP:
		return "not-http";
	case HTTP_DONE:
		return "done";
	}
	return "unknown";
}
