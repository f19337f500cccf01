/* A growing text buffer for the list writers (normal form, diff, RPZ). */
#ifndef BLOCKD_OUTBUF_H
#define BLOCKD_OUTBUF_H

#include <stddef.h>

/*
 * p is malloc'd by the caller (cap bytes) and grown here; once an allocation
 * fails, oom is set and later calls do nothing, so a writer checks oom once
 * at the end and frees p either way.
 */
struct outbuf {
	char *p;
	size_t len, cap;
	int oom;
};

void outbuf_printf(struct outbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
