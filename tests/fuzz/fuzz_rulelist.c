/*
 * Fuzzes the signed block list parser (rulelist_parse). A list it accepts is
 * in canonical order, so writing it out in the normal form must give a file
 * that parses to the same counts and writes out the same again. The entry
 * lines are parsed in two halves too (the threshold lowered to none, the seam
 * where the input's last bytes say): the same message or the same normal form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rulefmt.h"
#include "rulelist.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rulelist *l = NULL, *l2 = NULL;
	char err[RULES_ERR_MAX];
	char buf[RULES_URL_MAX + 64];
	char *text, *text2;
	size_t i, len, len2;

	struct rules_parse_tuning two = {
	    0, size >= 2 ? (size_t)data[size - 1] << 8 | data[size - 2] : 0};
	struct rules_parse_tuning one = {SIZE_MAX, 0};
	struct rulelist *lp = NULL;
	char errp[RULES_ERR_MAX];
	int r, rp;

	r = rulelist_parse_tuned(
	    (const char *)data, size, "fuzz.list", NULL, &one, &l, err, sizeof(err));
	rp = rulelist_parse_tuned(
	    (const char *)data, size, "fuzz.list", NULL, &two, &lp, errp, sizeof(errp));
	if (r != rp || (r != 0 && strcmp(err, errp) != 0))
		abort(); /* two halves told another story than one pass */
	if (r != 0)
		return 0;
	text = rulelist_format(lp, &len);
	text2 = rulelist_format(l, &len2);
	if (text == NULL || text2 == NULL || len != len2 || memcmp(text, text2, len) != 0 ||
	    lp->nentries != l->nentries)
		abort();
	for (i = 0; i < l->nentries; i++)
		if (lp->entries[i].line != l->entries[i].line)
			abort();
	free(text);
	free(text2);
	rulelist_free(lp);
	for (i = 0; i < l->nentries; i++)
		(void)rule_entry_value(&l->entries[i], buf, sizeof(buf));
	text = rulelist_format(l, &len);
	if (text == NULL)
		abort();
	if (rulelist_parse(text, len, "normal.list", NULL, &l2, err, sizeof(err)) != 0)
		abort(); /* the normal form of an accepted list was refused */
	if (l2->nentries != l->nentries || l2->norders != l->norders)
		abort();
	text2 = rulelist_format(l2, &len2);
	if (text2 == NULL || len2 != len || memcmp(text, text2, len) != 0)
		abort();
	free(text2);
	free(text);
	rulelist_free(l2);
	rulelist_free(l);
	return 0;
}
