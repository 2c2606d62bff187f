/* nftbench.c - what firewall updates cost the daemon, in-process, through
 * the nftb backend (one netlink batch per call).
 *
 *   nftbench [-s SIZE[,SIZE...]] [-r RUNS] [-c CREATE_RUNS] [-L]
 *
 * For each SIZE: build the table with SIZE IPv4 hosts in one batch
 * (nftb_create, CREATE_RUNS times: each replaces the table atomically),
 * then open and close one host not in the set RUNS times each
 * (nftb_open / nftb_close of a single host), and read the sets back with
 * their counters (nftb_list) a few times.  The table is deleted at the end.
 * Run it only inside a namespace made for the purpose (bench/run.sh).
 *
 * Hosts are 198.18.1.0 on (at most 120000, within 198.18.0.0/15); the
 * probe host 198.19.255.7 lies beyond them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench.h"
#include "conf.h"
#include "nftb.h"
#include "util.h"

static const char conf_text[] =
	"network = { lan = [ \"lan0\" ]; wan = [ \"wan0\" ];\n"
	"  local_networks = [ \"198.18.0.0/16\", \"2001:db8:1::/48\" ];\n"
	"  table = \"tqbench\"; };\n";

static struct bench_sample s;

static void host4(struct nftb_host *h, uint32_t a)
{
	uint32_t n = htonl(a);

	memset(h, 0, sizeof(*h));
	h->addr.family = AF_INET;
	memcpy(h->addr.a, &n, 4);
}

static int die(struct nftb *n, const char *what)
{
	fprintf(stderr, "nftbench: %s: %s\n", what, nftb_error(n));
	return 1;
}

int main(int argc, char **argv)
{
	const char *sizes = "1000,10000,100000";
	int runs = 200, cruns = 3, opt, i;
	struct tq_conf *conf;
	struct nftb *n;
	struct nftb_host *hosts, probe;
	char err[512], label[64], extra[64];
	char *list, *tok, *save;

	while ((opt = getopt(argc, argv, "s:r:c:")) != -1) {
		switch (opt) {
		case 's': sizes = optarg; break;
		case 'r': runs = atoi(optarg); break;
		case 'c': cruns = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: nftbench [-s SIZES] [-r RUNS] "
				"[-c CREATE_RUNS]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > BENCH_MAX_RUNS || cruns < 1 ||
	    cruns > BENCH_MAX_RUNS)
		return 2;
	conf = conf_load_string(conf_text, "nftbench", err, sizeof(err));
	if (!conf) {
		fprintf(stderr, "nftbench: %s\n", err);
		return 1;
	}
	n = nftb_new(conf);
	if (!n) {
		perror("nftbench: nftb_new");
		return 1;
	}
	host4(&probe, 0xc613ff07U);	/* 198.19.255.7 */

	list = xstrdup(sizes);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		size_t size = strtoul(tok, NULL, 10), j, got = 0;
		struct nftb_host *back;

		if (size > 120000)
			return 2;
		hosts = xcalloc(size ? size : 1, sizeof(*hosts));
		for (j = 0; j < size; j++)
			host4(&hosts[j], 0xc6120100U + (uint32_t)j);

		s.n = 0;
		for (i = 0; i < cruns; i++) {
			double w0 = bench_wall_us();
			double c0 = bench_cpu_us(RUSAGE_SELF);

			if (nftb_create(n, hosts, size, NULL, 0) < 0)
				return die(n, "nftb_create");
			bench_add(&s, bench_wall_us() - w0,
				  bench_cpu_us(RUSAGE_SELF) - c0);
		}
		snprintf(label, sizeof(label), "nftb_create/%zu", size);
		bench_report(label, &s, NULL);

		/* Open and close alternate; each is timed on its own. */
		{
			static struct bench_sample so, sc;

			so.n = sc.n = 0;
			for (i = 0; i < runs; i++) {
				double w0 = bench_wall_us();
				double c0 = bench_cpu_us(RUSAGE_SELF);

				if (nftb_open(n, &probe, 1) < 0)
					return die(n, "nftb_open");
				bench_add(&so, bench_wall_us() - w0,
					  bench_cpu_us(RUSAGE_SELF) - c0);
				w0 = bench_wall_us();
				c0 = bench_cpu_us(RUSAGE_SELF);
				if (nftb_close(n, &probe, 1) < 0)
					return die(n, "nftb_close");
				bench_add(&sc, bench_wall_us() - w0,
					  bench_cpu_us(RUSAGE_SELF) - c0);
			}
			snprintf(label, sizeof(label), "nftb_open/%zu", size);
			bench_report(label, &so, NULL);
			snprintf(label, sizeof(label), "nftb_close/%zu", size);
			bench_report(label, &sc, NULL);
		}

		s.n = 0;
		for (i = 0; i < 5; i++) {
			double w0 = bench_wall_us();
			double c0 = bench_cpu_us(RUSAGE_SELF);

			if (nftb_list(n, &back, &got) < 0)
				return die(n, "nftb_list");
			bench_add(&s, bench_wall_us() - w0,
				  bench_cpu_us(RUSAGE_SELF) - c0);
			free(back);
		}
		snprintf(label, sizeof(label), "nftb_list/%zu", size);
		snprintf(extra, sizeof(extra), "elements=%zu", got);
		bench_report(label, &s, extra);
		if (got != size) {
			fprintf(stderr, "nftbench: listed %zu of %zu hosts\n",
				got, size);
			return 1;
		}
		free(hosts);
	}
	free(list);
	if (nftb_delete(n) < 0)
		return die(n, "nftb_delete");
	nftb_free(n);
	conf_free(conf);
	return 0;
}
