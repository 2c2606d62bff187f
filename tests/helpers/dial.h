/* dial.h - the test helpers' one way to connect: a socket of a type to a
 * numeric IPv4 or IPv6 address and port, through lib/addr.c. */
#ifndef TQ_TEST_DIAL_H
#define TQ_TEST_DIAL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"

/* A connected socket, or -1 with the reason on stderr after "PROG: ". */
static inline int dial(const char *prog, const char *addr, int port,
		       int type)
{
	struct sockaddr_storage ss;
	struct tq_addr a;
	socklen_t len;
	int fd;

	if (addr_parse(addr, &a) < 0) {
		fprintf(stderr, "%s: bad address %s\n", prog, addr);
		return -1;
	}
	len = addr_to_sockaddr(&a, (uint16_t)port, &ss);
	fd = socket(a.family, type, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) == 0)
		return fd;
	fprintf(stderr, "%s: connect %s: %s\n", prog, addr, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

#endif
