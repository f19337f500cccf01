/* Unit tests for counters.c: the table's rules, the stop log line, stats keys, metric samples. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/counters.h"

static int
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

Test(counters, table_rules)
{
	for (size_t i = 0; i < CTR_N; i++) {
		const struct counter_info *c = &counter_info[i];

		cr_assert_not_null(c->field);
		if (c->label != NULL)
			cr_assert_not_null(
			    strchr(c->label, '='), "%s: label without '='", c->field);
		if (c->metric == NULL) {
			cr_assert_null(c->label, "%s: a label without a metric", c->field);
			cr_assert_null(c->help, "%s: help without a metric", c->field);
			continue;
		}
		cr_assert_eq(strncmp(c->metric, "blockd_", 7), 0, "%s", c->metric);
		/* HELP on the family's first row only; one kind and one scope per family. */
		if (counters_first(i, 1)) {
			cr_assert_not_null(
			    c->help, "%s: the first row of %s has no help", c->field, c->metric);
			continue;
		}
		cr_assert_null(c->help, "%s: help on a later row of %s", c->field, c->metric);
		for (size_t k = 0; k < i; k++) {
			if (!same(counter_info[k].metric, c->metric))
				continue;
			cr_assert_eq(counter_info[k].kind, c->kind, "%s: kind", c->field);
			cr_assert_eq(counter_info[k].scope, c->scope, "%s: scope", c->field);
		}
	}
}

Test(counters, log_line)
{
	struct counter_values v;
	char line[1024];

	for (size_t i = 0; i < CTR_N; i++)
		v.v[i] = i + 1;
	counters_log_line(&v, line, sizeof(line));
	cr_assert_str_eq(line,
	    "received=1 accepted=2 dropped=3 missed=4 enobufs=5 verdict_msgs=6 sends=7 "
	    "dns_queries=8 dns_blocked=9 dns_bad=10 dns_tcp_partial=11 fragments=12 "
	    "inject_errors=14");
	counters_log_line(&v, line, 12);
	cr_assert_str_eq(line, "received=1 ");
}

Test(counters, read_add_and_look_up)
{
	struct nfqueue_counters q;
	struct worker_counters w;
	struct counter_values a, b;

	memset(&q, 0, sizeof(q));
	memset(&w, 0, sizeof(w));
	counter_add(&q.missed, 3);
	counter_add(&w.tls_blocked, 2);
	counter_add(&w.tls_no_sni_blocked, 5);
	counter_add(&w.dns_bad, 1);
	counter_add(&w.quic_other, 1);
	counter_set(&w.flows_active, 9);
	counters_read(&q, &w, &a);
	counters_read(NULL, &w, &b);
	cr_assert_eq(b.v[CTR_missed], 0);
	counters_add(&a, &b);
	cr_assert_eq(a.v[CTR_missed], 3);
	cr_assert_eq(counters_stat(&a, "tls_blocked"), 14);
	cr_assert_eq(counters_stat(&a, "flows"), 18);
	cr_assert_eq(counters_sample(&a, "blockd_blocked_total", "method=tls"), 14);
	cr_assert_eq(counters_sample(&a, "blockd_blocked_total", "method=dns"), 0);
	cr_assert_eq(counters_sample(&a, "blockd_unreadable_total", NULL), 4);
}
