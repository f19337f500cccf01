/* HTTP/1.x request parser: request heads whole, bodies skipped by length or chunk by chunk. */
#include <string.h>

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

static int
is_tchar(uint8_t c)
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

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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

/* Host value or authority to req->host. Returns NULL or why it is refused. */
static const char *
take_host(const uint8_t *s, size_t n, struct http_request *req)
{
	size_t i, end;

	while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	req->host_len = 0;
	req->host[0] = '\0';
	req->has_host = 0;
	if (n == 0)
		return NULL;
	if (s[0] == '[') {
		for (end = 1; end < n && s[end] != ']'; end++)
			if (hexval(s[end]) < 0 && s[end] != ':' && s[end] != '.')
				return "bad IPv6 literal in host";
		if (end == n || end == 1)
			return "unterminated IPv6 literal in host";
		i = end + 1;
		if (i < n && s[i] != ':')
			return "junk after IPv6 literal in host";
		for (i++; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return "bad port in host";
		s++;
		n = end - 1;
	} else {
		for (end = n; end > 0 && s[end - 1] != ':'; end--)
			;
		if (end > 0) {
			for (i = end; i < n; i++)
				if (s[i] < '0' || s[i] > '9')
					return "bad port in host";
			n = end - 1;
		}
		if (n > 0 && s[n - 1] == '.')
			n--;
		if (n == 0)
			return "empty host name";
		for (i = 0; i < n; i++) {
			uint8_t c = s[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
				return "bad character in host";
			if (c == '.' && (i == 0 || s[i - 1] == '.'))
				return "empty label in host";
		}
	}
	if (n > HTTP_HOST_MAX)
		return "host longer than 253 bytes";
	for (i = 0; i < n; i++)
		req->host[i] = (char)lower(s[i]);
	req->host[n] = '\0';
	req->host_len = n;
	req->has_host = 1;
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
		size_t a;

		if (n >= 7 && ieq(t, 7, "http://"))
			a = 7;
		else if (n >= 8 && ieq(t, 8, "https://"))
			a = 8;
		else
			return "request-target is neither a path nor an http URL";
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

/* One complete head in buf[0..len) (its final empty line included). */
static int
parse_head(struct http_parser *p, const uint8_t *buf, size_t len, struct http_request *req)
{
	size_t i = 0, ls, le, hosts = 0, cls = 0;
	const uint8_t *hostv = NULL;
	size_t hostn = 0;
	int te = 0, authority_host = 0;
	uint64_t cl = 0;
	const char *why;

	/* request line */
	for (le = 0; buf[le] != '\n'; le++)
		;
	ls = le > 0 && buf[le - 1] == '\r' ? le - 1 : le;
	while (i < ls && buf[i] != ' ')
		i++;
	req->method = (const char *)buf;
	req->method_len = i;
	if (i == ls)
		return bad(req, "request line has no target");
	req->target = (const char *)buf + i + 1;
	for (i++; i < ls && buf[i] != ' '; i++)
		;
	req->target_len = (size_t)((const char *)buf + i - req->target);
	if (i == ls)
		return bad(req, "request line has no version");
	if (ls - i - 1 != 8 || memcmp(buf + i + 1, "HTTP/1.", 7) != 0 ||
	    (buf[i + 8] != '0' && buf[i + 8] != '1')) {
		if (req->method_len == 3 && memcmp(buf, "PRI", 3) == 0) {
			req->why = "HTTP/2 connection preface";
			return HTTP_NOT_HTTP;
		}
		return bad(req, "version is not HTTP/1.0 or HTTP/1.1");
	}
	req->version = buf[i + 8] == '1' ? 11 : 10;

	/* header fields */
	for (i = le + 1; i < len; i = le + 1) {
		size_t colon, vs, ve;

		for (le = i; buf[le] != '\n'; le++)
			;
		ls = le > i && buf[le - 1] == '\r' ? le - 1 : le;
		if (ls == i)
			break; /* the empty line */
		if (buf[i] == ' ' || buf[i] == '\t')
			return bad(req, "obsolete line folding");
		for (colon = i; colon < ls && is_tchar(buf[colon]); colon++)
			;
		if (colon == ls || buf[colon] != ':' || colon == i)
			return bad(req,
			    colon < ls && (buf[colon] == ' ' || buf[colon] == '\t')
				? "whitespace before a field's colon"
				: "header line is not name: value");
		for (vs = colon + 1; vs < ls && (buf[vs] == ' ' || buf[vs] == '\t'); vs++)
			;
		for (ve = ls; ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'); ve--)
			;
		for (size_t k = vs; k < ve; k++)
			if ((buf[k] < 0x20 && buf[k] != '\t') || buf[k] == 0x7f)
				return bad(req, "control character in a field value");
		if (ieq(buf + i, colon - i, "host")) {
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
		} else if (ieq(buf + i, colon - i, "content-length")) {
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
		} else if (ieq(buf + i, colon - i, "transfer-encoding")) {
			size_t k = ve;

			/* the last coding must be chunked */
			while (k > vs && buf[k - 1] != ',')
				k--;
			while (k < ve && (buf[k] == ' ' || buf[k] == '\t'))
				k++;
			te = ieq(buf + k, ve - k, "chunked") ? 1 : -1;
		} else if (ieq(buf + i, colon - i, "upgrade")) {
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
	if (req->upgrade) {
		p->done = 1; /* whatever follows may be another protocol */
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
	/* empty lines before a request line are ignored (RFC 9112 2.2) */
	start = off;
	while (start < len && (buf[start] == '\r' || buf[start] == '\n') && start - off < 64)
		start++;
	/* a method is a token: anything else is not HTTP, and need not wait for more */
	for (i = start; i < len && buf[i] != ' '; i++) {
		if (!is_tchar(buf[i])) {
			req->why = "request does not start with a method";
			return HTTP_NOT_HTTP;
		}
		if (i - start >= 32) {
			req->why = "method longer than 32 bytes";
			return HTTP_NOT_HTTP;
		}
	}
	if (i < len && i == start) {
		req->why = "request does not start with a method";
		return HTTP_NOT_HTTP;
	}
	/* find the empty line that ends the head: LF, then LF or CR LF */
	for (i = start; i < len;) {
		const uint8_t *lf = memchr(buf + i, '\n', len - i);
		size_t e;

		if (lf == NULL)
			break;
		e = (size_t)(lf - buf);
		if (e > start &&
		    (buf[e - 1] == '\n' ||
			(e - start >= 2 && buf[e - 1] == '\r' && buf[e - 2] == '\n'))) {
			int r;

			if (e + 1 - start > HTTP_HEAD_MAX)
				break;
			if ((r = parse_head(p, buf + start, e + 1 - start, req)) == HTTP_REQUEST)
				*consumed = e + 1;
			return r;
		}
		i = e + 1;
	}
	if (len - start >= HTTP_HEAD_MAX) {
		req->why = "request head longer than 16 KiB";
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
