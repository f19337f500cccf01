/*
 * Fuzzes the match snapshot with names, addresses and URLs as packets bring
 * them: the first input byte picks match_domain(), match_addr() (v4 or v6)
 * or match_url() (host, a NUL, then the path). A block must name an entry
 * that really covers what was asked (no overblocking), and a name equal to
 * a domain entry must never go unmatched.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allowlist.h"
#include "fuzz.h"
#include "match/match.h"
#include "rulefmt.h"
#include "rulelist.h"

/* tests/fuzz/corpus/rulelist/two-orders.list, made by blockrules build. */
static const char match_list_text[] =
    "blocklist 1\n"
    "issuer Example Regulator\n"
    "scope test jurisdiction\n"
    "serial 9\n"
    "issued 2026-11-20T10:00:00Z\n"
    "expires 2027-01-01T00:00:00Z\n"
    "orders 2\n"
    "entries 11\n"
    "\n"
    "order CL-2026-000123\n"
    "\tauthority High Court of Justice\n"
    "\tdate 2026-11-01\n"
    "\tservice X\n"
    "\tnot-before 2026-11-02T00:00:00Z\n"
    "\tnot-after 2027-11-02T00:00:00Z\n"
    "\tnotice Access to X is blocked by order of the High Court (CL-2026-000123).\n"
    "\tnotice-url https://orders.example/CL-2026-000123\n"
    "\twide no\n"
    "\n"
    "order CL-2026-000456\n"
    "\tauthority Example Court\n"
    "\tdate 2026-10-01\n"
    "\tservice Deepfake Studio\n"
    "\tnot-before 2026-10-02T00:00:00Z\n"
    "\tnot-after 2027-10-02T00:00:00Z\n"
    "\tnotice Access to Deepfake Studio is blocked by order CL-2026-000456.\n"
    "\tnotice-url https://orders.example/CL-2026-000456\n"
    "\twide yes\n"
    "\n"
    "domain cdn.x-media.example CL-2026-000123\n"
    "domain xn--bcher-kva.example CL-2026-000456\n"
    "suffix deepfake.example CL-2026-000456\n"
    "suffix x.example CL-2026-000123\n"
    "ip 192.0.2.10 CL-2026-000123\n"
    "ip 2001:db8::10 CL-2026-000456\n"
    "prefix 198.51.100.0/24 CL-2026-000123\n"
    "prefix 203.0.113.0/25 CL-2026-000456\n"
    "prefix 2001:db8:100::/48 CL-2026-000456\n"
    "url deepfake.example/u/a%20b?x=1 CL-2026-000456\n"
    "url share.example/x/ CL-2026-000123\n"
    "end 11\n";

static const char allow_text[] =
    "domain status.x.example\nprefix 198.51.100.0/28\nip 2001:db8::10\n";

#define NOW INT64_C(1795219200) /* 2026-11-21: both orders in force */

/* Does suffix entry s (or domain entry when exact) cover name? Both lowercase, no trailing dot. */
static int
covers(const char *name, size_t len, const char *s, size_t slen, int exact)
{
	if (len == slen)
		return memcmp(name, s, len) == 0;
	return !exact && len > slen && name[len - slen - 1] == '.' &&
	    memcmp(name + len - slen, s, slen) == 0;
}

static void
check_domain(
    const struct rulelist *l, const char *name, size_t len, int res, const struct match_hit *hit)
{
	char norm[RULES_NAME_MAX + 2];
	size_t i, n = len;
	int exact_entry = 0;

	if (res != MATCH_NONE && res != MATCH_BLOCK && res != MATCH_ALLOW)
		abort();
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n > RULES_NAME_MAX)
		return;
	for (i = 0; i < n; i++)
		norm[i] = (char)tolower((unsigned char)name[i]);
	for (i = 0; i < l->nentries; i++)
		if (l->entries[i].type == RULE_DOMAIN &&
		    covers(norm, n, l->entries[i].name, strlen(l->entries[i].name), 1))
			exact_entry = 1;
	if (exact_entry && res == MATCH_NONE)
		abort(); /* a listed name went unmatched */
	if (res == MATCH_BLOCK) {
		const struct rule_entry *e;

		if (hit->entry >= l->nentries)
			abort();
		e = &l->entries[hit->entry];
		if ((e->type != RULE_DOMAIN && e->type != RULE_SUFFIX) ||
		    !covers(norm, n, e->name, strlen(e->name), e->type == RULE_DOMAIN))
			abort(); /* blocked by an entry that does not cover the name */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct match_snapshot *snap;
	static const struct rulelist *l;
	struct match_hit hit;
	const char *host, *path;
	size_t hostlen, pathlen;
	uint8_t addr[16];
	int res;

	if (snap == NULL) {
		struct rulelist *list;
		struct allowlist *al;
		char err[RULES_ERR_MAX];

		if (rulelist_parse(match_list_text, strlen(match_list_text), "list", NULL, &list,
			err, sizeof(err)) != 0 ||
		    allowlist_parse(
			allow_text, strlen(allow_text), "allow", &al, err, sizeof(err)) != 0 ||
		    match_build(list, al->entries, al->n, &snap, err, sizeof(err)) != 0)
			abort();
		allowlist_free(al);
		l = match_list(snap);
	}
	if (size < 1)
		return 0;
	memset(&hit, 0, sizeof(hit));
	switch (data[0] & 3) {
	case 0:
		res = match_domain(snap, (const char *)data + 1, size - 1, NOW, &hit);
		check_domain(l, (const char *)data + 1, size - 1, res, &hit);
		break;
	case 1:
	case 2:
		memset(addr, 0, sizeof(addr));
		memcpy(addr, data + 1, size - 1 < 16 ? size - 1 : 16);
		res = match_addr(snap, (data[0] & 3) == 1 ? 4 : 6, addr, NOW, &hit);
		if (res == MATCH_BLOCK && hit.entry >= l->nentries)
			abort();
		break;
	case 3: {
		const uint8_t *a, *b;

		fuzz_split(data + 1, size - 1, &a, &hostlen, &b, &pathlen);
		host = (const char *)a;
		path = (const char *)b;
		res = match_url(snap, host, hostlen, path, pathlen, NOW, &hit);
		if (res == MATCH_BLOCK && hit.entry >= l->nentries)
			abort();
		break;
	}
	}
	return 0;
}
