/* portaldb.h - the portal's own queries, beside the tools' (tooldb.h).
 *
 * The portal writes masq rows with the tools' account exactly as
 * openhost does (request.h, tooldb.h); what is its own is here: the
 * rows of a device and what the pages show.  Every value is a bound
 * parameter.  -1 with db_error() on failure.
 */
#ifndef TQ_PORTALDB_H
#define TQ_PORTALDB_H

#include <stdbool.h>

#include "db.h"
#include "tooldb.h"

/* masq.via of the portal's rows. */
#define PDB_VIA "portal"

/* A masq row with the portal's columns. */
struct pdb_row {
	struct tooldb_masq m;
	char mac[18];		/* "" if NULL */
	char via[17];		/* "" if NULL */
};

/* The rows of the device: its address, or any row with its MAC (mac may
 * be NULL).  Up to max into rows, the row of host first.  Count or
 * -1. */
int pdb_device(struct db *db, const char *gw, const char *host,
	       const char *mac, struct pdb_row *rows, int max);

/* Users with an open host on gw that holds connections now (who shares
 * the cost), and whether name is one of them.  0 / -1. */
int pdb_online(struct db *db, const char *gw, const char *name, int *n,
	       bool *self);

/* Seconds debited to name on each of the last days days: secs[0] today,
 * secs[1] yesterday, ...  0 / -1. */
int pdb_days(struct db *db, const char *name, long long *secs, int days);

#endif
