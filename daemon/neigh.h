/* neigh.h - what the kernel's rtnetlink tables say about the LAN: the
 * neighbour table (MAC addresses, for network.bind_mac) and the
 * interface addresses (which addresses are LAN hosts). */
#ifndef TQ_NEIGH_H
#define TQ_NEIGH_H

#include <stddef.h>

#include "addr.h"
#include "nftb.h"

/**
 * neigh_lookup() - fill in the MAC address the kernel's neighbour table
 * (ARP / NDP, one rtnetlink dump) holds for each host.  Hosts without a
 * usable entry keep has_mac = false.  Returns the number of hosts found,
 * or -1 (errno).
 */
int neigh_lookup(struct nftb_host *hosts, size_t n);

/**
 * neigh_lan() - the LAN as the kernel has it now (one RTM_GETADDR dump):
 * the networks of the addresses on the interfaces lan names (names and
 * "eth*" patterns, conf_ifname_match; a name the kernel does not know
 * adds none) and every address of the gateway.
 * *out is filled from empty; free it with addr_lan_free(), also after a
 * failure.  Returns 0, or -1 (errno).
 */
int neigh_lan(char *const *lan, size_t n_lan, struct tq_lan *out);

#endif
