/* ledger.h - the polls the database does not have yet: the journal's
 * pending entries, then the ones held in memory the journal could not
 * take; their replay, oldest first, and the set-aside of one the
 * database refuses for good. */
#ifndef TQ_LEDGER_H
#define TQ_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acct.h"
#include "conf.h"
#include "store.h"

struct ledger;

/* Open conf's journal (its directory created; "" or NULL: none).  NULL
 * with a message in err if it cannot be used (fatal at start). */
struct ledger *ledger_new(const struct tq_conf *conf, char *err,
			  size_t errlen);
/* Close the journal and drop what is held in memory (ledger_at_exit
 * first says what is lost). */
void ledger_free(struct ledger *l);
/* Reload: daemon.journal changed, the held polls move to the new one
 * (logged; the old one stays in use while the new cannot be had). */
void ledger_set_conf(struct ledger *l, const struct tq_conf *conf);

/* Polls held, in the journal and in memory. */
size_t ledger_count(struct ledger *l);
/* Polls held in memory only. */
size_t ledger_in_memory(const struct ledger *l);
/* A fresh poll id (random). */
uint64_t ledger_poll_id(void);
/* Each of the n users' held debits (the sum over the held polls, which
 * the database's balance does not include yet) into its held. */
void ledger_held_into(struct ledger *l, struct acct_user *u, size_t n);

/* Apply the held polls, oldest first, each once; stop at the first that
 * fails and is not set aside: nothing newer goes ahead of it. */
void ledger_replay(struct ledger *l, struct store *st);
/**
 * ledger_record() - write one poll: its debits and total, and its masq
 * ops when fresh (the snapshot read now; else they are left for the next
 * poll).  A charged poll goes to the journal first and is acknowledged
 * there once applied; behind held polls, or with the database away, it
 * is held (its ops still written if the database answers).  Takes p's
 * debits if it holds them (p->debits NULL then).
 */
void ledger_record(struct ledger *l, struct store *st, struct store_poll *p,
		   bool fresh);
/* At exit: polls held in memory go to the journal if it takes them now;
 * the rest are logged in full for an administrator. */
void ledger_at_exit(struct ledger *l);

#endif
