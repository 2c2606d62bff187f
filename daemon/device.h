/* device.h - a device is its MAC with all its addresses (issue 16).
 *
 * A masq row that carries a mac (migration 003: the portal's rows, and
 * openhost's where it knows the MAC) is a device.  While the row's host
 * is open, every other address the gateway's neighbour table shows for
 * that MAC on the LAN (IPv4 and IPv6, privacy addresses as they appear)
 * is open as an alias of the row (hosts.h): derived each poll and each
 * request pass from the neighbour table, bound to the MAC with
 * network.bind_mac, charged through the row (one row, one user, one
 * charge), and closed with the row.  Nothing of it is in the database.
 *
 * A portal row (via = 'portal') has no heartbeat while open: it stays
 * open while its device has traffic on any of its addresses and is
 * closed and deleted after portal.idle_timeout seconds without any.
 */
#ifndef TQ_DEVICE_H
#define TQ_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acct.h"
#include "conf.h"
#include "db.h"
#include "fw.h"
#include "hosts.h"
#include "nbr.h"
#include "store.h"

/* An alias to open: the element (address and binding), whose it is. */
struct device_open {
	struct nftb_host el;
	struct tq_addr owner;		/* the row's host */
	const char *name;		/* the row's user (into the rows) */
	uint8_t mac[6];			/* the device's */
};

/* An alias to close, and why. */
struct device_close {
	struct tq_addr addr;
	struct tq_addr owner;
	char name[DB_NAME_BYTES];
	bool moved;			/* the table shows it at mac now */
	uint8_t mac[6];
};

struct device_plan {
	struct device_open *open;
	size_t n_open;
	struct device_close *close;
	size_t n_close;
};

/**
 * device_plan() - what to open and close so that the aliases in h are
 * the devices' other addresses.  Pure.
 * @rows: the snapshot's masq rows; a device is a row with a mac whose
 *        host is open in h (not as an alias)
 * @nb:   the neighbour table's entries on the LAN's interfaces
 * @lan:  the LAN (addr_lan_check); NULL: nothing is opened
 * @fresh: the rows were read now (without, nothing is opened)
 *
 * Closed: an alias whose row host is no open device any more, or
 * (without bind_mac) whose address the table shows at another MAC.
 * Opened: an address the table
 * shows at a device's MAC (the first row of that MAC in rows' order)
 * that is a LAN host (not link-local, addr_lan_check), named by no row
 * and not in h.  With bind_mac an alias is bound to its device's MAC.
 * Free *out with device_plan_free().
 */
void device_plan(const struct store_masq *rows, size_t n_rows,
		 struct hosts *h, const struct nbr_entry *nb, size_t n_nb,
		 const struct tq_lan *lan, bool bind_mac, bool fresh,
		 struct device_plan *out);
void device_plan_free(struct device_plan *p);

struct device;

/* The devices of conf, their aliases recorded in h. */
struct device *device_new(const struct tq_conf *conf, struct hosts *h);
void device_free(struct device *d);
void device_set_conf(struct device *d, const struct tq_conf *conf);

/**
 * device_poll() - once a poll covering periods periods (0: 1), over the
 * n rows and m, acct's view of them (same order, with this poll's
 * activity): an open portal row whose device has had no traffic for
 * portal.idle_timeout seconds (the periods of the polls since the last
 * one that saw its packets move, or the first that saw it open, add up
 * to that many seconds) gets m->idle (logged).  A row whose mac is no
 * MAC address is said once.
 */
void device_poll(struct device *d, const struct store_masq *rows,
		 struct acct_masq *m, size_t n, unsigned periods);

/**
 * device_sync() - after a pass's opens and closes (fw_apply,
 * fw_close_orphans): read the neighbour table (and, for a new address,
 * the LAN's) and carry out device_plan() on the firewall (fw), logging
 * each alias opened and closed.  With no device and no alias it reads
 * nothing.
 */
void device_sync(struct device *d, struct fw *fw, const struct store_snap *s,
		 bool fresh);

#endif
