/* scanbench.c - what one conntrack scan costs the daemon, in-process.
 *
 *   scanbench MODE [-r RUNS] [-w WARMUP] [-b BUFSZ] [-l LABEL] [-q]
 *
 * MODE
 *   procfs   the daemon's procfs path: procscan_conntrack_file() on
 *            /proc/net/nf_conntrack (its own buffering)
 *   stdio    scan_conntrack() on a FILE opened here, with a BUFSZ stdio
 *            buffer (-b, default: stdio's own), to show what the buffer
 *            size does to the kernel's side of a procfs read
 *   netlink  ct_dump() through one ct handle kept across runs
 *   auto     procscan_conntrack(): what a poll runs (netlink, else procfs)
 * Every run resets the aggregator and rescans the whole table, as a poll
 * does.  Prints a RES line (bench.h) with records= and hosts= so the
 * driver can check that every entry was seen.  With -r 1 -w 0 -q it is the
 * "whole process" measurement (run under timeit).
 *
 * local_networks for the aggregation: 198.18.0.0/16, 2001:db8:1::/48
 * (ctfill's LAN).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "conf.h"
#include "ct.h"
#include "procscan.h"
#include "scan.h"
#include "scanagg.h"
#include "util.h"

static const char conf_text[] =
	"network = { local_networks = [ \"198.18.0.0/16\", "
	"\"2001:db8:1::/48\" ]; };\n";

struct counter {
	struct scan_agg *g;
	size_t records;
};

static void count_ct(const struct scan_ct *c, void *arg)
{
	struct counter *k = arg;

	k->records++;
	scan_agg_ct(c, k->g);
}

static struct bench_sample s;

int main(int argc, char **argv)
{
	const char *mode, *label = NULL, *path = "/proc/net/nf_conntrack";
	struct tq_conf *conf;
	struct scan_agg *g;
	struct ct *ct = NULL;
	struct counter k;
	int runs = 5, warm = 1, opt, i, quiet = 0, used_nl = -1;
	long bufsz = 0;
	char err[512], extra[128];
	char *buf = NULL;

	if (argc < 2) {
		fprintf(stderr, "usage: scanbench procfs|stdio|netlink|auto "
			"[-r RUNS] [-w WARMUP] [-b BUFSZ] [-l LABEL] [-q]\n");
		return 2;
	}
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "r:w:b:l:f:q")) != -1) {
		switch (opt) {
		case 'r': runs = atoi(optarg); break;
		case 'w': warm = atoi(optarg); break;
		case 'b': bufsz = atol(optarg); break;
		case 'l': label = optarg; break;
		case 'f': path = optarg; break;
		case 'q': quiet = 1; break;
		default: return 2;
		}
	}
	if (runs < 1 || runs > BENCH_MAX_RUNS)
		return 2;
	conf = conf_load_string(conf_text, "scanbench", err, sizeof(err));
	if (!conf) {
		fprintf(stderr, "scanbench: %s\n", err);
		return 1;
	}
	g = scan_agg_new(conf);
	k.g = g;
	if (!strcmp(mode, "netlink") || !strcmp(mode, "auto")) {
		ct = ct_new();
		if (!ct) {
			perror("scanbench: ct_new");
			return 1;
		}
	}
	if (bufsz > 0)
		buf = xmalloc((size_t)bufsz);

	for (i = -warm; i < runs; i++) {
		double w0 = bench_wall_us(), c0 = bench_cpu_us(RUSAGE_SELF);
		int r = 0;

		scan_agg_reset(g);
		k.records = 0;
		if (!strcmp(mode, "procfs")) {
			r = procscan_conntrack_file(g, path);
		} else if (!strcmp(mode, "auto")) {
			r = procscan_conntrack(ct, g, &used_nl);
		} else if (!strcmp(mode, "netlink")) {
			r = ct_dump(ct, count_ct, &k);
		} else if (!strcmp(mode, "stdio")) {
			FILE *f = fopen(path, "r");
			struct scan_stats st;

			if (!f) {
				perror(path);
				return 1;
			}
			if (buf)
				setvbuf(f, buf, _IOFBF, (size_t)bufsz);
			r = scan_conntrack(f, count_ct, &k, &st);
			fclose(f);
		} else {
			fprintf(stderr, "scanbench: unknown mode %s\n", mode);
			return 2;
		}
		if (r < 0) {
			fprintf(stderr, "scanbench: %s: %s\n", mode,
				strerror(errno));
			return 1;
		}
		if (i >= 0)
			bench_add(&s, bench_wall_us() - w0,
				  bench_cpu_us(RUSAGE_SELF) - c0);
	}
	snprintf(extra, sizeof(extra), "records=%zu hosts=%zu netlink=%d",
		 k.records, scan_agg_nhosts(g), used_nl);
	if (!quiet || label)
		bench_report(label ? label : mode, &s, extra);
	ct_free(ct);
	free(buf);
	scan_agg_free(g);
	conf_free(conf);
	return 0;
}
