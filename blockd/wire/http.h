/* HTTP/1.x request parser for the client's side of a connection, and the 451 notice response. */
#ifndef BLOCKD_HTTP_H
#define BLOCKD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX   65536 /* longest request line + header section read: a flow's byte budget */
#define HTTP_HOST_MAX   253
#define HTTP_METHOD_MAX 32   /* a longer method is not HTTP (nginx takes none longer) */
#define HTTP_PATH_MAX   2048 /* normalised path kept; longer ones are cut (path_truncated) */

enum http_result {
	HTTP_NEED_MORE = 0, /* drop *consumed bytes, keep the rest, call again with more */
	HTTP_REQUEST,       /* *req describes the next request; *consumed covers its head */
	HTTP_MALFORMED,     /* req->why; stop parsing this connection */
	HTTP_TOO_LONG,      /* request head longer than HTTP_HEAD_MAX */
	HTTP_NOT_HTTP,      /* not an HTTP/1.x request: TLS, the HTTP/2 preface, binary */
	HTTP_DONE,          /* the rest of the stream is not HTTP/1: see http_parse() */
};

enum http_form {
	HTTP_FORM_ORIGIN = 1, /* /path?query */
	HTTP_FORM_ABSOLUTE,   /* http://authority/path?query */
	HTTP_FORM_AUTHORITY,  /* CONNECT host:port */
	HTTP_FORM_ASTERISK,   /* OPTIONS * */
};

/*
 * Per-connection state, a plain value: zero it (or http_parser_init())
 * when the connection starts. Counters are for the worker to add up.
 */
struct http_parser {
	uint64_t left;     /* body or chunk bytes still to skip */
	uint32_t aux;      /* chunk-size digits, extension or trailer bytes seen */
	uint8_t state;     /* internal */
	uint8_t done;      /* HTTP_DONE reached */
	uint8_t upgraded;  /* a request asked to switch protocols (Upgrade, CONNECT) */
	uint32_t requests; /* requests returned */
	uint32_t chunked;  /* of which with chunked bodies */
};

/*
 * One request. method and target point into the caller's buffer (valid
 * while it keeps those bytes); host and path are normalised copies.
 *
 * host: from the absolute-form authority if there is one (RFC 9112 3.2.2:
 * it wins over Host; any scheme, as nginx takes any), else from the Host
 * field; read as nginx reads it: surrounding whitespace trimmed, lowercased,
 * whatever follows a ':' (the port) and one trailing dot removed, an IPv6
 * literal given without its brackets; a space, a control, '/' or an empty
 * label refuse it. A name with bytes blockd cannot match (labels of 1 to 63
 * letters, digits, '-' or '_') keeps only the whole labels at its right
 * that it can (odd_host set), so a blocked name there is still blocked.
 *
 * path: the request-target's path and query, normalised only as far as a
 * server would treat the results as the same resource, so that a prefix
 * match cannot be dodged by spelling:
 *  - %XX of an unreserved character (A-Z a-z 0-9 - . _ ~) is decoded
 *    (RFC 3986 6.2.2.2); other %XX keep their escape, hex in upper case;
 *    '%2F' stays encoded, so it never becomes a path separator;
 *  - "." and ".." segments are removed (RFC 3986 5.2.4), after decoding,
 *    so "/a/%2e%2e/b" is "/b";
 *  - repeated slashes are collapsed to one (as nginx and most servers do);
 *  - case is kept (paths are case-sensitive); the query after '?' is kept
 *    as sent; a fragment is dropped. Bytes above 0x7f are kept as sent.
 * CONNECT and OPTIONS * have an empty path.
 */
struct http_request {
	const char *method;
	size_t method_len;
	const char *target;
	size_t target_len;
	char host[HTTP_HOST_MAX + 1];
	size_t host_len;
	char path[HTTP_PATH_MAX + 1];
	size_t path_len;
	/*
	 * A request refused for "more than one Host" still names hosts a
	 * lenient server may take: host holds the first, host2 the second
	 * (each empty if it is not a host name).
	 */
	char host2[HTTP_HOST_MAX + 1];
	size_t host2_len;
	uint64_t content_length;
	uint8_t has_host; /* host is non-empty */
	uint8_t form;     /* enum http_form */
	uint8_t version;  /* 9 (HTTP/0.9: no header fields), 10 or 11 (1.1 and up to 1.99) */
	uint8_t chunked;
	uint8_t upgrade; /* carried an Upgrade field (or was CONNECT) */
	uint8_t path_truncated;
	uint8_t odd_host; /* host holds only the labels at the right of the name sent */
	const char *why;  /* HTTP_MALFORMED, HTTP_NOT_HTTP: static text */
};

void http_parser_init(struct http_parser *);

/* http_tchar(): 1 if c is a byte of an HTTP token (RFC 9110 tchar), as a method is read. */
int http_tchar(uint8_t c);

/*
 * http_parse(): buf holds the connection's client bytes not yet consumed
 * (in order). Skips the previous request's body (Content-Length or
 * chunked), then parses the next request head when it is complete.
 * Returns an enum http_result and sets *consumed to the bytes the caller
 * may now drop (body bytes are consumed as they go by, a head only when
 * whole). Call again after HTTP_REQUEST for a pipelined next request.
 * Never allocates; reads only buf[0..len).
 *
 * Read as leniently as nginx and Apache read a request: any number of
 * empty lines before it, spaces or tabs between the request line's parts
 * and after it, HTTP/1.0 to 1.99, HTTP/0.9 (a GET without a version and
 * without header fields; the server then closes, so HTTP_DONE follows);
 * field lines whose name is not a token, or without a colon, are skipped,
 * spaces before a colon dropped, values may hold any byte but NUL, and a
 * line starting with a space continues the field before it (the host, after
 * an empty Host field).
 *
 * HTTP_MALFORMED means blockd cannot read the request as a server would:
 * it is not a reason to let the connection pass. Refused so (each a known
 * way to make a middlebox and the server disagree, and refused by nginx
 * too): a second Host, Host missing in HTTP/1.1, Transfer-Encoding together
 * with Content-Length, Transfer-Encoding not ending in chunked, differing
 * Content-Length values, a NUL, a request-target with controls or spaces,
 * a version other than HTTP/1.x.
 *
 * A request with an Upgrade field (or CONNECT) does not end parsing: the
 * server may not switch (nginx serving files never does), and then the next
 * request on the connection is read as any other. Only bytes that are not
 * an HTTP/1 request after such a request give HTTP_DONE (the server did
 * switch); before one, they give HTTP_NOT_HTTP.
 */
int http_parse(struct http_parser *, const uint8_t *buf, size_t len, size_t *consumed,
    struct http_request *req);

const char *http_result_name(int);

/*
 * The 451 response (RFC 7725). Template placeholders, replaced with
 * HTML-escaped values: {{service}} {{order}} {{authority}} {{notice}}
 * {{notice_url}} {{appeal_url}}. URLs that are not http:// or https:// are
 * replaced with an empty string. NULL fields are empty.
 */
struct http_notice {
	const char *service;
	const char *order_ref;
	const char *authority;
	const char *notice;
	const char *notice_url;
	const char *appeal_url;
	/* RFC 7725 Link rel="blocked-by": the entity enforcing the block; NULL: notice_url */
	const char *blocked_by;
};

/* The built-in page, used when the template is NULL. */
extern const char http_default_template[];

/*
 * http_template_check(): 0 if every {{...}} in tmpl is a known
 * placeholder; else -1 with "line N: unknown placeholder {{x}}" in err.
 */
int http_template_check(const char *tmpl, char *err, size_t errlen);

/*
 * http_render_451(): writes the whole response (status line, headers with
 * Content-Length, Link, Connection: close, Cache-Control: no-store; then
 * the page from tmpl, or the built-in one if tmpl is NULL) into buf.
 * Returns its length, or -1 if it does not fit in cap (buf then holds a
 * partial response and must not be sent). Never allocates.
 */
int http_render_451(char *buf, size_t cap, const char *tmpl, const struct http_notice *);

#endif
