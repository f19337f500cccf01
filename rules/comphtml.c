/* Compliance as a picture: one self-contained HTML page, inline SVG timelines, every text escaped. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance.h"
#include "outbuf.h"
#include "rulefmt.h"

/*
 * Nothing is fetched and nothing runs: no scripts, no fonts, no links to
 * other pages; styles are inline in one <style> element. Every text that came
 * from a report goes through esc(), which escapes for element content and
 * attribute values alike.
 */

/* One colour per method, in enum probe_method's order. */
static const char *const method_colour[PROBE_NMETHODS] = {
    "#888", "#1b6ca8", "#e07b00", "#7a3fb0", "#2a9d3f", "#b3261e"};

static void
esc(struct outbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			outbuf_printf(b, "&amp;");
			break;
		case '<':
			outbuf_printf(b, "&lt;");
			break;
		case '>':
			outbuf_printf(b, "&gt;");
			break;
		case '"':
			outbuf_printf(b, "&quot;");
			break;
		case '\'':
			outbuf_printf(b, "&#39;");
			break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				outbuf_printf(b, " ");
			else
				outbuf_printf(b, "%c", *s);
		}
	}
}

static const char *
dayfmt(int64_t day, char *buf, size_t len)
{
	return rules_date_format(day * 86400, buf, len);
}

#define CHART_W    720
#define CHART_H    160
#define CHART_LEFT 48
#define CHART_TOP  10

/* One timeline: blocks per day by method (stacked), gaps and unjudged days shaded. */
static void
chart(const struct comp *c, struct outbuf *b, uint32_t order, uint32_t isp)
{
	int64_t days = c->to_day - c->from_day + 1;
	uint64_t max = 1;
	double w;
	char ds[16];
	size_t i;

	for (i = 0; i < c->ncells; i++) {
		const struct comp_cell *x = &c->cells[i];
		uint64_t sum = 0;
		if (x->order != order || x->isp != isp)
			continue;
		for (int m = PROBE_DNS; m < PROBE_NMETHODS; m++)
			sum += x->blocks[m];
		if (sum > max)
			max = sum;
	}
	w = (double)(CHART_W - CHART_LEFT - 10) / (double)days;
	outbuf_printf(b,
	    "<svg class=\"chart\" role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "xmlns=\"http://www.w3.org/2000/svg\">\n<title>blocks per day by method, ",
	    CHART_W, CHART_H + 44, CHART_W, CHART_H + 44);
	esc(b, c->isps[isp]);
	outbuf_printf(b, "</title>\n");
	/*
	 * Shading first, so bars stand on top: coverage gaps at their times (red,
	 * behind the bars and solid in the lane under the axis), days with flows
	 * passed unjudged (amber; the log counts them per day).
	 */
	for (i = 0; i < c->nunjudged; i++) {
		const struct comp_unjudged *u = &c->unjudged[i];
		double x = CHART_LEFT + (double)(u->day - c->from_day) * w;
		if (u->isp != isp || u->passed == 0)
			continue;
		outbuf_printf(b,
		    "<rect class=\"unjudged\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		    "fill=\"#f5c542\" fill-opacity=\"0.35\"><title>%s: %" PRIu64
		    " flows passed unjudged</title></rect>\n"
		    "<rect class=\"lane-unjudged\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"6\" "
		    "fill=\"#f5c542\"/>\n",
		    x, CHART_TOP, w, CHART_H, dayfmt(u->day, ds, sizeof(ds)), u->passed, x,
		    CHART_TOP + CHART_H + 11, w);
	}
	for (i = 0; i < c->ngaps; i++) {
		const struct comp_gap *g = &c->gaps[i];
		int64_t t0 = c->from_day * 86400, t1 = (c->to_day + 1) * 86400;
		int64_t a = g->from < t0 ? t0 : g->from, e = g->to > t1 ? t1 : g->to;
		double x0, gw;
		char f1[32], f2[32];
		if (g->isp != isp || e < a)
			continue;
		x0 = CHART_LEFT + (double)(a - t0) / 86400.0 * w;
		gw = (double)(e - a) / 86400.0 * w;
		if (gw < 1.5)
			gw = 1.5; /* a gap of seconds still shows */
		outbuf_printf(b,
		    "<rect class=\"gap\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		    "fill=\"#d32f2f\" fill-opacity=\"0.25\"><title>",
		    x0, CHART_TOP, gw, CHART_H);
		esc(b, g->kind);
		outbuf_printf(b, " %s to %s</title></rect>\n",
		    rules_time_format(g->from, f1, sizeof(f1)),
		    rules_time_format(g->to, f2, sizeof(f2)));
		outbuf_printf(b,
		    "<rect class=\"lane-gap\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"6\" "
		    "fill=\"#d32f2f\"/>\n",
		    x0, CHART_TOP + CHART_H + 3, gw);
	}
	for (i = 0; i < c->ncells; i++) {
		const struct comp_cell *x = &c->cells[i];
		double y = CHART_TOP + CHART_H,
		       bx = CHART_LEFT + (double)(x->day - c->from_day) * w;
		if (x->order != order || x->isp != isp)
			continue;
		for (int m = PROBE_DNS; m < PROBE_NMETHODS; m++) {
			double h = (double)x->blocks[m] * CHART_H / (double)max;
			if (x->blocks[m] == 0)
				continue;
			y -= h;
			outbuf_printf(b,
			    "<rect class=\"bar %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" "
			    "fill=\"%s\"><title>%s %s: %" PRIu64 "</title></rect>\n",
			    probe_method_name(m), bx + w * 0.15, y, w * 0.7, h, method_colour[m],
			    dayfmt(x->day, ds, sizeof(ds)), probe_method_name(m), x->blocks[m]);
		}
	}
	/* Axes and labels: the first and last day, the largest day's count. */
	outbuf_printf(b,
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n"
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n"
	    "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%" PRIu64 "</text>\n"
	    "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n",
	    CHART_LEFT, CHART_TOP, CHART_LEFT, CHART_TOP + CHART_H, CHART_LEFT, CHART_TOP + CHART_H,
	    CHART_W - 10, CHART_TOP + CHART_H, CHART_LEFT - 4, CHART_TOP + 10, max, CHART_LEFT,
	    CHART_TOP + CHART_H + 30, dayfmt(c->from_day, ds, sizeof(ds)));
	outbuf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
	    CHART_W - 10, CHART_TOP + CHART_H + 30, dayfmt(c->to_day, ds, sizeof(ds)));
	outbuf_printf(b,
	    "<text x=\"%d\" y=\"%d\" font-size=\"8\" text-anchor=\"end\">gaps</text>\n"
	    "<text x=\"%d\" y=\"%d\" font-size=\"8\" text-anchor=\"end\">unjudged</text>\n",
	    CHART_LEFT - 4, CHART_TOP + CHART_H + 9, CHART_LEFT - 4, CHART_TOP + CHART_H + 17);
	outbuf_printf(b, "</svg>\n");
}

static void
legend(struct outbuf *b)
{
	outbuf_printf(b, "<p class=\"legend\">");
	for (int m = PROBE_DNS; m < PROBE_NMETHODS; m++)
		outbuf_printf(b,
		    "<span><svg width=\"12\" height=\"12\"><rect width=\"12\" height=\"12\" "
		    "fill=\"%s\"/></svg> %s</span> ",
		    method_colour[m], probe_method_name(m));
	outbuf_printf(b,
	    "<span><svg width=\"12\" height=\"12\"><rect width=\"12\" height=\"12\" "
	    "fill=\"#d32f2f\" fill-opacity=\"0.5\"/></svg> coverage gap</span> "
	    "<span><svg width=\"12\" height=\"12\"><rect width=\"12\" height=\"12\" "
	    "fill=\"#f5c542\" fill-opacity=\"0.5\"/></svg> flows passed unjudged</span></p>\n");
}

static void
write_html(const struct comp *c, const char *refused, struct outbuf *b)
{
	char d[16], t1[32], t2[32];
	size_t i;

	outbuf_printf(b,
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<title>");
	esc(b, c->title[0] ? c->title : "Compliance report");
	outbuf_printf(b,
	    "</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222}"
	    "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
	    "td,th{border:1px solid #bbb;padding:2px 8px;text-align:left;font-size:13px}"
	    "th{background:#eee}.fail,.overblocked,.failing{background:#fbd5d5}"
	    ".pass,.enforced{background:#d9f2dd}.error,.skipped{background:#fff2c7}"
	    ".legend span{margin-right:1em;font-size:13px}h2{margin-top:1.5em}\n</style>\n"
	    "</head>\n<body>\n<h1>");
	esc(b, c->title[0] ? c->title : "Compliance report");
	outbuf_printf(b, "</h1>\n<p id=\"summary\">%zu reports from %zu ISPs, %zu orders",
	    c->reports, c->nisps, c->norders);
	if (c->from_day <= c->to_day) {
		outbuf_printf(b, ", %s", dayfmt(c->from_day, d, sizeof(d)));
		outbuf_printf(b, " to %s", dayfmt(c->to_day, d, sizeof(d)));
	}
	outbuf_printf(b, ".</p>\n");
	if (refused && *refused) {
		outbuf_printf(b, "<h2>Refused reports</h2>\n<ul id=\"refused\">\n");
		for (const char *p = refused; *p;) {
			const char *nl = strchr(p, '\n');
			size_t l = nl ? (size_t)(nl - p) : strlen(p);
			char line[1024];
			snprintf(line, sizeof(line), "%.*s", (int)l, p);
			outbuf_printf(b, "<li>");
			esc(b, line);
			outbuf_printf(b, "</li>\n");
			p += l + (nl != NULL);
		}
		outbuf_printf(b, "</ul>\n");
	}
	legend(b);
	for (uint32_t o = 0; o < c->norders; o++) {
		outbuf_printf(b, "<section class=\"order\" id=\"order-%u\">\n<h2>Order ", o);
		esc(b, c->orders[o]);
		outbuf_printf(b, "</h2>\n");
		for (uint32_t isp = 0; isp < c->nisps; isp++) {
			int any = 0;
			for (i = 0; i < c->ncells && !any; i++)
				any = c->cells[i].order == o && c->cells[i].isp == isp;
			if (!any)
				continue;
			outbuf_printf(b, "<h3>");
			esc(b, c->isps[isp]);
			outbuf_printf(b, "</h3>\n");
			chart(c, b, o, isp);
		}
		outbuf_printf(
		    b, "<table class=\"days\"><tr><th>day</th><th>ISP</th><th>status</th>");
		for (int m = PROBE_DNS; m < PROBE_NMETHODS; m++)
			outbuf_printf(b, "<th>%s</th>", probe_method_name(m));
		outbuf_printf(
		    b, "<th>probe pass</th><th>probe fail</th><th>gap seconds</th></tr>\n");
		for (i = 0; i < c->ncells; i++) {
			const struct comp_cell *x = &c->cells[i];
			const char *st = comp_status_name(comp_status(x));
			if (x->order != o)
				continue;
			outbuf_printf(b, "<tr><td>%s</td><td>", dayfmt(x->day, d, sizeof(d)));
			esc(b, c->isps[x->isp]);
			outbuf_printf(b, "</td><td class=\"%s\">%s</td>",
			    comp_status(x) == COMP_FAILING        ? "failing"
				: comp_status(x) == COMP_ENFORCED ? "enforced"
								  : "",
			    st);
			for (int m = PROBE_DNS; m < PROBE_NMETHODS; m++)
				outbuf_printf(b, "<td>%" PRIu64 "</td>", x->blocks[m]);
			outbuf_printf(b, "<td>%u</td><td>%u</td><td>%" PRId64 "</td></tr>\n",
			    x->probe[PROBE_PASS], x->probe[PROBE_FAIL],
			    comp_gap_seconds(c, x->isp, x->day));
		}
		outbuf_printf(b, "</table>\n</section>\n");
	}
	outbuf_printf(b,
	    "<h2>Coverage gaps</h2>\n<table id=\"gaps\"><tr><th>ISP</th><th>kind</th>"
	    "<th>from</th><th>to</th><th>seconds</th><th>reason</th></tr>\n");
	for (i = 0; i < c->ngaps; i++) {
		const struct comp_gap *g = &c->gaps[i];
		outbuf_printf(b, "<tr><td>");
		esc(b, c->isps[g->isp]);
		outbuf_printf(b, "</td><td>");
		esc(b, g->kind);
		outbuf_printf(b, "</td><td>%s</td><td>%s</td><td>%" PRId64 "</td><td>",
		    rules_time_format(g->from, t1, sizeof(t1)),
		    rules_time_format(g->to, t2, sizeof(t2)), g->to - g->from);
		esc(b, g->reason);
		outbuf_printf(b, "</td></tr>\n");
	}
	outbuf_printf(b,
	    "</table>\n<h2>Probe results</h2>\n<table id=\"probes\"><tr><th>day</th>"
	    "<th>ISP</th><th>vantage</th><th>order</th><th>method</th><th>target</th>"
	    "<th>address</th><th>verdict</th><th>seen</th></tr>\n");
	for (i = 0; i < c->nprobes; i++) {
		const struct comp_probe *p = &c->probes[i];
		const char *v = probe_verdict_name(p->c.verdict);
		outbuf_printf(
		    b, "<tr class=\"%s\"><td>%s</td><td>", v, dayfmt(p->day, d, sizeof(d)));
		esc(b, c->isps[p->isp]);
		outbuf_printf(b, "</td><td>");
		esc(b, p->vantage);
		outbuf_printf(b, "</td><td>");
		esc(b, p->c.order[0] ? p->c.order : "(control)");
		outbuf_printf(b, "</td><td>%s</td><td>", probe_method_name(p->c.method));
		esc(b, p->c.target);
		outbuf_printf(b, "</td><td>");
		esc(b, p->c.addr);
		outbuf_printf(b, "</td><td class=\"verdict\">%s</td><td>", v);
		esc(b, p->c.detail);
		outbuf_printf(b, "</td></tr>\n");
	}
	outbuf_printf(b, "</table>\n</body>\n</html>\n");
}

char *
comp_html(const struct comp *c, const char *refused, size_t *lenp)
{
	struct outbuf b = {.cap = 16384 + c->ncells * 1200 + c->nprobes * 400 + c->ngaps * 300};

	if ((b.p = malloc(b.cap)) == NULL)
		return NULL;
	b.p[0] = '\0';
	write_html(c, refused, &b);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*lenp = b.len;
	return b.p;
}
