/* The Public Suffix List: is a name a public suffix, or does a suffix entry cover one? */
#ifndef BLOCKD_PSL_H
#define BLOCKD_PSL_H

#include <stddef.h>

#define PSL_DEFAULT_PATH "/usr/share/publicsuffix/public_suffix_list.dat"

struct psl;

/*
 * psl_parse(): the list's text (UTF-8, as publicsuffix.org publishes it and
 * Debian's publicsuffix package installs it) into a lookup structure; rules
 * with U-labels are converted to A-labels. Pure. Returns 0 and *out (free with
 * psl_free()), or -1 with "fname:line: ..." in err.
 */
int psl_parse(
    const char *buf, size_t len, const char *fname, struct psl **out, char *err, size_t errlen);
void psl_free(struct psl *);

/*
 * psl_is_suffix(): is name (lowercase A-labels, no trailing dot) a public
 * suffix under the list's algorithm: a rule, a wildcard match not excepted,
 * or a single label (the implicit "*" rule)?
 */
int psl_is_suffix(const struct psl *, const char *name, size_t len);

/*
 * psl_covered(): a public suffix at or below name (so a suffix entry for name
 * would block a whole public suffix), or NULL. The string belongs to the psl.
 */
const char *psl_covered(const struct psl *, const char *name, size_t len);

/* The same two questions of a name already split by strset_name(), hashed once. */
struct strset_name;
int psl_is_suffix_name(const struct psl *, const struct strset_name *sn);
const char *psl_covered_name(const struct psl *, const struct strset_name *sn);

/*
 * psl_aname(): a name in UTF-8 (labels of ASCII, any case, or U-labels) to
 * lowercase A-labels in out, NUL-terminated. Returns its length, or -1 if a
 * label is empty, not UTF-8 or does not fit. Pure.
 */
int psl_aname(const char *s, size_t n, char *out, size_t outsz);

/* Number of rules read, for messages. */
size_t psl_rules(const struct psl *);

#endif
