/* Unit tests for nfcmd.c: running a tool with a script on stdin, its output and complaint kept. */
#include <criterion/criterion.h>
#include <string.h>

#include "kernel/nfcmd.h"

Test(nfcmd, run_collects_output_and_status)
{
	char out[128], err[128];
	char *const cat[] = {"cat", NULL};
	cr_assert_eq(nfcmd_run(cat, "table x\n", out, sizeof(out), err, sizeof(err)), 0);
	cr_assert_str_eq(out, "table x\n");
	char *const f[] = {"sh", "-c", "echo oops >&2; exit 3", NULL};
	cr_assert_eq(nfcmd_run(f, NULL, NULL, 0, err, sizeof(err)), 3);
	cr_assert_str_eq(err, "oops");
	char *const missing[] = {"/nonexistent/tool", NULL};
	cr_assert_neq(nfcmd_run(missing, NULL, NULL, 0, err, sizeof(err)), 0);
}

Test(nfcmd, buffer_refuses_what_does_not_fit)
{
	char out[8];
	struct nfcmd_buf b = {out, 0, sizeof(out), 0};
	nfcmd_add(&b, "abc");
	nfcmd_add(&b, "%d", 42);
	cr_assert_eq(nfcmd_len(&b), 5);
	cr_assert_str_eq(out, "abc42");
	nfcmd_add(&b, "toolong");
	cr_assert_eq(nfcmd_len(&b), 0);
	nfcmd_add(&b, "x");
	cr_assert_eq(nfcmd_len(&b), 0);
}
