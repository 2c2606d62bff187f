/* conf_sanity.h - what conf_load() cannot see in a configuration: settings
 * that contradict each other or make no sense for a gateway, and names of
 * things the system running it does not have.  tcpquotad runs it for -n
 * and at start (never for a reload: a running daemon keeps its checks).
 *
 * Errors (the daemon refuses to start, -n exits 1):
 *   - an interface in both network.lan and network.wan (or a name and a
 *     pattern, "eth*", matching the same interfaces);
 *   - a network.local_networks entry covering much of the Internet (an
 *     IPv4 prefix shorter than /8 outside 224.0.0.0/3, an IPv6 one
 *     shorter than /16 overlapping 2000::/3): traffic to it is never
 *     charged, so nothing would ever be.
 * Warnings (the daemon starts, -n exits 0):
 *   - quota.admin_group or daemon.tools_group not a group of this system;
 *   - a password file of database.* missing, unreadable or empty.
 * These can be right on a machine set up later (tcpquota-setup-db makes
 * the groups and the files), and the daemon runs without a database.
 * Only the daemon's own password file concerns a running daemon (flag
 * CONF_SANITY_DAEMON): a start logs that one; the rest is the tools'
 * and said by -n.
 */
#ifndef TQ_CONF_SANITY_H
#define TQ_CONF_SANITY_H

#include <stdbool.h>

#include "conf.h"

/* True if the interface name matches pattern, a name of network.lan or
 * network.wan: the name itself, or with a trailing '*' any name that
 * starts with what comes before it (as nftables reads "eth*"). */
bool conf_ifname_match(const char *pattern, const char *name);

/* What a finding is: an error, or a warning; CONF_SANITY_DAEMON if it
 * concerns the daemon's own work (every error does). */
enum {
	CONF_SANITY_ERROR = 1,
	CONF_SANITY_DAEMON = 2,
};

/* One finding: "FILE:LINE: SETTING: what is wrong; what to do" (no LINE
 * for a setting the file leaves at its default); flags CONF_SANITY_*. */
typedef void (*conf_sanity_fn)(void *arg, unsigned flags, const char *msg);

/**
 * conf_sanity() - check c; fn sees every finding, errors and warnings in
 * the order of the list above.
 * @text: the text c was loaded from, for the line numbers; NULL: read
 *        c->path again (a file that cannot be read gives no lines).
 * Returns the number of errors.
 */
int conf_sanity(const struct tq_conf *c, const char *text, conf_sanity_fn fn,
		void *arg);

#endif
