/*
 * Fuzzes the HTTP 451 notice renderer: the input holds a template and the
 * notice fields (which come from the signed list), separated by NULs, and
 * the response is written into a buffer of every size from what it needs
 * down, which must either fit exactly or be refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire/http.h"

#define RESP_MAX 65536

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char resp[RESP_MAX];
	char *text, *part[8], err[256];
	struct http_notice nt;
	size_t i, n = 0;
	int len, len2;

	if (size == 0 || size > 8192)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* template \0 service \0 order \0 authority \0 notice \0 notice-url \0 appeal-url \0 blocked-by */
	part[n++] = text;
	for (i = 0; i < size && n < 8; i++)
		if (text[i] == '\0')
			part[n++] = text + i + 1;
	while (n < 8)
		part[n++] = NULL;
	memset(&nt, 0, sizeof(nt));
	nt.service = part[1];
	nt.order_ref = part[2];
	nt.authority = part[3];
	nt.notice = part[4];
	nt.notice_url = part[5];
	nt.appeal_url = part[6];
	nt.blocked_by = part[7];

	if (http_template_check(part[0], err, sizeof(err)) == 0) {
		len = http_render_451(resp, sizeof(resp), part[0], &nt);
		if (len > (int)sizeof(resp))
			abort();
		if (len > 0) {
			/* Exactly len bytes fit; one fewer must be refused. */
			if (http_render_451(resp, (size_t)len, part[0], &nt) != len)
				abort();
			if (http_render_451(resp, (size_t)len - 1, part[0], &nt) != -1)
				abort();
		}
	}
	len2 = http_render_451(resp, data[0] * 8u, NULL, &nt);
	if (len2 > (int)data[0] * 8)
		abort();
	free(text);
	return 0;
}
