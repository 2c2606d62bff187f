/* conf.h - the configuration file (libconfig), shared by daemon and tools.
 *
 * conf_load() parses a file into an immutable struct tq_conf with a default
 * for every setting.  Errors name the file, the line and the setting.  A
 * reload parses into a new struct; on failure the caller keeps the old one.
 *
 * Accepted: libconfig syntax without "@include" (one file, so the size limit
 * and the line numbers mean something).  Integers beyond 32 bits are read
 * as 64-bit ones (libconfig 1.5 alone would wrap them silently).  Unknown
 * settings and sections, wrong types and out-of-range values are errors;
 * an integer is accepted where a number is expected.
 *
 * Implemented by lib/conf.c and lib/conf_*.c; conf_int.h says which does
 * what.
 */
#ifndef TQ_CONF_H
#define TQ_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "addr.h"

#define TQ_DEFAULT_CONF TQ_SYSCONFDIR "/tcpquota/tcpquota.conf"

/* Day bits for struct tq_window.days: bit 0 = Monday ... bit 6 = Sunday. */
#define TQ_DAY(tm_wday) (1u << (((tm_wday) + 6) % 7))
#define TQ_DAYS_ALL 0x7fu

/* Limits on what conf_load() accepts; beyond them a file is rejected. */
#define TQ_CONF_MAX_BYTES (1 << 20)	/* file size */
#define TQ_CONF_MAX_LIST 1024		/* entries of any list or group */
#define TQ_CONF_MAX_STRING 4096		/* characters of any string */

/* A weekly time window.  from/to are minutes since midnight, 0..1440.
 * from == to means the whole day; to < from crosses midnight, and then the
 * part after midnight belongs to the day that follows a listed day. */
struct tq_window {
	unsigned days;
	int from;
	int to;
	double rate;		/* tariffs only */
};

struct tq_group {
	char *name;
	char **members;		/* addresses in canonical text form
				 * (addr_format()), or host names as written */
	size_t n_members;
};

struct tq_conf {
	char *path;		/* file it came from, or "(defaults)" */

	/* daemon */
	int period;		/* seconds, 1..3600, default 5 */
	int heartbeat_tics;	/* >= 1, default 10 */
	char *gateway;		/* default "gw1" */
	char *pidfile;
	char *logfile;		/* path, "syslog", "journal", "-"; ""
				   unset: log_resolve() */
	char *journal;
	char *wakeup;		/* UNIX socket the tools poke, "" = none */
	char *tools_group;	/* group the tools run setgid to */

	/* database */
	char *db_socket;	/* "" = use host/port */
	char *db_host;
	int db_port;
	char *db_name;
	char *db_user;
	char *db_password_file;	/* "" = no password */
	int db_timeout;		/* seconds, connect/read/write */
	char *db_tool_user;	/* account of openhost/openfw/tcpquota */
	char *db_tool_password_file;
	char *db_admin_user;	/* account of admin verbs */
	char *db_admin_password_file;

	/* network */
	char **lan;
	size_t n_lan;
	char **wan;
	size_t n_wan;
	struct tq_cidr *local_networks;
	size_t n_local_networks;
	char *link;		/* "always" or an interface name */
	char *table;		/* nft table name in family inet */
	bool check_local;
	bool check_masq;
	int conntrack_resync;	/* polls between full reads; 0 = every poll */
	bool bind_mac;

	/* quota */
	long long min_quota;
	unsigned min_uid;
	char **free_users;	/* [0] is the pseudo-user openfw rows pay with */
	size_t n_free_users;
	bool kill_processes;
	char *admin_group;
	char *message_file;

	/* rates */
	double default_rate;
	char *money_unit;
	double money_per_minute;
	struct tq_window *tariffs;
	size_t n_tariffs;

	/* free_access: when openfw rows may stay open */
	struct tq_window free_access;

	struct tq_group *groups;
	size_t n_groups;

	/* portal: tcpquota-portal, the web login (issue 16) */
	bool portal;		/* the file has a portal section: the daemon
				   redirects closed hosts' plain HTTP to it */
	char **portal_listen;	/* addresses; none = those of network.lan */
	size_t n_portal_listen;
	int portal_port;	/* 0 = 443 with a certificate, else 80 */
	int portal_redirect_port; /* HTTPS only: plain HTTP redirector, 0 =
				     none */
	char *portal_cert;	/* PEM files; both "" = plain HTTP */
	char *portal_key;
	char *portal_url;	/* user-portal-url; "" = from the address */
	char *portal_user;	/* the user it drops to */
	char *portal_logfile;	/* path, "syslog" or "-" */
	char *portal_pam_service;
	int portal_warn_seconds;	/* banner below this time left */
	int portal_idle_timeout;	/* close a device idle this long */
	int portal_session_timeout;	/* a login lasts at most this */
	int portal_max_connections;
	int portal_per_address;	/* connections from one address */
	int portal_login_rate;	/* failed logins a minute, per address and
				   per user */
	int portal_db_connections;	/* database connections (requests wait
					   for one) */
};

/* A struct with every default (never NULL). */
struct tq_conf *conf_defaults(void);
/**
 * conf_load() - parse and validate a configuration file.
 * @path:   file to read.
 * @err:    on failure receives e.g.
 *          "/etc/tcpquota/tcpquota.conf:12: daemon.period: 0 is out of
 *          range; use 1..3600", or "FILE: cannot read: REASON".
 *
 * Returns a new struct (free with conf_free()), or NULL on any error.
 */
struct tq_conf *conf_load(const char *path, char *err, size_t errlen);
/* The same from a string (tests, fuzzing); name is used in messages. */
struct tq_conf *conf_load_string(const char *text, const char *name,
				 char *err, size_t errlen);
void conf_free(struct tq_conf *c);

/**
 * conf_value() - the effective value of one setting, defaults included.
 * @key: "SECTION.NAME" of a section of plain settings, e.g. "database.name".
 *
 * Returns a new string (the caller frees it): a string setting as it is,
 * a number in decimal, a boolean "true" or "false", a list one entry a
 * line.  NULL with err set for an unknown key or a list of groups.
 */
char *conf_value(const struct tq_conf *c, const char *key, char *err,
		 size_t errlen);

/* Tariff in force at local time tm: first matching window, else default. */
double conf_rate_at(const struct tq_conf *c, const struct tm *tm);
/* True if tm lies in the window (days and hours, crossing midnight). */
bool conf_window_match(const struct tq_window *w, const struct tm *tm);
/* True if openfw rows may be open at tm. */
bool conf_free_access_at(const struct tq_conf *c, const struct tm *tm);
/* True if name is one of quota.free_users. */
bool conf_is_free_user(const struct tq_conf *c, const char *name);
/* The group named name, or NULL. */
const struct tq_group *conf_group(const struct tq_conf *c, const char *name);

/* Parsers used by conf and by the tools, exposed for tests.  0, or -1 with
 * the output untouched. */
/* "mon-fri", "sat,sun", "fri-mon" (wraps), "mon-wed,fri", "daily"; any
 * case, blanks allowed around commas. */
int conf_parse_days(const char *s, unsigned *days);
/* "HH:MM" exactly, 00:00..24:00, into minutes since midnight. */
int conf_parse_hhmm(const char *s, int *minutes);

#endif
