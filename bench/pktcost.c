/* pktcost.c - the per-packet cost of the output path, to compare a set
 * lookup with a chain of one rule per host.
 *
 *   pktcost [-n PACKETS] [-r RUNS] -l LABEL
 *
 * Sends PACKETS small UDP datagrams to 127.0.0.1:9 through a connected
 * socket (nobody reads them: the receiver's queue fills and drops, after
 * the netfilter hooks ran) and reports the wall time per packet, in
 * nanoseconds, in the RES line's wall fields (median of RUNS runs).  The
 * caller (bench/run.sh) installs the ruleset under test first.  Run it
 * only inside a namespace made for the purpose.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

static struct bench_sample s;

int main(int argc, char **argv)
{
	const char *label = "pkt";
	long packets = 100000, i;
	int runs = 5, opt, r, fd, rfd;
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(9) };
	char payload[32] = "tcpquota";

	while ((opt = getopt(argc, argv, "n:r:l:")) != -1) {
		switch (opt) {
		case 'n': packets = atol(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'l': label = optarg; break;
		default: return 2;
		}
	}
	if (packets < 1 || runs < 1 || runs > BENCH_MAX_RUNS)
		return 2;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rfd = socket(AF_INET, SOCK_DGRAM, 0);
	if (rfd < 0 || bind(rfd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("pktcost: receiver");
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("pktcost: sender");
		return 1;
	}
	for (r = -1; r < runs; r++) {
		double w0 = bench_wall_us(), c0 = bench_cpu_us(RUSAGE_SELF);

		for (i = 0; i < packets; i++)
			if (send(fd, payload, sizeof(payload), 0) < 0) {
				perror("pktcost: send");
				return 1;
			}
		if (r >= 0)
			bench_add(&s, (bench_wall_us() - w0) * 1000 / packets,
				  (bench_cpu_us(RUSAGE_SELF) - c0) * 1000 /
				  packets);
	}
	bench_report(label, &s, "unit=ns/packet");
	close(fd);
	close(rfd);
	return 0;
}
