/* The enforcement log's record format: one JSON object per line, written and read back here. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evrec.h"
#include "rulefmt.h"
#include "rulelist.h"

static const char *const method_names[] = {
    [EV_DNS] = "dns", [EV_TLS] = "tls", [EV_QUIC] = "quic", [EV_HTTP] = "http", [EV_IP] = "ip"};
#define ACTION_NAME(id, name) [id] = (name),
static const char *const action_names[] = {EV_ACTIONS(ACTION_NAME)};
#undef ACTION_NAME
static const char *const state_names[] = {[EVS_START] = "start",
    [EVS_STOP] = "stop",
    [EVS_RELOAD] = "reload",
    [EVS_RELOAD_REFUSED] = "reload_refused",
    [EVS_LIST_EXPIRED] = "list_expired",
    [EVS_FAILOPEN] = "failopen",
    [EVS_FAILOPEN_CLEARED] = "failopen_cleared",
    [EVS_DROPPED] = "dropped",
    [EVS_GAP] = "gap",
    [EVS_SERIAL_FLOOR] = "serial_floor",
    [EVS_HELD] = "held",
    [EVS_OBSERVED] = "observed",
    [EVS_DIVERT_WITHDRAWN] = "divert_withdrawn",
    [EVS_DIVERT_ANNOUNCED] = "divert_announced"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *
name_of(const char *const *tab, size_t n, int v)
{
	if (v <= 0 || (size_t)v >= n)
		return NULL;
	return tab[v];
}

static int
name_from(const char *const *tab, size_t n, const char *s)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (tab[i] != NULL && strcmp(tab[i], s) == 0)
			return (int)i;
	return 0;
}

const char *
evrec_method_name(int v)
{
	return name_of(method_names, NELEM(method_names), v);
}

const char *
evrec_action_name(int v)
{
	return name_of(action_names, NELEM(action_names), v);
}

const char *
evrec_state_name(int v)
{
	return name_of(state_names, NELEM(state_names), v);
}

const char *
evrec_entry_type_name(int v)
{
	return rule_type_name(v);
}

int
evrec_method_from(const char *s)
{
	return name_from(method_names, NELEM(method_names), s);
}

int
evrec_action_from(const char *s)
{
	return name_from(action_names, NELEM(action_names), s);
}

int
evrec_state_from(const char *s)
{
	return name_from(state_names, NELEM(state_names), s);
}

/* Day number -> civil date, proleptic Gregorian (H. Hinnant's algorithm); the inverse is rules_days_from_civil(). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t
evrec_day(int64_t time_us)
{
	return floordiv(time_us, 86400LL * 1000000);
}

void
evrec_day_fmt(int64_t day, char *out)
{
	int64_t y;
	unsigned m, d;

	civil_from_days(day, &y, &m, &d);
	if (y < 0 || y > 9999) /* outside RFC 3339; never for real clocks */
		y = y < 0 ? 0 : 9999;
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000, m % 100, d % 100);
}

void
evrec_time_fmt(int64_t time_us, char *out)
{
	int64_t day = evrec_day(time_us);
	int64_t rest = time_us - day * 86400LL * 1000000;
	int64_t secs = rest / 1000000;

	evrec_day_fmt(day, out);
	snprintf(out + 10, 22, "T%02d:%02d:%02d.%06dZ", (int)(secs / 3600), (int)(secs / 60 % 60),
	    (int)(secs % 60), (int)(rest % 1000000));
}

static int
digits(const char *s, int n, int *v)
{
	int k;

	*v = 0;
	for (k = 0; k < n; k++) {
		if (s[k] < '0' || s[k] > '9')
			return -1;
		*v = *v * 10 + (s[k] - '0');
	}
	return 0;
}

int
evrec_time_parse(const char *s, int64_t *time_us)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, us = 0, k;
	size_t len = strlen(s);
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (len < 10 || digits(s, 4, &y) < 0 || s[4] != '-' || digits(s + 5, 2, &mo) < 0 ||
	    s[7] != '-' || digits(s + 8, 2, &d) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	if (len > 10) {
		const char *t = s + 10;
		if ((t[0] != 'T' && t[0] != 't') || len < 20 || digits(t + 1, 2, &h) < 0 ||
		    t[3] != ':' || digits(t + 4, 2, &mi) < 0 || t[6] != ':' ||
		    digits(t + 7, 2, &sec) < 0)
			return -1;
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
		t += 9;
		if (*t == '.') {
			t++;
			for (k = 0; k < 6 && *t >= '0' && *t <= '9'; k++, t++)
				us = us * 10 + (*t - '0');
			if (k == 0 || (*t >= '0' && *t <= '9'))
				return -1;
			for (; k < 6; k++)
				us *= 10;
		}
		if (strcmp(t, "Z") != 0 && strcmp(t, "z") != 0)
			return -1;
	}
	*time_us = ((rules_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
			(int64_t)h * 3600 + (int64_t)mi * 60 + sec) *
		       1000000) +
	    us;
	return 0;
}

static const char *
proto_name(int proto, char *buf, size_t len)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	case 132:
		return "sctp";
	default:
		snprintf(buf, len, "%d", proto);
		return buf;
	}
}

static void
name_or_number(struct jbuf *jb, const char *key, const char *name, int v)
{
	if (name != NULL)
		jbuf_kstr(jb, key, name);
	else
		jbuf_kint(jb, key, v);
}

/* Fixed buffers from packets may lack a NUL if a filler got it wrong. */
static void
kfixed(struct jbuf *jb, const char *key, const char *s, size_t max)
{
	jbuf_key(jb, key);
	jbuf_str(jb, s, strnlen(s, max));
}

static void
head(struct jbuf *jb, uint64_t seq, int64_t time_us, const char *record)
{
	char t[32];

	evrec_time_fmt(time_us, t);
	jbuf_open(jb);
	jbuf_kuint(jb, "seq", seq);
	jbuf_kstr(jb, "time", t);
	jbuf_kstr(jb, "record", record);
}

static void
tail(struct jbuf *jb, const char *appliance, const char *prev_hex)
{
	jbuf_kstr(jb, "appliance", appliance);
	jbuf_kstr(jb, "prev", prev_hex);
	jbuf_close(jb);
	jbuf_raw(jb, "\n", 1);
}

void
evrec_format_event(struct jbuf *jb, const struct event *ev, uint64_t seq, const char *appliance,
    const char *subscriber, int raw, const char *prev_hex)
{
	char pbuf[8];

	head(jb, seq, (int64_t)ev->time_us, "block");
	name_or_number(jb, "method", evrec_method_name(ev->method), ev->method);
	kfixed(jb, "indicator", ev->indicator, sizeof(ev->indicator));
	jbuf_kobj(jb, "entry");
	kfixed(jb, "value", ev->value, sizeof(ev->value));
	name_or_number(jb, "type", evrec_entry_type_name(ev->entry_type), ev->entry_type);
	jbuf_kuint(jb, "line", ev->entry_line);
	jbuf_close(jb);
	kfixed(jb, "order", ev->order_ref, sizeof(ev->order_ref));
	kfixed(jb, "service", ev->service, sizeof(ev->service));
	name_or_number(jb, "action", evrec_action_name(ev->action), ev->action);
	if (ev->reason[0] != '\0')
		kfixed(jb, "reason", ev->reason, sizeof(ev->reason));
	jbuf_kuint(jb, "serial", ev->serial);
	jbuf_kobj(jb, "transport");
	jbuf_kstr(jb, "family", ev->family == 6 ? "v6" : "v4");
	jbuf_kstr(jb, "proto", proto_name(ev->proto, pbuf, sizeof(pbuf)));
	jbuf_kuint(jb, "dport", ev->dport);
	jbuf_close(jb);
	jbuf_kstr(jb, raw ? "client" : "subscriber", subscriber);
	tail(jb, appliance, prev_hex);
}

void
evrec_format_state(struct jbuf *jb, const struct evrec *st, const char *prev_hex)
{
	char t[32];
	const char *name = evrec_state_name(st->state);

	head(jb, st->seq, st->time_us, "state");
	jbuf_kstr(jb, "state", name ? name : "unknown");
	jbuf_kuint(jb, "serial", st->serial);
	switch (st->state) {
	case EVS_DROPPED:
		jbuf_kuint(jb, "count", st->count);
		jbuf_kuint(jb, "after_seq", st->after_seq);
		break;
	case EVS_GAP:
		jbuf_kuint(jb, "last_seq", st->last_seq);
		evrec_time_fmt(st->last_time_us, t);
		jbuf_kstr(jb, "last_time", t);
		jbuf_kuint(jb, "torn_bytes", st->torn_bytes);
		break;
	default:
		break;
	}
	if (st->reason[0] != '\0')
		jbuf_kstr(jb, "reason", st->reason);
	tail(jb, st->appliance, prev_hex);
}

static int
get_u64(const struct jfield *f, uint64_t *v)
{
	char *end;

	if (f == NULL || f->type != JSON_NUMBER || f->val[0] == '-')
		return -1;
	errno = 0;
	*v = strtoull(f->val, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

static void
copy_str(char *dst, size_t cap, const struct jfield *f)
{
	size_t n = 0;

	if (f != NULL && f->type == JSON_STRING) {
		n = f->vlen < cap - 1 ? f->vlen : cap - 1;
		memcpy(dst, f->val, n);
	}
	dst[n] = '\0';
}

static int
is_hex64(const char *s, size_t len)
{
	size_t i;

	if (len != EVREC_HASH_HEX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
evrec_parse(const char *line, size_t len, struct evrec *r, const char **err)
{
	struct jfield f[48];
	char sb[2 * EVREC_LINE_MAX];
	const struct jfield *x;
	int n;

	memset(r, 0, sizeof(*r));
	if (len > EVREC_LINE_MAX) {
		*err = "line too long";
		return -1;
	}
	if ((n = json_parse_flat(line, len, f, 48, sb, sizeof(sb), err)) < 0)
		return -1;
	if (get_u64(json_get(f, n, "seq"), &r->seq) < 0 || r->seq == 0) {
		*err = "no valid seq";
		return -1;
	}
	x = json_get(f, n, "time");
	if (x == NULL || x->type != JSON_STRING || evrec_time_parse(x->val, &r->time_us) < 0) {
		*err = "no valid time";
		return -1;
	}
	x = json_get(f, n, "prev");
	if (x == NULL || x->type != JSON_STRING || !is_hex64(x->val, x->vlen)) {
		*err = "no valid prev hash";
		return -1;
	}
	memcpy(r->prev, x->val, EVREC_HASH_HEX + 1);
	copy_str(r->appliance, sizeof(r->appliance), json_get(f, n, "appliance"));
	get_u64(json_get(f, n, "serial"), &r->serial);
	x = json_get(f, n, "record");
	if (x != NULL && x->type == JSON_STRING && strcmp(x->val, "block") == 0) {
		r->kind = EVREC_BLOCK;
		x = json_get(f, n, "method");
		if (x == NULL || x->type != JSON_STRING ||
		    (r->method = evrec_method_from(x->val)) == 0) {
			*err = "no valid method";
			return -1;
		}
		x = json_get(f, n, "action");
		if (x != NULL && x->type == JSON_STRING)
			r->action = evrec_action_from(x->val);
		copy_str(r->order, sizeof(r->order), json_get(f, n, "order"));
		copy_str(r->service, sizeof(r->service), json_get(f, n, "service"));
		copy_str(r->reason, sizeof(r->reason), json_get(f, n, "reason"));
		if ((x = json_get(f, n, "subscriber")) == NULL) {
			x = json_get(f, n, "client");
			r->raw_client = 1;
		}
		copy_str(r->subscriber, sizeof(r->subscriber), x);
		return 0;
	}
	if (x != NULL && x->type == JSON_STRING && strcmp(x->val, "state") == 0) {
		r->kind = EVREC_STATE;
		x = json_get(f, n, "state");
		if (x == NULL || x->type != JSON_STRING ||
		    (r->state = evrec_state_from(x->val)) == 0) {
			*err = "no valid state";
			return -1;
		}
		copy_str(r->reason, sizeof(r->reason), json_get(f, n, "reason"));
		get_u64(json_get(f, n, "count"), &r->count);
		get_u64(json_get(f, n, "after_seq"), &r->after_seq);
		get_u64(json_get(f, n, "last_seq"), &r->last_seq);
		get_u64(json_get(f, n, "torn_bytes"), &r->torn_bytes);
		x = json_get(f, n, "last_time");
		if (x != NULL && x->type == JSON_STRING)
			evrec_time_parse(x->val, &r->last_time_us);
		return 0;
	}
	*err = "no valid record kind";
	return -1;
}
