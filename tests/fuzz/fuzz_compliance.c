/* Fuzzes what blockrules reports reads: probe reports (probe_parse) and CSV reports (comp_add_csv). */
#include <stdint.h>
#include <stdlib.h>

#include "compliance.h"
#include "fuzz.h"
#include "probefmt.h"

/* The whole input as a probe report and as a CSV report, then both written as text, JSON and HTML. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_report r;
	struct comp c;
	char err[512], *out;
	size_t len;

	comp_init(&c, "fuzz");
	if (comp_isp(&c, "probe") != 0 || comp_isp(&c, "csv") != 1) {
		comp_free(&c);
		return 0;
	}
	if (probe_parse((const char *)data, size, "fuzz.probe", &r, err, sizeof(err)) == 0) {
		if ((out = probe_format(&r, 1, &len)) != NULL)
			free(out);
		comp_add_probe(&c, 0, &r);
		probe_report_free(&r);
	}
	comp_add_csv(&c, 1, (const char *)data, size, "fuzz.csv", err, sizeof(err));
	if (comp_sort(&c) == 0) {
		for (int f = 0; f < 3; f++) {
			out = f == 2 ? comp_html(&c, "x: y\n", &len)
				     : comp_format(&c, f, "x: y\n", &len);
			free(out);
		}
	}
	comp_free(&c);
	return 0;
}
