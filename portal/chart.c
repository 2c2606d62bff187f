/* chart.c - the usage chart as SVG (chart.h). */
#include <stdio.h>

#include "chart.h"

#define W 336
#define H 168
#define TOP 22		/* room for the values */
#define BOTTOM 24	/* room for the labels */

const char *chart_hms(long long seconds, char *buf, size_t len)
{
	unsigned long long s = seconds < 0 ? 0ULL - (unsigned long long)seconds
					   : (unsigned long long)seconds;

	snprintf(buf, len, "%s%llu:%02llu:%02llu", seconds < 0 ? "-" : "",
		 s / 3600, s / 60 % 60, s % 60);
	return buf;
}

void chart_svg(struct sbuf *b, const struct chart_day *days, unsigned n)
{
	long long max = 60, total = 0, v;
	unsigned i, slot, barw;

	if (n == 0)
		n = 1, days = NULL;
	for (i = 0; days && i < n; i++) {
		v = days[i].seconds > 0 ? days[i].seconds : 0;
		total += v;
		if (v > max)
			max = v;
	}
	slot = W / n;
	barw = slot * 3 / 5;
	sbuf_printf(b, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/"
		    "svg\" viewBox=\"0 0 %d %d\" role=\"img\" "
		    "aria-labelledby=\"chart-title\">", W, H);
	sbuf_printf(b, "<title id=\"chart-title\">Usage of the last %u "
		    "days: %lld minutes in all</title>", n,
		    (total + 59) / 60);
	sbuf_printf(b, "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		    "stroke=\"#888\" stroke-width=\"1\"/>", H - BOTTOM, W,
		    H - BOTTOM);
	for (i = 0; days && i < n; i++) {
		long long h;
		unsigned x = i * slot + (slot - barw) / 2;

		v = days[i].seconds > 0 ? days[i].seconds : 0;
		h = v * (H - TOP - BOTTOM) / max;
		if (v > 0 && h < 1)
			h = 1;
		sbuf_printf(b, "<rect x=\"%u\" y=\"%lld\" width=\"%u\" "
			    "height=\"%lld\" fill=\"%s\"><title>", x,
			    (long long)(H - BOTTOM) - h, barw, h,
			    i + 1 == n ? "#2a7ab0" : "#7fb3d5");
		sbuf_html(b, days[i].label);
		sbuf_printf(b, ": %lld min</title></rect>", (v + 59) / 60);
		sbuf_printf(b, "<text x=\"%u\" y=\"%lld\" font-size=\"12\" "
			    "text-anchor=\"middle\" fill=\"#222\">%lld</text>",
			    x + barw / 2, (long long)(H - BOTTOM) - h - 4,
			    (v + 59) / 60);
		sbuf_printf(b, "<text x=\"%u\" y=\"%d\" font-size=\"12\" "
			    "text-anchor=\"middle\" fill=\"#222\">",
			    x + barw / 2, H - 6);
		sbuf_html(b, days[i].label);
		sbuf_add(b, "</text>");
	}
	sbuf_add(b, "</svg>");
}
