/* Building a list in the normal form from one input file per order. */
#ifndef BLOCKD_BUILD_H
#define BLOCKD_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct builder;

struct build_header {
	const char *issuer;
	const char *scope;
	uint64_t serial;
	int64_t issued;
	int64_t expires;
	const char *previous; /* 128 hex digits, or NULL */
};

/* builder_create(): NULL when out of memory. Free with builder_free(). */
struct builder *builder_create(void);
void builder_free(struct builder *);

/*
 * builder_add_order(): parses one order input file (pure): "key value" lines
 * for the order (order, authority, date, service, not-before, not-after,
 * notice, notice-url, and optionally wide), and entry lines "domain NAME",
 * "suffix NAME", "ip ADDR", "prefix CIDR", "url HOST/PATH" in any order; '#'
 * starts a comment line, blank lines are ignored. Values are checked as
 * strictly as in a list. 0, or -1 with "fname:line: ..." in err.
 */
int builder_add_order(
    struct builder *, const char *buf, size_t len, const char *fname, char *err, size_t errlen);

/*
 * builder_finish(): the list text in normal form (orders sorted, entries in
 * canonical order, counts filled in). Duplicate orders or entries are errors.
 * Returns a malloc'd buffer and *lenp, or NULL with err.
 */
char *builder_finish(
    struct builder *, const struct build_header *h, size_t *lenp, char *err, size_t errlen);

#endif
