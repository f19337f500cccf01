/* The report as a page: the enforcement report and probe reports drawn by rules/comphtml.c. */
#include <stdio.h>
#include <stdlib.h>

#include "compliance.h"
#include "evrec.h"
#include "probefmt.h"
#include "report.h"

int
report_html(const struct report *rp, const struct probe_report *probes, size_t nprobes, FILE *out)
{
	char title[320], lane[220], t1[32], t2[32], *page;
	struct comp c;
	size_t i, k, len;
	long isp, own;
	int rc = -1;

	evrec_time_fmt(rp->from_us, t1);
	evrec_time_fmt(rp->to_us, t2);
	/* A fleet's blocks and gaps in one lane; each appliance's own gaps under its name. */
	snprintf(lane, sizeof(lane), "%s%s%s", rp->nmembers > 0 ? "fleet (" : "",
	    rp->appliance[0] ? rp->appliance : "this appliance", rp->nmembers > 0 ? ")" : "");
	snprintf(title, sizeof(title), "blockd report: %s, %.10s to %.10s", lane, t1, t2);
	comp_init(&c, title);
	if ((isp = comp_isp(&c, lane)) < 0)
		goto out;
	c.reports = 1;
	for (i = 0; i < rp->ngroups; i++) {
		const struct report_group *g = &rp->groups[i];
		long o = comp_order(&c, g->order);
		if (o < 0)
			goto out;
		for (int m = EV_DNS; m <= EV_IP; m++) {
			const char *mn = evrec_method_name(m);
			if (comp_add_blocks(&c, (uint32_t)isp, (uint32_t)o, g->day,
				mn ? probe_method_from(mn) : 0, g->count[m]) < 0)
				goto out;
		}
	}
	for (i = 0; i < rp->ngaps; i++) {
		const struct report_gap *g = &rp->gaps[i];
		if (comp_add_gap(&c, (uint32_t)isp, report_gap_name(g->kind), g->from_us / 1000000,
			(g->to_us + 999999) / 1000000, g->reason) < 0)
			goto out;
	}
	for (i = 0; i < rp->nmembers; i++) {
		const struct report_member *m = &rp->members[i];
		if ((own = comp_isp(&c, m->name)) < 0)
			goto out;
		for (k = 0; k < m->ngaps; k++)
			if (comp_add_gap(&c, (uint32_t)own, report_gap_name(m->gaps[k].kind),
				m->gaps[k].from_us / 1000000, (m->gaps[k].to_us + 999999) / 1000000,
				m->gaps[k].reason) < 0)
				goto out;
	}
	for (i = 0; i < rp->nunjudged; i++)
		if (comp_add_unjudged(&c, (uint32_t)isp, rp->unjudged[i].day,
			rp->unjudged[i].passed, rp->unjudged[i].blocked) < 0)
			goto out;
	for (i = 0; i < nprobes; i++)
		if (comp_add_probe(&c, (uint32_t)isp, &probes[i]) < 0)
			goto out;
	if (comp_sort(&c) < 0 || (page = comp_html(&c, NULL, &len)) == NULL)
		goto out;
	fwrite(page, 1, len, out);
	free(page);
	rc = 0;
out:
	comp_free(&c);
	return rc;
}
