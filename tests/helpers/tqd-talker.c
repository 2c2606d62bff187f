/* tqd-talker - keep one TCP connection busy for the daemon's tests.
 *
 *   tqd-talker ADDR PORT [INTERVAL_MS [STALL_MS [DURATION_S]]]
 *
 * Connects, then sends a line every INTERVAL_MS (default 200) and reads
 * the echoes.  Writes "connected" and then one "." per echo to stdout
 * (flushed), so a test can see traffic flow.  Exit status: 0 after
 * DURATION_S seconds (default: run until killed), 3 if no echo arrived for
 * STALL_MS (default 1500), 4 if the connection failed, 5 if the peer
 * closed or reset it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dial.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


int main(int argc, char **argv)
{
	long long interval, stall, duration, start, last_rx, next_tx, t;
	struct pollfd pfd;
	char buf[4096];
	ssize_t n;
	int fd, wait;

	if (argc < 3) {
		fprintf(stderr, "usage: tqd-talker ADDR PORT [INTERVAL_MS "
			"[STALL_MS [DURATION_S]]]\n");
		return 2;
	}
	interval = argc > 3 ? atoll(argv[3]) : 200;
	stall = argc > 4 ? atoll(argv[4]) : 1500;
	duration = argc > 5 ? atoll(argv[5]) * 1000 : 0;
	fd = dial("tqd-talker", argv[1], atoi(argv[2]), SOCK_STREAM);
	if (fd < 0)
		return 4;
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("connected\n");
	start = last_rx = next_tx = now_ms();
	for (;;) {
		t = now_ms();
		if (duration && t - start >= duration)
			return 0;
		if (t - last_rx >= stall) {
			fprintf(stderr, "tqd-talker: stalled\n");
			return 3;
		}
		if (t >= next_tx) {
			if (write(fd, "ping\n", 5) != 5) {
				fprintf(stderr, "tqd-talker: write: %s\n",
					strerror(errno));
				return 5;
			}
			next_tx = t + interval;
		}
		wait = (int)(next_tx - t);
		if (wait < 1)
			wait = 1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
			return 5;
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			fprintf(stderr, "tqd-talker: connection closed\n");
			return 5;
		}
		last_rx = now_ms();
		printf(".");
	}
}
