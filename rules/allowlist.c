/* The local allowlist parser: one entry a line, '#' comments, errors naming file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowlist.h"
#include "fileio.h"
#include "rulefmt.h"

#define ALLOWLIST_MAX (16u << 20)

/* Length of the prefix of s[0..n) holding none of the bytes in stop. */
static size_t
span_until(const char *s, size_t n, const char *stop)
{
	size_t i = 0;

	while (i < n && strchr(stop, s[i]) == NULL)
		i++;
	return i;
}

void
allowlist_free(struct allowlist *a)
{
	if (a == NULL)
		return;
	free(a->entries);
	free(a->arena);
	free(a);
}

int
allowlist_parse(const char *buf, size_t len, const char *fname, struct allowlist **out, char *err,
    size_t errlen)
{
	struct allowlist *a = calloc(1, sizeof *a);
	const char *s = buf, *end = buf + len, *nl, *k, *v;
	size_t n, kn, vn, cap = 0, used = 0, i;
	char why[RULES_ERR_MAX];
	struct rule_entry *e, *ne;
	unsigned line = 0;

	*out = NULL;
	if (a == NULL || (a->arena = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", fname);
		allowlist_free(a);
		return -1;
	}
	while (s < end) {
		line++;
		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		k = s;
		s = nl ? nl + 1 : end;
		for (i = 0; i < n; i++) {
			if ((unsigned char)k[i] >= 0x80 ||
			    ((unsigned char)k[i] < 0x20 && k[i] != '\t')) {
				snprintf(err, errlen, "%s:%u: %s", fname, line,
				    k[i] == '\r'
					? "carriage return (lines end with LF only)"
					: "control or non-ASCII byte (names are A-labels)");
				goto fail;
			}
		}
		while (n > 0 && (*k == ' ' || *k == '\t')) {
			k++;
			n--;
		}
		while (n > 0 && (k[n - 1] == ' ' || k[n - 1] == '\t'))
			n--;
		if (n == 0 || *k == '#')
			continue;
		kn = span_until(k, n, " \t");
		if (kn >= n) {
			snprintf(err, errlen,
			    "%s:%u: expected 'KIND VALUE' (domain, suffix, ip, prefix)", fname,
			    line);
			goto fail;
		}
		v = k + kn;
		while (*v == ' ' || *v == '\t')
			v++;
		vn = n - (size_t)(v - k);
		if (span_until(v, vn, " \t#") < vn) {
			snprintf(err, errlen, "%s:%u: one entry a line: 'KIND VALUE'", fname, line);
			goto fail;
		}
		if (kn == 3 && memcmp(k, "url", 3) == 0) {
			snprintf(err, errlen,
			    "%s:%u: url entries cannot be allowlisted (allow the host with domain)",
			    fname, line);
			goto fail;
		}
		if (a->n == cap) {
			cap = cap ? cap * 2 : 64;
			ne = realloc(a->entries, cap * sizeof *ne);
			if (ne == NULL) {
				snprintf(err, errlen, "%s: out of memory", fname);
				goto fail;
			}
			a->entries = ne;
		}
		e = &a->entries[a->n];
		memset(e, 0, sizeof *e);
		if (rule_entry_parse_value(k, kn, v, vn, e, why, sizeof why) != 0) {
			snprintf(err, errlen, "%s:%u: %.*s %.*s: %s", fname, line, (int)kn, k,
			    (int)vn, v, why);
			goto fail;
		}
		e->line = line;
		if (e->type == RULE_DOMAIN || e->type == RULE_SUFFIX) {
			memcpy(a->arena + used, v, vn);
			a->arena[used + vn] = '\0';
			e->name = a->arena + used;
			e->namelen = (uint32_t)vn;
			used += vn + 1;
		}
		a->n++;
	}
	*out = a;
	return 0;
fail:
	allowlist_free(a);
	return -1;
}

int
allowlist_load(const char *path, struct allowlist **out, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int r;

	if (file_read_capped(path, ALLOWLIST_MAX, &buf, &len, err, errlen) != 0)
		return -1;
	r = allowlist_parse(buf, len, path, out, err, errlen);
	free(buf);
	return r;
}
