/* Unit tests for config.c: golden files for good and bad configs (BLOCKD_UPDATE_GOLDEN=1 rewrites them). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "exitcode.h"

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
	char conf[256], gold[256], err[4096], *got = NULL, *exp;
	size_t len = 0;
	FILE *out = open_memstream(&got, &len);
	int rc;

	snprintf(conf, sizeof(conf), DATA "%s.conf", name);
	snprintf(gold, sizeof(gold), DATA "%s.%s", name, want == EXIT_OK ? "out" : "err");
	rc = config_load(&c, conf, err, sizeof(err));
	if (rc == EXIT_OK)
		config_print(&c, out);
	else
		fprintf(out, "%s\n", err);
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
	golden("good/empty", EXIT_OK);
}
Test(config, full_golden)
{
	golden("good/full", EXIT_OK);
}
Test(config, unknown_section_and_key)
{
	golden("bad/unknown", EXIT_FAIL);
}
Test(config, out_of_range_values)
{
	golden("bad/range", EXIT_FAIL);
}
Test(config, cross_key_checks)
{
	golden("bad/sinkhole", EXIT_FAIL);
	golden("bad/divert", EXIT_FAIL);
}
Test(config, transparency_keys_checked)
{
	golden("bad/transparency", EXIT_FAIL);
	golden("bad/transparency2", EXIT_FAIL);
	golden("bad/transparency3", EXIT_FAIL);
}
Test(config, syntax_error_names_line)
{
	golden("bad/syntax", EXIT_FAIL);
}
Test(config, key_outside_section)
{
	golden("bad/outside", EXIT_FAIL);
	golden("bad/repeated", EXIT_FAIL);
}

/* A zeroed or binary file is refused, never read as empty lines (all defaults). */
Test(config, not_text)
{
	golden("bad/zeroed", EXIT_FAIL);
	golden("bad/binary", EXIT_FAIL);
}
Test(config, line_too_long)
{
	golden("bad/longline", EXIT_FAIL);
}

Test(config, missing_file)
{
	struct blockd_config c;
	char err[512];

	cr_assert_eq(config_load(&c, DATA "absent.conf", err, sizeof(err)), EXIT_SYSTEM);
	cr_assert_str_eq(err, DATA "absent.conf: No such file or directory");
}

Test(config, print_reloads_identically)
{
	struct blockd_config a, b;
	char path[] = "/tmp/blockd-config-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	char err[4096];

	cr_assert_eq(config_load(&a, DATA "good/full.conf", err, sizeof(err)), EXIT_OK, "%s", err);
	config_print(&a, f);
	fclose(f);
	cr_assert_eq(config_load(&b, path, err, sizeof(err)), EXIT_OK, "%s", err);
	unlink(path);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "normalised config does not reload to the same");
}
