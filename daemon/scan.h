/* scan.h - parsers for /proc/net/tcp{,6} and /proc/net/nf_conntrack (the
 * per-host / per-uid aggregation the poll needs is scanagg.h).
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
#include "scanagg.h"	/* what the parsers feed, for their callers */

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

/* Store an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as IPv4, as
 * addr_parse() does; any other address is left as it is. */
void scan_addr_unmap(struct tq_addr *a);

#endif
