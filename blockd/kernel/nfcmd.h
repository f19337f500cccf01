/* Running nft and iptables: argument vectors (never a shell), a script on stdin, the complaint kept. */
#ifndef BLOCKD_NFCMD_H
#define BLOCKD_NFCMD_H

#include <stddef.h>

/*
 * nfcmd_run(): runs argv (no shell; argv[0] looked up in a fixed PATH, with
 * LC_ALL=C) with input on stdin (may be NULL), collecting stdout into out
 * (may be NULL) and the first line of stderr into err (may be NULL). The
 * child inherits the three pipes only: blockd opens everything else
 * close-on-exec. Returns the exit status, or -1 (could not run, or killed)
 * with why in err.
 */
int nfcmd_run(
    char *const argv[], const char *input, char *out, size_t outlen, char *err, size_t errlen);

/*
 * nfcmd_nft(): runs `nft -f -` with script, one transaction. Returns 0, or
 * -1 with nft's complaint in err (the kernel keeps what it had).
 */
int nfcmd_nft(const char *script, char *err, size_t errlen);

/*
 * A script written into a caller's fixed buffer, for nft -f or
 * iptables-restore: start with {out, 0, outlen, 0}; nfcmd_add() appends
 * printf-style and remembers when something did not fit; nfcmd_len()
 * returns the length written, or 0 if anything was cut. Pure.
 */
struct nfcmd_buf {
	char *p;
	size_t len, cap;
	int over;
};

void nfcmd_add(struct nfcmd_buf *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t nfcmd_len(const struct nfcmd_buf *);

#endif
