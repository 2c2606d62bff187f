/* tool.h - pure helpers shared by openhost, openfw and tcpquota.
 *
 * Nothing here touches the database, the environment or the process
 * credentials, so every function is unit-tested on its own
 * (tests/unit/test_tools.c).  The process context lives in toolctx.h, the
 * queries in tooldb.h.
 */
#ifndef TQ_TOOL_H
#define TQ_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "addr.h"

/* ---- numbers and money ---- */

/* Strict decimal integer with optional sign; no spaces, no junk, no
 * overflow.  0 / -1. */
int tool_parse_ll(const char *s, long long *out);
/**
 * tool_money() - "12.34 SEK" for a balance of seconds.
 * money = seconds / 60 * per_minute, rounded half away from zero to the
 * cent; never prints "-0.00".  An empty unit prints the number only.
 * Returns buf.
 */
const char *tool_money(long long seconds, double per_minute, const char *unit,
		       char *buf, size_t len);

/* ---- JSON ---- */

/* The tools build their JSON with jansson (as nft -j does) and print it
 * compact, keys in the order added. */

/* A JSON string for s, null for NULL.  jansson takes only valid UTF-8:
 * invalid bytes become U+FFFD, so any text from the database prints. */
json_t *tool_json_str(const char *s);
/* Print v and a newline; takes the reference. */
void tool_json_print(FILE *f, json_t *v);

/* An array printed as its rows arrive, one a line: "[\n  ROW,\n  ROW\n]\n",
 * or "[]\n" when empty. */
struct tool_json_rows {
	FILE *f;
	bool any;
};

void tool_json_rows_begin(struct tool_json_rows *r, FILE *f);
/* Print one row; takes the reference. */
void tool_json_rows_add(struct tool_json_rows *r, json_t *row);
void tool_json_rows_end(struct tool_json_rows *r);

/* ---- listings ---- */

/* The rows of logging or logging_openfw (tooldb_logs(): when, user,
 * action) printed as they arrive: a table under its header, or JSON. */
struct tool_log {
	bool json;
	struct tool_json_rows rows;
};

void tool_log_begin(struct tool_log *l, bool json);
/* One row (a db_row_cb; arg is the struct tool_log). */
int tool_log_row(void *arg, unsigned ncols, char **v);
void tool_log_end(struct tool_log *l);

/* ---- command scripts ---- */

struct tool_argv {
	char **v;		/* NULL-terminated */
	int n;
};

struct tool_script {
	struct tool_argv *cmds;
	size_t n;
	size_t cap;
};

/**
 * tool_split() - append the commands of text to *s.
 * Commands are separated by ';' or newlines; words by blanks; '...' and
 * "..." quote (no escapes inside '...'; \" and \\ inside "..."); '#' at
 * the start of a word comments out the rest of the line.  Empty commands
 * are dropped.  0, or -1 (unterminated quote) with a message in err.
 */
int tool_split(const char *text, struct tool_script *s, char *err,
	       size_t errlen);
void tool_script_free(struct tool_script *s);

/* ---- command lines ---- */

/* Options a program accepts (flags for tool_parse_opts). */
enum {
	TOOL_OPT_JSON = 1 << 0,
	TOOL_OPT_ONCE = 1 << 1,
	TOOL_OPT_USER = 1 << 2,
	TOOL_OPT_HOST = 1 << 3,
};

struct tool_opts {
	const char *config;	/* --config F */
	const char *user;	/* --user U */
	const char *host;	/* --host H */
	bool json;
	bool once;
	bool help;
	bool version;
};

/**
 * tool_parse_opts() - leading options, read with getopt_long(3) as
 * tcpquotad's: --config F (--config=F, -c F), --help/-h, --version/-V,
 * and those in allowed (long options may be abbreviated as far as they
 * stay unambiguous).  Stops at the first operand or after "--"; a lone
 * "-" is an operand.  Returns the index of the first operand, or -1 with
 * "unknown option ARG" or "option NAME needs a value" (an empty value is
 * none) in err.
 */
int tool_parse_opts(int argc, char **argv, unsigned allowed,
		    struct tool_opts *o, char *err, size_t errlen);

/* tcpquota verbs. */
enum tool_verb {
	TV_STATUS,
	TV_ALLOW,
	TV_DENY,
	TV_SET,
	TV_ADD,
	TV_LIST,
	TV_LOG,
	TV_PERIOD_NEW,
	TV_PERIOD_LIST,
	TV_HOSTS,
	TV_TOP,
};

struct tool_cmd {
	enum tool_verb verb;
	char **names;		/* points into the argv given */
	int n_names;
	long long seconds;	/* set, add */
	bool admin;		/* needs an administrator (status USER: only
				   if USER is not the caller, decided later) */
	bool change;		/* writes to the database */
	bool usage;		/* the parse failed on the verb's usage */
	char label[128];	/* "set bob": names the command in messages */
};

/**
 * tool_cmd_parse() - one tcpquota command (argv without options).
 * Returns 0, or -1 with "LABEL: reason" in err
 * (e.g. "set bob: not a number: 12x"); c->usage is set when the reason
 * is the verb's usage ("set bob: usage: set USER SECONDS").
 */
int tool_cmd_parse(int argc, char **argv, struct tool_cmd *c, char *err,
		   size_t errlen);

/* openfw verbs. */
enum tool_fw_verb {
	TF_TOGGLE,		/* arg: group or host, NULL = where I sit */
	TF_ADM,			/* arg: host, NULL = where I sit */
	TF_CLS,			/* arg: host */
	TF_LST,
	TF_LOG,			/* arg: user or NULL */
};

struct tool_fw_cmd {
	enum tool_fw_verb verb;
	const char *arg;
};

/* One openfw command (argv without options).  0, or -1 with the verb's
 * usage in err ("cls: usage: cls HOST"). */
int tool_fw_parse(int argc, char **argv, struct tool_fw_cmd *c, char *err,
		  size_t errlen);

#endif
