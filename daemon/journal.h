/* journal.h - the fsynced write-ahead journal of debits.
 *
 * Every poll's debits are appended (and fsynced) before the database
 * transaction; an entry is acknowledged once the database has it.  After a
 * crash or an outage the pending entries are replayed in order;
 * store_sql_apply() recognises one already applied by its (gateway, id),
 * so each is applied exactly once.  Masq operations are never journalled: they are state the
 * next poll recomputes.
 */
#ifndef TQ_JOURNAL_H
#define TQ_JOURNAL_H

#include <stddef.h>

#include "store.h"

struct journal;

/* Open or create the file; pending entries are loaded.  NULL on error
 * with a message in err (a corrupt tail is truncated and logged, not an
 * error). */
struct journal *journal_open(const char *path, char *err, size_t errlen);
void journal_close(struct journal *j);
/* Append p's id, when, total and debits; fsync.  0 / -1 (errno). */
int journal_append(struct journal *j, const struct store_poll *p);
/* Pending entries, oldest first (ops are empty).  Valid until the next
 * append/ack. */
size_t journal_pending(struct journal *j, const struct store_poll **out);
/* Mark the entry with this id applied; the file is compacted once nothing
 * is pending.  0 / -1. */
int journal_ack(struct journal *j, uint64_t id);
/**
 * journal_set_aside() - put a poll the database refuses for good out of
 * the way.
 * @gateway: written with it (the poll_applied key an admin needs)
 * @why:     the database's reason
 *
 * Appends p as text to the side file, the journal's path + ".rejected"
 * (created 0600), and fsyncs it; then drops p from the pending entries
 * if it is one of them (p may point into journal_pending()'s array).  An
 * administrator reads the file and applies the debits by hand.  Names
 * and reason are written with \ooo for control bytes, \" and \\.
 * 0, or -1 (errno) with nothing changed: p stays pending.
 */
int journal_set_aside(struct journal *j, const struct store_poll *p,
		      const char *gateway, const char *why);
/* The path it was opened with (owned by j). */
const char *journal_path(const struct journal *j);
/* Bytes of damaged records skipped or truncated by journal_open(). */
size_t journal_dropped(const struct journal *j);
/* Current size of the file in bytes (header included). */
size_t journal_file_size(const struct journal *j);

#endif
