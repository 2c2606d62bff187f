/* nbr.h - the kernel's neighbour table (ARP / NDP) through rtnetlink.
 *
 * One RTM_GETNEIGH dump, usable entries only: a 6-byte link-layer
 * address, a destination of its family's length, a state that is
 * neither failed, incomplete nor NOARP.  Reading it needs no privilege.
 * The daemon's bind_mac (daemon/neigh.c) and the portal (which device a
 * request comes from) read the table through here.
 */
#ifndef TQ_NBR_H
#define TQ_NBR_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define NBR_MACSTRLEN 18	/* "02:00:5e:10:00:01" and its NUL */

struct nbr_entry {
	struct tq_addr addr;
	uint8_t mac[6];
	int ifindex;
};

/* Called for each usable entry; non-zero stops the walk. */
typedef int (*nbr_cb)(void *arg, const struct nbr_entry *e);

/* Walk the table (both families).  0, or -1 with errno set. */
int nbr_dump(nbr_cb cb, void *arg);
/* The MAC the table holds for a: 1 (mac set), 0 none, -1 (errno). */
int nbr_mac_of(const struct tq_addr *a, uint8_t mac[6]);
/* "02:00:5e:10:00:01" into buf (NBR_MACSTRLEN bytes); returns buf. */
const char *nbr_mac_format(const uint8_t mac[6], char *buf);

#endif
