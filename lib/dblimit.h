/* dblimit.h - what a refused connection means when the server or the
 * account is out of connections, and what to do about it.
 *
 * Every openhost session and every tool is a database connection, and
 * the server has max_connections of them (plus one for an account with
 * SUPER).  tcpquota-setup-db gives the tools' account a
 * MAX_USER_CONNECTIONS limit below it, so the tools cannot take the
 * daemon's; these messages say which limit a refusal hit.
 */
#ifndef TQ_DBLIMIT_H
#define TQ_DBLIMIT_H

#include "db.h"

/**
 * dblimit_advice() - for a connect refused with err (db_last_errno):
 * 1040 (the server's connections all taken), 1203 (the server's
 * max_user_connections for every account) or 1226 (the account's own
 * MAX_USER_CONNECTIONS), what it means and what to do, for a program
 * connecting as acct (the daemon keeps trying; a tool's user tries again
 * later).  NULL for any other error.  A static string.
 */
const char *dblimit_advice(unsigned err, enum db_account acct);

#endif
