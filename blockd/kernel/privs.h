/* Privileges: the state directories handed to the service user, then the switch to it with only the network capabilities. */
#ifndef BLOCKD_PRIVS_H
#define BLOCKD_PRIVS_H

#include <stddef.h>

#include "base/config.h"

/*
 * privs_prepare(): as root with cfg->user set, creates state_dir and the
 * enforcement log's directory if missing and hands them (and the files in
 * state_dir, and the log files) to that user, so it can write them after
 * the switch. Does nothing when not root or user is "". Returns 0, or -1
 * with err naming the path.
 */
int privs_prepare(const struct blockd_config *, char *err, size_t errlen);
/*
 * privs_drop(): must run while the process has a single thread (threads
 * started later inherit the result). As root with cfg->user set: the
 * bounding set trimmed to CAP_NET_ADMIN and CAP_NET_RAW, supplementary groups
 * reset, the user's group and user ids taken; already that user (or user ""
 * while not root): only the capabilities trimmed. Then the two capabilities
 * are permitted, effective, inheritable and ambient (so nft and iptables
 * children keep CAP_NET_ADMIN), and no_new_privs is set. Root with user ""
 * stays as it is (returns 0, *dropped 0). Returns 0, or -1 with err.
 */
int privs_drop(const struct blockd_config *, int *dropped, char *err, size_t errlen);
/* privs_have_net_admin(): 1 when CAP_NET_ADMIN is effective (or euid 0). */
int privs_have_net_admin(void);

#endif
