/* scan.h - parsers for /proc/net/tcp{,6} and /proc/net/nf_conntrack, and
 * the per-host / per-uid aggregation the poll needs.
 *
 * Parsers read from a FILE * (tests feed fixtures), allocate nothing per
 * line, skip and count malformed, truncated or overlong lines, and are
 * linear in the input size.  A line is at most SCAN_LINE_MAX bytes without
 * its newline; a longer one is skipped whole.  A last line without a
 * newline is a truncated line (the kernel always ends its lines).
 * IPv4-mapped IPv6 addresses ("::ffff:198.18.0.1") are reported as IPv4,
 * as addr_parse() stores them.
 */
#ifndef TQ_SCAN_H
#define TQ_SCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "conf.h"

#define SCAN_LINE_MAX 1024

struct scan_stats {
	size_t lines;		/* lines read, header included */
	size_t records;		/* records handed to the callback */
	size_t skipped;		/* malformed lines */
};

/* An ESTABLISHED TCP socket from /proc/net/tcp or tcp6. */
struct scan_sock {
	struct tq_addr local, remote;
	uint16_t lport, rport;
	unsigned uid;
};

/*
 * The state of a TCP conntrack entry: the kernel's numbers (enum
 * tcp_conntrack, the value of CTA_PROTOINFO_TCP_STATE) and, in procfs, its
 * names (tcp_conntrack_names[]: "ESTABLISHED", "TIME_WAIT", ...).
 * SCAN_CT_NONE is also what every other protocol gets (only TCP's state
 * is read; SCTP's is not), and a TCP entry whose state was not reported
 * or is a number this table does not know.
 */
enum scan_ct_state {
	SCAN_CT_NONE = 0,
	SCAN_CT_SYN_SENT = 1,
	SCAN_CT_SYN_RECV = 2,
	SCAN_CT_ESTABLISHED = 3,
	SCAN_CT_FIN_WAIT = 4,
	SCAN_CT_CLOSE_WAIT = 5,
	SCAN_CT_LAST_ACK = 6,
	SCAN_CT_TIME_WAIT = 7,
	SCAN_CT_CLOSE = 8,
	SCAN_CT_SYN_SENT2 = 9,
	SCAN_CT_NSTATES
};

/* A connection-tracking entry; addresses and ports of the original
 * direction.  packets/bytes are original + reply when the kernel has
 * accounting on (has_counters), else 0. */
struct scan_ct {
	struct tq_addr src, dst;
	uint16_t sport, dport;	/* 0 for protocols without ports */
	uint8_t proto;		/* IPPROTO_* */
	uint8_t state;		/* enum scan_ct_state */
	bool has_counters;
	uint64_t packets, bytes;
};

/**
 * scan_ct_live() - does the entry count as a connection?
 *
 * Every entry does except a TCP one in TIME_WAIT or CLOSE: both ends are
 * done (or it was reset) and the kernel only keeps the entry to catch
 * late segments, for up to two minutes.  SYN_SENT .. LAST_ACK are live:
 * a half-closed connection (FIN_WAIT, CLOSE_WAIT) can still carry data,
 * and an unanswered SYN is a host trying to get out.  SCAN_CT_NONE is
 * live, as every entry was before the state was read.
 */
bool scan_ct_live(const struct scan_ct *c);
/* The kernel's name of a state ("TIME_WAIT"); "NONE" for SCAN_CT_NONE or
 * a value out of range. */
const char *scan_ct_state_name(unsigned state);

typedef void (*scan_sock_cb)(const struct scan_sock *s, void *arg);
typedef void (*scan_ct_cb)(const struct scan_ct *c, void *arg);

/* Only ESTABLISHED sockets reach cb.  family is AF_INET (tcp) or AF_INET6
 * (tcp6).  Returns 0, or -1 on a read error (errno set). */
int scan_tcp(FILE *f, int family, scan_sock_cb cb, void *arg,
	     struct scan_stats *st);
/* Every parsable entry of /proc/net/nf_conntrack reaches cb. */
int scan_conntrack(FILE *f, scan_ct_cb cb, void *arg, struct scan_stats *st);

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
