/* forward.h - is the kernel forwarding between the LAN and the WAN? */
#ifndef TQ_FORWARD_H
#define TQ_FORWARD_H

#include <stddef.h>

/* Where the Debian package installs the commented sysctl snippet. */
#define FORWARD_SNIPPET "/etc/sysctl.d/60-tcpquota-forwarding.conf"

/**
 * forward_check() - the forwarding settings that are off.
 * @procsys: "/proc/sys" (tests pass a tree of their own).
 * @warn:    called once per family that is off with the message to show.
 *
 * A setting that cannot be read (no IPv6 in the kernel) is not reported.
 * Returns how many families are off.
 */
int forward_check(const char *procsys,
		  void (*warn)(const char *msg, void *arg), void *arg);

#endif
