/* ct.h - connection tracking through ctnetlink (libmnl).
 *
 * The faster path for the scan (a netlink dump instead of reading
 * /proc/net/nf_conntrack), conntrack events to keep per-host connection
 * counts between dumps, and deleting a closed host's entries so its
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
/**
 * ct_parse_msg() - one ctnetlink entry message (a dump's answer or a NEW /
 * DESTROY event) into *out, as ct_dump() and ct_events_read() hand it on.
 * @buf: the message, @len: the bytes available at buf (the header's
 *       nlmsg_len must fit in them)
 *
 * Every attribute used is checked for length and lies inside its message
 * or nest; unknown attributes are stepped over.  The original tuple is
 * needed; TCP's state (CTA_PROTOINFO > CTA_PROTOINFO_TCP >
 * CTA_PROTOINFO_TCP_STATE) is read when there, else SCAN_CT_NONE.
 * Returns 0, or -1 if buf is not a readable conntrack entry (*out then
 * unspecified).
 */
int ct_parse_msg(const void *buf, size_t len, struct scan_ct *out);
/* Turn on per-connection packet/byte accounting in this network namespace
 * (net.netfilter.nf_conntrack_acct = 1).  0 / -1. */
int ct_enable_acct(void);

/* A non-blocking socket subscribed to conntrack NEW and DESTROY events of
 * this network namespace. */
struct ct_events;

/* NULL on error (errno; EOPNOTSUPP if net.netfilter.nf_conntrack_events is
 * 0, i.e. the kernel would send none).  Entries created from now on send
 * events; older ones may not (with nf_conntrack_events = 2 the kernel
 * sets events up only for entries created while someone listens), so a
 * full dump after this call is the starting point. */
struct ct_events *ct_events_new(void);
void ct_events_free(struct ct_events *ev);
/* The socket, for the event loop (EPOLLIN). */
int ct_events_fd(const struct ct_events *ev);
/**
 * ct_events_read() - read every pending event without blocking.
 * @new_cb:  called for each entry created, as a scan_ct (counters zero,
 *           the state at creation: SYN_SENT for a TCP connect)
 * @gone_cb: called for each entry destroyed (with its final counters and,
 *           from kernels that report it, its last state: TIME_WAIT for a
 *           closed connection; Linux 6.18 does)
 *
 * No event reports a state change (the socket is not subscribed to
 * UPDATE: several more events per connection, one per state change, on
 * every connection of the gateway).  So a count kept from these events
 * sees an entry's state only at its ends; scan.h's scan_agg_ct() says
 * what the daemon's counts mean between full reads.
 *
 * Returns the number of events handed out, or -1 (errno): ENOBUFS means
 * the socket overflowed and events were lost, so counts kept from them
 * are wrong until the next full dump; the socket still works.
 */
long ct_events_read(struct ct_events *ev, scan_ct_cb new_cb,
		    scan_ct_cb gone_cb, void *arg);

#endif
