/* latbench.c - open and close latency as a LAN host sees it.
 *
 *   latbench -c CONF -H HOST -u USER -s SERVER [-p PORT] [-n COUNT]
 *            [-N] [-l LABEL]
 *   latbench -S PORT
 *
 * -S is the server side, run in the server's namespace: it accepts on
 * PORT (IPv4, backlog 4096) and closes every connection at once.  The
 * client needs it because it connects every few milliseconds: a forking
 * service with a small backlog would fill its accept queue and drop SYNs,
 * which would read as "closed".
 *
 * Writes with the tools' database account, as openhost does.  Runs in
 * the LAN host's namespace (the database and the daemon's wake-up
 * socket are UNIX sockets, reachable from any namespace).  COUNT times:
 *   open:  write the masq row (open = 2) as openhost does, poke the wake-up
 *          socket (not with -N), then try a fresh TCP connect to SERVER
 *          every few milliseconds; the open latency is the time from the
 *          row written to the first connect that succeeds.  The ack
 *          latency is the time until the row reads open = 1.
 *   close: set open = 3, poke, and time until a fresh connect no longer
 *          gets through within 5 ms (the firewall closed), and until the
 *          row reads open = 0 (the daemon's ack); then delete the row.
 * A random pause of 30-80 ms separates requests (beyond the daemon's 20 ms
 * wake-up rate limit); with -N a random pause of up to one period, so that
 * requests fall at random points of the poll cycle instead of just after
 * the poll that answered the previous one.  Prints RES lines LABEL/open, LABEL/open-ack,
 * LABEL/close, LABEL/close-ack with p99 in wall_p99.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"
#include "conf.h"
#include "db.h"
#include "log.h"

static struct bench_sample s_open, s_oack, s_close, s_cack;
static struct sockaddr_storage srv;
static socklen_t srvlen;

static int try_connect(int ms)
{
	return bench_try_connect(&srv, srvlen, ms);
}

static int open_cb(void *arg, unsigned ncols, char **cells)
{
	int *v = arg;

	*v = ncols >= 1 && cells[0] ? atoi(cells[0]) : -1;
	return 0;
}

static int row_open(struct db *db, const char *host, const char *gw)
{
	int v = -1;

	if (db_query(db, open_cb, &v, "SELECT open FROM masq WHERE host = ? "
		     "AND gateway = ?", "ss", host, gw) < 0) {
		fprintf(stderr, "latbench: %s\n", db_error(db));
		exit(1);
	}
	return v;
}

static void poke(int fd, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (fd < 0)
		return;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (sendto(fd, "w", 1, MSG_DONTWAIT, (struct sockaddr *)&sun,
		   sizeof(sun)) < 0)
		perror("latbench: poke");
}

static void sql(struct db *db, long long want, const char *q,
		const char *types, const char *a, const char *b,
		const char *c)
{
	long long r = db_exec(db, q, types, a, b, c);

	if (r < 0 || (want >= 0 && r != want)) {
		fprintf(stderr, "latbench: %s: %s\n", q,
			r < 0 ? db_error(db) : "unexpected row count");
		exit(1);
	}
}

#define LIMIT_US 15e6

static void pause_between(bool nopoke, int period)
{
	long us = 30000 + random() % 50000;

	if (nopoke)
		us = random() % ((long)period * 1000000);
	usleep((useconds_t)us);
}

static int serve(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, one = 1;

	sin.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 4096) < 0) {
		perror("latbench: listen");
		return 1;
	}
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c >= 0)
			close(c);
	}
}

int main(int argc, char **argv)
{
	const char *path = NULL, *host = NULL, *user = NULL, *server = NULL;
	const char *label = "lat";
	struct tq_conf *conf;
	struct db *db;
	int port = 8080, count = 100, opt, i, wfd = -1;
	bool nopoke = false;
	char err[512], l[96];

	while ((opt = getopt(argc, argv, "c:H:u:s:p:n:Nl:S:")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'H': host = optarg; break;
		case 'u': user = optarg; break;
		case 's': server = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'n': count = atoi(optarg); break;
		case 'N': nopoke = true; break;
		case 'l': label = optarg; break;
		case 'S': return serve(atoi(optarg));
		default: return 2;
		}
	}
	if (!path || !host || !user || !server || count < 1 ||
	    count > BENCH_MAX_RUNS) {
		fprintf(stderr, "usage: latbench -c CONF -H HOST -u USER "
			"-s SERVER [-p PORT] [-n COUNT] [-N] [-l LABEL]\n");
		return 2;
	}
	log_open("latbench", "-");
	conf = conf_load(path, err, sizeof(err));
	if (!conf) {
		fprintf(stderr, "latbench: %s\n", err);
		return 1;
	}
	srvlen = bench_sockaddr(server, port, &srv);
	if (!srvlen) {
		fprintf(stderr, "latbench: %s: not an IP address\n", server);
		return 2;
	}
	db = db_new(conf, DB_TOOL);	/* the account openhost uses */
	if (db_connect(db) < 0) {
		fprintf(stderr, "latbench: %s\n", db_error(db));
		return 1;
	}
	if (!nopoke && conf->wakeup && *conf->wakeup)
		wfd = socket(AF_UNIX, SOCK_DGRAM, 0);
	srandom((unsigned)getpid());
	if (try_connect(200)) {
		fprintf(stderr, "latbench: %s already gets through\n", host);
		return 1;
	}
	sql(db, -1, "DELETE FROM masq WHERE host = ? AND gateway = ?", "ss",
	    host, conf->gateway, NULL);

	for (i = 0; i < count; i++) {
		double t0, t;
		bool acked = false, live = false;

		pause_between(nopoke, conf->period);
		sql(db, 1, "INSERT INTO masq (host, name, tic, open, free, "
		    "gateway) VALUES (?, ?, 30, 2, 0, ?)", "sss", host, user,
		    conf->gateway);
		t0 = bench_wall_us();
		poke(wfd, conf->wakeup);
		while (!live || !acked) {
			t = bench_wall_us();
			if (t - t0 > LIMIT_US) {
				fprintf(stderr, "latbench: open %d: no %s "
					"after %.0f s\n", i, live ? "ack" :
					"connection", LIMIT_US / 1e6);
				return 1;
			}
			if (!live && try_connect(3)) {
				live = true;
				bench_add(&s_open, bench_wall_us() - t0, 0);
			}
			if (!acked && row_open(db, host, conf->gateway) == 1) {
				acked = true;
				bench_add(&s_oack, bench_wall_us() - t0, 0);
			}
		}

		pause_between(nopoke, conf->period);
		sql(db, 1, "UPDATE masq SET open = 3 WHERE host = ? AND "
		    "gateway = ?", "ss", host, conf->gateway, NULL);
		t0 = bench_wall_us();
		poke(wfd, conf->wakeup);
		acked = false;
		live = true;
		while (live || !acked) {
			t = bench_wall_us();
			if (t - t0 > LIMIT_US) {
				fprintf(stderr, "latbench: close %d: still %s "
					"after %.0f s\n", i, live ? "open" :
					"not acked", LIMIT_US / 1e6);
				return 1;
			}
			if (live && !try_connect(5)) {
				live = false;
				bench_add(&s_close, bench_wall_us() - t0, 0);
			}
			if (!acked) {
				int o = row_open(db, host, conf->gateway);

				/* 0, or the row already gone */
				if (o == 0 || o == -1) {
					acked = true;
					bench_add(&s_cack, bench_wall_us() - t0,
						  0);
				}
			}
		}
		sql(db, -1, "DELETE FROM masq WHERE host = ? AND gateway = ?",
		    "ss", host, conf->gateway, NULL);
	}
	snprintf(l, sizeof(l), "%s/open", label);
	bench_report(l, &s_open, nopoke ? "poke=no" : "poke=yes");
	snprintf(l, sizeof(l), "%s/open-ack", label);
	bench_report(l, &s_oack, nopoke ? "poke=no" : "poke=yes");
	snprintf(l, sizeof(l), "%s/close", label);
	bench_report(l, &s_close, nopoke ? "poke=no" : "poke=yes");
	snprintf(l, sizeof(l), "%s/close-ack", label);
	bench_report(l, &s_cack, nopoke ? "poke=no" : "poke=yes");
	if (wfd >= 0)
		close(wfd);
	db_free(db);
	conf_free(conf);
	return 0;
}
