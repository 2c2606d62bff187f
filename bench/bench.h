/* bench.h - timing helpers shared by the benchmark programs.
 *
 * Every program prints its results as lines
 *   RES <label> n=<runs> wall_med=<us> wall_min=<us> wall_max=<us>
 *       cpu_med=<us> cpu_min=<us> cpu_max=<us> [key=value ...]
 * (one line), which bench/report.pl turns into the results table.
 */
#ifndef TQ_BENCH_H
#define TQ_BENCH_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_RUNS 10000

struct bench_sample {
	double wall[BENCH_MAX_RUNS];	/* microseconds */
	double cpu[BENCH_MAX_RUNS];
	int n;
};

static inline double bench_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* CPU time (user + system) of this process, or of its waited-for
 * children with who = RUSAGE_CHILDREN. */
static inline double bench_cpu_us(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static inline int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline void bench_add(struct bench_sample *s, double wall, double cpu)
{
	if (s->n < BENCH_MAX_RUNS) {
		s->wall[s->n] = wall;
		s->cpu[s->n] = cpu;
		s->n++;
	}
}

static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp);
	if (n == 0)
		return 0;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Percentile p (0..100) by nearest rank; v must be sorted. */
static inline double bench_pct(const double *v, int n, double p)
{
	int i;

	if (n == 0)
		return 0;
	i = (int)(p / 100.0 * n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* Print the RES line; extra (may be NULL) is appended verbatim. */
static inline void bench_report(const char *label, struct bench_sample *s,
				const char *extra)
{
	double wm, cm;

	wm = bench_median(s->wall, s->n);
	cm = bench_median(s->cpu, s->n);
	printf("RES %s n=%d wall_med=%.1f wall_min=%.1f wall_max=%.1f "
	       "cpu_med=%.1f cpu_min=%.1f cpu_max=%.1f wall_p99=%.1f%s%s\n",
	       label, s->n, wm, s->n ? s->wall[0] : 0,
	       s->n ? s->wall[s->n - 1] : 0, cm, s->n ? s->cpu[0] : 0,
	       s->n ? s->cpu[s->n - 1] : 0, bench_pct(s->wall, s->n, 99),
	       extra ? " " : "", extra ? extra : "");
	fflush(stdout);
}

/* ADDR (IPv4 or IPv6, numeric) and PORT as a socket address; its length,
 * or 0 if ADDR is not an address. */
static inline socklen_t bench_sockaddr(const char *addr, int port,
				       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1 ?
		       sizeof(*s6) : 0;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return inet_pton(AF_INET, addr, &s4->sin_addr) == 1 ?
		       sizeof(*s4) : 0;
	}
}

/* One fresh TCP connect to SRV: 1 if it connected within ms, 0 if not
 * (a refused or unreachable attempt waits out the ms slot, so attempts
 * stay ms apart); exits on a local error.  How latbench and portalbench
 * see "the firewall lets this host through". */
static inline int bench_try_connect(const struct sockaddr_storage *srv,
				    socklen_t srvlen, int ms)
{
	int fd, r, soerr = 0;
	socklen_t l = sizeof(soerr);
	struct pollfd p;

	fd = socket(srv->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	r = connect(fd, (const struct sockaddr *)srv, srvlen);
	if (r < 0 && errno != EINPROGRESS) {
		close(fd);
		usleep((useconds_t)ms * 1000);
		return 0;
	}
	p.fd = fd;
	p.events = POLLOUT;
	r = r == 0 ? 1 : poll(&p, 1, ms);
	if (r == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l) == 0 &&
	    soerr == 0) {
		close(fd);
		return 1;
	}
	close(fd);
	if (r == 1)	/* refused or unreachable: wait out the slot */
		usleep((useconds_t)ms * 1000);
	return 0;
}

#endif
