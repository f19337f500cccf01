/* The enforcement log's record format: one JSON object per line, written and read back here. */
#ifndef BLOCKD_EVREC_H
#define BLOCKD_EVREC_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "base/json.h"

/* What a state record says happened (the "state" member). */
enum evstate {
	EVS_START = 1,        /* blockd started; enforcement begins */
	EVS_STOP,             /* clean stop; enforcement ends */
	EVS_RELOAD,           /* a list was accepted; serial is now in force */
	EVS_RELOAD_REFUSED,   /* a list was refused (reason); serial names it */
	EVS_LIST_EXPIRED,     /* the list in force expired; nothing enforced */
	EVS_FAILOPEN,         /* fail-open engaged: traffic passes unchecked */
	EVS_FAILOPEN_CLEARED, /* fail-open cleared: enforcement resumed */
	EVS_DROPPED,          /* count events were lost between after_seq and this one */
	EVS_GAP,              /* written at start: the previous run ended without a stop */
	EVS_SERIAL_FLOOR,     /* at start: the log shows a higher serial accepted than state_dir
				 does (state lost or rolled back); serial is the floor kept */
	EVS_HELD,             /* an observed address entry is held, not enforced: it carries
				 unrelated services (order; reason names the entry and what was seen) */
	EVS_OBSERVED,         /* an observed address entry is enforced at the end of its window */
	EVS_DIVERT_WITHDRAWN, /* the divert routes are withdrawn: the core no longer sends
				 this appliance the diverted traffic (reason says why) */
	EVS_DIVERT_ANNOUNCED, /* the divert routes are announced again */
};

enum evrec_kind { EVREC_BLOCK = 1, EVREC_STATE };

#define EVREC_HASH_HEX 64 /* SHA-256, lowercase hex */
#define EVREC_SUB_MAX  64 /* pseudonym (32 hex) or an address */
#define EVREC_LINE_MAX 16384

/* A record as read back. Strings are NUL-terminated, truncated to fit. */
struct evrec {
	uint64_t seq;
	int64_t time_us;
	int kind;   /* enum evrec_kind */
	int state;  /* enum evstate, for EVREC_STATE */
	int method; /* enum ev_method, for EVREC_BLOCK */
	int action; /* enum ev_action */
	uint64_t serial;
	uint64_t count;       /* EVS_DROPPED: events lost */
	uint64_t after_seq;   /* EVS_DROPPED: last record written before the loss */
	uint64_t last_seq;    /* EVS_GAP: last complete record of the previous run */
	int64_t last_time_us; /* EVS_GAP: its time */
	uint64_t torn_bytes;  /* EVS_GAP: bytes of a torn last line removed */
	int raw_client;       /* subscriber holds an address, not a pseudonym */
	char prev[EVREC_HASH_HEX + 1];
	char order[3 * EV_REF_MAX];
	char service[3 * EV_SERVICE_MAX];
	char subscriber[EVREC_SUB_MAX];
	char appliance[192];
	char reason[512];
};

/*
 * evrec_format_event(), evrec_format_state(): append one record, with its
 * trailing newline, to jb. subscriber is the pseudonym, or the address text
 * when raw is set. Pure.
 */
void evrec_format_event(struct jbuf *, const struct event *, uint64_t seq, const char *appliance,
    const char *subscriber, int raw, const char *prev_hex);
/* st carries the state and its kind-specific members (count, after_seq, ...). */
void evrec_format_state(struct jbuf *, const struct evrec *st, const char *prev_hex);

/*
 * evrec_parse(): one line without its newline. Returns 0, or -1 with what
 * is wrong (a static string) in *err. Pure.
 */
int evrec_parse(const char *line, size_t len, struct evrec *, const char **err);

/* evrec_time_fmt(): "2026-11-21T21:27:23.123456Z" into out (at least 32 bytes). */
void evrec_time_fmt(int64_t time_us, char *out);
/* evrec_time_parse(): that form, or "YYYY-MM-DD" (midnight). 0, or -1. */
int evrec_time_parse(const char *s, int64_t *time_us);
/* Days since 1970-01-01 of a UTC time in microseconds. */
int64_t evrec_day(int64_t time_us);
/* "YYYY-MM-DD" of a day number into out (at least 11 bytes). */
void evrec_day_fmt(int64_t day, char *out);

/* Names as written in the log; NULL for an unknown value. */
const char *evrec_method_name(int);
const char *evrec_action_name(int);
const char *evrec_state_name(int);
const char *evrec_entry_type_name(int);
int evrec_method_from(const char *); /* 0 if unknown */
int evrec_action_from(const char *);
int evrec_state_from(const char *);

#endif
