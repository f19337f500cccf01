/* blockd.conf read once: its bytes checked as text, parsed with iniparser, then set key by key. */
#include <sys/mman.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <iniparser.h>

#include "config.h"
#include "exitcode.h"
#include "fileio.h"

/*
 * iniparser reports syntax errors through a printf-like callback with no
 * context pointer, so where they go is set here for one config_parse().
 */
static char *ini_err;
static size_t ini_errlen;
static const char *ini_path;
static int ini_errors;

static int
ini_error(const char *fmt, ...)
{
	char buf[512], *s, *nl;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (strstr(buf, "syntax error in ") != NULL) {
		/* "iniparser: syntax error in FILE (LINE):\n-> TEXT\n" */
		s = strrchr(buf, '(');
		nl = strstr(buf, "-> ");
		config_errf(ini_err, ini_errlen, "%s:%ld: syntax error: %s", ini_path,
		    s ? strtol(s + 1, NULL, 10) : 0L, nl ? nl + 3 : "");
	} else if (strstr(buf, "input line too long in ") != NULL) {
		/* "iniparser: input line too long in FILE (LINE)\n" */
		s = strrchr(buf, '(');
		config_errf(ini_err, ini_errlen, "%s:%ld: line too long", ini_path,
		    s ? strtol(s + 1, NULL, 10) : 0L);
	} else {
		config_errf(ini_err, ini_errlen, "%s: %s", ini_path, buf);
	}
	ini_errors++;
	return 0;
}

/*
 * iniparser 4.1 reads only from a named file, so the bytes already read
 * (and checked) are handed to it as an anonymous memory file: the file on
 * disk is read once, and what is parsed is what was checked.
 */
static dictionary *
ini_load(const char *buf, size_t len)
{
	char name[64];
	dictionary *d = NULL;
	size_t off = 0;
	ssize_t w;
	int fd;

	if ((fd = memfd_create("blockd.conf", MFD_CLOEXEC)) == -1)
		return NULL;
	while (off < len && (w = write(fd, buf + off, len - off)) > 0)
		off += (size_t)w;
	if (off == len) {
		snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
		d = iniparser_load(name);
	}
	close(fd);
	return d;
}

/* Every key iniparser found, section by section. Returns the number of problems. */
static int
ini_walk(struct blockd_config *c, const char *path, dictionary *d, char *err, size_t errlen)
{
	char msg[512];
	int nsec, i, j, bad = 0;

	nsec = iniparser_getnsec(d);
	for (i = 0; i < nsec; i++) {
		const char *sec = iniparser_getsecname(d, i);
		int nk = iniparser_getsecnkeys(d, sec);
		const char **names;

		if (!config_section_known(sec)) {
			config_errf(err, errlen, "%s: [%s]: unknown section", path, sec);
			bad++;
			continue;
		}
		if (nk <= 0)
			continue;
		names = calloc((size_t)nk, sizeof(*names));
		if (names == NULL) {
			config_errf(err, errlen, "%s: out of memory", path);
			return bad + 1;
		}
		iniparser_getseckeys(d, sec, names);
		for (j = 0; j < nk; j++) {
			const char *name = strchr(names[j], ':');
			const char *v = iniparser_getstring(d, names[j], NULL);

			name = name ? name + 1 : names[j];
			if (config_set(c, sec, name, v ? v : "", msg, sizeof(msg)) == -1) {
				config_errf(err, errlen, "%s: %s", path, msg);
				bad++;
			}
		}
		free(names);
	}
	return bad;
}

int
config_parse(struct blockd_config *c, const char *path, const char *buf, size_t len, char *err,
    size_t errlen)
{
	dictionary *d;
	int bad;

	if (errlen > 0)
		err[0] = '\0';
	config_defaults(c);
	if (config_text(path, buf, len, err, errlen) == -1)
		return -1;
	ini_err = err;
	ini_errlen = errlen;
	ini_path = path;
	ini_errors = 0;
	iniparser_set_error_callback(ini_error);
	d = ini_load(buf, len);
	iniparser_set_error_callback(NULL);
	ini_err = NULL;
	if (d == NULL) {
		if (ini_errors == 0)
			config_errf(err, errlen, "%s: cannot be read", path);
		return -1;
	}
	bad = ini_errors + ini_walk(c, path, d, err, errlen);
	iniparser_freedict(d);
	bad += config_scan(path, buf, len, err, errlen);
	bad += config_check(c, path, err, errlen);
	return bad ? -1 : 0;
}

int
config_load(struct blockd_config *c, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int r;

	config_defaults(c);
	if (file_read_capped(path, CONFIG_FILE_MAX, &buf, &len, err, errlen) == -1)
		return EXIT_SYSTEM;
	r = config_parse(c, path, buf, len, err, errlen);
	free(buf);
	return r == 0 ? EXIT_OK : EXIT_FAIL;
}
