/* top.h - tcpquota top: the live view of whom the daemon charges. */
#ifndef TQ_TOP_H
#define TQ_TOP_H

#include <stdbool.h>

#include "toolctx.h"

/**
 * top_run() - show the hosts and whom the daemon charged, on t's
 * connection.  On a terminal a live view until 'q', a signal or the end
 * of input; with once or json, or without a terminal, one frame after
 * watching for one poll.  0, or -1 with a message printed.
 */
int top_run(struct tool_ctx *t, bool json, bool once);

#endif
