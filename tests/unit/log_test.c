/* Unit tests for log.c: messages reach stderr whole, with the program name. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>

#include "base/log.h"

static void
redirect(void)
{
	cr_redirect_stderr();
}

Test(log, warnx_names_program, .init = redirect)
{
	log_init("blocktest", 0, 0);
	log_warnx("rules: %s:%d: bad", "list", 7);
	fflush(stderr);
	cr_assert_stderr_eq_str("blocktest: rules: list:7: bad\n");
}

Test(log, warn_appends_errno, .init = redirect)
{
	log_init("blocktest", 0, 0);
	errno = ENOENT;
	log_warn("open %s", "x");
	fflush(stderr);
	cr_assert_stderr_eq_str("blocktest: open x: No such file or directory\n");
}

Test(log, debug_only_when_verbose, .init = redirect)
{
	log_init("blocktest", 0, 0);
	log_debug("hidden");
	log_init("blocktest", 0, 1);
	log_debug("shown");
	fflush(stderr);
	cr_assert_stderr_eq_str("blocktest: shown\n");
}
