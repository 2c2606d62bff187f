/* conf.c - the configuration file (libconfig), shared by daemon and tools.
 *
 * The file is read into memory (at most TQ_CONF_MAX_BYTES), parsed by
 * libconfig, then walked: every setting libconfig found must be one we know,
 * of the right type and in range, or the whole load fails with one message
 * "FILE:LINE: SETTING: what is wrong; what to do".  Walking what is there
 * (rather than looking up what we expect) is what catches typos.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libconfig.h>

#include "conf.h"
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
	c->logfile = xstrdup("/var/log/tcpquotad.log");
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
	return c;
}

static void strv_free(char **v, size_t n)
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
	strv_free(c->lan, c->n_lan);
	strv_free(c->wan, c->n_wan);
	free(c->local_networks);
	free(c->link);
	free(c->table);
	strv_free(c->free_users, c->n_free_users);
	free(c->admin_group);
	free(c->message_file);
	free(c->money_unit);
	free(c->tariffs);
	for (i = 0; i < c->n_groups; i++) {
		free(c->groups[i].name);
		strv_free(c->groups[i].members, c->groups[i].n_members);
	}
	free(c->groups);
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

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
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

		while (is_blank(*p))
			p++;
		tok = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > tok && is_blank(end[-1]))
			end--;
		len = (size_t)(end - tok);
		if (len == 0)
			return -1;
		if (len == 5 && !strncasecmp(tok, "daily", 5)) {
			bits |= TQ_DAYS_ALL;
		} else {
			dash = memchr(tok, '-', len);
			if (dash) {
				a = day_index(tok, (size_t)(dash - tok));
				b = day_index(dash + 1, (size_t)(end - dash - 1));
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

/* ---------------------------------------------------------------------
 * Validators for string values.  Each returns NULL if s is acceptable,
 * else the rest of the message after the quoted value: "what is wrong;
 * what to do".
 */

typedef const char *(*check_fn)(const char *s);

static bool all_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static const char *check_gateway(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 32 || !all_chars(s, "._-"))
		return "is not a gateway id; use 1..32 characters of "
		       "A-Z a-z 0-9 . _ -";
	return NULL;
}

static const char *check_path(const char *s)
{
	if (!*s)
		return "is empty; give a file name";
	if (has_control(s))
		return "contains control characters; give a plain file name";
	return NULL;
}

static const char *check_path_or_empty(const char *s)
{
	return *s ? check_path(s) : NULL;
}

static const char *check_logfile(const char *s)
{
	if (!*s)
		return "is empty; give a file name, \"syslog\" or \"-\" "
		       "for stderr";
	return check_path(s);
}

static const char *check_socket_or_empty(const char *s)
{
	struct sockaddr_un sun;

	if (!*s)
		return NULL;
	if (strlen(s) >= sizeof(sun.sun_path))
		return "is too long for a UNIX socket path; use at most 107 "
		       "characters";
	return check_path(s);
}

static bool is_hostname(const char *s)
{
	size_t n = strlen(s), label = 0;
	const char *p;

	if (n == 0 || n > 253)
		return false;
	for (p = s; *p; p++) {
		if (*p == '.') {
			/* empty label, or one ending in '-' */
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return false;
		if (*p == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && p[-1] != '-';
}

/* A member that looks numeric must parse as an address: "192.168.1.300"
 * is a typo, not a host name. */
static bool looks_numeric(const char *s)
{
	return strchr(s, ':') || strspn(s, "0123456789.") == strlen(s);
}

static const char *check_host(const char *s)
{
	struct tq_addr a;

	if (addr_parse(s, &a) == 0)
		return NULL;
	if (looks_numeric(s) || !is_hostname(s))
		return "is neither an address nor a host name; use e.g. "
		       "\"localhost\" or \"198.18.0.1\"";
	return NULL;
}

static const char *check_dbname(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64 || !all_chars(s, "_$"))
		return "is not a database name; use 1..64 characters of "
		       "A-Z a-z 0-9 _ $";
	return NULL;
}

static const char *check_dbuser(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 80 || !all_chars(s, "._-"))
		return "is not a database user name; use 1..80 characters of "
		       "A-Z a-z 0-9 . _ -";
	return NULL;
}

static const char *check_ifname(const char *s)
{
	size_t n = strlen(s);
	const char *p;

	/* The kernel's own rule (dev_valid_name). */
	if (n < 1 || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		goto bad;
	for (p = s; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) ||
		    (unsigned char)*p < 0x20 || *p == 0x7f)
			goto bad;
	return NULL;
bad:
	return "is not an interface name; use 1..15 characters without "
	       "'/', ':' or spaces, e.g. \"eth0\"";
}

static const char *check_link(const char *s)
{
	if (!strcmp(s, "always"))
		return NULL;
	if (check_ifname(s))
		return "is neither \"always\" nor an interface name; use "
		       "\"always\" or e.g. \"ppp0\"";
	return NULL;
}

static const char *check_table(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 32 || !all_chars(s, "_-"))
		return "is not a table name; use 1..32 characters of "
		       "A-Z a-z 0-9 _ -";
	return NULL;
}

static const char *check_username(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 32 || s[0] == '-' || !all_chars(s, "._-"))
		return "is not a user or group name; use 1..32 characters of "
		       "A-Z a-z 0-9 . _ - (not starting with -)";
	return NULL;
}

static const char *check_unit(const char *s)
{
	if (strlen(s) > 16 || has_control(s))
		return "is not a money unit; use at most 16 printable "
		       "characters, e.g. \"SEK\"";
	return NULL;
}

static const char *check_groupname(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64 || !all_chars(s, "_-"))
		return "is not a group name; use 1..64 characters of "
		       "A-Z a-z 0-9 _ -";
	return NULL;
}

/* ---------------------------------------------------------------------
 * The parser
 */

struct parser {
	const char *name;	/* file name for messages */
	char *err;
	size_t errlen;
	struct tq_conf *c;
};

__attribute__((format(printf, 4, 5)))
static int perr(struct parser *p, const config_setting_t *s,
		const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tq_err(p->err, p->errlen, "%s:%u: %s: %s", p->name,
		      s ? (unsigned)config_setting_source_line(s) : 0u, path,
		      msg);
}

/* Build a setting's path for messages ("rates.tariffs[1].rate"); a name
 * too long for the buffer is cut, which is harmless in a message. */
__attribute__((format(printf, 3, 4)))
static void spath(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Quote a value for a message: at most 40 characters, control characters
 * shown as '?', so a hostile file cannot forge log lines. */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t i = 0, max = len > 46 ? 40 : (len > 6 ? len - 6 : 0);

	if (!len)
		return buf;
	if (len < 6) {
		buf[0] = '\0';
		return buf;
	}
	buf[i++] = '"';
	for (; *s && i - 1 < max; s++)
		buf[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	if (*s) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i++] = '"';
	buf[i] = '\0';
	return buf;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a floating-point number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	}
	return "of an unknown type";
}

static int wrong_type(struct parser *p, const config_setting_t *s,
		      const char *path, const char *want)
{
	return perr(p, s, path, "is %s; use %s",
		    type_name(config_setting_type(s)), want);
}

static int get_int(struct parser *p, const config_setting_t *s,
		   const char *path, long long min, long long max,
		   long long *out)
{
	long long v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		break;
	default:
		return perr(p, s, path, "is %s; use an integer in %lld..%lld",
			    type_name(config_setting_type(s)), min, max);
	}
	if (v < min || v > max)
		return perr(p, s, path, "%lld is out of range; use %lld..%lld",
			    v, min, max);
	*out = v;
	return 0;
}

static int get_double(struct parser *p, const config_setting_t *s,
		      const char *path, double min, double max, double *out)
{
	double v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	default:
		return perr(p, s, path, "is %s; use a number in %.15g..%.15g",
			    type_name(config_setting_type(s)), min, max);
	}
	if (!(v >= min && v <= max))
		return perr(p, s, path, "%.15g is out of range; use "
			    "%.15g..%.15g",
			    v, min, max);
	*out = v;
	return 0;
}

static int get_bool(struct parser *p, const config_setting_t *s,
		    const char *path, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return wrong_type(p, s, path, "true or false");
	*out = config_setting_get_bool(s);
	return 0;
}

/* A string value, checked for length and by check (may be NULL). */
static int get_str(struct parser *p, const config_setting_t *s,
		   const char *path, check_fn check, const char **out)
{
	char q[64];
	const char *v, *why;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return wrong_type(p, s, path, "a string in double quotes");
	v = config_setting_get_string(s);
	if (!v)
		v = "";
	if (strlen(v) > TQ_CONF_MAX_STRING)
		return perr(p, s, path, "is longer than %d characters; "
			    "shorten it", TQ_CONF_MAX_STRING);
	if (check && (why = check(v)))
		return perr(p, s, path, "%s %s", quote(v, q, sizeof(q)), why);
	*out = v;
	return 0;
}

static void set_str(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

/* The elements of an array or list, checked for count. */
static int get_list(struct parser *p, const config_setting_t *s,
		    const char *path, int min, const char *what, int *n)
{
	int type = config_setting_type(s);

	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
		return perr(p, s, path, "is %s; use an array [ %s, ... ]",
			    type_name(type), what);
	*n = config_setting_length(s);
	if (*n > TQ_CONF_MAX_LIST)
		return perr(p, s, path, "has %d entries; use at most %d",
			    *n, TQ_CONF_MAX_LIST);
	if (*n < min)
		return perr(p, s, path, "is empty; list at least one %s",
			    what);
	return 0;
}

static int get_strlist(struct parser *p, const config_setting_t *s,
		       const char *path, int min, const char *what,
		       check_fn check, char ***out, size_t *nout)
{
	char epath[128];
	const char *v;
	char **list;
	int i, n;

	if (get_list(p, s, path, min, what, &n) < 0)
		return -1;
	list = xcalloc((size_t)n + 1, sizeof(*list));
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		spath(epath, sizeof(epath), "%s[%d]", path, i);
		if (get_str(p, e, epath, check, &v) < 0) {
			strv_free(list, (size_t)i);
			return -1;
		}
		list[i] = xstrdup(v);
	}
	strv_free(*out, *nout);
	*out = list;
	*nout = (size_t)n;
	return 0;
}

static int get_cidrlist(struct parser *p, const config_setting_t *s,
			const char *path, struct tq_cidr **out, size_t *nout)
{
	char epath[128], q[64];
	struct tq_cidr *nets;
	const char *v;
	int i, n;

	if (get_list(p, s, path, 0, "\"198.18.0.0/15\"", &n) < 0)
		return -1;
	nets = xcalloc((size_t)n + 1, sizeof(*nets));
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		spath(epath, sizeof(epath), "%s[%d]", path, i);
		if (get_str(p, e, epath, NULL, &v) < 0)
			goto err;
		if (cidr_parse(v, &nets[i]) < 0) {
			perr(p, e, epath, "%s is not a network; use "
			     "ADDRESS/PREFIX with the host bits zero, e.g. "
			     "\"192.168.0.0/16\" or \"fd00::/8\"",
			     quote(v, q, sizeof(q)));
			goto err;
		}
	}
	free(*out);
	*out = nets;
	*nout = (size_t)n;
	return 0;
err:
	free(nets);
	return -1;
}

static int get_days(struct parser *p, const config_setting_t *s,
		    const char *path, unsigned *out)
{
	const char *v;
	char q[64];

	if (get_str(p, s, path, NULL, &v) < 0)
		return -1;
	if (conf_parse_days(v, out) < 0)
		return perr(p, s, path, "%s is not a list of days; use e.g. "
			    "\"mon-fri\", \"sat,sun\", \"fri-mon\" or "
			    "\"daily\"", quote(v, q, sizeof(q)));
	return 0;
}

static int get_hhmm(struct parser *p, const config_setting_t *s,
		    const char *path, int *out)
{
	const char *v;
	char q[64];

	if (get_str(p, s, path, NULL, &v) < 0)
		return -1;
	if (conf_parse_hhmm(v, out) < 0)
		return perr(p, s, path, "%s is not a time; use \"HH:MM\" in "
			    "00:00..24:00, e.g. \"08:00\"",
			    quote(v, q, sizeof(q)));
	return 0;
}

/* ---------------------------------------------------------------------
 * Sections: a table of the simple settings, and hand-written parsers for
 * the structured ones.
 */

enum kind {
	K_INT,			/* int field */
	K_INT64,		/* long long field */
	K_UINT,			/* unsigned field */
	K_BOOL,
	K_DOUBLE,
	K_STR,			/* char * field */
	K_STRLIST,		/* char ** field + size_t count at off_n */
	K_CIDRLIST,		/* struct tq_cidr * + size_t count at off_n */
	K_SPECIAL,		/* handled by the section's own code */
};

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	size_t off_n;
	long long min, max;	/* K_INT*, K_UINT; list minimum count */
	double dmin, dmax;	/* K_DOUBLE */
	check_fn check;		/* K_STR, K_STRLIST */
	const char *what;	/* K_STRLIST: what an element is */
};

#define OFF(f) offsetof(struct tq_conf, f)
#define INT(n, f, lo, hi) { n, K_INT, OFF(f), 0, lo, hi, 0, 0, NULL, NULL }
#define STR(n, f, chk) { n, K_STR, OFF(f), 0, 0, 0, 0, 0, chk, NULL }
#define BOOL(n, f) { n, K_BOOL, OFF(f), 0, 0, 0, 0, 0, NULL, NULL }
#define STRLIST(n, f, min, chk, what) \
	{ n, K_STRLIST, OFF(f), OFF(n_##f), min, 0, 0, 0, chk, what }
#define SPECIAL(n) { n, K_SPECIAL, 0, 0, 0, 0, 0, 0, NULL, NULL }

static const struct key daemon_keys[] = {
	INT("period", period, 1, 3600),
	INT("heartbeat_tics", heartbeat_tics, 1, 1000000),
	STR("gateway", gateway, check_gateway),
	STR("pidfile", pidfile, check_path),
	STR("logfile", logfile, check_logfile),
	STR("journal", journal, check_path),
	STR("wakeup", wakeup, check_socket_or_empty),
	STR("tools_group", tools_group, check_username),
	{ .name = NULL }
};

static const struct key database_keys[] = {
	STR("socket", db_socket, check_socket_or_empty),
	STR("host", db_host, check_host),
	INT("port", db_port, 1, 65535),
	STR("name", db_name, check_dbname),
	STR("user", db_user, check_dbuser),
	STR("password_file", db_password_file, check_path_or_empty),
	INT("timeout", db_timeout, 1, 300),
	STR("tool_user", db_tool_user, check_dbuser),
	STR("tool_password_file", db_tool_password_file,
	    check_path_or_empty),
	STR("admin_user", db_admin_user, check_dbuser),
	STR("admin_password_file", db_admin_password_file,
	    check_path_or_empty),
	{ .name = NULL }
};

static const struct key network_keys[] = {
	STRLIST("lan", lan, 1, check_ifname, "interface, e.g. \"eth1\""),
	STRLIST("wan", wan, 1, check_ifname, "interface, e.g. \"eth0\""),
	{ "local_networks", K_CIDRLIST, OFF(local_networks),
	  OFF(n_local_networks), 0, 0, 0, 0, NULL, NULL },
	STR("link", link, check_link),
	STR("table", table, check_table),
	BOOL("check_local", check_local),
	BOOL("check_masq", check_masq),
	INT("conntrack_resync", conntrack_resync, 0, 1000000),
	BOOL("bind_mac", bind_mac),
	{ .name = NULL }
};

static const struct key quota_keys[] = {
	{ "min_quota", K_INT64, OFF(min_quota), 0, LLONG_MIN, LLONG_MAX,
	  0, 0, NULL, NULL },
	{ "min_uid", K_UINT, OFF(min_uid), 0, 0, 4294967294LL,
	  0, 0, NULL, NULL },
	STRLIST("free_users", free_users, 1, check_username,
		"user name, e.g. \"free\""),
	BOOL("kill_processes", kill_processes),
	STR("admin_group", admin_group, check_username),
	STR("message_file", message_file, check_path_or_empty),
	{ .name = NULL }
};

static const struct key rates_keys[] = {
	{ "default", K_DOUBLE, OFF(default_rate), 0, 0, 0, 0, 1000,
	  NULL, NULL },
	STR("money_unit", money_unit, check_unit),
	{ "money_per_minute", K_DOUBLE, OFF(money_per_minute), 0, 0, 0,
	  0, 1000000, NULL, NULL },
	SPECIAL("tariffs"),
	{ .name = NULL }
};

static const struct key window_keys[] = {
	SPECIAL("days"),
	SPECIAL("from"),
	SPECIAL("to"),
	{ .name = NULL }
};

static const struct key tariff_keys[] = {
	SPECIAL("days"),
	SPECIAL("from"),
	SPECIAL("to"),
	SPECIAL("rate"),
	{ .name = NULL }
};

static const struct key *find_key(const struct key *keys, const char *name)
{
	for (; keys->name; keys++)
		if (!strcmp(keys->name, name))
			return keys;
	return NULL;
}

static int unknown_key(struct parser *p, const config_setting_t *s,
		       const char *path, const struct key *keys)
{
	char known[512];
	size_t len = 0;

	known[0] = '\0';
	for (; keys->name; keys++)
		len += (size_t)snprintf(known + len, sizeof(known) - len,
					"%s%s", len ? ", " : "", keys->name);
	return perr(p, s, path, "unknown setting; check the spelling "
		    "(known here: %s)", known);
}

/* The group s must be a group; each child a known key. */
static int check_group(struct parser *p, const config_setting_t *s,
		       const char *path)
{
	if (!config_setting_is_group(s))
		return wrong_type(p, s, path, "a group { ... }");
	if (config_setting_length(s) > TQ_CONF_MAX_LIST)
		return perr(p, s, path, "has %d settings; use at most %d",
			    config_setting_length(s), TQ_CONF_MAX_LIST);
	return 0;
}

static int apply_key(struct parser *p, const struct key *k,
		     const config_setting_t *s, const char *path)
{
	char *base = (char *)p->c;
	long long ll;
	double d;
	bool b = false;
	const char *v;

	switch (k->kind) {
	case K_INT:
		if (get_int(p, s, path, k->min, k->max, &ll) < 0)
			return -1;
		*(int *)(base + k->off) = (int)ll;
		return 0;
	case K_INT64:
		if (get_int(p, s, path, k->min, k->max, &ll) < 0)
			return -1;
		*(long long *)(base + k->off) = ll;
		return 0;
	case K_UINT:
		if (get_int(p, s, path, k->min, k->max, &ll) < 0)
			return -1;
		*(unsigned *)(base + k->off) = (unsigned)ll;
		return 0;
	case K_BOOL:
		if (get_bool(p, s, path, &b) < 0)
			return -1;
		*(bool *)(base + k->off) = b;
		return 0;
	case K_DOUBLE:
		if (get_double(p, s, path, k->dmin, k->dmax, &d) < 0)
			return -1;
		*(double *)(base + k->off) = d;
		return 0;
	case K_STR:
		if (get_str(p, s, path, k->check, &v) < 0)
			return -1;
		set_str((char **)(base + k->off), v);
		return 0;
	case K_STRLIST:
		return get_strlist(p, s, path, (int)k->min, k->what, k->check,
				   (char ***)(base + k->off),
				   (size_t *)(base + k->off_n));
	case K_CIDRLIST:
		return get_cidrlist(p, s, path,
				    (struct tq_cidr **)(base + k->off),
				    (size_t *)(base + k->off_n));
	case K_SPECIAL:
		break;
	}
	return perr(p, s, path, "internal error: no parser");
}

/* A simple section: every child is in keys and not K_SPECIAL. */
static int parse_section(struct parser *p, const config_setting_t *sec,
			 const char *secname, const struct key *keys,
			 int (*special)(struct parser *,
					const config_setting_t *,
					const char *))
{
	char path[128];
	int i, n;

	if (check_group(p, sec, secname) < 0)
		return -1;
	n = config_setting_length(sec);
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(sec, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct key *k;

		spath(path, sizeof(path), "%s.%s", secname,
			 name ? name : "?");
		k = name ? find_key(keys, name) : NULL;
		if (!k)
			return unknown_key(p, s, path, keys);
		if (k->kind == K_SPECIAL) {
			if (special(p, s, path) < 0)
				return -1;
		} else if (apply_key(p, k, s, path) < 0) {
			return -1;
		}
	}
	return 0;
}

/* days/from/to of a window group; from and to come together. */
static int parse_window(struct parser *p, const config_setting_t *g,
			const char *path, const struct key *keys,
			struct tq_window *w, bool need_rate)
{
	const config_setting_t *from = NULL, *to = NULL, *rate = NULL;
	char kpath[160];
	int i, n;

	if (check_group(p, g, path) < 0)
		return -1;
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);

		spath(kpath, sizeof(kpath), "%s.%s", path,
			 name ? name : "?");
		if (!name || !find_key(keys, name))
			return unknown_key(p, s, kpath, keys);
		if (!strcmp(name, "days")) {
			if (get_days(p, s, kpath, &w->days) < 0)
				return -1;
		} else if (!strcmp(name, "from")) {
			if (get_hhmm(p, s, kpath, &w->from) < 0)
				return -1;
			from = s;
		} else if (!strcmp(name, "to")) {
			if (get_hhmm(p, s, kpath, &w->to) < 0)
				return -1;
			to = s;
		} else if (!strcmp(name, "rate")) {
			if (get_double(p, s, kpath, 0, 1000, &w->rate) < 0)
				return -1;
			rate = s;
		}
	}
	if (from && !to)
		return perr(p, from, path, "\"from\" without \"to\"; give "
			    "both, or neither for the whole day");
	if (to && !from)
		return perr(p, to, path, "\"to\" without \"from\"; give "
			    "both, or neither for the whole day");
	if (need_rate && !rate)
		return perr(p, g, path, "no rate; add e.g. rate = 4;");
	return 0;
}

static int parse_tariffs(struct parser *p, const config_setting_t *s,
			 const char *path)
{
	struct tq_window *t;
	char epath[160];
	int i, n, type = config_setting_type(s);

	/* An empty "[ ]" is an array; a non-empty one cannot hold groups. */
	if (type != CONFIG_TYPE_LIST &&
	    !(type == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0))
		return wrong_type(p, s, path, "a list ( { days = \"mon-fri\"; "
				  "from = \"08:00\"; to = \"18:00\"; "
				  "rate = 4; }, ... )");
	n = config_setting_length(s);
	if (n > TQ_CONF_MAX_LIST)
		return perr(p, s, path, "has %d entries; use at most %d",
			    n, TQ_CONF_MAX_LIST);
	t = xcalloc((size_t)n + 1, sizeof(*t));
	for (i = 0; i < n; i++) {
		spath(epath, sizeof(epath), "%s[%d]", path, i);
		t[i].days = TQ_DAYS_ALL;
		if (parse_window(p, config_setting_get_elem(s, (unsigned)i),
				 epath, tariff_keys, &t[i], true) < 0) {
			free(t);
			return -1;
		}
	}
	free(p->c->tariffs);
	p->c->tariffs = t;
	p->c->n_tariffs = (size_t)n;
	return 0;
}

static int rates_special(struct parser *p, const config_setting_t *s,
			 const char *path)
{
	return parse_tariffs(p, s, path);
}

static int parse_groups(struct parser *p, const config_setting_t *sec)
{
	char path[160], epath[192], q[64];
	struct tq_conf *c = p->c;
	int i, j, n;

	if (check_group(p, sec, "groups") < 0)
		return -1;
	n = config_setting_length(sec);
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(sec, (unsigned)i);
		const char *name = config_setting_name(s);
		struct tq_group *g;
		const char *why;
		int m;

		if (!name)
			name = "";
		spath(path, sizeof(path), "groups.%s", name);
		if ((why = check_groupname(name)))
			return perr(p, s, path, "%s %s",
				    quote(name, q, sizeof(q)), why);
		if (get_list(p, s, path, 0, "\"192.168.1.10\"", &m) < 0)
			return -1;
		c->groups = xrealloc(c->groups,
				     (c->n_groups + 1) * sizeof(*c->groups));
		g = &c->groups[c->n_groups++];
		g->name = xstrdup(name);
		g->members = xcalloc((size_t)m + 1, sizeof(*g->members));
		g->n_members = 0;
		for (j = 0; j < m; j++) {
			config_setting_t *e =
				config_setting_get_elem(s, (unsigned)j);
			struct tq_addr a;
			char buf[TQ_ADDRSTRLEN];
			const char *v;

			spath(epath, sizeof(epath), "%s[%d]", path, j);
			if (get_str(p, e, epath, NULL, &v) < 0)
				return -1;
			if (addr_parse(v, &a) == 0) {
				/* canonical text, as the tools compare it
				 * with masq.host */
				v = addr_format(&a, buf, sizeof(buf));
			} else if (looks_numeric(v) || !is_hostname(v)) {
				return perr(p, e, epath, "%s is neither an "
					    "address nor a host name; use e.g. "
					    "\"192.168.1.10\", \"2001:db8::10\" "
					    "or \"pc10.lan\"",
					    quote(v, q, sizeof(q)));
			}
			g->members[g->n_members++] = xstrdup(v);
		}
	}
	return 0;
}

static int no_special(struct parser *p, const config_setting_t *s,
		      const char *path)
{
	return perr(p, s, path, "internal error: no parser");
}

static int parse_root(struct parser *p, const config_setting_t *root)
{
	static const char *const sections =
		"daemon, database, network, quota, rates, free_access, groups";
	int i, n = config_setting_length(root);

	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);
		int rc;

		if (!name)
			name = "?";
		if (!strcmp(name, "daemon"))
			rc = parse_section(p, s, name, daemon_keys, no_special);
		else if (!strcmp(name, "database"))
			rc = parse_section(p, s, name, database_keys,
					   no_special);
		else if (!strcmp(name, "network"))
			rc = parse_section(p, s, name, network_keys,
					   no_special);
		else if (!strcmp(name, "quota"))
			rc = parse_section(p, s, name, quota_keys, no_special);
		else if (!strcmp(name, "rates"))
			rc = parse_section(p, s, name, rates_keys,
					   rates_special);
		else if (!strcmp(name, "free_access"))
			rc = parse_window(p, s, name, window_keys,
					  &p->c->free_access, false);
		else if (!strcmp(name, "groups"))
			rc = parse_groups(p, s);
		else
			rc = perr(p, s, name, "unknown section; check the "
				  "spelling (sections: %s)", sections);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* libconfig would read "@include" files behind our back, past the size
 * limit and with line numbers of another file.  One file is enough. */
static int find_include(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int line = 1;

	while (p < end) {
		const char *q = p;

		while (q < end && is_blank(*q))
			q++;
		if ((size_t)(end - q) >= 8 && !memcmp(q, "@include", 8))
			return line;
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			break;
		p++;
		line++;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * A pre-scan that works around libconfig 1.5, which the parse would
 * otherwise trust:
 *  - an integer without an "L" suffix is read into an int and silently
 *    wraps ("min_quota = 5000000000;" became 705032704), so every integer
 *    literal that does not fit in 32 bits gets its "L", and one that does
 *    not fit in 64 bits is rejected;
 *  - a syntax error whose offending token is a string leaks the string
 *    (the grammar has no %destructor), so a string where none may stand
 *    is reported here, as is a string never closed;
 *  - nesting is bounded (libconfig recurses over it).
 * It knows just enough of libconfig's syntax to tell literals from
 * strings, comments and names, and which tokens may precede a string.
 * Returns a new buffer (the caller frees it) or NULL.
 */
#define TQ_CONF_MAX_DEPTH 32

enum prev_tok {
	T_START,		/* nothing yet */
	T_EQUALS,		/* '=' or ':' */
	T_STRING,
	T_OPEN,			/* '[', '(' or '{' */
	T_COMMA,
	T_OTHER,		/* a name, a scalar, a closing bracket, ';' */
};

struct prescan {
	const char *name;
	char *err;
	size_t errlen;
	const char *p, *end;
	char *out;
	size_t o;
	int line;
	char stack[TQ_CONF_MAX_DEPTH];	/* the open brackets */
	int depth;
	enum prev_tok prev;
	/* Enough of the setting's path to name it in a message: the last
	 * name read, and per open bracket its name ("rates") or its index
	 * in the enclosing list ("[1]"), and its element count so far. */
	char setting[48];
	char label[TQ_CONF_MAX_DEPTH][52];
	int idx[TQ_CONF_MAX_DEPTH];
};

/* The path of the value about to be read ("quota.min_quota",
 * "network.local_networks[1]"), as conf's own messages name settings. */
static void ps_path(const struct prescan *ps, char *buf, size_t len)
{
	size_t o = 0;
	int i;
	char top = ps->depth ? ps->stack[ps->depth - 1] : '{';

	buf[0] = '\0';
	for (i = 0; i < ps->depth && o < len; i++) {
		const char *l = ps->label[i];

		if (!*l)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
				      o && *l != '[' ? "." : "", l);
	}
	if (o >= len)
		return;
	if (ps->prev == T_EQUALS)
		snprintf(buf + o, len - o, "%s%s", o ? "." : "", ps->setting);
	else if (top == '[' || top == '(')
		snprintf(buf + o, len - o, "[%d]", ps->idx[ps->depth - 1]);
}

static int ps_err(struct prescan *ps, int line, const char *msg)
{
	return tq_err(ps->err, ps->errlen, "%s:%d: %s", ps->name, line, msg);
}

static void ps_copy(struct prescan *ps, const char *from)
{
	memcpy(ps->out + ps->o, from, (size_t)(ps->p - from));
	ps->o += (size_t)(ps->p - from);
}

/* Where a string may stand: a value after '=', the next piece of a
 * concatenation, an element of an array or a list. */
static bool string_allowed(const struct prescan *ps)
{
	char top = ps->depth ? ps->stack[ps->depth - 1] : '{';

	switch (ps->prev) {
	case T_EQUALS:
	case T_STRING:
		return true;
	case T_OPEN:
	case T_COMMA:
		return top == '[' || top == '(';
	default:
		return false;
	}
}

static bool digits_exceed(const char *d, size_t n, const char *max)
{
	size_t mlen = strlen(max);

	while (n > 1 && *d == '0') {
		d++;
		n--;
	}
	if (n != mlen)
		return n > mlen;
	return memcmp(d, max, n) > 0;
}

static int ps_string(struct prescan *ps)
{
	const char *from = ps->p;
	int open_line = ps->line;

	if (!string_allowed(ps))
		return ps_err(ps, open_line, "syntax error; check the quotes, "
			      "'=', ';' and brackets on or before this line");
	ps->p++;
	while (ps->p < ps->end && *ps->p != '"') {
		if (*ps->p == '\\' && ps->p + 1 < ps->end)
			ps->p++;
		if (*ps->p == '\n')
			ps->line++;
		ps->p++;
	}
	if (ps->p == ps->end)
		return ps_err(ps, open_line, "string never closed; add the "
			      "missing '\"'");
	ps->p++;
	ps_copy(ps, from);
	ps->prev = T_STRING;
	return 0;
}

static int ps_number(struct prescan *ps)
{
	const char *from = ps->p, *d;
	bool hex = false, neg = false;
	enum prev_tok prev = ps->prev;
	char path[256];
	size_t n;

	if (*ps->p == '-' || *ps->p == '+')
		neg = *ps->p++ == '-';
	if (*ps->p == '0' && ps->p + 1 < ps->end &&
	    (ps->p[1] == 'x' || ps->p[1] == 'X')) {
		hex = true;
		ps->p += 2;
	}
	d = ps->p;
	while (ps->p < ps->end && (hex ? isxdigit((unsigned char)*ps->p) :
				   isdigit((unsigned char)*ps->p)))
		ps->p++;
	n = (size_t)(ps->p - d);
	ps->prev = T_OTHER;
	if (!hex && ps->p < ps->end &&
	    (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E')) {
		/* a float: copied as it is */
		while (ps->p < ps->end && (isdigit((unsigned char)*ps->p) ||
					   strchr(".eE+-", *ps->p)))
			ps->p++;
		ps_copy(ps, from);
		return 0;
	}
	if (hex ? digits_exceed(d, n, "7fffffffffffffff") :
	    digits_exceed(d, n, neg ? "9223372036854775808" :
			  "9223372036854775807")) {
		ps->prev = prev;	/* what the value followed */
		ps_path(ps, path, sizeof(path));
		return tq_err(ps->err, ps->errlen, "%s:%d: %s%sinteger %.*s "
			      "is too large; use -9223372036854775808.."
			      "9223372036854775807", ps->name, ps->line,
			      path, *path ? ": " : "",
			      (int)((ps->p - from) > 40 ? 40 : ps->p - from),
			      from);
	}
	ps_copy(ps, from);
	if ((ps->p == ps->end || *ps->p != 'L') &&
	    digits_exceed(d, n, hex ? "7fffffff" : "2147483647"))
		ps->out[ps->o++] = 'L';
	return 0;
}

static void ps_comment(struct prescan *ps)
{
	const char *from = ps->p;

	if (*ps->p == '/' && ps->p[1] == '*') {
		ps->p += 2;
		while (ps->p < ps->end &&
		       !(*ps->p == '*' && ps->p + 1 < ps->end &&
			 ps->p[1] == '/')) {
			if (*ps->p == '\n')
				ps->line++;
			ps->p++;
		}
		ps->p = ps->p < ps->end ? ps->p + 2 : ps->end;
	} else {
		while (ps->p < ps->end && *ps->p != '\n')
			ps->p++;
	}
	ps_copy(ps, from);
}

static char *prescan(const char *text, size_t len, const char *name,
		     char *err, size_t errlen)
{
	struct prescan ps = {
		.name = name, .err = err, .errlen = errlen,
		.p = text, .end = text + len, .line = 1, .prev = T_START,
	};

	/* Each "L" follows a literal of at least 10 characters. */
	ps.out = xmalloc(len + len / 10 + 2);
	while (ps.p < ps.end) {
		const char *from = ps.p;
		char ch = *ps.p;

		if (ch == '\n') {
			ps.line++;
			ps.out[ps.o++] = *ps.p++;
		} else if (isspace((unsigned char)ch)) {
			ps.out[ps.o++] = *ps.p++;
		} else if (ch == '"') {
			if (ps_string(&ps) < 0)
				goto err;
		} else if (ch == '#' || (ch == '/' && ps.p + 1 < ps.end &&
					 (ps.p[1] == '/' || ps.p[1] == '*'))) {
			ps_comment(&ps);
		} else if (isalpha((unsigned char)ch) || ch == '*') {
			while (ps.p < ps.end &&
			       (isalnum((unsigned char)*ps.p) || *ps.p == '*' ||
				*ps.p == '_' || *ps.p == '-'))
				ps.p++;
			ps_copy(&ps, from);
			snprintf(ps.setting, sizeof(ps.setting), "%.*s",
				 (int)(ps.p - from), from);
			ps.prev = T_OTHER;
		} else if (isdigit((unsigned char)ch) ||
			   ((ch == '-' || ch == '+') && ps.p + 1 < ps.end &&
			    isdigit((unsigned char)ps.p[1]))) {
			if (ps_number(&ps) < 0)
				goto err;
		} else {
			if (ch == '[' || ch == '(' || ch == '{') {
				if (ps.depth == TQ_CONF_MAX_DEPTH) {
					ps_err(&ps, ps.line, "nested too "
					       "deeply; use at most 32 levels "
					       "of brackets");
					goto err;
				}
				if (ps.prev == T_EQUALS)
					snprintf(ps.label[ps.depth],
						 sizeof(ps.label[0]), "%s",
						 ps.setting);
				else if (ps.depth &&
					 ps.stack[ps.depth - 1] != '{')
					snprintf(ps.label[ps.depth],
						 sizeof(ps.label[0]), "[%d]",
						 ps.idx[ps.depth - 1]);
				else
					ps.label[ps.depth][0] = '\0';
				ps.idx[ps.depth] = 0;
				ps.stack[ps.depth++] = ch;
				ps.prev = T_OPEN;
			} else if (ch == ']' || ch == ')' || ch == '}') {
				if (ps.depth)
					ps.depth--;
				ps.prev = T_OTHER;
			} else if (ch == '=' || ch == ':') {
				ps.prev = T_EQUALS;
			} else if (ch == ',') {
				if (ps.depth)
					ps.idx[ps.depth - 1]++;
				ps.prev = T_COMMA;
			} else {
				ps.prev = T_OTHER;
			}
			ps.out[ps.o++] = *ps.p++;
		}
	}
	ps.out[ps.o] = '\0';
	return ps.out;
err:
	free(ps.out);
	return NULL;
}

static void syntax_error(const config_t *cfg, const char *name, char *err,
			 size_t errlen)
{
	const char *text = config_error_text(cfg);
	int line = config_error_line(cfg);

	if (!text || !strcmp(text, "syntax error"))
		tq_err(err, errlen, "%s:%d: syntax error; check the quotes, "
		       "'=', ';' and brackets on or before this line",
		       name, line);
	else if (!strcmp(text, "duplicate setting name"))
		tq_err(err, errlen, "%s:%d: duplicate setting; give each "
		       "setting once", name, line);
	else
		tq_err(err, errlen, "%s:%d: syntax error (%s); check the "
		       "quotes, '=', ';' and brackets on or before this line",
		       name, line, text);
}

static struct tq_conf *load_buf(const char *text, size_t len,
				const char *name, char *err, size_t errlen)
{
	struct parser p = { name, err, errlen, NULL };
	const char *nul;
	config_t cfg;
	char *wide;
	int line;

	if (len > TQ_CONF_MAX_BYTES) {
		tq_err(err, errlen, "%s: larger than %d bytes; this is not a "
		       "tcpquota configuration file", name, TQ_CONF_MAX_BYTES);
		return NULL;
	}
	if ((nul = memchr(text, '\0', len))) {
		for (line = 1; text < nul; text++)
			line += *text == '\n';
		tq_err(err, errlen, "%s:%d: contains a NUL byte; this is not "
		       "a text file", name, line);
		return NULL;
	}
	if ((line = find_include(text, len))) {
		tq_err(err, errlen, "%s:%d: @include: not supported; put "
		       "every setting in this one file", name, line);
		return NULL;
	}
	wide = prescan(text, len, name, err, errlen);
	if (!wide)
		return NULL;
	config_init(&cfg);
	if (config_read_string(&cfg, wide) != CONFIG_TRUE) {
		syntax_error(&cfg, name, err, errlen);
		config_destroy(&cfg);
		free(wide);
		return NULL;
	}
	free(wide);
	p.c = conf_defaults();
	free(p.c->path);
	p.c->path = xstrdup(name);
	if (parse_root(&p, config_root_setting(&cfg)) < 0) {
		config_destroy(&cfg);
		conf_free(p.c);
		return NULL;
	}
	config_destroy(&cfg);
	return p.c;
}

struct tq_conf *conf_load_string(const char *text, const char *name,
				 char *err, size_t errlen)
{
	if (!name)
		name = "(string)";
	if (!text) {
		tq_err(err, errlen, "%s: no text", name);
		return NULL;
	}
	return load_buf(text, strlen(text), name, err, errlen);
}

struct tq_conf *conf_load(const char *path, char *err, size_t errlen)
{
	struct tq_conf *c;
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd;

	/* O_NONBLOCK: opening a FIFO must not hang the daemon. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		goto err_read;
	if (fstat(fd, &st) < 0)
		goto err_close;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		tq_err(err, errlen, "%s: cannot read: not a regular file",
		       path);
		return NULL;
	}
	/* Read at most one byte past the limit; st_size is not trusted
	 * (a FIFO or /proc file says 0). */
	buf = xmalloc(TQ_CONF_MAX_BYTES + 2);
	for (;;) {
		ssize_t n = read(fd, buf + len, TQ_CONF_MAX_BYTES + 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			goto err_close;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > TQ_CONF_MAX_BYTES)
			break;
	}
	close(fd);
	buf[len] = '\0';
	c = load_buf(buf, len, path, err, errlen);
	free(buf);
	return c;

err_close:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
err_read:
	tq_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	return NULL;
}
