/* hosts.h - what the daemon put in the firewall: the open hosts (sorted
 * by address, found by binary search) and the blocked uids.
 *
 * A host is a masq row's host, or an alias: another address of a row's
 * device (device.h), open because the row is, named by no row, charged
 * through the row (gather_row sums a row's host and its aliases).
 *
 * Pure data, no I/O: the rooms that change the firewall (fw.c,
 * enforce.c, device.c) record here what they did; a rebuilt table is
 * made from it.
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
	bool alias;		/* another address of owner's device */
	struct tq_addr owner;	/* an alias's row host */
};

/* An alias and the row host whose device it is. */
struct hosts_alias {
	struct tq_addr owner;
	struct tq_addr addr;
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
 * (NULL: ""), as a row's host (an alias of that address is one no
 * longer); its counters start at 0 when it is new. */
void hosts_add(struct hosts *h, const struct nftb_host *nh,
	       const char *name);
/* The same as an alias of the row host owner. */
void hosts_add_alias(struct hosts *h, const struct nftb_host *nh,
		     const struct tq_addr *owner, const char *name);
void hosts_del(struct hosts *h, const struct tq_addr *a);
/* The aliases of the row host owner (*n of them, by address), valid
 * until the next add or del. */
const struct hosts_alias *hosts_aliases(const struct hosts *h,
					const struct tq_addr *owner,
					size_t *n);
/* The hosts as nftb elements, in address order; free() it. */
struct nftb_host *hosts_array(const struct hosts *h);

bool hosts_uid_blocked(const struct hosts *h, unsigned uid);
void hosts_uid_add(struct hosts *h, unsigned uid);
void hosts_uid_del(struct hosts *h, unsigned uid);
/* The blocked uids (*n of them), valid until the next change. */
const unsigned *hosts_uids(const struct hosts *h, size_t *n);

#endif
