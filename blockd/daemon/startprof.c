/* The daemon's start, step by step: monotonic and CPU time at each, for the log and blockctl status. */
#include <sys/resource.h>
#include <time.h>

#include "base/json.h"
#include "base/log.h"
#include "startprof.h"

static uint64_t
tv_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

void
startprof_mark(void *arg, const char *step)
{
	struct startprof *p = arg;
	struct rusage self, kids;
	struct timespec ts;

	if (p == NULL || p->n >= STARTPROF_MAX)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	(void)getrusage(RUSAGE_SELF, &self);
	(void)getrusage(RUSAGE_CHILDREN, &kids);
	p->m[p->n].step = step;
	p->m[p->n].mono_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	p->m[p->n].cpu_us = tv_us(&self.ru_utime) + tv_us(&self.ru_stime) + tv_us(&kids.ru_utime) +
	    tv_us(&kids.ru_stime);
	p->n++;
}

void
startprof_enforcing(struct startprof *p)
{
	if (p->n > 0)
		p->enforcing_us = p->m[p->n - 1].mono_us;
}

void
startprof_log(const struct startprof *p)
{
	char line[2048];
	size_t used = 0;

	line[0] = '\0';
	for (unsigned i = 1; i < p->n && used < sizeof(line); i++) {
		int k = snprintf(line + used, sizeof(line) - used, "%s%s %.1f ms (CPU %.1f)",
		    i > 1 ? ", " : "", p->m[i].step,
		    (double)(p->m[i].mono_us - p->m[i - 1].mono_us) / 1000.0,
		    (double)(p->m[i].cpu_us - p->m[i - 1].cpu_us) / 1000.0);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	if (p->n > 1)
		log_debug("start: %s; %.1f ms in all, CPU %.1f ms", line,
		    (double)(p->m[p->n - 1].mono_us - p->m[0].mono_us) / 1000.0,
		    (double)p->m[p->n - 1].cpu_us / 1000.0);
}

void
startprof_json(const struct startprof *p, struct jbuf *j)
{
	if (p->n == 0)
		return;
	jbuf_kobj(j, "start");
	jbuf_kuint(j, "main_mono_us", p->m[0].mono_us);
	jbuf_kuint(j, "enforcing_mono_us", p->enforcing_us);
	jbuf_kuint(j, "cpu_us", p->m[p->n - 1].cpu_us);
	jbuf_kobj(j, "steps");
	for (unsigned i = 1; i < p->n; i++) {
		jbuf_kobj(j, p->m[i].step);
		jbuf_kuint(j, "us", p->m[i].mono_us - p->m[i - 1].mono_us);
		jbuf_kuint(j, "cpu_us", p->m[i].cpu_us - p->m[i - 1].cpu_us);
		jbuf_close(j);
	}
	jbuf_close(j);
	jbuf_close(j);
}
