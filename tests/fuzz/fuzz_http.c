/*
 * Fuzzes the HTTP/1.x request parser as a worker drives it: the client's
 * stream arrives in segments (the first input byte gives the count, one
 * length byte each follows, as in fuzz_tls.c), unconsumed bytes are kept,
 * and after each segment every complete request is taken (pipelining) until
 * the parser stops the connection.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire/http.h"

#define SEG_MAX 8
#define BUF_MAX (HTTP_HEAD_MAX + 4096)

static void
check(int res, size_t used, size_t len, const struct http_request *req)
{
	size_t i;

	if (res < HTTP_NEED_MORE || res > HTTP_DONE || used > len)
		abort();
	if (res != HTTP_REQUEST)
		return;
	if (strlen(req->host) != req->host_len || strlen(req->path) != req->path_len ||
	    req->host_len > HTTP_HOST_MAX || req->path_len > HTTP_PATH_MAX || used == 0)
		abort();
	if (req->has_host != (req->host_len > 0))
		abort();
	for (i = 0; i < req->host_len; i++)
		if (req->host[i] >= 'A' && req->host[i] <= 'Z')
			abort(); /* documented as lowercased */
	if (req->method == NULL || req->method_len == 0)
		abort();
	(void)http_result_name(res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[BUF_MAX];
	struct http_parser hp;
	struct http_request req;
	size_t nseg, i, off, have = 0, stream_len, used;
	const uint8_t *stream;
	int res = HTTP_NEED_MORE, guard;

	if (size < 1)
		return 0;
	nseg = (size_t)(data[0] & 7) + 1;
	if (size < 1 + nseg)
		return 0;
	stream = data + 1 + nseg;
	stream_len = size - 1 - nseg;

	http_parser_init(&hp);
	for (off = 0, i = 0; i < nseg && (res == HTTP_NEED_MORE || res == HTTP_REQUEST); i++) {
		size_t l = data[1 + i];

		if (i == nseg - 1 || l == 0 || off + l > stream_len)
			l = stream_len - off;
		if (l > BUF_MAX - have)
			l = BUF_MAX - have;
		memcpy(buf + have, stream + off, l);
		have += l;
		off += l;
		for (guard = 0; guard < 1000; guard++) {
			memset(&req, 0, sizeof(req));
			res = http_parse(&hp, buf, have, &used, &req);
			check(res, used, have, &req);
			memmove(buf, buf + used, have - used);
			have -= used;
			if (res != HTTP_REQUEST)
				break;
		}
		if (res == HTTP_NEED_MORE && have == BUF_MAX)
			abort(); /* a full buffer must be decided (HTTP_TOO_LONG at worst) */
	}
	return 0;
}
