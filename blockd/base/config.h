/* blockd.conf: the daemon's configuration, read with iniparser and checked key by key. */
#ifndef BLOCKD_CONFIG_H
#define BLOCKD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BLOCKD_CONF_PATH "/etc/blockd/blockd.conf"

enum cfg_backend { CFG_BACKEND_AUTO, CFG_BACKEND_NFT, CFG_BACKEND_IPTABLES };
enum cfg_hook { CFG_HOOK_FORWARD, CFG_HOOK_LOCAL, CFG_HOOK_BOTH };
enum cfg_failure { CFG_FAIL_OPEN, CFG_FAIL_CLOSED };
enum cfg_ipaction { CFG_IP_REJECT, CFG_IP_DROP };
enum cfg_dnsact { CFG_DNS_NXDOMAIN, CFG_DNS_SINKHOLE };
enum cfg_nosni { CFG_NOSNI_PASS, CFG_NOSNI_BLOCK };
enum cfg_unjudged { CFG_UNJUDGED_PASS, CFG_UNJUDGED_BLOCK };
enum cfg_stop { CFG_STOP_REMOVE, CFG_STOP_KEEP };
enum cfg_paths { CFG_PATHS_BOTH, CFG_PATHS_ONE };

/* [flows] ports: the destination ports whose TCP and UDP flows are read by their first bytes. */
#define CFG_PORTS_MAX 32
struct cfg_ports {
	int all;    /* every port (but 53, which is DNS's) */
	unsigned n; /* else port[0..n), in the order given, no duplicates, none 53 */
	uint16_t port[CFG_PORTS_MAX];
};

/*
 * Every key has a default (config_defaults()), documented in blockd.conf(5).
 * Strings are owned by the struct (fixed buffers), so a config is a plain
 * value that can be copied and compared.
 */
struct blockd_config {
	/* [blockd] */
	char appliance_id[64];
	char rules_dir[256];          /* list + .minisig files arrive here */
	char keys_dir[256];           /* trusted regulator public keys */
	unsigned signatures_required; /* threshold of distinct trusted keys */
	char state_dir[256];          /* last accepted list, serial, log chain head */
	char allowlist[256];          /* local allowlist file, "" for none */
	char public_suffix[256];      /* public suffix list file */
	uint64_t max_list_bytes;
	double max_change;               /* fraction of entries a list may add or drop */
	unsigned max_validity_days;      /* longest issue-to-expiry span accepted; 0: no limit */
	unsigned clock_skew;             /* seconds an issue time may lie in the future */
	uint64_t max_serial_jump;        /* largest serial increase accepted; 0: no limit */
	char shared_infrastructure[256]; /* the curated shared-infrastructure list */
	char shared_infrastructure_local[256]; /* the operator's additions, read if present */
	int documentation_ranges;              /* allow documentation addresses (test beds) */
	char control_socket[256];
	char control_group[64];
	char override_group[64]; /* may override max_change and max_serial_jump; "": root only */
	char user[64];           /* drop to this user after setup, "" to stay */

	/* [transparency] */
	char tlog_log_key[320];           /* the list log's key (note verifier key); "": off */
	char tlog_witnesses[1024];        /* trusted witnesses' cosignature keys, space-separated */
	unsigned tlog_witnesses_required; /* distinct trusted witnesses that must cosign */

	/* [netfilter] */
	int backend;         /* enum cfg_backend */
	int hook;            /* enum cfg_hook */
	unsigned queues;     /* 0: one per CPU */
	unsigned queue_base; /* first NFQUEUE number */
	unsigned queue_maxlen;
	unsigned rcvbuf_mb;
	int failure;         /* enum cfg_failure */
	int on_stop;         /* enum cfg_stop */
	uint32_t mark;       /* packet/conntrack mark bit: flow decided, allowed */
	uint32_t mark_block; /* packet/conntrack mark bit: flow decided, blocked */
	uint32_t mark_late;  /* packet mark bit: queued past the flow's bytes, still undecided */
	uint32_t mark_hello; /* packet/conntrack mark bit: TLS hello allowed, server's answer due */
	int ip_action;       /* enum cfg_ipaction */
	unsigned ip_log_rate; /* NFLOG events per second for IP blocks */
	unsigned nflog_group;
	int paths; /* enum cfg_paths: both directions of a flow pass here, or the client's only */

	/* [dns] */
	int dns_action; /* enum cfg_dnsact */
	char sinkhole_v4[64];
	char sinkhole_v6[64];
	unsigned dns_ttl;
	int dns_ede; /* attach EDE 16 "Censored" */

	/* [tls] */
	int no_sni; /* enum cfg_nosni (also ECH) */

	/* [http] */
	char notice_template[256]; /* "" for the built-in page */
	char appeal_url[256];

	/* [flows] */
	unsigned flow_max;
	unsigned flow_timeout;  /* seconds */
	unsigned flow_streams;  /* stream buffers per worker (at most flow_max) */
	unsigned client_share;  /* percent of a worker's flows and buffers one client may hold */
	int unjudged;           /* enum cfg_unjudged: a flow decided without a name read */
	struct cfg_ports ports; /* read by their first bytes: TLS, QUIC, HTTP/1 */

	/* [log] */
	char log_path[256];
	unsigned log_queue; /* events buffered before the writer */
	unsigned fsync_interval_ms;
	uint64_t rotate_bytes;   /* 0: never by size */
	unsigned rotate_seconds; /* 0: never by age */
	int raw_addresses;       /* log client addresses, not pseudonyms */

	/* [metrics] */
	char metrics_listen[64]; /* "" off; "127.0.0.1:9153" */

	/* [safeguards]: what a new address entry would also block, measured before it is enforced */
	unsigned observe;        /* seconds a new address or prefix entry is observed; 0: none */
	unsigned collateral_max; /* unlisted registrable domains seen on it before it is held */
	unsigned collateral_top; /* names shown per entry (status, log, report) */

	/* [divert]: the divert set announced through a local BIRD; off while bird_socket is "" */
	char divert_bird_socket[256]; /* BIRD's control socket */
	char divert_include[256];     /* the file of static routes BIRD's configuration includes */
	char divert_interface[16];    /* the liveness interface the routes go via */
	char divert_protocol[64];     /* BIRD static protocols <name>4 and <name>6 */
	char divert_resolver[64];     /* resolves listed names to divert their addresses; "" none */
	unsigned divert_rate;         /* names resolved per second at most */
	unsigned divert_ttl_min;      /* seconds: shortest time an answer is kept */
	unsigned divert_ttl_max;      /* seconds: longest */
	unsigned divert_max;          /* prefixes in the set at most */
	char divert_prefixes[1024];   /* the operator's own prefixes, comma or space separated */
};

/*
 * The pure part (config.c): no file I/O, no iniparser. Messages name the
 * section and key, and path and line where there is one.
 *
 * config_defaults(): every key at its default.
 * config_section_known(): 1 if section is one of blockd.conf's, else 0.
 * config_set(): one key from its value as the file spells it. Returns 0, or
 * -1 with "[section] key: what is wrong" in err.
 * config_text(): the file's bytes are text, no NUL or other control byte (a
 * damaged file, or not a configuration). Returns 0, or -1 with
 * "path:line: ..." in err.
 * config_scan(): what an INI reader hides: keys before any section and
 * duplicate keys. config_check(): what no one key can say (mark,
 * mark_block, mark_late and mark_hello differ, sinkhole has an address). Both return the number of
 * problems found, each appended to err as a line with config_errf().
 * config_print(): the normalised config, every key, in the file's syntax.
 * config_errf(): appends one line to err (a newline first unless err is
 * empty), truncated to errlen.
 */
void config_defaults(struct blockd_config *);
int config_section_known(const char *section);
int config_set(struct blockd_config *, const char *section, const char *key, const char *value,
    char *err, size_t errlen);
int config_text(const char *path, const char *buf, size_t len, char *err, size_t errlen);
int config_scan(const char *path, const char *buf, size_t len, char *err, size_t errlen);
int config_check(const struct blockd_config *, const char *path, char *err, size_t errlen);
void config_print(const struct blockd_config *, FILE *out);
void config_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* config_port_listed(): 1 if port is one of ports (all: any but 53), else 0. Pure. */
int config_port_listed(const struct cfg_ports *, uint16_t port);

/*
 * Reading the file (configfile.c), with iniparser.
 *
 * config_parse(): defaults, then the file's bytes (buf, len; path names them
 * in messages) read with iniparser and checked key by key. Returns 0, or -1
 * with every problem in err, one a line: "path: [section] key: what is
 * wrong", or "path:line: ..." where the line is known.
 * config_load(): reads path (a regular file of at most CONFIG_FILE_MAX
 * bytes, read once) and parses it. Returns an exit status (exitcode.h):
 * EXIT_OK, EXIT_SYSTEM if the file could not be read, EXIT_FAIL if it is
 * not a valid configuration; the problems are in err, one a line.
 */
#define CONFIG_FILE_MAX (1u << 20)
int config_parse(struct blockd_config *, const char *path, const char *buf, size_t len, char *err,
    size_t errlen);
int config_load(struct blockd_config *, const char *path, char *err, size_t errlen);

#endif
