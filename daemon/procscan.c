/* procscan.c - read the kernel's socket and conntrack tables. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "procscan.h"

static int scan_file(struct scan_agg *g, const char *path, int family,
		     struct scan_stats *st, int missing_ok)
{
	FILE *f;
	int rc;

	f = fopen(path, "re");
	if (!f)
		return (missing_ok && errno == ENOENT) ? 0 : -1;
	rc = scan_tcp(f, family, scan_agg_sock, g, st);
	fclose(f);
	return rc;
}

int procscan_local_files(struct scan_agg *g, const char *tcp,
			 const char *tcp6, struct scan_stats *st)
{
	struct scan_stats dummy = { 0 };

	if (!st)
		st = &dummy;
	if (scan_file(g, tcp, AF_INET, st, 0) < 0)
		return -1;
	return scan_file(g, tcp6, AF_INET6, st, 1);
}

int procscan_local(struct scan_agg *g, struct scan_stats *st)
{
	return procscan_local_files(g, "/proc/net/tcp", "/proc/net/tcp6", st);
}

int procscan_conntrack_file(struct scan_agg *g, const char *path)
{
	struct scan_stats st = { 0 };
	FILE *f;
	int rc;

	f = fopen(path, "re");
	if (!f)
		return -1;
	rc = scan_conntrack(f, scan_agg_ct, g, &st);
	fclose(f);
	return rc;
}

int procscan_conntrack(struct ct *ct, struct scan_agg *g, int *used_netlink)
{
	if (used_netlink)
		*used_netlink = 0;
	if (ct) {
		if (ct_dump(ct, scan_agg_ct, g) == 0) {
			if (used_netlink)
				*used_netlink = 1;
			return 0;
		}
		/* A partial dump may have fed some entries: start over. */
		scan_agg_reset(g);
	}
	return procscan_conntrack_file(g, "/proc/net/nf_conntrack");
}
