/* The control socket: blockctl's requests to the daemon, and their answers. */
#ifndef BLOCKD_CTL_H
#define BLOCKD_CTL_H

#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Protocol: the client sends one request line of at most CTL_REQUEST_MAX
 * bytes, "[json] COMMAND [ARG...]\n", words separated by single spaces,
 * printable ASCII only. The daemon answers with a status line, "OK\n" or
 * "ERR <code>\n" where code is blockctl's exit status (exitcode.h), then
 * the body (text, or one JSON object when the request began with "json"),
 * then closes.
 */
#define CTL_REQUEST_MAX 4096
#define CTL_ARGS_MAX    4

enum ctl_cmd { CTL_STATUS = 1, CTL_RELOAD, CTL_LOOKUP, CTL_STATS, CTL_COLLATERAL, CTL_DIVERT };

struct ctl_request {
	int cmd;      /* enum ctl_cmd */
	int json;     /* answer in JSON */
	int override; /* reload: accept a change above max_change or max_serial_jump */
	const char
	    *arg; /* lookup: what to look up; collateral: the entry or NULL; points into buf */
};

/*
 * ctl_parse(): parses a request line in place (buf is modified, req points
 * into it; buf must have room for len + 1 bytes, as the line is terminated
 * in place). Returns 0, or -1 with what is wrong in err. Pure.
 */
int ctl_parse(char *buf, size_t len, struct ctl_request *req, char *err, size_t errlen);

/*
 * What the daemon does for each command: each writes the answer body to out
 * and returns the exit status blockctl should use (0 success).
 */
struct ctl_ops {
	int (*status)(void *ctx, int json, FILE *out);
	int (*reload)(
	    void *ctx, int override, unsigned uid, int json, FILE *out); /* uid: who asked */
	int (*lookup)(void *ctx, const char *what, int json, FILE *out);
	int (*stats)(void *ctx, int json, FILE *out);
	int (*collateral)(
	    void *ctx, const char *entry, int json, FILE *out); /* entry may be NULL */
	int (*divert)(void *ctx, int json, FILE *out);
};

struct ctl;

/*
 * ctl_open(): creates the socket at path (replacing a stale one), owned by
 * root and group (a group name; "" keeps the current group), mode 0660.
 * "reload override" is narrower: root, or members of override_group ("" for
 * root only). Returns NULL with the reason in err.
 */
struct ctl *ctl_open(
    const char *path, const char *group, const char *override_group, char *err, size_t errlen);
/*
 * Clients are served side by side, none waiting for another: at most
 * CTL_CLIENTS_MAX at once (more wait in the listen queue), each cut off if
 * its request has not arrived, or its answer not been taken, within
 * CTL_TIMEOUT_MS.
 */
#define CTL_CLIENTS_MAX     32
#define CTL_TIMEOUT_MS      1000
#define CTL_POLLFDS         (CTL_CLIENTS_MAX + 1)
/* After accept() fails for want of descriptors or memory, the listener rests this long. */
#define CTL_ACCEPT_PAUSE_MS 100
/*
 * ctl_pollfds(): fills pf (room for CTL_POLLFDS) with what to poll: the
 * listening socket (fd -1 while every slot is taken), then each client's
 * socket. Returns how many entries it filled.
 */
size_t ctl_pollfds(const struct ctl *, struct pollfd *pf);
/* ctl_timeout(): ms until the next client's deadline, at most max_ms. */
int ctl_timeout(const struct ctl *, int max_ms);
/*
 * ctl_serve(): call after every poll, whatever woke it. Accepts waiting
 * clients, reads what they sent, answers each whole request (the peer must
 * be root or in the socket's group, by SO_PEERCRED, else it is refused;
 * a bad request gets an error), sends answers as the peers take them, and
 * cuts off clients past their deadline. Never waits for a client (the
 * operations themselves, a reload, run to the end). Refused and broken
 * requests are counted in ctl_refused().
 */
void ctl_serve(struct ctl *, const struct ctl_ops *, void *ctx);
unsigned long ctl_refused(const struct ctl *);
void ctl_close(struct ctl *); /* removes the socket file */

/* Client side: sends line, copies the body to out. Returns the exit status, or -1 (err). */
int ctl_request(const char *path, const char *line, FILE *out, char *err, size_t errlen);

#endif
