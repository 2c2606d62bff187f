/* scanagg.h - one poll's per-host and per-uid totals, fed by the parsers
 * of scan.h (from procfs) or by ct.h (from ctnetlink).
 *
 * What counts: only traffic that crosses the link, by the rules of
 * scan_agg_sock() and scan_agg_ct() below; hosts are keyed by their
 * address, an IPv4-mapped IPv6 address being the IPv4 host.
 */
#ifndef TQ_SCANAGG_H
#define TQ_SCANAGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "conf.h"

struct scan_sock;
struct scan_ct;

/* Per-host and per-uid totals of one poll. */
struct scan_host {
	struct tq_addr addr;
	uint32_t conns;		/* live entries (scan_ct_live()) to outside
				   local_networks */
	uint32_t closing;	/* the other ones: TIME_WAIT, CLOSE */
	uint64_t packets;	/* packet total of all its entries to outside,
				   live or not: a closing connection's last
				   segments are traffic too */
};

struct scan_user {
	unsigned uid;
	uint32_t socks;		/* ESTABLISHED sockets to outside */
};

struct scan_agg;

/* Aggregator bound to conf (local_networks, min_uid); NULL never. */
struct scan_agg *scan_agg_new(const struct tq_conf *conf);
void scan_agg_free(struct scan_agg *g);
/* Forget all totals (keeps the memory for the next poll). */
void scan_agg_reset(struct scan_agg *g);
/* Forget all totals, and until the next reset count conntrack entries
 * only of these n source hosts (each then found by scan_agg_host(), with
 * zero counts if it had none): entries of other sources are ignored
 * without taking memory, and a table grown for more hosts is shrunk.
 * What a daemon with conntrack events reads at a full read. */
void scan_agg_reset_only(struct scan_agg *g, const struct tq_addr *hosts,
			 size_t n);
/* Feed: sockets with remote inside local_networks or uid < min_uid, and
 * conntrack entries whose destination is inside local_networks, are
 * ignored.  So are remote/destination addresses that never cross the link
 * whatever the configuration says: unspecified, loopback (127.0.0.0/8,
 * ::1), link-local (169.254.0.0/16, fe80::/10), multicast (224.0.0.0/4,
 * ff00::/8) and 255.255.255.255 - a LAN host's mDNS must not make it
 * "online".  Conntrack entries count for their original source: in
 * conns only when scan_ct_live(), in packets always (a host whose entries
 * are all in TIME_WAIT is seen, with conns 0).
 *
 * These counts are exact for one full read of the table.  Between full
 * reads (network.conntrack_resync) the daemon follows NEW and DESTROY
 * events instead (ct.h), which report an entry's state when it is
 * created and destroyed but never a change in between.  It starts from
 * the full read's conns and closing; a NEW adds to conns (to closing if
 * it is not live); a DESTROY that is not live takes from closing while
 * the closing entries of the full read may still be there, else (and
 * every live one) from conns.  So once those are gone (TIME_WAIT lasts
 * two minutes) conns is the full read's, plus the entries created since,
 * minus those destroyed since - counting, as before states were read,
 * an entry that went from ESTABLISHED to TIME_WAIT since, until it is
 * destroyed or the next full read.
 * Usable directly as scan_sock_cb / scan_ct_cb with arg = g. */
void scan_agg_sock(const struct scan_sock *s, void *g);
void scan_agg_ct(const struct scan_ct *c, void *g);
/* Totals for one source host; returns false (counts zeroed) if none seen.
 * An IPv4-mapped IPv6 address finds the IPv4 host. */
bool scan_agg_host(const struct scan_agg *g, const struct tq_addr *a,
		   struct scan_host *out);
/* All uids seen, in ascending uid order; valid until the next reset. */
size_t scan_agg_users(const struct scan_agg *g, const struct scan_user **out);
size_t scan_agg_nhosts(const struct scan_agg *g);
/* True if a never crosses the link (the fixed list above). */
bool scan_addr_never_external(const struct tq_addr *a);
/* True if a conntrack entry to a is ignored by scan_agg_ct(): a never
 * crosses the link, or lies in local_networks. */
bool scan_agg_is_local(const struct scan_agg *g, const struct tq_addr *a);

#endif
