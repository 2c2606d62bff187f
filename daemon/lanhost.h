/* lanhost.h - one host, one row, LAN hosts only: what the daemon checks
 * in every snapshot of masq rows before anything acts on it.
 *
 * A host has many spellings ("198.18.1.10", "::ffff:198.18.1.10";
 * "2001:db8:1::10", "2001:DB8:1:0::10"); the firewall, the scan and the
 * charge know it by its address.  A second row for an address another
 * row holds would be charged for that row's traffic and, when cut or
 * expired, would close that row's host and delete its conntrack
 * entries.  So such a row, and a row naming what is no host of the LAN,
 * is deleted and left out of the snapshot: nothing else ever sees it.
 */
#ifndef TQ_LANHOST_H
#define TQ_LANHOST_H

#include <stddef.h>

#include "addr.h"
#include "conf.h"
#include "store.h"

/* Room for one reason (an "outside the LAN's networks (...)" lists the
 * networks). */
#define LANHOST_WHY 384

struct lanhost;

struct lanhost *lanhost_new(void);
void lanhost_free(struct lanhost *lh);

/**
 * lanhost_judge() - why each of the n rows is refused, "" where it is
 * not.  Pure.  Refused: a host addr_lan_check() refuses for lan; a host
 * another row holds (the alias; the reason names the address and the
 * holder).  Of the rows of one address the first in this order holds
 * it: open == 1 (the one the firewall acts for), the canonical spelling
 * (addr_canon), snapshot order.  Rows whose host does not parse or is
 * no host address at all are left to acct ("bad host", "not a LAN host
 * address").
 */
void lanhost_judge(const struct store_masq *rows, size_t n,
		   const struct tq_lan *lan, char (*why)[LANHOST_WHY]);

/**
 * lanhost_refuse() - lanhost_judge() against the LAN the kernel has now
 * (nbr_lan for conf's network.lan), then each refused row: logged
 * ("deleted masq row HOST of NAME (REASON)"), deleted (store_ack: only
 * if still as read) and removed from s.  No LAN address known: only the
 * gateway's own addresses and aliases are refused (said once).
 */
void lanhost_refuse(struct lanhost *lh, struct store *st,
		    const struct tq_conf *conf, struct store_snap *s);

#endif
