/* gather.h - one poll's inputs for the accounting core: the connection
 * tracking table (read in full, or followed through its events between
 * full reads), the host sets' element counters, the local users' counters,
 * the blocked uids, whether the link is up; and the masq rows and users as
 * acct_poll takes them. */
#ifndef TQ_GATHER_H
#define TQ_GATHER_H

#include <stdbool.h>
#include <stddef.h>

#include "acct.h"
#include "conf.h"
#include "ct.h"
#include "fw.h"
#include "hosts.h"
#include "loop.h"
#include "nftb.h"
#include "store.h"

/* One poll's inputs as acct_in takes them (names point into the snapshot
 * or the arrays here). */
struct gather_in {
	struct acct_user *users;
	struct acct_masq *masq;
	struct acct_local *locals;
	char (*local_names)[DB_NAME_BYTES];
	struct acct_blocked *blocked;
	char (*blocked_names)[DB_NAME_BYTES];
	size_t n_masq, n_locals, n_blocked;
};

void gather_in_free(struct gather_in *in);

struct gather;

/* The scans for conf, counting into the hosts room's entries (h); opens
 * ctnetlink (its failure logged: /proc/net/nf_conntrack instead) and,
 * with network.conntrack_resync > 0, the event socket in loop. */
struct gather *gather_new(const struct tq_conf *conf, struct loop *loop,
			  struct hosts *h);
void gather_free(struct gather *g);
/* Reload: local networks and the event setting may have changed; the
 * next poll reads the table in full. */
void gather_set_conf(struct gather *g, const struct tq_conf *conf);
/* The ctnetlink handle (owned by g, NULL if none; *err: why). */
struct ct *gather_ct(const struct gather *g, int *err);
/* Turn on conntrack accounting (nf_conntrack_acct) if not yet on; said
 * once if it fails, and when it works at last. */
void gather_acct_enable(struct gather *g);

/* Whether network.link is up with an address (said when that changes). */
bool gather_link(struct gather *g);
/* The connection tracking table: drain the events and, when due, read
 * it in full. */
void gather_conntrack(struct gather *g);
/* With events, each open host's packets from the host sets' listing v
 * (sorted by address, fw_repair_sets). */
void gather_elements(struct gather *g, const struct nftb_host *v, size_t n);
/* The users on the gateway whose traffic moved since the last poll (their
 * allowed_uids counters, any protocol; with check_local) and the blocked
 * uids (fw's view) into in's locals and blocked; with kill_processes
 * also the blocked users still holding outside TCP sockets. */
void gather_local(struct gather *g, struct fw *fw, struct gather_in *in);
/* The snapshot's users into in->users. */
void gather_users(const struct store_snap *s, struct gather_in *in);
/* One masq row as acct takes it; scanned: with this poll's activity, its
 * host's and its aliases' (a device's other addresses: hosts.h). */
void gather_row(struct gather *g, const struct store_masq *r,
		struct acct_masq *m, bool scanned);
/* Remember each open host's packet total for the next poll. */
void gather_remember(struct gather *g, const struct gather_in *in);

#endif
