/* forward.c - is the kernel forwarding between the LAN and the WAN?
 *
 * tcpquotad only decides who may cross; with net.ipv4.ip_forward or
 * net.ipv6.conf.all.forwarding at 0 the gateway forwards nothing, and an
 * admin who followed the README sees hosts "opened" that reach nothing.
 * /proc/sys/net shows the network namespace of the process that reads it,
 * so the daemon reads its own namespace's settings.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "forward.h"

static const struct {
	const char *family;
	const char *key;	/* sysctl name; its path with '/' for '.' */
	const char *path;
} forward_keys[] = {
	{ "IPv4", "net.ipv4.ip_forward", "net/ipv4/ip_forward" },
	{ "IPv6", "net.ipv6.conf.all.forwarding",
	  "net/ipv6/conf/all/forwarding" },
};

/* The setting's first character, or 0 if it cannot be read. */
static char read_flag(const char *procsys, const char *path)
{
	char file[256], c = 0;
	int fd;

	snprintf(file, sizeof(file), "%s/%s", procsys, path);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c;
}

int forward_check(const char *procsys,
		  void (*warn)(const char *msg, void *arg), void *arg)
{
	char msg[512];
	size_t i;
	int off = 0;

	for (i = 0; i < sizeof(forward_keys) / sizeof(forward_keys[0]); i++) {
		if (read_flag(procsys, forward_keys[i].path) != '0')
			continue;
		snprintf(msg, sizeof(msg), "%s forwarding is off (%s = 0): "
			 "LAN hosts cannot reach the Internet through this "
			 "gateway; set %s = 1 (uncomment it in " FORWARD_SNIPPET
			 ", or add it to a file in /etc/sysctl.d/) and run "
			 "\"sysctl --system\"",
			 forward_keys[i].family, forward_keys[i].key,
			 forward_keys[i].key);
		warn(msg, arg);
		off++;
	}
	return off;
}
