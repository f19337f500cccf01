/* Public suffix list parsing (UTF-8 rules to A-labels) and the two questions safeguards ask. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psl.h"
#include "punycode.h"
#include "rulefmt.h"
#include "strset.h"

#define F_RULE      1u /* a rule: this name is a public suffix */
#define F_WILD      2u /* "*.name": every child of name is a public suffix */
#define F_EXCEPTION 4u /* "!name": not a public suffix despite a wildcard */
#define F_COVERS    8u /* a public suffix lies at or below this name; aux indexes rules */

struct psl {
	struct strset *set;
	char **rules; /* suffix names, for messages */
	size_t nrules, caprules;
};

void
psl_free(struct psl *p)
{
	size_t i;

	if (p == NULL)
		return;
	strset_free(p->set);
	for (i = 0; i < p->nrules; i++)
		free(p->rules[i]);
	free(p->rules);
	free(p);
}

/* One UTF-8 label to lowercase ASCII or "xn--" + punycode. -1 if not valid UTF-8. */
static int
to_alabel(const char *s, size_t n, char *out, size_t outsz)
{
	uint32_t cp[64], c;
	size_t i = 0, k = 0, o;
	int wide = 0, extra;
	unsigned char b;

	while (i < n) {
		b = (unsigned char)s[i++];
		if (b < 0x80) {
			c = b >= 'A' && b <= 'Z' ? b + 32u : b;
			extra = 0;
		} else if ((b & 0xe0) == 0xc0) {
			c = b & 0x1f;
			extra = 1;
		} else if ((b & 0xf0) == 0xe0) {
			c = b & 0x0f;
			extra = 2;
		} else if ((b & 0xf8) == 0xf0) {
			c = b & 0x07;
			extra = 3;
		} else
			return -1;
		while (extra--) {
			if (i >= n || ((unsigned char)s[i] & 0xc0) != 0x80)
				return -1;
			c = c << 6 | ((unsigned char)s[i++] & 0x3f);
		}
		if (c >= 0x80)
			wide = 1;
		if (k == 64)
			return -1;
		cp[k++] = c;
	}
	if (!wide) {
		if (k + 1 > outsz)
			return -1;
		for (o = 0; o < k; o++)
			out[o] = (char)cp[o];
		out[k] = '\0';
		return (int)k;
	}
	if (outsz < 5)
		return -1;
	memcpy(out, "xn--", 4);
	if (punycode_encode(cp, k, out + 4, outsz - 4) < 0)
		return -1;
	return (int)strlen(out);
}

int
psl_aname(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i = 0, o = 0, j;
	int r;

	while (i <= n) {
		j = i;
		while (j < n && s[j] != '.')
			j++;
		if (j == i)
			return -1;
		r = to_alabel(s + i, j - i, out + o, outsz - o);
		if (r < 0)
			return -1;
		o += (size_t)r;
		if (j < n) {
			if (o + 2 > outsz)
				return -1;
			out[o++] = '.';
		}
		i = j + 1;
	}
	out[o] = '\0';
	return (int)o;
}

/* Marks name and every ancestor as covering rule idx. */
static int
mark_covers(struct psl *p, const char *name, size_t n, uint32_t idx)
{
	const char *dot;

	for (;;) {
		if (strset_add(p->set, name, n, F_COVERS, idx) != 0)
			return -1;
		dot = memchr(name, '.', n);
		if (dot == NULL)
			return 0;
		n -= (size_t)(dot + 1 - name);
		name = dot + 1;
	}
}

static int
add_rule(struct psl *p, const char *name, size_t n, unsigned flag)
{
	char **nr;
	char *copy;
	uint32_t idx;

	if (flag == F_EXCEPTION)
		return strset_add(p->set, name, n, flag, STRSET_NOAUX);
	if (strset_add(p->set, name, n, flag, (uint32_t)p->nrules) != 0)
		return -1;
	if (p->nrules == p->caprules) {
		p->caprules = p->caprules ? p->caprules * 2 : 1024;
		nr = realloc(p->rules, p->caprules * sizeof *nr);
		if (nr == NULL)
			return -1;
		p->rules = nr;
	}
	copy = malloc(n + 3);
	if (copy == NULL)
		return -1;
	snprintf(copy, n + 3, "%s%.*s", flag == F_WILD ? "*." : "", (int)n, name);
	idx = (uint32_t)p->nrules;
	p->rules[p->nrules++] = copy;
	return mark_covers(p, name, n, idx);
}

int
psl_parse(
    const char *buf, size_t len, const char *fname, struct psl **out, char *err, size_t errlen)
{
	struct psl *p = calloc(1, sizeof *p);
	const char *s = buf, *end = buf + len, *nl, *tok;
	char name[RULES_NAME_MAX * 4 + 8];
	unsigned line = 0, flag;
	size_t n, tn;
	int an;

	*out = NULL;
	if (p == NULL || (p->set = strset_create()) == NULL)
		goto oom;
	while (s < end) {
		line++;
		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		/* A rule is the first whitespace-delimited token of a line. */
		tok = s;
		tn = 0;
		while (tn < n && tok[tn] != ' ' && tok[tn] != '\t' && tok[tn] != '\r')
			tn++;
		s = nl ? nl + 1 : end;
		if (tn == 0 || (tn >= 2 && tok[0] == '/' && tok[1] == '/'))
			continue;
		flag = F_RULE;
		if (tok[0] == '!') {
			flag = F_EXCEPTION;
			tok++;
			tn--;
		} else if (tn > 2 && tok[0] == '*' && tok[1] == '.') {
			flag = F_WILD;
			tok += 2;
			tn -= 2;
		}
		if (tn == 0 || memchr(tok, '*', tn) || memchr(tok, '!', tn) || tok[tn - 1] == '.' ||
		    (an = psl_aname(tok, tn, name, sizeof name)) < 0) {
			snprintf(err, errlen, "%s:%u: not a public suffix rule", fname, line);
			psl_free(p);
			return -1;
		}
		if (add_rule(p, name, (size_t)an, flag) != 0)
			goto oom;
	}
	if (p->nrules == 0) {
		snprintf(err, errlen, "%s: holds no rules", fname);
		psl_free(p);
		return -1;
	}
	*out = p;
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", fname);
	psl_free(p);
	return -1;
}

int
psl_is_suffix_name(const struct psl *p, const struct strset_name *sn)
{
	unsigned f = strset_get_suffix(p->set, sn, 0, NULL);

	if (f & F_EXCEPTION)
		return 0;
	if (f & F_RULE)
		return 1;
	if (sn->n == 1)
		return 1; /* the implicit "*" rule: every top-level domain */
	return (strset_get_suffix(p->set, sn, 1, NULL) & F_WILD) != 0;
}

int
psl_is_suffix(const struct psl *p, const char *name, size_t len)
{
	struct strset_name sn;

	strset_name(&sn, name, len);
	return psl_is_suffix_name(p, &sn);
}

const char *
psl_covered_name(const struct psl *p, const struct strset_name *sn)
{
	uint32_t idx = 0;

	if (strset_get_suffix(p->set, sn, 0, &idx) & F_COVERS)
		return p->rules[idx];
	return NULL;
}

const char *
psl_covered(const struct psl *p, const char *name, size_t len)
{
	struct strset_name sn;

	strset_name(&sn, name, len);
	return psl_covered_name(p, &sn);
}

size_t
psl_rules(const struct psl *p)
{
	return p->nrules;
}
