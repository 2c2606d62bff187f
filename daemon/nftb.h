/* nftb.h - the nftables backend: the daemon's own table, through
 * libnftnl + libmnl netlink batches.  Never shells out.
 *
 * Table inet <network.table>, as `nft list table inet tcpquota` shows it:
 *   set hosts4 { type ipv4_addr; counter; }   (ipv4_addr . ether_addr with
 *   set hosts6 { type ipv6_addr; counter; }    network.bind_mac)
 *   set blocked_uids { type uid; }
 *   with bind_mac also hosts4_unbound/hosts6_unbound (plain addresses) for
 *   hosts opened without a known MAC (has_mac false)
 *   chain forward (filter, hook forward, policy accept), per LAN x WAN:
 *     iifname LAN oifname WAN ip[6] daddr LOCALNET counter accept (one
 *       rule per network.local_networks entry: free for every host, and
 *       ahead of the sets so that no element counter moves)
 *     iifname WAN oifname LAN ip[6] saddr LOCALNET ct state
 *       established,related counter accept (their replies: free too)
 *     iifname LAN oifname WAN ip saddr @hosts4 counter accept
 *     iifname LAN oifname WAN ip6 saddr @hosts6 counter accept
 *     iifname WAN oifname LAN ct state established,related ip daddr
 *       @hosts4 counter accept (and ip6 daddr @hosts6: the replies move
 *       the element counter too, so a host that only receives is online;
 *       with bind_mac only for the unbound sets)
 *     iifname WAN oifname LAN ct state established,related counter accept
 *     iifname WAN oifname LAN counter drop   (new connections from the
 *       Internet: IPv6 LAN hosts are routable)
 *     iifname LAN oifname WAN meta l4proto tcp counter reject with tcp
 *       reset; iifname LAN oifname WAN counter reject with icmpx
 *       admin-prohibited   (hosts not opened: refused at once)
 *   chain postrouting (nat, srcnat):
 *     per WAN: oifname WAN ip daddr LOCALNET counter masquerade (each
 *       IPv4 local network, for every host, ahead of the set lookup)
 *     per WAN: oifname WAN ip saddr @hosts4 counter masquerade
 *   set allowed_uids { type uid; counter; }  (the users on the gateway
 *     who may use the link)
 *   chain output (filter): meta skuid @blocked_uids jump blocked; with
 *     check_local: meta skuid >= MIN_UID jump users
 *   chain prerouting (nat, dstnat): empty without a portal section; with
 *     one, per LAN: iifname LAN ip[6] daddr LOCALNET tcp dport 80 accept;
 *     iifname LAN ip saddr != @hosts4 tcp dport 80 counter redirect to
 *     :PORT (and ip6, @hosts6; negated look-ups move no element counter)
 *   chain blocked: oifname "lo" return; ip[6] daddr LOCALNET return (one
 *     rule per network.local_networks entry); counter reject
 *   chain users: the same returns; meta skuid @allowed_uids return (the
 *     element counter: that user's traffic, any protocol); counter reject
 *     (anyone else, from the first packet)
 *   chain input (filter, hook input), with check_local: iifname "lo"
 *     return; ip[6] saddr LOCALNET return; meta skuid @allowed_uids (what
 *     a user receives on an established TCP or connected UDP socket moves
 *     the counter too)
 *   Every rule carries a comment.
 *
 * Every call is one batch (an empty one is not sent); the kernel applies
 * it whole or not at all.  Each message has NLM_F_ACK and its own
 * sequence number, and an error names the operation and the object
 * ("adding element 198.18.1.10 to set hosts4: File exists"; inside a chunk
 * of elements the kernel's extended-ACK offset finds the element).
 */
#ifndef TQ_NFTB_H
#define TQ_NFTB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "conf.h"

struct nftb_host {
	struct tq_addr addr;
	bool has_mac;		/* with network.bind_mac */
	uint8_t mac[6];
	uint64_t packets;	/* element counter (nftb_list only) */
	uint64_t bytes;
};

/* A uid of allowed_uids with its element counter. */
struct nftb_uid {
	unsigned uid;
	uint64_t packets;
	uint64_t bytes;
};

struct nftb;

/* Open a netlink socket for conf's table.  NULL on error (errno). */
struct nftb *nftb_new(const struct tq_conf *conf);
void nftb_free(struct nftb *n);
/* Take a new conf (after reload); the caller then calls nftb_create(). */
void nftb_set_conf(struct nftb *n, const struct tq_conf *conf);
/* The last error text. */
const char *nftb_error(const struct nftb *n);

/* Build the whole table with these hosts and blocked uids in one batch,
 * replacing an existing table of that name atomically.  0 / -1. */
int nftb_create(struct nftb *n, const struct nftb_host *hosts, size_t nh,
		const unsigned *uids, size_t nu);
/* Delete the table (ENOENT is not an error).  0 / -1. */
int nftb_delete(struct nftb *n);
/* Add / remove hosts (v4 and v6 mixed) in one batch.  Adding a host
 * already present or removing one absent is not an error (a removal is an
 * add then a delete in the same batch: O(1), any kernel).  With bind_mac,
 * a host with has_mac is bound to that MAC, one without goes to the
 * unbound set; nftb_close() of a host without has_mac removes it whatever
 * MAC it was bound to (one listing of the sets first).  0 / -1. */
int nftb_open(struct nftb *n, const struct nftb_host *hosts, size_t nh);
int nftb_close(struct nftb *n, const struct nftb_host *hosts, size_t nh);
int nftb_block(struct nftb *n, const unsigned *uids, size_t nu);
int nftb_unblock(struct nftb *n, const unsigned *uids, size_t nu);
/* Make allowed_uids hold exactly uids (any order, duplicates ignored) in
 * one batch of the differences with what it last set; remembered, also
 * for nftb_create().  *added, *removed: how many changed.  0 / -1. */
int nftb_allow(struct nftb *n, const unsigned *uids, size_t nu,
	       size_t *added, size_t *removed);
/* Read allowed_uids back with its counters.  *out is malloc'ed. */
int nftb_list_allowed(struct nftb *n, struct nftb_uid **out, size_t *nu);
/* Read the host sets back, with element counters (has_mac and mac set
 * with bind_mac).  *out is malloc'ed (never NULL on success). */
int nftb_list(struct nftb *n, struct nftb_host **out, size_t *nh);
int nftb_list_uids(struct nftb *n, unsigned **out, size_t *nu);
/* 1 if the table is as conf calls for, whole: every chain with its hook,
 * priority, type and policy and no other; every rule in its chain, in
 * order, every expression with every attribute and its comment, and no
 * other; every set with its key, flags and expressions and no other;
 * and, once this process built the table, blocked_uids and allowed_uids
 * holding exactly the uids it put there (the host sets' elements are the
 * caller's to check).  0 if it is missing or altered (nftb_intact_diff()
 * says what first differs), -1 on error.  Works in a process that did
 * not build the table (without the uid sets' elements). */
int nftb_intact(struct nftb *n);
const char *nftb_intact_diff(const struct nftb *n);

/* Ruleset events (NFNLGRP_NFTABLES): the fd of a socket that receives
 * them (opened at the first call; -1 with errno on error), and whether
 * since the last call another process changed this table (or events
 * were lost: 1), nothing did (0), or reading failed (-1).  Changes the
 * daemon made itself are recognised by their netlink port id. */
int nftb_events_fd(struct nftb *n);
int nftb_events_changed(struct nftb *n);

/* What the last batch held: msgs, its messages between begin and end
 * (one per object or per chunk of 256 elements); bytes, the datagram
 * sent, begin and end included.  0 and 0 if that batch was empty (not
 * sent); a call given no hosts builds no batch and changes neither.  For
 * tests and benchmarks: an open or close is one small batch whatever the
 * sets hold. */
void nftb_last_batch(const struct nftb *n, size_t *msgs, size_t *bytes);

#endif
