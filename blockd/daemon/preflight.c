/* What start needs, checked without changing anything: blockd -n runs it, and so does every start, first. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "allowlist.h"
#include "base/log.h"
#include "fileio.h"
#include "preflight.h"
#include "psl.h"
#include "sigset.h"
#include "wire/http.h"

#define PSL_MAX (16u << 20)

int
notice_template_load(const char *path, char **out, char *err, size_t errlen)
{
	char *t, why[160];
	size_t n;

	*out = NULL;
	if (file_read_capped(path, NOTICE_TEMPLATE_MAX, &t, &n, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "[http] notice_template: %s%s", why,
		    errno == EFBIG ? " (shorten the page)" : "");
		return -1;
	}
	if (http_template_check(t, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "[http] notice_template: %s: %s", path, why);
		free(t);
		return -1;
	}
	*out = t;
	return 0;
}

static void __attribute__((format(printf, 3, 4)))
problem(char *err, size_t errlen, const char *fmt, ...)
{
	size_t used = strlen(err);
	va_list ap;

	if (used + 1 >= errlen)
		return;
	if (used > 0)
		err[used++] = '\n', err[used] = '\0';
	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}

/* A directory blockd writes in: there, or creatable at start (its parent is there). */
static void
check_dir(const char *key, const char *dir, char *err, size_t errlen)
{
	char parent[512];
	struct stat st;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			problem(err, errlen, "%s: %s: not a directory", key, dir);
		return;
	}
	snprintf(parent, sizeof(parent), "%s", dir);
	if (errno != ENOENT || stat(dirname(parent), &st) == -1 || !S_ISDIR(st.st_mode))
		problem(err, errlen, "%s: %s: %s, and blockd cannot create it there", key, dir,
		    strerror(errno));
}

/* A file the allowlist's format: read and parsed now, as a reload would. */
static void
check_entries(const char *key, const char *path, int optional, char *err, size_t errlen)
{
	struct allowlist *a = NULL;
	char why[1024];
	struct stat st;

	if (path[0] == '\0' || (optional && stat(path, &st) == -1 && errno == ENOENT))
		return;
	if (allowlist_load(path, &a, why, sizeof(why)) == -1)
		problem(err, errlen, "%s: %s", key, why);
	allowlist_free(a);
}

int
preflight(const struct blockd_config *cfg, char *err, size_t errlen)
{
	struct keyring *keys = NULL;
	struct psl *psl = NULL;
	DIR *dp;
	char why[1024], logdir[256], *buf;
	size_t len;

	err[0] = '\0';
	if (cfg->user[0] != '\0' && getpwnam(cfg->user) == NULL)
		problem(err, errlen, "[blockd] user: %s: no such user (adduser --system %s)",
		    cfg->user, cfg->user);
	if (cfg->control_group[0] != '\0' && getgrnam(cfg->control_group) == NULL)
		problem(
		    err, errlen, "[blockd] control_group: %s: no such group", cfg->control_group);
	if (cfg->override_group[0] != '\0' && getgrnam(cfg->override_group) == NULL)
		problem(
		    err, errlen, "[blockd] override_group: %s: no such group", cfg->override_group);
	if (cfg->notice_template[0] != '\0') {
		if (notice_template_load(cfg->notice_template, &buf, why, sizeof(why)) == -1)
			problem(err, errlen, "%s", why);
		else
			free(buf);
	}
	/* No key yet is no reason not to start (nothing is enforced until a list and its key
	   arrive, and the package's unit waits for both); an unreadable or bad one is. */
	if ((dp = opendir(cfg->keys_dir)) == NULL) {
		problem(err, errlen, "[blockd] keys_dir: %s: %s", cfg->keys_dir, strerror(errno));
	} else {
		closedir(dp);
		if (keyring_load(cfg->keys_dir, &keys, why, sizeof(why)) == -1) {
			if (strstr(why, "holds no .pub files") != NULL)
				log_warnx("[blockd] keys_dir: %s: no list can be accepted until a "
					  "trusted key is there",
				    why);
			else
				problem(err, errlen, "[blockd] keys_dir: %s", why);
		}
		keyring_free(keys);
	}
	if (file_read_capped(cfg->public_suffix, PSL_MAX, &buf, &len, why, sizeof(why)) == -1) {
		problem(err, errlen,
		    "[blockd] public_suffix: %s (install the publicsuffix package)", why);
	} else {
		if (psl_parse(buf, len, cfg->public_suffix, &psl, why, sizeof(why)) == -1)
			problem(err, errlen, "[blockd] public_suffix: %s", why);
		psl_free(psl);
		free(buf);
	}
	if (cfg->shared_infrastructure[0] == '\0')
		problem(err, errlen, "[blockd] shared_infrastructure: no file named");
	check_entries("[blockd] shared_infrastructure", cfg->shared_infrastructure, 0, err, errlen);
	check_entries("[blockd] shared_infrastructure_local", cfg->shared_infrastructure_local, 1,
	    err, errlen);
	check_entries("[blockd] allowlist", cfg->allowlist, 0, err, errlen);
	check_dir("[blockd] state_dir", cfg->state_dir, err, errlen);
	snprintf(logdir, sizeof(logdir), "%s", cfg->log_path);
	check_dir("[log] path", dirname(logdir), err, errlen);
	return err[0] == '\0' ? 0 : -1;
}
