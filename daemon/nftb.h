/* nftb.h - the nftables backend: the daemon's own table, through
 * libnftnl + libmnl netlink batches.  Never shells out.
 *
 * Table inet <network.table>:
 *   set hosts4 { type ipv4_addr; flags ... ; counter }  (ipv4_addr . ether_addr with bind_mac)
 *   set hosts6 { type ipv6_addr; counter }              (ipv6_addr . ether_addr with bind_mac)
 *   set blocked_uids { type uid; }   (meta skuid)
 *   chain forward  (filter, hook forward): LAN->WAN only from the sets,
 *                   WAN->LAN established/related, other LAN->WAN dropped
 *   chain postrouting (nat): masquerade opened IPv4 hosts out of WAN
 *   chain output (filter): blocked uids cannot reach non-local addresses
 *
 * Every call is one batch; a failed batch changes nothing, and the error
 * names the operation and the object ("adding element 198.18.1.10 to set
 * hosts4: File exists").
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
 * already present or removing one absent is not an error. 0 / -1. */
int nftb_open(struct nftb *n, const struct nftb_host *hosts, size_t nh);
int nftb_close(struct nftb *n, const struct nftb_host *hosts, size_t nh);
int nftb_block(struct nftb *n, const unsigned *uids, size_t nu);
int nftb_unblock(struct nftb *n, const unsigned *uids, size_t nu);
/* Read the host sets back, with element counters.  *out is malloc'ed. */
int nftb_list(struct nftb *n, struct nftb_host **out, size_t *nh);
int nftb_list_uids(struct nftb *n, unsigned **out, size_t *nu);
/* 1 if the table is as we built it (chains, rules, sets present), 0 if it
 * is missing or altered, -1 on error. */
int nftb_intact(struct nftb *n);

#endif
