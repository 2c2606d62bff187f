/* tqd.h - the daemon's life and the order of its poll.
 *
 * struct tqd owns the configuration in force and the rooms that do the
 * work (tqd.c's head comment lists them and the order of a poll): it
 * says when each runs and holds none of their logic.  It registers its
 * poll timer (and, through wake.c, the wake-up socket) with the event
 * loop it is given.
 */
#ifndef TQ_TQD_H
#define TQ_TQD_H

#include <stdbool.h>

#include "conf.h"
#include "loop.h"

struct tqd;

/**
 * tqd_new() - the daemon state for conf (ownership passes to the tqd).
 * @conf_path: file to read again on reload.
 * Does no I/O; NULL never.
 */
struct tqd *tqd_new(struct tq_conf *conf, const char *conf_path,
		    struct loop *loop);
/* Undo tqd_start() without touching firewall or database; free. */
void tqd_free(struct tqd *t);

/**
 * tqd_start() - enable conntrack accounting, connect to the database (a
 * failure is logged and retried every poll), open the journal, build the
 * nft table reconciled with the database, create the wake-up socket and
 * start the poll timer (first poll at once).  0, or -1 with a message in
 * err for a fatal start-up error (no firewall access, journal unusable).
 */
int tqd_start(struct tqd *t, char *err, size_t errlen);

/* One full poll (DESIGN.md "The poll"). */
void tqd_poll(struct tqd *t);
/* The same, periods periods after the last one (the poll timer's
 * expiries): a late poll bills the periods it covers (acct.h). */
void tqd_poll_late(struct tqd *t, unsigned periods);
/* Open/close requests only: no charging, no heartbeat. */
void tqd_requests(struct tqd *t);

/* Read the configuration file again; keep the old one on error (logged).
 * A new daemon.logfile is opened; the caller reopens the current one
 * first (log_reopen) on SIGHUP, whatever the outcome.  0 if the new
 * configuration is in force, -1 if not. */
int tqd_reload(struct tqd *t);
/* Clean exit: delete the nft table, empty this gateway's masq rows. */
void tqd_shutdown(struct tqd *t);

const struct tq_conf *tqd_conf(const struct tqd *t);

#endif
