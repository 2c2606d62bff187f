/* acct.h - the accounting core: one poll's decisions from plain structs.
 *
 * Pure: no I/O, no clock, no globals.  The loop gathers the inputs (config,
 * local time, database snapshot, scan totals, firewall state) and carries
 * out the decisions (firewall, database, messages).  Unit tests drive it
 * with hand-made inputs.
 */
#ifndef TQ_ACCT_H
#define TQ_ACCT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "conf.h"
#include "masq.h"

/* A user: tcptab joined with allowed (quota 0 if only in allowed).  The
 * balance every decision uses is quota - held. */
struct acct_user {
	const char *name;
	long long quota;
	long long held;		/* debits of polls not in quota yet (held
				 * while the database cannot take them) */
	bool allowed;
	bool in_tcptab;
};

/* One of this gateway's masq rows, plus what the caller knows of it. */
struct acct_masq {
	const char *host;	/* as stored; the core validates it */
	const char *name;
	int open;		/* as stored: any value */
	long long tic;
	int free;
	long long counter;
	bool in_firewall;	/* host is in the nft set now */
	uint32_t conns;		/* from the scan */
	uint64_t packets;	/* from the scan: packet total now */
	uint64_t prev_packets;	/* at the previous poll (0 if newly opened) */
	bool portal;		/* via = 'portal': no heartbeat while open */
	bool idle;		/* a portal row's device without traffic for
				 * portal.idle_timeout (device.c) */
};

/* A local user with ESTABLISHED sockets to outside. */
struct acct_local {
	unsigned uid;
	const char *name;	/* NULL if the uid has no passwd entry */
	uint32_t socks;
};

/* A uid now in the firewall's blocked set. */
struct acct_blocked {
	unsigned uid;
	const char *name;	/* NULL if unknown */
};

struct acct_in {
	const struct tq_conf *conf;
	struct tm now;		/* local time of this poll */
	unsigned periods;	/* periods since the last poll (0: 1) */
	bool link_up;
	const struct acct_user *users;
	size_t n_users;
	const struct acct_masq *masq;
	size_t n_masq;
	const struct acct_local *locals;
	size_t n_locals;
	const struct acct_blocked *blocked;
	size_t n_blocked;
};

/* What to do with one masq row (only rows that change are listed). */
struct acct_row {
	size_t idx;		/* index into acct_in.masq */
	bool fw_open;		/* add the host to the firewall (idempotent:
				 * an open request for a host already in
				 * the set asks for it again) */
	bool fw_close;		/* remove it, and its conntrack entries */
	bool del;		/* delete the row */
	bool set_open;		/* write open = open */
	int open;
	bool tic_dec;		/* tic = tic - 1 (relative, races openhost) */
	bool charged;		/* counter = counter + out.periods */
	bool cut;		/* dropped as its user is cut off */
	bool set_cnts;		/* cnts = conns */
	uint32_t cnts;
	bool addr_ok;		/* host text parsed */
	struct tq_addr addr;
	const char *why;	/* never NULL; for the log, one of: "open
				 * request", "close request", "refused: not
				 * allowed", "refused: no quota", "tic
				 * expired", "idle timeout", "outside free
				 * hours", "cut off: no quota", "cut off:
				 * not allowed", "bad host", "bad open
				 * code", "bad free code", "bad name",
				 * "repair" (firewall brought in
				 * line with open 1/0), "online" (charged),
				 * "heartbeat" (only tic_dec) */
};

struct acct_debit {
	const char *name;	/* points into the input: a row's or a
				 * local's name, or conf->free_users[0] */
	long long amount;	/* each * periods */
};

enum acct_cut_reason {
	ACCT_CUT_NOT_ALLOWED,
	ACCT_CUT_NO_QUOTA,
};

struct acct_cut {
	const char *name;
	bool has_uid;		/* uid known from the local scan */
	unsigned uid;
	enum acct_cut_reason reason;
	long long quota;	/* balance after this poll's debit (held
				 * debits taken off) */
};

struct acct_out {
	double rate;		/* tariff in force */
	unsigned periods;	/* periods charged: in.periods, 1 at least,
				 * heartbeat_tics at most */
	unsigned n_online;	/* users charged */
	long long each;		/* floor(period * rate / n) + 1, or 0: one
				 * period's charge */
	long long total;	/* each * n_online * periods: add to the
				 * period */
	struct acct_debit *debits;
	size_t n_debits;
	struct acct_row *rows;
	size_t n_rows;
	struct acct_cut *cuts;
	size_t n_cuts;
	unsigned *unblock;	/* uids to remove from the blocked set */
	size_t n_unblock;
	size_t n_bad_rows;	/* rows deleted as malformed */
};

/**
 * acct_poll() - compute one poll's decisions.
 *
 * Steps, as DESIGN.md "The poll": requests (2 -> open + ack 1, refused ->
 * delete; 3 -> close + ack 0; open rows missing from the firewall are
 * re-added), heartbeat (tic decrement, expiry closes and deletes), who is
 * online (if link_up), the charge, cut-offs, free hours.  Fills *out; free
 * it with acct_out_free().  Returns 0 (it cannot fail: memory aborts).
 *
 * Details the tests pin down:
 * - rows with a host that does not parse, an open code outside 0..3, a
 *   free code outside 0..2, or a paid row without a name are deleted
 *   (and closed if in the firewall) and counted in n_bad_rows;
 * - paid rows with open 1 or 0 lose one tic per poll and are deleted at
 *   tic <= 1, so with heartbeat_tics = N an unrefreshed row goes at the
 *   N-th poll; free and admin rows never expire by tic and are repaired
 *   (re-added) whatever their tic;
 * - a row counts online if it had open == 1 before this poll and its
 *   packet total moved, even if it is deleted in this poll;
 * - a user not allowed (and not a free user) is neither counted online
 *   nor debited, only cut off;
 * - a local user whose uid is blocked is not charged, and not cut again
 *   (the output chain stops its traffic; sockets may linger) unless
 *   kill_processes is set: then it is cut again so its processes die;
 * - with the link down nobody is charged, but requests, expiry, free
 *   hours and cut-offs of users not allowed or at/below min_quota still
 *   apply;
 * - billing is by elapsed periods: a poll that comes periods periods
 *   after the last one (its timer ran late: the loop was held up)
 *   charges what the missed polls would have, each * periods, and
 *   counts them in the rows' counters; at most heartbeat_tics periods
 *   (past a heartbeat nothing says the host was still there);
 * - every balance is quota - held: a user whose debits are held (the
 *   database away or locked) is refused, cut off and unblocked on what
 *   they will owe, so nobody overdraws by more than one poll;
 * - debits, cuts by name (strcmp); unblock by uid; rows by index.
 */
int acct_poll(const struct acct_in *in, struct acct_out *out);
void acct_out_free(struct acct_out *out);
/*
 * acct_keep_cuts() - keep of out only what holds without a fresh
 * snapshot (the database away): the cut-offs and their rows (closed, not
 * deleted: the rows cannot be written).  Nothing is opened, answered,
 * repaired or unblocked on rows that may be stale; the charges stay.
 */
void acct_keep_cuts(struct acct_out *out);
/* floor(period * rate / n) + 1 for n > 0, else 0. */
long long acct_charge(int period, double rate, unsigned n);
const char *acct_cut_reason_str(enum acct_cut_reason r);

#endif
