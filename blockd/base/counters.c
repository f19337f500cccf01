/* The daemon's counters: the table as data, read, added and looked up by stats key or metric. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "counters.h"

const struct counter_info counter_info[CTR_N] = {
#define COUNTER_INFO(src, f, lg, st, kd, me, sc, lb, hp) \
	[CTR_##f] = {.field = #f,                        \
	    .stats = (st),                               \
	    .metric = (me),                              \
	    .label = (lb),                               \
	    .help = (hp),                                \
	    .log = (lg),                                 \
	    .kind = CTR_##kd,                            \
	    .scope = CTR_##sc},
    BLOCKD_COUNTERS(COUNTER_INFO)
#undef COUNTER_INFO
};

#define COUNTER_READ_Q(f) out->v[CTR_##f] = q ? counter_get(&q->f) : 0;
#define COUNTER_READ_W(f) out->v[CTR_##f] = w ? counter_get(&w->f) : 0;

void
counters_read(
    const struct nfqueue_counters *q, const struct worker_counters *w, struct counter_values *out)
{
#define COUNTER_READ(src, f, ...) COUNTER_READ_##src(f)
	BLOCKD_COUNTERS(COUNTER_READ)
#undef COUNTER_READ
}

void
counters_add(struct counter_values *sum, const struct counter_values *v)
{
	for (size_t i = 0; i < CTR_N; i++)
		sum->v[i] += v->v[i];
}

/* Two table strings, either NULL: the same? */
static int
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
counters_first(size_t i, int metric)
{
	const char *key = metric ? counter_info[i].metric : counter_info[i].stats;

	if (key == NULL)
		return 0;
	for (size_t k = 0; k < i; k++)
		if (same(key, metric ? counter_info[k].metric : counter_info[k].stats))
			return 0;
	return 1;
}

int
counters_sample_first(size_t i)
{
	const struct counter_info *c = &counter_info[i];

	if (c->metric == NULL)
		return 0;
	for (size_t k = 0; k < i; k++)
		if (same(c->metric, counter_info[k].metric) &&
		    same(c->label, counter_info[k].label))
			return 0;
	return 1;
}

uint64_t
counters_stat(const struct counter_values *v, const char *key)
{
	uint64_t s = 0;

	for (size_t i = 0; i < CTR_N; i++)
		if (counter_info[i].stats != NULL && same(key, counter_info[i].stats))
			s += v->v[i];
	return s;
}

uint64_t
counters_sample(const struct counter_values *v, const char *metric, const char *label)
{
	uint64_t s = 0;

	for (size_t i = 0; i < CTR_N; i++)
		if (counter_info[i].metric != NULL && same(metric, counter_info[i].metric) &&
		    same(label, counter_info[i].label))
			s += v->v[i];
	return s;
}

char *
counters_log_line(const struct counter_values *v, char *buf, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < CTR_N && n < len; i++) {
		int r;

		if (!counter_info[i].log)
			continue;
		r = snprintf(buf + n, len - n, "%s%s=%" PRIu64, n ? " " : "", counter_info[i].field,
		    v->v[i]);
		if (r < 0)
			break;
		n += (size_t)r;
	}
	return buf;
}
