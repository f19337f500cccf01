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
enum cfg_stop { CFG_STOP_REMOVE, CFG_STOP_KEEP };

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

	/* [netfilter] */
	int backend;         /* enum cfg_backend */
	int hook;            /* enum cfg_hook */
	unsigned queues;     /* 0: one per CPU */
	unsigned queue_base; /* first NFQUEUE number */
	unsigned queue_maxlen;
	unsigned rcvbuf_mb;
	int failure;          /* enum cfg_failure */
	int on_stop;          /* enum cfg_stop */
	uint32_t mark;        /* packet/conntrack mark bit: flow decided, allowed */
	uint32_t mark_block;  /* packet/conntrack mark bit: flow decided, blocked */
	int ip_action;        /* enum cfg_ipaction */
	unsigned ip_log_rate; /* NFLOG events per second for IP blocks */
	unsigned nflog_group;

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
	unsigned flow_timeout; /* seconds */

	/* [log] */
	char log_path[256];
	unsigned log_queue; /* events buffered before the writer */
	unsigned fsync_interval_ms;
	uint64_t rotate_bytes;   /* 0: never by size */
	unsigned rotate_seconds; /* 0: never by age */
	int raw_addresses;       /* log client addresses, not pseudonyms */

	/* [metrics] */
	char metrics_listen[64]; /* "" off; "127.0.0.1:9153" */
};

void config_defaults(struct blockd_config *);
/*
 * config_load(): defaults, then path. Returns 0, or -1 with every problem
 * written to err as "path: [section] key: what is wrong" lines.
 */
int config_load(struct blockd_config *, const char *path, FILE *err);
/* config_print(): the normalised config, every key, in the file's syntax. */
void config_print(const struct blockd_config *, FILE *out);

#endif
