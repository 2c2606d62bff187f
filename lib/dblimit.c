/* dblimit.c - refusals for want of connections, explained (dblimit.h). */
#include <mysqld_error.h>

#include "dblimit.h"

const char *dblimit_advice(unsigned err, enum db_account acct)
{
	bool daemon = acct == DB_DAEMON;

	switch (err) {
	case ER_CON_COUNT_ERROR:
		return daemon ?
			"every connection the server allows (max_connections) "
			"is taken; the daemon keeps trying: raise "
			"max_connections, or limit the tools' account with "
			"tcpquota-setup-db --tool-connections" :
			"every connection the server allows is taken; try "
			"again in a minute, or ask an administrator to raise "
			"max_connections";
	case ER_TOO_MANY_USER_CONNECTIONS:
	case ER_USER_LIMIT_REACHED:
		return daemon ?
			"the daemon's account may hold no more connections "
			"(max_user_connections); the daemon keeps trying: "
			"lift the limit for database.user" :
			"the account's connections are all in use; try again "
			"in a minute, or ask an administrator to raise its "
			"limit with tcpquota-setup-db --tool-connections";
	}
	return NULL;
}
