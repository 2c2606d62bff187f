/* toolctx.h - the process context of a tool: identity, privileges,
 * configuration and the database connection.
 *
 * The tools are installed setgid to a group (tcpquota) that may read the
 * database credentials files.  The rules, in the order main() applies
 * them:
 *   1. toolctx_start() first thing, toolctx_sanitize_env() before all
 *      else: when setgid and not root, the environment shrinks to a
 *      whitelist (TERM, LANG, LC_*) plus a fixed PATH.  TZ is dropped
 *      too, so times shown and free hours checked are the system's local
 *      time, as the daemon sees them.
 *   2. toolctx_init(): the user is the real uid's passwd entry, never
 *      $USER; the configuration is TQ_DEFAULT_CONF unless the caller may
 *      choose (not setgid, or root): --config, then $TQ_CONFIG.  A setgid
 *      run by anyone else refuses --config.
 *   3. toolctx_connect(): db_connect() reads the password file with the
 *      group's rights, then the group is dropped.
 */
#ifndef TQ_TOOLCTX_H
#define TQ_TOOLCTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "conf.h"
#include "db.h"
#include "tool.h"

#define TOOL_SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct tool_ctx {
	const char *prog;
	uid_t uid;		/* real uid: the user */
	gid_t gid;		/* real gid */
	gid_t sgid;		/* the setgid group (== gid if not setgid) */
	bool setgid;		/* running with a group the caller lacks */
	bool restricted;	/* setgid and not root */
	bool admin;		/* root or member of quota.admin_group */
	bool keep_saved;	/* keep the saved gid to reconnect */
	bool dropped;
	char user[DB_NAME_BYTES];
	gid_t pw_gid;
	char *conf_path;
	struct tq_conf *conf;
	struct db *db;
	enum db_account acct;
	int wake_fd;		/* connected to conf->wakeup, or -1 */
};

/* Whitelist the environment if the process is setgid/setuid and the real
 * uid is not 0.  Returns true if it did. */
bool toolctx_sanitize_env(void);

/* Exit status of a usage error, as tcpquotad's. */
#define TOOL_EXIT_USAGE 2

/* A tool's command line, as toolctx_start() checks it. */
struct tool_prog {
	const char *name;	/* "openhost": messages, --version */
	unsigned opts;		/* TOOL_OPT_* besides --config, --help,
				   --version */
	int min_args, max_args;	/* operands after the options */
	void (*usage)(FILE *f);
};

/**
 * toolctx_start() - what every tool does first: toolctx_sanitize_env(),
 * a line-buffered stdout (results and errors interleave in order, also
 * in a pipe), then its options into *o.  Exits 0 after --help or
 * --version, and TOOL_EXIT_USAGE with the usage on stderr after a bad
 * option, an unexpected argument or too few.  Returns the index of the
 * first operand.
 */
int toolctx_start(const struct tool_prog *p, int argc, char **argv,
		  struct tool_opts *o);

/**
 * toolctx_init() - identity, admin status and configuration.
 * @config: --config value or NULL.
 * Returns 0, or -1 with a message in err.
 */
int toolctx_init(struct tool_ctx *t, const char *prog, const char *config,
		 char *err, size_t errlen);
void toolctx_free(struct tool_ctx *t);

/* True if uid 0, or user (primary group pw_gid) is a member of group. */
bool toolctx_in_group(uid_t uid, const char *user, gid_t pw_gid,
		      const char *group);

/**
 * toolctx_connect() - connect with account acct, then drop the setgid
 * group.  With keep_saved (openhost's long sessions) only the effective
 * gid is dropped, so toolctx_reconnect() can read the password again;
 * otherwise the group is gone for good.  0 / -1 with a message.
 */
int toolctx_connect(struct tool_ctx *t, enum db_account acct,
		    bool keep_saved, char *err, size_t errlen);
/* Reconnect after a lost connection (regains the group briefly). */
int toolctx_reconnect(struct tool_ctx *t, char *err, size_t errlen);
/* Drop the setgid group now (setresgid to the real gid). */
void toolctx_drop(struct tool_ctx *t, bool keep_saved);

/* "12.34 SEK" for a balance of seconds, at the configured price. */
const char *toolctx_money(const struct tool_ctx *t, long long seconds,
			  char *buf, size_t len);
/* "PROG: LABEL: database error: ..." (or "PROG: database error: ..."
 * without a label) on stderr.  Returns -1. */
int toolctx_db_fail(const struct tool_ctx *t, const char *label);

/* Send one datagram to conf->wakeup so the daemon acts at once.  Failure
 * is not an error: the daemon polls anyway.  The socket may be writable
 * by the setgid group only (tcpquotad makes it 0660 root:tcpquota), so
 * toolctx_connect() connects it before the group is dropped; openhost
 * (keep_saved) regains the group briefly to reconnect after a daemon
 * restart. */
void toolctx_poke(struct tool_ctx *t);

/* Timeout for the daemon's acknowledgement, milliseconds:
 * max(3 * period, 5) seconds. */
int toolctx_ack_timeout_ms(const struct tq_conf *conf);

/* Sleep ms milliseconds (EINTR ends it early). */
void toolctx_sleep_ms(int ms);

/* Catch HUP, INT, TERM (without SA_RESTART, so blocking calls return
 * EINTR): the handler only records the signal.  SIGPIPE is ignored. */
void toolctx_catch_signals(void);
/* The last signal caught (0 if none). */
int toolctx_signalled(void);

#endif
