/* pollbench.c - one full poll of the daemon, timed in-process.
 *
 *   pollbench -c CONF [-r RUNS] [-t HOSTS] [-n LAN_NETNS] [-l LABEL]
 *             [-L LOGFILE]
 *
 * Starts the daemon's state (tqd_new + tqd_start: database, journal, nft
 * table reconciled with masq) without its event loop, then calls tqd_poll()
 * RUNS times and reports wall and CPU time per poll.  Before every poll it
 * sends one UDP datagram from each of HOSTS source addresses 198.18.1.0,
 * 198.18.1.1, ... to 198.19.200.1, so those hosts' conntrack entries and
 * firewall set elements carry fresh traffic and their users are charged,
 * as in a busy poll.  The sockets are made in the LAN host namespace
 * LAN_NETNS (a path such as /run/netns/NAME, where the caller put the
 * addresses), so the datagrams cross this namespace's forward chain as a
 * LAN host's would; without -n they are sent from here.
 *
 * Database commands per poll are counted by the server (SHOW GLOBAL STATUS
 * 'Questions' before and after, less the cost of asking, measured first);
 * the server must be private to the benchmark.  VmHWM of this process is
 * reported as rss_kib, with the current RssAnon and RssFile beside it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "loop.h"
#include "tqd.h"
#include "util.h"

static struct bench_sample s;
static double rts[BENCH_MAX_RUNS];

static int status_cb(void *arg, unsigned ncols, char **cells)
{
	long long *v = arg;

	if (ncols >= 2 && cells[1])
		*v = atoll(cells[1]);
	return 0;
}

static long long questions(struct db *db)
{
	long long v = -1;

	if (db_query(db, status_cb, &v,
		     "SHOW GLOBAL STATUS LIKE 'Questions'", "") < 0) {
		fprintf(stderr, "pollbench: status: %s\n", db_error(db));
		exit(1);
	}
	return v;
}

/* A field of /proc/self/status in KiB, -1 if absent. */
static long status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t kl = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = atol(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

static int *socks;
static int nsocks;

/* Enter the network namespace at path (NULL: stay); returns an fd of the
 * one we left, for leave_netns(), or -1 if we stayed. */
static int enter_netns(const char *path)
{
	int self, fd;

	if (!path)
		return -1;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "pollbench: netns %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
	close(fd);
	return self;
}

static void leave_netns(int self)
{
	if (self < 0)
		return;
	if (setns(self, CLONE_NEWNET) < 0) {
		perror("pollbench: back to our netns");
		exit(1);
	}
	close(self);
}

/* Sockets keep the namespace they were made in. */
static void open_hosts(int n, const char *netns)
{
	struct rlimit rl = { (rlim_t)n + 256, (rlim_t)n + 256 };
	int i, self = enter_netns(netns);

	setrlimit(RLIMIT_NOFILE, &rl);
	socks = xcalloc((size_t)n + 1, sizeof(*socks));
	for (i = 0; i < n; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };

		socks[i] = socket(AF_INET, SOCK_DGRAM, 0);
		sin.sin_addr.s_addr = htonl(0xc6120100U + (uint32_t)i);
		sin.sin_port = htons(40000);
		if (socks[i] < 0 ||
		    bind(socks[i], (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			fprintf(stderr, "pollbench: host %d: %s\n", i,
				strerror(errno));
			exit(1);
		}
	}
	nsocks = n;
	leave_netns(self);
}

static void traffic(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	int i;

	to.sin_addr.s_addr = htonl(0xc613c801U);	/* 198.19.200.1 */
	to.sin_port = htons(443);
	for (i = 0; i < nsocks; i++)
		sendto(socks[i], "x", 1, 0, (struct sockaddr *)&to,
		       sizeof(to));
}

int main(int argc, char **argv)
{
	const char *path = NULL, *label = "poll", *logf = "-", *netns = NULL;
	struct tq_conf *conf;
	struct loop *loop;
	struct tqd *t;
	struct db *db;
	long long q0, q1, over;
	int runs = 10, hosts = 0, opt, i;
	char err[512], extra[192];

	while ((opt = getopt(argc, argv, "c:r:t:n:l:L:")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'r': runs = atoi(optarg); break;
		case 't': hosts = atoi(optarg); break;
		case 'l': label = optarg; break;
		case 'L': logf = optarg; break;
		case 'n': netns = optarg; break;
		default: return 2;
		}
	}
	if (!path || runs < 1 || runs > BENCH_MAX_RUNS || hosts < 0 ||
	    hosts > 60000) {
		fprintf(stderr, "usage: pollbench -c CONF [-r RUNS] [-t HOSTS] "
			"[-n LAN_NETNS] [-l LABEL] [-L LOGFILE]\n");
		return 2;
	}
	if (log_open("pollbench", logf) < 0) {
		perror(logf);
		return 1;
	}
	conf = conf_load(path, err, sizeof(err));
	if (!conf) {
		fprintf(stderr, "pollbench: %s\n", err);
		return 1;
	}
	db = db_new(conf, DB_DAEMON);
	if (db_connect(db) < 0) {
		fprintf(stderr, "pollbench: %s\n", db_error(db));
		return 1;
	}
	loop = loop_new();
	if (!loop) {
		perror("pollbench: loop");
		return 1;
	}
	open_hosts(hosts, netns);
	t = tqd_new(conf, path, loop);
	if (tqd_start(t, err, sizeof(err)) < 0) {
		fprintf(stderr, "pollbench: start: %s\n", err);
		return 1;
	}
	/* What asking costs, in the server's count. */
	q0 = questions(db);
	q1 = questions(db);
	over = q1 - q0;

	traffic();
	tqd_poll(t);		/* warm-up: first snapshot, first scan */
	for (i = 0; i < runs; i++) {
		double w0, c0;

		traffic();
		usleep(10000);	/* let the datagrams reach conntrack */
		q0 = questions(db);
		w0 = bench_wall_us();
		c0 = bench_cpu_us(RUSAGE_SELF);
		tqd_poll(t);
		bench_add(&s, bench_wall_us() - w0,
			  bench_cpu_us(RUSAGE_SELF) - c0);
		q1 = questions(db);
		rts[i] = (double)(q1 - q0 - over);
	}
	snprintf(extra, sizeof(extra), "roundtrips=%.0f rt_min=%.0f "
		 "rt_max=%.0f rss_kib=%ld anon_kib=%ld file_kib=%ld",
		 bench_median(rts, runs), rts[0], rts[runs - 1],
		 status_kib("VmHWM"), status_kib("RssAnon"),
		 status_kib("RssFile"));
	bench_report(label, &s, extra);
	tqd_free(t);
	loop_free(loop);
	db_free(db);
	return 0;
}
