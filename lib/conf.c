/* conf.c - the configuration's struct: defaults, free, run-time queries.
 *
 * conf_defaults() gives every setting a value (no string is NULL);
 * loading (conf_load.c) overwrites only what the file sets; after that
 * the struct is read-only until conf_free() frees it whole.  The queries
 * here (the tariff in force, free access, free users, groups) and the day
 * and HH:MM parsers the tools share need no libconfig.
 *
 * A new setting: its field in conf.h, its default and its free here, its
 * key in conf_keys.c, its line in conf/tcpquota.conf and tcpquota.conf(5).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "util.h"

/* ---------------------------------------------------------------------
 * Defaults
 */

static char **strv(size_t *n, const char *first, ...)
{
	const char *s;
	char **v = NULL;
	size_t cap = 0;
	va_list ap;

	*n = 0;
	va_start(ap, first);
	for (s = first; s; s = va_arg(ap, const char *)) {
		xgrow(&v, &cap, *n + 1, sizeof(*v));
		v[(*n)++] = xstrdup(s);
	}
	va_end(ap);
	return v;
}

struct tq_conf *conf_defaults(void)
{
	struct tq_conf *c = xcalloc(1, sizeof(*c));
	struct tq_cidr net;

	c->path = xstrdup("(defaults)");

	c->period = 5;
	c->heartbeat_tics = 10;
	c->gateway = xstrdup("gw1");
	c->pidfile = xstrdup("/run/tcpquotad.pid");
	c->logfile = xstrdup("");	/* log_resolve(): journal or file */
	c->journal = xstrdup("/var/lib/tcpquota/journal");
	c->wakeup = xstrdup("/run/tcpquota/wakeup.sock");
	c->tools_group = xstrdup("tcpquota");

	c->db_socket = xstrdup("/run/mysqld/mysqld.sock");
	c->db_host = xstrdup("localhost");
	c->db_port = 3306;
	c->db_name = xstrdup("tcpquota");
	c->db_user = xstrdup("tcpquotad");
	c->db_password_file = xstrdup("/etc/tcpquota/db.secret");
	c->db_timeout = 5;
	c->db_tool_user = xstrdup("tcpquota_tool");
	c->db_tool_password_file = xstrdup("/etc/tcpquota/tool.secret");
	c->db_admin_user = xstrdup("tcpquota_admin");
	c->db_admin_password_file = xstrdup("/etc/tcpquota/admin.secret");

	c->lan = strv(&c->n_lan, "eth1", NULL);
	c->wan = strv(&c->n_wan, "eth0", NULL);
	c->local_networks = xcalloc(2, sizeof(*c->local_networks));
	if (cidr_parse("192.168.0.0/16", &net) == 0)
		c->local_networks[c->n_local_networks++] = net;
	if (cidr_parse("fd00::/8", &net) == 0)
		c->local_networks[c->n_local_networks++] = net;
	c->link = xstrdup("always");
	c->table = xstrdup("tcpquota");
	c->check_local = true;
	c->check_masq = true;
	c->conntrack_resync = 120;
	c->bind_mac = false;

	c->min_quota = 0;
	c->min_uid = 1000;
	c->free_users = strv(&c->n_free_users, "free", NULL);
	c->kill_processes = false;
	c->admin_group = xstrdup("tcpquota-admin");
	c->message_file = xstrdup("/etc/tcpquota/no-quota.txt");

	c->default_rate = 2;
	c->money_unit = xstrdup("SEK");
	c->money_per_minute = 0.1;
	c->tariffs = NULL;
	c->n_tariffs = 0;

	c->free_access.days = TQ_DAYS_ALL;
	c->free_access.from = 0;
	c->free_access.to = 0;
	c->free_access.rate = 0;

	c->groups = NULL;
	c->n_groups = 0;

	c->portal_listen = NULL;
	c->n_portal_listen = 0;
	c->portal_port = 0;
	c->portal_redirect_port = 80;
	c->portal_cert = xstrdup("");
	c->portal_key = xstrdup("");
	c->portal_url = xstrdup("");
	c->portal_user = xstrdup("tcpquota-portal");
	c->portal_logfile = xstrdup("syslog");
	c->portal_pam_service = xstrdup("tcpquota-portal");
	c->portal_warn_seconds = 300;
	c->portal_idle_timeout = 900;
	c->portal_session_timeout = 43200;
	c->portal_max_connections = 256;
	c->portal_per_address = 32;
	c->portal_login_rate = 5;
	c->portal_db_connections = 4;
	return c;
}

void conf_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void conf_free(struct tq_conf *c)
{
	size_t i;

	if (!c)
		return;
	free(c->path);
	free(c->gateway);
	free(c->pidfile);
	free(c->logfile);
	free(c->journal);
	free(c->wakeup);
	free(c->tools_group);
	free(c->db_socket);
	free(c->db_host);
	free(c->db_name);
	free(c->db_user);
	free(c->db_password_file);
	free(c->db_tool_user);
	free(c->db_tool_password_file);
	free(c->db_admin_user);
	free(c->db_admin_password_file);
	conf_strv_free(c->lan, c->n_lan);
	conf_strv_free(c->wan, c->n_wan);
	free(c->local_networks);
	free(c->link);
	free(c->table);
	conf_strv_free(c->free_users, c->n_free_users);
	free(c->admin_group);
	free(c->message_file);
	free(c->money_unit);
	free(c->tariffs);
	for (i = 0; i < c->n_groups; i++) {
		free(c->groups[i].name);
		conf_strv_free(c->groups[i].members, c->groups[i].n_members);
	}
	free(c->groups);
	conf_strv_free(c->portal_listen, c->n_portal_listen);
	free(c->portal_cert);
	free(c->portal_key);
	free(c->portal_url);
	free(c->portal_user);
	free(c->portal_logfile);
	free(c->portal_pam_service);
	free(c);
}

/* ---------------------------------------------------------------------
 * Days and times
 */

static const char *const day_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

static int day_index(const char *s, size_t len)
{
	int i;

	if (len != 3)
		return -1;
	for (i = 0; i < 7; i++)
		if (!strncasecmp(s, day_names[i], 3))
			return i;
	return -1;
}

int conf_parse_days(const char *s, unsigned *days)
{
	unsigned bits = 0;
	const char *p = s;

	if (!s)
		return -1;
	for (;;) {
		const char *tok, *dash, *end;
		size_t len;
		int a, b;

		while (conf_is_blank(*p))
			p++;
		tok = p;
		while (*p && *p != ',')
			p++;
		/* Counted down from p - tok, not end - tok: gcc 14 cannot
		 * prove end >= tok and warns on memchr's bound. */
		len = (size_t)(p - tok);
		while (len > 0 && conf_is_blank(tok[len - 1]))
			len--;
		end = tok + len;
		if (len == 0)
			return -1;
		if (len == 5 && !strncasecmp(tok, "daily", 5)) {
			bits |= TQ_DAYS_ALL;
		} else {
			dash = memchr(tok, '-', len);
			if (dash) {
				a = day_index(tok, (size_t)(dash - tok));
				b = day_index(dash + 1,
					      (size_t)(end - dash - 1));
			} else {
				a = b = day_index(tok, len);
			}
			if (a < 0 || b < 0)
				return -1;
			/* "fri-mon" wraps through the weekend. */
			for (;;) {
				bits |= 1u << a;
				if (a == b)
					break;
				a = (a + 1) % 7;
			}
		}
		if (!*p)
			break;
		p++;		/* the comma */
	}
	*days = bits;
	return 0;
}

int conf_parse_hhmm(const char *s, int *minutes)
{
	int h, m;

	if (!s || strlen(s) != 5 || s[2] != ':' ||
	    !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

bool conf_window_match(const struct tq_window *w, const struct tm *tm)
{
	int wday = tm->tm_wday % 7;
	unsigned today, yesterday;
	int m;

	if (wday < 0)
		wday += 7;
	today = TQ_DAY(wday);
	yesterday = TQ_DAY((wday + 6) % 7);
	m = tm->tm_hour * 60 + tm->tm_min;

	if (w->from == w->to)
		return w->days & today;
	if (w->from < w->to)
		return (w->days & today) && m >= w->from && m < w->to;
	/* Crosses midnight: the evening of a listed day, and the early
	 * morning of the day after one. */
	return ((w->days & today) && m >= w->from) ||
	       ((w->days & yesterday) && m < w->to);
}

double conf_rate_at(const struct tq_conf *c, const struct tm *tm)
{
	size_t i;

	for (i = 0; i < c->n_tariffs; i++)
		if (conf_window_match(&c->tariffs[i], tm))
			return c->tariffs[i].rate;
	return c->default_rate;
}

bool conf_free_access_at(const struct tq_conf *c, const struct tm *tm)
{
	return conf_window_match(&c->free_access, tm);
}

bool conf_is_free_user(const struct tq_conf *c, const char *name)
{
	size_t i;

	if (!name)
		return false;
	for (i = 0; i < c->n_free_users; i++)
		if (!strcmp(c->free_users[i], name))
			return true;
	return false;
}

const struct tq_group *conf_group(const struct tq_conf *c, const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < c->n_groups; i++)
		if (!strcmp(c->groups[i].name, name))
			return &c->groups[i];
	return NULL;
}
