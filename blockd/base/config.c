/* blockd.conf: one table of keys drives defaults, checking and printing; pure, no file I/O. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "config.h"
#include "divertset.h"
#include "tlogentry.h"
#include "safeguard.h"

/* A default written once, as the number the rules library defines. */
#define XSTR(x) STR_(x)
#define STR_(x) #x

/*
 * The ports read by their first bytes unless blockd.conf says otherwise,
 * chosen by make bench's new-flow figures (blockd.conf(5), README).
 */
#define FLOWS_PORTS_DEFAULT "80, 443, 8080, 8443"

enum key_kind {
	K_STR,
	K_UINT,
	K_BOOL,
	K_ENUM,
	K_SIZE,
	K_FRAC,
	K_MARK,
	K_ADDR4,
	K_ADDR6,
	K_LISTEN,
	K_DUR,
	K_PORTS
};

struct key {
	const char *section;
	const char *name;
	enum key_kind kind;
	size_t off;
	size_t size; /* K_STR and friends: buffer size */
	unsigned long long min, max;
	const char *const *names; /* K_ENUM, indexed by value */
	const char *def;          /* default, in the file's syntax */
};

static const char *const backend_names[] = {"auto", "nft", "iptables", NULL};
static const char *const hook_names[] = {"forward", "local", "both", NULL};
static const char *const failure_names[] = {"open", "closed", NULL};
static const char *const stop_names[] = {"remove", "keep", NULL};
static const char *const ipaction_names[] = {"reject", "drop", NULL};
static const char *const dnsact_names[] = {"nxdomain", "sinkhole", NULL};
static const char *const nosni_names[] = {"pass", "block", NULL};
static const char *const unjudged_names[] = {"pass", "block", NULL};
static const char *const paths_names[] = {"both", "one", NULL};

#define F(f) offsetof(struct blockd_config, f), sizeof(((struct blockd_config *)0)->f)
#define STR(s, k, f, d)                          \
	{                                        \
		s, k, K_STR, F(f), 0, 0, NULL, d \
	}
#define UINT(s, k, f, lo, hi, d)                    \
	{                                           \
		s, k, K_UINT, F(f), lo, hi, NULL, d \
	}
#define KIND(s, k, kd, f, lo, hi, d)            \
	{                                       \
		s, k, kd, F(f), lo, hi, NULL, d \
	}
#define ENUM(s, k, f, n, d)                    \
	{                                      \
		s, k, K_ENUM, F(f), 0, 0, n, d \
	}

static const struct key keys[] = {
    STR("blockd", "appliance_id", appliance_id, ""),
    STR("blockd", "rules_dir", rules_dir, "/etc/blockd/rules"),
    STR("blockd", "keys_dir", keys_dir, "/etc/blockd/keys.d"),
    UINT("blockd", "signatures_required", signatures_required, 1, 16, "1"),
    STR("blockd", "state_dir", state_dir, "/var/lib/blockd"),
    STR("blockd", "allowlist", allowlist, ""),
    STR("blockd", "public_suffix", public_suffix, "/usr/share/publicsuffix/public_suffix_list.dat"),
    KIND("blockd", "max_list_bytes", K_SIZE, max_list_bytes, 1024, 1ULL << 32, "256M"),
    KIND("blockd", "max_change", K_FRAC, max_change, 0, 0, "0.5"),
    UINT("blockd", "max_validity", max_validity_days, 0, 36500, XSTR(ACCEPT_MAX_VALIDITY_DAYS)),
    UINT("blockd", "clock_skew", clock_skew, 0, 86400, XSTR(ACCEPT_MAX_SKEW_DEFAULT)),
    UINT("blockd", "max_serial_jump", max_serial_jump, 0, ACCEPT_SERIAL_CEILING,
	XSTR(ACCEPT_MAX_SERIAL_JUMP_DEFAULT)),
    STR("blockd", "shared_infrastructure", shared_infrastructure, BLOCKD_SHARED_PATH),
    STR("blockd", "shared_infrastructure_local", shared_infrastructure_local,
	"/etc/blockd/shared-infrastructure.local"),
    KIND("blockd", "documentation_ranges", K_BOOL, documentation_ranges, 0, 1, "no"),
    STR("blockd", "control_socket", control_socket, "/run/blockd/control.sock"),
    STR("blockd", "control_group", control_group, "_blockd"),
    STR("blockd", "override_group", override_group, ""),
    STR("blockd", "user", user, "_blockd"),

    STR("transparency", "log_key", tlog_log_key, ""),
    STR("transparency", "witnesses", tlog_witnesses, ""),
    UINT("transparency", "witnesses_required", tlog_witnesses_required, 0, 16, "0"),

    ENUM("netfilter", "backend", backend, backend_names, "auto"),
    ENUM("netfilter", "hook", hook, hook_names, "forward"),
    UINT("netfilter", "queues", queues, 0, 64, "0"),
    UINT("netfilter", "queue_base", queue_base, 0, 65535 - 64, "4200"),
    UINT("netfilter", "queue_maxlen", queue_maxlen, 64, 1u << 20, "8192"),
    UINT("netfilter", "rcvbuf_mb", rcvbuf_mb, 1, 1024, "16"),
    ENUM("netfilter", "failure", failure, failure_names, "open"),
    ENUM("netfilter", "on_stop", on_stop, stop_names, "remove"),
    KIND("netfilter", "mark", K_MARK, mark, 1, 0xffffffffULL, "0x00100000"),
    KIND("netfilter", "mark_block", K_MARK, mark_block, 1, 0xffffffffULL, "0x00200000"),
    KIND("netfilter", "mark_late", K_MARK, mark_late, 1, 0xffffffffULL, "0x00400000"),
    KIND("netfilter", "mark_hello", K_MARK, mark_hello, 1, 0xffffffffULL, "0x00800000"),
    ENUM("netfilter", "ip_action", ip_action, ipaction_names, "reject"),
    UINT("netfilter", "ip_log_rate", ip_log_rate, 1, 100000, "100"),
    UINT("netfilter", "nflog_group", nflog_group, 1, 65535, "4242"),
    ENUM("netfilter", "paths", paths, paths_names, "both"),

    ENUM("dns", "action", dns_action, dnsact_names, "nxdomain"),
    KIND("dns", "sinkhole_v4", K_ADDR4, sinkhole_v4, 0, 0, ""),
    KIND("dns", "sinkhole_v6", K_ADDR6, sinkhole_v6, 0, 0, ""),
    UINT("dns", "ttl", dns_ttl, 0, 86400, "300"),
    KIND("dns", "ede", K_BOOL, dns_ede, 0, 1, "yes"),

    ENUM("tls", "no_sni", no_sni, nosni_names, "pass"),

    STR("http", "notice_template", notice_template, ""),
    STR("http", "appeal_url", appeal_url, ""),

    UINT("flows", "max", flow_max, 1024, 1u << 24, "262144"),
    UINT("flows", "timeout", flow_timeout, 1, 3600, "30"),
    UINT("flows", "streams", flow_streams, 16, 1u << 20, "1024"),
    UINT("flows", "client_share", client_share, 1, 100, "25"),
    ENUM("flows", "unjudged", unjudged, unjudged_names, "pass"),
    KIND("flows", "ports", K_PORTS, ports, 0, 0, FLOWS_PORTS_DEFAULT),

    STR("log", "path", log_path, "/var/log/blockd/enforcement.jsonl"),
    UINT("log", "queue", log_queue, 64, 1u << 20, "65536"),
    UINT("log", "fsync_interval_ms", fsync_interval_ms, 0, 3600000, "1000"),
    KIND("log", "rotate_size", K_SIZE, rotate_bytes, 0, 1ULL << 40, "0"),
    UINT("log", "rotate_seconds", rotate_seconds, 0, 31ULL * 86400, "86400"),
    KIND("log", "raw_addresses", K_BOOL, raw_addresses, 0, 1, "no"),

    KIND("metrics", "listen", K_LISTEN, metrics_listen, 0, 0, ""),

    KIND("safeguards", "observe", K_DUR, observe, 0, 604800, "15m"), /* 7 days */
    UINT("safeguards", "collateral_max", collateral_max, 0, 100000, "3"),
    UINT("safeguards", "collateral_top", collateral_top, 1, 100, "10"),

    STR("divert", "bird_socket", divert_bird_socket, ""),
    STR("divert", "include", divert_include, "/var/lib/blockd/divert.bird"),
    STR("divert", "interface", divert_interface, "blockd0"),
    STR("divert", "protocol", divert_protocol, "blockd_divert"),
    STR("divert", "resolver", divert_resolver, ""),
    UINT("divert", "resolve_rate", divert_rate, 1, 100000, "50"),
    KIND("divert", "ttl_min", K_DUR, divert_ttl_min, 1, 86400, "60s"),
    KIND("divert", "ttl_max", K_DUR, divert_ttl_max, 1, 604800, "1h"), /* 7 days */
    UINT("divert", "max", divert_max, 1, 10000000, "100000"),
    STR("divert", "prefixes", divert_prefixes, ""),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const sections[] = {"blockd", "transparency", "netfilter", "dns", "tls", "http",
    "flows", "log", "metrics", "safeguards", "divert", NULL};

/* [flows] ports: "all", or port numbers separated by commas and/or spaces. */
static const char *
ports_set(struct cfg_ports *pt, const char *v, char *err, size_t errlen)
{
	struct cfg_ports n = {0, 0, {0}};

	if (!strcmp(v, "all")) {
		n.all = 1;
		*pt = n;
		return NULL;
	}
	for (const char *s = v;;) {
		char *end;
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		if (!isdigit((unsigned char)*s))
			return "not a port list (e.g. 80, 443, 8443) or all";
		errno = 0;
		unsigned long u = strtoul(s, &end, 10);
		if (errno != 0 || u == 0 || u > 65535 ||
		    (*end != '\0' && *end != ',' && *end != ' ' && *end != '\t'))
			return "a port is a number 1..65535; ports are separated by commas";
		if (u == 53)
			return "53 is always read as DNS: leave it out";
		for (unsigned i = 0; i < n.n; i++)
			if (n.port[i] == u) {
				snprintf(err, errlen, "port %lu given twice", u);
				return err;
			}
		if (n.n == CFG_PORTS_MAX) {
			snprintf(err, errlen, "more than %d ports: use all", CFG_PORTS_MAX);
			return err;
		}
		n.port[n.n++] = (uint16_t)u;
		s = end;
	}
	if (n.n == 0)
		return "no port given (e.g. 80, 443, or all)";
	*pt = n;
	return NULL;
}

int
config_port_listed(const struct cfg_ports *pt, uint16_t port)
{
	if (port == 53)
		return 0;
	if (pt->all)
		return 1;
	for (unsigned i = 0; i < pt->n; i++)
		if (pt->port[i] == port)
			return 1;
	return 0;
}

/* Parses one value into the field k describes. Returns NULL or what is wrong. */
static const char *
key_set(const struct key *k, struct blockd_config *c, const char *v, char *err, size_t errlen)
{
	char *p = (char *)c + k->off;
	char *end;
	unsigned long long u;
	double d;
	int i;

	switch (k->kind) {
	case K_STR:
		if (strlen(v) >= k->size) {
			snprintf(err, errlen, "longer than %zu bytes", k->size - 1);
			return err;
		}
		for (const char *s = v; *s; s++)
			if (!isprint((unsigned char)*s))
				return "contains a control or non-ASCII byte";
		strcpy(p, v);
		return NULL;
	case K_UINT:
	case K_SIZE:
	case K_MARK:
		if (!isdigit((unsigned char)*v))
			return k->kind == K_SIZE ? "not a size (e.g. 64M)" : "not a number";
		errno = 0;
		u = strtoull(v, &end, k->kind == K_MARK ? 0 : 10);
		if (errno != 0)
			return "out of range";
		if (k->kind == K_SIZE && *end != '\0' && end[1] == '\0') {
			int shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : -1;
			if (shift < 0)
				return "not a size: use a number with an optional K, M or G";
			if (u > (ULLONG_MAX >> shift))
				return "out of range";
			u <<= shift;
			end++;
		}
		if (*end != '\0')
			return k->kind == K_MARK ? "not a number, e.g. 0x00200000"
						 : "trailing characters";
		if (u < k->min || u > k->max) {
			snprintf(err, errlen, "%llu is out of range %llu..%llu", u, k->min, k->max);
			return err;
		}
		if (k->kind == K_MARK && (u & (u - 1)) != 0)
			return "must be a single bit, e.g. 0x00100000";
		if (k->size == sizeof(uint64_t))
			*(uint64_t *)(void *)p = u;
		else
			*(unsigned *)(void *)p = (unsigned)u;
		return NULL;
	case K_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
			*(int *)(void *)p = 1;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") ||
		    !strcmp(v, "0"))
			*(int *)(void *)p = 0;
		else
			return "not a boolean: use yes or no";
		return NULL;
	case K_ENUM:
		for (i = 0; k->names[i] != NULL; i++)
			if (!strcmp(v, k->names[i])) {
				*(int *)(void *)p = i;
				return NULL;
			}
		snprintf(err, errlen, "\"%s\" is not one of:", v);
		for (i = 0; k->names[i] != NULL; i++)
			snprintf(err + strlen(err), errlen - strlen(err), " %s", k->names[i]);
		return err;
	case K_DUR: {
		/* A duration: seconds, or a number with s, m, h or d. */
		static const struct {
			char unit;
			unsigned mult;
		} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
		unsigned mult = 0;
		if (!isdigit((unsigned char)*v))
			return "not a duration (e.g. 15m, 90s, 1h; 0 for none)";
		errno = 0;
		u = strtoull(v, &end, 10);
		if (*end == '\0')
			mult = 1;
		for (size_t n = 0; n < sizeof(units) / sizeof(units[0]) && !mult; n++)
			if (end[0] == units[n].unit && end[1] == '\0')
				mult = units[n].mult;
		if (mult == 0)
			return "not a duration: use a number with an optional s, m, h or d";
		if (errno != 0 || u > k->max / mult) {
			snprintf(err, errlen, "longer than %llus", k->max);
			return err;
		}
		*(unsigned *)(void *)p = (unsigned)(u * mult);
		return NULL;
	}
	case K_FRAC:
		errno = 0;
		d = strtod(v, &end);
		if (errno != 0 || end == v || *end != '\0' || !(d > 0.0 && d <= 1.0))
			return "not a fraction in (0, 1], e.g. 0.25";
		*(double *)(void *)p = d;
		return NULL;
	case K_ADDR4:
	case K_ADDR6: {
		unsigned char buf[16];
		int af = k->kind == K_ADDR4 ? AF_INET : AF_INET6;
		if (*v != '\0' && (strlen(v) >= k->size || inet_pton(af, v, buf) != 1))
			return af == AF_INET ? "not an IPv4 address" : "not an IPv6 address";
		strcpy(p, v);
		return NULL;
	}
	case K_LISTEN: {
		/* Metrics carry no secrets but are not for subscribers: loopback only. */
		char host[64];
		unsigned char buf[16];
		const char *colon = strrchr(v, ':');
		if (*v == '\0') {
			*p = '\0';
			return NULL;
		}
		if (colon == NULL || strlen(v) >= k->size)
			return "not ADDRESS:PORT (e.g. 127.0.0.1:9153 or [::1]:9153)";
		snprintf(host, sizeof(host), "%.*s", (int)(colon - v), v);
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host) - 2);
			host[strlen(host) - 2] = '\0';
			if (inet_pton(AF_INET6, host, buf) != 1)
				return "not ADDRESS:PORT (bad IPv6 address)";
			if (memcmp(buf, &in6addr_loopback, 16) != 0)
				return "must be a loopback address";
		} else {
			if (inet_pton(AF_INET, host, buf) != 1)
				return "not ADDRESS:PORT (bad IPv4 address; IPv6 goes in brackets)";
			if (buf[0] != 127)
				return "must be a loopback address";
		}
		errno = 0;
		u = strtoull(colon + 1, &end, 10);
		if (!isdigit((unsigned char)colon[1]) || *end != '\0' || u == 0 || u > 65535)
			return "port must be 1..65535";
		strcpy(p, v);
		return NULL;
	}
	case K_PORTS:
		return ports_set((struct cfg_ports *)(void *)p, v, err, errlen);
	}
	return "unknown key kind";
}

void
config_defaults(struct blockd_config *c)
{
	char err[128];
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NKEYS; i++)
		if (key_set(&keys[i], c, keys[i].def, err, sizeof(err)) != NULL)
			abort(); /* the table itself is wrong */
}

void
config_errf(char *err, size_t errlen, const char *fmt, ...)
{
	size_t n = strnlen(err, errlen);
	va_list ap;

	if (n + 1 >= errlen)
		return;
	if (n > 0)
		err[n++] = '\n';
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
}

int
config_section_known(const char *section)
{
	for (int i = 0; sections[i] != NULL; i++)
		if (!strcmp(section, sections[i]))
			return 1;
	return 0;
}

int
config_set(struct blockd_config *c, const char *section, const char *name, const char *value,
    char *err, size_t errlen)
{
	const struct key *k = NULL;
	const char *msg;
	char text[160];

	for (size_t i = 0; i < NKEYS && k == NULL; i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			k = &keys[i];
	if (k == NULL) {
		snprintf(err, errlen, "[%s] %s: unknown key", section, name);
		return -1;
	}
	if ((msg = key_set(k, c, value, text, sizeof(text))) != NULL) {
		snprintf(err, errlen, "[%s] %s: %s", section, name, msg);
		return -1;
	}
	return 0;
}

/*
 * A configuration is text. A NUL or another control byte means the file is
 * something else, or was damaged (a crash can leave a file full of zeros);
 * iniparser would read such lines as empty or cut short, and every key would
 * silently fall back to its default.
 */
int
config_text(const char *path, const char *buf, size_t len, char *err, size_t errlen)
{
	unsigned lineno = 1;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (ch == '\n') {
			lineno++;
		} else if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f) {
			snprintf(err, errlen,
			    "%s:%u: byte 0x%02x is not text (a damaged file, or not a "
			    "configuration file?)",
			    path, lineno, (unsigned)ch);
			return -1;
		}
	}
	return 0;
}

/*
 * iniparser silently keeps the last of duplicate keys and drops keys that
 * come before any section; both hide an operator's mistake, so a line scan
 * reports them.
 */
int
config_scan(const char *path, const char *buf, size_t len, char *err, size_t errlen)
{
	char line[1024], section[64] = "", seen[96][96], secs_seen[32][64];
	const char *p = buf, *end = buf + len, *nl;
	unsigned lines[96], seclines[32];
	size_t nseen = 0, nsections = 0;
	unsigned lineno = 0;
	int bad = 0;

	while (p < end) {
		char *s = line, *e, id[96];
		size_t i;

		nl = memchr(p, '\n', (size_t)(end - p));
		snprintf(line, sizeof(line), "%.*s", (int)((nl ? nl : end) - p), p);
		p = nl ? nl + 1 : end;
		lineno++;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			e = strchr(s, ']');
			snprintf(section, sizeof(section), "%.*s", e ? (int)(e - s - 1) : 0, s + 1);
			for (i = 0; section[i]; i++)
				section[i] = (char)tolower((unsigned char)section[i]);
			nseen = 0;
			/* A section given twice would let its later keys win silently. */
			for (i = 0; i < nsections; i++)
				if (!strcmp(secs_seen[i], section)) {
					config_errf(err, errlen,
					    "%s:%u: [%s]: section repeated, first on line %u (keep "
					    "one)",
					    path, lineno, section, seclines[i]);
					bad++;
					break;
				}
			if (i == nsections &&
			    nsections < sizeof(secs_seen) / sizeof(secs_seen[0])) {
				strcpy(secs_seen[nsections], section);
				seclines[nsections++] = lineno;
			}
			continue;
		}
		if ((e = strchr(s, '=')) == NULL)
			continue;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (section[0] == '\0') {
			config_errf(err, errlen, "%s:%u: %.*s: key outside any section", path,
			    lineno, (int)(e - s), s);
			bad++;
			continue;
		}
		snprintf(id, sizeof(id), "%.*s", (int)(e - s), s);
		for (i = 0; id[i]; i++)
			id[i] = (char)tolower((unsigned char)id[i]);
		for (i = 0; i < nseen; i++)
			if (!strcmp(seen[i], id)) {
				config_errf(err, errlen,
				    "%s:%u: [%s] %s: duplicate key, first set on line %u", path,
				    lineno, section, id, lines[i]);
				bad++;
				break;
			}
		if (i == nseen && nseen < sizeof(seen) / sizeof(seen[0])) {
			strcpy(seen[nseen], id);
			lines[nseen++] = lineno;
		}
	}
	return bad;
}

/* Identifiers BIRD takes unquoted, and interface names. */
static int
plain_word(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == n;
}

static int
divert_check(const struct blockd_config *c, const char *path, char *err, size_t errlen)
{
	uint8_t a[16];
	char why[256];
	int bad = 0;

	if (!plain_word(c->divert_interface, 15)) {
		config_errf(err, errlen,
		    "%s: [divert] interface: 1 to 15 letters, digits, '_', '-' or '.'", path);
		bad++;
	}
	if (strlen(c->divert_protocol) > 32 || !isalpha((unsigned char)c->divert_protocol[0]) ||
	    strspn(c->divert_protocol,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
		strlen(c->divert_protocol)) {
		config_errf(err, errlen,
		    "%s: [divert] protocol: a BIRD name: a letter, then letters, digits or '_'",
		    path);
		bad++;
	}
	if (c->divert_resolver[0] != '\0' && inet_pton(AF_INET, c->divert_resolver, a) != 1 &&
	    inet_pton(AF_INET6, c->divert_resolver, a) != 1) {
		config_errf(err, errlen, "%s: [divert] resolver: \"%s\" is not an IP address", path,
		    c->divert_resolver);
		bad++;
	}
	if (c->divert_ttl_min > c->divert_ttl_max) {
		config_errf(err, errlen, "%s: [divert] ttl_min: more than ttl_max", path);
		bad++;
	}
	if (divertset_list_parse(c->divert_prefixes, NULL, 1024, DIVERT_CONFIG, why, sizeof(why)) <
	    0) {
		config_errf(err, errlen, "%s: [divert] prefixes: %s", path, why);
		bad++;
	}
	if (c->divert_bird_socket[0] != '\0' && c->divert_include[0] != '/') {
		config_errf(err, errlen, "%s: [divert] include: an absolute path", path);
		bad++;
	}
	return bad;
}

int
config_check(const struct blockd_config *c, const char *path, char *err, size_t errlen)
{
	int bad = 0;

	if (c->mark == c->mark_block) {
		config_errf(err, errlen, "%s: [netfilter] mark_block: must differ from mark", path);
		bad++;
	}
	if (c->mark_late == c->mark || c->mark_late == c->mark_block) {
		config_errf(err, errlen,
		    "%s: [netfilter] mark_late: must differ from mark and mark_block", path);
		bad++;
	}
	if (c->mark_hello == c->mark || c->mark_hello == c->mark_block ||
	    c->mark_hello == c->mark_late) {
		config_errf(err, errlen,
		    "%s: [netfilter] mark_hello: must differ from mark, mark_block and mark_late",
		    path);
		bad++;
	}
	if (c->tlog_log_key[0] || c->tlog_witnesses[0] || c->tlog_witnesses_required) {
		struct tlog_policy tp;
		char why[512];

		if (c->tlog_log_key[0] == '\0') {
			config_errf(err, errlen,
			    "%s: [transparency] log_key: required when witnesses are set", path);
			bad++;
		} else if (tlog_policy_parse(c->tlog_log_key, c->tlog_witnesses,
			       c->tlog_witnesses_required, &tp, why, sizeof(why)) == -1) {
			config_errf(err, errlen, "%s: [transparency] %s", path, why);
			bad++;
		}
	}
	if (c->dns_action == CFG_DNS_SINKHOLE && c->sinkhole_v4[0] == '\0' &&
	    c->sinkhole_v6[0] == '\0') {
		config_errf(err, errlen,
		    "%s: [dns] action: sinkhole needs sinkhole_v4 or sinkhole_v6", path);
		bad++;
	}
	bad += divert_check(c, path, err, errlen);
	return bad;
}

void
config_print(const struct blockd_config *c, FILE *out)
{
	const char *last = NULL;
	const char *p;

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		p = (const char *)c + k->off;
		if (last == NULL || strcmp(last, k->section) != 0) {
			fprintf(out, "%s[%s]\n", last ? "\n" : "", k->section);
			last = k->section;
		}
		fprintf(out, "%s = ", k->name);
		switch (k->kind) {
		case K_STR:
		case K_ADDR4:
		case K_ADDR6:
		case K_LISTEN:
			fprintf(out, "%s\n", p);
			break;
		case K_UINT:
			fprintf(out, "%u\n", *(const unsigned *)(const void *)p);
			break;
		case K_SIZE:
			fprintf(
			    out, "%llu\n", (unsigned long long)*(const uint64_t *)(const void *)p);
			break;
		case K_MARK:
			fprintf(out, "0x%08x\n", *(const unsigned *)(const void *)p);
			break;
		case K_BOOL:
			fprintf(out, "%s\n", *(const int *)(const void *)p ? "yes" : "no");
			break;
		case K_ENUM:
			fprintf(out, "%s\n", k->names[*(const int *)(const void *)p]);
			break;
		case K_FRAC:
			fprintf(out, "%g\n", *(const double *)(const void *)p);
			break;
		case K_DUR: {
			unsigned v = *(const unsigned *)(const void *)p;
			if (v == 0)
				fputs("0\n", out);
			else if (v % 3600 == 0)
				fprintf(out, "%uh\n", v / 3600);
			else if (v % 60 == 0)
				fprintf(out, "%um\n", v / 60);
			else
				fprintf(out, "%us\n", v);
			break;
		}
		case K_PORTS: {
			const struct cfg_ports *pt = (const struct cfg_ports *)(const void *)p;
			if (pt->all)
				fprintf(out, "all");
			for (unsigned j = 0; j < pt->n; j++)
				fprintf(out, "%s%u", j ? ", " : "", pt->port[j]);
			fprintf(out, "\n");
			break;
		}
		}
	}
}
