/* nbr.h - what the kernel's rtnetlink tables say about the LAN: the
 * neighbour table (ARP / NDP) and the interface addresses.
 *
 * The neighbour table is one RTM_GETNEIGH dump, usable entries only: a
 * 6-byte link-layer address, a destination of its family's length, a
 * state that is neither failed, incomplete nor NOARP.  The interface
 * addresses are one RTM_GETADDR dump.  Reading either needs no
 * privilege.  The daemon (bind_mac, a device's addresses, the LAN's
 * networks) and the portal (which device a request comes from) read the
 * kernel through here: one parser of each.
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
/* Six hex pairs split by ':' (either case), nothing else, into mac.
 * 0, or -1 (mac unchanged). */
int nbr_mac_parse(const char *s, uint8_t mac[6]);

/**
 * nbr_lan() - the LAN as the kernel has it now (one RTM_GETADDR dump):
 * the networks of the addresses on the interfaces lan names (names and
 * "eth*" patterns, conf_ifname_match; a name the kernel does not know
 * adds none) and every address of the gateway.  An address is IFA_LOCAL
 * where the kernel gives one (the local end of a point-to-point link),
 * else IFA_ADDRESS; its network is IFA_ADDRESS with the prefix length.
 * *out is filled from empty; free it with addr_lan_free(), also after a
 * failure.  Returns 0, or -1 (errno).
 */
int nbr_lan(char *const *lan, size_t n_lan, struct tq_lan *out);

#endif
