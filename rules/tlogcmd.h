/* blockrules log and blockrules audit: a list transparency log kept as static files (tlog-tiles). */
#ifndef BLOCKD_TLOGCMD_H
#define BLOCKD_TLOGCMD_H

/*
 * tlogcmd_log(): "blockrules log SUBCOMMAND ..." with argv[0] "log"; the
 * subcommands are init, append, prove, cosign and check (blockrules(1)).
 * tlogcmd_audit(): "blockrules audit ...". Both print their own messages and
 * return an exit status of rules/exitcode.h.
 */
int tlogcmd_log(int argc, char **argv);
int tlogcmd_audit(int argc, char **argv);

/* Their synopses, for blockrules' usage. */
extern const char tlogcmd_log_usage[];
extern const char tlogcmd_audit_usage[];

#endif
