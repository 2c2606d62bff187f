/* hosts.h - what the daemon put in the firewall: the open hosts (sorted
 * by address, found by binary search) and the blocked uids.
 *
 * Pure data, no I/O: the rooms that change the firewall (fw.c,
 * enforce.c) record here what they did; a rebuilt table is made from it.
 */
#ifndef TQ_HOSTS_H
#define TQ_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "db.h"
#include "nftb.h"

/* A host we put into the firewall. */
struct hosts_entry {
	struct tq_addr addr;
	bool has_mac;		/* bound with network.bind_mac */
	uint8_t mac[6];
	char name[DB_NAME_BYTES];
	/* With conntrack events (network.conntrack_resync > 0), gather.c's: */
	uint32_t conns;		/* its entries to outside local_networks */
	uint32_t closing;	/* not live ones (scan.h: scan_agg_ct) */
	uint64_t packets;	/* its set elements' packet counters */
};

struct hosts;

struct hosts *hosts_new(void);
void hosts_free(struct hosts *h);

size_t hosts_count(const struct hosts *h);
/* The i-th host in address order (i < hosts_count). */
struct hosts_entry *hosts_at(struct hosts *h, size_t i);
/* The host of address a, or NULL.  Valid until the next add or del. */
struct hosts_entry *hosts_find(struct hosts *h, const struct tq_addr *a);
/* Add (or update) the host of nh->addr with its MAC binding and name
 * (NULL: ""); its counters start at 0 when it is new. */
void hosts_add(struct hosts *h, const struct nftb_host *nh,
	       const char *name);
void hosts_del(struct hosts *h, const struct tq_addr *a);
/* The hosts as nftb elements, in address order; free() it. */
struct nftb_host *hosts_array(const struct hosts *h);

bool hosts_uid_blocked(const struct hosts *h, unsigned uid);
void hosts_uid_add(struct hosts *h, unsigned uid);
void hosts_uid_del(struct hosts *h, unsigned uid);
/* The blocked uids (*n of them), valid until the next change. */
const unsigned *hosts_uids(const struct hosts *h, size_t *n);

#endif
