/* Privileges: the state directories handed to the service user, then the switch to it with only the network capabilities. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "privs.h"

static const cap_value_t kept[] = {CAP_NET_ADMIN, CAP_NET_RAW};
#define NKEPT (sizeof(kept) / sizeof(kept[0]))

static int
is_kept(cap_value_t c)
{
	for (size_t i = 0; i < NKEPT; i++)
		if (kept[i] == c)
			return 1;
	return 0;
}

static int
lookup_user(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen,
		    "user %s: no such user (set [blockd] user, or \"\" to stay %s)", user,
		    geteuid() == 0 ? "root" : "as started");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* Creates dir (0750) if missing and gives it to uid:gid. */
static int
own_dir(const char *dir, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: mkdir: %s", dir, strerror(errno));
		return -1;
	}
	if (chown(dir, uid, gid) == -1) {
		snprintf(err, errlen, "%s: chown: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Files already there (from a run as root) must stay writable after the
 * switch: regular files, and directories with their contents (depth levels).
 */
static void
own_file(const char *path, uid_t uid, gid_t gid, int depth)
{
	struct stat st;
	char sub[768];

	if (lstat(path, &st) == -1 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return;
	if (lchown(path, uid, gid) == -1)
		log_warn("%s: chown", path);
	if (!S_ISDIR(st.st_mode) || depth == 0)
		return;
	DIR *dp = opendir(path);
	struct dirent *de;
	while (dp && (de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		own_file(sub, uid, gid, depth - 1);
	}
	if (dp)
		closedir(dp);
}

int
privs_prepare(const struct blockd_config *cfg, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;
	char logdir[256];

	if (geteuid() != 0 || cfg->user[0] == '\0')
		return 0;
	if (lookup_user(cfg->user, &uid, &gid, err, errlen) == -1)
		return -1;
	if (own_dir(cfg->state_dir, uid, gid, err, errlen) == -1)
		return -1;
	own_file(cfg->state_dir, uid, gid, 2);
	snprintf(logdir, sizeof(logdir), "%s", cfg->log_path);
	if (own_dir(dirname(logdir), uid, gid, err, errlen) == -1)
		return -1;
	own_file(cfg->log_path, uid, gid, 0);
	return 0;
}

int
privs_have_net_admin(void)
{
	if (geteuid() == 0)
		return 1;
	cap_t c = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;
	if (c) {
		(void)cap_get_flag(c, CAP_NET_ADMIN, CAP_EFFECTIVE, &v);
		cap_free(c);
	}
	return v == CAP_SET;
}

static int
privs_can_setpcap(void)
{
	cap_t c = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;
	if (c) {
		(void)cap_get_flag(c, CAP_SETPCAP, CAP_EFFECTIVE, &v);
		cap_free(c);
	}
	return v == CAP_SET;
}

/* The bounding set: only the kept capabilities can ever come back. */
static int
trim_bounding(char *err, size_t errlen)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		if (is_kept(c) || CAP_IS_SUPPORTED(c) == 0)
			continue;
		if (cap_get_bound(c) == 1 && cap_drop_bound(c) == -1) {
			snprintf(err, errlen, "dropping capability %s from the bounding set: %s",
			    cap_to_name(c), strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
trim_caps(char *err, size_t errlen)
{
	cap_t c = cap_init();
	if (c == NULL || cap_set_flag(c, CAP_PERMITTED, NKEPT, kept, CAP_SET) == -1 ||
	    cap_set_flag(c, CAP_EFFECTIVE, NKEPT, kept, CAP_SET) == -1 ||
	    cap_set_flag(c, CAP_INHERITABLE, NKEPT, kept, CAP_SET) == -1 || cap_set_proc(c) == -1) {
		snprintf(err, errlen,
		    "keeping only CAP_NET_ADMIN and CAP_NET_RAW: %s (are they granted, e.g. "
		    "AmbientCapabilities= in the unit?)",
		    strerror(errno));
		if (c)
			cap_free(c);
		return -1;
	}
	cap_free(c);
	if (cap_reset_ambient() == -1) {
		snprintf(err, errlen, "clearing ambient capabilities: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < NKEPT; i++) {
		if (cap_set_ambient(kept[i], CAP_SET) == -1) {
			snprintf(err, errlen, "raising %s as ambient: %s", cap_to_name(kept[i]),
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
privs_drop(const struct blockd_config *cfg, int *dropped, char *err, size_t errlen)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	*dropped = 0;
	if (cfg->user[0] == '\0' && geteuid() == 0)
		return 0;
	if (cfg->user[0] != '\0' && lookup_user(cfg->user, &uid, &gid, err, errlen) == -1)
		return -1;
	/* Without CAP_SETPCAP (started unprivileged) the bounding set is the caller's to trim. */
	if (privs_can_setpcap() && trim_bounding(err, errlen) == -1)
		return -1;
	if (geteuid() != uid || getuid() != uid) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 || setgroups(0, NULL) == -1 ||
		    setresgid(gid, gid, gid) == -1 || setresuid(uid, uid, uid) == -1) {
			snprintf(
			    err, errlen, "switching to user %s: %s", cfg->user, strerror(errno));
			return -1;
		}
		(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	if (trim_caps(err, errlen) == -1)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	*dropped = 1;
	return 0;
}
