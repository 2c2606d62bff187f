/* udp-stream - UDP traffic with known timing for the daemon's tests.
 *
 *   udp-stream serve PORT COUNT INTERVAL_MS [SIZE]
 *       Wait for one datagram on PORT (IPv4 and IPv6), then send COUNT
 *       datagrams of SIZE bytes (default 1000) back to its sender, one
 *       every INTERVAL_MS; then wait for the next request.
 *   udp-stream recv ADDR PORT QUIET_MS
 *       Send one datagram "go" to ADDR PORT from a new socket, then print
 *       the wall-clock time in milliseconds of each datagram received;
 *       exit 0 once QUIET_MS passed without one (1 if none came).
 *   udp-stream send ADDR PORT COUNT INTERVAL_MS
 *       Send COUNT datagrams "x\n" from one socket, one every INTERVAL_MS;
 *       print "ok MS" (MS: the wall-clock millisecond), "EPERM MS" (the
 *       output chain refused it) or the error text for each.  Exit 0.
 *   udp-stream sink PORT
 *       Print "." for each datagram received on PORT, until killed.
 *
 * Output is unbuffered so a test sees it at once.
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

static long long now_ms(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A socket bound to :: PORT that takes IPv4 too. */
static int bound(int port)
{
	struct sockaddr_in6 s6;
	int fd, zero = 0;

	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&s6, sizeof(s6)) < 0) {
		perror("udp-stream: bind");
		close(fd);
		return -1;
	}
	return fd;
}

static int serve(int port, long count, long interval, size_t size)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	char buf[65536];
	long i;
	int fd = bound(port);

	if (fd < 0)
		return 1;
	if (size > sizeof(buf))
		size = sizeof(buf);
	memset(buf, 'x', sizeof(buf));
	for (;;) {
		long long next;

		plen = sizeof(peer);
		if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer,
			     &plen) < 0) {
			if (errno == EINTR)
				continue;
			perror("udp-stream: recvfrom");
			return 1;
		}
		memset(buf, 'x', size);
		next = now_ms(CLOCK_MONOTONIC);
		for (i = 0; i < count; i++) {
			sendto(fd, buf, size, 0, (struct sockaddr *)&peer,
			       plen);
			next += interval;
			if (i + 1 < count)
				sleep_ms(next - now_ms(CLOCK_MONOTONIC) > 0 ?
					 next - now_ms(CLOCK_MONOTONIC) : 0);
		}
	}
}

static int recv_stream(const char *addr, int port, int quiet)
{
	struct pollfd pfd;
	char buf[65536];
	int fd = dial("udp-stream", addr, port, SOCK_DGRAM), n = 0;

	if (fd < 0)
		return 1;
	if (send(fd, "go\n", 3, 0) != 3) {
		perror("udp-stream: send");
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		int rc = poll(&pfd, 1, quiet);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		if (recv(fd, buf, sizeof(buf), 0) < 0)
			continue;	/* an ICMP error: not data */
		printf("%lld\n", now_ms(CLOCK_REALTIME));
		n++;
	}
	return n > 0 ? 0 : 1;
}

/* Unconnected: a refused datagram's ICMP error is not reported to the
 * next send(2), so each answer is that datagram's own. */
static int send_some(const char *addr, int port, long count, long interval)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	socklen_t len;
	long i;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		len = sizeof(*s6);
	} else {
		fprintf(stderr, "udp-stream: bad address %s\n", addr);
		return 1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udp-stream: socket");
		return 1;
	}
	for (i = 0; i < count; i++) {
		if (i > 0)
			sleep_ms(interval);
		if (sendto(fd, "x\n", 2, 0, (struct sockaddr *)&ss, len) == 2)
			printf("ok %lld\n", now_ms(CLOCK_REALTIME));
		else if (errno == EPERM)
			printf("EPERM %lld\n", now_ms(CLOCK_REALTIME));
		else
			printf("%s\n", strerror(errno));
	}
	return 0;
}

static int sink(int port)
{
	char buf[65536];
	int fd = bound(port);

	if (fd < 0)
		return 1;
	for (;;) {
		if (recv(fd, buf, sizeof(buf), 0) >= 0)
			printf(".");
		else if (errno != EINTR)
			return 1;
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 5 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]), atol(argv[3]), atol(argv[4]),
			     argc > 5 ? (size_t)atol(argv[5]) : 1000);
	if (argc == 5 && strcmp(argv[1], "recv") == 0)
		return recv_stream(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 6 && strcmp(argv[1], "send") == 0)
		return send_some(argv[2], atoi(argv[3]), atol(argv[4]),
				 atol(argv[5]));
	if (argc == 3 && strcmp(argv[1], "sink") == 0)
		return sink(atoi(argv[2]));
	fprintf(stderr, "usage: udp-stream serve PORT COUNT INTERVAL_MS "
		"[SIZE] | recv ADDR PORT QUIET_MS | send ADDR PORT COUNT "
		"INTERVAL_MS | sink PORT\n");
	return 2;
}
