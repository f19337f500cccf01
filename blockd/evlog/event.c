/* Filling an enforcement event from a match hit: fixed-size, self-contained, truncated safely. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "match/match.h"

/*
 * Copy at most len bytes of src (stopping at a NUL) into dst of size cap,
 * always terminated. A cut never splits a UTF-8 sequence. Only what fits
 * is scanned.
 */
static void
copy_trunc(char *dst, size_t cap, const char *src, size_t len)
{
	const char *nul;
	size_t n;

	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	n = len < cap - 1 ? len : cap - 1;
	if ((nul = memchr(src, '\0', n)) != NULL)
		n = (size_t)(nul - src);
	else if (n < len) /* cut: src[n] is the first byte left out (a NUL is no continuation) */
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* copy_trunc() of a NUL-terminated src (or NULL), read no further than what fits. */
static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n;

	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	n = strnlen(src, cap - 1);
	while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
		n--;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
render_value(char *dst, size_t cap, const struct rule_entry *e)
{
	char a[INET6_ADDRSTRLEN];
	int v6 = e->type == RULE_IPV6;

	if (e->type != RULE_IPV4 && !v6) {
		copy_trunc(dst, cap, e->name, e->name ? e->namelen : 0);
		return;
	}
	if (inet_ntop(v6 ? AF_INET6 : AF_INET, e->addr, a, sizeof(a)) == NULL) {
		dst[0] = '\0';
		return;
	}
	if (e->plen == (v6 ? 128 : 32))
		snprintf(dst, cap, "%s", a);
	else
		snprintf(dst, cap, "%s/%u", a, e->plen);
}

void
event_fill(struct event *ev, const struct match_snapshot *snap, const struct match_hit *hit,
    int method, int action, int family, int proto, const uint8_t *client, uint16_t dport,
    const char *indicator, size_t indlen, uint64_t time_us)
{
	/*
	 * The strings are read up to their NULs (evrec.c): only the fixed
	 * fields and each string's first byte are cleared, not the ~1 KiB.
	 */
	memset(ev, 0, offsetof(struct event, indicator));
	ev->value[0] = ev->order_ref[0] = ev->service[0] = ev->reason[0] = '\0';
	ev->time_us = time_us;
	ev->method = (uint8_t)method;
	ev->action = (uint8_t)action;
	ev->family = (uint8_t)family;
	ev->proto = (uint8_t)proto;
	ev->dport = dport;
	if (client != NULL)
		memcpy(ev->client, client, family == 4 ? 4 : 16);
	copy_trunc(ev->indicator, sizeof(ev->indicator), indicator, indicator ? indlen : 0);
	if (snap != NULL && hit != NULL) {
		const struct rulelist *l = match_list(snap);

		ev->serial = l->serial;
		if (hit->entry < l->nentries) {
			const struct rule_entry *e = &l->entries[hit->entry];

			ev->entry_type = e->type;
			ev->entry_line = e->line;
			render_value(ev->value, sizeof(ev->value), e);
		}
		if (hit->order < l->norders) {
			const struct rule_order *o = &l->orders[hit->order];

			copy_str(ev->order_ref, sizeof(ev->order_ref), o->ref);
			copy_str(ev->service, sizeof(ev->service), o->service);
		}
	}
}

void
event_set_reason(struct event *ev, const char *reason)
{
	copy_str(ev->reason, sizeof(ev->reason), reason);
}
