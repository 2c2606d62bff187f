/* ct.h - connection tracking through ctnetlink (libmnl).
 *
 * The faster path for the scan (a netlink dump instead of reading
 * /proc/net/nf_conntrack), and deleting a closed host's entries so its
 * established connections and NAT mappings end at once.
 */
#ifndef TQ_CT_H
#define TQ_CT_H

#include <stddef.h>

#include "addr.h"
#include "scan.h"

struct ct;

struct ct *ct_new(void);		/* NULL on error (errno) */
void ct_free(struct ct *c);
/* Dump the table (IPv4 and IPv6, one walk); every entry reaches cb as a
 * scan_ct.  0 / -1 (errno). */
int ct_dump(struct ct *c, scan_ct_cb cb, void *arg);
/* Delete every entry whose original source is one of the hosts.  Returns
 * the number deleted, or -1. */
long ct_delete_hosts(struct ct *c, const struct tq_addr *hosts, size_t n);
/* Turn on per-connection packet/byte accounting in this network namespace
 * (net.netfilter.nf_conntrack_acct = 1).  0 / -1. */
int ct_enable_acct(void);

#endif
