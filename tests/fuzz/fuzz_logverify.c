/*
 * Fuzzes the enforcement log verifier (logverify_feed): the input is one log
 * file, or two (split at the first NUL) verified as a rotated file and its
 * successor.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "evlog/logverify.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct logverify v;
	const uint8_t *a, *b;
	size_t alen, blen;

	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		abort();
	fuzz_split(data, size, &a, &alen, &b, &blen);

	logverify_init(&v, 0, NULL);
	(void)logverify_feed(&v, "evlog.jsonl.1", (const char *)a, alen);
	if (blen > 0)
		(void)logverify_feed(&v, "evlog.jsonl", (const char *)b, blen);
	(void)logverify_finish(&v);
	logverify_print(&v, sink);
	logverify_free(&v);

	/* With a saved head that names the third record. */
	logverify_init(&v, 3, "72f676b4c0e388a9bf15d6892a04cd7c2e31bc1306a6d528ffd1a5e3637c0a53");
	(void)logverify_feed(&v, "evlog.jsonl", (const char *)data, size);
	(void)logverify_finish(&v);
	logverify_print(&v, sink);
	logverify_free(&v);
	return 0;
}
