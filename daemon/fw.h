/* fw.h - carrying out the decisions on the firewall: hosts opened and
 * closed in the nft sets (and their conntrack entries ended), uids
 * blocked and unblocked, the table built, checked and rebuilt, the host
 * sets repaired.  Every change is recorded in the hosts room. */
#ifndef TQ_FW_H
#define TQ_FW_H

#include <stdbool.h>
#include <stddef.h>

#include "acct.h"
#include "conf.h"
#include "ct.h"
#include "hosts.h"
#include "loop.h"
#include "nftb.h"
#include "store.h"

struct fw;

/* The firewall of conf's table, recording in h; ct (owned by the caller,
 * NULL without ctnetlink, ct_errno why) ends closed hosts' connections.
 * NULL if nftables cannot be reached (errno). */
struct fw *fw_new(const struct tq_conf *conf, struct hosts *h,
		  struct ct *ct, int ct_errno);
void fw_free(struct fw *fw);
/* Reload: the old table goes if its name changed; the table is rebuilt
 * from the hosts room with conf's settings (logged on failure). */
void fw_set_conf(struct fw *fw, const struct tq_conf *conf);

/**
 * fw_create() - the table at start, with the hosts v (names[i] the user
 * of v[i]) open and, from snapshot s (NULL: none yet), the users on the
 * gateway who may use the link (fw_users).  A table a killed daemon left
 * hands on its blocked uids, and with network.bind_mac a host still in
 * it keeps its binding; the others are bound from the neighbour table.
 * 0, or -1 with a message in err.
 */
int fw_create(struct fw *fw, struct nftb_host *v, const char **names,
	      size_t n, const struct store_snap *s, char *err,
	      size_t errlen);
/**
 * fw_users() - with network.check_local, allowed_uids from snapshot s:
 * the uid (quota.min_uid and up, never 0) of every user in `allowed` and
 * of every free user with a passwd entry.  Anyone else on the gateway is
 * refused outside from their first packet.  Logs a change.
 */
void fw_users(struct fw *fw, const struct store_snap *s);
/* allowed_uids with their counters (*v: free it); -1 if unreadable
 * (logged). */
int fw_user_counters(struct fw *fw, struct nftb_uid **v, size_t *n);
/* Rebuild the table if it is missing or altered (logged once, with what
 * differed first). */
void fw_check_table(struct fw *fw);
/* Watch the nftables ruleset events in loop: a change to the table by
 * another process is reverted at once (fw_check_table, then the host
 * sets repaired), not at the next poll.  -1 if they cannot be had
 * (logged; the polls still check). */
int fw_watch(struct fw *fw, struct loop *loop);
/**
 * fw_repair_sets() - list the host sets and make them hold exactly the
 * hosts room: a missing element is put back, a foreign one removed with
 * its conntrack entries (logged).  The listing, sorted by address, goes
 * to *v, *n (free it); -1 if the sets cannot be read (logged).
 */
int fw_repair_sets(struct fw *fw, struct nftb_host **v, size_t *n);
/* The uids in the blocked set; the hosts room's if it cannot be read
 * (logged).  *uids: free it. */
void fw_blocked(struct fw *fw, unsigned **uids, size_t *n);

/**
 * fw_apply() - open every fw_open row and close every fw_close row of o
 * (rows of in), one nft batch each; a failed batch marks its rows in skip
 * so their answers are not written (the next poll decides again).
 * Logs each host opened, closed and row deleted.
 */
void fw_apply(struct fw *fw, const struct acct_masq *in,
	      const struct acct_out *o, bool *skip);
/* Close hosts in the firewall that no row of the snapshot names any more
 * (deleted or overwritten behind the daemon's back); aliases are their
 * device's (device.h). */
void fw_close_orphans(struct fw *fw, const struct store_snap *s);
/* Open v (n elements, each with its binding) as aliases of the row hosts
 * owners[i] for users names[i]: one batch, recorded once accepted.
 * 0, or -1 (logged). */
int fw_open_aliases(struct fw *fw, const struct nftb_host *v,
		    const struct tq_addr *owners, const char *const *names,
		    size_t n);
/* Close the n hosts at addrs, one batch, recorded, with their conntrack
 * entries (the caller logs each).  0, or -1 (logged). */
int fw_close_hosts(struct fw *fw, const struct tq_addr *addrs, size_t n);
/* Block / unblock local users' uids (logged). */
void fw_block(struct fw *fw, const unsigned *uids, size_t n);
void fw_unblock(struct fw *fw, const unsigned *uids, size_t n);
/* Clean exit: delete the table (logged). */
void fw_delete(struct fw *fw);

#endif
