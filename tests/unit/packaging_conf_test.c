/* Unit tests for packaging/blockd.conf: it loads, lists every key, and its commented values are the defaults. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "exitcode.h"

#define SHIPPED "../../packaging/blockd.conf"

/* Keys the shipped file sets on purpose (uncommented). */
static const struct {
	const char *section, *line;
} deliberate[] = {{"log", "rotate_seconds = 0"}};

static char *
print_config(const struct blockd_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	cr_assert_not_null(out);
	config_print(c, out);
	fclose(out);
	return buf;
}

/* The shipped file with every "#key = value" line uncommented, in a temporary file. */
static void
uncomment(char *path, size_t pathlen)
{
	char line[1024];
	FILE *in = fopen(SHIPPED, "r"), *out;
	int fd;

	cr_assert_not_null(in, "cannot open %s", SHIPPED);
	snprintf(path, pathlen, "/tmp/blockd-conf-test.XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	out = fdopen(fd, "w");
	cr_assert_not_null(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		const char *s = line;
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' &&
		    strstr(line, " =") != NULL)
			s = line + 1;
		fputs(s, out);
	}
	fclose(in);
	fclose(out);
}

Test(packaging_conf, loads_without_errors)
{
	struct blockd_config c;
	char err[4096];

	cr_expect_eq(config_load(&c, SHIPPED, err, sizeof(err)), EXIT_OK);
	cr_expect_str_empty(err, "%s", err);
}

Test(packaging_conf, names_every_key)
{
	struct blockd_config d;
	char *printed, *file, *line, *save = NULL, want[160];
	FILE *f = fopen(SHIPPED, "r");
	long n;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	file = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(file, 1, (size_t)n, f), (size_t)n);
	fclose(f);

	config_defaults(&d);
	printed = print_config(&d);
	for (line = strtok_r(printed, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strstr(line, " =");
		if (eq == NULL)
			continue;
		snprintf(want, sizeof(want), "\n#%.*s =", (int)(eq - line), line);
		if (strstr(file, want) == NULL)
			snprintf(want, sizeof(want), "\n%.*s =", (int)(eq - line), line);
		cr_expect_not_null(strstr(file, want), "%s does not mention %.*s", SHIPPED,
		    (int)(eq - line), line);
	}
	free(printed);
	free(file);
}

Test(packaging_conf, commented_values_are_the_defaults)
{
	struct blockd_config d, c;
	char path[64], err[4096], *want, *got;

	config_defaults(&d);
	uncomment(path, sizeof(path));
	cr_assert_eq(
	    config_load(&c, path, err, sizeof(err)), EXIT_OK, "%s uncommented: %s", SHIPPED, err);
	unlink(path);

	/* Apply the deliberate settings to the defaults, then compare. */
	snprintf(path, sizeof(path), "/tmp/blockd-conf-test.XXXXXX");
	{
		int fd = mkstemp(path);
		FILE *f;
		cr_assert_geq(fd, 0);
		f = fdopen(fd, "w");
		for (size_t i = 0; i < sizeof(deliberate) / sizeof(deliberate[0]); i++)
			fprintf(f, "[%s]\n%s\n", deliberate[i].section, deliberate[i].line);
		fclose(f);
	}
	cr_assert_eq(config_load(&d, path, err, sizeof(err)), EXIT_OK, "%s", err);
	unlink(path);

	want = print_config(&d);
	got = print_config(&c);
	cr_expect_str_eq(got, want, "a commented value in %s is not the default", SHIPPED);
	free(want);
	free(got);
}
