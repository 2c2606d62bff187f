/* chart.h - the usage chart of the status page: server-rendered SVG.
 *
 * Pure: numbers in, markup out.  No script, no style attribute (the
 * pages' Content-Security-Policy allows neither inline), only SVG
 * presentation attributes, so it draws the same with JavaScript off.
 */
#ifndef TQ_CHART_H
#define TQ_CHART_H

#include "sbuf.h"

#define CHART_DAYS 7

struct chart_day {
	char label[16];		/* "Mon", "today"; escaped on output */
	long long seconds;	/* debited that day; < 0 counts as 0 */
};

/**
 * chart_svg() - a bar chart of days[0..n) (oldest first) into b: one bar
 * a day scaled to the largest (at least one minute), the value above it
 * in minutes, the label below; a <title> for screen readers.
 */
void chart_svg(struct sbuf *b, const struct chart_day *days, unsigned n);

/* "1:02:03" for seconds (negative shown with a minus); returns buf. */
const char *chart_hms(long long seconds, char *buf, size_t len);

#endif
