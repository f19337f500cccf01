/* Unit tests for config.c: golden files for good and bad configs (BLOCKD_UPDATE_GOLDEN=1 rewrites them). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define DATA "../data/config/"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Loads DATA/name.conf and compares the normalised config or the errors with DATA/name.{out,err}. */
static void
golden(const char *name, int want)
{
	struct blockd_config c;
	char conf[256], gold[256], *got = NULL, *exp;
	size_t len = 0;
	FILE *out = open_memstream(&got, &len);
	int rc;

	snprintf(conf, sizeof(conf), DATA "%s.conf", name);
	snprintf(gold, sizeof(gold), DATA "%s.%s", name, want == 0 ? "out" : "err");
	rc = config_load(&c, conf, out);
	if (rc == 0)
		config_print(&c, out);
	fclose(out);
	cr_assert_eq(rc, want, "%s: config_load returned %d:\n%s", conf, rc, got);
	if (getenv("BLOCKD_UPDATE_GOLDEN") != NULL) {
		FILE *g = fopen(gold, "w");
		fputs(got, g);
		fclose(g);
	}
	exp = slurp(gold);
	cr_assert_str_eq(got, exp, "%s differs from %s", conf, gold);
	free(exp);
	free(got);
}

Test(config, defaults_golden)
{
	golden("good/empty", 0);
}
Test(config, full_golden)
{
	golden("good/full", 0);
}
Test(config, unknown_section_and_key)
{
	golden("bad/unknown", -1);
}
Test(config, out_of_range_values)
{
	golden("bad/range", -1);
}
Test(config, cross_key_checks)
{
	golden("bad/sinkhole", -1);
}
Test(config, syntax_error_names_line)
{
	golden("bad/syntax", -1);
}
Test(config, key_outside_section)
{
	golden("bad/outside", -1);
}

/* A zeroed or binary file is refused, never read as empty lines (all defaults). */
Test(config, not_text)
{
	golden("bad/zeroed", -1);
	golden("bad/binary", -1);
}
Test(config, line_too_long)
{
	golden("bad/longline", -1);
}

Test(config, missing_file)
{
	struct blockd_config c;
	char *got = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&got, &len);

	cr_assert_eq(config_load(&c, DATA "absent.conf", out), -1);
	fclose(out);
	cr_assert_str_eq(got, DATA "absent.conf: No such file or directory\n");
	free(got);
}

Test(config, print_reloads_identically)
{
	struct blockd_config a, b;
	char path[] = "/tmp/blockd-config-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	cr_assert_eq(config_load(&a, DATA "good/full.conf", stderr), 0);
	config_print(&a, f);
	fclose(f);
	cr_assert_eq(config_load(&b, path, stderr), 0);
	unlink(path);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "normalised config does not reload to the same");
}
