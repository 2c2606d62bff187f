/* neigh.h - the MAC addresses the kernel's neighbour table holds for the
 * hosts the daemon opens (network.bind_mac), read through lib/nbr.c. */
#ifndef TQ_NEIGH_H
#define TQ_NEIGH_H

#include <stddef.h>

#include "nftb.h"

/**
 * neigh_lookup() - fill in the MAC address the kernel's neighbour table
 * (ARP / NDP, one rtnetlink dump) holds for each host.  Hosts without a
 * usable entry keep has_mac = false; a host given a MAC keeps it (the
 * first usable entry wins).  Returns the number of hosts found, or -1
 * (errno).
 */
int neigh_lookup(struct nftb_host *hosts, size_t n);

#endif
