/* procscan.h - one poll's scan of the live system into a scan_agg:
 * local sockets from /proc/net/tcp{,6}, masqueraded connections from
 * ctnetlink (ct_dump) with /proc/net/nf_conntrack as the fallback.
 */
#ifndef TQ_PROCSCAN_H
#define TQ_PROCSCAN_H

#include <stddef.h>

#include "ct.h"
#include "scan.h"

/* Feed ESTABLISHED sockets of /proc/net/tcp and tcp6 (of the caller's
 * network namespace) to g.  A missing tcp6 file (no IPv6) is not an
 * error.  0 / -1 (errno). */
int procscan_local(struct scan_agg *g, struct scan_stats *st);

/* Feed connection-tracking entries to g: through ct if it is not NULL and
 * the dump works, else from /proc/net/nf_conntrack.  *used_netlink tells
 * which (may be NULL).  A failed dump resets g before the fallback, so
 * call this before procscan_local().  0 / -1 (errno). */
int procscan_conntrack(struct ct *ct, struct scan_agg *g, int *used_netlink);

/* The same with explicit paths (tests). */
int procscan_local_files(struct scan_agg *g, const char *tcp,
			 const char *tcp6, struct scan_stats *st);
int procscan_conntrack_file(struct scan_agg *g, const char *path);

#endif
